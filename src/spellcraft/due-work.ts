/** DueWork: a caster's ticks and timers on a clock — when they are due, running them, waking for the next. */
import type { Clock } from '../core/clock.js';
import type { EmitSink, SpellCaster } from './caster.js';
import type { SpellError } from './errors.js';

/**
 * After each piece of due work: `err` is a tick's or a timer's failure, undefined after a tick that
 * succeeded and after each batch of timers. False stops the work (the error policy stopped, or the
 * outputs could not be delivered).
 */
export type DueSettle = (err: SpellError | undefined) => boolean;

/**
 * The ticks (every `tickMs`, when the spell has `tick`) and due timers of one caster, for the
 * operator of a summoned spell and for `sanctum cast` alike. One wake-up at a time is armed on the
 * clock, for the earliest of the next tick and the next timer.
 */
export class DueWork {
  /** The spell ticks: `tickMs` was given and it has a `tick` hook. */
  readonly ticks: boolean;
  /** The spell ticks or has timers: there is due work to look for. */
  readonly timed: boolean;
  private readonly timers: SpellCaster['timers'] | undefined;
  private nextTick = Infinity;
  private lastTick = -Infinity;
  private cancelWake: (() => void) | undefined;
  private wakeAt = Infinity;

  constructor(
    private readonly caster: SpellCaster,
    private readonly clock: Clock,
    private readonly tickMs: number | undefined,
  ) {
    this.ticks = tickMs !== undefined && caster.hasTick;
    this.timers = caster.hasTimer ? caster.timers : undefined;
    this.timed = this.ticks || this.timers !== undefined;
  }

  /** Starts the tick interval: the first tick is one interval from now. */
  start(): void {
    if (this.ticks) this.nextTick = this.clock.now() + this.tickMs!;
  }

  /** The instant of the next tick or timer (Infinity when none). */
  nextDue(): number {
    return Math.min(this.nextTick, this.timers?.nextTimer() ?? Infinity);
  }

  /** Something is due by the clock's now. */
  isDue(): boolean {
    return this.timed && this.nextDue() <= this.clock.now();
  }

  /**
   * Runs the tick (when due, or with `final` unless it already ran at this instant) and the due
   * timers, in batches of 1000; false when `settle` stopped it.
   */
  run(final: boolean, sink: EmitSink, settle: DueSettle, acceptPort?: (port: string) => boolean): boolean {
    const now = this.clock.now();
    if (this.ticks && (final ? this.lastTick !== now : this.nextTick <= now)) {
      this.lastTick = now;
      // The next tick one interval on; a late loop skips the ticks it missed rather than piling them up.
      const next = this.nextTick + this.tickMs!;
      this.nextTick = next > now ? next : now + this.tickMs!;
      if (!settle(this.caster.tick(now, sink, acceptPort))) return false;
    }
    const timers = this.timers;
    if (timers !== undefined) {
      for (let keys = timers.dueTimers(now, 1000); keys.length > 0; keys = timers.dueTimers(now, 1000)) {
        for (const err of this.caster.fireTimers(keys, now, sink, acceptPort)) if (!settle(err)) return false;
        if (!settle(undefined)) return false;
      }
    }
    return true;
  }

  /** Arms one wake-up for the next due instant (replacing an earlier one); `wake` runs then. */
  arm(wake: () => void): void {
    const at = this.nextDue();
    if (at === this.wakeAt) return;
    this.cancel();
    this.wakeAt = at;
    if (at === Infinity) return;
    this.cancelWake = this.clock.wakeAt(at, () => {
      this.cancelWake = undefined;
      this.wakeAt = Infinity;
      wake();
    });
  }

  /** Cancels the armed wake-up, if any. */
  cancel(): void {
    this.cancelWake?.();
    this.cancelWake = undefined;
    this.wakeAt = Infinity;
  }
}
