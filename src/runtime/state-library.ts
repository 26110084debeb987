/**
 * The `state` library spells use from Lua: key–value, ordered ranges, value-index queries. Reads see
 * the caster's own pending writes; the writes commit with the batch that made them (exactly-once
 * with durable streams), or in groups for in-memory pipelines.
 */
import type { EventValue } from '../core/event.js';
import type { QueryOptions, RangeOptions, StateChange, StateStore } from '../core/storage.js';
import { StateBuffer } from '../storage/index.js';
import type { SpellLibraries } from '../spellcraft/caster.js';

/** One pending change: a value, or null for a delete. */
export type StateWrite = StateChange;

/** A spell's view of its state: the committed store plus its own uncommitted writes. */
export class StateSession {
  private buffered: StateBuffer | undefined;

  /**
   * `store` may be a function that opens the store: it is called on the first read or write, so a
   * spell that never touches `state` opens nothing (the library is there all the same).
   */
  constructor(
    private readonly store: StateStore | (() => StateStore),
    readonly ns: string,
    readonly indexes: readonly string[] = [],
  ) {}

  /** The buffer over the store, made (and the store opened, its indexes ensured) on first use. */
  private get buffer(): StateBuffer {
    if (this.buffered !== undefined) return this.buffered;
    const store = typeof this.store === 'function' ? this.store() : this.store;
    for (const field of this.indexes) store.ensureIndex(this.ns, field);
    return (this.buffered = new StateBuffer(store, this.ns));
  }

  get size(): number {
    return this.buffered === undefined ? 0 : this.buffered.size;
  }

  get(key: string): EventValue | undefined {
    return this.buffer.get(key);
  }

  put(key: string, value: EventValue, trusted = false): void {
    this.remember(key);
    this.buffer.put(key, value, trusted);
  }

  delete(key: string): void {
    this.remember(key);
    this.buffer.delete(key);
  }

  /** What each key written since the last checkpoint was before: the undo log of the current cast. */
  private readonly undo = new Map<string, EventValue | null | undefined>();

  private remember(key: string): void {
    if (!this.undo.has(key)) this.undo.set(key, this.buffer.pendingOf(key));
  }

  /** A cast begins: the writes before it are final. */
  checkpoint(): void {
    this.undo.clear();
  }

  /** The cast failed: its writes are undone (a cast is all-or-nothing, state included). */
  rollback(): void {
    for (const [key, before] of this.undo) this.buffer.restore(key, before);
    this.undo.clear();
  }

  /** Keys in order between `from` (inclusive) and `to` (exclusive), or with a prefix. */
  range(o: RangeOptions): { key: string; value: EventValue }[] {
    return this.buffer.range(o);
  }

  /** Rows whose value field `index` satisfies the bounds, ordered by that field (then key). */
  query(q: QueryOptions): { key: string; value: EventValue }[] {
    if (!this.indexes.includes(q.index)) {
      throw new Error(`state.query: '${q.index}' is not an indexed field of this spell; declare it in the runeset (spells.<name>.state.indexes: [${q.index}])`);
    }
    return this.buffer.query(q);
  }

  /** The pending writes, in the order of their keys' first write; clears them. */
  take(): StateWrite[] {
    this.undo.clear();
    const buffer = this.buffered;
    if (buffer === undefined || buffer.size === 0) return [];
    const out = buffer.changes();
    buffer.clear();
    return out;
  }

  /** Drops the pending writes (the batch that made them failed to commit). */
  discard(): void {
    this.buffered?.clear();
    this.undo.clear();
  }

  /** The caster options that give a spell this state: its library, and all-or-nothing casts. */
  casterOptions(): { libraries: SpellLibraries; transaction: { checkpoint(): void; rollback(): void } } {
    return { libraries: this.library(), transaction: this };
  }

  /** The Lua library: `state.get`, `put`, `delete`, `range`, `prefix`, `query`. */
  library(): SpellLibraries {
    const key = (fn: string, k: EventValue | undefined): string => {
      if (typeof k !== 'string') throw new Error(`state.${fn}: keys are strings, got ${k === undefined || k === null ? 'nil' : typeof k} (format numbers with string.format("%08d", n) to keep them ordered)`);
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
        put: ([k, v]) => {
          if (v === undefined || v === null) throw new Error('state.put: the value is nil; use state.delete(key) to remove a key');
          this.put(key('put', k), v, true); // read from Lua by the bridge: JSON-shaped already
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
    };
  }
}
