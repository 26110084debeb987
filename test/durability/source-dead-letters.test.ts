/**
 * Issue 10.7 and 10.12 with real processes. A durable file source commits the dead letters of its
 * unreadable lines with its position, so a kill -9 never loses them nor writes them twice (the
 * negative control commits them apart, as the old group commit did, and is caught). A SIGTERM with a
 * durable backlog stops after the batch in flight instead of draining the log.
 */
import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { openSqliteStorage } from '../../src/storage/index.js';
import { BIN } from '../cli/run-cli.js';
import { tempDir } from '../helpers.js';

const SPLIT = new URL('./fixtures/split-dead-letters-run.ts', import.meta.url).pathname;
const TSX = import.meta.resolve('tsx');
const LINES = 60_000;

const runeset = `version: 1
sanctum: { log_level: error }
streams:
  in: { durable: true }
  dead-letters: { durable: true }
sources:
  file: { type: file, path: in.ndjson, to: in }
`;

/** `count` lines numbered from `from`; every 7th is not JSON. */
function chunk(from: number, count: number): { text: string; bad: number } {
  const lines: string[] = [];
  let bad = 0;
  for (let i = from; i < from + count; i++) {
    if (i % 7 === 0) {
      lines.push(`not json ${i}`);
      bad++;
    } else lines.push(JSON.stringify({ i, pad: 'x'.repeat(40) }));
  }
  return { text: `${lines.join('\n')}\n`, bad };
}

interface Input {
  dir: string;
  lines: number;
  bad: number;
}

function setup(): Input {
  const first = chunk(1, LINES);
  return { dir: tempDir({ 'r.yaml': runeset, 'in.ndjson': first.text }), lines: LINES, bad: first.bad };
}

/** Appends another `LINES` lines to the source file (the source reads on from its position). */
function grow(input: Input): void {
  const more = chunk(input.lines + 1, LINES);
  appendFileSync(`${input.dir}/in.ndjson`, more.text);
  input.lines += LINES;
  input.bad += more.bad;
}

function read(dir: string, what: (s: ReturnType<typeof openSqliteStorage>) => number): number {
  try {
    const s = openSqliteStorage({ dir: `${dir}/.sanctum/r`, create: false, verify: 'none' });
    try {
      return what(s);
    } finally {
      s.close();
    }
  } catch {
    return 0;
  }
}

/** Runs the runeset (or the negative control's runner); SIGKILLs the node process once `in` has grown by `killAfter`. */
function run(dir: string, control: boolean, killAfter?: number): Promise<string> {
  const args = control ? ['--import', TSX, SPLIT, 'r.yaml'] : [BIN, 'run', 'r.yaml', '--quiet'];
  const start = read(dir, (s) => s.log.lastSeq('in'));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: dir, stdio: 'ignore' });
    let timer: NodeJS.Timeout | undefined;
    let ended = false;
    const watch = () => {
      if (ended || timer) return;
      if (read(dir, (s) => s.log.lastSeq('in')) - start >= killAfter!) timer = setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 20));
      else setTimeout(watch, 5);
    };
    if (killAfter !== undefined) watch();
    child.on('close', (code, signal) => {
      ended = true;
      if (timer) clearTimeout(timer);
      resolve(signal ?? String(code));
    });
  });
}

/**
 * Kills 12 runs, each once `in` has grown by 1000–5000 events, then lets one run finish. A kill lands
 * late by the poll and the random delay, and a fast machine stores thousands of events meanwhile, so
 * a run can reach the end of the file first: then the file grows by another chunk and the kills go on.
 */
async function killAndFinish(input: Input, control: boolean): Promise<string[]> {
  const ends: string[] = [];
  let kills = 0;
  while (kills < 12 && ends.length < 60) {
    const end = await run(input.dir, control, 1000 + Math.floor(Math.random() * 4000));
    ends.push(end);
    if (end === 'SIGKILL') kills++;
    else grow(input);
  }
  ends.push(await run(input.dir, control));
  return ends;
}

