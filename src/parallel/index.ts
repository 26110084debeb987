/** Parallel casting: a spell on worker threads, events partitioned by key, order kept per key. */
export { castParallel, DEFAULT_BATCH_SIZE } from './cast-parallel.js';
export type { ParallelOptions } from './cast-parallel.js';
export type { Transport } from './protocol.js';
