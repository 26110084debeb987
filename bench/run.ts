/**
 * Sanctum's benchmark: how fast an event crosses into Lua and back, from the JS ceiling down to
 * wasmoon's default conversion, and how much memory a spell costs. Every figure is the median of
 * several runs; every output is checked against plain JS, and a mismatch fails the run (exit 1).
 *
 *   npm run bench -- [--runs 5] [--events 200000] [--workers 2] [--json] [--dist]
 *
 * `--dist` runs castParallel from the compiled dist/ (run `npm run build` first), so its workers
 * start as they do in production, without loading tsx.
 */
import { loadavg } from 'node:os';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EMPTY, from, lastValueFrom, map, toArray, type OperatorFunction } from 'rxjs';
import { LuaFactory } from 'wasmoon';
import { summon, type EmitSink, type EventValue, type SpellCaster, type SpellError } from '../src/index.js';
import type { Transport } from '../src/parallel/index.js';
import { LuaPool } from '../src/spellcraft/lua-vm.js';
import { option as optionOf, flag, machineInfo, median, equal } from './options.js';

// -------------------------------------------------------------------------------------------------
// Options

const option = (name: string, fallback: number) => optionOf('bench', name, fallback);
const RUNS = option('runs', 5);
const N = option('events', 200_000);
const WORKERS = option('workers', 2);
const JSON_OUT = flag('json');
const FROM_DIST = flag('dist');
const { castParallel } = (
  FROM_DIST ? await import(new URL('../dist/parallel/index.js', import.meta.url).href) : await import('../src/parallel/index.js')
) as typeof import('../src/parallel/index.js');
const BATCH = 1000;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

const here = path.dirname(fileURLToPath(import.meta.url));
const SPELL = {
  enrich: path.join(here, 'spells', 'enrich.lua'),
  stateful: path.join(here, 'spells', 'count-by-kind.lua'),
  nested: path.join(here, 'spells', 'order-total.lua'),
  heavy: path.join(here, 'spells', 'score.lua'),
};
/** The CPU-heavy spell runs on a quarter of the events (it is ~20× slower per event). */
const HEAVY_N = Math.max(1, N >> 2);

// -------------------------------------------------------------------------------------------------
// The events and what plain JS makes of them (the reference every row is checked against)

type Obj = Record<string, EventValue>;
type Shape = 'flat' | 'stateful' | 'nested' | 'heavy';

const flatEvent = (i: number): Obj => ({ id: i, value: (i * 37 + 11) % 100, kind: `k${i % 32}` });
const enrich = (e: Obj): Obj => ({ id: e['id']!, value: (e['value'] as number) * 2, kind: e['kind']!, hot: (e['value'] as number) > 50 });

function nestedEvent(i: number): Obj {
  return {
    id: i,
    user: { name: `user${i % 1000}`, tags: Array.from({ length: 1 + (i % 3) }, (_, k) => `t${(i + k) % 7}`) },
    items: Array.from({ length: 1 + (i % 3) }, (_, k) => ({ sku: `sku-${(i * 7 + k) % 500}`, qty: 1 + ((i + k) % 4), price: 50 + ((i * 13 + k) % 200) })),
  };
}
function orderTotal(o: Obj): Obj {
  const items = o['items'] as Obj[];
  let total = 0;
  const lines = items.map((it) => {
    const amount = (it['qty'] as number) * (it['price'] as number);
    total += amount;
    return { sku: it['sku']!, amount };
  });
  const user = o['user'] as Obj;
  return {
    id: o['id']!,
    customer: { name: user['name']!, tags: (user['tags'] as EventValue[]).length },
    lines,
    summary: { count: items.length, total, big: total > 500 },
  };
}

