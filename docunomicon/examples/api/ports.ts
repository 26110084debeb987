// ports.ts: wire a spell's named ports and its dead letters.
import { from, lastValueFrom, toArray } from 'rxjs';
import { summon, type DeadLetter, type EventValue } from 'sanctum-streams';

export async function main() {
  const route = await summon('examples/route-refunds.lua', { runes: { review_from: 50000 } });
  const refunds: EventValue[] = [];
  const review: EventValue[] = [];
  const failed: DeadLetter[] = [];
  const payments = [
    { id: 'p-1', amount_cents: 1200 },
    { id: 'p-2', amount_cents: -1200 },
    { id: 'p-3', amount_cents: 75000 },
    { id: 'p-4' }, // no amount: the comparison with 0 fails
  ];
  const out = await lastValueFrom(
    from(payments).pipe(
      route.operator({
        ports: { refunds: (e) => refunds.push(e), review: { next: (e) => review.push(e) } },
        deadLetters: (dl) => failed.push(dl),
      }),
      toArray(),
    ),
  );
  return {
    out,
    refunds,
    review,
    failed: failed.map((dl) => ({ code: dl.error.code, line: dl.error.line, event: dl.event })),
  };
}
