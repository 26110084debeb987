/**
 * Sanctum end to end, as users run it: `node bin/sanctum.js …` (the build in dist/) in a process of
 * its own, against plain Node doing the same work file to file (bench/e2e/plain.mjs), both timed from
 * spawn to exit. Each pair runs in turn (A, B, A, B, …) and every figure is a median, so a burst of
 * other work on the machine slows both sides; every ratio comes from one run of this script. Every
 * output is checked: its line count, and each event against the plain baseline's output, in order.
 * A wrong output fails the run (exit 1).
 *
 *   npm run bench:e2e -- [--events 200000] [--runs 3] [--startup-runs 10] [--json]
 *                        [--long] [--long-events 10000000] [--startup-only] [--sanctum path/to/bin/sanctum.js]
 *
 * `--long` adds the memory row: `sanctum run` over 10,000,000 events from stdin, its RSS sampled every
 * million. `--startup-only` runs the start-up rows alone. `--sanctum` measures another checkout's build
 * (for a before/after).
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { EventValue } from '../src/core/event.js';
import { openSqliteStorage } from '../src/storage/index.js';
import { equal, flag, machineInfo, median, option as optionOf, textOption } from './options.js';
import { event, runeset as runesetIn, writeEvents, type RunesetShape } from './e2e/shapes.js';

// -------------------------------------------------------------------------------------------------
// Options and files

const option = (name: string, fallback: number) => optionOf('bench:e2e', name, fallback);
const N = option('events', 200_000);
const RUNS = option('runs', 3);
const STARTUP_RUNS = option('startup-runs', 10);
const LONG = flag('long');
const LONG_N = option('long-events', 10_000_000);
const JSON_OUT = flag('json');
const STARTUP_ONLY = flag('startup-only');

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SANCTUM = path.resolve(textOption('bench:e2e', 'sanctum', path.join(ROOT, 'bin/sanctum.js')));
const PLAIN = path.join(ROOT, 'bench/e2e/plain.mjs');
const SPELLS = path.join(ROOT, 'bench/spells');
const DEMO = path.join(ROOT, 'spells/demo.runeset.yaml');
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

const started = performance.now();
const loadAtStart = loadavg()[0]!;
const work = mkdtempSync(path.join(tmpdir(), 'sanctum-bench-e2e-'));
const at = (...p: string[]) => path.join(work, ...p);

if (!existsSync(SANCTUM)) fail(`no ${SANCTUM}`);
if (SANCTUM === path.join(ROOT, 'bin/sanctum.js')) warnIfStale();

function fail(message: string): never {
  console.error(`bench:e2e: ${message}`);
  process.exit(2);
}

/** The benchmark measures dist/: say so when src/ changed after the last build. */
function warnIfStale(): void {
  const main = path.join(ROOT, 'dist/cli/main.js');
  if (!existsSync(main)) fail('dist/ is not built: run `npm run build` first');
  const built = statSync(main).mtimeMs;
  const newest = (dir: string): number =>
    Math.max(
      ...readdirSync(dir, { withFileTypes: true }).map((d) => (d.isDirectory() ? newest(path.join(dir, d.name)) : statSync(path.join(dir, d.name)).mtimeMs)),
    );
  if (newest(path.join(ROOT, 'src')) > built) console.error('bench:e2e: warning: src/ changed since the last build; this measures dist/ (run `npm run build`)');
}

function progress(what: string): void {
  if (!JSON_OUT) process.stderr.write(`  ${what}\n`);
}

// -------------------------------------------------------------------------------------------------
// Inputs and runesets

const runeset = (dir: string, shape: RunesetShape) => runesetIn(dir, shape, at('in.ndjson'));

// -------------------------------------------------------------------------------------------------
// Running a process and checking what it wrote

interface Sample {
  ms: number;
  /** Peak RSS of the process, KiB (from /usr/bin/time), when available. */
  rssKiB?: number;
}

interface Job {
  id: string;
  label: string;
  argv: string[];
  cwd?: string;
  stdout?: string;
  /** Events it processes, for events/s; 0 for start-up rows (seconds). */
  events: number;
  /** Before each run: a fresh data directory, no old outputs. */
  before?: () => void;
  /** After each run: undefined when the output is right, else what is wrong. */
  check: (stdout: string) => string | undefined;
  samples: Sample[];
  problem?: string;
}