/** The JS version of each spell, as an RxJS operator (a fresh one per run: the stateful one counts). */
const jsOperator: Record<Shape, () => OperatorFunction<EventValue, EventValue>> = {
  flat: () => map((e) => enrich(e as Obj)),
  stateful: () => {
    const counts = new Map<EventValue, number>();
    return map((e) => {
      const kind = (e as Obj)['kind']!;
      const n = (counts.get(kind) ?? 0) + 1;
      counts.set(kind, n);
      return { kind, count: n };
    });
  },
  nested: () => map((e) => orderTotal(e as Obj)),
  heavy: () =>
    map((e) => {
      const o = e as Obj;
      let h = o['id'] as number;
      for (let i = 1; i <= 200; i++) h = (h * 31 + i) % 1000003;
      return { id: o['id']!, kind: o['kind']!, score: h };
    }),
};
/** The partition key of each shape in row (f): per kind where the spell keeps state per kind. */
const partitionKey: Record<Shape, (e: EventValue) => string | number> = {
  flat: (e) => (e as Obj)['kind'] as string,
  stateful: (e) => (e as Obj)['kind'] as string,
  nested: (e) => (e as Obj)['id'] as number,
  heavy: (e) => (e as Obj)['kind'] as string,
};

const flatEvents = Array.from({ length: N }, (_, i) => flatEvent(i));
const nestedEvents = Array.from({ length: N }, (_, i) => nestedEvent(i));
const inputs: Record<Shape, Obj[]> = { flat: flatEvents, stateful: flatEvents, nested: nestedEvents, heavy: flatEvents.slice(0, HEAVY_N) };
const spellFiles: Record<Shape, string> = { flat: SPELL.enrich, stateful: SPELL.stateful, nested: SPELL.nested, heavy: SPELL.heavy };

// -------------------------------------------------------------------------------------------------
// Measuring

interface Row {
  id: string;
  label: string;
  /** Median wall time of one run, ms. */
  ms: number;
  runsMs: number[];
  eventsPerSec: number;
  ok: boolean;
  note?: string;
  /** How long the row took, warm-up and checks included. */
  wallSeconds: number;
}
const rows: Row[] = [];
const failures: string[] = [];

/**
 * Runs `once` RUNS times after one warm-up on a tenth of the events. `once` returns the time it
 * measured and a check of its output (an error message, or undefined when the output is right).
 */
async function measure(
  id: string,
  label: string,
  events: number,
  once: (warmup: boolean) => Promise<{ ms: number; check: () => string | undefined }>,
  note?: string,
  runs = RUNS,
): Promise<Row> {
  progress(`${id} ${label}`);
  const rowStarted = performance.now();
  await once(true);
  const runsMs: number[] = [];
  let problem: string | undefined;
  for (let r = 0; r < runs; r++) {
    gc();
    const { ms, check } = await once(false);
    runsMs.push(ms);
    problem ??= check();
  }
  const ms = median(runsMs);
  const row: Row = {
    id,
    label,
    ms,
    runsMs,
    eventsPerSec: events / (ms / 1000),
    ok: problem === undefined,
    note,
    wallSeconds: (performance.now() - rowStarted) / 1000,
  };
  progress(`  ${row.wallSeconds.toFixed(1)} s`);
  if (problem) failures.push(`${id} ${label}: ${problem}`);
  rows.push(row);
  return row;
}

function progress(what: string): void {
  if (!JSON_OUT) process.stderr.write(`  running ${what}\n`);
}

async function timed<T>(f: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await f();
  return { ms: performance.now() - t0, value };
}

/** Checks outputs in order against the reference. */
function sameAs(expected: EventValue[], actual: EventValue[]): string | undefined {
  if (actual.length !== expected.length) return `FAILED: ${actual.length} outputs, expected ${expected.length}`;
  for (let i = 0; i < expected.length; i++) {
    if (!equal(actual[i], expected[i])) return `FAILED: output #${i} is ${JSON.stringify(actual[i])}, expected ${JSON.stringify(expected[i])}`;
  }
  return undefined;
}

