// callback-throws.ts: a port target that throws errors the stream with CALLBACK_FAILED.
import { catchError, from, lastValueFrom, of, toArray } from 'rxjs';
import { summon, type CallbackError, type EventValue } from 'sanctum-streams';

export async function main() {
  const route = await summon('examples/route-refunds.lua', { runes: { review_from: 50000 } });
  const review: EventValue[] = [];
  const payments = [
    { id: 'p-1', amount_cents: 1200 },
    { id: 'p-2', amount_cents: -75000 }, // a refund to review: `refunds` throws, `review` still gets it
    { id: 'p-3', amount_cents: 300 }, // never cast: the stream has errored
  ];
  const out = await lastValueFrom(
    from(payments).pipe(
      route.operator({
        ports: {
          refunds: () => {
            throw new Error('the refunds queue is full');
          },
          review: (e) => review.push(e),
        },
      }),
      catchError((e: CallbackError) => of({ code: e.code, port: e.port, value: e.value, cause: (e.cause as Error).message })),
      toArray(),
    ),
  );
  return { out, review };
}
