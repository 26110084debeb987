/**
 * Followed-file ingest (`follow: true`) against the file source that reads to the end and stops:
 * the same NDJSON file, into the same durable stream, by `node bin/sanctum.js run` (the build in
 * dist/) in a process of its own. Both are timed from spawn until the stream holds every line (the
 * data file's `streams.last_seq`, polled every 5 ms by a read-only connection — a followed run never
 * ends by itself, so both are timed the same way); the followed run is then stopped with SIGTERM and
 * must exit 0. The two run in turn (A, B, A, B, …) and every figure is a median, so a burst of other
 * work on the machine slows both; the ratio comes from one run of this script. Every run is checked:
 * the stream holds exactly the file's lines, in order (ids 1..N).
 *
 *   npm run bench:follow -- [--events 300000] [--runs 5] [--json]
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { flag, machineInfo, median, option as optionOf } from './options.js';

const option = (name: string, fallback: number) => optionOf('bench:follow', name, fallback);
const N = option('events', 300_000);
const RUNS = option('runs', 5);
const JSON_OUT = flag('json');

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SANCTUM = path.join(ROOT, 'bin/sanctum.js');
if (!existsSync(path.join(ROOT, 'dist/cli/main.js'))) {
  console.error('bench:follow: dist/ is not built: run `npm run build` first');
  process.exit(2);
}

const loadAtStart = loadavg()[0]!;
const work = mkdtempSync(path.join(tmpdir(), 'sanctum-bench-follow-'));
const input = path.join(work, 'in.ndjson');

function writeEvents(file: string, n: number): void {
  const fd = openSync(file, 'w');
  for (let i = 1; i <= n; i += 10_000) {
    let chunk = '';
    for (let j = i; j < Math.min(n + 1, i + 10_000); j++) chunk += `${JSON.stringify({ id: j, value: (j * 37 + 11) % 100, kind: `k${j % 32}` })}\n`;
    writeFileSync(fd, chunk);
  }
  closeSync(fd);
}

/** The runeset: the file source into a durable stream, followed or not; nothing else differs. */
function runeset(dir: string, follow: boolean): void {
  mkdirSync(dir, { recursive: true });
  const source = `{ type: file, path: ${JSON.stringify(input)}, to: in${follow ? ', follow: true' : ''} }`;
  writeFileSync(
    path.join(dir, 'bench.yaml'),
    ['version: 1', 'sanctum: { log_level: error }', 'streams:', '  in: { durable: true }', 'sources:', `  input: ${source}`, ''].join('\n'),
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The stream's last sequence number, 0 before the data file or the stream exists. */
function lastSeq(db: Database.Database | undefined): number {
  if (!db) return 0;
  try {
    const row = db.prepare(`SELECT last_seq FROM streams WHERE name = 'in'`).get() as { last_seq: number } | undefined;
    return row?.last_seq ?? 0;
  } catch {
    return 0;
  }
}

/** Checks the stream: N events, ids 1..N in order. */
function check(file: string): string | undefined {
  const db = new Database(file, { readonly: true });
  try {
    let expected = 1;
    for (const row of db.prepare(`SELECT json FROM events WHERE stream = 'in' ORDER BY seq`).iterate() as IterableIterator<{ json: string }>) {
      const id = (JSON.parse(row.json) as { id: number }).id;
      if (id !== expected) return `event ${expected} has id ${id}`;
      expected++;
    }
    return expected - 1 === N ? undefined : `${expected - 1} events, expected ${N}`;
  } finally {
    db.close();
  }
}

/** One run: ms from spawn until the stream holds N events. */
async function runOnce(follow: boolean): Promise<number> {
  const dir = path.join(work, follow ? 'follow' : 'plain');
  rmSync(dir, { recursive: true, force: true });
  runeset(dir, follow);
  const dataFile = path.join(dir, '.sanctum/bench/sanctum.db');
  const t0 = performance.now();
  const child = spawn(process.execPath, [SANCTUM, 'run', 'bench.yaml', '--quiet'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<string>((resolve) => child.on('close', (code, signal) => resolve(signal ?? String(code))));
  let ended: string | undefined;
  void exited.then((e) => (ended = e));
  let db: Database.Database | undefined;
  let ms = NaN;
  try {
    for (;;) {
      if (!db && existsSync(dataFile)) db = new Database(dataFile, { readonly: true, fileMustExist: true });
      if (lastSeq(db) >= N) {
        ms = performance.now() - t0;
        break;
      }
      if (ended !== undefined)
        throw new Error(`${follow ? 'the followed run' : 'the run'} exited (${ended}) with ${lastSeq(db)} of ${N} events: ${stderr.slice(0, 500)}`);
      await sleep(5);
    }
  } finally {
    db?.close();
  }
  if (follow) child.kill('SIGTERM');
  const end = await exited;
  if (end !== '0') throw new Error(`${follow ? 'the followed run' : 'the run'} ended with ${end}: ${stderr.slice(0, 500)}`);
  const problem = check(dataFile);
  if (problem) throw new Error(`${follow ? 'followed' : 'file'}: ${problem}`);
  return ms;
}

writeEvents(input, N);
const samples = { plain: [] as number[], follow: [] as number[] };
try {
  for (let r = 0; r < RUNS; r++) {
    samples.plain.push(await runOnce(false));
    samples.follow.push(await runOnce(true));
    if (!JSON_OUT)
      process.stderr.write(`  run ${r + 1}/${RUNS}: file ${samples.plain.at(-1)!.toFixed(0)} ms, followed ${samples.follow.at(-1)!.toFixed(0)} ms\n`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const plain = median(samples.plain);
const followed = median(samples.follow);
const rows = [
  { id: 'file', label: 'file source (reads to its end) → durable stream', ms: plain, eventsPerSec: (N / plain) * 1000 },
  { id: 'follow', label: 'file source, follow: true → durable stream', ms: followed, eventsPerSec: (N / followed) * 1000 },
];
const ratio = plain / followed;
const machine = machineInfo(loadAtStart);
if (JSON_OUT) console.log(JSON.stringify({ events: N, runs: RUNS, rows, ratio, samples, machine }, null, 2));
else {
  console.log(`bench:follow — ${N} lines, median of ${RUNS} runs each, spawn → every line committed`);
  for (const row of rows)
    console.log(`  ${row.label.padEnd(52)} ${row.ms.toFixed(0).padStart(6)} ms  ${Math.round(row.eventsPerSec).toLocaleString('en-US').padStart(9)} events/s`);
  console.log(`  followed / file: ${ratio.toFixed(2)}× (goal ≥ 0.8×)`);
  console.log(
    `  ${machine.cpus} × ${machine.cpuModel}, ${machine.node}, load ${machine.loadAverageAtStart.toFixed(1)} → ${machine.loadAverageAtEnd.toFixed(1)}`,
  );
}
