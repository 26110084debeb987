/**
 * The asynchronous log port: what a consumer loop needs of a durable event log, whatever holds it —
 * the embedded SQLite file today, one partition of a network log (NATS JetStream) tomorrow. Every
 * call may cross a network, so every call returns a Promise; spell state stays a local, synchronous
 * {@link StateStore} (a network log keeps a changelog of it and a local cache, see shared/notes/nats.md).
 */
import type { CommitBatch, CommitResult, StateStore, StoredEvent, StoredJson, TimerStore } from './storage.js';

/**
 * One durable log as a consumer loop sees it: read after a committed position, commit a batch's
 * position, state changes and outputs in one unit, and wait for appends.
 *
 * @example
 * const port = storageLogPort(openSqliteStorage({ dir: '.sanctum' }));
 * const from = (await port.position('pipeline:totals', 'orders')) + 1;
 * const batch = await port.read('orders', from, 1000);
 * await port.commit({ consumer: { name: 'pipeline:totals', stream: 'orders', seq: batch.at(-1)!.seq, expected: from - 1 } });
 */
export interface LogPort {
  /** Up to `limit` events of `stream` with `seq >= fromSeq`, oldest first. */
  read(stream: string, fromSeq: number, limit: number): Promise<readonly StoredEvent[]>;
  /** The same events as their stored JSON text, from `first` on: what a consumer loop reads. */
  readJson(stream: string, fromSeq: number, limit: number): Promise<StoredJson>;
  /** Seq of the newest event ever appended to `stream`; 0 when none. */
  lastSeq(stream: string): Promise<number>;
  /** The last seq of `stream` that `consumer` committed; 0 when none. */
  position(consumer: string, stream: string): Promise<number>;
  /**
   * Commits a consumer's position, state changes and appends as one unit (see
   * {@link Storage.commitBatch}). Rejects with a `StorageError` when nothing of it was committed.
   */
  commit(batch: CommitBatch): Promise<CommitResult>;
  /**
   * `commit` in its two steps: `applied` once the batch is written and visible to this process's
   * reads (a consumer's next batch may cast on its state), `durable` once it is on disk (what
   * `commit` resolves with: acknowledge or hand on after it). Both reject when nothing of it was
   * committed; `durable` alone when the disk refused it. Batches become durable in the order staged.
   */
  stage(batch: CommitBatch): StagedCommit;
  /**
   * Resolves once everything committed so far is on disk (what an external effect of what was
   * read — a sink's write — waits for); rejects when the disk refused. Every `commit` has resolved
   * after its own sync already.
   */
  synced(): Promise<void>;
  /**
   * Resolves when `stream` may hold events after `afterSeq`: at once if it already does, when this
   * process appends, after a poll interval (another process may append), on abort or on close.
   * It may resolve with nothing new: the caller reads again and decides.
   */
  waitForAppend(stream: string, afterSeq: number, signal: AbortSignal): Promise<void>;
  /** The spell state that commits with this log. */
  readonly state: StateStore;
  /** The spell timers that commit with this log. */
  readonly timers: TimerStore;
}

/** A commit in its two steps (see {@link LogPort.stage}). */
export interface StagedCommit {
  readonly applied: Promise<CommitResult>;
  readonly durable: Promise<CommitResult>;
}
