// virtual-time.ts: a spell's timers and ticks on RxJS's TestScheduler: two hours of spell time in no time.
import { tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { schedulerClock, spellState, summon, type EventValue } from 'sanctum-streams';

export async function main() {
  // follow-up.lua sets a timer per order (timers live with the state); per-minute.lua counts between ticks.
  const followUp = await summon('examples/time/follow-up.lua', { runes: { after: '30m' }, state: spellState() });
  const perHour = await summon('examples/time/per-minute.lua', { tick: 3_600_000 }); // here, a tick every hour
  const seen: { minute: number; event: EventValue }[] = [];
  const at = (scheduler: TestScheduler) => (event: EventValue) => seen.push({ minute: scheduler.now() / 60_000, event });
  const scheduler = new TestScheduler(() => {});
  scheduler.run(({ cold }) => {
    const clock = schedulerClock(scheduler); // the operators' clock: the scheduler's virtual time
    // A letter takes 1 ms: o-1 at 0, o-2 at 10 min, o-2 paid at 20 min, the end at 2 h.
    const orders = cold('a 599999ms b 599999ms c 5999999ms |', { a: { order: 'o-1' }, b: { order: 'o-2' }, c: { paid: 'o-2' } });
    orders
      .pipe(followUp.operator({ clock }), tap(at(scheduler)), perHour.operator({ clock }))
      .subscribe(at(scheduler));
  }); // run() returns once virtual time has run out
  return seen;
}