function runOnce(job: Job): void {
  job.before?.();
  const rssFile = at('rss.txt');
  const [cmd, ...args] = TIME ? [TIME, '-f', '%M', '-o', rssFile, process.execPath, ...job.argv] : [process.execPath, ...job.argv];
  const stdoutFile = job.stdout ?? at('stdout.txt');
  const out = openSync(stdoutFile, 'w');
  const t0 = performance.now();
  const r = spawnSync(cmd!, args, { cwd: job.cwd ?? work, stdio: ['ignore', out, 'pipe'], encoding: 'utf8', maxBuffer: 1 << 26, timeout: 20 * 60_000 });
  const ms = performance.now() - t0;
  closeSync(out);
  const rss = TIME && existsSync(rssFile) ? Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) : NaN;
  job.samples.push({ ms, ...(Number.isFinite(rss) ? { rssKiB: rss } : {}) });
  const problem = r.status !== 0 ? `exited ${r.status ?? r.signal}: ${r.stderr.slice(0, 500)}` : job.check(readFileSync(stdoutFile, 'utf8'));
  if (problem) job.problem ??= problem;
}

const lines = (text: string) => {
  const l = text.split('\n');
  if (l[l.length - 1] === '') l.pop();
  return l;
};

/** A reference output: the plain baseline's, made once before the timed runs. */
class Reference {
  readonly lines: string[];
  private parsed: (EventValue | undefined)[] = [];
  constructor(file: string) {
    this.lines = lines(readFileSync(file, 'utf8'));
  }
  at(i: number): EventValue {
    return (this.parsed[i] ??= JSON.parse(this.lines[i]!) as EventValue)!;
  }
}

/** Compares a file's events with the reference, in order; Lua writes fields in its own order. */
function sameEvents(ref: Reference, text: string, what: string): string | undefined {
  const got = lines(text);
  if (got.length !== ref.lines.length) return `${what}: ${got.length} events, expected ${ref.lines.length}`;
  for (let i = 0; i < got.length; i++) {
    if (got[i] === ref.lines[i]) continue;
    let e: EventValue;
    try {
      e = JSON.parse(got[i]!) as EventValue;
    } catch {
      return `${what}: line ${i + 1} is not JSON: ${got[i]!.slice(0, 200)}`;
    }
    if (!equal(e, ref.at(i))) return `${what}: event ${i + 1} is ${got[i]}, expected ${ref.lines[i]}`;
  }
  return undefined;
}

const checkFiles = (files: [string, Reference][]) => () => {
  for (const [file, ref] of files) {
    if (!existsSync(file)) return `${path.basename(file)} was not written`;
    const problem = sameEvents(ref, readFileSync(file, 'utf8'), path.basename(file));
    if (problem) return problem;
  }
  return undefined;
};

/** Makes a reference output with the plain baseline (untimed). */
function reference(steps: string, route: boolean): { out: Reference; hot?: Reference } {
  const dir = at('reference', steps + (route ? '+route' : ''));
  mkdirSync(dir, { recursive: true });
  const files = [path.join(dir, 'out.ndjson'), ...(route ? [path.join(dir, 'hot.ndjson')] : [])];
  const r = spawnSync(process.execPath, [PLAIN, steps, at('in.ndjson'), ...files], { encoding: 'utf8' });
  if (r.status !== 0) fail(`the plain baseline failed: ${r.stderr}`);
  return { out: new Reference(files[0]!), ...(route ? { hot: new Reference(files[1]!) } : {}) };
}

// -------------------------------------------------------------------------------------------------
// The jobs

const jobs: Job[] = [];
function job(j: Omit<Job, 'samples'>): Job {
  const full = { ...j, samples: [] };
  jobs.push(full);
  return full;
}

