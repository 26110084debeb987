// compose.ts: spells are operators, so they chain with each other and with RxJS operators.
import { filter, from, lastValueFrom, map, reduce } from 'rxjs';
import { summon } from 'sanctum-streams';

export async function main() {
  const onlyPaid = await summon('examples/only-paid.lua');
  const enrich = await summon('examples/enrich-order.lua', { runes: { vat_rates: { DE: 19, FR: 20 } } });
  const orders = [
    { id: 'o-1', status: 'paid', country: 'DE', net_cents: 1000 },
    { id: 'o-2', status: 'pending', country: 'FR', net_cents: 450 },
    { id: 'o-3', status: 'paid', country: 'FR', net_cents: 2500 },
    { id: 'o-4', status: 'paid', country: 'DE', net_cents: 0 },
  ];
  return lastValueFrom(
    from(orders).pipe(
      onlyPaid,
      enrich,
      map((order) => (order as { gross_cents: number }).gross_cents),
      filter((cents) => cents > 0),
      reduce((sum, cents) => sum + cents, 0),
    ),
  );
}
