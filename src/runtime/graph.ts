/**
 * The energy-stream graph of a run: one RxJS Subject per stream, carrying batches of events. Readers
 * that do work (pipelines, sinks) hold bounded queues, and a producer waits while any reader of the
 * stream it writes is full: in-flight events are bounded end to end. A stream completes when every
 * producer that writes to it has completed, after its last batch was delivered.
 */
// rxjs's own modules, not its index: the index loads all of RxJS (≈230 files, ~65 ms of every start).
import { Observable } from 'rxjs/internal/Observable';
import { Subject } from 'rxjs/internal/Subject';
import type { Subscription } from 'rxjs';
import { DEAD_LETTERS, type EventValue } from '../core/event.js';
import type { Runeset } from '../runes/runeset.js';
import type { Flow, Task } from './flow.js';

/** Events carried together: a source's read chunk, a pipeline's outputs of one input batch. */
export type Batch = readonly EventValue[];

/** The dead-letters stream's name (core/event.ts); follow.ts and sources.ts still import it from here. */

/** Where writes to durable streams go: committed first, handed to the stream's readers after. */
export interface StreamAppender {
  /** Queues a batch for the stream; `deliver` is called with it once committed. */
  append(stream: string, batch: Batch): void;
  /** Events queued for `stream` and not yet committed. */
  pending(stream: string): number;
  /** Resolves once everything queued so far is committed (or failed). */
  settled(): Promise<void>;
}

/** A reader's queue: what it has been handed and not yet taken. */
export interface StreamReader {
  /** Events waiting in the queue. */
  readonly queued: number;
}

interface StreamNode {
  readonly name: string;
  readonly subject: Subject<Batch>;
  /** Producers that have not completed yet. */
  pending: number;
  /** No producer will write again (completion may still wait for commits). */
  closing: boolean;
  completed: boolean;
  /** Events delivered to the stream's readers (read by the metrics at scrape time). */
  appended: number;
  readonly readers: Set<StreamReader>;
  /** Producers waiting for the stream to have room. */
  waiters: (() => void)[];
}

export interface StreamGraphOptions {
  /** The flow that runs the graph's pipelines (completion is scheduled on it, after queued work). */
  readonly flow: Flow;
  /** Commits writes to durable streams; without it, every stream is in memory. */
  readonly appender?: StreamAppender;
  /** Events a reader may hold before its producers wait (default 8192). */
  readonly bound?: number;
}

/**
 * The wired graph. Subscribe to what you want to watch, then `start()` (which completes the streams
 * nobody writes to). `next` and `write` hand events in; `stream` watches one stream event by event.
 */
export class StreamGraph {
  private readonly nodes = new Map<string, StreamNode>();
  private readonly flow: Flow;
  private readonly appender: StreamAppender | undefined;
  private started = false;
  /** Events a reader may hold before its producers wait. */
  readonly bound: number;

  constructor(
    readonly runeset: Runeset,
    options: StreamGraphOptions,
  ) {
    this.flow = options.flow;
    this.appender = options.appender;
    this.bound = Math.max(1, options.bound ?? 8192);
    for (const name of Object.keys(runeset.streams)) {
      this.nodes.set(name, { name, subject: new Subject<Batch>(), pending: 0, closing: false, completed: false, appended: 0, readers: new Set(), waiters: [] });
    }
  }

  /** Dead letters written so far, by every pipeline and source, whatever stream they went to. */
  get deadLetters(): number {
    let n = this.node(DEAD_LETTERS).appended;
    const seen = new Set([DEAD_LETTERS]);
    for (const p of Object.values(this.runeset.pipelines)) {
      if (seen.has(p.dead_letters)) continue;
      seen.add(p.dead_letters);
      n += this.node(p.dead_letters).appended;
    }
    return n;
  }

  /** Names of every stream. */
  get streamNames(): string[] {
    return [...this.nodes.keys()];
  }

  /** True for a stream kept in the event log. */
  isDurable(stream: string): boolean {
    return this.appender !== undefined && this.runeset.streams[stream]?.durable === true;
  }

