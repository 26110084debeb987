/** TimerBuffer: a spell's uncommitted timer changes over its committed timers, read-your-writes, handed to commitBatch. */
import type { TimerChange, TimerStore } from '../core/storage.js';
import { compareKeys } from './internal/keys.js';
import { TimerHeap } from './internal/timer-heap.js';
import { checkInstant, checkKey, checkName } from './internal/validate.js';

/**
 * The timer changes of one batch of one namespace, before they commit: timers set (`key → at`) and
 * cancelled (`key → null`) over the store's committed timers. `next()` and `due()` see both, so a
 * timer set in this batch counts at once; `changes()` is what goes into `commitBatch({ timers })`.
 *
 * @example
 * const timers = new TimerBuffer(storage.timers, 'session');
 * timers.set('user:ada', now + 30_000);
 * storage.commitBatch({ timers: timers.changes() });
 * timers.committed();
 */
export class TimerBuffer {
  /** key → due instant, or null for cancelled. */
  private readonly pending = new Map<string, number | null>();
  /** The pending sets, by instant: the earliest of them, and the due ones, without a scan. */
  private readonly sets = new TimerHeap();
  /** The earliest due instant, when known (null: none pending); undefined: ask again. */
  private cachedNext: number | null | undefined;
  /**
   * The committed timers `due()` listed last, by key: what they are due at without asking the store
   * again as each is taken (a pending change of the key, when there is one, comes first).
   */
  private listed = new Map<string, number>();

  constructor(
    private readonly store: TimerStore,
    readonly ns: string,
  ) {
    checkName('namespace', ns, 'commit');
  }

  /** The instant timer `key` is due, or undefined when it is not set. */
  get(key: string): number | undefined {
    const p = this.pending.get(key);
    if (p !== undefined) return p === null ? undefined : p;
    const listed = this.listed.get(key);
    return listed !== undefined ? listed : this.store.get(this.ns, key);
  }

  set(key: string, at: number): void {
    checkKey(key, 'commit');
    checkInstant('the instant of a timer', at, 'commit');
    this.pending.set(key, at);
    this.sets.set(key, at);
    // Earlier than the earliest: the new earliest. Otherwise the key may have held the earliest: ask again.
    if (this.cachedNext !== undefined && (this.cachedNext === null || at < this.cachedNext)) this.cachedNext = at;
    else this.cachedNext = undefined;
  }

  cancel(key: string): void {
    checkKey(key, 'commit');
    this.pending.set(key, null);
    this.sets.delete(key);
    this.cachedNext = undefined;
  }

  /** The earliest instant a timer is due, pending changes included; undefined when none is set. */
  next(): number | undefined {
    if (this.cachedNext === undefined) this.cachedNext = this.computeNext() ?? null;
    return this.cachedNext ?? undefined;
  }

  private computeNext(): number | undefined {
    const committed = this.store.next(this.ns);
    if (this.pending.size === 0) return committed;
    let best: number | undefined;
    if (committed !== undefined) {
      // The committed earliest counts unless every timer at it is overridden here; then look further.
      const limit = this.pending.size + 1;
      const at = this.store.due(this.ns, committed, limit);
      const rows = at.length < limit && at.every((t) => this.pending.has(t.key)) ? this.store.due(this.ns, Number.MAX_SAFE_INTEGER, limit) : at;
      best = rows.find((t) => !this.pending.has(t.key))?.at;
    }
    const earliest = this.sets.peek();
    if (earliest !== undefined && (best === undefined || earliest < best)) best = earliest;
    return best;
  }

  /** Keys of the timers due at or before `now`, earliest first (then by key), at most `limit`. */
  due(now: number, limit: number): string[] {
    const next = this.next();
    if (next === undefined || next > now || limit <= 0) return [];
    const committed = this.store.due(this.ns, now, this.pending.size === 0 ? limit : limit + this.pending.size);
    const listed = (this.listed = new Map());
    for (const t of committed) listed.set(t.key, t.at);
    if (this.pending.size === 0) return committed.map((t) => t.key);
    const hits = committed.filter((t) => !this.pending.has(t.key));
    for (const t of this.sets.smallest(now, limit)) hits.push(t);
    hits.sort((a, b) => a.at - b.at || compareKeys(a.key, b.key));
    return hits.slice(0, limit).map((t) => t.key);
  }

  /** The buffered changes, for `commitBatch({ timers })`. */
  changes(): TimerChange[] {
    return [...this.pending].map(([key, at]) => ({ ns: this.ns, key, at }));
  }

  /** The pending change of a key: an instant, null (cancelled), or undefined (none). */
  pendingOf(key: string): number | null | undefined {
    return this.pending.get(key);
  }

  /** Restores a key's pending change to what `pendingOf` returned earlier (undo). */
  restore(key: string, pending: number | null | undefined): void {
    if (pending === undefined) this.pending.delete(key);
    else this.pending.set(key, pending);
    if (pending === undefined || pending === null) this.sets.delete(key);
    else this.sets.set(key, pending);
    this.cachedNext = undefined;
  }

  get size(): number {
    return this.pending.size;
  }

  /** The changes committed: forget them (the store now holds them, so the earliest instant stays known). */
  committed(): void {
    this.pending.clear();
    this.sets.clear();
    this.listed = new Map();
  }

  /** Forgets the changes without their commit (a failed commit): the store's timers are the truth again. */
  discard(): void {
    this.pending.clear();
    this.sets.clear();
    this.listed = new Map();
    this.cachedNext = undefined;
  }
}
