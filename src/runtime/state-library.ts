/**
 * The `state` and `timers` libraries spells use from Lua: key–value with an optional time to live,
 * ordered ranges, value-index queries, and durable timers. Reads see the caster's own pending writes;
 * the writes commit with the batch that made them (exactly-once with durable streams).
 */
import type { EventValue } from '../core/event.js';
import type { TimerQueue } from '../core/clock.js';
import type { QueryOptions, RangeOptions, StateChange, StateStore, TimerChange, TimerStore } from '../core/storage.js';
// The two buffers, not the storage index: a cast (state in memory) then loads no SQLite adapter.
import { StateBuffer } from '../storage/state-buffer.js';
import { TimerBuffer } from '../storage/timer-buffer.js';
import type { SpellLibraries } from '../spellcraft/caster.js';

/** One pending change: a value, or null for a delete. */
export type StateWrite = StateChange;

/** What a batch changed in a spell's state and timers: committed together. */
export interface SpellChanges {
  readonly state: StateChange[];
  readonly timers: TimerChange[];
}

/** Where a session's timers live and what time it is. */
export interface SessionTime {
  /** The spell's timers (with its state): without them, the spell has no `timers` library. */
  readonly timers?: TimerStore | (() => TimerStore);
  /** The clock's now, in ms: TTLs count from it, and reads hide what expired by it (default `Date.now`). */
  readonly now?: () => number;
}

/** How many expired keys a sweep deletes at most per batch: bounded work beside the batch's own. */
export const SWEEP_LIMIT = 64;

/** A spell's view of its state and timers: the committed store plus its own uncommitted writes. */
export class StateSession implements TimerQueue {
  private buffered: StateBuffer | undefined;
  private timerBuffer: TimerBuffer | undefined;
  private readonly now: () => number;
  /**
   * Whether any value of the namespace may have a time to live: reads then hide expired values
   * (a lookup by instant), and sweeps look for expired keys. Found out on first use.
   */
  private expiring: boolean | undefined;

  /**
   * `store` may be a function that opens the store: it is called on the first read or write, so a
   * spell that never touches `state` opens nothing (the library is there all the same). Likewise
   * `time.timers`.
   */
  constructor(
    private readonly store: StateStore | (() => StateStore),
    readonly ns: string,
    readonly indexes: readonly string[] = [],
    private readonly time: SessionTime = {},
  ) {
    this.now = time.now ?? Date.now;
  }

  /** The buffer over the store, made (and the store opened, its indexes ensured) on first use. */
  private get buffer(): StateBuffer {
    if (this.buffered !== undefined) return this.buffered;
    const store = this.stateStore();
    for (const field of this.indexes) store.ensureIndex(this.ns, field);
    return (this.buffered = new StateBuffer(store, this.ns));
  }

  private stateStore(): StateStore {
    return typeof this.store === 'function' ? this.store() : this.store;
  }

  /** The timer buffer over the store, made on first use; undefined when the session has no timers. */
  private get timerBuf(): TimerBuffer | undefined {
    if (this.timerBuffer !== undefined || this.time.timers === undefined) return this.timerBuffer;
    const store = typeof this.time.timers === 'function' ? this.time.timers() : this.time.timers;
    return (this.timerBuffer = new TimerBuffer(store, this.ns));
  }

  /** True when the session has a `timers` library. */
  get hasTimers(): boolean {
    return this.time.timers !== undefined;
  }

  /** Pending changes, state and timers. */
  get size(): number {
    return (this.buffered === undefined ? 0 : this.buffered.size) + (this.timerBuffer === undefined ? 0 : this.timerBuffer.size);
  }

  /** The instant reads count as now: values that expired by it are gone. Undefined when none can have expired. */
  private asOf(): number | undefined {
    if (this.expiring === undefined) this.expiring = this.stateStore().expired(this.ns, Number.MAX_SAFE_INTEGER, 1).length > 0;
    return this.expiring ? this.now() : undefined;
  }

