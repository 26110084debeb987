/** Generated from schema/runeset.schema.json by `npx tsx scripts/gen-runes.ts`: do not edit; edit the schema and run it again. */

/**
 * A stream's options. Leave it empty (`orders: {}` or `orders:`) when there is nothing to say.
 */
export type StreamSpec = {
  /**
   * Free text: what the events on this stream are.
   */
  description?: string;
  /**
   * Keep the stream's events in the event log under `sanctum.data_dir`: every event gets a sequence number and a timestamp, appends are acknowledged only once durable, and pipelines reading the stream become exactly-once consumers that resume after a crash or restart where they left off.
   */
  durable?: boolean;
  /**
   * A top-level field of each event to store as the event's key (durable streams): shown by `sanctum tail`; events without it have no key.
   */
  key?: string;
  /**
   * How much of a durable stream to keep: the oldest events beyond the limits are deleted when the run starts and as it goes (sequence numbers are never reused).
   */
  retention?: {
    /**
     * Keep at most this many events.
     */
    max_events?: number;
    /**
     * Keep events younger than this: a number of seconds, or a duration such as `90s`, `15m`, `12h`, `7d`.
     */
    max_age?: number | string;
  };
} | null;
/**
 * Event-time windows for a spell that uses the bundled `sanctum.window` module: handed to its `init(runes)` as `runes.window`, durations in ms. See docunomicon/time.md.
 */
export type WindowSpec = {
  /**
   * `tumbling`: fixed windows of `size` one after another; `hopping`: windows of `size` starting every `slide` (they overlap); `session`: a key's events no more than `gap` apart, one window.
   */
  kind: 'tumbling' | 'hopping' | 'session';
  /**
   * How long a window is (`tumbling` and `hopping`).
   */
  size?: number | string;
  /**
   * How far apart hopping windows start (`hopping`); at most `size`.
   */
  slide?: number | string;
  /**
   * How long a key may be silent before its session closes (`session`).
   */
  gap?: number | string;
  /**
   * The event field that holds the event's time, in ms since the epoch. Without it, windows run on processing time: an event's time is `sanctum.now()` when it is cast.
   */
  time?: string;
  /**
   * The event field windows are kept per (one window per value). Without it, one window covers every event.
   */
  key?: string;
  /**
   * How late an event may be: the watermark is the latest event time seen minus this, and an event older than the watermark goes to the `late` port. Default 0.
   */
  lateness?: number | string;
  /**
   * When no event has come for this long (processing time), ticks move the watermark on as if event time passed like processing time, so the windows of a quiet input close. Default: never (the spell needs a `tick` rune for it).
   */
  idle?: number | string;
};
/**
 * A name: a letter, then letters, digits, `_` or `-`.
 */
export type Name = string;
/**
 * One stream name, or a list of stream names.
 */
export type StreamRefs = Name | [Name, ...Name[]];
/**
 * A step: a spell name, or a mapping with the spell name and the streams its named ports go to.
 */
export type StepSpec =
  | Name
  | {
      /**
       * The name of the spell this step casts.
       */
      spell: Name;
      /**
       * Named output ports and the stream each goes to: a spell that calls `emit(event, "alerts")` needs `alerts` wired here. The default port `out` always goes to the next step.
       */
      ports?: {
        /**
         * The stream this port's events go to.
         */
        [k: string]: Name;
      };
    };

/**
 * A runeset is the YAML file that declares a Sanctum deployment: its energy streams, the spells that run over them, where events come from (sources), where they go (sinks) and the pipelines that connect them. Every key is a rune (a configuration option). Relative paths are relative to the directory of the runeset file. Any string may use `${VAR}` or `${VAR:-default}` to read an environment variable; write `$${` for a literal `${`.
 */
export interface RunesetDocument {
  /**
   * The runeset format version. This Sanctum reads version 1.
   */
  version: 1;
  sanctum?: SanctumRunes;
  /**
   * The energy streams, by name. A stream carries events from the sources and pipelines that write to it to the pipelines and sinks that read it. The stream `dead-letters` always exists, declared or not.
   */
  streams: {
    [k: string]: StreamSpec;
  };
  /**
   * The spells, by name: Lua files that pipelines cast on each event.
   */
  spells?: {
    [k: string]: SpellSpec;
  };
  /**
   * Where events come from, by name. Each source writes the events it reads to a stream.
   */
  sources?: {
    [k: string]: SourceSpec;
  };
  /**
   * Where events go, by name. Each sink writes the events of its streams as one JSON value per line.
   */
  sinks?: {
    [k: string]: SinkSpec;
  };
  /**
   * The pipelines, by name. A pipeline reads its streams, casts its spells one after another on each event, and writes what the last spell emits to its `to` stream.
   */
  pipelines?: {
    [k: string]: PipelineSpec;
  };
}
/**
 * Sanctum's own runes.
 */
