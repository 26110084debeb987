/** Crash tests of the SQLite store (recipes R1, R2, R4, R5 of notes/storage.md): real SIGKILLs, damaged files, failing commits. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { EventValue } from '../../src/core/event.js';
import { StorageError } from '../../src/storage/errors.js';
import { openSqliteStorage, type SqliteStorage } from '../../src/storage/sqlite.js';
import { expectStorageError } from './conformance.js';
import { CommitFaults, FAULT_STREAM } from './faults.js';
import { tempDirs } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const fixture = (name: string): string => path.join(here, 'fixtures', name);
const tmp = tempDirs('sanctum-crash-');

interface Run {
  /** Complete lines printed so far. */
  readonly lines: string[];
  /** Resolves when a line matching `re` has been printed. */
  waitFor(re: RegExp): Promise<void>;
  kill(): void;
  /** Resolves when the process has exited and its output is read to the end. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

function run(script: string, args: string[]): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  const watchers: { re: RegExp; resolve: () => void }[] = [];
  const check = (): void => {
    for (const w of [...watchers]) {
      if (lines.some((l) => w.re.test(l))) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!; // a line cut by the kill is not a complete ACK
    lines.push(...parts);
    check();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    child.on('close', (code, signal) => {
      for (const w of watchers.splice(0)) w.resolve();
      resolve({ code, signal, stderr });
    });
  });
  return {
    lines,
    waitFor: (re) =>
      new Promise<void>((resolve) => {
        watchers.push({ re, resolve });
        check();
      }),
    kill: () => child.kill('SIGKILL'),
    exited,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('R1: no acknowledged append is lost across SIGKILLs', () => {
  it('keeps every acked event, contiguous and without duplicates, over 16 kills', async () => {
    const dir = tmp();
    const acked = new Set<number>();
    let killedWhileWriting = 0;
    for (let round = 0; round < 16; round++) {
      const child = run(fixture('appender.ts'), [dir]);
      if (round < 3) {
        await sleep(Math.random() * 700); // anywhere, start-up and file creation included
      } else {
        await child.waitFor(/^ACK/);
        await sleep(Math.random() * 150);
      }
      const wasWriting = child.lines.some((l) => l.startsWith('ACK'));
      child.kill();
      const { signal, stderr } = await child.exited;
      expect(signal, stderr).toBe('SIGKILL');
      if (wasWriting) killedWhileWriting++;
      for (const l of child.lines) if (l.startsWith('ACK ')) acked.add(Number(l.slice(4)));
    }
    expect(killedWhileWriting).toBeGreaterThanOrEqual(13);
    expect(acked.size).toBeGreaterThan(100);

    const s = openSqliteStorage({ dir });
    try {
      const stored = s.log.read('r1', 1, 10_000_000);
      // Contiguous seqs from 1, and event n at seq n+1: no gap, no duplicate, nothing reordered.
      stored.forEach((e, i) => {
        expect(e.seq).toBe(i + 1);
        expect(e.event).toEqual({ n: i });
      });
      expect(s.log.lastSeq('r1')).toBe(stored.length);
      const missing = [...acked].filter((n) => n >= stored.length);
      expect(missing, 'acknowledged but not stored').toEqual([]);
    } finally {
      s.close();
    }
  }, 60_000);
});

describe('R2: exactly-once effects of commitBatch across SIGKILLs', () => {
  const N = 60_000; // more than 15 short runs can consume, so every kill lands mid-work

  function prefill(dir: string, n = N): void {
    const s = openSqliteStorage({ dir, synchronous: 'NORMAL' });
    s.commitBatch({ appends: [{ stream: 'in', items: Array.from({ length: n }, (_, i) => ({ event: { id: i + 1, v: i % 97 } })) }] });
    s.close();
  }

  function inspect(dir: string): { consumed: number; outputs: number; distinct: number; sum: number; expectedSum: number } {
    const s = openSqliteStorage({ dir, verify: 'none' });
    try {
      const consumed = s.offsets.get('proc', 'in');
      const out = s.log.read('out', 1, 1_000_000);
      let expectedSum = 0;
      for (let id = 1; id <= consumed; id++) expectedSum += (id - 1) % 97;
      return {
        consumed,
        outputs: out.length,
        distinct: new Set(out.map((e) => (e.event as { src: number }).src)).size,
        sum: (s.state.get('proc', 'sum') as number | undefined) ?? 0,
        expectedSum,
      };
    } finally {
      s.close();
    }
  }

  async function killRounds(dir: string, mode: string, rounds: number, stopWhen?: () => boolean): Promise<number> {
    let kills = 0;
    for (let round = 0; round < rounds; round++) {
      const child = run(fixture('processor.ts'), [dir, mode]);
      await child.waitFor(/^PROGRESS/);
      await sleep(Math.random() * 40);
      if (child.lines.includes('DONE')) break;
      child.kill();
      const { signal } = await child.exited;
      if (signal === 'SIGKILL' && !child.lines.includes('DONE')) kills++;
      if (stopWhen?.()) break;
    }
    return kills;
  }

  async function finish(dir: string, mode: string): Promise<void> {
    const child = run(fixture('processor.ts'), [dir, mode]);
    const { code, stderr } = await child.exited;
    expect(code, stderr).toBe(0);
    expect(child.lines).toContain('DONE');
  }

  it('one commitBatch per batch: outputs = inputs, each once, state sum exact, after 15 kills', async () => {
    const dir = tmp();
    prefill(dir);
    const kills = await killRounds(dir, 'batch', 15, () => {
      // At every kill point the three effects agree: outputs and state are exactly those of the committed inputs.
      const r = inspect(dir);
      expect(r.outputs).toBe(r.consumed);
      expect(r.distinct).toBe(r.consumed);
      expect(r.sum).toBe(r.expectedSum);
      return false;
    });
    expect(kills).toBe(15);
    await finish(dir, 'batch');
    const r = inspect(dir);
    expect(r).toEqual({ consumed: N, outputs: N, distinct: N, sum: r.expectedSum, expectedSum: r.expectedSum });
  }, 60_000);

  it('negative control: committing the position separately duplicates outputs after a kill', async () => {
    const dir = tmp();
    const n = 1000; // the control holds each batch 60 ms between its two commits: keep its run short
    prefill(dir, n);
    // Kill until a kill lands between the two commits (outputs ahead of the position), at most 15 times.
    await killRounds(dir, 'separate', 15, () => {
      const r = inspect(dir);
      return r.outputs > r.consumed;
    });
    await finish(dir, 'separate');
    const r = inspect(dir);
    expect(r.consumed).toBe(n);
    expect(r.distinct).toBe(n);
    expect(r.outputs, 'the control must show duplicates, or this test cannot tell').toBeGreaterThan(n);
  }, 60_000);
});

describe('R4: a damaged file is a loud error naming it, never a silent empty store', () => {
  const EVENTS = 3000;

  /** A closed store with known content; returns its file. */
  function makeStore(): string {
    const dir = tmp();
    const s = openSqliteStorage({ dir, synchronous: 'NORMAL' });
    for (let b = 0; b < 30; b++) {
      s.commitBatch({
        appends: [{ stream: 'r4', items: Array.from({ length: EVENTS / 30 }, (_, i) => ({ event: { n: b * 100 + i, pad: 'x'.repeat(80) } })) }],
        state: [{ ns: 'spell', key: `k${b}`, value: { b } }],
      });
    }
    s.close();
    return s.path;
  }

  function copyStore(file: string): string {
    const dir = tmp();
    fs.copyFileSync(file, path.join(dir, 'sanctum.db'));
    return path.join(dir, 'sanctum.db');
  }

  /** Opens and reads everything; returns the events, or the StorageError. */
  function openAll(file: string): { error?: StorageError; events?: number; state?: number } {
    let s: SqliteStorage | undefined;
    try {
      s = openSqliteStorage({ dir: path.dirname(file) });
      const events = s.log.read('r4', 1, 1_000_000);
      return { events: events.length, state: s.state.count('spell') };
    } catch (e) {
      if (!(e instanceof StorageError)) throw e;
      return { error: e };
    } finally {
      s?.close();
    }
  }

  function expectLoud(file: string, codes: StorageError['code'][]): StorageError {
    const r = openAll(file);
    expect(r.error, `opening ${file} should fail, but it gave ${r.events} events`).toBeInstanceOf(StorageError);
    expect(codes).toContain(r.error!.code);
    expect(r.error!.message.startsWith(`${file} `)).toBe(true);
    return r.error!;
  }

  function patch(file: string, offset: number, bytes: number[] | ((old: number) => number), length = 1): void {
    const fd = fs.openSync(file, 'r+');
    try {
      const buf = Buffer.alloc(length);
      fs.readSync(fd, buf, 0, length, offset);
      for (let i = 0; i < length; i++) buf[i] = typeof bytes === 'function' ? bytes(buf[i]!) : bytes[i % bytes.length]!; // i < length = buf.length
      fs.writeSync(fd, buf, 0, length, offset);
    } finally {
      fs.closeSync(fd);
    }
  }

  it('reads back the intact store (the baseline)', () => {
    expect(openAll(copyStore(makeStore()))).toEqual({ events: EVENTS, state: 30 });
  });

  it('header: magic string, page size, application id, or the header cut short', () => {
    const original = makeStore();
    let f = copyStore(original);
    patch(f, 0, (b) => b ^ 0xff, 16); // "SQLite format 3\0"
    expect(expectLoud(f, ['STORAGE_FOREIGN']).message).toBe(`${f} is not a Sanctum data file (file is not a database)`);

    f = copyStore(original);
    patch(f, 16, [0x00, 0x03]); // page size 3: not a power of two
    expectLoud(f, ['STORAGE_FOREIGN', 'STORAGE_CORRUPT']);

    f = copyStore(original);
    patch(f, 68, (b) => b ^ 0x5a, 4); // application id
    expect(expectLoud(f, ['STORAGE_CORRUPT']).message).toMatch(/has a damaged header: its application id is/);

    f = copyStore(original);
    fs.truncateSync(f, 50);
    expectLoud(f, ['STORAGE_FOREIGN', 'STORAGE_CORRUPT']);

    f = copyStore(original);
    fs.truncateSync(f, 0);
    expectLoud(f, ['STORAGE_CORRUPT']);
  });

  it('tail: the file cut short by a page, by bytes, or by half', () => {
    const original = makeStore();
    const size = fs.statSync(original).size;
    for (const cut of [4096, 100, 1, Math.floor(size / 2)]) {
      const f = copyStore(original);
      fs.truncateSync(f, size - cut);
      expect(expectLoud(f, ['STORAGE_CORRUPT']).message).toMatch(/is damaged/);
    }
  });

  it('tail: a B-tree page header overwritten', () => {
    const original = makeStore();
    const size = fs.statSync(original).size;
    for (const page of [1, 2, 3]) {
      const f = copyStore(original);
      patch(f, size - page * 4096, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 8);
      expectLoud(f, ['STORAGE_CORRUPT']);
    }
  });

  it('tail: random bytes flipped never lose events silently', () => {
    // SQLite keeps no checksums of data pages: a flip inside an event's JSON text that leaves it
    // valid JSON cannot be seen by anyone. What must never happen is that events go missing
    // without an error: every run either fails loudly or still has every event and key.
    const original = makeStore();
    const size = fs.statSync(original).size;
    let seed = 12345;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let loud = 0;
    for (let trial = 0; trial < 12; trial++) {
      const f = copyStore(original);
      const offset = size - 1 - Math.floor(random() * 16384);
      patch(f, offset, (b) => b ^ (1 + Math.floor(random() * 255)), 1 + Math.floor(random() * 64));
      const r = openAll(f);
      if (r.error !== undefined) {
        loud++;
        expect(r.error.message.startsWith(`${f} `)).toBe(true);
      } else {
        expect(r).toEqual({ events: EVENTS, state: 30 });
      }
    }
    expect(loud).toBeGreaterThan(0);
  });

  it('WAL: a torn or damaged WAL tail recovers a consistent prefix of commits', () => {
    // A crash image: the db and its -wal copied while the store is open (nothing checkpointed).
    const dir = tmp();
    const s = openSqliteStorage({ dir, synchronous: 'NORMAL' });
    s.db.pragma('wal_autocheckpoint = 0');
    for (let b = 0; b < 40; b++) s.commitBatch({ appends: [{ stream: 'w', items: Array.from({ length: 50 }, (_, i) => ({ event: { n: b * 50 + i } })) }] });
    const image = tmp();
    fs.copyFileSync(s.path, path.join(image, 'sanctum.db'));
    fs.copyFileSync(`${s.path}-wal`, path.join(image, 'sanctum.db-wal'));
    s.close();
    const walSize = fs.statSync(path.join(image, 'sanctum.db-wal')).size;

    const cases: [string, (wal: string) => void][] = [
      ['cut mid-frame', (wal) => fs.truncateSync(wal, walSize - 1000)],
      ['last frames flipped', (wal) => patch(wal, walSize - 3000, (b) => b ^ 0x55, 2000)],
      ['cut in half', (wal) => fs.truncateSync(wal, Math.floor(walSize / 2))],
    ];
    for (const [what, damage] of cases) {
      const d = tmp();
      fs.copyFileSync(path.join(image, 'sanctum.db'), path.join(d, 'sanctum.db'));
      fs.copyFileSync(path.join(image, 'sanctum.db-wal'), path.join(d, 'sanctum.db-wal'));
      damage(path.join(d, 'sanctum.db-wal'));
      const r = openSqliteStorage({ dir: d });
      try {
        const events = r.log.read('w', 1, 10_000);
        expect(events.length % 50, what).toBe(0); // whole commits only
        expect(events.length, what).toBeLessThan(2000);
        events.forEach((e, i) => {
          expect(e.event).toEqual({ n: i });
        });
        expect(r.log.lastSeq('w'), what).toBe(events.length); // the stream head agrees with the events
      } finally {
        r.close();
      }
    }
  });
});