/** Checks outputs per key (order kept within a key, any order across keys). */
function samePerKey(expected: EventValue[], actual: EventValue[], key: (e: EventValue) => string | number): string | undefined {
  if (actual.length !== expected.length) return `FAILED: ${actual.length} outputs, expected ${expected.length}`;
  const group = (xs: EventValue[]) => {
    const m = new Map<string | number, EventValue[]>();
    for (const x of xs) {
      const k = key(x);
      let list = m.get(k);
      if (!list) m.set(k, (list = []));
      list.push(x);
    }
    return m;
  };
  const want = group(expected);
  const got = group(actual);
  if (got.size !== want.size) return `FAILED: ${got.size} keys, expected ${want.size}`;
  for (const [k, list] of want) {
    const problem = sameAs(list, got.get(k) ?? []);
    if (problem) return `${problem} (key ${JSON.stringify(k)})`;
  }
  return undefined;
}

// -------------------------------------------------------------------------------------------------
// The rows

const reference: Record<Shape, EventValue[]> = {
  flat: await lastValueFrom(from(flatEvents).pipe(jsOperator.flat(), toArray())),
  stateful: await lastValueFrom(from(flatEvents).pipe(jsOperator.stateful(), toArray())),
  nested: await lastValueFrom(from(nestedEvents).pipe(jsOperator.nested(), toArray())),
  heavy: await lastValueFrom(from(flatEvents.slice(0, HEAVY_N)).pipe(jsOperator.heavy(), toArray())),
};

const some = (events: Obj[], warmup: boolean) => (warmup ? events.slice(0, Math.max(1, events.length >> 4)) : events);

/** (a) plain RxJS map with the same logic: the ceiling of the pipe. */
function rowA(shape: Shape, id: string) {
  return measure(id, `${shape}: plain RxJS map in JS (ceiling of the pipe)`, inputs[shape].length, async (warmup) => {
    const { ms, value } = await timed(() => lastValueFrom(from(some(inputs[shape], warmup)).pipe(jsOperator[shape](), toArray())));
    return { ms, check: () => (warmup ? undefined : sameAs(reference[shape], value)) };
  });
}

/** (b) the spell looping over events built inside wasmoon's Lua: the Lua-in-WASM ceiling. */
async function rowB() {
  const source = readFileSync(SPELL.enrich, 'utf8');
  let expectedSum = 0;
  let expectedHot = 0;
  for (const o of reference.flat as Obj[]) {
    expectedSum += o['value'] as number;
    if (o['hot']) expectedHot++;
  }
  return measure(
    '(b)',
    "flat: the spell looping inside wasmoon's Lua (Lua-in-WASM ceiling; no crossing)",
    N,
    async (warmup) => {
      const n = warmup ? N >> 4 : N;
      const engine = await new LuaFactory().createEngine({ enableProxy: false });
      try {
        engine.global.set('SPELL_SOURCE', source);
        // Not timed: load the spell and build the events in Lua.
        engine.doStringSync(`
        CAST = load(SPELL_SOURCE, "@enrich.lua")().cast
        EVS = {}
        for i = 0, ${n} - 1 do EVS[i + 1] = { id = i, value = (i * 37 + 11) % 100, kind = "k" .. (i % 32) } end`);
        engine.global.setTop(0);
        // Timed (wall clock, like every other row): one doString that casts every event. Outputs
        // are not kept, as Sanctum keeps none in Lua either (keeping 200,000 tables would time
        // Lua's garbage collector instead).
        const { ms } = await timed(() => engine.doStringSync('local cast, evs = CAST, EVS\nfor i = 1, #evs do local _ = cast(evs[i]) end'));
        engine.global.setTop(0);
        // Not timed: cast again and check every output.
        const result = engine.doStringSync(`
        local cast, evs = CAST, EVS
        local sum, hot, bad, count = 0, 0, 0, 0
        for i = 1, #evs do
          local o, e = cast(evs[i]), evs[i]
          count = count + 1
          sum = sum + o.value
          if o.hot then hot = hot + 1 end
          if o.id ~= e.id or o.kind ~= e.kind or o.value ~= e.value * 2 or o.hot ~= (e.value > 50) then bad = bad + 1 end
        end
        return string.format("%d %d %d %d", sum, hot, bad, count)`) as string;
        engine.global.setTop(0);
        const [sum, hot, bad, count] = result.split(' ').map(Number) as [number, number, number, number];
        return {
          ms,
          check: () =>
            warmup
              ? undefined
              : bad !== 0 || count !== N || sum !== expectedSum || hot !== expectedHot
                ? `FAILED: ${bad} wrong outputs of ${count}; sum ${sum} (expected ${expectedSum}), hot ${hot} (expected ${expectedHot})`
                : undefined,
        };
      } finally {
        engine.global.close();
      }
    },
    'events built in Lua first; timed around one doString of the loop; checked by checksum',
  );
}

