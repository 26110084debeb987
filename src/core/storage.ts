/** Durable storage interfaces: the event log, spell state, consumer offsets and the batch that commits all three. */
import type { EventValue } from './event.js';

/**
 * One event on a durable energy stream, as stored.
 *
 * Sequence numbers start at 1 in every stream, are contiguous and are never reused, even after
 * {@link EventLog.retain} deleted the events that held them.
 */
export interface StoredEvent {
  /** The stream's name. */
  readonly stream: string;
  /** Position in the stream, from 1. */
  readonly seq: number;
  /** When the event was appended, in ms since the epoch. Never decreases along a stream. */
  readonly ts: number;
  /** The partition key given at append time, or null. */
  readonly key: string | null;
  /** The event itself, a fresh copy on every read. */
  readonly event: EventValue;
}

/**
 * Consecutive events of one stream as their stored JSON text: `json[i]` is the event of seq
 * `first + i` (seqs are contiguous). What a consumer reads when it needs neither timestamps nor
 * keys: no object per row, and a sink that writes NDJSON writes the text as it is.
 */
export interface StoredJson {
  /** Seq of `json[0]`; with no events, the seq that was asked for. */
  readonly first: number;
  /** Each event's JSON text as stored: its item's `json` when it was appended with one, else as `JSON.stringify` wrote it. */
  readonly json: readonly string[];
}

/** One event to append, with an optional partition key. */
export interface AppendItem {
  readonly event: EventValue;
  readonly key?: string | null;
  /**
   * The event's JSON text when the caller already holds it (an input line that was parsed into
   * `event`): stored as it is instead of `JSON.stringify(event)`. Storage checks only its nesting
   * depth, not its parse: it must be JSON, on one line (no line feed or carriage return: NDJSON sinks
   * write it as it is), of well-formed Unicode (no lone surrogate), whose parse is `event`. Text that
   * is not is read back as damage (`STORAGE_CORRUPT`), or changed.
   */
  readonly json?: string;
}

/** The sequence numbers given to one append: `first..last`, both included. */
export interface AppendResult {
  readonly first: number;
  /** Equals `first - 1` when nothing was appended. */
  readonly last: number;
}

/** What {@link EventLog.streams} says about one stream. */
export interface StreamInfo {
  readonly name: string;
  /** How many events it holds now (after retention). */
  readonly count: number;
  /** Seq of its oldest stored event; `lastSeq + 1` when it holds none. */
  readonly firstSeq: number;
  /** Seq of its newest event ever appended; 0 when none ever was. */
  readonly lastSeq: number;
}

/** How {@link EventLog.tail} reads. */
export interface TailOptions {
  /**
   * Keep waiting for new events once the end is reached (default false: stop at the end).
   * Appends made through the same process wake the tail at once; appends made by other
   * processes are seen by polling every `pollMs`.
   */
  readonly follow?: boolean;
  /** Ends the iteration (quietly, no error) when aborted. */
  readonly signal?: AbortSignal;
  /** How often a following tail looks for appends from other processes, in ms (default 100). */
  readonly pollMs?: number;
}

/** Which old events {@link EventLog.retain} deletes. Both limits may be given; either deletes. */
export interface RetentionPolicy {
  /** Keep at most this many of the newest events. */
  readonly maxCount?: number;
  /** Delete events appended more than this many ms ago. */
  readonly maxAgeMs?: number;
}

/**
 * Durable energy streams: append-only logs of events, one per stream name.
 *
 * @example
 * const { first, last } = await storage.log.append('orders', [{ event: { id: 1 } }, { event: { id: 2 }, key: 'eu' }]);
 * for await (const e of storage.log.tail('orders', 1, { follow: true, signal })) console.log(e.seq, e.event);
 */