  /** The stream's events one by one, for sinks, taps, tests and user code. */
  stream(name: string): Observable<EventValue> {
    const subject = this.node(name).subject;
    return new Observable<EventValue>((subscriber) =>
      subject.subscribe({
        next: (batch) => {
          for (let i = 0; i < batch.length && !subscriber.closed; i++) subscriber.next(batch[i]!);
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => subscriber.complete(),
      }),
    );
  }

  /** The stream's batches, as delivered. */
  batches(name: string): Observable<Batch> {
    return this.node(name).subject.asObservable();
  }

  /** Writes one event into a stream (for producers outside the runeset: tests, user code). */
  next(stream: string, event: EventValue): void {
    this.write(stream, [event]);
  }

  /**
   * Writes a batch into a stream. An in-memory stream hands it to its readers now; a durable one
   * once it is committed. The batch must not be changed afterwards.
   */
  write(stream: string, batch: Batch): void {
    if (batch.length === 0) return;
    const node = this.node(stream);
    if (node.completed) return;
    if (this.isDurable(stream)) this.appender!.append(stream, batch);
    else this.deliver(stream, batch);
  }

  /** Hands a batch to the stream's readers now (durable streams: after its commit). */
  deliver(stream: string, batch: Batch): void {
    if (batch.length === 0) return;
    const node = this.node(stream);
    if (node.completed) return;
    node.appended += batch.length;
    node.subject.next(batch);
  }

  /** Events delivered to a stream so far. */
  appended(stream: string): number {
    return this.node(stream).appended;
  }

  // ---- producers and completion ----

  /** Registers one more producer of a stream; call `producerDone` when it ends. */
  addProducer(stream: string): void {
    const node = this.node(stream);
    if (node.closing) throw new Error(`stream '${stream}' has already completed`);
    node.pending++;
  }

  /** A producer ended: the stream completes when it was the last (after what it wrote is delivered). */
  producerDone(stream: string): void {
    const node = this.node(stream);
    if (node.closing) return;
    node.pending--;
    if (node.pending <= 0 && this.started) this.close(node);
  }

  /** True once no producer can write to the stream any more. */
  isDone(stream: string): boolean {
    return this.node(stream).closing;
  }

  /** True once the stream completed: no producer left, and (durable) everything written committed. */
  isCompleted(stream: string): boolean {
    return this.node(stream).completed;
  }

  /** Calls `then` when every one of the streams has completed (at once if they have). */
  whenCompleted(streams: readonly string[], then: () => void): void {
    let open = 0;
    for (const s of streams) {
      if (this.node(s).completed) continue;
      open++;
      this.node(s).subject.subscribe({
        complete: () => {
          if (--open === 0) then();
        },
      });
    }
    if (open === 0) then();
  }

  /** Completes every stream that has no producer left (or never had one). Idempotent. */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const node of this.nodes.values()) if (node.pending <= 0) this.close(node);
  }

  private close(node: StreamNode): void {
    if (node.closing) return;
    node.closing = true;
    const complete: Task = {
      run: () => {
        if (node.completed) return;
        node.completed = true;
        node.subject.complete();
        this.release(node);
      },
    };
    // Durable writes are delivered once committed: complete after them. Otherwise after the work
    // already queued on the flow, so a completion never overtakes a batch still on its way.
    if (this.isDurable(node.name)) void this.appender!.settled().then(() => this.flow.schedule(complete));
    else this.flow.schedule(complete);
  }

  // ---- readers and backpressure ----

  /** Registers a bounded reader of the stream (its queue counts against the stream's room). */
  addReader(stream: string, reader: StreamReader): void {
    this.node(stream).readers.add(reader);
  }

  removeReader(stream: string, reader: StreamReader): void {
    const node = this.node(stream);
    node.readers.delete(reader);
    this.release(node);
  }

  /** True while a reader of the stream holds `bound` events or more (or, durable, while commits lag that far). */
  isFull(stream: string): boolean {
    const node = this.node(stream);
    if (node.completed) return false;
    if (this.isDurable(stream) && this.appender!.pending(stream) >= this.bound) return true;
    for (const r of node.readers) if (r.queued >= this.bound) return true;
    return false;
  }

  /** Calls `resume` once every stream of `streams` has room (now, if they do). */
  whenRoom(streams: readonly string[], resume: () => void): void {
    for (const s of streams) {
      if (this.isFull(s)) {
        this.node(s).waiters.push(() => this.whenRoom(streams, resume));
        return;
      }
    }
    resume();
  }

  /** Resolves once the stream has room. */
  room(stream: string): Promise<void> {
    if (!this.isFull(stream)) return Promise.resolve();
    return new Promise((resolve) => this.whenRoom([stream], resolve));
  }

  /** A reader of these streams took events (or left): wake their waiting producers if there is room. */
  relieved(streams: readonly string[]): void {
    for (const s of streams) {
      const node = this.node(s);
      if (node.waiters.length && !this.isFull(s)) this.release(node);
    }
  }

  private release(node: StreamNode): void {
    if (node.waiters.length === 0) return;
    const waiters = node.waiters;
    node.waiters = [];
    for (const w of waiters) w();
  }

  private node(name: string): StreamNode {
    const node = this.nodes.get(name);
    if (!node) throw new Error(`no stream named '${name}'`);
    return node;
  }
}