/** (c) wasmoon's default conversion: the spell's cast from engine.global.get, called per event. */
async function rowC() {
  const source = readFileSync(SPELL.enrich, 'utf8');
  return measure(
    '(c)',
    'flat: wasmoon default conversion per event (global.get, enableProxy: false)',
    N,
    async (warmup) => {
      const engine = await new LuaFactory().createEngine({ enableProxy: false });
      try {
        engine.global.set('SPELL_SOURCE', source);
        engine.doStringSync('cast = load(SPELL_SOURCE, "@enrich.lua")().cast');
        engine.global.setTop(0);
        const cast = engine.global.get('cast') as (e: EventValue) => EventValue;
        const { ms, value } = await timed(() =>
          lastValueFrom(
            from(some(flatEvents, warmup)).pipe(
              map((e) => cast(e)),
              toArray(),
            ),
          ),
        );
        return { ms, check: () => (warmup ? undefined : sameAs(reference.flat, value)) };
      } finally {
        engine.global.close();
      }
    },
    RUNS > 3 ? 'median of 3 runs (the slowest row; it alone would take most of the time budget)' : undefined,
    Math.min(RUNS, 3),
  );
}

/** (d) Sanctum's spell operator, one cast per event; sandbox and budget on (the defaults). */
async function rowD(shape: Shape, id: string) {
  const spell = await summon(spellFiles[shape]);
  return measure(id, `${shape}: Sanctum spell operator, per event (sandbox + budget on)`, inputs[shape].length, async (warmup) => {
    const { ms, value } = await timed(() => lastValueFrom(from(some(inputs[shape], warmup)).pipe(spell, toArray())));
    return { ms, check: () => (warmup ? undefined : sameAs(reference[shape], value)) };
  });
}

type BatchCaster = SpellCaster & { castBatch?: (events: readonly EventValue[], sink: EmitSink) => readonly SpellError[] | undefined };
let batchAvailable = false;

/** (e) Sanctum's batch path: caster.castBatch in batches of BATCH (or a per-event loop when absent). */
async function rowE(shape: Shape, id: string) {
  const spell = await summon(spellFiles[shape]);
  const probe = spell.open() as BatchCaster;
  batchAvailable = typeof probe.castBatch === 'function';
  probe.close();
  const label = batchAvailable
    ? `${shape}: Sanctum batch path (caster.castBatch, batches of ${BATCH})`
    : `${shape}: (e) batch path: not yet available — per-event caster loop`;
  return measure(id, label, inputs[shape].length, async (warmup) => {
    const events = some(inputs[shape], warmup);
    const caster = spell.open() as BatchCaster;
    const out: EventValue[] = [];
    const errors: SpellError[] = [];
    const sink: EmitSink = (ev) => {
      out.push(ev);
    };
    const { ms } = await timed(() => {
      const initErr = caster.init();
      if (initErr) errors.push(initErr);
      if (caster.castBatch) {
        for (let i = 0; i < events.length; i += BATCH) errors.push(...(caster.castBatch(events.slice(i, i + BATCH), sink) ?? []));
      } else {
        for (const ev of events) {
          const err = caster.cast(ev, sink);
          if (err) errors.push(err);
        }
      }
      const finErr = caster.finish(sink);
      if (finErr) errors.push(finErr);
    });
    caster.close();
    return {
      ms,
      check: () => (warmup ? undefined : errors.length ? `FAILED: ${errors.length} casts failed, first: ${errors[0]!.message}` : sameAs(reference[shape], out)),
    };
  });
}

