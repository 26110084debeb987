/**
 * The consumer loop — one loop for every pipeline: in memory, over durable streams, and replay. It
 * takes a batch from its input, casts it through the pipeline's steps, commits what the batch did
 * (input position, state changes, outputs to durable streams — one unit), then hands the outputs
 * on, and waits while the streams it writes have no room. What differs between the paths is
 * injected: where batches come from (a stream queue, a durable log) and how a batch commits.
 * It runs on the flow (no recursion) and stays synchronous while its input and its commits are, so
 * in-memory pipelines run in virtual time under marble tests; a durable input or commit is awaited.
 * Between batches it runs the ticks and timers that are due on its clock (they commit like a
 * batch), and while its input is idle the clock wakes it when the next one is due.
 */
import type { EventValue } from '../core/event.js';
import type { ConsumerPosition } from '../core/storage.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { SanctumError } from '../core/errors.js';
import type { Flow, Task } from './flow.js';
import type { StreamGraph } from './graph.js';
import type { BatchOrigin, CastResult, Outputs, PipelineCore, PipelineStep } from './pipeline.js';
import type { SpellChanges } from './state-library.js';

/** A batch an input hands to its consumer. */
export interface InputBatch {
  readonly events: readonly EventValue[];
  /** The events' stored JSON text (durable inputs): `json[i]` is `events[i]` as `JSON.stringify` wrote it. */
  readonly json?: readonly string[];
  /** Where the events were read (durable inputs): for dead letters. */
  readonly origin?: BatchOrigin;
  /** The position this batch moves the consumer to (durable inputs). */
  readonly position?: ConsumerPosition;
}

/** Where a consumer's batches come from. */
export interface ConsumerInput {
  /** A batch of at most `max` events ready now, or undefined: the input calls its `wake` when one is, or when it ended. */
  take(max: number): InputBatch | undefined;
  /** True once no batch will come any more. */
  readonly ended: boolean;
  /** Hands back the tail of the last batch taken (not cast): it is the next batch taken. */
  putBack(rest: InputBatch): void;
  /** Stops reading (idempotent). */
  close(): void;
}

/** How a batch's effects are made durable and handed on. */
export interface Committer {
  /**
   * Commits the batch's position (if any), its state and timer changes and its outputs to durable
   * streams in one unit, then hands every output on. Synchronous when the store is; a rejection is
   * fatal for the run (nothing of the batch was committed; a restart resumes from the last commit).
   */
  commit(position: ConsumerPosition | undefined, changes: SpellChanges, out: Outputs): void | Promise<void>;
  /**
   * Resolves once every batch committed so far is on disk and handed on (a committer that resolves
   * `commit` before that); rejects when one of them failed. The consumer ends only after it.
   */
  settled?(): Promise<void>;
}

export interface ConsumerOptions {
  /** Events per batch (1 when a step's policy is `stop`, so it halts exactly at the failing event). */
  readonly batchSize: number;
  /** The pipeline stopped on an error (a `stop` policy): its failure. */
  readonly onStopped: (error: SanctumError) => void;
  /** A commit failed, or a bug: fatal for the run. */
  readonly onFatal: (error: unknown) => void;
  /** The clock ticks and timers run on (default: the wall clock). */
  readonly clock?: Clock;
}

/** Runs a pipeline: consumer loop, as a task of the flow. */
export class Consumer implements Task {
  private readonly input: ConsumerInput;
  private phase: 'idle' | 'running' | 'committing' | 'done' = 'idle';
  private resolveDone!: () => void;
  /** Resolves once the pipeline has finished (or stopped, or failed) and let go of its outputs. */
  readonly done: Promise<void> = new Promise((resolve) => (this.resolveDone = resolve));
  /** Events taken from the input and cast. */
  cast = 0;
  private readonly clock: Clock;
  /** Cancels the clock's pending wake-up, and the instant it is for. */
  private cancelWake: (() => void) | undefined;
  private wakeAt = Infinity;
  /** The final tick of a graceful stop has run. */
  private finalTicked = false;
  /** Steps a reload handed over, swapped in before the next batch. */
  private pendingSwap: { readonly steps: readonly PipelineStep[]; readonly settle: (swapped: boolean) => void } | undefined;