export interface EventLog {
  /**
   * Appends events to the end of a stream. Resolves only once they are durable (committed and,
   * with `synchronous: 'FULL'`, fsynced). Concurrent appends are group-committed: every append
   * queued before the next flush (the next turn of the event loop, or when enough events wait)
   * commits in one transaction, and all of them resolve after it. Sequence numbers follow the
   * order of the calls. Rejects with a `StorageError` when the commit failed; then none of the
   * appends of that flush is stored.
   */
  append(stream: string, items: readonly AppendItem[]): Promise<AppendResult>;
  /** Up to `limit` events of `stream` with `seq >= fromSeq`, oldest first. */
  read(stream: string, fromSeq: number, limit: number): StoredEvent[];
  /**
   * Up to `limit` events of `stream` with `seq >= fromSeq`, oldest first, as JSON text (see
   * {@link StoredJson}). Optional for other stores: without it, readers use `read`.
   */
  readJson?(stream: string, fromSeq: number, limit: number): StoredJson;
  /** Seq of the newest event ever appended to `stream`; 0 when none. */
  lastSeq(stream: string): number;
  /** Every stream that was ever appended to, by name. */
  streams(): StreamInfo[];
  /**
   * The events of `stream` from `fromSeq` on, in order. Without `follow`, ends at the end of the
   * stream; with it, waits for new events until `signal` aborts or the storage closes. Events
   * deleted by retention meanwhile are skipped.
   */
  tail(stream: string, fromSeq: number, options?: TailOptions): AsyncIterable<StoredEvent>;
  /** Deletes the oldest events that the policy no longer keeps; returns how many. Seqs are never reused. */
  retain(stream: string, policy: RetentionPolicy): number;
  /**
   * Resolves when `stream` holds events after `afterSeq`: at once if it does now, when this process
   * appends to it, after `pollMs` (another process may have appended: default 100), on abort, or
   * when the storage closes. It may resolve with nothing new; read again to see.
   */
  wait(stream: string, afterSeq: number, options?: { readonly pollMs?: number; readonly signal?: AbortSignal }): Promise<void>;
}

/** One key of spell state and its value. */
export interface StateEntry {
  readonly key: string;
  readonly value: EventValue;
}

/**
 * A key range of one namespace. Keys are ordered by the bytes of their UTF-8 form (code point
 * order). All bounds combine: `prefix: 'a', from: 'ab'` is the keys that start with `a` and are `>= 'ab'`.
 */
export interface RangeOptions {
  /** Smallest key, included. */
  readonly from?: string;
  /** Key to stop before, excluded. */
  readonly to?: string;
  /** Only keys that start with this. */
  readonly prefix?: string;
  readonly limit?: number;
  /** Largest keys first. */
  readonly reverse?: boolean;
  /** Leave out entries that expired at or before this instant (ms); without it, expired entries count too. */
  readonly asOf?: number;
}

/** A value that a value index orders: numbers (numerically), then strings (by code point). */
export type IndexValue = number | string;

/**
 * A query on a value index: entries whose value is an object with a number or string in the
 * top-level field `index`. Bounds must all be numbers or all strings; that type is the type of
 * field values that match. Without bounds, every entry with a number or string there matches.
 * Results are ordered by that field value, then by key.
 */
export interface QueryOptions {
  /** The top-level field of the value (an identifier: letters, digits, `_`, `-`). */
  readonly index: string;
  readonly eq?: IndexValue;
  readonly gt?: IndexValue;
  readonly gte?: IndexValue;
  readonly lt?: IndexValue;
  readonly lte?: IndexValue;
  readonly limit?: number;
  /** Largest field values first. */
  readonly reverse?: boolean;
  /** Leave out entries that expired at or before this instant (ms); without it, expired entries count too. */
  readonly asOf?: number;
}

/** One namespace of spell state, as {@link StateStore.namespaces} lists them. */
export interface NamespaceInfo {
  readonly ns: string;
  readonly count: number;
  /** Fields with a value index, by name. */
  readonly indexes: readonly string[];
}

/**
 * Durable spell state: a sorted key-value map per namespace (one namespace per spell). A spell
 * changes its state through {@link Storage.commitBatch}, together with its input offset and its
 * outputs; `put` and `delete` commit alone and are meant for tools.
 *
 * @example
 * storage.state.ensureIndex('prices', 'amount');
 * storage.state.query('prices', { index: 'amount', gte: 10, lt: 20, limit: 100 });
 * storage.state.range('prices', { prefix: 'sku:', reverse: true, limit: 10 });
 */