/** (f) the batch path on worker threads, partitioned by key; includes starting the workers. */
function rowF(shape: Shape, id: string, transport: Transport) {
  return measure(
    id,
    `${shape}: castParallel, ${WORKERS} workers, by ${shape === 'nested' ? 'id' : 'kind'} (${transport} transport; incl. start-up)`,
    inputs[shape].length,
    async (warmup) => {
      const deadLetters: string[] = [];
      const op = castParallel(spellFiles[shape], {
        workers: WORKERS,
        key: partitionKey[shape],
        batchSize: BATCH,
        transport,
        deadLetters: (d) => deadLetters.push(d.error.message),
      });
      const { ms, value } = await timed(() => lastValueFrom(from(some(inputs[shape], warmup)).pipe(op, toArray())));
      return {
        ms,
        check: () =>
          warmup
            ? undefined
            : deadLetters.length
              ? `FAILED: ${deadLetters.length} dead letters, first: ${deadLetters[0]}`
              : samePerKey(reference[shape], value, partitionKey[shape]),
      };
    },
  );
}

/** (f0) what starting castParallel costs: an empty stream (spawn, summon, open, finish, terminate). */
function rowStartup() {
  return measure(
    '(f0)',
    `castParallel start-up: ${WORKERS} workers, empty stream`,
    0,
    async () => {
      const { ms } = await timed(() => lastValueFrom(EMPTY.pipe(castParallel(SPELL.enrich, { workers: WORKERS, key: partitionKey.flat }), toArray())));
      return { ms, check: () => undefined };
    },
    FROM_DIST ? 'from dist/' : 'from source: each worker also loads tsx and compiles its modules (slower than from dist/: see --dist)',
  );
}

// -------------------------------------------------------------------------------------------------
// Memory

interface MemoryReport {
  spells: number;
  rssBefore: number;
  rssAfter: number;
  heapBefore: number;
  heapAfter: number;
  wasmBefore: number;
  wasmAfter: number;
  casters: number;
  luaHeapPerCaster: number;
  wasmGrowthPerCaster: number;
  rssGrowthPerCaster: number;
  wasmAfterClose: number;
}

async function memory(): Promise<MemoryReport> {
  progress('memory: 1,000 spells, 200 open casters');
  // Casters spread over engines as their caps add up (each reserves twice its cap): all of them count.
  const wasm = () => LuaPool.shared().engines.reduce((sum, e) => sum + e.x.memory.buffer.byteLength, 0);
  const sink: EmitSink = () => {};
  const event = flatEvent(1);
  gc();
  const before = process.memoryUsage();
  const wasmBefore = wasm();
  const spells = [];
  for (let i = 0; i < 1000; i++) {
    const spell = await summon(SPELL.enrich, { name: `enrich-${i}` });
    const c = spell.open();
    c.init();
    const err = c.cast(event, sink);
    if (err) failures.push(`memory: a cast failed: ${err.message}`);
    c.close();
    spells.push(spell);
  }
  gc();
  const after = process.memoryUsage();
  const wasmAfter = wasm();

  const CASTERS = 200;
  const casters: SpellCaster[] = [];
  gc();
  const rss0 = process.memoryUsage().rss;
  const wasm0 = wasm();
  for (let i = 0; i < CASTERS; i++) {
    const c = spells[i]!.open();
    c.init();
    c.cast(event, sink);
    casters.push(c);
  }
  gc();
  const luaHeap = casters.reduce((s, c) => s + c.memoryUsed(), 0);
  const wasm1 = wasm();
  const rss1 = process.memoryUsage().rss;
  for (const c of casters) c.close();
  return {
    spells: spells.length,
    rssBefore: before.rss,
    rssAfter: after.rss,
    heapBefore: before.heapUsed,
    heapAfter: after.heapUsed,
    wasmBefore,
    wasmAfter,
    casters: CASTERS,
    luaHeapPerCaster: luaHeap / CASTERS,
    wasmGrowthPerCaster: (wasm1 - wasm0) / CASTERS,
    rssGrowthPerCaster: (rss1 - rss0) / CASTERS,
    wasmAfterClose: wasm(),
  };
}

