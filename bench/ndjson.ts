/**
 * What the input policy costs: the NDJSON reader (readLines) and decoder (parseLine, decodeLines)
 * against plain `JSON.parse` per line on the same reader, and against the path they replace
 * (readline over a UTF-8 read stream, with the old parseLine). Every row reads the dataset's file,
 * as `sanctum cast`, `append` and file sources do: lines held in a big array for the whole run
 * measure the garbage collector more than the decoder. Each figure is the median of several runs
 * after a warm-up; the rows of a dataset take turns run after run, and each ratio is the median of
 * the runs' ratios, so that a machine whose load changes compares rows measured moments apart.
 * Every run's event count is checked: a wrong count fails the run (exit 1).
 *
 *   npx tsx bench/ndjson.ts [--events 500000] [--runs 5] [--json]
 *
 * Datasets (each --events lines):
 *   orders    realistic events of ~245 bytes: an id, a timestamp in ms, a nested customer, 1–3 items, tags
 *   digits    the same with 16-digit microsecond timestamps and ids: every line has digit runs long
 *             enough that the decoder looks at its numbers
 *   wide      events of ~2.7 KB with 60 items: more than 200 brackets, every line takes the depth scan
 *             (a tenth of --events lines)
 *   unicode   orders with Polish and emoji text: two-byte strings
 *
 * Rows, in events per second:
 *   (a) readLines + JSON.parse per line: the floor, no checks
 *   (b) the old path: readline + the old parseLine (JSON.parse and a /\d{16}/ test)
 *   (c) readLines + parseLine per line
 *   (d) readNdjsonBatches: readLines + decodeLines, an array of events per chunk (what sources hand on)
 *   (e) readLines alone (lines per second)
 */
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import type { EventValue } from '../src/core/event.js';
import { FILE_CHUNK_BYTES, parseLine, readNdjsonBatches } from '../src/runtime/ndjson.js';
import { readLines } from '../src/runtime/lines.js';
import { option as optionOf, flag, machineInfo } from './options.js';

const option = (name: string, fallback: number) => optionOf('bench/ndjson', name, fallback);
const N = option('events', 500_000);
const RUNS = option('runs', 5);
const JSON_OUT = flag('json');
const loadAtStart = loadavg()[0]!;
const started = performance.now();

// -------------------------------------------------------------------------------------------------
// Data

/** A deterministic pseudo-random sequence, so every run decodes the same bytes. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const SKUS = ['tea-green', 'tea-black', 'mug-blue', 'pot-iron', 'filter-paper', 'honey-500g'];
const CITIES = ['Lisbon', 'Kraków', 'Oslo', 'Lyon', 'Turin', 'Ghent'];

function order(i: number, r: () => number, kind: 'orders' | 'digits' | 'wide' | 'unicode'): Record<string, unknown> {
  const items = Array.from({ length: kind === 'wide' ? 60 : 1 + Math.floor(r() * 3) }, (_, k) => ({
    sku: SKUS[(i + k) % SKUS.length],
    qty: 1 + Math.floor(r() * 5),
    price: Math.round(r() * 10_000) / 100,
  }));
  const ts = kind === 'digits' ? 1_733_000_000_000_000 + i * 1000 : 1_733_000_000_000 + i;
  return {
    id: kind === 'digits' ? 4_000_000_000_000_000 + i : `o-${i}`,
    ts,
    kind: r() < 0.1 ? 'refund' : 'sale',
    customer: { id: `c-${Math.floor(r() * 50_000)}`, city: CITIES[i % CITIES.length], vip: r() < 0.05 },
    items,
    total: Math.round(items.reduce((t, it) => t + it.qty * it.price, 0) * 100) / 100,
    tags: r() < 0.5 ? ['web'] : ['shop', 'promo'],
    note: kind === 'unicode' ? `zażółć gęślą jaźń 🍵 #${i}` : null,
  };
}

const DATASETS = ['orders', 'digits', 'wide', 'unicode'] as const;
type Dataset = (typeof DATASETS)[number];

/** Lines per dataset: `wide` lines are ten times longer, so it has a tenth as many. */
const linesOf = (kind: Dataset) => (kind === 'wide' ? Math.ceil(N / 10) : N);

/** Writes the dataset's lines to `file`, 10,000 at a time; returns its size in bytes. */
function writeDataset(kind: Dataset, file: string): number {
  const r = rng(42);
  const fd = openSync(file, 'w');
  let bytes = 0;
  try {
    for (let i = 0; i < linesOf(kind); i += 10_000) {
      const block = Array.from({ length: Math.min(10_000, linesOf(kind) - i) }, (_, k) => `${JSON.stringify(order(i + k, r, kind))}\n`).join('');
      bytes += writeSync(fd, block);
    }
  } finally {
    closeSync(fd);
  }
  return bytes;
}

// -------------------------------------------------------------------------------------------------
// The code this replaces (src/runtime/ndjson.ts before the input policy), kept here for the comparison.

function oldParseLine(text: string): { value: EventValue } | { error: string } {
  let value: EventValue;
  try {
    value = JSON.parse(text) as EventValue;
  } catch (e) {
    return { error: `invalid JSON: ${(e as Error).message}` };
  }
  const inexact = /\d{16}/.test(text) ? oldFindInexactInteger(text) : undefined;
  if (inexact !== undefined) return { error: `the number ${inexact} cannot be represented exactly` };
  return { value };
}

function oldFindInexactInteger(text: string): string | undefined {
  const re = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const tok = m[0];
    if (tok.startsWith('"') || /[.eE]/.test(tok)) continue;
    if (!Number.isSafeInteger(Number(tok)) && BigInt(tok) !== BigInt(Number(tok))) return tok;
  }
  return undefined;
}

