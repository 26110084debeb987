/**
 * What connectors are made of: the contexts sources and sinks get from the run, the destination a
 * sink writes to, and a source's counters. Source readers (sources.ts, http-source.ts) and sink
 * destinations (sinks.ts, http-sink.ts) implement them; this module knows none of them.
 */
import type { Readable, Writable } from 'node:stream';
import { DEAD_LETTERS, type EventValue } from '../core/event.js';
import type { LogPort } from '../core/log-port.js';
import type { DurableMetrics } from '../core/metrics.js';
import type { RunLogger } from '../core/run-log.js';
import type { Runeset, RunesetSource } from '../runes/runeset.js';
import type { StreamGraph } from './graph.js';
import type { DurableAppender } from './durable.js';
import type { Connectors } from './connectors.js';

export { sourceConsumer } from './positions.js';

/** A source's dead letter (an unreadable line or file): counted and logged by the run, and written to `dead-letters`. */
export function sourceDeadLetter(ctx: SourceContext, letter: EventValue): void {
  ctx.onDeadLetter(letter);
  ctx.graph.write(DEAD_LETTERS, [letter]);
}

/** What a source has done, read by the metrics at scrape time and by readiness. */
export class SourceStats {
  /** `starting` until it takes input, `open` while it does, `ended` once it stopped taking any. */
  state: 'starting' | 'open' | 'ended' = 'starting';
  /** Where a network source takes input, once it listens. */
  url: string | undefined;
  /** Events it handed to its stream. */
  events = 0;
  /** Requests answered, by HTTP status. */
  readonly answers = new Map<number, number>();
  /** What a followed file source (`follow: true`) sees of its files; undefined for other sources. */
  followed: FollowStats | undefined;
  /** Set by the metrics: times each acknowledged request, from its arrival to its answer. */
  readonly probes: { ackTimer?: { record(seconds: number): void } | undefined } = {};

  constructor(
    readonly name: string,
    readonly type: string,
  ) {}

  /** A request was answered with `status` after `seconds` (once per request, never per event). */
  answered(status: number, seconds: number): void {
    this.answers.set(status, (this.answers.get(status) ?? 0) + 1);
    if (status === 200) this.probes.ackTimer?.record(seconds);
  }
}

/** The counters of a followed file source, read at scrape time. */
export interface FollowStats {
  /** Files renamed away or removed while followed (each read to its end, then let go). */
  rotations: number;
  /** Files that got shorter while followed (copytruncate): read again from their start. */
  truncations: number;
  /** Files open now: those matching `path`, and those rotated away and not yet let go. */
  filesOpen: number;
  /** Bytes written to the open files and not yet read, as of the last look at them. */
  bytesBehind: number;
}

/** What the sources need from the run. */
export interface SourceContext {
  readonly graph: StreamGraph;
  readonly runeset: Runeset;
  readonly stdin: Readable;
  /** Stops the sources (they end quietly, after committing what they read). */
  readonly signal: AbortSignal;
  /** The durable side, when the runeset has durable streams. */
  readonly appender: DurableAppender | undefined;
  /** Reads the committed position of a source input (0: none). */
  readonly position: (consumer: string, input: string) => Promise<number>;
  /** A line for the run's log. */
  readonly onWarning: (message: string) => void;
  /** Dead letters of sources (counted and logged by the run). */
  readonly onDeadLetter: (deadLetter: EventValue) => void;
  /** The counters of a source, which it keeps up to date (for the metrics and readiness). */
  readonly stats: (source: string) => SourceStats;
  /** Log lines of network sources (listening, refused requests). */
  readonly log: RunLogger;
  /** Network sources' connection states (for the metrics) and their log lines. */
  readonly connectors?: Connectors;
}

/**
 * Reads a source into its stream until it ends or `ctx.signal` aborts; resolves with the events
 * read. Network sources (HTTP, NATS) register theirs in READERS, by source type.
 */
export type SourceReader = (ctx: SourceContext, src: RunesetSource) => Promise<number>;

export interface Stdio {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
}

/** Where a batch written to a destination came from (durable sinks: its stream and sequence numbers). */
export interface SinkBatchMeta {
  readonly sink: string;
  /** The durable stream and the sequence numbers of the batch, when the sink reads durable streams. */
  readonly stream?: string;
  readonly firstSeq?: number;
  readonly lastSeq?: number;
  /** Every event's sequence number, in order (durable sinks). */
  readonly seqs?: readonly number[];
}

/** What a destination did with a batch it could not deliver for good (a 4xx, retries exhausted). */
export interface SinkWriteResult {
  /** Dead letters to write instead (each names its event and why); the batch is done with. */
  readonly deadLetters?: readonly EventValue[];
}

/**
 * A sink's destination: stdout, a file, an HTTP endpoint, a NATS subject. It writes a batch and
 * resolves once the destination acknowledged it (the OS took the bytes, the server answered). A
 * permanent failure of some events resolves with dead letters for them; a rejection is a failure of
 * the sink itself (it stops; the run reports it).
 */
export interface SinkDestination {
  write(events: readonly EventValue[], meta: SinkBatchMeta): Promise<SinkWriteResult | void>;
  /**
   * Writes events given as their stored JSON text (`JSON.stringify` of each), when the destination
   * can without decoding them (NDJSON): a durable sink then never parses what it reads. Optional.
   */
  writeJson?(json: readonly string[], meta: SinkBatchMeta): Promise<SinkWriteResult | void>;
  /** Writes this many batches at most without waiting for their acknowledgements (default 1). */
  readonly inFlight?: number;
  /** Flushes and releases the destination at the end of the run. */
  close(): Promise<void>;
  /** Its counters, when it keeps any (network destinations). */
  readonly stats?: SinkStats;
}

export interface SinkContext {
  readonly graph: StreamGraph;
  readonly runeset: Runeset;
  readonly stdio: Stdio;
  /** The durable log, when the runeset has durable streams: sinks over them are durable consumers. */
  readonly port: LogPort | undefined;
  /** True once the run is ending (a durable sink that caught up is then done). */
  readonly ending: () => boolean;
  /** Stops durable sinks after the batch in flight. */
  readonly signal: AbortSignal;
  readonly metrics: () => DurableMetrics;
  /** The sink's destination failed (e.g. stdout closed). */
  readonly onFailure: (sink: string, error: Error) => void;
  /** A commit or read failed: fatal for the run. */
  readonly onFatal: (error: unknown) => void;
  /** Log lines of network sinks (retries, dead letters). */
  readonly log: RunLogger;
  /** Network sinks' connection states (for the metrics) and their log lines. */
  readonly connectors?: Connectors;
}

/** What a network destination counts, read by the metrics at scrape time. */
export interface SinkStats {
  /** Requests answered, by status (`200`, `503`), or that failed (`timeout`, `error`). */
  readonly requests: Map<string, number>;
  /** Requests sent again after a passing failure. */
  retries: number;
  /** Events the destination gave up on (dead letters). */
  deadLettered: number;
}