  get(key: string): EventValue | undefined {
    return this.buffer.get(key, this.asOf());
  }

  /** Sets `key`; with `ttlMs`, the value expires that many ms from now. */
  put(key: string, value: EventValue, trusted = false, ttlMs?: number): void {
    this.remember(key);
    if (ttlMs === undefined) {
      this.buffer.put(key, value, trusted);
      return;
    }
    this.expiring = true;
    // Up: a value lives at least its ttl (rounded down, a ttl under 1 ms would expire as it is put).
    this.buffer.put(key, value, trusted, Math.ceil(this.now() + ttlMs));
  }

  delete(key: string): void {
    this.remember(key);
    this.buffer.delete(key);
  }

  /**
   * The undo log of the current cast: what each key it wrote was before (and that value's expiry,
   * when values may expire), one entry per write, in order. Arrays rather than a Map: a cast that
   * writes one key (the common case) then costs no hashing here, and beginning the next cast is
   * setting the length to 0 (Map.clear allocates a new table every time). A key written twice has
   * two entries; undoing them last to first restores the first, the value before the cast.
   */
  private readonly undoKeys: string[] = [];
  private readonly undoBefore: (EventValue | null | undefined)[] = [];
  private readonly undoExpiry: (number | undefined)[] = [];
  private undoLength = 0;
  private readonly timerUndo = new Map<string, number | null | undefined>();

  private remember(key: string): void {
    const buffer = this.buffer;
    const i = this.undoLength++;
    this.undoKeys[i] = key;
    this.undoBefore[i] = buffer.pendingOf(key);
    this.undoExpiry[i] = this.expiring ? buffer.pendingExpiryOf(key) : undefined;
  }

  /** Forgets the undo log; `drop` also lets go of the keys and values it held (once a batch, not once a cast). */
  private forgetUndo(drop: boolean): void {
    this.undoLength = 0;
    if (drop && this.undoKeys.length > 0) {
      this.undoKeys.length = 0;
      this.undoBefore.length = 0;
      this.undoExpiry.length = 0;
    }
  }

  /** How many times writes were undone or dropped: the spell's `sanctum.epoch()`. */
  private rollbacks = 0;

  /** A cast begins: the writes before it are final. Answers how many casts were rolled back so far. */
  checkpoint(): number {
    this.undoLength = 0;
    if (this.timerUndo.size > 0) this.timerUndo.clear();
    return this.rollbacks;
  }

  /** The cast failed: its writes are undone (a cast is all-or-nothing, state and timers included). */
  rollback(): void {
    this.rollbacks++;
    for (let i = this.undoLength - 1; i >= 0; i--) this.buffer.restore(this.undoKeys[i]!, this.undoBefore[i], this.undoExpiry[i]);
    this.forgetUndo(false);
    for (const [key, before] of this.timerUndo) this.timerBuf!.restore(key, before);
    this.timerUndo.clear();
  }

  /** Keys in order between `from` (inclusive) and `to` (exclusive), or with a prefix. */
  range(o: RangeOptions): { key: string; value: EventValue }[] {
    const asOf = this.asOf();
    return this.buffer.range(asOf === undefined ? o : { ...o, asOf });
  }

  /** Rows whose value field `index` satisfies the bounds, ordered by that field (then key). */
  query(q: QueryOptions): { key: string; value: EventValue }[] {
    if (!this.indexes.includes(q.index)) {
      throw new Error(
        `state.query: '${q.index}' is not an indexed field of this spell; declare the index: in a runeset, spells.${this.ns}.state.indexes: [${q.index}]; with sanctum cast, --state-index ${q.index}; in a spell test, state: { indexes: [${q.index}] }`,
      );
    }
    const asOf = this.asOf();
    return this.buffer.query(asOf === undefined ? q : { ...q, asOf });
  }