  constructor(
    private readonly core: PipelineCore,
    input: (wake: () => void) => ConsumerInput,
    private readonly committer: Committer,
    private readonly graph: StreamGraph,
    private readonly flow: Flow,
    private readonly options: ConsumerOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    for (const s of core.outputs) graph.addProducer(s);
    this.input = input(() => {
      if (this.phase === 'running') this.flow.schedule(this);
    });
  }

  get name(): string {
    return this.core.pipeline.name;
  }

  /** The pipeline's steps as they are now. */
  get steps(): readonly PipelineStep[] {
    return this.core.currentSteps;
  }

  /** True once the pipeline has ended (finished, stopped or failed). */
  get ended(): boolean {
    return this.phase === 'done';
  }

  /**
   * Swaps the pipeline's steps between two batches (a reload): never in the middle of a cast or a
   * commit. Resolves true once swapped; false when the pipeline ended first (the new steps' casters
   * are closed then).
   */
  swap(steps: readonly PipelineStep[]): Promise<boolean> {
    if (this.phase === 'done') {
      for (const s of steps) s.caster.close();
      return Promise.resolve(false);
    }
    this.dropSwap();
    return new Promise((settle) => {
      this.pendingSwap = { steps, settle };
      if (this.phase === 'running') this.flow.schedule(this);
    });
  }

  private applySwap(): void {
    const swap = this.pendingSwap;
    if (swap === undefined) return;
    this.pendingSwap = undefined;
    this.core.swapSteps(swap.steps);
    swap.settle(true);
  }

  private dropSwap(): void {
    const swap = this.pendingSwap;
    if (swap === undefined) return;
    this.pendingSwap = undefined;
    for (const s of swap.steps) s.caster.close();
    swap.settle(false);
  }

  /** Runs the steps' `init` (committing what it dead-letters), then starts consuming. */
  start(): void {
    if (this.phase !== 'idle') return;
    this.phase = 'running';
    if (
      this.apply(
        () => undefined,
        () => this.core.init(),
        () => this.flow.schedule(this),
      )
    )
      this.flow.schedule(this);
  }

  run(): void {
    if (this.phase !== 'running') return;
    this.applySwap();
    const max = this.core.oneByOne ? 1 : this.options.batchSize;
    const timed = this.core.timed;
    for (let slice = 0; slice < 16; slice++) {
      if (!this.hasRoom()) return;
      if (timed) {
        // Ticks and timers due now run before the next batch, and commit like one.
        const now = this.clock.now();
        if (this.core.dueAt(now)) {
          if (
            !this.apply(
              () => undefined,
              () => this.core.fire(now, max),
              () => this.flow.schedule(this),
            )
          )
            return;
          continue;
        }
      }
      const batch = this.input.take(max);
      if (batch === undefined) {
        if (this.input.ended) this.finish();
        else if (timed) this.armWake();
        return;
      }
      let position = batch.position;
      const sync = this.apply(
        () => position,
        () => {
          const r = this.core.process(batch.events, batch.origin);
          const consumed = r.consumed ?? batch.events.length;
          this.cast += consumed;
          // Cut by the output bound: commit the prefix; the rest is the next batch.
          if (consumed < batch.events.length && !r.stopped) {
            const [head, rest] = split(batch, consumed);
            position = head.position;
            this.input.putBack(rest);
          }
          return r;
        },
        () => this.flow.schedule(this),
      );
      if (!sync) return;
    }
    this.flow.schedule(this); // more may wait: to the back of the line, so others get a turn
  }

  /** Asks the clock to wake the consumer when its next tick or timer is due (its input is idle). */
  private armWake(): void {
    const at = this.core.nextDue() ?? Infinity;
    if (at === this.wakeAt) return;
    this.cancelWake?.();
    this.cancelWake = undefined;
    this.wakeAt = at;
    if (at === Infinity) return;
    this.cancelWake = this.clock.wakeAt(at, () => {
      this.cancelWake = undefined;
      this.wakeAt = Infinity;
      this.flow.schedule(this);
    });
  }