export interface SanctumRunes {
  /**
   * The least severe log line Sanctum and the spells print.
   */
  log_level?: 'debug' | 'info' | 'warn' | 'error';
  /**
   * The directory where Sanctum keeps its event log and the spells' state, relative to the runeset file's directory. By default each runeset has its own: `.sanctum/{name}`, where `{name}` is the runeset file's name without `.runeset.yaml` or `.yaml` (`orders.runeset.yaml` keeps its data in `.sanctum/orders`), so two runesets in one folder never share state. Give two runesets the same `data_dir` on purpose to share durable streams; spells of the same name then share their state too.
   */
  data_dir?: string;
  /**
   * How Sanctum writes its log lines on stderr: `json` (one JSON object a line, for machines), `pretty` (for people), or `auto`: pretty on a terminal, JSON otherwise. `sanctum run --log-format` overrides it.
   */
  log_format?: 'auto' | 'json' | 'pretty';
  metrics?: MetricsRunes;
  /**
   * How durable a commit is before it is acknowledged: `FULL` (fsync: survives power loss) or `NORMAL` (survives a crash of Sanctum, may lose the last commits on power loss; faster for small commits). Set on every connection to the data file.
   */
  synchronous?: 'FULL' | 'NORMAL';
  /**
   * The most events a durable pipeline casts and commits in one transaction. Larger batches: more throughput, more latency.
   */
  batch_size?: number;
}
/**
 * Serve the run's metrics (`/metrics`, in the Prometheus text format), live taps (`/tap`) and health checks (`/healthz`, `/readyz`) over HTTP while it runs; `sanctum top` and `sanctum tap` read them. `sanctum run --metrics` does the same. See docunomicon/observability.md and docunomicon/service.md.
 */
export interface MetricsRunes {
  /**
   * Where to serve: `host:port`, `:port` or `port` (the host is then 127.0.0.1, this machine only). Port 0 picks a free port; the log says which. Binding `0.0.0.0` serves every network: read docunomicon/observability.md first, since a tap shows your events.
   */
  listen: string;
  /**
   * Time one cast in this many for `sanctum_spell_cast_duration_seconds` (1 times every cast, at a small cost per event).
   */
  cast_sample?: number;
  /**
   * Serve `/tap`, which streams live events to `sanctum tap`. Set it to false where whoever reaches the address must not read the events.
   */
  tap?: boolean;
  /**
   * `/readyz` answers 503 while a pipeline or sink over durable streams is more than this many events behind (and while a source is not open yet, or the run is stopping).
   */
  ready_lag?: number;
}
/**
 * A spell: a Lua file and the runes it is summoned with.
 */
export interface SpellSpec {
  /**
   * The spell's Lua file, relative to the runeset file's directory.
   */
  file: string;
  /**
   * The spell's own runes: any mapping, handed to the spell's `init(runes)` hook.
   */
  runes?: {
    [k: string]: unknown;
  };
  /**
   * What happens to an event whose cast fails: `dead-letter` sends it, with the error, to the pipeline's dead-letter stream; `skip` logs a warning and drops it; `stop` stops the pipeline.
   */
  on_error?: 'dead-letter' | 'skip' | 'stop';
  budget?: BudgetSpec;
  /**
   * Call the spell's `tick(now, emit)` hook this often, in processing time, between batches (and once more when the pipeline stops gracefully): a duration such as `250ms`, `1s` or `5m` (a bare number is seconds). A spell with no `tick` function ignores it (`sanctum check` warns). See docunomicon/time.md.
   */
  tick?: number | string;
  window?: WindowSpec;
  /**
   * The spell's durable state (the Lua `state` library): which top-level fields of stored values to index, so that `state.query{ index = "field", gt = …, lt = … }` uses the index.
   */
  state?: {
    /**
     * Value fields to index (numbers and strings).
     */
    indexes?: string[];
  };
}
/**
 * Limits on what one spell may use.
 */
export interface BudgetSpec {
  /**
   * The Lua instructions one call of `init`, `cast` or `finish` may run before it fails (a runaway loop).
   */
  instructions?: number;
  /**
   * The events one call of `init`, `cast` or `finish` may emit (SPELL_EMIT_LIMIT beyond). A call's outputs are held until it succeeds, all or nothing, so their number is bounded; raise it for a `finish` that emits a row per key of a large state.
   */
  emits?: number;
  /**
   * The Lua heap the spell may use: a number of bytes, or a size such as `512KiB`, `64MiB` or `1GiB` (KiB, MiB, GiB are powers of 1024; KB, MB, GB powers of 1000; any case, so `64mb` is 64,000,000 bytes), the same sizes `sanctum cast --memory` takes. At least 64KiB.
   */
  memory?: number | string;
}
/**
 * A source of events: a file, standard input, an HTTP endpoint that clients POST events to, or NATS (one JSON event per message). docunomicon/connectors.md describes each, with its delivery guarantee.
 */
