/** Group commit: appends queued within one turn of the event loop commit in one transaction. */
import type { AppendResult } from '../../core/storage.js';
import { StorageError } from '../errors.js';
import type { EncodedItem } from './validate.js';

/** One queued append. */
export interface PendingAppend {
  readonly stream: string;
  readonly items: readonly EncodedItem[];
}

interface Waiting extends PendingAppend {
  readonly resolve: (r: AppendResult) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * Queues appends and commits them together: on the next macrotask (`setImmediate`, so that every
 * append issued by the current burst of callbacks joins), or at once when `maxEvents` wait.
 * `commit` runs one transaction for all of them and returns their results in order, or throws,
 * in which case every one of them rejects: none of them is stored.
 */
export class GroupCommit {
  private queue: Waiting[] = [];
  private queuedEvents = 0;
  private scheduled: NodeJS.Immediate | undefined;

  constructor(
    private readonly commit: (batch: readonly PendingAppend[]) => AppendResult[],
    private readonly maxEvents: number,
  ) {}

  enqueue(stream: string, items: readonly EncodedItem[]): Promise<AppendResult> {
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ stream, items, resolve, reject });
      this.queuedEvents += items.length;
      if (this.queuedEvents >= this.maxEvents) this.flush();
      else this.scheduled ??= setImmediate(() => this.flush());
    });
  }

  /** How many appends wait for the next flush. */
  get pending(): number {
    return this.queue.length;
  }

  /** Commits everything queued now, synchronously. Never throws: failures reject the appends. */
  flush(): void {
    if (this.scheduled !== undefined) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    this.queuedEvents = 0;
    let results: AppendResult[];
    try {
      results = this.commit(batch);
    } catch (e) {
      for (const w of batch) w.reject(e);
      return;
    }
    for (let i = 0; i < batch.length; i++) {
      const w = batch[i]!; // i < batch.length
      const r = results[i];
      // `commit` returns one result per append; a short array is a bug in the adapter, reported rather than resolved with undefined.
      if (r === undefined)
        w.reject(new StorageError({ code: 'STORAGE_FAILED', operation: 'commit', problem: `returned ${results.length} results for ${batch.length} appends` }));
      else w.resolve(r);
    }
  }

  /** Rejects everything queued (used when the store cannot commit any more). */
  failAll(error: unknown): void {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const batch = this.queue;
    this.queue = [];
    this.queuedEvents = 0;
    for (const w of batch) w.reject(error);
  }
}
