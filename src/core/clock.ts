/**
 * The clock a run, a spell operator or a test runs on. The runtime owns time: `sanctum.now()`, ticks
 * and timers read it, so a marble test drives them in virtual time and `sanctum run` in real time.
 */
import type { SchedulerLike } from 'rxjs';

/** A source of time in ms since the epoch (or since a test's frame 0), and a way to be woken at an instant. */
export interface Clock {
  /** The current instant, in ms. */
  now(): number;
  /**
   * Calls `wake` once the clock has reached `at` (at once, in a later turn, when `at` has passed).
   * Returns a function that cancels the call (idempotent).
   */
  wakeAt(at: number, wake: () => void): () => void;
}

/**
 * A clock driven by an RxJS scheduler: the TestScheduler's virtual time in marble tests.
 *
 * @example
 * scheduler.run(() => { const clock = schedulerClock(scheduler); clock.wakeAt(3000, fire); });
 */
export function schedulerClock(scheduler: SchedulerLike): Clock {
  return {
    now: () => scheduler.now(),
    wakeAt(at, wake) {
      const sub = scheduler.schedule(wake, Math.max(0, at - scheduler.now()));
      return () => sub.unsubscribe();
    },
  };
}

/** Node's timers hold at most this delay (about 24.8 days); a later instant is reached in hops. */
const MAX_DELAY = 2 ** 31 - 1;

/** The wall clock: `Date.now()` and `setTimeout`. A pending wake keeps the process alive. */
export const systemClock: Clock = {
  now: () => Date.now(),
  wakeAt(at, wake) {
    let timer: NodeJS.Timeout | undefined;
    let cancelled = false;
    const arm = (): void => {
      const delay = at - Date.now();
      if (delay > MAX_DELAY) timer = setTimeout(arm, MAX_DELAY);
      else
        timer = setTimeout(
          () => {
            if (!cancelled) wake();
          },
          Math.max(0, delay),
        );
    };
    arm();
    return () => {
      cancelled = true;
      if (timer !== undefined) clearTimeout(timer);
    };
  },
};

/**
 * What a spell's timers look like to whoever fires them: the earliest pending instant, and the keys
 * due by an instant. The state library implements it over the spell's stored and pending timers.
 */
export interface TimerQueue {
  /** The earliest instant a timer is set for, or undefined when none is pending. */
  nextTimer(): number | undefined;
  /** Keys of the timers due at or before `now`, earliest first (then by key), at most `limit`. */
  dueTimers(now: number, limit: number): string[];
  /** Takes timer `key` for firing at `now`: true (and it is gone) when it is still due by then. */
  takeTimer(key: string, now: number): boolean;
}