/** The plain baseline: `steps` file to file (to two files with `route`), optionally into SQLite too. */
function plainJob(id: string, label: string, steps: string, ref: { out: Reference; hot?: Reference }, sqlite = false): Job {
  const dir = at('plain', id);
  mkdirSync(dir, { recursive: true });
  const out = path.join(dir, 'out.ndjson');
  const hot = path.join(dir, 'hot.ndjson');
  const db = path.join(dir, 'events.db');
  return job({
    id,
    label,
    argv: [PLAIN, steps, at('in.ndjson'), out, ...(ref.hot ? [hot] : []), ...(sqlite ? ['--sqlite', db] : [])],
    events: N,
    before: () => {
      for (const f of [out, hot, db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
    },
    check: () => checkFiles([[out, ref.out], ...(ref.hot ? ([[hot, ref.hot]] as [string, Reference][]) : [])])() ?? (sqlite ? checkRows(db, ref) : undefined),
  });
}

/** The raw SQLite baseline stored every input and every output as a row. */
function checkRows(file: string, ref: { out: Reference; hot?: Reference }): string | undefined {
  const db = new Database(file, { readonly: true });
  try {
    const count = (stream: string) => db.prepare('SELECT count(*) FROM events WHERE stream = ?').pluck().get(stream) as number;
    const want: [string, number][] = [
      ['in', N],
      ['out', ref.out.lines.length],
      ['hot', ref.hot?.lines.length ?? 0],
    ];
    const wrong = want.find(([s, n]) => count(s) !== n);
    return wrong ? `SQLite holds ${count(wrong[0])} rows of ${wrong[0]}, expected ${wrong[1]}` : undefined;
  } finally {
    db.close();
  }
}

/** A durable run left every event in its streams: the input, and each output stream as its sink file. */
function checkLog(dataDir: string, ref: { out: Reference; hot?: Reference }): string | undefined {
  const storage = openSqliteStorage({ dir: dataDir });
  try {
    const want: [string, number][] = [['in', N], ['out', ref.out.lines.length], ...(ref.hot ? ([['hot', ref.hot.lines.length]] as [string, number][]) : [])];
    const wrong = want.find(([s, n]) => storage.log.lastSeq(s) !== n);
    return wrong ? `the durable stream ${wrong[0]} ends at seq ${storage.log.lastSeq(wrong[0])}, expected ${wrong[1]}` : undefined;
  } finally {
    storage.close();
  }
}

/** `sanctum run` of a runeset of this shape, in a fresh directory each run (no state, no log left). */
function runJob(id: string, label: string, shape: RunesetShape, ref: { out: Reference; hot?: Reference }): Job {
  const dir = at('run', id);
  const file = runeset(dir, shape);
  return job({
    id,
    label,
    argv: [SANCTUM, 'run', file, '--quiet'],
    cwd: dir,
    events: N,
    before: () => {
      for (const f of ['.sanctum', 'out.ndjson', 'hot.ndjson']) rmSync(path.join(dir, f), { recursive: true, force: true });
    },
    check: () =>
      checkFiles([[path.join(dir, 'out.ndjson'), ref.out], ...(ref.hot ? ([[path.join(dir, 'hot.ndjson'), ref.hot]] as [string, Reference][]) : [])])() ??
      (shape.durable ? checkLog(path.join(dir, '.sanctum', 'bench'), ref) : undefined), // the runeset's own data directory: .sanctum/<name>
  });
}

const EVENTS = STARTUP_ONLY ? 1 : N;
progress(`writing ${EVENTS.toLocaleString('en-US')} events to ${work}`);
writeEvents(at('in.ndjson'), EVENTS);
writeFileSync(at('one.ndjson'), `${JSON.stringify(event(1))}\n`);
progress('making the reference outputs (plain baselines, untimed)');
const ref = {
  enrich: reference('enrich', false),
  route: reference('enrich', true),
  chain: reference('enrich,tag,bucket', false),
  tag: reference('tag', false),
  bucket: reference('bucket', false),
  count: reference('enrich,count', false),
};

interface Group {
  name: string;
  jobs: Job[];
}

const groups: Group[] = STARTUP_ONLY ? [] : throughputGroups();

function throughputGroups(): Group[] {
  return [
    {
      name: 'cast',
      jobs: [
        plainJob('cast-plain', 'plain Node: parse, enrich, stringify, file to file', 'enrich', ref.enrich),
        job({
          id: 'cast',
          label: 'sanctum cast enrich.lua in.ndjson > out.ndjson',
          argv: [SANCTUM, 'cast', path.join(SPELLS, 'enrich.lua'), at('in.ndjson')],
          stdout: at('cast.out.ndjson'),
          events: N,
          check: (stdout) => sameEvents(ref.enrich.out, stdout, 'stdout'),
        }),
      ],
    },
    {
      name: 'run in memory',
      jobs: [
        plainJob('route-plain', 'plain Node: enrich, hot events to a second file', 'enrich', ref.route),
        runJob('route', 'sanctum run: file → enrich → route → 2 files, in memory', { steps: ['enrich', 'route'], route: true }, ref.route),
      ],
    },
    {
      name: 'run durable',
      jobs: [
        plainJob('durable-plain', 'plain Node: the same, to the same 2 files', 'enrich', ref.route),
        plainJob('durable-sqlite', 'plain Node + raw SQLite rows (1000/transaction, FULL)', 'enrich', ref.route, true),
        runJob('durable', 'sanctum run: the same, 3 streams durable (FULL)', { steps: ['enrich', 'route'], route: true, durable: true }, ref.route),
      ],
    },
    {
      name: '3-spell pipeline',
      jobs: [
        plainJob('chain-plain', 'plain Node: enrich, tag, bucket', 'enrich,tag,bucket', ref.chain),
        runJob('single-enrich', 'sanctum run: enrich alone', { steps: ['enrich'] }, ref.enrich),
        runJob('single-tag', 'sanctum run: tag alone', { steps: ['tag'] }, ref.tag),
        runJob('single-bucket', 'sanctum run: bucket alone', { steps: ['bucket'] }, ref.bucket),
        runJob('chain', 'sanctum run: enrich → tag → bucket, one pipeline', { steps: ['enrich', 'tag', 'bucket'] }, ref.chain),
      ],
    },
    {
      name: 'stateful spell',
      jobs: [
        plainJob('count-plain', 'plain Node: enrich, count per kind in a Map', 'enrich,count', ref.count),
        runJob('count', 'sanctum run: enrich → count with state.get/put', { steps: ['enrich', 'count-state'] }, ref.count),
      ],
    },
  ];
}

const startup: { id: string; label: string; args: string[]; check: Job['check'] }[] = [
  { id: 'help', label: 'sanctum --help', args: ['--help'], check: (s) => (s.includes('Usage: sanctum') ? undefined : 'no usage printed') },
  { id: 'check', label: 'sanctum check spells/demo.runeset.yaml', args: ['check', DEMO], check: (s) => (s.includes(': ok') ? undefined : `not ok: ${s}`) },
  {
    id: 'cast-one',
    label: 'sanctum cast, one event',
    args: ['cast', path.join(SPELLS, 'enrich.lua'), at('one.ndjson')],
    check: (s) => (lines(s).length === 1 && equal(JSON.parse(s) as EventValue, ref.enrich.out.at(0)) ? undefined : `wrote ${s}`),
  },
];
const startupGroups: Group[] = startup.map((c) => ({
  name: `start-up: ${c.id}`,
  jobs: [
    job({ id: `node-${c.id}`, label: 'node -e 0', argv: ['-e', '0'], events: 0, check: () => undefined }),
    job({ id: c.id, label: c.label, argv: [SANCTUM, ...c.args], events: 0, check: c.check }),
  ],
}));

// -------------------------------------------------------------------------------------------------
// Measuring: each group's jobs in turn, RUNS times (start-up: STARTUP_RUNS times)

for (let r = 0; r < RUNS; r++) {
  for (const g of groups) {
    progress(`run ${r + 1}/${RUNS}: ${g.name}`);
    for (const j of g.jobs) runOnce(j);
  }
}
progress(`start-up, ${STARTUP_RUNS} runs each`);
for (let r = 0; r < STARTUP_RUNS; r++) for (const g of startupGroups) for (const j of g.jobs) runOnce(j);

const long = LONG ? await memoryRow() : undefined;
rmSync(work, { recursive: true, force: true });

// -------------------------------------------------------------------------------------------------
// The long row: memory over many events

interface LongReport {
  events: number;
  seconds: number;
  /** RSS (KiB) after each million outputs. */
  rssKiB: number[];
  peakKiB: number;
  flat: boolean;
  check?: string;
}

/** `sanctum run` over LONG_N events from stdin to stdout, every output checked, RSS sampled. */
async function memoryRow(): Promise<LongReport> {
  progress(`memory: \`sanctum run\` over ${LONG_N.toLocaleString('en-US')} events (stdin → enrich → route → stdout)`);
  const dir = at('long');
  const file = runeset(dir, { steps: ['enrich', 'route'], route: true, source: 'stdin', sink: 'stdout' });
  const t0 = performance.now();
  const child = spawn(process.execPath, [SANCTUM, 'run', file, '--quiet'], { cwd: dir, stdio: ['pipe', 'pipe', 'inherit'] });
  const rssNow = (): number => {
    try {
      return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? NaN);
    } catch {
      return NaN;
    }
  };
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rssNow() || 0)), 250);
  const rss: number[] = [];
  let check: string | undefined;
  let outputs = 0;
  const seen = new Uint8Array(LONG_N + 1);
  const reading = (async () => {
    for await (const line of createInterface({ input: child.stdout })) {
      outputs++;
      const o = JSON.parse(line) as { id: number; value: number; kind: string; hot: boolean };
      const e = event(o.id);
      if (seen[o.id] || o.value !== e.value * 2 || o.kind !== e.kind || o.hot !== e.value > 50 || Object.keys(o).length !== 4)
        check ??= `output ${line} is wrong or repeated`;
      seen[o.id] = 1;
      if (outputs % 1_000_000 === 0) {
        rss.push(rssNow());
        progress(`  ${outputs.toLocaleString('en-US')} events, RSS ${(rss[rss.length - 1]! / 1024).toFixed(0)} MiB`);
      }
    }
  })();
  for (let i = 1; i <= LONG_N; i += 10_000) {
    let chunk = '';
    for (let j = i; j < Math.min(LONG_N + 1, i + 10_000); j++) chunk += `${JSON.stringify(event(j))}\n`;
    if (!child.stdin.write(chunk)) await new Promise((resolve) => child.stdin.once('drain', resolve));
  }
  child.stdin.end();
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  await reading;
  clearInterval(sampler);
  if (code !== 0) check ??= `exited ${code}`;
  if (outputs !== LONG_N) check ??= `${outputs} outputs for ${LONG_N} events`;
  // Flat: the RSS at the end within 25% of the RSS after the second million (warmed up).
  const base = rss[Math.min(1, rss.length - 1)] ?? NaN;
  const flat = rss.length > 0 && rss[rss.length - 1]! <= base * 1.25;
  return {
    events: LONG_N,
    seconds: (performance.now() - t0) / 1000,
    rssKiB: rss,
    peakKiB: Math.max(peak, ...rss.filter(Number.isFinite)),
    flat,
    ...(check ? { check } : {}),
  };
}

