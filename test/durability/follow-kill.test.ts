/**
 * A followed file under kill -9 (recipe R2 of shared/notes/storage.md, for ingestion): a writer
 * appends numbered lines to app.log and rotates it — renamed away every few hundred lines, copied
 * and truncated (copytruncate) every few hundred more — while `sanctum run` follows it into a
 * durable stream and is SIGKILLed at random moments after real progress and restarted, rotations
 * happening while it runs and while it is down. Every line must be in the stream exactly once, in
 * order. The negative control runs the same with positions that ignore the file's inode
 * (fixtures/inode-blind-run.ts) and must be caught skipping or repeating lines.
 */
import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, readdirSync, renameSync, statSync, truncateSync } from 'node:fs';
import Database from 'better-sqlite3';
import { BIN } from '../cli/run-cli.js';
import { tempDir } from '../helpers.js';

/** Rename rotation before line i when i is a multiple of this; copytruncate likewise. */
const RENAME_EVERY = 290;
const TRUNCATE_EVERY = 530;
/** How long the follower may make no progress while lines wait for it, before the test gives up. */
const STUCK_MS = 90_000;

const runeset = `version: 1
sanctum: { batch_size: 50, log_level: error }
streams:
  in: { durable: true }
sources:
  f: { type: file, path: app.log, to: in, follow: true, poll_interval: 100ms }
`;

const BLIND = new URL('./fixtures/inode-blind-run.ts', import.meta.url).pathname;
/** tsx's loader by its full address: the runner's working directory is a temporary one. */
const TSX = import.meta.resolve('tsx');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reads the data file by a connection of its own (read-only); undefined before it exists. */
function withDb<T>(dir: string, read: (db: Database.Database) => T): T | undefined {
  const file = `${dir}/.sanctum/r/sanctum.db`;
  if (!existsSync(file)) return undefined;
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    return read(db);
  } catch {
    return undefined; // not initialised yet
  } finally {
    db?.close();
  }
}

/** How many events the durable stream holds: cheap enough to poll. */
function count(dir: string): number {
  return withDb(dir, (db) => (db.prepare(`SELECT last_seq FROM streams WHERE name = 'in'`).get() as { last_seq: number } | undefined)?.last_seq ?? 0) ?? 0;
}

/** What the durable stream holds (the `i` of each event, in order) and the source's positions. */
function look(dir: string): { ids: number[]; positions: { stream: string; seq: number }[] } {
  return (
    withDb(dir, (db) => ({
      ids: (db.prepare(`SELECT json FROM events WHERE stream = 'in' ORDER BY seq`).all() as { json: string }[]).map(
        (r) => (JSON.parse(r.json) as { i: number }).i,
      ),
      positions: db.prepare(`SELECT stream, seq FROM offsets WHERE consumer = 'source:f'`).all() as { stream: string; seq: number }[],
    })) ?? { ids: [], positions: [] }
  );
}

/** Polls `check` every 25 ms; false after `ms` (the caller decides whether that is a failure). */
async function within(ms: number, check: () => boolean): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await sleep(25);
  }
  return check();
}

/** Why the follower is stuck: the lines missing, the positions, the files. */
function stuck(dir: string, upTo: number): Error {
  const { ids, positions } = look(dir);
  const seen = new Set(ids);
  const missing = Array.from({ length: upTo }, (_, k) => k).filter((k) => !seen.has(k));
  const files = readdirSync(dir)
    .filter((f) => f.startsWith('app.log'))
    .map((f) => [f, statSync(`${dir}/${f}`).ino, statSync(`${dir}/${f}`).size]);
  return new Error(
    `the follower did not read up to line ${upTo}: ${ids.length} events, ${missing.length} missing (${missing.slice(0, 5).join(', ')}…); positions ${JSON.stringify(positions)}; files ${JSON.stringify(files)}`,
  );
}

interface Trial {
  readonly dir: string;
  readonly control: boolean;
  /** Lines to write. */
  readonly n: number;
  /** Lines written so far (the writer's progress). */
  written: number;
  writing: boolean;
  /** Runs SIGKILLed so far. */
  kills: number;
}

