/**
 * Durable energy streams in a run, over the asynchronous log port: writes are group-committed and
 * only then handed to the stream's readers (DurableAppender); a pipeline over durable streams reads
 * its batches from the log after its committed position (LogInput) and commits its position, state
 * changes and durable outputs in one unit (durableCommitter) — exactly-once on one node.
 */
import { SanctumError } from '../core/errors.js';
import type { EventValue } from '../core/event.js';
import type { LogPort } from '../core/log-port.js';
import type { AppendItem, CommitResult, ConsumerPosition, StreamAppend } from '../core/storage.js';
import type { DurableMetrics } from '../core/metrics.js';
import type { Runeset } from '../runes/runeset.js';
import type { Batch, StreamAppender, StreamGraph } from './graph.js';
import type { Committer, ConsumerInput, InputBatch } from './consumer.js';
import type { Outputs } from './pipeline.js';
import type { SpellChanges } from './state-library.js';

/** The state namespace of a spell in a runeset: its name. */
export function stateNamespace(spellName: string): string {
  return spellName;
}

/** The key stored with an event of `stream`: its key field, as a string (or null). */
export function eventKey(runeset: Runeset, stream: string, event: EventValue): string | null {
  const field = runeset.streams[stream]?.key;
  return keyOf(event, field);
}

/** The value of `field` in an object event, as a string key; null when absent (or not an object). */
export function keyOf(event: EventValue, field: string | undefined): string | null {
  if (field === undefined || event === null || typeof event !== 'object' || Array.isArray(event)) return null;
  const v = (event as Record<string, EventValue>)[field];
  return v === undefined || v === null ? null : typeof v === 'string' ? v : JSON.stringify(v);
}

/**
 * Turns events into the appends of one stream (with their keys). `texts`, when given, holds each
 * event's JSON text as it was read (the line it was parsed from): stored as it is, not encoded again.
 */
export function appendOf(runeset: Runeset, stream: string, events: readonly EventValue[], texts?: readonly (string | undefined)[]): StreamAppend {
  const field = runeset.streams[stream]?.key;
  const own = texts?.length === events.length ? texts : undefined; // one text per event, or none used
  const items: AppendItem[] = new Array(events.length);
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    const key = keyOf(event, field);
    const json = own?.[i];
    items[i] = json === undefined ? { event, key } : { event, key, json };
  }
  return { stream, items };
}

/**
 * A source's write into a stream: its events and, when the source has them, their JSON texts as
 * read (one per event, see `appendOf`).
 */
export type SourceWrite = readonly [stream: string, events: Batch, texts?: readonly (string | undefined)[]];

export interface AppenderOptions {
  /** Commit at once when this many events wait (else at the end of this turn of the event loop). */
  readonly batchSize: number;
  /** Hands committed events to the stream's readers. */
  readonly deliver: (stream: string, batch: Batch) => void;
  readonly metrics: () => DurableMetrics;
  /** A commit failed: fatal for the run. */
  readonly onFatal: (error: unknown) => void;
}

/**
 * Group commit of the writes to durable streams made by sources and in-memory pipelines: batches
 * queued within one turn of the event loop (or until `batchSize` events wait) commit in one unit,
 * in order, then go to the streams' readers.
 */
export class DurableAppender implements StreamAppender {
  private buffers = new Map<string, Batch[]>();
  private queued = 0;
  private readonly inFlight = new Map<string, number>();
  private chain: Promise<void> = Promise.resolve();
  private scheduled: NodeJS.Immediate | undefined;
  private failed: unknown;

  constructor(
    private readonly port: LogPort,
    private readonly runeset: Runeset,
    private readonly options: AppenderOptions,
  ) {}

  append(stream: string, batch: Batch): void {
    if (this.failed !== undefined) return;
    let list = this.buffers.get(stream);
    if (list === undefined) this.buffers.set(stream, (list = []));
    list.push(batch);
    this.queued += batch.length;
    this.inFlight.set(stream, (this.inFlight.get(stream) ?? 0) + batch.length);
    if (this.queued >= this.options.batchSize) this.flush();
    else this.scheduled ??= setImmediate(() => this.flush());
  }

  pending(stream: string): number {
    return this.inFlight.get(stream) ?? 0;
  }

  settled(): Promise<void> {
    this.flush();
    return this.chain;
  }

  /** Commits what is queued now (after the commits before it). */
  flush(): void {
    if (this.scheduled !== undefined) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
    if (this.buffers.size === 0) return;
    const buffers = this.buffers;
    this.buffers = new Map();
    this.queued = 0;
    const appends: StreamAppend[] = [];
    const batches: [string, Batch][] = [];
    for (const [stream, list] of buffers) {
      const events: EventValue[] = list.length === 1 ? (list[0] as EventValue[]) : list.flat();
      appends.push(appendOf(this.runeset, stream, events));
      batches.push([stream, events]);
    }
    void this.enqueue(
      appends,
      undefined,
      () => {
        for (const [stream, events] of batches) this.options.deliver(stream, events);
      },
      batches,
    ).catch(() => {}); // a failure is fatal for the run: onFatal has it
  }

