/**
 * What time costs: event-time windows and durable timers against what they are compared with, in one
 * process and one run, so that the ratios hold on a noisy machine. Every figure is the median of
 * several runs (after one warm-up); each run measures every row once, in turn, and each ratio is the
 * median of the runs' own ratios. Every output is checked: a wrong count fails the run (exit 1).
 *
 *   npm run bench:time -- [--runs 3] [--events 1000000] [--keys 10000] [--timers 100000] [--json]
 *
 * Through the exactly-once path (`openRuneset`, a durable stream on SQLite at FULL, batches of 1000):
 * (w0) the flat enrichment spell (bench/spells/enrich.lua) over --events events
 * (w1) spells/window-count.lua — tumbling counts per key (--keys keys, 1-minute windows of event
 *      time, one event per ms): the same events in, one count per key and window out.
 *      The row to hold: w1/w0 >= 0.5.
 * (t0) a spell that does one state.put per event (--timers distinct keys)
 * (t1) a spell that does one timers.set per event (--timers distinct keys): set, ending with that many
 *      pending, each due a while after its event (as a timeout is), so later events set later timers
 * (t2) those --timers pending timers, fired: one run whose clock is past them all
 *      The rows to hold: t1/t0 <= 2 and t2/t0 <= 2 (cost per operation, the inverse of the rate).
 * (t1s, t2s) the same with instants scattered at random: the worst case for the index on due times.
 *      Each writes one B-tree in random order (set: the index on due times; fire: the timers by key),
 *      so they are held against (t0s), a state.put per event with its keys scattered the same way
 *      (one B-tree written in random order): t1s/t0s <= 2 and t2s/t0s <= 2. Their cost against t0
 *      is reported beside them.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import type { EventValue } from '../src/core/event.js';
import type { Clock } from '../src/core/clock.js';
import { openSqliteStorage, type Storage } from '../src/storage/index.js';
import { openRuneset } from '../src/runtime/run.js';
import { loadRuneset } from '../src/runes/index.js';
import { option as optionOf, flag, machineInfo } from './options.js';

const option = (name: string, fallback: number) => optionOf('bench/time', name, fallback);
const RUNS = option('runs', 3);
const N = option('events', 1_000_000);
const KEYS = option('keys', 10_000);
const TIMERS = option('timers', 100_000);
const JSON_OUT = flag('json');
const BATCH = 1000;
const WINDOW_MS = 60_000;

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const work = mkdtempSync(path.join(tmpdir(), 'sanctum-bench-time-'));
let dirs = 0;
const freshDir = (): string => {
  const d = path.join(work, String(dirs++));
  mkdirSync(d, { recursive: true });
  return d;
};
const loadAtStart = loadavg()[0]!;

interface Row {
  id: string;
  label: string;
  /** Operations (events, puts, sets, fires) per second: median of the runs. */
  rate: number;
  runs: number[];
  ok: boolean;
}
const rows: Row[] = [];
const failures: string[] = [];
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const perSecond = (count: number, ms: number): number => (count / ms) * 1000;

function progress(what: string): void {
  if (!JSON_OUT) process.stderr.write(`  running ${what}\n`);
}

function devNull(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}

/** A clock standing at `at` (the runs end when their input does: no wake-up is ever needed). */
const standing = (at: number): Clock => ({ now: () => at, wakeAt: () => () => {} });

/** Appends `n` events to `in`, 1000 per commit. */
function prefill(s: Storage, n: number, event: (i: number) => EventValue): void {
  for (let i = 1; i <= n; i += BATCH) {
    const items = [];
    for (let j = i; j < Math.min(n + 1, i + BATCH); j++) items.push({ event: event(j) });
    s.commitBatch({ appends: [{ stream: 'in', items }] });
  }
}

/** Runs a one-spell durable pipeline in → out over what `in` holds; returns the ms it took. */
async function runPipeline(dir: string, s: Storage, spellFile: string, spellRunes: string, clock: Clock): Promise<number> {
  writeFileSync(
    path.join(dir, 'r.yaml'),
    `version: 1
sanctum: { batch_size: ${BATCH}, synchronous: FULL }
streams:
  in: { durable: true }
  out: { durable: true }
  late: { durable: true }
  dead-letters: { durable: true }
spells:
  s: { file: ${JSON.stringify(spellFile)}${spellRunes} }
pipelines:
  p: { from: in, steps: [{ spell: s${spellFile.endsWith('window-count.lua') ? ', ports: { late: late }' : ''} }], to: out }
`,
  );
  const { runeset, diagnostics } = await loadRuneset(path.join(dir, 'r.yaml'));
  if (!runeset) throw new Error(diagnostics.map((d) => d.message).join('\n'));
  const opened = await openRuneset(runeset, { storage: s, logger: () => {}, clock });
  const t0 = performance.now();
  const report = await opened.run({ stdio: { stdin: process.stdin, stdout: devNull(), stderr: devNull() } });
  const ms = performance.now() - t0;
  if (report.deadLetters) throw new Error(`${report.deadLetters} dead letters`);
  return ms;
}

// -------------------------------------------------------------------------------------------------
// (w) windows against the flat enrichment spell

