/** The asynchronous log port over a synchronous {@link Storage} (SQLite or memory): one partition, this process. */
import type { LogPort } from '../core/log-port.js';
import type { Storage } from '../core/storage.js';

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
    lastSeq: (stream) => call(() => storage.log.lastSeq(stream)),
    position: (consumer, stream) => call(() => storage.offsets.get(consumer, stream)),
    commit: (batch) => call(() => storage.commitBatch(batch)),
    waitForAppend: (stream, afterSeq, signal) => storage.log.wait(stream, afterSeq, { pollMs, signal }),
    state: storage.state,
    timers: storage.timers,
  };
}
