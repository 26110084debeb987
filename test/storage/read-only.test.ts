/** The SQLite store opened read-only: creates nothing, refuses every write saying so, sees what a writer commits; a tail stops at a damaged event, not before it. */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openSqliteStorage } from '../../src/storage/sqlite.js';
import { expectStorageError } from './conformance.js';
import { tempDirs } from './helpers.js';

const tmp = tempDirs();

describe('openSqliteStorage({ readonly: true })', () => {
  it('creates no directory and no file when there is none', async () => {
    const dir = path.join(tmp(), 'missing');
    const err = await expectStorageError(() => openSqliteStorage({ dir, readonly: true }), 'STORAGE_FAILED');
    expect(err.message).toBe(`${path.join(dir, 'sanctum.db')} does not exist`);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('reads, refuses every write with "read-only", and sees what a writer commits meanwhile', async () => {
    const dir = tmp();
    const writer = openSqliteStorage({ dir });
    await writer.log.append('s', [{ event: 1 }]);
    const reader = openSqliteStorage({ dir, readonly: true });
    try {
      expect(reader.readonly).toBe(true);
      expect(reader.log.read('s', 1, 10).map((e) => e.event)).toEqual([1]);
      for (const write of [
        () => reader.log.append('s', [{ event: 2 }]),
        () => reader.commitBatch({ appends: [{ stream: 's', items: [{ event: 2 }] }] }),
        () => reader.state.put('ns', 'k', 1),
        () => reader.log.retain('s', { maxCount: 0 }),
      ]) {
        const err = await expectStorageError(write, 'STORAGE_FAILED');
        expect(err.message).toMatch(/is open read-only/);
      }
      const seen: unknown[] = [];
      const stop = new AbortController();
      const following = (async () => {
        for await (const e of reader.log.tail('s', 1, { follow: true, signal: stop.signal, pollMs: 5 })) {
          seen.push(e.event);
          if (seen.length === 3) stop.abort();
        }
      })();
      await writer.log.append('s', [{ event: 2 }, { event: 3 }]);
      await following;
      expect(seen).toEqual([1, 2, 3]);
      expect(reader.log.lastSeq('s')).toBe(3);
    } finally {
      reader.close();
      writer.close();
    }
  });
});

describe('tail over a damaged event', () => {
  it('hands out every event before it, then fails on it', async () => {
    const dir = tmp();
    const s = openSqliteStorage({ dir });
    await s.log.append(
      's',
      Array.from({ length: 600 }, (_, i) => ({ event: { i } })),
    );
    s.close();
    const db = new Database(path.join(dir, 'sanctum.db'));
    db.prepare("UPDATE events SET json = '{broken' WHERE stream = 's' AND seq = 300").run();
    db.close();
    const again = openSqliteStorage({ dir, readonly: true });
    try {
      const got: number[] = [];
      const err = await expectStorageError(async () => {
        for await (const e of again.log.tail('s', 1)) got.push(e.seq);
      }, 'STORAGE_CORRUPT');
      expect(err.message).toMatch(/event 300 of stream 's' is not valid JSON/);
      expect(got).toEqual(Array.from({ length: 299 }, (_, i) => i + 1));
    } finally {
      again.close();
    }
  });
});
