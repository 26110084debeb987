// dead-letter-json.ts: a dead letter, and the JSON form written to dead-letter files.
import { from, lastValueFrom } from 'rxjs';
import { deadLetterToJSON, summon, type DeadLetter } from 'sanctum-streams';

export async function main() {
  const parse = await summon('examples/parse-price.lua');
  const failed: DeadLetter[] = [];
  await lastValueFrom(from([{ sku: 'mug', price: 'twelve' }]).pipe(parse.operator({ deadLetters: (dl) => failed.push(dl) })), {
    defaultValue: null,
  });
  const dl = failed[0]!;
  return {
    message: dl.error.message, // derived from file, line and luaMessage
    json: deadLetterToJSON(dl),
  };
}