export interface StateStore {
  /**
   * The value at `key`, a fresh copy; undefined when there is none — or, with `asOf`, when it
   * expired at or before that instant.
   */
  get(ns: string, key: string, asOf?: number): EventValue | undefined;
  /** The entries of a key range, ordered by key (see {@link RangeOptions}). */
  range(ns: string, options?: RangeOptions): StateEntry[];
  /**
   * The entries whose value matches a value query (see {@link QueryOptions}). Uses the index made
   * by {@link StateStore.ensureIndex}; without one it gives the same answer by scanning the namespace.
   */
  query(ns: string, options: QueryOptions): StateEntry[];
  /** Makes `query` on `field` of `ns` use an index. Idempotent; indexes existing entries too. */
  ensureIndex(ns: string, field: string): void;
  /** The fields of `ns` that have a value index. */
  indexes(ns: string): string[];
  /** How many keys `ns` holds (only those starting with `prefix` when given). */
  count(ns: string, options?: { readonly prefix?: string }): number;
  /** Every namespace that holds keys or has an index. */
  namespaces(): NamespaceInfo[];
  /** Sets one key, committed alone (for tools; spells go through `commitBatch`). */
  put(ns: string, key: string, value: EventValue): void;
  /** Deletes one key, committed alone; true when it existed. */
  delete(ns: string, key: string): boolean;
  /**
   * Keys of `ns` whose time to live ended at or before `asOf`, earliest first, at most `limit`:
   * what a sweep deletes (through `commitBatch`). Uses an index on the expiry: O(log n + limit).
   */
  expired(ns: string, asOf: number, limit: number): string[];
}

/** One pending timer of a spell: its key and the instant (ms) it is due. */
export interface TimerEntry {
  readonly key: string;
  readonly at: number;
}

/**
 * Durable timers: per namespace (one per spell, like its state), a key and the instant it is due.
 * They change only through {@link Storage.commitBatch}, with the spell's state and outputs, so a
 * timer set by a cast commits with that cast's batch and a fired timer's deletion with its outputs.
 * Finding the next due timer is O(log n) (an index on the instant), never a scan.
 */
export interface TimerStore {
  /** The instant the timer `key` is due, or undefined when it is not set. */
  get(ns: string, key: string): number | undefined;
  /** The earliest instant a timer of `ns` is due, or undefined when it has none. */
  next(ns: string): number | undefined;
  /** Timers of `ns` due at or before `at`, earliest first (then by key), at most `limit`. */
  due(ns: string, at: number, limit: number): TimerEntry[];
  /** How many timers `ns` holds. */
  count(ns: string): number;
}

/** One consumer's committed position in one stream. */
export interface OffsetEntry {
  readonly consumer: string;
  readonly stream: string;
  readonly seq: number;
}

/** Consumer positions. They are written only by {@link Storage.commitBatch}, with the consumer's effects. */
export interface Offsets {
  /** The last seq of `stream` that `consumer` committed; 0 when none. */
  get(consumer: string, stream: string): number;
  /** Every committed position (of one consumer when given). */
  list(consumer?: string): OffsetEntry[];
}

/** One change of spell state in a batch: `value: null` deletes the key. */
export interface StateChange {
  readonly ns: string;
  readonly key: string;
  readonly value: EventValue | null;
  /** The instant (ms) the value expires: reads `asOf` a later instant no longer see it. None: it lives until deleted. */
  readonly expiresAt?: number;
}

/** One change of a spell's timers in a batch: set `key` due at `at` (replacing it), or cancel it (`at: null`). */
export interface TimerChange {
  readonly ns: string;
  readonly key: string;
  readonly at: number | null;
}

/** Events a batch appends to one stream. */
export interface StreamAppend {
  readonly stream: string;
  readonly items: readonly AppendItem[];
}

/** The input position a batch commits for its consumer. */
export interface ConsumerPosition {
  readonly name: string;
  readonly stream: string;
  /**
   * The last input seq the batch consumed. The position is set to it as given, forward or back
   * (a replay moves a consumer back); 0 means "nothing consumed".
   */
  readonly seq: number;
  /**
   * Fencing: commit only if the consumer's committed position is still this (say, the `seq` of
   * its previous batch); otherwise throw `STORAGE_CONFLICT` and commit nothing. Catches two
   * processes running the same consumer.
   */
  readonly expected?: number;
}

