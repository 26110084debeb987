// policies.ts: the three error policies on the same events.
import { catchError, from, lastValueFrom, of, toArray } from 'rxjs';
import { summon, type SpellError } from 'sanctum-streams';

const prices = [
  { sku: 'tea', price: '4.50 EUR' },
  { sku: 'mug', price: 'twelve' },
  { sku: 'pot', price: '30.00 EUR' },
];

export async function main() {
  const quiet = { logger: () => {} }; // `skip` logs a warning per failed event; keep this example quiet
  const parse = await summon('examples/parse-price.lua', quiet);

  // dead-letter (the default): the failed event goes to the dead letters, the rest flows on.
  const codes: string[] = [];
  const deadLetter = await lastValueFrom(
    from(prices).pipe(parse.operator({ deadLetters: (dl) => codes.push(dl.error.code) }), toArray()),
  );

  // skip: the failed event is logged and counted, then dropped.
  const skip = await lastValueFrom(from(prices).pipe(parse.operator({ onError: 'skip' }), toArray()));

  // stop: the stream errors with the SpellError; catchError can turn it into a value.
  const stop = await lastValueFrom(
    from(prices).pipe(
      parse.operator({ onError: 'stop' }),
      catchError((e: SpellError) => of({ stopped: e.code, line: e.line })),
      toArray(),
    ),
  );

  const { failed, skipped, deadLettered } = parse.stats; // counted over all three operators
  return { deadLetter, codes, skip, stop, failed, skipped, deadLettered };
}
