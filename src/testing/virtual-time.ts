/**
 * Virtual time for marble tests: a frame is `frame` ms of spell time (RxJS's TestScheduler, run
 * mode, with its frame factor set to that), so `sanctum.now()`, ticks and timers advance with the
 * marbles, and a day of spell time runs in milliseconds. Time stops at the end of the longest
 * marble diagram of the case (the frame after its last is not run), so a spell that ticks on a
 * never-ending input ends too.
 */
import { TestScheduler } from 'rxjs/testing';
import { schedulerClock, type Clock } from '../core/clock.js';
import { durationMs } from '../runes/normalize.js';

/** A duration of a test file (`1s`, `250ms`, `5m`; a bare number is seconds) in ms. */
export function testDurationMs(v: number | string | undefined, fallback: number): number {
  return v === undefined ? fallback : durationMs(v);
}

const UNITS: Readonly<Record<string, number>> = { h: 60, d: 24 * 60 };

/** Marbles with `h` and `d` time progressions (`a 24h b`) written in minutes, which RxJS reads. */
export function expandProgressions(marbles: string): string {
  return marbles.replace(/(^|\s)(\d+(?:\.\d+)?)(h|d)(?=\s)/g, (_, before: string, n: string, unit: string) => `${before}${Number(n) * UNITS[unit]!}m`);
}

/** The instant (virtual ms) just after a marble diagram ends; call inside `scheduler.run` with the frame factor set. */
function endOf(marbles: string): number {
  // Subscription marbles (`^--!`) count too: their markers take a frame, as `-` does.
  const messages = TestScheduler.parseMarbles(`${marbles.replace(/[!^]/g, '-')} x`, undefined, undefined, false, true);
  return messages[messages.length - 1]!.frame;
}

export interface VirtualTime {
  readonly clock: Clock;
  /** Turns the scheduler's frames (virtual ms) back into marble frames, for messages. */
  readonly toFrame: (ms: number) => number;
}

/**
 * Sets up the current `scheduler.run` for frames of `frameMs`: the frame factor, the time horizon
 * (the end of the longest of `marbles`), and a clock over the scheduler.
 */
export function useVirtualTime(scheduler: TestScheduler, frameMs: number, marbles: readonly (string | undefined)[]): VirtualTime {
  TestScheduler.frameTimeFactor = frameMs; // run() restores it when it returns
  // Up to (not including) the frame after the last one drawn: what the diagrams can show.
  let end = 0;
  for (const m of marbles) if (m !== undefined) end = Math.max(end, endOf(m));
  scheduler.maxFrames = end - 1;
  return { clock: schedulerClock(scheduler), toFrame: (ms) => ms / frameMs };
}