  /** True when every stream it writes has room; otherwise it is woken when they do. */
  private hasRoom(): boolean {
    const outputs = this.core.outputs;
    for (const s of outputs) {
      if (this.graph.isFull(s)) {
        this.graph.whenRoom(outputs, () => this.flow.schedule(this));
        return false;
      }
    }
    return true;
  }

  /**
   * Casts (through `cast`), commits and hands on. Returns true when all of it happened now; false when
   * a commit is awaited (then `next` runs after it) or the pipeline ended.
   */
  private apply(position: () => ConsumerPosition | undefined, cast: () => CastResult, next: () => void): boolean {
    let result: CastResult;
    try {
      result = cast();
    } catch (e) {
      this.fatal(e);
      return false;
    }
    if (result.stopped) {
      // Halt at the failing event: nothing of its batch (one event) commits or goes on.
      this.core.discardState();
      this.options.onStopped(result.stopped);
      this.endSettled();
      return false;
    }
    let pending: void | Promise<void>;
    try {
      pending = this.committer.commit(position(), this.core.takeChanges(), result.out);
    } catch (e) {
      this.fatal(e);
      return false;
    }
    if (pending === undefined) return true;
    this.phase = 'committing';
    pending.then(
      () => {
        if (this.phase !== 'committing') return;
        this.phase = 'running';
        next();
      },
      (e: unknown) => this.fatal(e),
    );
    return false;
  }

  /**
   * The input ended (or the run stops gracefully): every tick runs once more and the timers due
   * now fire, then `finish`. Timers set for later stay pending (durable: for the next run).
   */
  private finish(): void {
    if (this.core.timed) {
      const max = this.core.oneByOne ? 1 : this.options.batchSize;
      for (;;) {
        if (this.phase !== 'running') return;
        const now = this.clock.now();
        const final = !this.finalTicked;
        if (!final && !this.core.dueAt(now)) break;
        this.finalTicked = true;
        if (
          !this.apply(
            () => undefined,
            () => this.core.fire(now, max, final),
            () => this.finish(),
          )
        )
          return;
      }
    }
    if (
      this.apply(
        () => undefined,
        () => this.core.finish(),
        () => this.endSettled(),
      )
    )
      this.endSettled();
  }

  /** Ends once what was committed is on disk and handed on (see Committer.settled). */
  private endSettled(): void {
    if (this.phase === 'done') return;
    const settled = this.committer.settled?.();
    if (settled === undefined) {
      this.end();
      return;
    }
    this.phase = 'committing';
    settled.then(
      () => this.end(),
      (e: unknown) => this.fatal(e),
    );
  }

  private fatal(error: unknown): void {
    if (this.phase === 'done') return;
    this.core.discardState();
    this.options.onFatal(error);
    this.end();
  }

  /** Lets go: closes the input and the Lua states, and tells the graph its outputs are done. */
  private end(): void {
    if (this.phase === 'done') return;
    this.phase = 'done';
    this.cancelWake?.();
    this.cancelWake = undefined;
    this.dropSwap();
    this.input.close();
    this.core.close();
    for (const s of this.core.outputs) this.graph.producerDone(s);
    this.resolveDone();
  }

  /** Stops at once (a fatal error elsewhere): no finish, nothing more committed. */
  abort(): void {
    if (this.phase === 'done') return;
    this.core.discardState();
    this.end();
  }
}

/** Splits a batch after `n` events: its prefix (committing to the prefix's last position) and the rest. */
function split(batch: InputBatch, n: number): [InputBatch, InputBatch] {
  const { events, origin, position } = batch;
  const seqs = origin?.seqs;
  const cut = seqs !== undefined && position !== undefined ? seqs[n - 1]! : undefined;
  const head: InputBatch = {
    events: events.slice(0, n),
    ...(origin ? { origin: { stream: origin.stream, ...(seqs ? { seqs: seqs.slice(0, n) } : {}) } } : {}),
    ...(position ? { position: cut !== undefined ? { ...position, seq: cut } : position } : {}),
  };
  const rest: InputBatch = {
    events: events.slice(n),
    ...(origin ? { origin: { stream: origin.stream, ...(seqs ? { seqs: seqs.slice(n) } : {}) } } : {}),
    ...(position ? { position: cut !== undefined ? { ...position, expected: cut } : position } : {}),
  };
  return [head, rest];
}
