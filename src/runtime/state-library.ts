/**
 * The `state` library spells use from Lua: key–value, ordered ranges, value-index queries. Reads see
 * the caster's own pending writes; the writes commit with the batch that made them (exactly-once
 * with durable streams), or in groups for in-memory pipelines.
 */
import type { EventValue } from '../core/event.js';
import type { IndexValue, StateStore } from '../core/storage.js';
import type { SpellLibraries } from '../spellcraft/caster.js';

/** One pending change: a value, or null for a delete. */
export interface StateWrite {
  readonly ns: string;
  readonly key: string;
  readonly value: EventValue | null;
}

interface RangeOptions {
  from?: string;
  to?: string;
  prefix?: string;
  limit?: number;
  reverse?: boolean;
}

interface QueryOptions {
  index: string;
  eq?: IndexValue;
  gt?: IndexValue;
  gte?: IndexValue;
  lt?: IndexValue;
  lte?: IndexValue;
  limit?: number;
  reverse?: boolean;
}

/** A spell's view of its state: the committed store plus its own uncommitted writes. */
export class StateSession {
  private readonly pending = new Map<string, EventValue | null>();

  constructor(
    readonly store: StateStore,
    readonly ns: string,
    readonly indexes: readonly string[] = [],
    /** Called after each write (an in-memory pipeline schedules a group commit). */
    private readonly onWrite?: (session: StateSession) => void,
  ) {
    for (const field of indexes) store.ensureIndex(ns, field);
  }

  get size(): number {
    return this.pending.size;
  }

  get(key: string): EventValue | undefined {
    if (this.pending.has(key)) return this.pending.get(key) ?? undefined;
    return this.store.get(this.ns, key);
  }

  put(key: string, value: EventValue): void {
    this.pending.set(key, value);
    this.onWrite?.(this);
  }

  delete(key: string): void {
    this.pending.set(key, null);
    this.onWrite?.(this);
  }

  /** Keys in byte order between `from` (inclusive) and `to` (exclusive), or with a prefix. */
  range(o: RangeOptions): { key: string; value: EventValue }[] {
    const limit = o.limit ?? Infinity;
    // Ask the store for enough rows to make up for pending deletes, then merge the pending writes.
    const extra = [...this.pending.values()].filter((v) => v === null).length;
    const stored = this.store.range(this.ns, { ...o, limit: Number.isFinite(limit) ? limit + extra : undefined });
    const merged = new Map(stored.map((r) => [r.key, r.value] as const));
    for (const [k, v] of this.pending) {
      if (!inRange(k, o)) continue;
      if (v === null) merged.delete(k);
      else merged.set(k, v);
    }
    const rows = [...merged].map(([key, value]) => ({ key, value }));
    rows.sort((a, b) => compareBytes(a.key, b.key) * (o.reverse ? -1 : 1));
    return rows.slice(0, limit);
  }

  /** Rows whose value field `index` satisfies the bounds, ordered by that field (then key). */
  query(q: QueryOptions): { key: string; value: EventValue }[] {
    if (!this.indexes.includes(q.index)) {
      throw new Error(`state.query: '${q.index}' is not an indexed field of this spell; declare it in the runeset (spells.<name>.state.indexes) or in summon options`);
    }
    const limit = q.limit ?? Infinity;
    const extra = this.pending.size;
    const stored = this.store.query(this.ns, { ...q, limit: Number.isFinite(limit) ? limit + extra : undefined });
    const merged = new Map(stored.map((r) => [r.key, r.value] as const));
    for (const [k, v] of this.pending) {
      if (v === null || !matches(field(v, q.index), q)) merged.delete(k);
      else merged.set(k, v);
    }
    const rows = [...merged].map(([key, value]) => ({ key, value }));
    rows.sort((a, b) => (compareValues(field(a.value, q.index), field(b.value, q.index)) || compareBytes(a.key, b.key)) * (q.reverse ? -1 : 1));
    return rows.slice(0, limit);
  }

  /** The pending writes, in the order of their keys' first write; clears them. */
  take(): StateWrite[] {
    const out = [...this.pending].map(([key, value]) => ({ ns: this.ns, key, value }));
    this.pending.clear();
    return out;
  }

  /** Drops the pending writes (the batch that made them failed to commit). */
  discard(): void {
    this.pending.clear();
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
          this.put(key('put', k), v);
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

function inRange(k: string, o: RangeOptions): boolean {
  if (o.prefix !== undefined) return k.startsWith(o.prefix);
  if (o.from !== undefined && compareBytes(k, o.from) < 0) return false;
  if (o.to !== undefined && compareBytes(k, o.to) >= 0) return false;
  return true;
}

function field(v: EventValue, name: string): EventValue | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, EventValue>)[name] : undefined;
}

function matches(v: EventValue | undefined, q: QueryOptions): boolean {
  if (v === undefined || v === null || (typeof v !== 'number' && typeof v !== 'string')) return false;
  const cmp = (b: EventValue | undefined) => (b === undefined ? 0 : compareValues(v, b));
  if (q.eq !== undefined && cmp(q.eq) !== 0) return false;
  if (q.gt !== undefined && !(cmp(q.gt) > 0 && sameKind(v, q.gt))) return false;
  if (q.gte !== undefined && !(cmp(q.gte) >= 0 && sameKind(v, q.gte))) return false;
  if (q.lt !== undefined && !(cmp(q.lt) < 0 && sameKind(v, q.lt))) return false;
  if (q.lte !== undefined && !(cmp(q.lte) <= 0 && sameKind(v, q.lte))) return false;
  return true;
}

function sameKind(a: EventValue, b: EventValue): boolean {
  return typeof a === typeof b;
}

/** Numbers before strings; numbers numerically, strings by bytes. */
export function compareValues(a: EventValue | undefined, b: EventValue | undefined): number {
  const ta = typeof a === 'number' ? 0 : 1;
  const tb = typeof b === 'number' ? 0 : 1;
  if (ta !== tb) return ta - tb;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return compareBytes(String(a), String(b));
}

/** Byte order of the UTF-8 encodings (what SQLite's BINARY collation does). */
export function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