const enrichEvent = (i: number): EventValue => ({ id: i, value: (i * 37 + 11) % 100, kind: `k${i % 32}` });
/** One event a ms of event time, keys in turn: `KEYS` keys, about N/KEYS events each. */
const windowEvent = (i: number): EventValue => ({ id: i, user: `u${i % KEYS}`, ts: i });

async function enrichRun(): Promise<{ rate: number; check?: string }> {
  const dir = freshDir();
  const s = openSqliteStorage({ dir: path.join(dir, 'data'), synchronous: 'FULL' });
  prefill(s, N, enrichEvent);
  const ms = await runPipeline(dir, s, path.join(ROOT, 'bench/spells/enrich.lua'), '', standing(0));
  const outputs = s.log.lastSeq('out');
  s.close();
  rmSync(dir, { recursive: true, force: true });
  return { rate: perSecond(N, ms), ...(outputs !== N ? { check: `${outputs} outputs for ${N} events` } : {}) };
}

async function windowRun(): Promise<{ rate: number; check?: string }> {
  const dir = freshDir();
  const s = openSqliteStorage({ dir: path.join(dir, 'data'), synchronous: 'FULL' });
  prefill(s, N, windowEvent);
  const ms = await runPipeline(
    dir,
    s,
    path.join(ROOT, 'spells/window-count.lua'),
    `, window: { kind: tumbling, size: ${WINDOW_MS}ms, time: ts, key: user }`,
    standing(0),
  );
  // Every event counted once, in the window of its key: the counts add up per window.
  const counts = new Map<string, number>();
  let total = 0;
  let wrong: string | undefined;
  for (let from = 1; ; from += 10_000) {
    const got = s.log.read('out', from, 10_000);
    if (got.length === 0) break;
    for (const e of got) {
      const o = e.event as { key: string; start: number; count: number };
      const k = `${o.key}@${o.start}`;
      if (counts.has(k)) wrong ??= `window ${k} emitted twice`;
      counts.set(k, o.count);
      total += o.count;
    }
  }
  const expectedWindows = new Set<string>();
  for (let i = 1; i <= N; i++) expectedWindows.add(`u${i % KEYS}@${i - (i % WINDOW_MS)}`);
  s.close();
  rmSync(dir, { recursive: true, force: true });
  const check =
    wrong ??
    (total !== N
      ? `the counts add up to ${total}, not ${N}`
      : counts.size !== expectedWindows.size
        ? `${counts.size} windows, expected ${expectedWindows.size}`
        : undefined);
  return { rate: perSecond(N, ms), ...(check ? { check } : {}) };
}

// -------------------------------------------------------------------------------------------------
// (t) timers against state.put

const PUT = `local s = {}
function s.cast(e) state.put(e.key, e.at) end
return s
`;
const SET = `local s = {}
function s.cast(e) timers.set(e.key, e.at) end
function s.timer(key, now, emit) end
return s
`;
/**
 * Timers as a spell sets them: due a while after the event that sets them (a session gap, a
 * timeout), so later events set later timers. `scattered` instants (a hash of the id) are the worst
 * case for the index on due times; the t1s/t2s rows measure it.
 */
const timerEvent = (i: number, scattered = false): EventValue => ({
  key: `t${String(i).padStart(7, '0')}`,
  at: 1_000_000 + (scattered ? (i * 7919) % TIMERS : i),
});
/** The same events with the keys scattered (a permutation: 7919 is prime to TIMERS' factors 2 and 5), for t0s. */
const scatteredKeyEvent = (i: number): EventValue => ({ key: `t${String((i * 7919) % TIMERS).padStart(7, '0')}`, at: 1_000_000 + i });

async function putRun(scattered = false): Promise<{ rate: number; check?: string }> {
  const dir = freshDir();
  writeFileSync(path.join(dir, 'put.lua'), PUT);
  const s = openSqliteStorage({ dir: path.join(dir, 'data'), synchronous: 'FULL' });
  prefill(s, TIMERS, scattered ? scatteredKeyEvent : (i) => timerEvent(i));
  const ms = await runPipeline(dir, s, 'put.lua', '', standing(0));
  const stored = s.state.count('s');
  s.close();
  rmSync(dir, { recursive: true, force: true });
  return { rate: perSecond(TIMERS, ms), ...(stored !== TIMERS ? { check: `${stored} keys stored, expected ${TIMERS}` } : {}) };
}

/** Sets TIMERS timers (t1), then fires them (t2) in a run whose clock is past them all. */
async function timerRuns(scattered = false): Promise<{ set: number; fire: number; check?: string }> {
  const dir = freshDir();
  writeFileSync(path.join(dir, 'set.lua'), SET);
  const s = openSqliteStorage({ dir: path.join(dir, 'data'), synchronous: 'FULL' });
  prefill(s, TIMERS, (i) => timerEvent(i, scattered));
  const setMs = await runPipeline(dir, s, 'set.lua', '', standing(0));
  let check = s.timers.count('s') !== TIMERS ? `${s.timers.count('s')} timers pending, expected ${TIMERS}` : undefined;
  const fireMs = await runPipeline(dir, s, 'set.lua', '', standing(1e12));
  if (s.timers.count('s') !== 0) check ??= `${s.timers.count('s')} timers left after firing`;
  s.close();
  rmSync(dir, { recursive: true, force: true });
  return { set: perSecond(TIMERS, setMs), fire: perSecond(TIMERS, fireMs), ...(check ? { check } : {}) };
}

