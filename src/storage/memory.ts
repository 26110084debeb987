/** The in-memory adapter: the same Storage semantics without a file, for unit and marble tests. */
import type { EventValue } from '../core/event.js';
import type {
  AppendItem,
  AppendResult,
  CommitBatch,
  CommitResult,
  NamespaceInfo,
  OffsetEntry,
  QueryOptions,
  RangeOptions,
  RetentionPolicy,
  StateEntry,
  Storage,
  StoredEvent,
  StoredJson,
  StreamInfo,
  TailOptions,
  TimerEntry,
} from '../core/storage.js';
import { StorageError, type StorageOperation } from './errors.js';
import { GroupCommit, type PendingAppend } from './internal/group-commit.js';
import { compareKeys, keyInterval } from './internal/keys.js';
import { compareIndexValues, indexValue, matchesBounds } from './internal/query.js';
import { Notifier, tailStream } from './internal/tail.js';
import { TimerHeap } from './internal/timer-heap.js';
import {
  checkAsOf,
  checkClearState,
  checkInstant,
  checkCount,
  checkField,
  checkKey,
  checkLimit,
  checkName,
  checkPositions,
  checkQuery,
  checkRetention,
  checkTimers,
  conflict,
  encodeItems,
  encodeValue,
  type EncodedItem,
} from './internal/validate.js';

export interface MemoryStorageOptions {
  /** The clock for event timestamps and age retention (default `Date.now`). */
  readonly now?: () => number;
  /** Flush queued appends at once when this many events wait (default 4096). */
  readonly groupCommitMaxEvents?: number;
}

/**
 * A store that lives in memory and goes with the process. Values are kept as JSON text, so what
 * comes out is a fresh copy of what went in, exactly as with SQLite; appends are group-committed
 * the same way, so tests see the same timing.
 *
 * @example
 * const storage = openMemoryStorage();
 * await storage.log.append('orders', [{ event: { id: 1 } }]);
 */
export function openMemoryStorage(options: MemoryStorageOptions = {}): Storage {
  return new MemoryStore(options);
}

interface Row {
  readonly seq: number;
  readonly ts: number;
  readonly key: string | null;
  readonly json: string;
}

interface StreamData {
  first: number;
  last: number;
  lastTs: number;
  /** rows[i].seq === first + i */
  rows: Row[];
}

interface Namespace {
  readonly values: Map<string, string>;
  /** Keys in code point order; rebuilt lazily after keys are added or removed. */
  sorted: string[] | undefined;
  readonly indexes: Set<string>;
  /** Keys with a time to live, by the instant they expire. */
  readonly expiry: TimerHeap;
  /** The namespace's timers. */
  readonly timers: TimerHeap;
}

/** What one write transaction would change; applied only once all of it was staged without a failure. */
interface Staged {
  readonly streams: Map<string, { data: StreamData | undefined; first: number; last: number; lastTs: number; rows: Row[] }>;
  readonly state: { ns: string; key: string; json: string | null; expiresAt?: number | undefined }[];
  readonly timers: { ns: string; key: string; at: number | null }[];
  /** Namespaces emptied (state and timers) before `state` applies. */
  readonly cleared: string[];
  readonly offsets: { consumer: string; stream: string; seq: number }[];
}

class MemoryStore implements Storage {
  readonly path = undefined;
  private readonly now: () => number;
  private readonly notifier = new Notifier();
  private readonly groupCommit: GroupCommit;
  private readonly streamData = new Map<string, StreamData>();
  private readonly nsData = new Map<string, Namespace>();
  private readonly offsetData = new Map<string, Map<string, number>>();
  private closed = false;