/**
 * Writes lines 0..n-1 to app.log in bursts of 10, rotating it on the way. Every n/12 lines it waits
 * for a kill since its last such pause (at least 12 kills while it writes). Before a rename it waits
 * until the follower read some of the current file, since it was created or truncated (a file
 * created and rotated away while no run saw it is unknown to the next, and one truncated and rotated
 * away is not read again: docunomicon/connectors.md says so); before a copytruncate, until
 * every line written so far is in the stream (lines written between the last read and the
 * truncation are in the copy only). The negative control may never get there: its waits are short.
 */
async function write(t: Trial): Promise<{ renames: number; truncates: number }> {
  const file = `${t.dir}/app.log`;
  const wait = t.control ? 3_000 : STUCK_MS;
  let pending = '';
  let renames = 0;
  let truncates = 0;
  let truncatedAt = 0;
  const flush = () => {
    if (pending) appendFileSync(file, pending);
    pending = '';
  };
  const pauseEvery = Math.ceil(t.n / 12);
  for (let i = 0; i < t.n; i++) {
    if (i > 0 && i % pauseEvery === 0) {
      flush();
      const pause = i / pauseEvery;
      if (!(await within(t.control ? 20_000 : STUCK_MS, () => t.kills >= pause)) && !t.control) throw stuck(t.dir, t.written);
    }
    if (i > 0 && i % RENAME_EVERY === 0) {
      flush();
      // After a copytruncate, a run must have read the emptied file again (a line written after it)
      // before it is renamed: a file truncated and then rotated away while no run was up is not read
      // again (docunomicon/connectors.md).
      const upTo = Math.max(i - 50, truncatedAt + 1);
      if (!(await within(wait, () => count(t.dir) >= upTo)) && !t.control) throw stuck(t.dir, upTo);
      renameSync(file, `${file}.${++renames}`);
      // The next append creates the new file: for a moment there is none at the path.
    } else if (i > 0 && i % TRUNCATE_EVERY === 0) {
      flush();
      if (!(await within(wait, () => count(t.dir) >= i)) && !t.control) throw stuck(t.dir, i);
      copyFileSync(file, `${file}.copy${++truncates}`);
      truncateSync(file, 0);
      truncatedAt = i;
    }
    pending += `{"i":${i}}\n`;
    t.written = i + 1;
    if ((i + 1) % 10 === 0) {
      flush();
      await sleep(12);
    }
  }
  flush();
  return { renames, truncates };
}

/**
 * Runs the runeset — `sanctum run`, or the negative control's inode-blind runner — as a node process
 * of its own. With `killAfter`, SIGKILLs that process (never a wrapper) a random 0–25 ms after the
 * stream grew `killAfter` events past where it started — or grew at all and holds every line
 * written so far — after real progress, however loaded the machine. Without it, runs until `done()` holds (or
 * `budgetMs` passed), then sends SIGTERM. Rejects when the stream does not grow for STUCK_MS while
 * lines wait. Resolves with the exit code or signal.
 */
function run(t: Trial, opts: { killAfter?: number; done?: () => boolean; budgetMs?: number }): Promise<string> {
  const args = t.control ? ['--import', TSX, BLIND, 'r.yaml'] : [BIN, 'run', 'r.yaml', '--quiet'];
  const start = count(t.dir);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    // The control's runner reads every file its blind positions point at (the runeset too): its dead letters are noise.
    const child = spawn(process.execPath, args, { cwd: t.dir, stdio: ['ignore', 'ignore', t.control ? 'ignore' : 'inherit'] });
    let ended = false;
    let signalled = false;
    let last = start;
    let lastGrowth = Date.now();
    const watch = () => {
      if (ended || signalled) return;
      const now = count(t.dir);
      if (now !== last) [last, lastGrowth] = [now, Date.now()];
      if (opts.killAfter !== undefined) {
        if (now - start >= opts.killAfter || (now > start && now >= t.written)) {
          signalled = true;
          setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 25));
          return;
        }
        if (Date.now() - lastGrowth > (t.control ? 10_000 : STUCK_MS)) {
          signalled = true;
          child.kill('SIGKILL');
          if (!t.control) reject(stuck(t.dir, t.written));
          return;
        }
      } else if (opts.done!() || Date.now() - started >= opts.budgetMs!) {
        signalled = true;
        child.kill('SIGTERM');
        return;
      }
      setTimeout(watch, 10);
    };
    watch();
    child.on('close', (code, signal) => {
      ended = true;
      if (signal === 'SIGKILL') t.kills++;
      resolve(signal ?? String(code));
    });
  });
}

