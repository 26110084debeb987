/** The asynchronous log port over a synchronous {@link Storage} (SQLite or memory): one partition, this process. */
import type { LogPort, StagedCommit } from '../core/log-port.js';
import type { CommitBatch, CommitResult, Storage, StoredJson } from '../core/storage.js';

export interface StorageLogPortOptions {
  /** How often a waiting consumer looks for appends made by other processes, in ms (default 100). */
  readonly pollMs?: number;
}

/**
 * Wraps a synchronous store as a {@link LogPort}. Calls run at once; a failure becomes a rejection.
 *
 * @example
 * const port = storageLogPort(openSqliteStorage({ dir: '.sanctum' }));
 * const events = await port.read('orders', 1, 100);
 */
export function storageLogPort(storage: Storage, options: StorageLogPortOptions = {}): LogPort {
  const pollMs = options.pollMs ?? 100;
  const stage = groupCommits(storage);
  const call = <T>(fn: () => T): Promise<T> => {
    try {
      return Promise.resolve(fn());
    } catch (e) {
      return Promise.reject(e);
    }
  };
  return {
    read: (stream, fromSeq, limit) => call(() => storage.log.read(stream, fromSeq, limit)),
    readJson: (stream, fromSeq, limit) => call(() => readJson(storage, stream, fromSeq, limit)),
    lastSeq: (stream) => call(() => storage.log.lastSeq(stream)),
    position: (consumer, stream) => call(() => storage.offsets.get(consumer, stream)),
    commit: (batch) => stage(batch).durable,
    stage,
    synced: () => storage.synced?.() ?? Promise.resolve(),
    waitForAppend: (stream, afterSeq, signal) => storage.log.wait(stream, afterSeq, { pollMs, signal }),
    state: storage.state,
    timers: storage.timers,
  };
}

/** A store's events as JSON text: its own `readJson`, or its `read` encoded again (a store without one). */
function readJson(storage: Storage, stream: string, fromSeq: number, limit: number): StoredJson {
  if (storage.log.readJson !== undefined) return storage.log.readJson(stream, fromSeq, limit);
  const stored = storage.log.read(stream, fromSeq, limit);
  return { first: stored[0]?.seq ?? fromSeq, json: stored.map((e) => JSON.stringify(e.event)) };
}

/**
 * Group commit across consumers: the batches that a source, the pipelines and the sinks commit in
 * one turn of the event loop go to the store together, in the order they came, as ONE transaction
 * (one fsync) in which each is still its own unit (`commitBatches`). Each caller resolves once its
 * batch is durable, as before; what it costs a caller is the rest of the turn. A group of one
 * takes the same path (one code path for every commit). A store without `commitBatches` commits
 * them one by one. The thread does not wait for the disk: a group is written at once and resolves
 * when a sync of the -wal started after it ends (`syncLater`, `synced`), so the next group, and
 * every other task of the run, go on meanwhile; nothing resolves before it is on disk.
 */
function groupCommits(storage: Storage): (batch: CommitBatch) => StagedCommit {
  interface Waiter {
    readonly batch: CommitBatch;
    readonly applied: Settle;
    readonly durable: Settle;
  }
  let queue: Waiter[] = [];
  let scheduled = false;
  const later = { syncLater: true } as const;
  const settle = (group: readonly Waiter[], results: readonly (CommitResult | Error)[], which: 'applied' | 'durable') => {
    for (let i = 0; i < group.length; i++) {
      const r = results[i]!;
      if (r instanceof Error) group[i]![which].reject(r);
      else group[i]![which].resolve(r);
    }
  };
  /** Nothing of the group was written (`both`), or it was and its sync failed (`durable`). */
  const fail = (group: readonly Waiter[], e: unknown, which: 'durable' | 'both') => {
    for (const w of group) {
      if (which === 'both') w.applied.reject(e);
      w.durable.reject(e);
    }
  };
  const flush = () => {
    scheduled = false;
    const group = queue;
    queue = [];
    let results: (CommitResult | Error)[];
    if (storage.commitBatches === undefined) {
      results = group.map((w) => {
        try {
          return storage.commitBatch(w.batch);
        } catch (e) {
          return e instanceof Error ? e : new Error(String(e));
        }
      });
    } else {
      try {
        results = storage.commitBatches(
          group.map((w) => w.batch),
          later,
        );
      } catch (e) {
        fail(group, e, 'both');
        return;
      }
    }
    settle(group, results, 'applied');
    // Written: the next group may commit while this one syncs; each is durable once on disk.
    if (storage.synced === undefined) settle(group, results, 'durable');
    else
      storage.synced().then(
        () => settle(group, results, 'durable'),
        (e: unknown) => fail(group, e, 'durable'),
      );
  };
  return (batch) => {
    const applied = settleable();
    const durable = settleable();
    queue.push({ batch, applied, durable });
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
    return { applied: applied.promise, durable: durable.promise };
  };
}

interface Settle {
  resolve(r: CommitResult): void;
  reject(e: unknown): void;
}

/** A promise and its settling functions; a rejection nobody awaits is not an unhandled one. */
function settleable(): Settle & { promise: Promise<CommitResult> } {
  let resolve!: (r: CommitResult) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<CommitResult>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}
