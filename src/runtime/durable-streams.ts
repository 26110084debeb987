/**
 * Durable energy streams in a running graph: writes to them are group-committed to the event log
 * and only then handed to the stream's in-memory readers; pipelines that read them run as
 * exactly-once consumers (DurablePipeline) in a loop of their own.
 */
import type { EventValue } from '../core/event.js';
import type { Storage } from '../core/storage.js';
import { SanctumError } from '../core/errors.js';
import { NO_DURABLE_METRICS, type DurableMetrics } from '../core/metrics.js';
import type { Spell } from '../spellcraft/spell.js';
import type { Runeset, RunesetPipeline } from '../runes/runeset.js';
import { DurablePipeline, type DurableOptions } from './durable.js';
import { pipelineOutputs, type StreamGraph } from './graph.js';

/** Options of the durable side of a run. */
export interface DurableRunOptions extends DurableOptions {
  /** How long an idle consumer waits before looking at the log again (another process may append). */
  readonly pollMs?: number;
}

export class DurableStreams {
  private readonly buffers = new Map<string, EventValue[]>();
  private flushScheduled = false;
  private readonly waiters = new Set<() => void>();
  readonly pipelines: DurablePipeline[] = [];
  /** Where commit latency, batch sizes and lag go (the observatory sets it). */
  metrics: DurableMetrics = NO_DURABLE_METRICS;
  /** Commit failures (fatal for the run: it stops, and a restart resumes from the last commit). */
  readonly failures: { pipeline: string; error: unknown }[] = [];

  constructor(
    readonly storage: Storage,
    readonly runeset: Runeset,
    private readonly graph: StreamGraph,
    private readonly options: DurableRunOptions = {},
  ) {}

  isDurable(stream: string): boolean {
    return this.runeset.streams[stream]?.durable === true;
  }

  /** True when every stream the pipeline reads is durable: it runs as an exactly-once consumer. */
  isDurablePipeline(p: RunesetPipeline): boolean {
    return p.from.every((s) => this.isDurable(s));
  }