export interface SourceSpec {
  /**
   * Where the events are read from: `file` (the file at `path`), `stdin`, `http` (a server on `listen` that takes POSTed events), or `nats` (a NATS subject, or a JetStream stream).
   */
  type: 'file' | 'stdin' | 'http' | 'nats';
  /**
   * For `file`: the file to read, relative to the runeset file's directory (required); with `follow`, it may be a glob (`*`, `?` and `[...]` within a path segment). For `http`: the URL path that takes POSTs, such as `/events` (default `/`).
   */
  path?: string;
  /**
   * The stream the events are written to.
   */
  to: Name;
  /**
   * How the input is read: `ndjson` (one JSON event per line), `lines` (each line of text becomes the event `{ message, source, line }`: the text, the source's name and the line number; a spell parses the rest), or `json` (the whole input is one JSON document: an array is its events, anything else one event). An `http` source reads a request whose `Content-Type` is `application/json` as `json` unless `format` is `lines`.
   */
  format?: 'ndjson' | 'lines' | 'json';
  /**
   * At most this many events a second (file sources): replay a recorded file at a pace, for demos and load tests. Default: as fast as the pipeline takes them.
   */
  rate?: number;
  /**
   * When the file ends, read it again from the start, until the run is stopped (file sources into streams that are not durable). With `rate`, a live stream from a recorded file.
   */
  loop?: boolean;
  /**
   * For `file`: keep reading as the file grows, like `tail -F`, until the run is stopped (SIGINT or SIGTERM). A file renamed away (log rotation) is read to its end and the new file at `path` from its start; a file that gets shorter (copytruncate) is read again from its start. `path` may then be a glob (`logs/*.log`): files that come to match it are read too. Into a durable stream each file's position (its device, inode and byte offset) commits with its events: exactly once across restarts and rotations. docunomicon/connectors.md#followed-files says what rotation can and cannot keep.
   */
  follow?: boolean;
  /**
   * For `file` with `follow`: how often the files are looked at even when the file system sent no change notice (inotify does not see writes made on another machine to a network file system). A number of seconds, or a duration such as `250ms`, `1s`.
   */
  poll_interval?: number | string;
  /**
   * For `file` with `follow`: where a file that is there when the run starts, and that no earlier run has read into a durable stream, is read from: `beginning` (all of it) or `end` (only what is written from now on). A file that appears later is always read from its beginning, and a file with a committed position from there.
   */
  start_at?: 'beginning' | 'end';
  /**
   * For `http` (required): where the server listens: `host:port`, `:port` or `port` (the host is then 127.0.0.1, this machine only; `0.0.0.0:8080` serves every network). Port 0 picks a free port; the log says which.
   */
  listen?: string;
  /**
   * For `http`: a bearer token every request must send (`Authorization: Bearer <token>`); others get 401. The server speaks plain HTTP: off this machine, put a TLS proxy in front. For `nats`: an authentication token to connect with, instead of `user` and `password`. Write it as `${VAR}` to read it from the environment, not the file.
   */
  token?: string;
  /**
   * For `http`: the largest request body taken; a bigger one is answered 413 and nothing of it is appended. A number of bytes, or a size such as `512KiB` or `4MiB`.
   */
  max_body?: number | string;
  /**
   * For `http`: how many requests may be in the source at once (their bodies being read, parsed, or waiting for room in the stream). One more is answered 503 with `Retry-After`. With `max_body` it bounds the memory the source holds.
   */
  queue?: number;
  /**
   * For `http`: how long a request waits for room in a stream whose pipeline is behind before it is answered 429 with `Retry-After` (nothing of it appended). A number of seconds, or a duration such as `250ms`, `10s`, `5m`.
   */
  max_wait?: number | string;
  /**
   * For `http`: the time a client has to send a whole request (headers and body); a slower one is answered 408 and disconnected (slow clients cannot hold connections open). A number of seconds, or a duration such as `250ms`, `10s`, `5m`.
   */
  timeout?: number | string;
  /**
   * The NATS server to connect to (`nats` sources): `nats://host:port`, or several, separated by commas, to try in turn (a cluster). Default: `nats://127.0.0.1:4222`.
   */
  url?: string;
  /**
   * The NATS subject (`nats` sources): without `stream`, a core NATS subscription to it (wildcards `*` and `>` allowed); with `stream`, only the stream's messages on that subject are read.
   */
  subject?: string;
  /**
   * A JetStream stream to read (`nats` sources) with a durable consumer, from where the last run stopped: into a durable Sanctum stream, exactly once (each batch commits with the JetStream sequence it reached, and is acknowledged to NATS after that commit).
   */
  stream?: string;
  /**
   * The name of the durable JetStream consumer (`nats` sources with `stream`). Default: `sanctum-` and the source's name.
   */
  consumer?: string;
  /**
   * The user name to connect with (`nats`); with `password`. Write `${NATS_USER}` rather than the name itself.
   */
  user?: string;
  /**
   * The password to connect with (`nats`); with `user`. Write `${NATS_PASSWORD}`: a runeset is no place for a secret.
   */
  password?: string;
  /**
   * A queue group (`nats` sources on a core subject): the subscribers of one queue group share the messages, each message going to one of them.
   */
  queue_group?: string;
}
/**
 * A sink: writes the events of its streams as newline-delimited JSON to standard output or error, a file or an HTTP endpoint, or publishes each as a NATS message. docunomicon/connectors.md describes each, with its delivery guarantee.
 */
