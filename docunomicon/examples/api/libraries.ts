// libraries.ts: give a spell JavaScript functions to call from Lua (here, a price lookup).
import { from, lastValueFrom, toArray } from 'rxjs';
import { summonSource, type EventValue } from 'sanctum-streams';

const prices = new Map<string, number>([['tea', 450], ['mug', 1200]]);

const source = `
local spell = {}
function spell.cast(line)
  line.price_cents = catalog.price(line.sku) -- a host function: runs in JavaScript, synchronously
  if line.price_cents == nil then error("unknown sku " .. line.sku) end
  return line
end
return spell
`;

export async function main() {
  const spell = await summonSource(source, {
    name: 'price-lines',
    libraries: {
      // Each function gets the Lua arguments as an array of event values and returns one (undefined is nil).
      catalog: { price: ([sku]: EventValue[]) => (typeof sku === 'string' ? prices.get(sku) : undefined) },
    },
  });
  const failed: string[] = [];
  const out = await lastValueFrom(
    from([{ sku: 'tea' }, { sku: 'pot' }]).pipe(spell.operator({ deadLetters: (dl) => failed.push(dl.error.message) }), toArray()),
  );
  return { out, failed };
}