// -------------------------------------------------------------------------------------------------
// Report

const byId = new Map(jobs.map((j) => [j.id, j]));
const get = (id: string) => byId.get(id)!;
const rate = (j: Job) => j.events / (median(j.samples.map((s) => s.ms)) / 1000);
const seconds = (j: Job) => median(j.samples.map((s) => s.ms)) / 1000;
const peakRss = (j: Job) => Math.max(...j.samples.map((s) => s.rssKiB ?? NaN));

interface Ratio {
  name: string;
  /** Of the medians. */
  value: number;
  /** Of each run's pair (the runs were taken in turn), as a check on the noise. */
  perRun: number[];
  target?: { op: '>=' | '<='; value: number };
}

/** Throughput of `b` over `a`, or time of `b` over `a` for start-up rows. */
function ratio(name: string, b: Job, a: Job, target?: Ratio['target']): Ratio {
  const value = b.events ? rate(b) / rate(a) : seconds(b) / seconds(a);
  const perRun = b.samples.map((s, i) => (b.events ? a.samples[i]!.ms / s.ms : s.ms / a.samples[i]!.ms));
  return { name, value, perRun, ...(target ? { target } : {}) };
}
const throughputRatios = (): Ratio[] => {
  const slowestSingle = ['single-enrich', 'single-tag', 'single-bucket'].map(get).sort((a, b) => rate(a) - rate(b))[0]!;
  return [
    ratio('sanctum cast / plain Node', get('cast'), get('cast-plain'), { op: '>=', value: 0.6 }),
    ratio('sanctum run, in memory / plain Node', get('route'), get('route-plain'), { op: '>=', value: 0.5 }),
    ratio('sanctum run, durable / plain Node', get('durable'), get('durable-plain'), { op: '>=', value: 0.3 }),
    ratio('sanctum run, durable / plain Node + raw SQLite', get('durable'), get('durable-sqlite')),
    ratio(`3 spells / slowest single (${slowestSingle.id.replace('single-', '')})`, get('chain'), slowestSingle, { op: '>=', value: 0.7 }),
    ratio('3 spells / plain Node', get('chain'), get('chain-plain')),
    ratio('stateful pipeline / plain Node', get('count'), get('count-plain')),
  ];
};
const ratios: Ratio[] = [
  ...(STARTUP_ONLY ? [] : throughputRatios()),
  ratio('sanctum --help / node -e 0', get('help'), get('node-help'), { op: '<=', value: 2 }),
  ratio('sanctum check (demo) / node -e 0', get('check'), get('node-check')),
  ratio('sanctum cast, one event / node -e 0', get('cast-one'), get('node-cast-one'), { op: '<=', value: 4 }),
];
const met = (r: Ratio) => (r.target ? (r.target.op === '>=' ? r.value >= r.target.value : r.value <= r.target.value) : undefined);
const failures = [...jobs.filter((j) => j.problem).map((j) => `${j.id}: ${j.problem}`), ...(long?.check ? [`memory: ${long.check}`] : [])];
const machine = machineInfo(loadAtStart, { tmpdir: tmpdir(), sanctum: SANCTUM });
const date = new Date().toISOString();
const totalSeconds = (performance.now() - started) / 1000;

