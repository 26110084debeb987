/**
 * Pipeline fusion, in process: the 3-spell pipeline of bench:e2e (enrich → tag → bucket) through
 * PipelineCore, with the hand-off between steps (src/spellcraft/caster.ts Handoff) and without it
 * (`fusion = false`: every step reads its outputs into JS objects the next step pushes again). No
 * files, no NDJSON: what the hand-off changes, alone. The two run in turn, A, B, A, B, and each
 * figure is a median, so a burst of other work slows both; every output is checked.
 *
 *   node --import tsx bench/fusion.ts [--events 200000] [--runs 7] [--batch 256] [--steps enrich,tag,bucket]
 */
import { readFileSync } from 'node:fs';
import { summonSource, type EventValue } from '../src/index.js';
import { PipelineCore } from '../src/runtime/pipeline.js';
import type { RunesetPipeline } from '../src/runes/runeset.js';
import type { StateSession } from '../src/runtime/state-library.js';
import { median, option, textOption } from './options.js';

const N = option('bench:fusion', 'events', 200_000);
const RUNS = option('bench:fusion', 'runs', 7);
const BATCH = option('bench:fusion', 'batch', 256);
const names = textOption('bench:fusion', 'steps', 'enrich,tag,bucket').split(',');

const events = Array.from({ length: N }, (_, i) => ({ id: i, value: (i * 37 + 11) % 100, kind: `k${i % 32}` }));
const session = { sweep() {}, size: 0 } as unknown as StateSession;

async function open(fusion: boolean): Promise<PipelineCore> {
  const spells = await Promise.all(names.map((n) => summonSource(readFileSync(new URL(`spells/${n}.lua`, import.meta.url), 'utf8'), { name: n })));
  const steps = spells.map((spell) => ({ spell, caster: spell.open(), session, ports: {}, policy: 'dead-letter' as const }));
  const p = { name: 'bench', from: ['in'], to: 'out', dead_letters: 'dead', steps: names.map((spell) => ({ spell, ports: {} })) } as unknown as RunesetPipeline;
  const core = new PipelineCore(p, steps);
  core.fusion = fusion;
  core.init();
  return core;
}

function run(core: PipelineCore): { rate: number; out: EventValue[] } {
  const out: EventValue[] = [];
  const t0 = performance.now();
  for (let i = 0; i < N; i += BATCH) {
    const r = core.process(events.slice(i, i + BATCH));
    for (const e of r.out.get('out') ?? []) out.push(e);
  }
  return { rate: (N / (performance.now() - t0)) * 1000, out };
}

const cores = { unfused: await open(false), fused: await open(true) };
const rates: Record<keyof typeof cores, number[]> = { unfused: [], fused: [] };
let reference: EventValue[] | undefined;
for (let r = 0; r < RUNS; r++) {
  for (const k of ['unfused', 'fused'] as const) {
    const { rate, out } = run(cores[k]);
    rates[k].push(rate);
    reference ??= out;
    if (JSON.stringify(out.map(sorted)) !== JSON.stringify(reference.map(sorted))) {
      console.error(`bench:fusion: the ${k} outputs differ from the first run's`);
      process.exit(1);
    }
  }
}
const ratios = rates.fused.map((f, i) => f / rates.unfused[i]!);
const k = (n: number) => `${(n / 1000).toFixed(1)} k`;
console.log(`${names.join(' → ')}, ${N} events in batches of ${BATCH}, median of ${RUNS} runs taken in turn, outputs checked`);
console.log(`  unfused  ${k(median(rates.unfused))} events/s   (${rates.unfused.map(k).join(', ')})`);
console.log(`  fused    ${k(median(rates.fused))} events/s   (${rates.fused.map(k).join(', ')})`);
console.log(`  fused / unfused ${median(ratios).toFixed(2)}×   (per run ${ratios.map((r) => r.toFixed(2)).join(' ')})`);

function sorted(e: EventValue): EventValue {
  return e !== null && typeof e === 'object' && !Array.isArray(e) ? Object.fromEntries(Object.entries(e).sort(([a], [b]) => (a < b ? -1 : 1))) : e;
}