export interface SinkSpec {
  /**
   * Where the events are written: `stdout`, `stderr`, `file` (the file at `path`), `http` (POSTed to `url`), or `nats` (a NATS subject, or a JetStream stream).
   */
  type: 'stdout' | 'stderr' | 'file' | 'http' | 'nats';
  /**
   * The stream, or list of streams, whose events the sink writes.
   */
  from: StreamRefs;
  /**
   * The file to write, relative to the runeset file's directory. Required when `type` is `file`.
   */
  path?: string;
  /**
   * For `file`: `append` keeps what the file holds and adds to it; `truncate` empties it when the run starts. Default: `append` when the sink reads durable streams (a restart goes on where the last run stopped), `truncate` otherwise.
   */
  mode?: 'append' | 'truncate';
  /**
   * For `http` (required): the `http://` or `https://` URL each batch is POSTed to, as NDJSON. For `nats`: the NATS server to connect to, `nats://host:port`, or several, separated by commas, to try in turn (a cluster); default `nats://127.0.0.1:4222`.
   */
  url?: string;
  /**
   * For `http`: sent as `Authorization: Bearer <token>`. For `nats`: an authentication token to connect with, instead of `user` and `password`. Write it as `${VAR}` to read it from the environment.
   */
  token?: string;
  /**
   * For `http`: more request headers, by name.
   */
  headers?: {
    /**
     * The header's value.
     */
    [k: string]: string;
  };
  /**
   * For `http`: the most events in one POST.
   */
  batch_size?: number;
  /**
   * For `http`: how long one POST may take (connecting, sending, the answer) before it counts as failed and is retried. A number of seconds, or a duration such as `250ms`, `10s`, `5m`.
   */
  timeout?: number | string;
  /**
   * For `http`: how many times a POST that failed for a passing reason (a 5xx, 408 or 429 answer, a timeout, a connection error) is sent again, after a growing, jittered wait. When they are used up, its events become dead letters (`SINK_RETRIES_EXHAUSTED`); a 4xx answer makes them dead letters at once (`SINK_REJECTED`).
   */
  retries?: number;
  /**
   * For `http`: the wait before the first retry; it doubles with each retry, up to `max_backoff`, each wait drawn at random between half and all of it. A number of seconds, or a duration such as `250ms`, `10s`, `5m`.
   */
  backoff?: number | string;
  /**
   * For `http`: the longest wait between two retries (a `Retry-After` from the server is followed up to it). A number of seconds, or a duration such as `250ms`, `10s`, `5m`.
   */
  max_backoff?: number | string;
  /**
   * The NATS subject each event is published to (`nats` sinks; no wildcards). Required for `nats` sinks.
   */
  subject?: string;
  /**
   * A JetStream stream that captures `subject` (`nats` sinks): each event is published with a `Nats-Msg-Id` header and the sink waits for the server's acknowledgement, so a batch sent again after a crash is dropped by the server as a duplicate.
   */
  stream?: string;
  /**
   * The user name to connect with (`nats`); with `password`. Write `${NATS_USER}` rather than the name itself.
   */
  user?: string;
  /**
   * The password to connect with (`nats`); with `user`. Write `${NATS_PASSWORD}`: a runeset is no place for a secret.
   */
  password?: string;
}
/**
 * A pipeline: reads events from its streams and casts its steps on each, in order.
 */
export interface PipelineSpec {
  /**
   * The stream, or list of streams, the pipeline reads.
   */
  from: StreamRefs;
  /**
   * The spells cast on each event, in order. What a step emits on its default port (`out`) goes to the next step.
   *
   * @minItems 1
   */
  steps: [StepSpec, ...StepSpec[]];
  /**
   * The stream that receives what the last step emits on its default port. Without it, those events are dropped.
   */
  to?: Name;
  /**
   * The stream that receives the events whose cast failed (with the error), when the spell's `on_error` is `dead-letter`.
   */
  dead_letters?: Name;
}