// -------------------------------------------------------------------------------------------------
// Run

const started = performance.now();
const loadAtStart = loadavg()[0]!;
const mem = await memory();
progress(`  ${((performance.now() - started) / 1000).toFixed(1)} s`);

const a = await rowA('flat', '(a)');
const b = await rowB();
const c = await rowC();
const d = await rowD('flat', '(d)');
const e = await rowE('flat', '(e)');
const f0 = await rowStartup();
const f = await rowF('flat', '(f)', 'clone');
const fJson = await rowF('flat', '(f json)', 'json');
const sa = await rowA('stateful', '(a) stateful');
const sd = await rowD('stateful', '(d) stateful');
const se = await rowE('stateful', '(e) stateful');
const sf = await rowF('stateful', '(f) stateful', 'clone');
const na = await rowA('nested', '(a) nested');
const nd = await rowD('nested', '(d) nested');
const ne = await rowE('nested', '(e) nested');
const ha = await rowA('heavy', '(a) heavy');
const he = await rowE('heavy', '(e) heavy');
const hf = await rowF('heavy', '(f) heavy', 'clone');
void sa;
void na;
void ha;

/** Throughput of x relative to y (x events/s ÷ y events/s). */
const rel = (x: Row, y: Row) => x.eventsPerSec / y.eventsPerSec;
/** (f) without its start-up: the steady rate once the workers run. */
const steady = (x: Row, n = N) => (x.ms > f0.ms ? n / ((x.ms - f0.ms) / 1000) : Number.NaN);
const ratios: Record<string, number> = {
  'd/b': rel(d, b),
  'e/b': rel(e, b),
  'd/c': rel(d, c),
  'e/c': rel(e, c),
  'f/e': rel(f, e),
  'f/e without start-up': steady(f) / e.eventsPerSec,
  'f(json)/f(clone)': rel(fJson, f),
  'f/e stateful': rel(sf, se),
  'f/e cpu-heavy': rel(hf, he),
  'f/e cpu-heavy without start-up': steady(hf, HEAVY_N) / he.eventsPerSec,
  'nested/flat (d)': rel(nd, d),
  'nested/flat (e)': rel(ne, e),
  'stateful/flat (d)': rel(sd, d),
  'stateful/flat (e)': rel(se, e),
  'a/d (JS ceiling over Sanctum)': rel(a, d),
};
const machine = machineInfo(loadAtStart);
const date = new Date().toISOString();
const totalSeconds = (performance.now() - started) / 1000;

