/**
 * What metrics cost per event: 200k events through a spell (and through a runeset's graph), with
 * and without a SanctumMetrics attached, interleaved, median of several runs. Not a test: run it with
 *
 *   node --expose-gc --import tsx test/observe/overhead.ts [--events 200000] [--runs 7]
 */
import { from, lastValueFrom, count } from 'rxjs';
import { summonSource, type EventValue, type Spell } from '../../src/index.js';
import { SanctumMetrics } from '../../src/observe/index.js';

const args = process.argv.slice(2);
const opt = (name: string, fallback: number) => (args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) : fallback);
const N = opt('events', 200_000);
const RUNS = opt('runs', 7);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

const SOURCE = `local spell = {}
function spell.cast(e)
  return { id = e.id, value = e.value * 2, kind = e.kind, hot = e.value > 50 }
end
return spell
`;
const events: EventValue[] = Array.from({ length: N }, (_, i) => ({ id: i, value: (i * 37 + 11) % 100, kind: `k${i % 32}` }));

/** Seconds to push every event through the spell's operator. */
async function once(spell: Spell): Promise<number> {
  gc();
  const t0 = performance.now();
  const n = await lastValueFrom(from(events).pipe(spell, count()));
  const t = (performance.now() - t0) / 1000;
  if (n !== N) throw new Error(`expected ${N} outputs, got ${n}`);
  return t;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

async function main(): Promise<void> {
  const plain = await summonSource(SOURCE, { name: 'plain' });
  const sampled = await summonSource(SOURCE, { name: 'sampled' });
  const every = await summonSource(SOURCE, { name: 'every' });
  const graph = { streamNames: [], appended: () => 0, deadLetters: 0, stream: () => from([]) };
  // Metrics attached the way `sanctum run --metrics` attaches them: cast timer 1 in 16 (and 1 in 1).
  const m16 = new SanctumMetrics({ graph, spells: new Map([['sampled', sampled]]) }, { castSample: 16, defaultMetrics: false });
  const m1 = new SanctumMetrics({ graph, spells: new Map([['every', every]]) }, { castSample: 1, defaultMetrics: false });
  // A scrape every 100 ms while they run, as a busy Prometheus would (it runs between batches).
  const scraper = setInterval(() => void m16.text(), 100);

  for (let i = 0; i < 2; i++) for (const s of [plain, sampled, every]) await once(s); // warm up
  const t = { plain: [] as number[], sampled: [] as number[], every: [] as number[] };
  for (let r = 0; r < RUNS; r++) {
    t.plain.push(await once(plain));
    t.sampled.push(await once(sampled));
    t.every.push(await once(every));
  }
  clearInterval(scraper);
  const [p, s, e] = [median(t.plain), median(t.sampled), median(t.every)];
  const row = (name: string, secs: number) =>
    `${name.padEnd(36)} ${(N / secs / 1000).toFixed(0).padStart(6)}k events/s  ${((secs / N) * 1e9).toFixed(0).padStart(5)} ns/event  ratio ${(secs / p).toFixed(3)}`;
  console.log(`${N} events, median of ${RUNS} runs, node ${process.version}`);
  console.log(row('no metrics (counters only)', p));
  console.log(row('metrics, cast timer 1 in 16 (default)', s));
  console.log(row('metrics, cast timer 1 in 1', e));
  const text = await m16.text();
  const line = text.split('\n').find((l) => l.startsWith('sanctum_spell_events_in_total'));
  const timed = text.match(/sanctum_spell_cast_duration_seconds_count\{spell="sampled"\} (\d+)/)?.[1];
  console.log(`scrape check: ${line}; timed casts ${timed} (casts / 16 = ${sampled.stats.casts / 16})`);
  m16.detach();
  m1.detach();
}

await main();
