/**
 * Rate limiting for log lines that can repeat once per event (a failing spell in a hot loop): the
 * first `burst` lines of a kind per interval are written, the rest are counted, and one summary
 * line says how many were left out, so no count is lost.
 */

export interface RateLimitOptions {
  /** Lines of one kind written per interval. Default 5. */
  readonly burst?: number;
  /** The interval, in milliseconds. Default 10,000. */
  readonly intervalMs?: number;
  /** The clock (tests pass their own). Default `Date.now`. */
  readonly now?: () => number;
  /** Writes the summary of a kind whose lines were left out: `suppressed` of them in `seconds`. */
  readonly onSummary: (fields: Readonly<Record<string, unknown>>, suppressed: number, seconds: number) => void;
}

interface Window {
  start: number;
  logged: number;
  suppressed: number;
  /** Fields for the summary line (from the first line of the kind). */
  readonly fields: Readonly<Record<string, unknown>>;
}

export class RateLimiter {
  private readonly windows = new Map<string, Window>();
  private readonly burst: number;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly onSummary: RateLimitOptions['onSummary'];
  private timer: NodeJS.Timeout | undefined;
  /** Lines left out so far, over every kind (summaries included or not yet). */
  suppressedTotal = 0;

  constructor(options: RateLimitOptions) {
    this.burst = options.burst ?? 5;
    this.intervalMs = options.intervalMs ?? 10_000;
    this.now = options.now ?? Date.now;
    this.onSummary = options.onSummary;
  }

  /**
   * Whether to write a line of kind `key` now. `fields` describe the kind for its summary line
   * (only the first call's are kept).
   */
  allow(key: string, fields: Readonly<Record<string, unknown>>): boolean {
    const now = this.now();
    let w = this.windows.get(key);
    if (w === undefined) {
      w = { start: now, logged: 0, suppressed: 0, fields };
      this.windows.set(key, w);
      this.startTimer();
    } else if (now - w.start >= this.intervalMs) {
      this.close(w, now);
      w.start = now;
    }
    if (w.logged < this.burst) {
      w.logged++;
      return true;
    }
    w.suppressed++;
    this.suppressedTotal++;
    return false;
  }

  /** Writes the summaries of the windows that have ended (every window when `all`). */
  flush(all = false): void {
    const now = this.now();
    for (const [key, w] of this.windows) {
      if (!all && now - w.start < this.intervalMs) continue;
      this.close(w, now);
      // A kind that has gone quiet is forgotten; it starts afresh if it comes back.
      this.windows.delete(key);
    }
    if (this.windows.size === 0) this.stopTimer();
  }

  /** Writes every pending summary and stops the timer. */
  stop(): void {
    this.flush(true);
    this.stopTimer();
  }

  private close(w: Window, now: number): void {
    if (w.suppressed > 0) this.onSummary(w.fields, w.suppressed, Math.max(1, Math.ceil((now - w.start) / 1000)));
    w.logged = 0;
    w.suppressed = 0;
  }

  private startTimer(): void {
    if (this.timer !== undefined) return;
    // A burst that stops still gets its summary, without waiting for the next line of its kind.
    this.timer = setInterval(() => this.flush(), this.intervalMs);
    this.timer.unref();
  }

  private stopTimer(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
