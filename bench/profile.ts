/**
 * Where `sanctum run`'s time goes: the rows of bench:e2e run once each under V8's sampling profiler
 * (`node --cpu-prof`, the build in dist/), every sample put in one category by the code it was taken
 * in (or the nearest caller that is Sanctum's or a library's), and the plain Node baseline profiled the
 * same way. The table says what each part of the path costs per event, and so what a target leaves.
 *
 *   npm run bench:profile -- [--events 200000] [--json]
 *
 * Categories: start-up (every sample before the first input line is decoded: loading modules, reading
 * and checking the runeset, summoning the spells); the Lua engine in WebAssembly (the VM, tables,
 * strings, its allocator and GC); Sanctum's WASM bridge (handing a table on between fused spells,
 * reading a result); V8's garbage collector; NDJSON (decoding lines with JSON.parse, encoding with
 * JSON.stringify into the sink's buffer, the write); the JS side of the bridge and caster; storage
 * (SQLite and the log, state and position code above it); the rest of the runtime (stream graph,
 * pipelines, sources, sinks); libraries; Node itself (I/O, streams, timers). Idle samples are left out.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runeset as runesetIn, writeEvents, type RunesetShape } from './e2e/shapes.js';
import { flag, machineInfo, option as optionOf } from './options.js';

const N = optionOf('bench:profile', 'events', 200_000);
const JSON_OUT = flag('json');
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SANCTUM = path.join(ROOT, 'bin/sanctum.js');
const PLAIN = path.join(ROOT, 'bench/e2e/plain.mjs');
const SPELLS = path.join(ROOT, 'bench/spells');
const loadAtStart = loadavg()[0]!;
const work = mkdtempSync(path.join(tmpdir(), 'sanctum-bench-profile-'));
const at = (...p: string[]) => path.join(work, ...p);

// The inputs and runesets of bench/e2e.ts.
writeEvents(at('in.ndjson'), N);
const runeset = (dir: string, shape: RunesetShape) => runesetIn(dir, shape, at('in.ndjson'));

// -------------------------------------------------------------------------------------------------
// A profile, categorized

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

const CATEGORIES = [
  'start-up',
  'Lua engine (WASM)',
  'bridge (WASM)',
  'garbage collector (V8)',
  'NDJSON: JSON.parse, JSON.stringify, write',
  'bridge and caster (JS)',
  'storage (SQLite, log, state, positions)',
  'runtime: graph, pipelines, sources, sinks',
  'libraries',
  'Node (I/O, streams, timers)',
] as const;
type Category = (typeof CATEGORIES)[number];

/** Milliseconds of samples per category, idle left out. */
function categorize(file: string): Record<Category, number> {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const of = (id: number): Category | 'idle' => {
    const own = byId.get(id)!.callFrame;
    if (own.functionName === '(idle)') return 'idle';
    if (own.functionName === '(garbage collector)') return 'garbage collector (V8)';
    if (own.url.startsWith('wasm://')) return own.url === LUA_URL ? 'Lua engine (WASM)' : 'bridge (WASM)';
    // The first frame, itself or a caller, that is a file of Sanctum's or a library's.
    for (let q: number | undefined = id; q !== undefined; q = parent.get(q)) {
      const { url, functionName } = byId.get(q)!.callFrame;
      if (url.startsWith('wasm://')) return 'Lua engine (WASM)';
      // NDJSON in and out: Sanctum's reader and encoder, `sanctum cast`'s output (one JSON.stringify
      // per output, written), the plain baseline's loop.
      if (
        /\/dist\/runtime\/(ndjson|lines)\.js$/.test(url) ||
        functionName === 'encodeNdjson' ||
        (url.endsWith('/dist/cli/commands/cast.js') && functionName === 'sink')
      )
        return 'NDJSON: JSON.parse, JSON.stringify, write';
      if (url.includes('/dist/storage/') || url.includes('/node_modules/better-sqlite3/')) return 'storage (SQLite, log, state, positions)';
      if (url.includes('/dist/spellcraft/')) return 'bridge and caster (JS)';
      if (url.includes('/dist/') || url.includes('/bench/e2e/'))
        return url.includes('/bench/e2e/') ? 'NDJSON: JSON.parse, JSON.stringify, write' : 'runtime: graph, pipelines, sources, sinks';
      if (url.includes('/node_modules/')) return 'libraries';
    }
    return 'Node (I/O, streams, timers)';
  };
  // The Lua engine is the biggest WASM module; the bridge is the small one.
  const wasmUrls = new Map<string, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const u = byId.get(p.samples[i]!)!.callFrame.url;
    if (u.startsWith('wasm://')) wasmUrls.set(u, (wasmUrls.get(u) ?? 0) + 1);
  }
  const LUA_URL = [...wasmUrls].sort((a, b) => b[1] - a[1])[0]?.[0];
  const out = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>;
  let started = false;
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i]!;
    const ms = (p.timeDeltas[i + 1] ?? 0) / 1000;
    if (!started) {
      // The first input line decoded: Sanctum's NDJSON reader, or the plain baseline's handler.
      for (let q: number | undefined = id; q !== undefined && !started; q = parent.get(q)) {
        const f = byId.get(q)!.callFrame;
        started =
          /^(decodeLine|decodeLines|decodeBatch|splitLines)$/.test(f.functionName) ||
          (f.url.endsWith('/bench/e2e/plain.mjs') && /^(handle|apply)$/.test(f.functionName));
      }
    }
    const c = of(id);
    if (c === 'idle') continue;
    out[started ? c : 'start-up'] += ms;
  }
  return out;
}

