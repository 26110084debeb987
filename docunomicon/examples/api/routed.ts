// routed.ts: every port's events and every dead letter, tagged, in one stream.
import { from, lastValueFrom, map, toArray } from 'rxjs';
import { summon } from 'sanctum-streams';

export async function main() {
  const route = await summon('examples/route-refunds.lua');
  const payments = [{ id: 'p-1', amount_cents: 1200 }, { id: 'p-2', amount_cents: -1200 }, { id: 'p-4' }];
  return lastValueFrom(
    from(payments).pipe(
      route.routed(),
      map((o) => (o.kind === 'event' ? { port: o.port, event: o.event } : { deadLetter: o.deadLetter.error.message })),
      toArray(),
    ),
  );
}