  /** Queues an event for a durable stream; it is committed at the end of this turn of the event loop. */
  write(stream: string, event: EventValue): void {
    let buf = this.buffers.get(stream);
    if (!buf) this.buffers.set(stream, (buf = []));
    buf.push(event);
    if (buf.length >= this.runeset.sanctum.batch_size) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Commits every queued write in one transaction, then hands the events to the streams' readers. */
  flush(): void {
    this.flushScheduled = false;
    if (this.buffers.size === 0) return;
    const appends = [...this.buffers].map(([stream, events]) => ({ stream, items: events.map((event) => ({ event, key: this.keyOf(stream, event) })) }));
    this.buffers.clear();
    const started = performance.now();
    this.storage.commitBatch({ appends });
    const seconds = (performance.now() - started) / 1000;
    for (const a of appends) {
      this.metrics.recordCommit(a.stream, seconds, a.items.length);
      this.committed(a.stream, a.items.map((i) => i.event));
    }
  }

  /** Appends a source's batch and its input position in one transaction (exactly-once ingestion). */
  appendFromSource(source: string, input: string, position: number, stream: string, events: readonly EventValue[], expected?: number): void {
    const started = performance.now();
    this.storage.commitBatch({
      // `expected`: another process reading the same source at once fails with STORAGE_CONFLICT.
      consumer: { name: `source:${source}`, stream: input, seq: position, ...(expected !== undefined ? { expected } : {}) },
      appends: events.length ? [{ stream, items: events.map((event) => ({ event, key: this.keyOf(stream, event) })) }] : [],
    });
    if (events.length) this.metrics.recordCommit(stream, (performance.now() - started) / 1000, events.length);
    this.committed(stream, events);
  }

  /** Where a source got to in an input, by an earlier run (0: from the start). */
  sourcePosition(source: string, input: string): number {
    return this.storage.offsets.get(`source:${source}`, input);
  }

  private keyOf(stream: string, event: EventValue): string | null {
    const field = this.runeset.streams[stream]?.key;
    if (field === undefined || event === null || typeof event !== 'object' || Array.isArray(event)) return null;
    const v = (event as Record<string, EventValue>)[field];
    return v === undefined || v === null ? null : typeof v === 'string' ? v : JSON.stringify(v);
  }

  /** Events are durable: readers in this process see them, waiting consumers wake up. */
  private committed(stream: string, events: readonly EventValue[]): void {
    for (const e of events) this.graph.deliver(stream, e);
    this.wake();
    if (Date.now() - this.lastRetain > 5000) this.retain();
  }

  private wake(): void {
    const ws = [...this.waiters];
    this.waiters.clear();
    for (const w of ws) w();
  }

  private lastRetain = 0;

  /** Applies each durable stream's retention (at start, at the end, and every few seconds of a run). */
  retain(): void {
    this.lastRetain = Date.now();
    for (const s of Object.values(this.runeset.streams)) {
      if (!s.durable || !s.retention) continue;
      this.storage.log.retain(s.name, {
        ...(s.retention.maxEvents !== undefined ? { maxCount: s.retention.maxEvents } : {}),
        ...(s.retention.maxAgeMs !== undefined ? { maxAgeMs: s.retention.maxAgeMs } : {}),
      });
    }
  }

  /** Sets up the exactly-once consumers (their `init` runs now). */
  openPipelines(spells: ReadonlyMap<string, Spell>): void {
    const indexes = new Map(Object.values(this.runeset.spells).map((s) => [s.name, s.state.indexes] as const));
    for (const p of Object.values(this.runeset.pipelines)) {
      if (!this.isDurablePipeline(p)) continue;
      const dp = new DurablePipeline(
        this.storage,
        p,
        spells,
        indexes,
        {
          isDurable: (s) => this.isDurable(s),
          emit: (s, e) => (this.isDurable(s) ? this.write(s, e) : this.graph.next(s, e)),
          appended: (s, events) => this.committed(s, events),
        },
        {
          batchSize: this.runeset.sanctum.batch_size,
          ...this.options,
          // Read when called: the observatory may set `metrics` and the log `onDeadLetter` later.
          metrics: {
            recordCommit: (s, sec, n) => this.metrics.recordCommit(s, sec, n),
            setLag: (c, s, n) => this.metrics.setLag(c, s, n),
          },
          onDeadLetter: (dl, pipeline, stream, seq) => {
            this.graph.deadLetters++;
            this.graph.onDeadLetter?.(dl, pipeline, stream, seq);
          },
        },
      );
      this.pipelines.push(dp);
    }
  }

  /**
   * Runs one consumer until its input ends (every producer of its streams done, and the log read to
   * the end), then its `finish`. Resolves when it is done; a failed commit stops it.
   */
  async runPipeline(dp: DurablePipeline, inputDone: (stream: string) => boolean, signal: AbortSignal): Promise<void> {
    const p = dp.pipeline;
    try {
      dp.init();
      for (;;) {
        let progressed = false;
        for (const s of p.from) {
          if (dp.step(s) > 0) progressed = true;
        }
        if (progressed) {
          await new Promise<void>((r) => setImmediate(r)); // let sources and sinks move
          continue;
        }
        const ended = p.from.every((s) => inputDone(s) && dp.position(s) >= this.storage.log.lastSeq(s));
        if (ended || signal.aborted) break;
        await this.idle(signal);
      }
      dp.finish();
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      this.failures.push({ pipeline: p.name, error: new SanctumError('PIPELINE_STOPPED', `pipeline '${p.name}' stopped: ${why}`, { cause: error }) });
    } finally {
      dp.close();
      for (const s of pipelineOutputs(p)) this.graph.producerDone(s);
    }
  }

  private idle(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, this.options.pollMs ?? 100);
      signal.addEventListener('abort', done, { once: true });
      this.waiters.add(done);
    });
  }

  /** Wakes idle consumers (a stream's producers are done: they may be able to finish). */
  nudge(): void {
    this.wake();
  }
}
