/**
 * The run's metrics in a prom-client registry. Nothing here runs per event: spells and streams
 * count in plain integer fields, and the collect callbacks below read them when `/metrics` is
 * scraped. Only the durable hooks (once per commit) and the sampled cast timer (one cast in N, into
 * a preallocated bucket array) do work while events flow.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';
import { DEFAULT_PORT } from '../core/event.js';
import type { DurableMetrics } from '../core/metrics.js';
import type { ObservedCastTimer, ObservedRun } from './observed.js';

/** Upper bounds (seconds) of the cast duration buckets: 5 µs to 1 s (the default budget is ~50 ms). */
export const CAST_DURATION_BUCKETS: readonly number[] = [
  0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
];
/** Upper bounds (seconds) of the durable commit latency buckets. */
export const COMMIT_DURATION_BUCKETS: readonly number[] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Upper bounds (events) of the durable commit batch size buckets. */
export const COMMIT_BATCH_BUCKETS: readonly number[] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];
/** Upper bounds (seconds) of the HTTP acknowledgement latency buckets: 0.5 ms to 10 s. */
export const ACK_DURATION_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** One cast in this many is timed unless told otherwise. */
export const DEFAULT_CAST_SAMPLE = 16;

/** What a tap endpoint has done, for the metrics. */
export interface TapStats {
  /** `stream:NAME` or `spell:NAME`. */
  readonly target: string;
  readonly clients: number;
  readonly sent: number;
  readonly dropped: number;
}

export interface SanctumMetricsOptions {
  /** Time one cast in this many (1: every cast). Default 16. */
  readonly castSample?: number;
  /** Node's process metrics (CPU, memory, event loop lag, GC). Default true. */
  readonly defaultMetrics?: boolean;
  /** The taps' counters, read at scrape time. */
  readonly taps?: () => Iterable<TapStats>;
}

/**
 * A histogram bucketed as it is recorded, with no allocation: the spell's cast timer. `le` buckets
 * hold observations ≤ their bound; the last slot is +Inf.
 */
export class BucketTimer implements ObservedCastTimer {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(
    readonly every: number,
    readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  record(seconds: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && seconds > b[i]!) i++;
    this.counts[i]!++;
    this.sum += seconds;
    this.count++;
  }
}

/**
 * A histogram whose buckets are read at scrape time from BucketTimers: what prom-client's own
 * Histogram cannot do without one call per observation. The registry only calls `get()`.
 */
class CollectedHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    private readonly bounds: readonly number[],
    private readonly read: () => Iterable<readonly [Record<string, string>, BucketTimer]>,
  ) {}

  async get() {
    const values: { value: number; labels: Record<string, string | number>; metricName: string }[] = [];
    for (const [labels, t] of this.read()) {
      let cumulative = 0;
      for (let i = 0; i <= this.bounds.length; i++) {
        cumulative += t.counts[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: i < this.bounds.length ? this.bounds[i]! : '+Inf' }, value: cumulative });
      }
      values.push({ metricName: `${this.name}_sum`, labels, value: t.sum });
      values.push({ metricName: `${this.name}_count`, labels, value: t.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {}
}

/**
 * Every metric of a run. It also takes the durable path's reports (`recordCommit`, `setLag`).
 *
 * @example
 * const metrics = new SanctumMetrics(opened);
 * await opened.run();
 * console.log(await metrics.text()); // sanctum_spell_events_in_total{spell="enrich"} 7 …
 */
export class SanctumMetrics implements DurableMetrics {
  readonly registry = new Registry();
  private readonly timers = new Map<string, BucketTimer>();
  private readonly ackTimers = new Map<string, BucketTimer>();
  private readonly commitSeconds: Histogram<'stream'>;
  private readonly commitBatch: Histogram<'stream'>;
  private readonly lag: Gauge<'consumer' | 'stream'>;

  constructor(
    private readonly run: ObservedRun,
    options: SanctumMetricsOptions = {},
  ) {
    const registers = [this.registry];
    const spells = () => run.spells.values();
    const every = Math.max(1, Math.floor(options.castSample ?? DEFAULT_CAST_SAMPLE));
    for (const spell of run.spells.values()) {
      const timer = new BucketTimer(every, CAST_DURATION_BUCKETS);
      this.timers.set(spell.name, timer);
      spell.probes.castTimer = timer;
    }

    new Counter({
      name: 'sanctum_spell_events_in_total',
      help: 'Events handed to the spell (casts), failed ones included.',
      labelNames: ['spell'],
      registers,
      collect() {
        this.reset();
        for (const s of spells()) this.inc({ spell: s.name }, s.stats.casts);
      },
    });
    new Counter({
      name: 'sanctum_spell_events_out_total',
      help: `Events the spell emitted, by port ('${DEFAULT_PORT}' is the default port).`,
      labelNames: ['spell', 'port'],
      registers,
      collect() {
        this.reset();
        for (const s of spells()) {
          let named = 0;
          for (const [port, n] of s.stats.emittedToPorts) {
            named += n;
            this.inc({ spell: s.name, port }, n);
          }
          this.inc({ spell: s.name, port: DEFAULT_PORT }, s.stats.emitted - named);
        }
      },
    });
    new Counter({
      name: 'sanctum_spell_errors_total',
      help: 'Failed casts (and init or finish hooks) by error code, whatever the error policy did with them.',
      labelNames: ['spell', 'code'],
      registers,
      collect() {
        this.reset();
        for (const s of spells()) for (const [code, n] of s.stats.failedByCode) this.inc({ spell: s.name, code }, n);
      },
    });
    new Counter({
      name: 'sanctum_spell_dead_letters_total',
      help: 'Failed events sent to a dead-letter stream, by error code.',
      labelNames: ['spell', 'code'],
      registers,
      collect() {
        this.reset();
        for (const s of spells()) for (const [code, n] of s.stats.deadLetteredByCode) this.inc({ spell: s.name, code }, n);
      },
    });
    new Counter({
      name: 'sanctum_spell_budget_exceeded_total',
      help: 'Calls that ran out of their instruction budget (SPELL_BUDGET_EXCEEDED): runaway loops.',
      labelNames: ['spell'],
      registers,
      collect() {
        this.reset();
        for (const s of spells()) this.inc({ spell: s.name }, s.stats.failedByCode.get('SPELL_BUDGET_EXCEEDED') ?? 0);
      },
    });
    new Counter({
      name: 'sanctum_spell_memory_exceeded_total',
      help: 'Calls that hit the Lua memory cap (SPELL_MEMORY_EXCEEDED).',
      labelNames: ['spell'],
      registers,
      collect() {
        this.reset();
        for (const s of spells()) this.inc({ spell: s.name }, s.stats.failedByCode.get('SPELL_MEMORY_EXCEEDED') ?? 0);
      },
    });
    new Gauge({
      name: 'sanctum_spell_lua_memory_bytes',
      help: "Lua heap in use by the spell's live Lua states.",
      labelNames: ['spell'],
      registers,
      collect() {
        this.reset();
        for (const s of spells()) this.set({ spell: s.name }, s.memoryUsed());
      },
    });
    const timers = this.timers;
    this.registry.registerMetric(
      new CollectedHistogram(
        'sanctum_spell_cast_duration_seconds',
        `Time a cast takes in Lua, from the call to its first output; one cast in ${every} is timed, so _count counts the timed casts.`,
        ['spell'],
        CAST_DURATION_BUCKETS,
        function* () {
          for (const [spell, t] of timers) yield [{ spell }, t] as const;
        },
      ) as unknown as Metric,
    );

    new Counter({
      name: 'sanctum_stream_events_total',
      help: 'Events written to the stream (by sources, pipelines, ports and dead letters).',
      labelNames: ['stream'],
      registers,
      collect() {
        this.reset();
        for (const name of run.graph.streamNames) this.inc({ stream: name }, run.graph.appended(name));
      },
    });
    new Counter({
      name: 'sanctum_dead_letters_total',
      help: 'Dead letters written by every pipeline and source, whatever stream they went to.',
      registers,
      collect() {
        this.reset();
        this.inc(run.graph.deadLetters);
      },
    });
    new Counter({
      name: 'sanctum_sink_events_total',
      help: 'Events the sink has written.',
      labelNames: ['sink'],
      registers,
      collect() {
        this.reset();
        for (const s of run.sinks ?? []) this.inc({ sink: s.name }, s.written);
      },
    });
    const sources = () => run.sources ?? [];
    new Counter({
      name: 'sanctum_source_events_total',
      help: 'Events a source handed to its stream (an HTTP source: in requests it acknowledged).',
      labelNames: ['source'],
      registers,
      collect() {
        this.reset();
        for (const s of sources()) this.inc({ source: s.name }, s.events);
      },
    });
    new Counter({
      name: 'sanctum_source_requests_total',
      help: 'Requests an HTTP source answered, by status: 200 appended; 400 bad body, 401 no token, 408 too slow, 413 too large, 429 pipeline behind, 503 queue full or stopping.',
      labelNames: ['source', 'status'],
      registers,
      collect() {
        this.reset();
        for (const s of sources()) for (const [status, n] of s.answers) this.inc({ source: s.name, status: String(status) }, n);
      },
    });
    new Counter({
      name: 'sanctum_source_rotations_total',
      help: 'Files a followed file source saw rotated: `rename` (renamed away or removed; read to its end, then let go) or `truncate` (got shorter, as copytruncate does; read again from its start).',
      labelNames: ['source', 'kind'],
      registers,
      collect() {
        this.reset();
        for (const s of sources()) {
          if (!s.followed) continue;
          this.inc({ source: s.name, kind: 'rename' }, s.followed.rotations);
          this.inc({ source: s.name, kind: 'truncate' }, s.followed.truncations);
        }
      },
    });
    new Gauge({
      name: 'sanctum_source_files_open',
      help: 'Files a followed file source has open: those its path matches, and those rotated away and not yet let go.',
      labelNames: ['source'],
      registers,
      collect() {
        this.reset();
        for (const s of sources()) if (s.followed) this.set({ source: s.name }, s.followed.filesOpen);
      },
    });
    new Gauge({
      name: 'sanctum_source_bytes_behind',
      help: "Bytes written to a followed source's open files that it has not read yet, as of its last look at their sizes.",
      labelNames: ['source'],
      registers,
      collect() {
        this.reset();
        for (const s of sources()) if (s.followed) this.set({ source: s.name }, s.followed.bytesBehind);
      },
    });
    const ackTimers = this.ackTimers;
    for (const s of sources()) {
      if (s.type !== 'http') continue;
      const timer = new BucketTimer(1, ACK_DURATION_BUCKETS);
      ackTimers.set(s.name, timer);
      s.probes.ackTimer = timer;
    }
    this.registry.registerMetric(
      new CollectedHistogram(
        'sanctum_source_ack_duration_seconds',
        "Time from an HTTP request's arrival to its 200 answer (for a durable stream, after the commit).",
        ['source'],
        ACK_DURATION_BUCKETS,
        function* () {
          for (const [source, t] of ackTimers) yield [{ source }, t] as const;
        },
      ) as unknown as Metric,
    );
    new Counter({
      name: 'sanctum_sink_requests_total',
      help: 'Requests an HTTP sink made, by answer status, or `timeout` and `error` (no answer).',
      labelNames: ['sink', 'status'],
      registers,
      collect() {
        this.reset();
        for (const s of run.sinks ?? []) for (const [status, n] of s.stats?.requests ?? []) this.inc({ sink: s.name, status }, n);
      },
    });
    new Counter({
      name: 'sanctum_sink_retries_total',
      help: 'Requests an HTTP sink sent again after a passing failure (5xx, 408, 429, timeout, connection error).',
      labelNames: ['sink'],
      registers,
      collect() {
        this.reset();
        for (const s of run.sinks ?? []) if (s.stats) this.inc({ sink: s.name }, s.stats.retries);
      },
    });
    new Counter({
      name: 'sanctum_sink_dead_letters_total',
      help: 'Events a sink gave up on (a 4xx answer, retries used up): they went to dead letters.',
      labelNames: ['sink'],
      registers,
      collect() {
        this.reset();
        for (const s of run.sinks ?? []) if (s.stats) this.inc({ sink: s.name }, s.stats.deadLettered);
      },
    });
    new Counter({
      name: 'sanctum_reloads_total',
      help: 'Reloads (SIGHUP, --watch) by result: `ok` (the new spells run), `failed` (refused; the running version went on).',
      labelNames: ['result'],
      registers,
      collect() {
        this.reset();
        this.inc({ result: 'ok' }, run.reloads?.ok ?? 0);
        this.inc({ result: 'failed' }, run.reloads?.failed ?? 0);
      },
    });
    const connectors = () => run.connectors ?? [];
    new Gauge({
      name: 'sanctum_connector_connected',
      help: 'Whether the network source or sink (`source:NAME`, `sink:NAME`) is connected to its server (1) or not (0).',
      labelNames: ['connector', 'type'],
      registers,
      collect() {
        this.reset();
        for (const c of connectors()) this.set({ connector: c.name, type: c.type }, c.connected ? 1 : 0);
      },
    });
    new Counter({
      name: 'sanctum_connector_disconnects_total',
      help: 'Times the network source or sink lost its connection (it reconnects by itself).',
      labelNames: ['connector', 'type'],
      registers,
      collect() {
        this.reset();
        for (const c of connectors()) this.inc({ connector: c.name, type: c.type }, c.disconnects);
      },
    });
    new Counter({
      name: 'sanctum_connector_retries_total',
      help: 'Writes a network sink sent again because no acknowledgement came in time.',
      labelNames: ['connector', 'type'],
      registers,
      collect() {
        this.reset();
        for (const c of connectors()) this.inc({ connector: c.name, type: c.type }, c.retries);
      },
    });
    new Counter({
      name: 'sanctum_connector_dropped_total',
      help: 'Messages a network source dropped: `redelivered` (already committed or in flight: not lost) or `overflow` (core NATS while the run was behind: lost).',
      labelNames: ['connector', 'type', 'reason'],
      registers,
      collect() {
        this.reset();
        for (const c of connectors()) {
          this.inc({ connector: c.name, type: c.type, reason: 'redelivered' }, c.redeliveriesDropped);
          this.inc({ connector: c.name, type: c.type, reason: 'overflow' }, c.overflowDropped);
        }
      },
    });
    this.commitSeconds = new Histogram({
      name: 'sanctum_stream_commit_duration_seconds',
      help: 'Time a durable commit (one batch of events) to the stream took.',
      labelNames: ['stream'],
      buckets: [...COMMIT_DURATION_BUCKETS],
      registers,
    });
    this.commitBatch = new Histogram({
      name: 'sanctum_stream_commit_batch_size',
      help: 'Events per durable commit to the stream.',
      labelNames: ['stream'],
      buckets: [...COMMIT_BATCH_BUCKETS],
      registers,
    });
    this.lag = new Gauge({
      name: 'sanctum_consumer_lag_events',
      help: 'Events the consumer (a pipeline) has yet to read from the durable stream.',
      labelNames: ['consumer', 'stream'],
      registers,
    });

    const taps = options.taps;
    if (taps) {
      new Gauge({
        name: 'sanctum_tap_clients',
        help: 'Tap clients connected.',
        labelNames: ['target'],
        registers,
        collect() {
          this.reset();
          for (const t of taps()) this.set({ target: t.target }, t.clients);
        },
      });
      new Counter({
        name: 'sanctum_tap_events_sent_total',
        help: 'Events sent to tap clients.',
        labelNames: ['target'],
        registers,
        collect() {
          this.reset();
          for (const t of taps()) this.inc({ target: t.target }, t.sent);
        },
      });
      new Counter({
        name: 'sanctum_tap_events_dropped_total',
        help: 'Events dropped because a tap client could not keep up (the pipeline never waits for a tap).',
        labelNames: ['target'],
        registers,
        collect() {
          this.reset();
          for (const t of taps()) this.inc({ target: t.target }, t.dropped);
        },
      });
    }
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** A durable commit of `batchSize` events to `stream` took `seconds`: call once per commit. */
  recordCommit(stream: string, seconds: number, batchSize: number): void {
    this.commitSeconds.observe({ stream }, seconds);
    this.commitBatch.observe({ stream }, batchSize);
  }

  /** `consumer` is `events` behind the head of `stream`. */
  setLag(consumer: string, stream: string, events: number): void {
    this.lag.set({ consumer, stream }, events);
  }

  /** The exposition, in the Prometheus text format. */
  async text(): Promise<string> {
    // prom-client writes NaN as `Nan` (event loop lag before its first sample); the format says `NaN`.
    return (await this.registry.metrics()).replace(/ Nan$/gm, ' NaN');
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Stops timing casts (the counters cost nothing and stay). */
  detach(): void {
    for (const spell of this.run.spells.values()) {
      if (spell.probes.castTimer === this.timers.get(spell.name)) spell.probes.castTimer = undefined;
    }
    for (const source of this.run.sources ?? []) {
      if (source.probes.ackTimer === this.ackTimers.get(source.name)) source.probes.ackTimer = undefined;
    }
  }
}