if (JSON_OUT) {
  const rows = jobs.map((j) => ({
    id: j.id,
    label: j.label,
    ...(j.events ? { eventsPerSecond: rate(j) } : { seconds: seconds(j) }),
    runsMs: j.samples.map((s) => s.ms),
    peakRssKiB: peakRss(j),
    ok: !j.problem,
    ...(j.problem ? { problem: j.problem } : {}),
  }));
  console.log(
    JSON.stringify(
      {
        date,
        machine,
        config: { events: N, runs: RUNS, startupRuns: STARTUP_RUNS },
        rows,
        ratios: ratios.map((r) => ({ ...r, met: met(r) })),
        long,
        failures,
        seconds: totalSeconds,
      },
      null,
      2,
    ),
  );
} else {
  printReport();
}
if (failures.length) process.exitCode = 1;

function printReport(): void {
  const fmt = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(1));
  const mib = (kib: number) => (Number.isFinite(kib) ? `${(kib / 1024).toFixed(0)} MiB` : '—');
  console.log(`Sanctum end-to-end bench — ${date}`);
  console.log(
    `machine: ${machine.cpus} cpus (${machine.cpuModel}), ${(machine.memory / 2 ** 30).toFixed(1)} GiB, node ${machine.node}, ${machine.platform}, files in ${machine.tmpdir}; 1-min load ${machine.loadAverageAtStart.toFixed(2)} at start, ${machine.loadAverageAtEnd.toFixed(2)} at end`,
  );
  console.log(
    `${N.toLocaleString('en-US')} events {id, value, kind}; each process timed from spawn to exit (start-up included); median of ${RUNS} runs taken in turn (start-up rows: ${STARTUP_RUNS}); every output checked`,
  );
  console.log('');
  const head = ['row', 'what', 'median', 'unit', 'peak RSS', 'check', 'runs'];
  const body: string[][] = [];
  for (const g of [...groups, ...startupGroups]) {
    for (const j of g.jobs) {
      const runs = j.samples.map((s) => (j.events ? fmt(j.events / (s.ms / 1000)) : (s.ms / 1000).toFixed(2)));
      body.push([
        j.id,
        j.label,
        j.events ? fmt(rate(j)) : seconds(j).toFixed(3),
        j.events ? 'events/s' : 's',
        mib(peakRss(j)),
        j.problem ? 'FAILED' : 'ok',
        runs.join(' '),
      ]);
    }
  }
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 2 || i === 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of body) console.log(line(r));
  if (long) {
    console.log('');
    console.log(
      `memory: \`sanctum run\` over ${long.events.toLocaleString('en-US')} events (stdin → enrich → route → stdout), ${(long.events / long.seconds / 1000).toFixed(1)} k events/s; RSS after each million:`,
    );
    console.log(
      `  ${long.rssKiB.map((k) => (k / 1024).toFixed(0)).join(' ')} MiB; peak ${mib(long.peakKiB)}; ${long.flat ? 'flat' : 'GROWS'}${long.check ? `; FAILED: ${long.check}` : ''}`,
    );
  }
  console.log('');
  console.log('ratios (same run; throughput for events, time for start-up):');
  const w = Math.max(...ratios.map((r) => r.name.length));
  for (const r of ratios) {
    const verdict = r.target ? `target ${r.target.op} ${r.target.value}: ${met(r) ? 'met' : 'MISSED'}` : '';
    const perRun = `(per run ${r.perRun.map((x) => x.toFixed(2)).join(' ')})`;
    console.log(`  ${r.name.padEnd(w)}  ${`${r.value.toFixed(2)}×`.padStart(6)}  ${verdict.padEnd(22)}  ${perRun}`);
  }
  if (long) console.log(`  ${'memory flat over the long run'.padEnd(w)}  ${long.flat ? 'met' : 'MISSED'}`);
  console.log('');
  for (const f of failures) console.log(`FAILED ${f}`);
  console.log(`${failures.length ? 'FAILED' : 'all outputs checked'} — ${totalSeconds.toFixed(1)} s`);
}