// -------------------------------------------------------------------------------------------------
// Measuring: the rows of a dataset take turns, run after run, so that each run's ratios compare
// rows measured moments apart on a machine whose load changes.

interface Row {
  readonly dataset: Dataset;
  readonly id: string;
  readonly label: string;
  readonly rate: number;
  readonly runs: number[];
  readonly ok: boolean;
}

type Body = () => number | Promise<number>;

const rows: Row[] = [];
const failures: string[] = [];
const ratios: Record<string, number> = {};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(1));

/** Runs every body once to warm up, then RUNS rounds of all of them; each returns how many events it made. */
async function measure(dataset: Dataset, bodies: [id: string, label: string, body: Body][]): Promise<void> {
  for (const [, , body] of bodies) await body();
  const runs = bodies.map(() => [] as number[]);
  const ok = bodies.map(() => true);
  for (let r = 0; r < RUNS; r++) {
    for (let k = 0; k < bodies.length; k++) {
      const [id, , body] = bodies[k]!;
      const t0 = performance.now();
      const n = await body();
      runs[k]!.push(n / ((performance.now() - t0) / 1000));
      if (n !== linesOf(dataset)) {
        ok[k] = false;
        failures.push(`${dataset} (${id}): ${n} events, expected ${linesOf(dataset)}`);
      }
    }
  }
  bodies.forEach(([id, label], k) => {
    rows.push({ dataset, id, label, rate: median(runs[k]!), runs: runs[k]!, ok: ok[k]! });
    if (!JSON_OUT) process.stderr.write(`  ${dataset.padEnd(8)} (${id}) ${label}: ${fmt(median(runs[k]!))}/s\n`);
  });
  const paired = (x: string, y: string) => {
    const i = bodies.findIndex((b) => b[0] === x);
    const j = bodies.findIndex((b) => b[0] === y);
    return median(runs[i]!.map((v, r) => v / runs[j]![r]!));
  };
  ratios[`${dataset}: c/a (parseLine over JSON.parse)`] = paired('c', 'a');
  ratios[`${dataset}: d/a (decodeLines over JSON.parse)`] = paired('d', 'a');
  ratios[`${dataset}: d/b (new path over the old)`] = paired('d', 'b');
}

const work = mkdtempSync(path.join(tmpdir(), 'sanctum-bench-ndjson-'));
const bytesOf: Record<string, number> = {};
try {
  for (const dataset of DATASETS) {
    const file = path.join(work, `${dataset}.ndjson`);
    bytesOf[dataset] = writeDataset(dataset, file); // the lines are garbage before the measuring starts
    const chunks = { highWaterMark: FILE_CHUNK_BYTES };
    await measure(dataset, [
      [
        'a',
        'readLines + JSON.parse per line',
        async () => {
          let n = 0;
          for await (const b of readLines(createReadStream(file, chunks))) {
            const events: EventValue[] = [];
            for (const l of b.lines) events.push(JSON.parse(l) as EventValue);
            n += events.length;
          }
          return n;
        },
      ],
      [
        'b',
        'old: readline + old parseLine',
        async () => {
          let n = 0;
          const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
          for await (const l of rl) if (l.trim() !== '' && 'value' in oldParseLine(l)) n++;
          return n;
        },
      ],
      [
        'c',
        'readLines + parseLine per line',
        async () => {
          let n = 0;
          for await (const b of readLines(createReadStream(file, chunks))) {
            const events: EventValue[] = [];
            for (const l of b.lines) {
              const r = parseLine(l);
              if ('value' in r) events.push(r.value);
            }
            n += events.length;
          }
          return n;
        },
      ],
      [
        'd',
        'readNdjsonBatches (readLines + decodeLines)',
        async () => {
          let n = 0;
          for await (const b of readNdjsonBatches([file])) n += b.events.length;
          return n;
        },
      ],
      [
        'e',
        'readLines alone (lines/s)',
        async () => {
          let n = 0;
          for await (const b of readLines(createReadStream(file, chunks))) n += b.lines.length;
          return n;
        },
      ],
    ]);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const machine = machineInfo(loadAtStart);
const date = new Date().toISOString();
const seconds = (performance.now() - started) / 1000;

if (JSON_OUT) {
  console.log(JSON.stringify({ date, machine, config: { events: N, runs: RUNS }, bytes: bytesOf, rows, ratios, failures, seconds }, null, 2));
} else {
  console.log(`Sanctum NDJSON input bench — ${date}`);
  console.log(
    `machine: ${machine.cpus} cpus (${machine.cpuModel}), node ${machine.node}, ${machine.platform}; 1-min load ${machine.loadAverageAtStart.toFixed(2)} at start, ${machine.loadAverageAtEnd.toFixed(2)} at end`,
  );
  console.log(
    `${N.toLocaleString('en-US')} lines per dataset (${DATASETS.map((d) => `${d} ${(bytesOf[d]! / linesOf(d)).toFixed(0)} B/line`).join(', ')}; wide has a tenth as many lines); median of ${RUNS} runs after a warm-up; counts checked`,
  );
  console.log('');
  const head = ['dataset', 'row', 'what', 'events/s', 'runs'];
  const body = rows.map((r) => [r.dataset, r.id, r.label, fmt(r.rate), r.runs.map(fmt).join(' ')]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) console.log(line(b));
  console.log('');
  console.log("ratios (throughput of the first over the second, median of the runs' ratios):");
  for (const [k, v] of Object.entries(ratios)) console.log(`  ${k.padEnd(40)} ${v.toFixed(2)}×`);
  for (const f of failures) console.log(`FAILED ${f}`);
  console.log(`${failures.length ? 'FAILED' : 'all counts checked'} — ${seconds.toFixed(1)} s`);
}
if (failures.length) process.exitCode = 1;