  /**
   * Deletes up to `limit` values whose time to live has ended by `now` (a background sweep: reads
   * hide them already, this frees them); the deletes commit with the batch. Returns how many. A
   * session whose spell has not used its state yet sweeps nothing.
   */
  sweep(now: number, limit = SWEEP_LIMIT): number {
    // Only once the spell has used its state: a spell that never does opens no store for this.
    if (this.buffered === undefined || this.asOf() === undefined) return 0;
    let n = 0;
    for (const key of this.stateStore().expired(this.ns, now, limit)) {
      if (this.buffer.pendingOf(key) !== undefined) continue; // written in this batch: its own value counts
      this.buffer.delete(key);
      n++;
    }
    return n;
  }

  // ---- timers ----

  /** Sets timer `key` to fire at `at` (ms), replacing it if set. */
  setTimer(key: string, at: number): void {
    const t = this.requireTimers('set');
    if (!this.timerUndo.has(key)) this.timerUndo.set(key, t.pendingOf(key));
    t.set(key, at);
  }

  cancelTimer(key: string): void {
    const t = this.requireTimers('cancel');
    if (!this.timerUndo.has(key)) this.timerUndo.set(key, t.pendingOf(key));
    t.cancel(key);
  }

  timer(key: string): number | undefined {
    return this.requireTimers('get').get(key);
  }

  /**
   * Takes timer `key` for firing at `now`: true (and the timer is gone) when it is still set for
   * `now` or earlier. Not undone when the firing fails: a failing timer fires once, like an event.
   */
  takeTimer(key: string, now: number): boolean {
    const t = this.timerBuf;
    const at = t?.get(key);
    if (at === undefined || at > now) return false;
    t!.cancel(key);
    this.timerUndo.delete(key);
    return true;
  }

  nextTimer(): number | undefined {
    return this.timerBuf?.next();
  }

  dueTimers(now: number, limit: number): string[] {
    return this.timerBuf?.due(now, limit) ?? [];
  }

  private requireTimers(fn: string): TimerBuffer {
    const t = this.timerBuf;
    if (t === undefined)
      throw new Error(
        `timers.${fn}: this spell has no timers here (they live with durable state: run it in a runeset, a spell test or \`sanctum cast\`, or summon it with \`state: spellState()\`)`,
      );
    return t;
  }

  /** The pending writes, in the order of their keys' first write; clears them. */
  take(): StateWrite[] {
    return this.takeChanges().state;
  }

  /** The pending state and timer changes; forgets them (the caller commits them). */
  takeChanges(): SpellChanges {
    this.forgetUndo(true);
    this.timerUndo.clear();
    const buffer = this.buffered;
    let state: StateChange[] = [];
    if (buffer !== undefined && buffer.size > 0) {
      state = buffer.changes();
      buffer.clear();
    }
    const tb = this.timerBuffer;
    let timers: TimerChange[] = [];
    if (tb !== undefined && tb.size > 0) {
      timers = tb.changes();
      tb.committed();
    }
    return { state, timers };
  }

  /** Drops the pending writes (the batch that made them failed to commit). */
  discard(): void {
    this.rollbacks++;
    this.buffered?.clear();
    this.timerBuffer?.discard();
    this.forgetUndo(true);
    this.timerUndo.clear();
  }

  /**
   * The caster options that give a spell this state: its libraries, all-or-nothing casts, and (when
   * the session has timers) the timers it fires and the clock.
   */
  casterOptions(): { libraries: SpellLibraries; transaction: { checkpoint(): void; rollback(): void }; timers?: StateSession; now: () => number } {
    return { libraries: this.library(), transaction: this, ...(this.hasTimers ? { timers: this } : {}), now: this.now };
  }