function profiled(name: string, argv: string[], cwd: string, stdout = 'ignore' as 'ignore' | number): Record<Category, number> {
  const dir = at('profiles', name);
  mkdirSync(dir, { recursive: true });
  const r = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, ...argv], { cwd, encoding: 'utf8', stdio: ['ignore', stdout, 'pipe'] });
  if (r.status !== 0) {
    console.error(`bench:profile: ${name} failed (${r.status ?? r.signal}): ${r.stderr}`);
    process.exit(1);
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no profile for ${name}`);
  return categorize(path.join(dir, file));
}

const rows: { id: string; label: string; ms: Record<Category, number> }[] = [];
const plainDir = at('plain');
mkdirSync(plainDir, { recursive: true });
rows.push({
  id: 'plain',
  label: 'plain Node: enrich, hot events to a second file',
  ms: profiled('plain', [PLAIN, 'enrich', at('in.ndjson'), 'out.ndjson', 'hot.ndjson'], plainDir),
});
{
  const dir = at('cast');
  mkdirSync(dir, { recursive: true });
  const out = openSync(path.join(dir, 'out.ndjson'), 'w');
  rows.push({
    id: 'cast',
    label: 'sanctum cast enrich.lua in.ndjson > out.ndjson',
    ms: profiled('cast', [SANCTUM, 'cast', path.join(SPELLS, 'enrich.lua'), at('in.ndjson')], dir, out),
  });
  closeSync(out);
}
const run = (id: string, label: string, shape: RunesetShape) => {
  const dir = at(id);
  const file = runeset(dir, shape);
  rows.push({ id, label, ms: profiled(id, [SANCTUM, 'run', file], dir) });
};
run('route', 'sanctum run: file → enrich → route → 2 files, in memory', { steps: ['enrich', 'route'], route: true });
run('durable', 'the same, 3 streams durable (FULL)', { steps: ['enrich', 'route'], route: true, durable: true });
run('single-enrich', 'sanctum run: enrich alone', { steps: ['enrich'] });
run('chain', 'sanctum run: enrich → tag → bucket', { steps: ['enrich', 'tag', 'bucket'] });
rmSync(work, { recursive: true, force: true });

const total = (r: (typeof rows)[number]) => CATEGORIES.reduce((s, c) => s + r.ms[c], 0);
if (JSON_OUT) {
  console.log(JSON.stringify({ events: N, machine: machineInfo(loadAtStart), rows: rows.map((r) => ({ ...r, total: total(r) })) }, null, 2));
} else {
  console.log(`bench:profile — ${N.toLocaleString('en-US')} events, CPU ms by category (one profiled run each; idle left out)`);
  console.log(`machine: ${JSON.stringify(machineInfo(loadAtStart))}\n`);
  const head = ['category'.padEnd(44), ...rows.map((r) => r.id.padStart(14))].join('');
  console.log(head);
  for (const c of CATEGORIES)
    console.log([c.padEnd(44), ...rows.map((r) => `${r.ms[c].toFixed(0)} (${((100 * r.ms[c]) / total(r)).toFixed(0)}%)`.padStart(14))].join(''));
  console.log(['total'.padEnd(44), ...rows.map((r) => total(r).toFixed(0).padStart(14))].join(''));
  console.log(['µs per event after start-up'.padEnd(44), ...rows.map((r) => (((total(r) - r.ms['start-up']) * 1000) / N).toFixed(2).padStart(14))].join(''));
  console.log();
  for (const r of rows) console.log(`${r.id}: ${r.label}`);
}
