/** The SQLite adapter through the shared conformance suite, plus what only a file has: reopening, plans, pragmas, foreign files. */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openSqliteStorage, type SqliteStorage } from '../../src/storage/sqlite.js';
import { FORMAT_VERSION } from '../../src/storage/sqlite-schema.js';
import { storageLogPort } from '../../src/storage/log-port.js';
import { storageConformance, expectStorageError } from './conformance.js';
import { openWithFaults } from './faults.js';
import { tempDirs } from './helpers.js';

const tmp = tempDirs();

storageConformance('sqlite', (options) => openWithFaults((now) => openSqliteStorage({ dir: tmp(), now }), options));

describe('SQLite storage', () => {
  const withStore = <T>(dir: string, fn: (s: SqliteStorage) => T, options: Partial<Parameters<typeof openSqliteStorage>[0]> = {}): T => {
    const s = openSqliteStorage({ dir, ...options });
    try {
      return fn(s);
    } finally {
      s.close();
    }
  };

  it('creates the data directory and keeps everything across a reopen', async () => {
    const dir = path.join(tmp(), 'nested', 'data');
    const s = openSqliteStorage({ dir });
    expect(s.path).toBe(path.join(dir, 'sanctum.db'));
    await s.log.append('a', [{ event: { n: 1 }, key: 'k' }]);
    s.commitBatch({ consumer: { name: 'c', stream: 'a', seq: 1 }, state: [{ ns: 'c', key: 'x', value: { v: 1 } }] });
    s.state.ensureIndex('c', 'v');
    s.log.retain('a', { maxCount: 0 });
    s.close();
    withStore(dir, (again) => {
      expect(again.log.streams()).toEqual([{ name: 'a', count: 0, firstSeq: 2, lastSeq: 1 }]);
      expect(again.offsets.get('c', 'a')).toBe(1);
      expect(again.state.get('c', 'x')).toEqual({ v: 1 });
      expect(again.state.indexes('c')).toEqual(['v']);
    });
  });

  it('commitBatches: one transaction, each batch its own unit (a failed fence or a bad value fails that batch alone)', () => {
    const s = openSqliteStorage({ dir: tmp() });
    try {
      s.commitBatch({ consumer: { name: 'p', stream: 'in', seq: 10 } });
      const results = s.commitBatches([
        {
          consumer: { name: 'p', stream: 'in', seq: 20, expected: 10 },
          state: [{ ns: 'p', key: 'k', value: 1 }],
          appends: [{ stream: 'out', items: [{ event: 1 }] }],
        },
        // Fenced on a position that is not the committed one: nothing of it, not its append, not its state.
        {
          consumer: { name: 'p', stream: 'in', seq: 30, expected: 99 },
          state: [{ ns: 'p', key: 'k', value: 2 }],
          appends: [{ stream: 'out', items: [{ event: 2 }] }],
        },
        { consumer: { name: 'sink:f', stream: 'out', seq: 1 }, appends: [{ stream: 'out', items: [{ event: 3 }, { event: 4 }] }] },
        { appends: [{ stream: 'out', items: [{ event: () => 0 } as never] }] },
      ]);
      expect(results[0]).toEqual({ appended: [{ stream: 'out', first: 1, last: 1 }] });
      expect(results[1]).toMatchObject({ code: 'STORAGE_CONFLICT' });
      expect(results[2]).toEqual({ appended: [{ stream: 'out', first: 2, last: 3 }] });
      expect(results[3]).toMatchObject({ code: 'STORAGE_INVALID' });
      expect(s.offsets.get('p', 'in')).toBe(20);
      expect(s.offsets.get('sink:f', 'out')).toBe(1);
      expect(s.state.get('p', 'k')).toBe(1);
      expect(s.log.read('out', 1, 10).map((e) => [e.seq, e.event])).toEqual([
        [1, 1],
        [2, 3],
        [3, 4],
      ]);
    } finally {
      s.close();
    }
  });

  it('commitBatches: a failure of the transaction fails every batch in it, and nothing of any is stored', () => {
    const s = openSqliteStorage({ dir: tmp() });
    try {
      // A trigger makes the third batch's append fail inside the transaction (not a fence, not a bad value).
      s.db.exec("CREATE TEMP TRIGGER boom BEFORE INSERT ON events WHEN NEW.stream = 'bad' BEGIN SELECT RAISE(ABORT, 'boom'); END");
      expect(() =>
        s.commitBatches([
          { consumer: { name: 'p', stream: 'in', seq: 5 }, appends: [{ stream: 'out', items: [{ event: 1 }] }] },
          { consumer: { name: 'q', stream: 'in', seq: 6 } },
          { appends: [{ stream: 'bad', items: [{ event: 2 }] }] },
        ]),
      ).toThrow(/could not commit 3 batches/);
      expect(s.offsets.get('p', 'in')).toBe(0);
      expect(s.offsets.get('q', 'in')).toBe(0);
      expect(s.log.lastSeq('out')).toBe(0);
      expect(s.log.read('out', 1, 10)).toEqual([]);
    } finally {
      s.close();
    }
  });

  it('its log port group-commits the batches of one turn of the event loop through commitBatches, each resolving or failing alone', async () => {
    const s = openSqliteStorage({ dir: tmp() });
    try {
      const groups: number[] = [];
      const commitBatches = s.commitBatches.bind(s);
      const spied = new Proxy(s, {
        get: (target, key) => {
          if (key !== 'commitBatches') return Reflect.get(target, key, target);
          return (b: Parameters<typeof commitBatches>[0]) => {
            groups.push(b.length);
            return commitBatches(b);
          };
        },
      });
      const port = storageLogPort(spied);
      const [a, b, c] = await Promise.allSettled([
        port.commit({ consumer: { name: 'p', stream: 'in', seq: 3, expected: 0 }, appends: [{ stream: 'out', items: [{ event: 'a' }] }] }),
        port.commit({ consumer: { name: 'p', stream: 'in', seq: 4, expected: 0 } }), // stale fence: fails alone
        port.commit({ consumer: { name: 'sink:x', stream: 'out', seq: 1 } }),
      ]);
      expect(groups).toEqual([3]);
      expect(a).toEqual({ status: 'fulfilled', value: { appended: [{ stream: 'out', first: 1, last: 1 }] } });
      expect(b.status).toBe('rejected');
      expect((b as PromiseRejectedResult).reason).toMatchObject({ code: 'STORAGE_CONFLICT' });
      expect(c).toEqual({ status: 'fulfilled', value: { appended: [] } });
      expect(s.offsets.get('p', 'in')).toBe(3);
      expect(s.offsets.get('sink:x', 'out')).toBe(1);
      expect((await port.readJson('out', 1, 10)).json).toEqual(['"a"']);
    } finally {
      s.close();
    }
  });

  it('copies the WAL into the data file from a worker thread (started after the first writes): no commit checkpoints, and closing leaves no WAL', async () => {
    const dir = tmp();
    const s = openSqliteStorage({ dir });
    try {
      await s.log.append('a', [{ event: 'first' }]);
      // A second after its first write, the store hands checkpoints to its worker.
      const started = Date.now() + 20_000;
      while (s.db.pragma('wal_autocheckpoint', { simple: true }) !== 16384 && Date.now() < started) await new Promise((r) => setTimeout(r, 20));
      const before = fs.statSync(s.path).size;
      for (let i = 0; i < 20; i++)
        await s.log.append(
          'a',
          Array.from({ length: 500 }, (_, j) => ({ event: { i, j, pad: 'x'.repeat(500) } })),
        );
      // ~5.5 MB in the WAL (past 1000 pages), far below the valve: only the worker's checkpoints grow the data file.
      const deadline = Date.now() + 20_000;
      while (fs.statSync(s.path).size <= before + 2_000_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(fs.statSync(s.path).size).toBeGreaterThan(before + 2_000_000);
      expect(s.log.lastSeq('a')).toBe(10_001);
      expect(s.db.pragma('wal_autocheckpoint', { simple: true })).toBe(16384); // with the worker on, the main connection's valve only
    } finally {
      s.close();
    }
    expect(fs.existsSync(`${path.join(dir, 'sanctum.db')}-wal`)).toBe(false);
    const inline = openSqliteStorage({ dir, checkpoint: 'inline' });
    try {
      expect(inline.db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
      expect(inline.log.read('a', 10_001, 1)[0]?.event).toEqual({ i: 19, j: 499, pad: 'x'.repeat(500) });
    } finally {
      inline.close();
    }
  });

  it('sets `synchronous` on every connection it opens, FULL by default', () => {
    const dir = tmp();
    const first = openSqliteStorage({ dir });
    const second = openSqliteStorage({ dir });
    const normal = openSqliteStorage({ dir, synchronous: 'NORMAL' });
    try {
      expect(first.db.pragma('synchronous', { simple: true })).toBe(2);
      expect(second.db.pragma('synchronous', { simple: true })).toBe(2); // not inherited: set explicitly
      expect(normal.db.pragma('synchronous', { simple: true })).toBe(1);
      expect(normal.synchronous).toBe('NORMAL');
      expect(first.db.pragma('journal_mode', { simple: true })).toBe('wal');
      // A plain connection to the same WAL file falls back to NORMAL: the reason to set it ourselves.
      const plain = new Database(first.path);
      expect(plain.pragma('synchronous', { simple: true })).not.toBe(2);
      plain.close();
    } finally {
      first.close();
      second.close();
      normal.close();
    }
  });

  it('answers value queries from the index, not by scanning (EXPLAIN QUERY PLAN)', () => {
    withStore(tmp(), (s) => {
      for (let i = 0; i < 50; i++) s.state.put('shop', `k${i}`, { price: i, name: `n${i}` });
      s.state.put('other', 'k', { price: 1 });
      const before = s.explainQuery('shop', { index: 'price', gt: 10, lt: 20 }).join(' | ');
      expect(before).not.toMatch(/USING (COVERING )?INDEX state_ix_/);
      expect(before).toMatch(/TEMP B-TREE/);
      s.state.ensureIndex('shop', 'price');
      for (const q of [
        { index: 'price', gt: 10, lt: 20 },
        { index: 'price', eq: 3 },
        { index: 'price', gte: 'a' },
        { index: 'price', lt: 5, reverse: true, limit: 2 },
        { index: 'price' },
      ]) {
        const plan = s.explainQuery('shop', q);
        expect(plan.join(' | '), JSON.stringify(q)).toMatch(/^SEARCH state USING INDEX state_ix_[0-9a-f]+ \(ns=\? AND <expr>/);
        expect(plan.join(' | ')).not.toMatch(/TEMP B-TREE|SCAN/);
      }
      // The partial index of one namespace is not used for another.
      expect(s.explainQuery('other', { index: 'price', gt: 0 }).join(' | ')).not.toMatch(/state_ix_/);
    });
  });

  it('wakes a tail on another store of the same file in this process', async () => {
    const dir = tmp();
    const writer = openSqliteStorage({ dir });
    const reader = openSqliteStorage({ dir });
    try {
      const controller = new AbortController();
      const seen: number[] = [];
      const done = (async () => {
        for await (const e of reader.log.tail('a', 1, { follow: true, signal: controller.signal, pollMs: 60_000 })) {
          seen.push(e.seq);
          controller.abort();
        }
      })();
      await new Promise((r) => setTimeout(r, 20));
      await writer.log.append('a', [{ event: 1 }]);
      await done;
      expect(seen).toEqual([1]);
    } finally {
      writer.close();
      reader.close();
    }
  });

  it('sees appends from another connection by polling', async () => {
    const dir = tmp();
    const reader = openSqliteStorage({ dir });
    try {
      const controller = new AbortController();
      const seen: number[] = [];
      const done = (async () => {
        for await (const e of reader.log.tail('a', 1, { follow: true, signal: controller.signal, pollMs: 20 })) {
          seen.push(e.seq);
          if (seen.length === 2) controller.abort();
        }
      })();
      // A raw connection stands in for another process: no in-process wake-up reaches the reader.
      const other = new Database(reader.path);
      other.prepare("INSERT INTO events VALUES ('a', 1, 0, NULL, '1'), ('a', 2, 0, NULL, '2')").run();
      other.prepare("INSERT INTO streams VALUES ('a', 1, 2, 0)").run();
      other.close();
      await done;
      expect(seen).toEqual([1, 2]);
    } finally {
      reader.close();
    }
  });

  it('keeps seqs contiguous when several processes append to one stream at once', async () => {
    const dir = tmp();
    openSqliteStorage({ dir }).close(); // both writers find the file made
    const writer = fileURLToPath(new URL('./fixtures/writer.ts', import.meta.url));
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const runWriter = (name: string) => promisify(execFile)(process.execPath, ['--import', 'tsx', writer, dir, name, '2000'], { cwd: root });
    await Promise.all([runWriter('a'), runWriter('b')]);
    withStore(dir, (s) => {
      const events = s.log.read('shared', 1, 10_000);
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 4000 }, (_, i) => i + 1));
      for (const w of ['a', 'b']) {
        const mine = events
          .map((e) => e.event as { w: string; i: number })
          .filter((e) => e.w === w)
          .map((e) => e.i);
        expect(mine).toEqual(Array.from({ length: 2000 }, (_, i) => i)); // each writer's order kept
      }
    });
  }, 30_000);

  describe('refuses what is not its data file, loudly and naming the file', () => {
    const fileIn = (dir: string): string => path.join(dir, 'sanctum.db');

    it('a file that is not a database', async () => {
      const dir = tmp();
      fs.writeFileSync(fileIn(dir), 'these are my notes, not a database\n'.repeat(200));
      const err = await expectStorageError(() => openSqliteStorage({ dir }), 'STORAGE_FOREIGN');
      expect(err.message).toBe(`${fileIn(dir)} is not a Sanctum data file (file is not a database)`);
      expect(err.file).toBe(fileIn(dir));
      expect(err.driverCode).toBe('SQLITE_NOTADB');
      expect(fs.readFileSync(fileIn(dir), 'utf8')).toMatch(/^these are my notes/); // untouched
    });

    it("another program's SQLite database", async () => {
      const dir = tmp();
      const db = new Database(fileIn(dir));
      db.exec('CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)');
      db.close();
      const err = await expectStorageError(() => openSqliteStorage({ dir }), 'STORAGE_FOREIGN');
      expect(err.message).toBe(`${fileIn(dir)} is a SQLite database but not a Sanctum data file (it has no meta table)`);
      const again = new Database(fileIn(dir));
      expect(again.pragma('journal_mode', { simple: true })).toBe('delete'); // we did not switch it to WAL
      again.close();
    });

    it('a file written by a newer Sanctum', async () => {
      const dir = tmp();
      withStore(dir, () => undefined);
      const db = new Database(fileIn(dir));
      db.prepare("UPDATE meta SET value = '7' WHERE key = 'version'").run();
      db.close();
      const err = await expectStorageError(() => openSqliteStorage({ dir }), 'STORAGE_FOREIGN');
      expect(err.message).toMatch(new RegExp(`was written by a newer Sanctum \\(format version 7; this one reads up to ${FORMAT_VERSION}\\)`));
    });

    it('an empty file where a store was (never a silent new store)', async () => {
      const dir = tmp();
      fs.writeFileSync(fileIn(dir), '');
      const err = await expectStorageError(() => openSqliteStorage({ dir }), 'STORAGE_CORRUPT');
      expect(err.message).toMatch(new RegExp(`^${fileIn(dir).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is an empty SQLite database`));
    });

    it('a missing file when asked not to create one', async () => {
      const dir = tmp();
      const err = await expectStorageError(() => openSqliteStorage({ dir, create: false }), 'STORAGE_FAILED');
      expect(err.message).toBe(`${fileIn(dir)} does not exist`);
      expect(fs.existsSync(fileIn(dir))).toBe(false);
    });
  });

  describe('timers and expiries', () => {
    /** Turns a fresh data file into one of format version 1 (no timers table, no expiry column). */
    function makeVersion1(dir: string, fill: (s: SqliteStorage) => void): void {
      withStore(dir, fill);
      const db = new Database(path.join(dir, 'sanctum.db'));
      db.exec('DROP INDEX state_expiry; ALTER TABLE state DROP COLUMN expires_at; DROP TABLE timers');
      db.prepare("UPDATE meta SET value = '1' WHERE key = 'version'").run();
      db.pragma('user_version = 1');
      db.close();
    }

    it('upgrades a version-1 file when opened for writing, keeping what it holds', () => {
      const dir = tmp();
      makeVersion1(dir, (s) => s.commitBatch({ state: [{ ns: 'a', key: 'k', value: { v: 1 } }] }));
      withStore(dir, (s) => {
        expect(s.state.get('a', 'k')).toEqual({ v: 1 });
        s.commitBatch({ timers: [{ ns: 'a', key: 't', at: 5 }], state: [{ ns: 'a', key: 'e', value: 1, expiresAt: 9 }] });
        expect(s.timers.next('a')).toBe(5);
        expect(s.state.expired('a', 10, 5)).toEqual(['e']);
      });
      const db = new Database(path.join(dir, 'sanctum.db'), { readonly: true });
      expect(db.prepare("SELECT value FROM meta WHERE key = 'version'").pluck().get()).toBe(String(FORMAT_VERSION));
      db.close();
    });

    it('reads a version-1 file opened read-only without upgrading it: no timers, nothing expires', () => {
      const dir = tmp();
      makeVersion1(dir, (s) => s.commitBatch({ state: [{ ns: 'a', key: 'k', value: 1 }] }));
      withStore(
        dir,
        (s) => {
          expect(s.state.get('a', 'k', 1e15)).toBe(1);
          expect(s.state.range('a', { asOf: 1e15 })).toEqual([{ key: 'k', value: 1 }]);
          expect(s.timers.next('a')).toBeUndefined();
          expect(s.timers.due('a', 1e15, 10)).toEqual([]);
          expect(s.state.expired('a', 1e15, 10)).toEqual([]);
        },
        { readonly: true },
      );
      const db = new Database(path.join(dir, 'sanctum.db'), { readonly: true });
      expect(db.prepare("SELECT value FROM meta WHERE key = 'version'").pluck().get()).toBe('1');
      db.close();
    });

    it('finds the next and the due timers, and the expired keys, through their indexes (EXPLAIN QUERY PLAN)', () => {
      withStore(tmp(), (s) => {
        const plan = (sql: string, ...params: unknown[]) =>
          (s.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join('; ');
        expect(plan('SELECT min(due_at) FROM timers WHERE ns = ?', 'w')).toMatch(/USING COVERING INDEX timers_due/);
        const due = plan('SELECT key, due_at FROM timers WHERE ns = ? AND due_at <= ? ORDER BY due_at, key LIMIT ?', 'w', 5, 10);
        expect(due).toMatch(/USING COVERING INDEX timers_due \(ns=\? AND due_at<\?\)/);
        expect(due).not.toMatch(/TEMP B-TREE/);
        const expired = plan('SELECT key FROM state WHERE ns = ? AND expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at, key LIMIT ?', 'a', 5, 10);
        expect(expired).toMatch(/USING COVERING INDEX state_expiry/);
        expect(expired).not.toMatch(/TEMP B-TREE/);
      });
    });
  });

  it('keeps the key order of SQLite and of the memory adapter the same for every kind of character', () => {
    withStore(tmp(), (s) => {
      const keys = ['\u007f', '\u0080', '\u07ff', '\u0800', '\ud7ff', '\ue000', '\uffff', '\u{10000}', '\u{10ffff}', 'a\u0000b', 'a'];
      for (const k of keys) s.state.put('ns', k, k);
      const bytes = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
      expect(s.state.range('ns').map((e) => e.key)).toEqual(bytes);
      expect(s.state.get('ns', 'a\u0000b')).toBe('a\u0000b');
    });
  });
});