  readonly log = {
    append: (stream: string, items: readonly AppendItem[]) => this.append(stream, items),
    read: (stream: string, fromSeq: number, limit: number) => this.read(stream, fromSeq, limit),
    readJson: (stream: string, fromSeq: number, limit: number) => this.readJson(stream, fromSeq, limit),
    lastSeq: (stream: string) => this.lastSeq(stream),
    streams: () => this.streams(),
    tail: (stream: string, fromSeq: number, options?: TailOptions) => this.tail(stream, fromSeq, options),
    retain: (stream: string, policy: RetentionPolicy) => this.retain(stream, policy),
    wait: (stream: string, afterSeq: number, options?: { readonly pollMs?: number; readonly signal?: AbortSignal }) => this.wait(stream, afterSeq, options),
  };

  private wait(stream: string, afterSeq: number, options: { readonly pollMs?: number; readonly signal?: AbortSignal } = {}): Promise<void> {
    if (this.closed || this.lastSeq(stream) > afterSeq) return Promise.resolve();
    return this.notifier.wait(stream, options.pollMs ?? 100, options.signal);
  }

  readonly state = {
    get: (ns: string, key: string, asOf?: number) => this.stateGet(ns, key, asOf),
    range: (ns: string, options?: RangeOptions) => this.stateRange(ns, options),
    query: (ns: string, options: QueryOptions) => this.stateQuery(ns, options),
    ensureIndex: (ns: string, field: string) => this.ensureIndex(ns, field),
    indexes: (ns: string) => this.indexes(ns),
    count: (ns: string, options?: { readonly prefix?: string }) => this.stateCount(ns, options),
    namespaces: () => this.namespaces(),
    put: (ns: string, key: string, value: EventValue) => this.statePut(ns, key, value),
    delete: (ns: string, key: string) => this.stateDelete(ns, key),
    expired: (ns: string, asOf: number, limit: number) => this.stateExpired(ns, asOf, limit),
  };

  readonly timers = {
    get: (ns: string, key: string) => this.timerGet(ns, key),
    next: (ns: string) => this.timerNext(ns),
    due: (ns: string, at: number, limit: number) => this.timerDue(ns, at, limit),
    count: (ns: string) => this.timerCount(ns),
  };

  readonly offsets = {
    get: (consumer: string, stream: string) => this.offsetGet(consumer, stream),
    list: (consumer?: string) => this.offsetList(consumer),
  };

  constructor(options: MemoryStorageOptions) {
    this.now = options.now ?? Date.now;
    this.groupCommit = new GroupCommit((batch) => this.commitAppends(batch), Math.max(1, options.groupCommitMaxEvents ?? 4096));
  }

  private checkOpen(operation: StorageOperation): void {
    if (this.closed) throw new StorageError({ code: 'STORAGE_CLOSED', operation, problem: 'is closed; open it again to use it' });
  }

  /** Stages a transaction, then applies it: a failure while staging leaves nothing (all or nothing). */
  private write<T>(operation: StorageOperation, doing: string, stage: (s: Staged) => T): T {
    this.checkOpen(operation);
    const staged: Staged = { streams: new Map(), state: [], timers: [], cleared: [], offsets: [] };
    let result: T;
    try {
      result = stage(staged);
    } catch (e) {
      if (e instanceof StorageError) throw e;
      throw new StorageError({ code: 'STORAGE_FAILED', operation, problem: `${doing} (${e instanceof Error ? e.message : String(e)})` }, { cause: e });
    }
    this.apply(staged);
    return result;
  }

