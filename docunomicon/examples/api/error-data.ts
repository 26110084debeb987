// error-data.ts: error() with a table keeps the table as the dead letter's `data`.
import { from, lastValueFrom } from 'rxjs';
import { summonSource, type DeadLetter } from 'sanctum-streams';

const source = `
local spell = {}
function spell.cast(order)
  if order.qty > 10 then
    error({ message = "too many items", limit = 10, qty = order.qty })
  end
  return order
end
return spell
`;

export async function main() {
  const spell = await summonSource(source, { name: 'limit' });
  const failed: DeadLetter[] = [];
  await lastValueFrom(from([{ id: 'o-9', qty: 12 }]).pipe(spell.operator({ deadLetters: (dl) => failed.push(dl) })), { defaultValue: null });
  const { code, line, luaMessage, data } = failed[0]!.error;
  return { code, line, luaMessage, data };
}
