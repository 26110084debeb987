/** Temporary data directories for storage tests, removed when the test file ends. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

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