  private apply(staged: Staged): void {
    for (const [name, s] of staged.streams) {
      if (s.rows.length === 0) continue; // an empty append creates no stream, as in SQLite
      let data = this.streamData.get(name);
      if (data === undefined) this.streamData.set(name, (data = { first: s.first, last: 0, lastTs: 0, rows: [] }));
      for (const row of s.rows) data.rows.push(row);
      data.last = s.last;
      data.lastTs = s.lastTs;
    }
    for (const ns of staged.cleared) {
      const n = this.nsData.get(ns);
      if (n === undefined) continue;
      n.values.clear();
      n.sorted = undefined;
      n.expiry.clear();
      n.timers.clear();
    }
    for (const { ns, key, json, expiresAt } of staged.state) {
      const n = this.namespace(ns, json !== null);
      if (n === undefined) continue;
      if (json === null) {
        if (n.values.delete(key)) n.sorted = undefined;
        n.expiry.delete(key);
      } else {
        if (!n.values.has(key)) n.sorted = undefined;
        n.values.set(key, json);
        if (expiresAt === undefined) n.expiry.delete(key);
        else n.expiry.set(key, expiresAt);
      }
    }
    for (const { ns, key, at } of staged.timers) {
      const n = this.namespace(ns, at !== null);
      if (n === undefined) continue;
      if (at === null) n.timers.delete(key);
      else n.timers.set(key, at);
    }
    for (const { consumer, stream, seq } of staged.offsets) {
      let m = this.offsetData.get(consumer);
      if (m === undefined) this.offsetData.set(consumer, (m = new Map()));
      m.set(stream, seq);
    }
    this.notifier.notify([...staged.streams].filter(([, s]) => s.rows.length > 0).map(([name]) => name));
  }

  private namespace(ns: string, create: boolean): Namespace | undefined {
    let n = this.nsData.get(ns);
    if (n === undefined && create)
      this.nsData.set(ns, (n = { values: new Map(), sorted: undefined, indexes: new Set(), expiry: new TimerHeap(), timers: new TimerHeap() }));
    return n;
  }

  private stageRows(staged: Staged, stream: string, items: readonly EncodedItem[]): AppendResult {
    let s = staged.streams.get(stream);
    if (s === undefined) {
      const data = this.streamData.get(stream);
      s = { data, first: data?.first ?? 1, last: data?.last ?? 0, lastTs: data?.lastTs ?? 0, rows: [] };
      staged.streams.set(stream, s);
    }
    const first = s.last + 1;
    if (items.length === 0) return { first, last: s.last };
    const ts = Math.max(Math.floor(this.now()), s.lastTs);
    for (const item of items) s.rows.push({ seq: ++s.last, ts, key: item.key, json: item.json });
    s.lastTs = ts;
    return { first, last: s.last };
  }

  // ---- event log ----

  private append(stream: string, items: readonly AppendItem[]): Promise<AppendResult> {
    let encoded: EncodedItem[];
    try {
      this.checkOpen('append');
      checkName('stream', stream, 'append');
      encoded = encodeItems(items, 'append');
    } catch (e) {
      return Promise.reject(e);
    }
    if (encoded.length === 0) {
      const last = this.streamData.get(stream)?.last ?? 0;
      return Promise.resolve({ first: last + 1, last });
    }
    return this.groupCommit.enqueue(stream, encoded);
  }

  private commitAppends(batch: readonly PendingAppend[]): AppendResult[] {
    return this.write('append', `could not commit ${batch.length} append${batch.length === 1 ? '' : 's'}`, (staged) =>
      batch.map((p) => this.stageRows(staged, p.stream, p.items)),
    );
  }

  private read(stream: string, fromSeq: number, limit: number): StoredEvent[] {
    this.checkOpen('read');
    checkName('stream', stream, 'read');
    checkCount('a sequence number', fromSeq, 'read');
    const n = checkLimit(limit, 'read');
    const data = this.streamData.get(stream);
    if (data === undefined || n === 0) return [];
    const start = Math.max(0, fromSeq - data.first);
    const end = n < 0 ? data.rows.length : Math.min(data.rows.length, start + n);
    const out: StoredEvent[] = [];
    for (let i = start; i < end; i++) {
      const r = data.rows[i]!; // start <= i < end <= data.rows.length
      out.push({ stream, seq: r.seq, ts: r.ts, key: r.key, event: JSON.parse(r.json) as EventValue });
    }
    return out;
  }

