/**
 * What durability costs: the SQLite event log and the exactly-once pipeline against raw batched
 * better-sqlite3 inserts, measured in one process so that the ratios hold on a noisy machine. Every
 * figure is the median of several runs (after one warm-up), and every output is checked: a wrong
 * count fails the run (exit 1).
 *
 *   npx tsx bench/durable.ts [--runs 5] [--events 200000] [--keys 100000] [--rate 10000] [--seconds 3] [--json] [--no-cli]
 *
 * (a)  raw better-sqlite3: 1000 inserts per transaction, WAL, synchronous=FULL, the event table's schema
 * (b)  storage.log.append at FULL: one event per call, 1000 calls in flight (group-committed); and
 *      1000 events per call; and the first again at NORMAL; and one event per commit, at FULL and NORMAL
 * (c)  an exactly-once pipeline (the run's consumer loop) over a durable stream at FULL: a spell counts per
 *      kind with state.get/state.put and emits {id, kind, count}; each batch of 1000 commits its
 *      input position, state and outputs in one transaction. (c)/(a) is the headline ratio, also
 *      measured from runs of (a) and (c) taken in turn (the median of the pairs' ratios)
 * (c0) its spell cast alone (castBatch with the state library over memory); (c1) (c) on the memory adapter:
 *      where the time of (c) goes
 * (c2) the same through `sanctum run` (a durable file source, dist/): wall time, start-up included
 * (d)  latency from an event written to a durable stream to its output committed, with a producer
 *      paced at --rate events/s, through openRuneset (the path `sanctum run` takes)
 * (e)  state.query on ~--keys keys: with the value index, without it, and a key range for scale
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import type { EventValue } from '../src/core/event.js';
import { summonSource } from '../src/spellcraft/spell.js';
import { openMemoryStorage, openSqliteStorage, type Storage, type Synchronous } from '../src/storage/index.js';
import { StateSession } from '../src/runtime/state-library.js';
import { openRuneset } from '../src/runtime/run.js';
import { loadRuneset } from '../src/runes/index.js';
import { option as optionOf, flag, machineInfo, median } from './options.js';

// -------------------------------------------------------------------------------------------------
// Options

const option = (name: string, fallback: number) => optionOf('bench/durable', name, fallback);
const RUNS = option('runs', 5);
const N = option('events', 200_000);
const KEYS = option('keys', 100_000);
const RATE = option('rate', 10_000);
const SECONDS = option('seconds', 3);
const JSON_OUT = flag('json');
const WITH_CLI = !flag('no-cli');
const BATCH = 1000;
const KINDS = 32;

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const work = mkdtempSync(path.join(tmpdir(), 'sanctum-bench-durable-'));
let dirs = 0;
const freshDir = (): string => {
  const d = path.join(work, String(dirs++));
  mkdirSync(d, { recursive: true });
  return d;
};
const started = performance.now();
const loadAtStart = loadavg()[0]!;

type Obj = Record<string, EventValue>;
const event = (i: number): Obj => ({ id: i, value: (i * 37 + 11) % 100, kind: `k${i % KINDS}` });
/** What the counting spell must leave: events per kind. */
function expectedCounts(n: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 1; i <= n; i++) m.set(`k${i % KINDS}`, (m.get(`k${i % KINDS}`) ?? 0) + 1);
  return m;
}

const COUNTER = `-- counts events per kind in durable state, and emits the running count
local spell = {}
function spell.cast(e, emit)
  local n = (state.get(e.kind) or 0) + 1
  state.put(e.kind, n)
  emit({ id = e.id, kind = e.kind, count = n })
end
return spell
`;

// -------------------------------------------------------------------------------------------------
// Rows and medians

interface Row {
  id: string;
  label: string;
  /** The unit of `rate`: events/s, queries/s. */
  unit: string;
  /** Median of the runs. */
  rate: number;
  runs: number[];
  ok: boolean;
  note?: string;
}
const rows: Row[] = [];
const failures: string[] = [];

function progress(what: string): void {
  if (!JSON_OUT) process.stderr.write(`  running ${what}\n`);
}