/**
 * Kills runs while the writer writes (each after 20 to n/15 lines of progress, or once caught up),
 * then lets a last run catch up and stops it with SIGTERM.
 */
async function killRepeatedly(dir: string, control: boolean, n: number): Promise<{ ends: string[]; renames: number; truncates: number; ms: number }> {
  const t0 = Date.now();
  const t: Trial = { dir, control, n, written: 0, writing: true, kills: 0 };
  const writer = write(t).finally(() => (t.writing = false));
  writer.catch(() => undefined); // awaited below; a kill loop failing first reports its own error
  const ends: string[] = [];
  while (t.writing || count(dir) < t.written) {
    ends.push(await run(t, { killAfter: 20 + Math.floor(Math.random() * (n / 15 - 20)) }));
  }
  const written = await writer;
  // The last run: until every line is in the stream and the source is done with every file (the
  // rotated ones let go, the current one read to its end) — or, for the control, a bounded while.
  const settled = () => {
    const { ids, positions } = look(dir);
    if (new Set(ids).size < n) return false;
    const st = statSync(`${dir}/app.log`, { bigint: true });
    // Positions are stored as the byte offset + 1 (0: let go), a check of the bytes before it above 2^40.
    const current = `follow:${dir}/app.log#${st.dev}:${st.ino}`;
    return positions.every((p) => (p.stream === current ? p.seq % 2 ** 40 === Number(st.size) + 1 : p.seq === 0));
  };
  ends.push(await run(t, { done: settled, budgetMs: control ? 15_000 : 120_000 }));
  return { ends, ...written, ms: Date.now() - t0 };
}

describe('a followed file under kill -9, with rotations', () => {
  it('every line once, in order, after 10+ kills with rename and copytruncate rotations while running and while down', async () => {
    const N = 4000;
    const dir = tempDir({ 'r.yaml': runeset, 'app.log': '' });
    const { ends, renames, truncates, ms } = await killRepeatedly(dir, false, N);
    const kills = ends.filter((e) => e === 'SIGKILL').length;
    console.log(`follow-kill: ${N} lines, ${kills} kills, ${renames} renames, ${truncates} copytruncates, ${(ms / 1000).toFixed(1)} s`);
    expect(kills).toBeGreaterThanOrEqual(10);
    expect(ends[ends.length - 1]).toBe('0'); // the last run drained on SIGTERM, done with every file
    expect({ renames, truncates }).toEqual({ renames: Math.floor((N - 1) / RENAME_EVERY), truncates: 7 });
    const { ids, positions } = look(dir);
    expect(ids).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(positions.filter((p) => p.seq !== 0)).toHaveLength(1); // the current file's; the rotated ones let go
  }, 300_000);

  it('negative control: positions that ignore the inode are caught skipping or repeating lines', async () => {
    const N = 1500;
    const dir = tempDir({ 'r.yaml': runeset, 'app.log': '' });
    const { ends } = await killRepeatedly(dir, true, N);
    expect(ends.filter((e) => e === 'SIGKILL').length).toBeGreaterThanOrEqual(10);
    const { ids } = look(dir);
    // Lines lost (a new file resumed at an old file's offset) or read twice (a position that does
    // not fit the file): the test above would fail.
    expect(ids).not.toEqual(Array.from({ length: N }, (_, i) => i));
  }, 300_000);
});