  private readJson(stream: string, fromSeq: number, limit: number): StoredJson {
    this.checkOpen('read');
    checkName('stream', stream, 'read');
    checkCount('a sequence number', fromSeq, 'read');
    const n = checkLimit(limit, 'read');
    const data = this.streamData.get(stream);
    if (data === undefined || n === 0) return { first: fromSeq, json: [] };
    const start = Math.max(0, fromSeq - data.first);
    const end = n < 0 ? data.rows.length : Math.min(data.rows.length, start + n);
    const json: string[] = [];
    for (let i = start; i < end; i++) json.push(data.rows[i]!.json); // start <= i < end <= data.rows.length
    return { first: json.length > 0 ? data.first + start : fromSeq, json };
  }

  private lastSeq(stream: string): number {
    this.checkOpen('read');
    checkName('stream', stream, 'read');
    return this.streamData.get(stream)?.last ?? 0;
  }

  private streams(): StreamInfo[] {
    this.checkOpen('read');
    return [...this.streamData]
      .sort(([a], [b]) => compareKeys(a, b))
      .map(([name, d]) => ({ name, firstSeq: d.first, lastSeq: d.last, count: d.last - d.first + 1 }));
  }

  private tail(stream: string, fromSeq: number, options: TailOptions = {}): AsyncIterable<StoredEvent> {
    this.checkOpen('read');
    checkName('stream', stream, 'read');
    checkCount('a sequence number', fromSeq, 'read');
    return tailStream(
      (from, limit) => this.read(stream, from, limit),
      (pollMs, signal) => this.notifier.wait(stream, pollMs, signal),
      () => this.closed,
      fromSeq,
      options,
    );
  }

  private retain(stream: string, policy: RetentionPolicy): number {
    this.checkOpen('retain');
    checkName('stream', stream, 'retain');
    const p = checkRetention(policy);
    const data = this.streamData.get(stream);
    if (data === undefined) return 0;
    let cut = data.first;
    if (p.maxCount !== undefined) cut = Math.max(cut, data.last - p.maxCount + 1);
    if (p.maxAgeMs !== undefined) {
      const threshold = this.now() - p.maxAgeMs;
      const kept = data.rows.find((r) => r.ts >= threshold);
      cut = Math.max(cut, kept === undefined ? data.last + 1 : kept.seq);
    }
    if (cut <= data.first) return 0;
    const deleted = Math.min(cut - data.first, data.rows.length);
    data.rows.splice(0, deleted);
    data.first = cut;
    return deleted;
  }

  // ---- state ----

  private stateGet(ns: string, key: string, asOf?: number): EventValue | undefined {
    this.checkOpen('read');
    checkName('namespace', ns, 'read');
    checkKey(key, 'read');
    const at = checkAsOf(asOf, 'read');
    const n = this.nsData.get(ns);
    const json = n?.values.get(key);
    if (json === undefined || this.isExpired(n!, key, at)) return undefined;
    return JSON.parse(json) as EventValue;
  }

  /** True when `key` of `n` expired at or before `asOf` (never without `asOf`). */
  private isExpired(n: Namespace, key: string, asOf: number | undefined): boolean {
    if (asOf === undefined || n.expiry.size === 0) return false;
    const at = n.expiry.get(key);
    return at !== undefined && at <= asOf;
  }

  private stateExpired(ns: string, asOf: number, limit: number): string[] {
    this.checkOpen('read');
    checkName('namespace', ns, 'read');
    const at = checkInstant('asOf', asOf, 'read');
    const n = checkLimit(limit, 'read');
    return (
      this.nsData
        .get(ns)
        ?.expiry.smallest(at, n)
        .map((e) => e.key) ?? []
    );
  }

  // ---- timers ----

  private timerGet(ns: string, key: string): number | undefined {
    this.checkOpen('read');
    checkName('namespace', ns, 'read');
    checkKey(key, 'read');
    return this.nsData.get(ns)?.timers.get(key);
  }

  private timerNext(ns: string): number | undefined {
    this.checkOpen('read');
    checkName('namespace', ns, 'read');
    return this.nsData.get(ns)?.timers.peek();
  }

