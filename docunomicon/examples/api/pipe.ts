// pipe.ts: summon a spell and use it as an RxJS operator.
import { from, lastValueFrom, toArray } from 'rxjs';
import { summon } from 'sanctum-streams';

export async function main() {
  const onlyPaid = await summon('examples/only-paid.lua');
  const orders = [
    { id: 'o-1', status: 'paid' },
    { id: 'o-2', status: 'pending' },
    { id: 'o-3', status: 'paid' },
  ];
  return lastValueFrom(from(orders).pipe(onlyPaid, toArray()));
}
