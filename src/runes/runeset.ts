/** The normalized runeset: what `loadRuneset` hands to the runtime, defaults filled and paths resolved. */
import type { ListenAddress } from '../core/address.js';
import type { EventValue } from '../core/event.js';
import type { LogFormat, LogLevel } from '../core/run-log.js';
import type { SinkSpec, SourceSpec, SpellSpec } from './types.js';

/** `debug`, `info`, `warn` or `error` (core/run-log.ts LOG_LEVELS); `auto`, `json` or `pretty` (LOG_FORMATS). */
export type { LogFormat, LogLevel } from '../core/run-log.js';
/** `ndjson`, `lines` or `json`: how a source reads its input. */
export type SourceFormat = NonNullable<SourceSpec['format']>;
/** `append` or `truncate`: what a file sink does with what the file holds. */
export type FileSinkMode = NonNullable<SinkSpec['mode']>;
/** `dead-letter`, `skip` or `stop`. */
export type OnError = NonNullable<SpellSpec['on_error']>;

/** A path from the runeset: resolved, and as written (for messages). */
export interface RunesetPath {
  /** Absolute, resolved against the runeset file's directory. */
  readonly absolute: string;
  /** As written in the runeset (after environment substitution). */
  readonly original: string;
}

/** A runeset, loaded and checked, with every default filled in. Keys keep the runeset's spelling. */
export interface Runeset {
  readonly version: 1;
  /** The runeset file, absolute. */
  readonly file: string;
  /** Its directory, against which its relative paths were resolved. */
  readonly dir: string;
  readonly sanctum: {
    readonly log_level: LogLevel;
    readonly data_dir: RunesetPath;
    /** `FULL` or `NORMAL`: set on every connection to the data file. */
    readonly synchronous: 'FULL' | 'NORMAL';
    /** Events a durable pipeline casts and commits per transaction. */
    readonly batch_size: number;
    /** How log lines are written; absent means `auto`. */
    readonly log_format?: LogFormat;
    /** The metrics and tap server; absent when the runeset asks for none. */
    readonly metrics?: RunesetMetrics;
  };
  /** Every stream, `dead-letters` included, in the order declared (`dead-letters` last unless declared). */
  readonly streams: Readonly<Record<string, RunesetStream>>;
  readonly spells: Readonly<Record<string, RunesetSpell>>;
  readonly sources: Readonly<Record<string, RunesetSource>>;
  readonly sinks: Readonly<Record<string, RunesetSink>>;
  readonly pipelines: Readonly<Record<string, RunesetPipeline>>;
}

export interface RunesetMetrics {
  /** `host:port`, `:port` or `port`, as written. */
  readonly listen: string;
  /** Time one cast in this many. */
  readonly cast_sample: number;
  /** Serve `/tap`. */
  readonly tap: boolean;
  /** `/readyz` fails while a durable consumer is more than this many events behind. */
  readonly ready_lag: number;
}

export interface RunesetStream {
  readonly name: string;
  readonly description?: string;
  /** True for `dead-letters` when the runeset does not declare it. */
  readonly implicit: boolean;
  /** Kept in the event log; its readers are exactly-once consumers. */
  readonly durable: boolean;
  /** The event field stored as each event's key. */
  readonly key?: string;
  readonly retention?: { readonly maxEvents?: number; readonly maxAgeMs?: number };
}

export interface RunesetSpell {
  readonly name: string;
  readonly file: RunesetPath;
  /** Handed to the spell's `init(runes)`. */
  readonly runes: Readonly<Record<string, EventValue>>;
  readonly on_error: OnError;
  readonly budget: {
    /** Lua instructions per call of `init`, `cast` or `finish`. */
    readonly instructions: number;
    /** Events per call of `init`, `cast` or `finish`. */
    readonly emits: number;
    /** Bytes of Lua heap (sizes such as `64MiB` converted). */
    readonly memory: number;
  };
  /** The spell's durable state: indexed value fields. */
  readonly state: { readonly indexes: readonly string[] };
  /** How often its `tick` hook runs, in ms; absent: it does not tick. */
  readonly tick?: number;
  /** Its event-time windows (durations in ms); also in `runes.window`, for its `init`. */
  readonly window?: RunesetWindow;
}

/** A spell's `window` rune, normalized: durations in ms. */
export interface RunesetWindow {
  readonly kind: 'tumbling' | 'hopping' | 'session';
  readonly size?: number;
  readonly slide?: number;
  readonly gap?: number;
  readonly time?: string;
  readonly key?: string;
  readonly lateness?: number;
  readonly idle?: number;
}

