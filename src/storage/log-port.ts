/** The asynchronous log port over a synchronous {@link Storage} (SQLite or memory): one partition, this process. */
import type { LogPort } from '../core/log-port.js';
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
    commit: groupCommits(storage),
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
 * them one by one.
 */
function groupCommits(storage: Storage): (batch: CommitBatch) => Promise<CommitResult> {
  let queue: { batch: CommitBatch; resolve: (r: CommitResult) => void; reject: (e: unknown) => void }[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const group = queue;
    queue = [];
    if (storage.commitBatches === undefined) {
      for (const w of group) {
        try {
          w.resolve(storage.commitBatch(w.batch));
        } catch (e) {
          w.reject(e);
        }
      }
      return;
    }
    let results: (CommitResult | Error)[];
    try {
      results = storage.commitBatches(group.map((w) => w.batch));
    } catch (e) {
      for (const w of group) w.reject(e);
      return;
    }
    for (let i = 0; i < group.length; i++) {
      const r = results[i]!;
      if (r instanceof Error) group[i]!.reject(r);
      else group[i]!.resolve(r);
    }
  };
  return (batch) =>
    new Promise<CommitResult>((resolve, reject) => {
      queue.push({ batch, resolve, reject });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
}