/**
 * A reader's queue over one or more streams (merged in arrival order): pipelines take batches from
 * it. It tells its owner when there is something to take or the streams ended, and the graph when
 * it has room again.
 */
export class StreamQueue implements StreamReader {
  private batches: Batch[] = [];
  /** The stream of each queued batch (parallel to `batches`). */
  private from: string[] = [];
  private head = 0;
  private offset = 0;
  queued = 0;
  private open: number;
  private readonly subscriptions: Subscription[] = [];
  private readonly low: number;
  /** The stream the last `take` read from. */
  lastStream: string | undefined;

  constructor(
    private readonly graph: StreamGraph,
    readonly streams: readonly string[],
    /** Called when events arrive or the streams end. */
    private readonly wake: () => void,
  ) {
    this.open = streams.length;
    this.low = Math.floor(graph.bound / 2);
    for (const s of streams) {
      graph.addReader(s, this);
      this.subscriptions.push(
        graph.batches(s).subscribe({
          next: (batch) => {
            this.batches.push(batch);
            this.from.push(s);
            this.queued += batch.length;
            this.wake();
          },
          complete: () => {
            this.open--;
            if (this.open === 0) this.wake();
          },
        }),
      );
    }
  }

  /** True once every stream completed and everything was taken. */
  get ended(): boolean {
    return this.open === 0 && this.queued === 0;
  }

  /**
   * Up to `max` events, all from one stream (`lastStream` says which), whole batches when they fit;
   * undefined when none waits.
   */
  take(max: number): EventValue[] | undefined {
    if (this.queued === 0) return undefined;
    const before = this.queued;
    const stream = this.from[this.head]!;
    let out: EventValue[] | undefined;
    // A whole batch is handed on as it is (no copy); it is shared with other readers, so it is
    // copied before anything is added to it.
    let borrowed = false;
    while (this.head < this.batches.length && this.from[this.head] === stream) {
      const b = this.batches[this.head]!;
      const room = out === undefined ? max : max - out.length;
      if (room <= 0) break;
      const n = Math.min(room, b.length - this.offset);
      if (out === undefined && this.offset === 0 && n === b.length) {
        out = b as EventValue[];
        borrowed = true;
      } else {
        if (out === undefined) out = [];
        else if (borrowed) {
          out = out.slice();
          borrowed = false;
        }
        for (let i = 0; i < n; i++) out.push(b[this.offset + i]!);
      }
      this.offset += n;
      if (this.offset === b.length) {
        this.head++;
        this.offset = 0;
      }
    }
    this.queued -= out!.length;
    this.lastStream = stream;
    if (this.head > 64 && this.head * 2 > this.batches.length) {
      this.batches = this.batches.slice(this.head);
      this.from = this.from.slice(this.head);
      this.head = 0;
    }
    if (before >= this.low && this.queued < this.low) this.graph.relieved(this.streams);
    return out;
  }

  /** Puts events taken from `stream` back at the head of the queue (they were not cast). */
  putBack(stream: string, events: readonly EventValue[]): void {
    if (events.length === 0) return;
    if (this.head > 0 && this.offset === 0) {
      this.head--;
      this.batches[this.head] = events;
      this.from[this.head] = stream;
    } else {
      this.batches.splice(this.head, 0, events);
      this.from.splice(this.head, 0, stream);
      if (this.offset > 0) {
        // The batch at the head was partly taken: what is left of it stays after the events put back.
        const partial = this.batches[this.head + 1]!;
        this.batches[this.head + 1] = partial.slice(this.offset);
        this.offset = 0;
      }
    }
    this.queued += events.length;
  }

  /** Stops reading: unsubscribes and leaves the streams' readers (queued events are dropped). */
  close(): void {
    for (const s of this.subscriptions) s.unsubscribe();
    this.subscriptions.length = 0;
    this.batches = [];
    this.from = [];
    this.head = 0;
    this.offset = 0;
    this.queued = 0;
    for (const s of this.streams) this.graph.removeReader(s, this);
  }
}