if (JSON_OUT) {
  console.log(
    JSON.stringify(
      {
        date,
        machine,
        config: {
          events: N,
          runs: RUNS,
          workers: WORKERS,
          batchSize: BATCH,
          batchPathAvailable: batchAvailable,
          castParallelFrom: FROM_DIST ? 'dist' : 'source',
        },
        rows,
        ratios,
        memory: mem,
        failures,
        seconds: totalSeconds,
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
  const fmtRate = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M/s` : `${(n / 1e3).toFixed(1)} k/s`);
  const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  const x = (n: number) => (Number.isFinite(n) ? `${n >= 10 ? n.toFixed(1) : n.toFixed(2)}×` : 'n/a (noise: the run took less than the start-up)');
  const ratioNote: Record<string, string> = {
    '(d)': `d/b ${x(ratios['d/b']!)}  d/c ${x(ratios['d/c']!)}`,
    '(e)': `e/b ${x(ratios['e/b']!)}  e/c ${x(ratios['e/c']!)}`,
    '(f)': `f/e ${x(ratios['f/e']!)} (without start-up ${x(ratios['f/e without start-up']!)})`,
    '(f json)': `json/clone ${x(ratios['f(json)/f(clone)']!)}`,
    '(d) stateful': `stateful/flat ${x(ratios['stateful/flat (d)']!)}`,
    '(e) stateful': `stateful/flat ${x(ratios['stateful/flat (e)']!)}`,
    '(d) nested': `nested/flat ${x(ratios['nested/flat (d)']!)}`,
    '(e) nested': `nested/flat ${x(ratios['nested/flat (e)']!)}`,
    '(f) stateful': `f/e ${x(ratios['f/e stateful']!)}`,
    '(f) heavy': `f/e ${x(ratios['f/e cpu-heavy']!)} (without start-up ${x(ratios['f/e cpu-heavy without start-up']!)})`,
  };
  console.log(`Sanctum bench — ${date}`);
  console.log(
    `machine: ${machine.cpus} cpus (${machine.cpuModel}), ${mib(machine.memory)}, node ${machine.node}, ${machine.platform}; 1-min load average ${machine.loadAverageAtStart.toFixed(2)} at start, ${machine.loadAverageAtEnd.toFixed(2)} at end (other work on the machine skews every figure)`,
  );
  console.log(
    `${N.toLocaleString('en-US')} events per run (heavy: ${HEAVY_N.toLocaleString('en-US')}), median of ${RUNS} runs (after one warm-up), ${WORKERS} workers, batches of ${BATCH}, castParallel from ${FROM_DIST ? 'dist/' : 'source'}; every output checked against (a)`,
  );
  console.log('');
  const head = ['row', 'what', 'median ms', 'events/s', 'check', 'ratios / notes'];
  const body = rows.map((r) => [
    r.id,
    r.label,
    r.ms.toFixed(1),
    r.id === '(f0)' ? '—' : fmtRate(r.eventsPerSec),
    r.ok ? 'ok' : 'FAILED',
    [ratioNote[r.id], r.note].filter(Boolean).join('; '),
  ]);
  printColumns(head, body);
  console.log('');
  console.log('ratios (throughput of the first over the second):');
  for (const [k, v] of Object.entries(ratios)) console.log(`  ${k.padEnd(30)} ${x(v)}`);
  console.log('');
  console.log('memory:');
  printColumns(
    ['measure', 'before', 'after', 'per unit'],
    [
      [
        `RSS, ${mem.spells} spells summoned (each: caster opened, one cast, closed)`,
        mib(mem.rssBefore),
        mib(mem.rssAfter),
        `${kib((mem.rssAfter - mem.rssBefore) / mem.spells)} / spell`,
      ],
      [`JS heap used, same ${mem.spells} spells`, mib(mem.heapBefore), mib(mem.heapAfter), `${kib((mem.heapAfter - mem.heapBefore) / mem.spells)} / spell`],
      [`WASM memory, same ${mem.spells} spells`, mib(mem.wasmBefore), mib(mem.wasmAfter), `${kib((mem.wasmAfter - mem.wasmBefore) / mem.spells)} / spell`],
      [`Lua heap, ${mem.casters} casters open at once`, '', '', `${kib(mem.luaHeapPerCaster)} / open caster`],
      [`WASM memory growth, ${mem.casters} casters open at once`, '', '', `${kib(mem.wasmGrowthPerCaster)} / open caster`],
      [`RSS growth, ${mem.casters} casters open at once`, '', '', `${kib(mem.rssGrowthPerCaster)} / open caster`],
      [`WASM memory after closing them (never shrinks)`, '', mib(mem.wasmAfterClose), ''],
    ],
  );
  console.log('');
  if (!batchAvailable) console.log('note: SpellCaster has no castBatch yet: rows (e) and the workers cast one event at a time.');
  for (const f of failures) console.log(`FAILED ${f}`);
  console.log(`${failures.length ? 'FAILED' : 'all outputs checked'} — ${totalSeconds.toFixed(1)} s`);
}

function printColumns(head: string[], body: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 2 || i === 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of body) console.log(line(r));
}