  /**
   * Commits a source's batch — with the source's input position when it has one, and the dead
   * letters of its unreadable input when `dead-letters` is durable — in one unit, after the commits
   * queued before. Resolves once committed and handed on, with the sequence numbers given (one entry
   * per non-empty write, in order): an HTTP source acknowledges with them. Rejects (and fails the
   * run) when the commit failed: then nothing of it is stored.
   */
  commitSource(position: ConsumerPosition | undefined, writes: readonly SourceWrite[]): Promise<CommitResult> {
    this.flush();
    const appends = writes.filter(([, b]) => b.length > 0).map(([s, b, texts]) => appendOf(this.runeset, s, b, texts));
    for (const [s, b] of writes) this.inFlight.set(s, (this.inFlight.get(s) ?? 0) + b.length);
    return this.enqueue(
      appends,
      position,
      () => {
        for (const [stream, events] of writes) this.options.deliver(stream, events);
      },
      writes,
    );
  }

  private enqueue(appends: StreamAppend[], position: ConsumerPosition | undefined, handOn: () => void, counted: readonly SourceWrite[]): Promise<CommitResult> {
    const run = async (): Promise<CommitResult> => {
      if (this.failed !== undefined) throw this.failed;
      const started = performance.now();
      let result: CommitResult;
      try {
        result = await this.port.commit({ ...(position ? { consumer: position } : {}), appends });
      } catch (e) {
        this.failed ??= e;
        this.options.onFatal(e);
        throw e;
      } finally {
        for (const [s, b] of counted) this.inFlight.set(s, (this.inFlight.get(s) ?? 0) - b.length);
      }
      const seconds = (performance.now() - started) / 1000;
      const metrics = this.options.metrics();
      for (const a of appends) metrics.recordCommit(a.stream, seconds, a.items.length);
      handOn();
      return result;
    };
    const result = this.chain.then(run);
    this.chain = result.then(
      () => {},
      () => {},
    );
    return result;
  }
}

export interface LogInputOptions {
  /** The consumer's name in the offsets (`pipeline:<name>`). */
  readonly consumer: string;
  readonly streams: readonly string[];
  /** True once the run is ending: caught up then means done. */
  readonly ending: () => boolean;
  /** Aborted: stop after the batch in flight. */
  readonly signal: AbortSignal;
  readonly metrics: () => DurableMetrics;
  /** A read failed: fatal. */
  readonly onFatal: (error: unknown) => void;
  /**
   * Hand batches on with their stored JSON text (`json`) and decode the events only when asked
   * (a sink whose destination writes the text as it is never decodes them). Default false: decoded
   * as read, so a damaged row fails the read.
   */
  readonly lazy?: boolean;
}

/**
 * A consumer's input from durable streams: batches read from the log after the consumer's committed
 * position, one stream at a time in turn; when caught up it waits for appends (from this process at
 * once, from others within the port's poll) until the run ends.
 */
export class LogInput implements ConsumerInput {
  private ready: InputBatch | undefined;
  private fetching = false;
  private done = false;
  private positions: Map<string, number> | undefined;
  private turn = 0;
  private waitAbort: AbortController | undefined;
  private max = 1000;

  constructor(
    private readonly port: LogPort,
    private readonly options: LogInputOptions,
    private readonly wake: () => void,
  ) {
    options.signal.addEventListener('abort', () => this.nudge(), { once: true });
  }

  get ended(): boolean {
    return this.done && this.ready === undefined;
  }

  take(max: number): InputBatch | undefined {
    this.max = max;
    const b = this.ready;
    if (b !== undefined) {
      this.ready = undefined;
      return b;
    }
    if (!this.fetching && !this.done) void this.fetch();
    return undefined;
  }

  putBack(rest: InputBatch): void {
    this.ready = rest;
  }

  /** Events of its streams after its committed position: read but not yet done with, or not yet read (for readiness). */
  async lag(): Promise<number> {
    let behind = 0;
    for (const s of this.options.streams) behind += Math.max(0, (await this.port.lastSeq(s)) - (await this.port.position(this.options.consumer, s)));
    return behind;
  }

  /** Something changed (the run is ending, or was aborted): stop waiting and look again. */
  nudge(): void {
    this.waitAbort?.abort();
  }

  close(): void {
    this.done = true;
    this.ready = undefined;
    this.nudge();
  }