  private timerDue(ns: string, at: number, limit: number): TimerEntry[] {
    this.checkOpen('read');
    checkName('namespace', ns, 'read');
    const upTo = checkInstant('the instant', at, 'read');
    const n = checkLimit(limit, 'read');
    return this.nsData.get(ns)?.timers.smallest(upTo, n) ?? [];
  }

  private timerCount(ns: string): number {
    this.checkOpen('read');
    checkName('namespace', ns, 'read');
    return this.nsData.get(ns)?.timers.size ?? 0;
  }

  private sortedKeys(n: Namespace): string[] {
    n.sorted ??= [...n.values.keys()].sort(compareKeys);
    return n.sorted;
  }

  private stateRange(ns: string, options: RangeOptions = {}): StateEntry[] {
    this.checkOpen('read');
    checkName('namespace', ns, 'read');
    if (options === null || typeof options !== 'object')
      throw new StorageError({ code: 'STORAGE_INVALID', operation: 'read', problem: 'was given a range that is not an object' });
    for (const k of [options.from, options.to, options.prefix]) if (k !== undefined) checkKey(k, 'read');
    const limit = checkLimit(options.limit, 'read');
    const asOf = checkAsOf(options.asOf, 'read');
    const n = this.nsData.get(ns);
    if (n === undefined || limit === 0) return [];
    let keys = this.inInterval(this.sortedKeys(n), keyInterval(options));
    if (asOf !== undefined && n.expiry.size > 0) keys = keys.filter((k) => !this.isExpired(n, k, asOf));
    if (options.reverse === true) keys.reverse();
    const picked = limit < 0 ? keys : keys.slice(0, limit);
    return picked.map((key) => ({ key, value: JSON.parse(n.values.get(key)!) as EventValue }));
  }

  private inInterval(sorted: readonly string[], { lower, upper }: { lower?: string; upper?: string }): string[] {
    let lo = 0;
    let hi = sorted.length;
    if (lower !== undefined) lo = lowerBound(sorted, lower);
    if (upper !== undefined) hi = lowerBound(sorted, upper);
    return lo < hi ? sorted.slice(lo, hi) : [];
  }

  private stateQuery(ns: string, options: QueryOptions): StateEntry[] {
    this.checkOpen('read');
    checkName('namespace', ns, 'read');
    const b = checkQuery(options);
    const limit = checkLimit(options.limit, 'read');
    const asOf = checkAsOf(options.asOf, 'read');
    const n = this.nsData.get(ns);
    if (n === undefined || limit === 0) return [];
    const hits: { key: string; v: number | string; value: EventValue }[] = [];
    for (const [key, json] of n.values) {
      if (this.isExpired(n, key, asOf)) continue;
      const value = JSON.parse(json) as EventValue;
      const v = indexValue(value, options.index);
      if (v !== undefined && matchesBounds(v, b)) hits.push({ key, v, value });
    }
    const dir = options.reverse === true ? -1 : 1;
    hits.sort((x, y) => dir * (compareIndexValues(x.v, y.v) || compareKeys(x.key, y.key)));
    return (limit < 0 ? hits : hits.slice(0, limit)).map(({ key, value }) => ({ key, value }));
  }

  private ensureIndex(ns: string, field: string): void {
    this.checkOpen('index');
    checkName('namespace', ns, 'index');
    checkField(field, 'index');
    if (this.nsData.get(ns)?.indexes.has(field)) return;
    this.namespace(ns, true)!.indexes.add(field);
  }

  private indexes(ns: string): string[] {
    this.checkOpen('read');
    checkName('namespace', ns, 'read');
    return [...(this.nsData.get(ns)?.indexes ?? [])].sort(compareKeys);
  }

  private stateCount(ns: string, options: { readonly prefix?: string } = {}): number {
    this.checkOpen('read');
    checkName('namespace', ns, 'read');
    if (options?.prefix !== undefined) checkKey(options.prefix, 'read');
    const n = this.nsData.get(ns);
    if (n === undefined) return 0;
    if (options?.prefix === undefined || options.prefix === '') return n.values.size;
    return this.inInterval(this.sortedKeys(n), keyInterval({ prefix: options.prefix })).length;
  }