  /** The Lua libraries: `state.get`, `put`, `delete`, `range`, `prefix`, `query`; `timers.set`, `cancel`, `get`. */
  library(): SpellLibraries {
    const key = (fn: string, k: EventValue | undefined): string => {
      if (typeof k !== 'string')
        throw new Error(
          `state.${fn}: keys are strings, got ${k === undefined || k === null ? 'nil' : typeof k} (format numbers with string.format("%08d", n) to keep them ordered)`,
        );
      return k;
    };
    const opts = (fn: string, v: EventValue | undefined): Record<string, EventValue> => {
      if (v === undefined || v === null) return {};
      if (typeof v !== 'object' || Array.isArray(v)) throw new Error(`state.${fn}: options must be a table`);
      return v as Record<string, EventValue>;
    };
    const limits = (fn: string, o: Record<string, EventValue>) => {
      if (o['limit'] !== undefined && (typeof o['limit'] !== 'number' || o['limit'] < 0)) throw new Error(`state.${fn}: limit must be a number >= 0`);
      return { limit: o['limit'] as number | undefined, reverse: o['reverse'] === true };
    };
    return {
      state: {
        get: ([k]) => this.get(key('get', k)),
        put: ([k, v, o]) => {
          if (v === undefined || v === null) throw new Error('state.put: the value is nil; use state.delete(key) to remove a key');
          let ttl: number | undefined;
          if (o !== undefined && o !== null) {
            ttl = opts('put', o)['ttl'] as number | undefined;
            if (ttl !== undefined && (typeof ttl !== 'number' || !(ttl > 0) || !Number.isFinite(ttl)))
              throw new Error('state.put: ttl must be a number of ms > 0, as in state.put(key, value, { ttl = 60000 })');
          }
          this.put(key('put', k), v, true, ttl); // read from Lua by the bridge: JSON-shaped already
          return undefined;
        },
        delete: ([k]) => {
          this.delete(key('delete', k));
          return undefined;
        },
        range: ([from, to, o]) => {
          const rest = opts('range', o);
          return this.range({
            from: from === null || from === undefined ? undefined : key('range', from),
            to: to === null || to === undefined ? undefined : key('range', to),
            ...limits('range', rest),
          });
        },
        prefix: ([p, o]) => this.range({ prefix: key('prefix', p), ...limits('prefix', opts('prefix', o)) }),
        query: ([q]) => {
          const o = opts('query', q);
          if (typeof o['index'] !== 'string') throw new Error('state.query: give the indexed field as index = "field"');
          for (const b of ['eq', 'gt', 'gte', 'lt', 'lte']) {
            const v = o[b];
            if (v !== undefined && typeof v !== 'number' && typeof v !== 'string') throw new Error(`state.query: ${b} must be a number or a string`);
          }
          return this.query({ ...(o as unknown as QueryOptions), ...limits('query', o) });
        },
      },
      ...(this.hasTimers ? { timers: this.timersLibrary() } : {}),
    };
  }

  /** `timers.set(key, at)`, `timers.cancel(key)`, `timers.get(key)`; `take` is the prelude's, for firing. */
  private timersLibrary(): Readonly<Record<string, (args: EventValue[]) => EventValue | undefined>> {
    const key = (fn: string, k: EventValue | undefined): string => {
      if (typeof k !== 'string') throw new Error(`timers.${fn}: keys are strings, got ${k === undefined || k === null ? 'nil' : typeof k}`);
      return k;
    };
    return {
      set: ([k, at]) => {
        if (typeof at !== 'number' || !Number.isFinite(at))
          throw new Error(
            `timers.set: the instant must be a number of ms (such as sanctum.now() + 30000), got ${at === undefined || at === null ? 'nil' : typeof at}`,
          );
        if (Math.abs(at) > Number.MAX_SAFE_INTEGER) throw new Error(`timers.set: the instant ${at} is out of range`);
        this.setTimer(key('set', k), Math.ceil(at));
        return undefined;
      },
      cancel: ([k]) => {
        this.cancelTimer(key('cancel', k));
        return undefined;
      },
      get: ([k]) => this.timer(key('get', k)),
      take: ([k, now]) => this.takeTimer(key('take', k), now as number),
    };
  }
}