// -------------------------------------------------------------------------------------------------

// Each run measures every row once, in turn, so that each ratio is taken between neighbours in
// time (the machine's load drifts); the report gives the median rate of each row and the median of
// each run's ratio.
progress('warm-up');
await enrichRun();
await windowRun();
await putRun();
await timerRuns();
const rates: Record<'w0' | 'w1' | 't0' | 't1' | 't2' | 't0s' | 't1s' | 't2s', number[]> = { w0: [], w1: [], t0: [], t1: [], t2: [], t0s: [], t1s: [], t2s: [] };
const HELD = ['w1/w0 (>= 0.5)', 'cost t1/t0 (<= 2)', 'cost t2/t0 (<= 2)', 'cost t1s/t0s (<= 2)', 'cost t2s/t0s (<= 2)'];
const pairRatios: Record<string, number[]> = Object.fromEntries([...HELD, 'cost t0s/t0', 'cost t1s/t0', 'cost t2s/t0'].map((k) => [k, []]));
for (let r = 0; r < RUNS; r++) {
  progress(`run ${r + 1} of ${RUNS}`);
  const record = (id: keyof typeof rates, x: { rate: number; check?: string }): number => {
    rates[id].push(x.rate);
    if (x.check) failures.push(`${id}: ${x.check}`);
    return x.rate;
  };
  const w0 = record('w0', await enrichRun());
  const w1 = record('w1', await windowRun());
  const t0 = record('t0', await putRun());
  const t = await timerRuns();
  const t1 = record('t1', { rate: t.set, ...(t.check ? { check: t.check } : {}) });
  const t2 = record('t2', { rate: t.fire });
  const t0s = record('t0s', await putRun(true));
  const scattered = await timerRuns(true);
  const t1s = record('t1s', { rate: scattered.set, ...(scattered.check ? { check: scattered.check } : {}) });
  const t2s = record('t2s', { rate: scattered.fire });
  pairRatios['w1/w0 (>= 0.5)']!.push(w1 / w0);
  pairRatios['cost t1/t0 (<= 2)']!.push(t0 / t1);
  pairRatios['cost t2/t0 (<= 2)']!.push(t0 / t2);
  pairRatios['cost t1s/t0s (<= 2)']!.push(t0s / t1s);
  pairRatios['cost t2s/t0s (<= 2)']!.push(t0s / t2s);
  pairRatios['cost t0s/t0']!.push(t0 / t0s);
  pairRatios['cost t1s/t0']!.push(t0 / t1s);
  pairRatios['cost t2s/t0']!.push(t0 / t2s);
}
const labels: Record<keyof typeof rates, string> = {
  w0: `flat enrichment spell, durable pipeline (${N} events)`,
  w1: `window-count, tumbling per key (${KEYS} keys, ${N} events)`,
  t0: `state.put per event (${TIMERS} keys)`,
  t1: `timers.set per event (${TIMERS} pending at the end)`,
  t2: `firing ${TIMERS} pending timers`,
  t0s: `state.put per event, keys scattered (${TIMERS} keys)`,
  t1s: `timers.set per event, instants scattered (${TIMERS} pending)`,
  t2s: `firing ${TIMERS} pending timers, instants scattered`,
};
for (const id of Object.keys(rates) as (keyof typeof rates)[]) {
  rows.push({ id, label: labels[id], rate: median(rates[id]), runs: rates[id], ok: !failures.some((f) => f.startsWith(`${id}:`)) });
}
const ratios = Object.fromEntries(Object.entries(pairRatios).map(([k, v]) => [k, median(v)])) as Record<string, number>;
const held = HELD.every((k) => (k.includes('>=') ? ratios[k]! >= 0.5 : ratios[k]! <= 2));

if (JSON_OUT) {
  console.log(JSON.stringify({ machine: machineInfo(loadAtStart), rows, ratios, pairRatios, held, failures }, null, 2));
} else {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(
    `\nbench/time — ${RUNS} runs each, medians (${JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).name}, Node ${process.version})\n`,
  );
  for (const r of rows) console.log(`${r.id.padEnd(3)} ${r.label.padEnd(62)} ${fmt(r.rate).padStart(10)} /s${r.ok ? '' : '  WRONG OUTPUT'}`);
  console.log('');
  for (const [k, v] of Object.entries(ratios)) console.log(`${k.padEnd(24)} ${v.toFixed(2)}   (runs: ${pairRatios[k]!.map((x) => x.toFixed(2)).join(', ')})`);
  console.log(held ? '\nall ratios hold' : '\nA RATIO DOES NOT HOLD');
  for (const f of failures) console.error(`FAILED: ${f}`);
}
rmSync(work, { recursive: true, force: true });
if (failures.length) process.exit(1);