function verdict(dir: string, lines: number) {
  const s = openSqliteStorage({ dir: `${dir}/.sanctum/r` });
  try {
    const events = s.log.read('in', 1, lines + 10).map((e) => (e.event as { i: number }).i);
    const dead = s.log.read('dead-letters', 1, lines + 10).map((e) => (e.event as { line: number }).line);
    return { events: events.length, distinctEvents: new Set(events).size, dead: dead.length, distinctDead: new Set(dead).size };
  } finally {
    s.close();
  }
}

describe('10.7 dead letters of unreadable source lines survive kill -9', () => {
  it('every unreadable line is dead-lettered exactly once, every good line stored once, over 12 kills', async () => {
    const input = setup();
    const ends = await killAndFinish(input, false);
    expect(ends.filter((e) => e === 'SIGKILL').length).toBe(12);
    expect(ends.filter((e) => e !== 'SIGKILL')).toEqual(ends.filter((e) => e === '0')); // every other run ended well
    expect(ends.at(-1)).toBe('0');
    const { lines, bad } = input;
    expect(verdict(input.dir, lines)).toEqual({ events: lines - bad, distinctEvents: lines - bad, dead: bad, distinctDead: bad });
  }, 900_000);

  it('negative control: dead letters committed apart from the position are caught lost', async () => {
    const input = setup();
    const ends = await killAndFinish(input, true);
    expect(ends.filter((e) => e === 'SIGKILL').length).toBe(12);
    const { lines, bad } = input;
    const v = verdict(input.dir, lines);
    expect(v.events).toBe(lines - bad); // the events themselves are exact…
    expect(v.dead).toBeLessThan(bad); // …but kills between the two commits lost dead letters
  }, 900_000);
});

describe('10.12 SIGTERM with a durable backlog', () => {
  it('stops after the batch in flight, exits 0, and the next run goes on from there', async () => {
    const N = 100_000;
    const dir = tempDir({
      // About 200 µs of Lua per event: the backlog takes half a minute or more to cast.
      'slow.lua': 'return { cast = function(e) local x = 0 for i = 1, 20000 do x = x + i end return { i = e.i, x = x } end }\n',
      'in.ndjson': `${Array.from({ length: N }, (_, i) => JSON.stringify({ i })).join('\n')}\n`,
      'load.yaml': `version: 1
sanctum: { data_dir: .sanctum/r }
streams: { in: { durable: true } }
sources: { file: { type: file, path: in.ndjson, to: in } }
`,
      'r.yaml': `version: 1
sanctum: { log_level: error, batch_size: 500 }
streams: { in: { durable: true }, out: { durable: true } }
spells: { slow: { file: slow.lua } }
pipelines: { p: { from: in, steps: [slow], to: out } }
`,
    });
    // The backlog: 100,000 events in the log before the run starts.
    const load = spawn(process.execPath, [BIN, 'run', 'load.yaml', '--quiet'], { cwd: dir, stdio: 'ignore' });
    expect(await new Promise((r) => load.on('close', r))).toBe(0);
    expect(read(dir, (s) => s.log.lastSeq('in'))).toBe(N);
    const child = spawn(process.execPath, [BIN, 'run', 'r.yaml'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // Ready once it has committed a first batch.
    await new Promise<void>((resolve) => {
      const poll = () => (read(dir, (s) => s.offsets.get('pipeline:p', 'in')) > 0 ? resolve() : setTimeout(poll, 10));
      poll();
    });
    child.kill('SIGTERM');
    const code = await new Promise((r) => child.on('close', r));
    expect(code).toBe(0);
    const stoppedAt = read(dir, (s) => s.offsets.get('pipeline:p', 'in'));
    expect(stoppedAt).toBeLessThan(N); // it did not drain the backlog
    expect(read(dir, (s) => s.log.lastSeq('out'))).toBe(stoppedAt); // what it cast, it committed
    // The next run goes on from there and finishes the rest, each event once.
    const rest = spawn(process.execPath, [BIN, 'run', 'r.yaml', '--quiet'], { cwd: dir, stdio: 'ignore' });
    expect(await new Promise((r) => rest.on('close', r))).toBe(0);
    expect(read(dir, (s) => s.log.lastSeq('out'))).toBe(N);
    expect(stderr).toContain('SIGTERM: stopping input');
  }, 900_000);
});
