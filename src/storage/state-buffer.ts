/** StateBuffer: a spell's uncommitted state changes over its committed state, read-your-writes, handed to commitBatch. */
import type { EventValue } from '../core/event.js';
import type { QueryOptions, RangeOptions, StateChange, StateEntry, StateStore } from '../core/storage.js';
import { compareKeys, keyInterval } from './internal/keys.js';
import { compareIndexValues, indexValue, matchesBounds } from './internal/query.js';
import { checkKey, checkLimit, checkName, checkQuery, encodeValue } from './internal/validate.js';

/**
 * The state changes of one batch of one namespace, before they commit. Reads see the buffer's
 * own writes over the store's committed state; `changes()` is what goes into
 * `commitBatch({ state })`, then `clear()` starts the next batch. After a failed commit, `clear()`
 * too: the store still holds the state before the batch, which is where a retry starts.
 *
 * Values are kept as given, not copied: do not change a value after `put`.
 *
 * @example
 * const buf = new StateBuffer(storage.state, 'enrich');
 * buf.put('count', ((buf.get('count') as number | undefined) ?? 0) + 1);
 * storage.commitBatch({ consumer, state: buf.changes(), appends });
 * buf.clear();
 */
export class StateBuffer {
  /** key → new value, or null for deleted. Insertion order is the order of first change. */
  private readonly pending = new Map<string, EventValue | null>();
  /** key → the instant its pending value expires (only values put with a time to live). */
  private readonly expiry = new Map<string, number>();

  constructor(
    private readonly store: StateStore,
    readonly ns: string,
  ) {
    checkName('namespace', ns, 'put');
  }

  /** The value at `key` — with `asOf`, undefined when it expired at or before that instant. */
  get(key: string, asOf?: number): EventValue | undefined {
    const v = this.pending.get(key);
    if (v !== undefined) return v === null || this.expiredPending(key, asOf) ? undefined : v;
    return asOf === undefined ? this.store.get(this.ns, key) : this.store.get(this.ns, key, asOf);
  }

  private expiredPending(key: string, asOf: number | undefined): boolean {
    if (asOf === undefined || this.expiry.size === 0) return false;
    const at = this.expiry.get(key);
    return at !== undefined && at <= asOf;
  }

  /**
   * Sets a key in the buffer. Throws `STORAGE_INVALID` now (not at commit) for a key or a value it
   * cannot hold — unless `trusted`: keys and values read from Lua by the bridge are well-formed by
   * construction, and checking them once more here would only double the commit's work.
   */
  put(key: string, value: EventValue, trusted = false, expiresAt?: number): void {
    if (!trusted) {
      // Refuse early, where the spell can see which call it was. (Keys and values read from Lua
      // are strings and JSON-shaped values by construction: the bridge decodes UTF-8 strictly.)
      checkKey(key, 'put');
      encodeValue(value, 'put');
    }
    this.pending.set(key, value);
    if (expiresAt !== undefined) this.expiry.set(key, expiresAt);
    else if (this.expiry.size > 0) this.expiry.delete(key);
  }

  delete(key: string): void {
    checkKey(key, 'delete');
    this.pending.set(key, null);
    if (this.expiry.size > 0) this.expiry.delete(key);
  }

  /** Like `StateStore.range`, over the committed state with this buffer's changes applied. */
  range(options: RangeOptions = {}): StateEntry[] {
    const limit = checkLimit(options.limit, 'read');
    if (this.pending.size === 0) return this.store.range(this.ns, options);
    const { lower, upper } = keyInterval(options);
    // Every pending delete in the range can hide one committed entry: ask for that many more. (A
    // pending put hides none: its key stays in the result, with its new value.)
    let deletes = 0;
    if (limit >= 0) {
      for (const [key, value] of this.pending) {
        if (value !== null && !this.expiredPending(key, options.asOf)) continue;
        if ((lower === undefined || compareKeys(key, lower) >= 0) && (upper === undefined || compareKeys(key, upper) < 0)) deletes++;
      }
    }
    const committed = this.store.range(this.ns, { ...options, limit: limit < 0 ? undefined : limit + deletes });
    const merged = committed.filter((e) => !this.pending.has(e.key));
    for (const [key, value] of this.pending) {
      if (value === null || this.expiredPending(key, options.asOf)) continue;
      if (lower !== undefined && compareKeys(key, lower) < 0) continue;
      if (upper !== undefined && compareKeys(key, upper) >= 0) continue;
      merged.push({ key, value });
    }
    const dir = options.reverse === true ? -1 : 1;
    merged.sort((a, b) => dir * compareKeys(a.key, b.key));
    return limit < 0 ? merged : merged.slice(0, limit);
  }

  /** Like `StateStore.query`, over the committed state with this buffer's changes applied. */
  query(options: QueryOptions): StateEntry[] {
    const bounds = checkQuery(options);
    const limit = checkLimit(options.limit, 'read');
    if (this.pending.size === 0) return this.store.query(this.ns, options);
    const committed = this.store.query(this.ns, { ...options, limit: limit < 0 ? undefined : limit + this.pending.size });
    const hits = committed.filter((e) => !this.pending.has(e.key)).map((e) => ({ ...e, v: indexValue(e.value, options.index)! }));
    for (const [key, value] of this.pending) {
      if (value === null || this.expiredPending(key, options.asOf)) continue;
      const v = indexValue(value, options.index);
      if (v !== undefined && matchesBounds(v, bounds)) hits.push({ key, value, v });
    }
    const dir = options.reverse === true ? -1 : 1;
    hits.sort((a, b) => dir * (compareIndexValues(a.v, b.v) || compareKeys(a.key, b.key)));
    return (limit < 0 ? hits : hits.slice(0, limit)).map(({ key, value }) => ({ key, value }));
  }

  /** The buffered changes, for `commitBatch({ state })`: one per changed key, in the order of first change. */
  changes(): StateChange[] {
    const expiry = this.expiry;
    if (expiry.size === 0) return [...this.pending].map(([key, value]) => ({ ns: this.ns, key, value }));
    return [...this.pending].map(([key, value]) => {
      const at = expiry.get(key);
      return at === undefined ? { ns: this.ns, key, value } : { ns: this.ns, key, value, expiresAt: at };
    });
  }

  /** The pending change of a key: a value, null (deleted), or undefined (no pending change). */
  pendingOf(key: string): EventValue | null | undefined {
    return this.pending.get(key);
  }

  /** The instant the pending value of `key` expires, when it was put with a time to live. */
  pendingExpiryOf(key: string): number | undefined {
    return this.expiry.size === 0 ? undefined : this.expiry.get(key);
  }

  /** Restores a key's pending change to what `pendingOf` (and `pendingExpiryOf`) returned earlier (undo). */
  restore(key: string, pending: EventValue | null | undefined, expiresAt?: number): void {
    if (pending === undefined) this.pending.delete(key);
    else this.pending.set(key, pending);
    if (expiresAt !== undefined) this.expiry.set(key, expiresAt);
    else if (this.expiry.size > 0) this.expiry.delete(key);
  }

  /** How many keys have uncommitted changes. */
  get size(): number {
    return this.pending.size;
  }

  /** Forgets the buffered changes (after they committed, or after a failed commit). */
  clear(): void {
    this.pending.clear();
    this.expiry.clear();
  }
}
