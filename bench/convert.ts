/**
 * The first and last crossing, in process: events of the bench:e2e shape `{id, value, kind}` pushed
 * into Lua and the enrich spell's outputs `{id, value, kind, hot}` read back. Three rows, run in turn
 * round after round: the whole cast (SpellCaster.castBatch, outputs checked against the same map in
 * JS), and the two conversions alone (LuaVM.push of a batch of events, LuaVM.read of a batch of
 * outputs). Each figure is the median and the best of the rounds: on a shared machine the best
 * moves least with the others' load.
 *
 *   node --import tsx bench/convert.ts [--events 200000] [--runs 7] [--batch 1000]
 */
import { readFileSync } from 'node:fs';
import { type EventValue, summonSource } from '../src/index.js';
import { LuaPool, SLOT } from '../src/spellcraft/lua-vm.js';
import { median, option } from './options.js';

const N = option('bench:convert', 'events', 200_000);
const RUNS = option('bench:convert', 'runs', 7);
const BATCH = option('bench:convert', 'batch', 1000);

const events = Array.from({ length: N }, (_, i) => ({ id: i, value: (i * 37 + 11) % 100, kind: `k${i % 32}` }));
const enrich = (e: (typeof events)[number]) => ({ id: e.id, value: e.value * 2, kind: e.kind, hot: e.value > 50 });
const batches: EventValue[][] = [];
for (let i = 0; i < N; i += BATCH) batches.push(events.slice(i, i + BATCH));
const spell = await summonSource(readFileSync(new URL('spells/enrich.lua', import.meta.url), 'utf8'), { name: 'enrich' });
const caster = spell.open();

// The conversions alone, in a state of their own: a table of one batch of outputs to read from.
const state = new LuaPool().openState(64 * 1024 * 1024);
const { vm, L } = state;
const mt = SLOT.arrayMt;
const base = vm.x.lua_gettop(L);
vm.x.lua_createtable(L, BATCH, 0);
for (let i = 0; i < BATCH; i++) {
  vm.push(L, enrich(events[i]!), mt);
  vm.h.rawseti(L, -2, i + 1);
}

function castAll(): number {
  const out: EventValue[] = [];
  const sink = (e: EventValue) => {
    out.push(e);
  };
  const t0 = performance.now();
  for (const b of batches) {
    const f = caster.castBatch(b, sink);
    if (f.length) throw new Error(`bench:convert: ${f[0]!.message}`);
  }
  const ms = performance.now() - t0;
  if (out.length !== N) throw new Error(`bench:convert: ${out.length} outputs, not ${N}`);
  for (let i = 0; i < N; i++) {
    const o = out[i] as Record<string, EventValue>;
    const w = enrich(events[i]!);
    if (o['id'] !== w.id || o['value'] !== w.value || o['kind'] !== w.kind || o['hot'] !== w.hot || Object.keys(o).length !== 4) {
      throw new Error(`bench:convert: output ${i} is ${JSON.stringify(o)}, not ${JSON.stringify(w)}`);
    }
  }
  return ms;
}

function pushAll(): number {
  const t0 = performance.now();
  for (const b of batches) {
    vm.x.lua_createtable(L, b.length, 0);
    for (let i = 0; i < b.length; i++) {
      vm.push(L, b[i], mt);
      vm.h.rawseti(L, -2, i + 1);
    }
    vm.x.lua_settop(L, base + 1);
  }
  return performance.now() - t0;
}

function readAll(): number {
  let sum = 0;
  const t0 = performance.now();
  for (let n = 0; n < N; n += BATCH) {
    for (let i = 1; i <= BATCH; i++) {
      vm.h.rawgeti(L, base + 1, i);
      sum += (vm.read(L, base + 2, mt) as Record<string, number>)['id']!;
      vm.x.lua_settop(L, base + 1);
    }
  }
  const ms = performance.now() - t0;
  if (sum !== (N / BATCH) * ((BATCH * (BATCH - 1)) / 2)) throw new Error('bench:convert: the outputs read back differ');
  return ms;
}

const rows = { castBatch: castAll, push: pushAll, read: readAll };
const times: Record<keyof typeof rows, number[]> = { castBatch: [], push: [], read: [] };
for (let r = 0; r < RUNS; r++) for (const k of Object.keys(rows) as (keyof typeof rows)[]) times[k].push(rows[k]());

console.log(`enrich, ${N} events in batches of ${BATCH}, ${RUNS} rounds taken in turn, outputs checked`);
for (const k of Object.keys(rows) as (keyof typeof rows)[]) {
  const ns = (ms: number) => ((ms * 1e6) / N).toFixed(0);
  const rate = (ms: number) => `${(((N / ms) * 1000) / 1000).toFixed(0)} k/s`;
  const best = Math.min(...times[k]);
  console.log(
    `  ${k.padEnd(10)} median ${ns(median(times[k])).padStart(5)} ns/event (${rate(median(times[k]))}), best ${ns(best).padStart(5)} ns/event (${rate(best)})`,
  );
}