describe('R5: a failed commit is fatal for its batch only', () => {
  const batch = (i: number): Parameters<SqliteStorage['commitBatch']>[0] => ({
    consumer: { name: 'c', stream: 'in', seq: i },
    state: [{ ns: 'c', key: 'last', value: i }],
    appends: [{ stream: 'out', items: [{ event: { i } as EventValue }] }],
  });

  it('the k-th commit throws: that batch is not stored, the earlier ones are (after a reopen too)', async () => {
    const dir = tmp();
    const k = 4;
    const faults = new CommitFaults(({ index }) => {
      if (index === k) throw new Error('injected: fsync failed');
    });
    const s = faults.wrap(openSqliteStorage({ dir, now: faults.now }));
    for (let i = 1; i < k; i++) s.commitBatch(batch(i));
    const err = await expectStorageError(() => s.commitBatch(batch(k)), 'STORAGE_FAILED');
    expect(err.message).toBe(`${s.path} could not commit the batch (injected: fsync failed)`);
    expect((err.cause as Error).message).toBe('injected: fsync failed');
    s.close();
    const again = openSqliteStorage({ dir });
    try {
      expect(again.offsets.get('c', 'in')).toBe(k - 1);
      expect(again.state.get('c', 'last')).toBe(k - 1);
      expect(again.log.read('out', 1, 100).map((e) => e.event)).toEqual([{ i: 1 }, { i: 2 }, { i: 3 }]);
      expect(again.log.lastSeq(FAULT_STREAM)).toBe(0); // the write that failed the transaction went with it
      expect(again.commitBatch(batch(k)).appended).toEqual([{ stream: 'out', first: k, last: k }]);
    } finally {
      again.close();
    }
  });

  it('SQLite itself fails a commit (disk full): the batch is not stored and the store takes no more writes', async () => {
    const dir = tmp();
    const s = openSqliteStorage({ dir });
    s.commitBatch(batch(1));
    const pages = Number(s.db.pragma('page_count', { simple: true }));
    s.db.pragma(`max_page_count = ${pages}`); // the next page SQLite needs is "beyond the disk"
    const big = { ...batch(2), appends: [{ stream: 'out', items: Array.from({ length: 200 }, () => ({ event: 'x'.repeat(1000) })) }] };
    const err = await expectStorageError(() => s.commitBatch(big), 'STORAGE_FAILED');
    expect(err.driverCode).toBe('SQLITE_FULL');
    expect(err.message).toMatch(/could not commit the batch: the disk is full/);
    // Poisoned: no retry on a store whose last commit failed at the disk (fsyncgate).
    await expectStorageError(() => s.commitBatch(batch(2)), 'STORAGE_FAILED');
    await expectStorageError(() => s.log.append('out', [{ event: 1 }]), 'STORAGE_FAILED');
    expect(s.log.lastSeq('out')).toBe(1); // reads still work
    s.close();
    const again = openSqliteStorage({ dir });
    try {
      expect(again.offsets.get('c', 'in')).toBe(1);
      expect(again.log.lastSeq('out')).toBe(1);
      again.commitBatch(batch(2));
      expect(again.log.lastSeq('out')).toBe(2);
    } finally {
      again.close();
    }
  });

  it('group commit: a failed flush rejects every append in it, stores none, and acknowledges none', async () => {
    const dir = tmp();
    let failing = false;
    const faults = new CommitFaults(({ kind }) => {
      if (failing && kind === 'append') throw new Error('injected');
    });
    const s = faults.wrap(openSqliteStorage({ dir, now: faults.now }));
    await s.log.append('a', [{ event: 0 }]);
    failing = true;
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => s.log.append('a', [{ event: i + 1 }])));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    failing = false;
    expect(await s.log.append('a', [{ event: 'after' }])).toEqual({ first: 2, last: 2 });
    s.close();
    const db = new Database(s.path, { readonly: true });
    expect(db.prepare("SELECT seq, json FROM events WHERE stream = 'a' ORDER BY seq").raw().all()).toEqual([
      [1, '0'],
      [2, '"after"'],
    ]);
    db.close();
  });
});
