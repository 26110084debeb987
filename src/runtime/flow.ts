/**
 * The run's scheduler: a trampoline. Work (a consumer with input, a stream to complete) is queued
 * and run from one loop, never from inside other work, so a chain of 700 steps or 400 pipelines
 * costs no stack depth: delivery does not recurse per step or per pipeline.
 */

/** Something the flow runs: it does a bounded slice of work and schedules itself again if more is left. */
export interface Task {
  run(): void;
}

export interface FlowOptions {
  /**
   * After this many ms of uninterrupted work the flow lets the event loop run (timers, I/O, signals)
   * and goes on in a macrotask. Infinity keeps everything synchronous (marble tests in virtual time).
   */
  readonly sliceMs?: number;
  /** A task threw (a bug: tasks handle their own failures). The flow goes on with the others. */
  readonly onTaskError?: (error: unknown) => void;
}

export class Flow {
  private queue: Task[] = [];
  private head = 0;
  private readonly queued = new Set<Task>();
  private draining = false;
  private resumeScheduled = false;
  private readonly sliceMs: number;
  private readonly onTaskError: (error: unknown) => void;

  constructor(options: FlowOptions = {}) {
    this.sliceMs = options.sliceMs ?? 50;
    this.onTaskError =
      options.onTaskError ??
      ((e) => {
        queueMicrotask(() => {
          throw e;
        });
      });
  }

  /** Queues a task (once, however often it is scheduled before it runs) and runs the queue unless it is running. */
  schedule(task: Task): void {
    if (this.queued.has(task)) return;
    this.queued.add(task);
    this.queue.push(task);
    if (!this.draining && !this.resumeScheduled) this.drain();
  }

  /** True while tasks wait. */
  get busy(): boolean {
    return this.queued.size > 0;
  }

  private drain(): void {
    this.draining = true;
    const started = this.sliceMs === Infinity ? 0 : performance.now();
    try {
      while (this.head < this.queue.length) {
        const task = this.queue[this.head++]!;
        this.queued.delete(task);
        try {
          task.run();
        } catch (e) {
          this.onTaskError(e);
        }
        if (this.head >= 1024) {
          this.queue = this.queue.slice(this.head);
          this.head = 0;
        }
        if (this.sliceMs !== Infinity && this.head < this.queue.length && performance.now() - started > this.sliceMs) {
          this.resumeScheduled = true;
          setImmediate(() => {
            this.resumeScheduled = false;
            if (!this.draining) this.drain();
          });
          return;
        }
      }
      this.queue = [];
      this.head = 0;
    } finally {
      this.draining = false;
    }
  }
}
