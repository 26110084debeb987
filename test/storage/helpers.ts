/** Temporary data directories for storage tests, removed when the test file ends. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, vi } from 'vitest';

/** A function that makes a fresh temporary directory; all of them go when the file's tests end. */
export function tempDirs(prefix = 'sanctum-storage-'): () => string {
  const made: string[] = [];
  afterAll(() => {
    for (const d of made) fs.rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    made.push(d);
    return d;
  };
}

/**
 * Holds every fdatasync a store asks for (the syncs of `syncLater` commits) until released, and
 * records the descriptors: what is on its way to disk can be looked at. Undo with vi.restoreAllMocks().
 */
export function holdSyncs() {
  const held: { fd: number; done: (e: NodeJS.ErrnoException | null) => void }[] = [];
  const spy = vi.spyOn(fs, 'fdatasync').mockImplementation(((fd: number, done: (e: NodeJS.ErrnoException | null) => void) => {
    held.push({ fd, done });
  }) as typeof fs.fdatasync);
  return {
    held,
    /** Runs the held syncs for real, in order. */
    release(): void {
      for (const h of held.splice(0)) {
        fs.fdatasyncSync(h.fd);
        h.done(null);
      }
    },
    spy,
  };
}

/** Fails every fdatasync a store asks for with EIO, answered on a later turn as the real one is. Undo with vi.restoreAllMocks(). */
export function failSyncs(): void {
  vi.spyOn(fs, 'fdatasync').mockImplementation(((_fd: number, done: (e: NodeJS.ErrnoException | null) => void) => {
    setImmediate(() => done(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })));
  }) as typeof fs.fdatasync);
}

export { until } from '../helpers.js';
