/**
 * Checkpoints a WAL data file from a worker thread of its own, so that a commit on the main thread
 * never copies the WAL into the data file itself: that copy (4 MB and an fsync of the data file,
 * every 1000 pages by SQLite's default) held up the commit that happened to cross the threshold, and
 * every acknowledgement waiting on it (issue #13's p99), and cost the main thread the writes.
 *
 * The worker opens its own connection and looks every few ms at how many WAL frames are not yet
 * copied (the WAL-index header in the -shm file: mxFrame at byte 16, nBackfill at byte 96, see
 * sqlite.org/walformat.html); from 1000 (SQLite's own threshold, so no more checkpoints and fsyncs
 * than before, which a disk shared with the commits would feel) it runs `PRAGMA
 * wal_checkpoint(PASSIVE)`: PASSIVE takes no writer lock, so commits go on meanwhile.
 * The main connection keeps an automatic checkpoint at a far larger threshold, as a safety valve
 * should the worker fall behind. Checkpointing moves no data in or out of the log: what is
 * committed is in the WAL, fsynced, before it is acknowledged, checkpointed or not.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** WAL pages the main connection lets grow before it checkpoints itself (the worker is behind). */
export const MAIN_AUTOCHECKPOINT_PAGES = 16384;

/** The worker, as a CommonJS script (eval'd: it runs the same from src/ under tsx and from dist/). */
const SCRIPT = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const closed = new Int32Array(workerData.closed);
const header = Buffer.alloc(100);
const read = require('node:os').endianness() === 'LE' ? (at) => header.readUInt32LE(at) : (at) => header.readUInt32BE(at);
let db;
let timer;
let shm;
const finish = () => {
  clearTimeout(timer);
  try { db?.close(); } catch {}
  try { if (shm !== undefined) fs.closeSync(shm); } catch {}
  Atomics.store(closed, 0, 1);
  Atomics.notify(closed, 0);
  parentPort.close();
};
try {
  const Database = require(workerData.driver);
  db = new Database(workerData.file, { fileMustExist: true, timeout: 0 });
  db.pragma('synchronous = ' + workerData.synchronous);
  db.pragma('wal_autocheckpoint = 0');
  const behind = () => {
    try {
      shm ??= fs.openSync(workerData.file + '-shm', 'r');
      if (fs.readSync(shm, header, 0, 100, 0) < 100) return 0;
      return read(16) - read(96); // mxFrame - nBackfill, in the host's byte order
    } catch {
      return workerData.frames; // cannot tell: checkpoint (cheap when there is nothing to copy)
    }
  };
  const step = () => {
    try { if (behind() >= workerData.frames) db.pragma('wal_checkpoint(PASSIVE)'); } catch {} // busy or failing: the main connection's valve still holds
    timer = setTimeout(step, workerData.intervalMs);
  };
  timer = setTimeout(step, workerData.intervalMs);
} catch {
  finish();
}
parentPort.on('message', (m) => { if (m === 'close') finish(); });
`;

export interface Checkpointer {
  /** Stops the worker and closes its connection; returns once it has (at most `waitMs`). */
  close(waitMs?: number): void;
}

/** Starts a checkpointing worker on `file` (a WAL-mode data file that exists). */
export function startCheckpointer(file: string, synchronous: 'FULL' | 'NORMAL', intervalMs = 20, frames = 1000): Checkpointer {
  const closed = new SharedArrayBuffer(4);
  const flag = new Int32Array(closed);
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(SCRIPT, { eval: true, workerData: { file, synchronous, intervalMs, frames, closed, driver } });
  worker.unref(); // never keeps a process alive
  let done = false;
  worker.on('error', () => {}); // a failing worker only leaves checkpoints to the main connection
  worker.on('exit', () => Atomics.store(flag, 0, 1)); // gone: nothing to wait for at close
  return {
    close(waitMs = 2000) {
      if (done) return;
      done = true;
      worker.postMessage('close');
      // The worker's connection closes before the main one: the last connection to close
      // checkpoints the whole WAL and removes it, as without a worker.
      Atomics.wait(flag, 0, 0, waitMs);
      void worker.terminate();
    },
  };
}