export type RunesetSource =
  | {
      readonly name: string;
      readonly type: Extract<SourceSpec['type'], 'file'>;
      readonly path: RunesetPath;
      readonly to: string;
      readonly format: SourceFormat;
      readonly rate?: number;
      readonly loop?: boolean;
      readonly follow?: RunesetFollow;
    }
  | RunesetHttpSource
  | RunesetNatsSource
  | { readonly name: string; readonly type: Exclude<SourceSpec['type'], 'file' | 'http' | 'nats'>; readonly to: string; readonly format: SourceFormat };

/** How a file source with `follow: true` follows its files (absent: it reads them once, to their end). */
export interface RunesetFollow {
  /** How often the files are looked at without a change notice, in ms. */
  readonly pollMs: number;
  /** Where a file there at the start, with no committed position, is read from. */
  readonly startAt: FollowStart;
}

/** `beginning` or `end`: where a followed file is first read from. */
export type FollowStart = NonNullable<SourceSpec['start_at']>;

/** An HTTP source: a server that takes POSTed events. */
export interface RunesetHttpSource {
  readonly name: string;
  readonly type: Extract<SourceSpec['type'], 'http'>;
  readonly to: string;
  readonly format: SourceFormat;
  readonly listen: ListenAddress;
  /** The URL path that takes POSTs (`/` unless told). */
  readonly path: string;
  /** The bearer token requests must carry. */
  readonly token?: string;
  /** The largest body taken, in bytes. */
  readonly maxBody: number;
  /** Requests in the source at once. */
  readonly queue: number;
  /** How long a request waits for room in its stream, in ms. */
  readonly maxWaitMs: number;
  /** The time a client has to send a whole request, in ms. */
  readonly timeoutMs: number;
}

export type RunesetSink =
  | {
      readonly name: string;
      readonly type: Extract<SinkSpec['type'], 'file'>;
      readonly path: RunesetPath;
      readonly from: readonly string[];
      readonly mode?: FileSinkMode;
    }
  | RunesetHttpSink
  | RunesetNatsSink
  | { readonly name: string; readonly type: Exclude<SinkSpec['type'], 'file' | 'http' | 'nats'>; readonly from: readonly string[] };

/** An HTTP sink: POSTs batches of events to a URL. */
export interface RunesetHttpSink {
  readonly name: string;
  readonly type: Extract<SinkSpec['type'], 'http'>;
  readonly from: readonly string[];
  readonly url: string;
  readonly token?: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The most events in one POST. */
  readonly batchSize: number;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
}

/** A step, always in the long form. */
export interface RunesetStep {
  readonly spell: string;
  /** Named port to stream; empty when the step wires none. */
  readonly ports: Readonly<Record<string, string>>;
}

/** How a `nats` source or sink reaches its server. */
export interface RunesetNatsConnection {
  /** The server URLs as written (`url`, split at commas), tried in turn. */
  readonly servers: readonly string[];
  readonly user?: string;
  readonly password?: string;
  readonly token?: string;
}

/** A `nats` source: a core NATS subscription (`subject`), or a JetStream stream read by a durable consumer (`stream`). */
export interface RunesetNatsSource {
  readonly name: string;
  readonly type: 'nats';
  readonly to: string;
  readonly connection: RunesetNatsConnection;
  /** The subject subscribed to (core), or the filter of the stream's messages (JetStream). */
  readonly subject?: string;
  /** The JetStream stream read; absent for a core NATS subscription. */
  readonly stream?: string;
  /** The durable JetStream consumer's name (`sanctum-<source>` unless set). */
  readonly consumer: string;
  /** A core subscription's queue group. */
  readonly queue?: string;
}

/** A `nats` sink: publishes each event to `subject`, through JetStream (acknowledged, deduplicated) when `stream` is set. */
export interface RunesetNatsSink {
  readonly name: string;
  readonly type: 'nats';
  readonly from: readonly string[];
  readonly connection: RunesetNatsConnection;
  readonly subject: string;
  readonly stream?: string;
}

export interface RunesetPipeline {
  readonly name: string;
  /** Always a list, even when the runeset names one stream. */
  readonly from: readonly string[];
  readonly steps: readonly RunesetStep[];
  /** Receives the last step's default port; without it, such events become dead letters (SPELL_PORT_UNWIRED). */
  readonly to?: string;
  /** Where failed events go (default `dead-letters`). */
  readonly dead_letters: string;
}