/**
 * Runs `once` after one warm-up, `runs` times; `once` returns its rate and a check of its output
 * (an error message, or undefined when right). The row's rate is the median.
 */
async function measure(
  id: string,
  label: string,
  unit: string,
  once: (warmup: boolean) => Promise<{ rate: number; check?: string }>,
  note?: string,
  runs = RUNS,
): Promise<Row> {
  progress(`${id} ${label}`);
  await once(true);
  const rates: number[] = [];
  let problem: string | undefined;
  for (let r = 0; r < runs; r++) {
    const { rate, check } = await once(false);
    rates.push(rate);
    problem ??= check;
  }
  const row: Row = { id, label, unit, rate: median(rates), runs: rates, ok: problem === undefined, ...(note ? { note } : {}) };
  if (problem) failures.push(`${id} ${label}: ${problem}`);
  rows.push(row);
  return row;
}

const perSecond = (count: number, ms: number): number => (count / ms) * 1000;

// -------------------------------------------------------------------------------------------------
// (a) raw better-sqlite3

function rawInserts(n: number, sync: Synchronous): { rate: number; check?: string } {
  const db = new Database(path.join(freshDir(), 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${sync}`);
  db.exec(
    'CREATE TABLE events (stream TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL, key TEXT, json TEXT NOT NULL, PRIMARY KEY (stream, seq)) WITHOUT ROWID',
  );
  const insert = db.prepare('INSERT INTO events (stream, seq, ts, key, json) VALUES (?, ?, ?, ?, ?)');
  const tx = db.transaction((from: number, to: number) => {
    const ts = Date.now();
    for (let i = from; i < to; i++) insert.run('in', i, ts, null, JSON.stringify(event(i)));
  });
  const t0 = performance.now();
  for (let i = 1; i <= n; i += BATCH) tx.immediate(i, Math.min(n + 1, i + BATCH));
  const ms = performance.now() - t0;
  const count = db.prepare('SELECT count(*) FROM events').pluck().get() as number;
  db.close();
  return { rate: perSecond(n, ms), check: count === n ? undefined : `stored ${count} of ${n}` };
}

// -------------------------------------------------------------------------------------------------
// (b) the event log's group-committed append

async function logAppends(n: number, sync: Synchronous, perCall: 1 | typeof BATCH, inFlight = BATCH): Promise<{ rate: number; check?: string }> {
  const s = openSqliteStorage({ dir: freshDir(), synchronous: sync });
  const t0 = performance.now();
  if (inFlight === 1) {
    // One append at a time, each awaited: one commit (and, at FULL, one fsync) per event.
    for (let i = 1; i <= n; i++) await s.log.append('in', [{ event: event(i) }]);
  } else if (perCall === 1) {
    // 1000 appends in flight, one event each: they join one group commit, then the next 1000 go.
    for (let i = 1; i <= n; i += BATCH) {
      const calls: Promise<unknown>[] = [];
      for (let j = i; j < Math.min(n + 1, i + BATCH); j++) calls.push(s.log.append('in', [{ event: event(j) }]));
      await Promise.all(calls);
    }
  } else {
    for (let i = 1; i <= n; i += BATCH) {
      const items = [];
      for (let j = i; j < Math.min(n + 1, i + BATCH); j++) items.push({ event: event(j) });
      await s.log.append('in', items);
    }
  }
  const ms = performance.now() - t0;
  const last = s.log.read('in', n, 1)[0];
  const check =
    s.log.lastSeq('in') !== n
      ? `lastSeq ${s.log.lastSeq('in')}, expected ${n}`
      : JSON.stringify(last?.event) !== JSON.stringify(event(n))
        ? 'the last event differs'
        : undefined;
  s.close();
  return { rate: perSecond(n, ms), ...(check ? { check } : {}) };
}

// -------------------------------------------------------------------------------------------------
// (c) the exactly-once pipeline, driven directly

const counter = await summonSource(COUNTER, { name: 'counter', logger: () => {} });

function prefill(s: Storage, n: number): void {
  for (let i = 1; i <= n; i += BATCH) {
    const items = [];
    for (let j = i; j < Math.min(n + 1, i + BATCH); j++) items.push({ event: event(j) });
    s.commitBatch({ appends: [{ stream: 'in', items }] });
  }
}

/** Checks a counting run: every input out once, in order, each with its running count; state exact. */
function checkCounts(s: Storage, n: number, ns: string): string | undefined {
  const out = s.log.read('out', 1, n + 1);
  if (out.length !== n) return `${out.length} outputs for ${n} inputs`;
  const running = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const e = out[i]!.event as { id: number; kind: string; count: number };
    const want = event(i + 1);
    const c = (running.get(want['kind'] as string) ?? 0) + 1;
    running.set(want['kind'] as string, c);
    if (e.id !== want['id'] || e.kind !== want['kind'] || e.count !== c)
      return `output ${i + 1} is ${JSON.stringify(e)}, expected id ${i + 1}, kind ${String(want['kind'])}, count ${c}`;
  }
  for (const [kind, count] of expectedCounts(n)) {
    const got = s.state.get(ns, kind);
    if (got !== count) return `state ${kind} = ${JSON.stringify(got)}, expected ${count}`;
  }
  return undefined;
}

async function durablePipeline(n: number, adapter: 'sqlite' | 'memory' = 'sqlite'): Promise<{ rate: number; check?: string }> {
  const s: Storage = adapter === 'sqlite' ? openSqliteStorage({ dir: freshDir(), synchronous: 'FULL' }) : openMemoryStorage();
  prefill(s, n);
  const dir = freshDir();
  writeFileSync(path.join(dir, 'counter.lua'), COUNTER);
  writeFileSync(
    path.join(dir, 'r.yaml'),
    `version: 1\nsanctum: { batch_size: ${BATCH} }\nstreams:\n  in: { durable: true }\n  out: { durable: true }\n  dead-letters: { durable: true }\nspells:\n  counter: { file: counter.lua }\npipelines:\n  count: { from: in, steps: [counter], to: out }\n`,
  );
  const { runeset } = await loadRuneset(path.join(dir, 'r.yaml'));
  const opened = await openRuneset(runeset!, { storage: s, logger: () => {} });
  const t0 = performance.now();
  const report = await opened.run({ stdio: { stdin: process.stdin, stdout: devNull(), stderr: devNull() } });
  const ms = performance.now() - t0;
  const check = checkCounts(s, n, 'counter') ?? (report.deadLetters ? `${report.deadLetters} dead letters` : undefined);
  s.close();
  return { rate: perSecond(n, ms), ...(check ? { check } : {}) };
}

/** The spell of (c) cast alone, batches of 1000, its state library over an in-memory store: no log, no commit. */
async function castOnly(n: number): Promise<{ rate: number; check?: string }> {
  const store = openMemoryStorage();
  const session = new StateSession(store.state, 'counter');
  const caster = counter.open({ libraries: session.library() });
  const batches: EventValue[][] = [];
  for (let i = 1; i <= n; i += BATCH) {
    const b: EventValue[] = [];
    for (let j = i; j < Math.min(n + 1, i + BATCH); j++) b.push(event(j));
    batches.push(b);
  }
  let outputs = 0;
  let failed = 0;
  const t0 = performance.now();
  for (const b of batches) {
    failed += caster.castBatch(b, () => void outputs++).length;
    store.commitBatch({ state: session.take() });
  }
  const ms = performance.now() - t0;
  caster.close();
  const counts = expectedCounts(n);
  const wrong = [...counts].find(([k, v]) => store.state.get('counter', k) !== v);
  const check = failed ? `${failed} casts failed` : outputs !== n ? `${outputs} outputs for ${n} events` : wrong ? `state ${wrong[0]} wrong` : undefined;
  return { rate: perSecond(n, ms), ...(check ? { check } : {}) };
}

// -------------------------------------------------------------------------------------------------
// (c2) the same through `sanctum run`, from dist/

function runesetFiles(dir: string, withSource: boolean): void {
  writeFileSync(path.join(dir, 'counter.lua'), COUNTER);
  writeFileSync(
    path.join(dir, 'count.runeset.yaml'),
    `version: 1
sanctum: { synchronous: FULL, batch_size: ${BATCH}, log_level: error }
streams:
  in: { durable: true }
  out: { durable: true }
spells:
  counter: { file: counter.lua }
${withSource ? 'sources:\n  file: { type: file, path: in.ndjson, to: in }\n' : ''}pipelines:
  count: { from: in, steps: [counter], to: out }
`,
  );
}

function sanctumRun(n: number): { rate: number; check?: string } {
  const dir = freshDir();
  runesetFiles(dir, true);
  const lines: string[] = [];
  for (let i = 1; i <= n; i++) lines.push(JSON.stringify(event(i)));
  writeFileSync(path.join(dir, 'in.ndjson'), `${lines.join('\n')}\n`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/sanctum.js'), 'run', 'count.runeset.yaml', '--quiet'], { cwd: dir, encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) return { rate: perSecond(n, ms), check: `sanctum run exited ${r.status}: ${r.stderr}` };
  const s = openSqliteStorage({ dir: path.join(dir, '.sanctum', 'count') });
  const check = checkCounts(s, n, 'counter');
  s.close();
  return { rate: perSecond(n, ms), ...(check ? { check } : {}) };
}

// -------------------------------------------------------------------------------------------------
// (d) latency at a paced rate, through openRuneset

interface Latency {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  events: number;
  offered: number;
  check?: string;
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function pacedLatency(rate: number, seconds: number): Promise<Latency> {
  const dir = freshDir();
  runesetFiles(dir, false);
  const { runeset, diagnostics } = await loadRuneset(path.join(dir, 'count.runeset.yaml'));
  if (!runeset) throw new Error(diagnostics.map((d) => d.message).join('\n'));
  const opened = await openRuneset(runeset, { logger: () => {} });
  const total = rate * seconds;
  const sentAt = new Float64Array(total + 1);
  const doneAt = new Float64Array(total + 1);
  let outputs = 0;
  let wrong: string | undefined;
  const running = new Map<string, number>();
  // Durable outputs reach the graph's readers only once committed: this is "output committed".
  opened.graph.stream('out').subscribe((e) => {
    const now = performance.now();
    const o = e as { id: number; kind: string; count: number };
    const c = (running.get(o.kind) ?? 0) + 1;
    running.set(o.kind, c);
    if (o.count !== c || doneAt[o.id] !== 0) wrong ??= `output ${JSON.stringify(o)} repeated or with a wrong count (expected ${c})`;
    doneAt[o.id] = now;
    outputs++;
  });
  opened.graph.addProducer('in'); // the producer below, as a source would be
  const run = opened.run({ stdio: { stdout: devNull(), stderr: devNull() } });
  // The producer: every ~1 ms, writes the events that are due by now at `rate`.
  const t0 = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
      while (sent < due) {
        sent++;
        sentAt[sent] = performance.now();
        opened.graph.next('in', event(sent));
      }
      if (sent >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const offered = perSecond(total, performance.now() - t0);
  opened.graph.producerDone('in');
  await run;
  const lat: number[] = [];
  for (let i = 1; i <= total; i++) if (doneAt[i]! > 0) lat.push(doneAt[i]! - sentAt[i]!);
  lat.sort((a, b) => a - b);
  const check = wrong ?? (outputs !== total ? `${outputs} outputs for ${total} events` : undefined);
  return {
    p50: percentile(lat, 50),
    p90: percentile(lat, 90),
    p99: percentile(lat, 99),
    max: lat[lat.length - 1] ?? NaN,
    events: total,
    offered,
    ...(check ? { check } : {}),
  };
}

/** Sinks of the latency run write nowhere. */
function devNull(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}

// -------------------------------------------------------------------------------------------------
// (e) value queries with and without the index

interface QueryBench {
  indexed: number;
  scan: number;
  keyRange: number;
  rowsPerQuery: number;
  loadRate: number;
  check?: string;
}

async function queries(keys: number): Promise<QueryBench> {
  const s = openSqliteStorage({ dir: freshDir(), synchronous: 'FULL' });
  // Scores 0..9999 spread over the keys; a window of 10 scores holds ~keys/1000 rows.
  let seed = 7;
  const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const scores: number[] = [];
  s.state.ensureIndex('indexed', 'score');
  const t0 = performance.now();
  for (let i = 0; i < keys; i += BATCH) {
    const state = [];
    for (let j = i; j < Math.min(keys, i + BATCH); j++) {
      const score = Math.floor(random() * 10_000);
      scores[j] = score;
      state.push({ ns: 'indexed', key: `player:${String(j).padStart(6, '0')}`, value: { player: j, score } });
    }
    s.commitBatch({ state });
  }
  const loadRate = perSecond(keys, performance.now() - t0);
  for (let i = 0; i < keys; i += BATCH) {
    const state = [];
    for (let j = i; j < Math.min(keys, i + BATCH); j++)
      state.push({ ns: 'scan', key: `player:${String(j).padStart(6, '0')}`, value: { player: j, score: scores[j]! } });
    s.commitBatch({ state });
  }
  const windows = Array.from({ length: 500 }, () => Math.floor(random() * 9_990));
  const expected = (a: number): number => scores.filter((v) => v >= a && v < a + 10).length;
  let check: string | undefined;
  let rowsSeen = 0;
  const timeQueries = (ns: string, count: number): number => {
    const q0 = performance.now();
    for (let k = 0; k < count; k++) {
      const a = windows[k % windows.length]!;
      rowsSeen += s.state.query(ns, { index: 'score', gte: a, lt: a + 10 }).length;
    }
    return perSecond(count, performance.now() - q0);
  };
  // The answers agree: with the index, without it, and in JS.
  for (const a of windows.slice(0, 20)) {
    const x = s.state.query('indexed', { index: 'score', gte: a, lt: a + 10 });
    const y = s.state.query('scan', { index: 'score', gte: a, lt: a + 10 });
    if (x.length !== expected(a) || JSON.stringify(x) !== JSON.stringify(y))
      check ??= `query [${a}, ${a + 10}) gave ${x.length} rows with the index, ${y.length} without, expected ${expected(a)}`;
  }
  const plan = s.explainQuery('indexed', { index: 'score', gte: 1, lt: 11 }).join(' / ');
  if (!/USING INDEX state_ix_/.test(plan)) check ??= `the indexed query does not use its index: ${plan}`;
  const indexedCount = 2000;
  rowsSeen = 0;
  const indexed = timeQueries('indexed', indexedCount);
  const rowsPerQuery = rowsSeen / indexedCount;
  const scan = timeQueries('scan', 20);
  // For scale: a key range of about the same number of rows.
  const r0 = performance.now();
  const width = Math.max(1, Math.round(rowsPerQuery));
  for (let k = 0; k < indexedCount; k++) {
    const from = Math.floor(random() * (keys - width));
    s.state.range('indexed', { from: `player:${String(from).padStart(6, '0')}`, limit: width });
  }
  const keyRange = perSecond(indexedCount, performance.now() - r0);
  s.close();
  return { indexed, scan, keyRange, rowsPerQuery, loadRate, ...(check ? { check } : {}) };
}

// -------------------------------------------------------------------------------------------------
// The runs

const warm = Math.max(BATCH, Math.floor(N / 10));
const a = await measure('(a)', 'raw better-sqlite3, 1000 inserts/transaction, WAL, FULL', 'events/s', async (w) => rawInserts(w ? warm : N, 'FULL'));
const b = await measure('(b)', 'storage.log.append, 1 event/call, 1000 in flight (group commit), FULL', 'events/s', (w) => logAppends(w ? warm : N, 'FULL', 1));
const b2 = await measure('(b2)', 'storage.log.append, 1000 events/call, FULL', 'events/s', (w) => logAppends(w ? warm : N, 'FULL', BATCH));
const b3 = await measure('(b3)', 'storage.log.append, 1 event/call, 1000 in flight, NORMAL', 'events/s', (w) => logAppends(w ? warm : N, 'NORMAL', 1));
const SINGLE = Math.max(100, Math.floor(N / 100));
const b4 = await measure(
  '(b4)',
  `storage.log.append, 1 event/call, awaited one by one (${SINGLE.toLocaleString('en-US')} events), FULL`,
  'events/s',
  (w) => logAppends(w ? 100 : SINGLE, 'FULL', 1, 1),
  'one commit per event',
);
const b5 = await measure('(b5)', `the same at NORMAL`, 'events/s', (w) => logAppends(w ? 100 : SINGLE, 'NORMAL', 1, 1), 'one commit per event');
const c = await measure('(c)', 'exactly-once pipeline: count per kind with state.get/put, FULL', 'events/s', (w) => durablePipeline(w ? warm : N));
const c0 = await measure(
  '(c0)',
  'its spell cast alone (castBatch, state library over memory)',
  'events/s',
  (w) => castOnly(w ? warm : N),
  'no log read, no commit',
);
const c1 = await measure(
  '(c1)',
  'pipeline (c) on the in-memory storage adapter',
  'events/s',
  (w) => durablePipeline(w ? warm : N, 'memory'),
  'no SQLite, no fsync',
);
const c2 = WITH_CLI
  ? await measure(
      '(c2)',
      '`sanctum run`: durable file source → pipeline (c), start-up included',
      'events/s',
      async (w) => sanctumRun(w ? warm : N),
      'one process per run, from dist/',
      Math.min(RUNS, 3),
    )
  : undefined;

// The headline ratio again, from runs of (a) and (c) taken in turn, so that both see the same
// moments of a noisy machine: the median of the per-pair ratios.
progress('(c)/(a) in pairs');
const pairs: number[] = [];
for (let r = 0; r < RUNS; r++) {
  const ra = rawInserts(N, 'FULL');
  const rc = await durablePipeline(N);
  if (ra.check || rc.check) failures.push(`(c)/(a) pair ${r + 1}: ${ra.check ?? rc.check}`);
  pairs.push(rc.rate / ra.rate);
}
const pairedRatio = median(pairs);

progress(`(d) latency at ${RATE.toLocaleString('en-US')} events/s offered, ${SECONDS} s per run`);
await pacedLatency(RATE, 1); // warm-up
const lats: Latency[] = [];
for (let r = 0; r < RUNS; r++) lats.push(await pacedLatency(RATE, SECONDS));
for (const l of lats) if (l.check) failures.push(`(d) latency: ${l.check}`);
const latency = {
  p50: median(lats.map((l) => l.p50)),
  p90: median(lats.map((l) => l.p90)),
  p99: median(lats.map((l) => l.p99)),
  max: median(lats.map((l) => l.max)),
  offered: median(lats.map((l) => l.offered)),
  eventsPerRun: RATE * SECONDS,
  runs: lats,
};

progress(`(e) state.query on ${KEYS.toLocaleString('en-US')} keys`);
const qs: QueryBench[] = [];
for (let r = 0; r < Math.min(RUNS, 3); r++) qs.push(await queries(KEYS));
for (const q of qs) if (q.check) failures.push(`(e) queries: ${q.check}`);
const query = {
  indexed: median(qs.map((q) => q.indexed)),
  scan: median(qs.map((q) => q.scan)),
  keyRange: median(qs.map((q) => q.keyRange)),
  rowsPerQuery: median(qs.map((q) => q.rowsPerQuery)),
  loadRate: median(qs.map((q) => q.loadRate)),
};

rmSync(work, { recursive: true, force: true });

const ratios: Record<string, number> = {
  'c/a (target >= 0.5)': c.rate / a.rate,
  'c/a in pairs (target >= 0.5)': pairedRatio,
  'b/a': b.rate / a.rate,
  'b2/a': b2.rate / a.rate,
  'b3/b (NORMAL over FULL)': b3.rate / b.rate,
  'b5/b4 (NORMAL over FULL)': b5.rate / b4.rate,
  'b/b4 (group commit)': b.rate / b4.rate,
  'c0/a (cast alone over raw insert)': c0.rate / a.rate,
  'c/c1 (SQLite over memory)': c.rate / c1.rate,
  ...(c2 ? { 'c2/c': c2.rate / c.rate } : {}),
  'indexed/scan query': query.indexed / query.scan,
};
const targets = {
  'c/a >= 0.5 (in pairs)': pairedRatio >= 0.5,
  'latency p99 <= 10 ms': latency.p99 <= 10,
};
const machine = machineInfo(loadAtStart, { tmpdir: tmpdir() });
const date = new Date().toISOString();
const seconds = (performance.now() - started) / 1000;

if (JSON_OUT) {
  console.log(
    JSON.stringify(
      {
        date,
        machine,
        config: { events: N, keys: KEYS, runs: RUNS, rate: RATE, seconds: SECONDS, batch: BATCH, kinds: KINDS },
        rows,
        latency,
        query,
        pairs,
        ratios,
        targets,
        failures,
        seconds,
      },
      null,
      2,
    ),
  );
} else {
  printTable();
}
if (failures.length) process.exitCode = 1;

function printTable(): void {
  const fmt = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(1));
  const x = (n: number) => `${n.toFixed(2)}×`;
  const ms = (n: number) => `${n.toFixed(2)} ms`;
  console.log(`Sanctum durability bench — ${date}`);
  console.log(
    `machine: ${machine.cpus} cpus (${machine.cpuModel}), ${(machine.memory / 2 ** 30).toFixed(1)} GiB, node ${machine.node}, ${machine.platform}, data in ${machine.tmpdir}; 1-min load ${machine.loadAverageAtStart.toFixed(2)} at start, ${machine.loadAverageAtEnd.toFixed(2)} at end`,
  );
  console.log(
    `${N.toLocaleString('en-US')} events {id, value, kind} per run, ${KINDS} kinds, batches of ${BATCH}; median of ${RUNS} runs after a warm-up ((c2), (e): ${Math.min(RUNS, 3)}); outputs checked`,
  );
  console.log('');
  printColumns(
    ['row', 'what', 'median', 'unit', 'check', 'runs'],
    rows.map((r) => [r.id, r.label, fmt(r.rate), r.unit, r.ok ? 'ok' : 'FAILED', r.runs.map(fmt).join(' ')]),
  );
  console.log('');
  console.log(
    `(d) latency, event written → output committed, ${fmt(latency.offered)} events/s offered (target ${fmt(RATE)}), ${latency.eventsPerRun.toLocaleString('en-US')} events per run, median over ${RUNS} runs:`,
  );
  console.log(
    `    p50 ${ms(latency.p50)}   p90 ${ms(latency.p90)}   p99 ${ms(latency.p99)}   max ${ms(latency.max)}   (p99 per run: ${latency.runs.map((l) => l.p99.toFixed(2)).join(' ')})`,
  );
  console.log(`(e) state.query, ${KEYS.toLocaleString('en-US')} keys, scores 0–9999, window [a, a+10): ~${query.rowsPerQuery.toFixed(0)} rows per query:`);
  console.log(
    `    with the value index ${fmt(query.indexed)} queries/s   without ${fmt(query.scan)} queries/s   key range of as many rows ${fmt(query.keyRange)} ranges/s   loading the keys with the index ${fmt(query.loadRate)} keys/s`,
  );
  console.log('');
  console.log('ratios (throughput of the first over the second, same run):');
  for (const [k, v] of Object.entries(ratios)) console.log(`  ${k.padEnd(34)} ${x(v)}`);
  console.log(`  (c/a of each pair: ${pairs.map(x).join(' ')})`);
  console.log('');
  for (const [k, ok] of Object.entries(targets)) console.log(`target ${k}: ${ok ? 'met' : 'MISSED'}`);
  for (const f of failures) console.log(`FAILED ${f}`);
  console.log(`${failures.length ? 'FAILED' : 'all outputs checked'} — ${seconds.toFixed(1)} s`);
}

function printColumns(head: string[], body: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of body) console.log(line(r));
}