  private async fetch(): Promise<void> {
    this.fetching = true;
    const { consumer, streams } = this.options;
    try {
      if (this.positions === undefined) {
        const positions = new Map<string, number>();
        for (const s of streams) positions.set(s, await this.port.position(consumer, s));
        this.positions = positions;
      }
      const positions = this.positions;
      for (;;) {
        // A local log answers at once: the reads and commits of a backlog would chain as
        // microtasks and starve the event loop (signals, timers, the metrics server). Let it run.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.done) return;
        if (this.options.signal.aborted) break;
        for (let k = 0; k < streams.length; k++) {
          const stream = streams[(this.turn + k) % streams.length]!;
          const from = positions.get(stream)! + 1;
          const stored = await this.port.readJson(stream, from, this.max);
          const json = stored.json;
          if (json.length === 0) continue;
          this.turn = (this.turn + k + 1) % streams.length;
          const seqs = new Array<number>(json.length);
          for (let i = 0; i < json.length; i++) seqs[i] = stored.first + i; // seqs are contiguous
          const last = seqs[seqs.length - 1]!;
          positions.set(stream, last);
          this.options.metrics().setLag(consumer, stream, Math.max(0, (await this.port.lastSeq(stream)) - last));
          if (this.done) return;
          const origin = { stream, seqs };
          // `expected` fences the consumer: if another process moved its position, the commit fails.
          const position = { name: consumer, stream, seq: last, expected: from - 1 };
          if (this.options.lazy) {
            let events: EventValue[] | undefined;
            this.ready = {
              json,
              get events() {
                return (events ??= decodeStored(stream, stored.first, json));
              },
              origin,
              position,
            };
          } else this.ready = { events: decodeStored(stream, stored.first, json), origin, position };
          return;
        }
        if (this.options.ending()) break;
        this.waitAbort = new AbortController();
        const signal = this.waitAbort.signal;
        await Promise.race(streams.map((s) => this.port.waitForAppend(s, positions.get(s)!, signal)));
        this.waitAbort.abort();
        this.waitAbort = undefined;
      }
      this.done = true;
    } catch (e) {
      this.done = true;
      this.options.onFatal(e);
    } finally {
      this.fetching = false;
      this.wake();
    }
  }
}

/** Stored events' JSON text as events; a row that is not JSON is damage (STORAGE_CORRUPT, naming its seq). */
function decodeStored(stream: string, first: number, json: readonly string[]): EventValue[] {
  const events = new Array<EventValue>(json.length);
  for (let i = 0; i < json.length; i++) {
    try {
      events[i] = JSON.parse(json[i]!) as EventValue;
    } catch (e) {
      throw new SanctumError('STORAGE_CORRUPT', `the data file is damaged: event ${first + i} of stream '${stream}' is not valid JSON`, { cause: e });
    }
  }
  return events;
}

/**
 * Commits of a pipeline over durable streams: position, state, timers and durable outputs in one
 * unit, then the rest. A commit resolves once its batch is written (the next batch may cast on its
 * state) and hands its outputs on once it is on disk; the next commit waits for that hand-on, so
 * one batch at most is on its way to disk while the next one casts, and outputs go on in order.
 * A batch the disk refused is fatal (`onFatal`), and fails the commit after it and `settled`.
 */
export function durableCommitter(
  port: LogPort,
  graph: StreamGraph,
  runeset: Runeset,
  metrics: () => DurableMetrics,
  onFatal: (error: unknown) => void,
  onCommit?: (position: ConsumerPosition) => void,
): Committer {
  let previous: Promise<void> = Promise.resolve();
  const handOn = (out: Outputs) => {
    for (const [stream, events] of out) {
      if (graph.isDurable(stream)) graph.deliver(stream, events);
      else graph.write(stream, events);
    }
  };
  const commit = async (position: ConsumerPosition | undefined, { state, timers }: SpellChanges, out: Outputs): Promise<void> => {
    await previous;
    const appends: StreamAppend[] = [];
    for (const [stream, events] of out) if (graph.isDurable(stream)) appends.push(appendOf(runeset, stream, events));
    if (position === undefined && state.length === 0 && timers.length === 0 && appends.length === 0) {
      handOn(out);
      return;
    }
    const started = performance.now();
    const staged = port.stage({ ...(position ? { consumer: position } : {}), state, ...(timers.length > 0 ? { timers } : {}), appends });
    previous = staged.durable.then(() => {
      const seconds = (performance.now() - started) / 1000;
      const m = metrics();
      for (const a of appends) m.recordCommit(a.stream, seconds, a.items.length);
      if (position) onCommit?.(position);
      handOn(out);
    });
    // Reported at once (the pipeline may have no next batch to fail on); the next commit and `settled` reject too.
    previous.catch(onFatal);
    await staged.applied;
  };
  return { commit, settled: () => previous };
}