  private namespaces(): NamespaceInfo[] {
    this.checkOpen('read');
    return [...this.nsData]
      .filter(([, n]) => n.values.size > 0 || n.indexes.size > 0)
      .sort(([a], [b]) => compareKeys(a, b))
      .map(([ns, n]) => ({ ns, count: n.values.size, indexes: [...n.indexes].sort(compareKeys) }));
  }

  private statePut(ns: string, key: string, value: EventValue): void {
    this.checkOpen('put');
    checkName('namespace', ns, 'put');
    checkKey(key, 'put');
    const json = encodeValue(value, 'put');
    this.write('put', `could not write state '${ns}'`, (s) => s.state.push({ ns, key, json }));
  }

  private stateDelete(ns: string, key: string): boolean {
    this.checkOpen('delete');
    checkName('namespace', ns, 'delete');
    checkKey(key, 'delete');
    const existed = this.nsData.get(ns)?.values.has(key) ?? false;
    this.write('delete', `could not delete from state '${ns}'`, (s) => s.state.push({ ns, key, json: null }));
    return existed;
  }

  // ---- offsets ----

  private offsetGet(consumer: string, stream: string): number {
    this.checkOpen('read');
    checkName('consumer', consumer, 'read');
    checkName('stream', stream, 'read');
    return this.offsetData.get(consumer)?.get(stream) ?? 0;
  }

  private offsetList(consumer?: string): OffsetEntry[] {
    this.checkOpen('read');
    if (consumer !== undefined) checkName('consumer', consumer, 'read');
    const out: OffsetEntry[] = [];
    for (const [c, m] of this.offsetData) {
      if (consumer !== undefined && c !== consumer) continue;
      for (const [stream, seq] of m) out.push({ consumer: c, stream, seq });
    }
    return out.sort((a, b) => compareKeys(a.consumer, b.consumer) || compareKeys(a.stream, b.stream));
  }

  // ---- the exactly-once unit ----

  commitBatch(batch: CommitBatch): CommitResult {
    this.checkOpen('commit');
    if (batch === null || typeof batch !== 'object') {
      throw new StorageError({ code: 'STORAGE_INVALID', operation: 'commit', problem: 'was given a batch that is not an object' });
    }
    const positions = checkPositions(batch);
    const cleared = checkClearState(batch);
    const changes = (batch.state ?? []).map((ch) => ({
      ns: checkName('namespace', ch.ns, 'commit'),
      key: checkKey(ch.key, 'commit'),
      json: ch.value === null ? null : encodeValue(ch.value, 'commit'),
      expiresAt: ch.expiresAt === undefined || ch.value === null ? undefined : checkInstant('an expiry', ch.expiresAt, 'commit'),
    }));
    const timers = checkTimers(batch);
    const appends = (batch.appends ?? []).map((a) => ({ stream: checkName('stream', a.stream, 'commit'), items: encodeItems(a.items, 'commit') }));
    return this.write('commit', 'could not commit the batch', (staged): CommitResult => {
      for (const p of positions) {
        const current = this.offsetData.get(p.name)?.get(p.stream) ?? 0;
        if (p.expected !== undefined && current !== p.expected) throw conflict(p, current);
      }
      for (const ns of cleared) staged.cleared.push(ns);
      for (const p of positions) staged.offsets.push({ consumer: p.name, stream: p.stream, seq: p.seq });
      for (const ch of changes) staged.state.push(ch);
      for (const t of timers) staged.timers.push(t);
      return { appended: appends.map((a) => ({ stream: a.stream, ...this.stageRows(staged, a.stream, a.items) })) };
    });
  }

  close(): void {
    if (this.closed) return;
    this.groupCommit.flush();
    this.closed = true;
    this.notifier.close();
  }
}

function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(sorted[mid]!, key) < 0)
      lo = mid + 1; // lo <= mid < hi <= sorted.length
    else hi = mid;
  }
  return lo;
}