/**
 * The exactly-once unit: what one consumer's batch did. Everything in it commits in one
 * transaction, in this order: every `expected` fence is checked (one that fails commits nothing),
 * the namespaces of `clearState` are emptied, `state` and then `timers` changes are applied,
 * `consumer` and then `positions` are set, and `appends` are appended.
 *
 * @example
 * // A replay: fresh state and the input position moved back, at once (a crash leaves both or neither).
 * storage.commitBatch({
 *   clearState: ['total'],
 *   positions: [{ name: 'pipeline:totals', stream: 'orders', seq: 99, expected: 500 }],
 * });
 */
export interface CommitBatch {
  readonly consumer?: ConsumerPosition;
  /**
   * More consumer positions to set in the same transaction, each fenced by its own `expected`:
   * a consumer that reads several streams, or a replay moving a pipeline back in all of them.
   */
  readonly positions?: readonly ConsumerPosition[];
  /**
   * State namespaces whose every key and timer is deleted before `state` and `timers` are applied
   * (their value indexes stay): a replay starts its spells afresh in the same transaction that
   * moves their position.
   */
  readonly clearState?: readonly string[];
  /** Applied in order: a later change to the same key wins. */
  readonly state?: readonly StateChange[];
  /** Timers set or cancelled, applied in order after `state` (a later change to the same key wins). */
  readonly timers?: readonly TimerChange[];
  readonly appends?: readonly StreamAppend[];
}

/** How {@link Storage.commitBatches} commits. */
export interface CommitOptions {
  /**
   * Return once the batches are written and visible, before they are on disk: they are durable once
   * a later {@link Storage.synced} resolves. For a caller that acknowledges nothing before then and
   * has other work meanwhile (the log port): the thread does not wait for the disk. Default false:
   * with `synchronous` FULL, on disk when the call returns.
   */
  readonly syncLater?: boolean;
}

/** What {@link Storage.commitBatch} appended: one entry per entry of `appends`, in order. */
export interface CommitResult {
  readonly appended: readonly { readonly stream: string; readonly first: number; readonly last: number }[];
}

/**
 * Event log, spell state and consumer offsets in one store.
 *
 * @example
 * const storage = openSqliteStorage({ dir: '.sanctum' });
 * const from = storage.offsets.get('enrich', 'orders') + 1;
 * const batch = storage.log.read('orders', from, 500);
 * storage.commitBatch({
 *   consumer: { name: 'enrich', stream: 'orders', seq: batch.at(-1)!.seq },
 *   state: [{ ns: 'enrich', key: 'total', value: 42 }],
 *   appends: [{ stream: 'enriched', items: batch.map((e) => ({ event: e.event })) }],
 * });
 * storage.close();
 */
export interface Storage {
  readonly log: EventLog;
  readonly state: StateStore;
  readonly timers: TimerStore;
  readonly offsets: Offsets;
  /**
   * Commits a consumer's input position, its state and timer changes and the events it emitted in ONE
   * transaction: all of it or nothing. Synchronous; returns after the durable commit. Any
   * failure throws a `StorageError` and leaves nothing of the batch visible: the caller must
   * treat it as fatal for the batch (never acknowledge it; recover from the committed state).
   */
  commitBatch(batch: CommitBatch): CommitResult;
  /**
   * Group commit of several consumers' batches: ONE transaction (one fsync) in which each batch is
   * still its own unit, applied in order as {@link commitBatch} would. A batch whose fence fails
   * (`STORAGE_CONFLICT`) or that holds an invalid value commits nothing and gets its error in its
   * place; the others commit. Throws a `StorageError` when the transaction itself fails: then none
   * of them is stored. Optional: without it, batches commit one by one.
   */
  commitBatches?(batches: readonly CommitBatch[], options?: CommitOptions): (CommitResult | Error)[];
  /**
   * Resolves once every commit made so far is on disk (those made with `syncLater` included);
   * rejects with a `StorageError` when the disk refused, and the store takes no more writes then.
   * A store whose commits are on disk when they return (or that has no disk) resolves at once.
   */
  synced?(): Promise<void>;
  /** Commits pending appends, ends following tails, and releases the store. Idempotent. */
  close(): void;
  /** The data file, for stores that have one. */
  readonly path?: string;
}
