// caster.ts: drive a spell by hand, one event at a time, without RxJS.
import { summon, type EventValue } from 'sanctum-streams';

export async function main() {
  const dedup = await summon('examples/dedup.lua', { runes: { window: 100 }, logger: () => {} });
  const caster = dedup.open(); // a Lua state of its own
  const seen: EventValue[] = [];
  const sink = (event: EventValue, port: string) => seen.push({ port, event });
  try {
    const initError = caster.init(); // runs init(runes); undefined when it worked
    if (initError) throw initError;
    const error = caster.cast({ id: 'a' }, sink); // synchronous: emits into sink, returns a SpellError or undefined
    const errors = caster.castBatch([{ id: 'b' }, { id: 'a' }, { id: 'c' }], sink); // many events, one call into Lua
    const finishError = caster.finish(sink); // runs finish(emit)
    return { seen, error: error ?? null, batchErrors: errors.length, finishError: finishError ?? null, heapBytesBelow1MiB: caster.memoryUsed() < 1 << 20 };
  } finally {
    caster.close(); // frees the Lua state
  }
}
