/** Argument checks and JSON encoding shared by every adapter, so all of them refuse the same things the same way. */
import type { AppendItem, CommitBatch, ConsumerPosition, IndexValue, QueryOptions, RetentionPolicy } from '../../core/storage.js';
import { MAX_DEPTH, MAX_STORED_DEPTH, nestsDeeperThan } from '../../core/limits.js';
import { StorageError, type StorageOperation } from '../errors.js';

/** An event or value as stored: its JSON text, and the partition key for events. */
export interface EncodedItem {
  readonly json: string;
  readonly key: string | null;
}

function invalid(operation: StorageOperation, file: string | undefined, problem: string, cause?: unknown): StorageError {
  return new StorageError({ code: 'STORAGE_INVALID', operation, file, problem }, cause === undefined ? undefined : { cause });
}

/**
 * Stream, namespace and consumer names: non-empty, well-formed Unicode (a lone surrogate would
 * not survive UTF-8), no NUL (names end up in SQL text for partial indexes).
 */
export function checkName(kind: string, name: unknown, operation: StorageOperation, file?: string): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw invalid(operation, file, `was given ${describe(name)} as a ${kind} name; it must be a non-empty string`);
  }
  if (!name.isWellFormed() || name.includes('\0')) {
    throw invalid(operation, file, `was given a ${kind} name with a lone surrogate or a NUL character: ${JSON.stringify(name)}`);
  }
  return name;
}

/** State keys and event keys: any well-formed string, the empty one included. */
export function checkKey(key: unknown, operation: StorageOperation, file?: string): string {
  if (typeof key !== 'string') throw invalid(operation, file, `was given ${describe(key)} as a key; keys are strings`);
  if (!key.isWellFormed()) throw invalid(operation, file, `was given a key with a lone surrogate: ${JSON.stringify(key)}`);
  return key;
}

/** A sequence number or other count: an integer >= 0 that a double holds exactly. */
export function checkCount(what: string, n: unknown, operation: StorageOperation, file?: string): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw invalid(operation, file, `was given ${describe(n)} as ${what}; it must be an integer >= 0`);
  }
  return n;
}

/** An optional limit: an integer >= 0, or undefined/Infinity for none. Returns -1 for none (SQLite's "no limit"). */
export function checkLimit(limit: unknown, operation: StorageOperation, file?: string): number {
  if (limit === undefined || limit === Infinity) return -1;
  return checkCount('a limit', limit, operation, file);
}

/** Value index fields: identifiers, so that they can be spelled inside a JSON path and an index name. */
export function checkField(field: unknown, operation: StorageOperation, file?: string): string {
  if (typeof field !== 'string' || !/^[A-Za-z_][A-Za-z0-9_-]{0,127}$/.test(field)) {
    throw invalid(
      operation,
      file,
      `was given ${describe(field)} as an index field; it must be a top-level field name (letters, digits, _ and -, not starting with a digit)`,
    );
  }
  return field;
}

/**
 * A value's JSON text. What JSON cannot say is refused rather than changed, where that is cheap
 * to tell: `undefined`, functions and symbols at the top, BigInt, cycles. (NaN and ±Infinity nested
 * inside become null, as JSON.stringify does; the spell layer refuses them before they get here.)
 *
 * Nesting: every input refuses events deeper than `MAX_DEPTH` (NDJSON lines, the Lua bridge), so
 * values from a pipeline are shallow. Values given by TypeScript code straight to storage are not
 * checked anywhere else: they are refused here beyond `MAX_STORED_DEPTH` (room for a record wrapped
 * around an event, such as a dead letter), so that every later JSON.stringify or format of a stored
 * value stays far from the end of the stack. Shallow or bracket-poor JSON is answered without a scan.
 */
export function encodeValue(value: unknown, operation: StorageOperation, file?: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (e) {
    if (e instanceof RangeError && /call stack/i.test(e.message)) throw tooDeep(operation, file, e);
    throw invalid(operation, file, `was given a value that is not JSON (${(e as Error).message})`, e);
  }
  if (json === undefined) throw invalid(operation, file, `was given ${describe(value)} as a value; values are JSON`);
  if (nestsDeeperThan(json, MAX_STORED_DEPTH)) throw tooDeep(operation, file);
  return json;
}

function tooDeep(operation: StorageOperation, file: string | undefined, cause?: unknown): StorageError {
  return invalid(
    operation,
    file,
    `was given a value nested deeper than ${MAX_STORED_DEPTH} levels of arrays and objects (events nest at most ${MAX_DEPTH})`,
    cause,
  );
}

/** Encodes the items of one append (an item's own `json` text as it is), refusing the whole append when any item is bad. */
export function encodeItems(items: readonly AppendItem[], operation: StorageOperation, file?: string): EncodedItem[] {
  if (!Array.isArray(items)) throw invalid(operation, file, `was given ${describe(items)} as the items to append; it must be an array of { event, key? }`);
  const out: EncodedItem[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item === null || typeof item !== 'object') throw invalid(operation, file, `was given ${describe(item)} as item ${i}; items are { event, key? }`);
    const key = item.key ?? null;
    const text = item.json;
    let json: string;
    if (typeof text === 'string') {
      // Trusted to parse to the event (not parsed again), but held to the depth every stored value keeps.
      if (nestsDeeperThan(text, MAX_STORED_DEPTH)) throw tooDeep(operation, file);
      json = text;
    } else json = encodeValue(item.event, operation, file);
    out[i] = { json, key: key === null ? null : checkKey(key, operation, file) };
  }
  return out;
}

/** A checked consumer position of a batch. */
export interface CheckedPosition {
  readonly name: string;
  readonly stream: string;
  readonly seq: number;
  readonly expected: number | undefined;
}

/** The positions a batch sets, `consumer` first then `positions`, all checked before any is written. */
export function checkPositions(batch: CommitBatch, file?: string): CheckedPosition[] {
  if (batch.positions !== undefined && !Array.isArray(batch.positions)) {
    throw invalid('commit', file, `was given ${describe(batch.positions)} as the batch's positions; give an array of { name, stream, seq, expected? }`);
  }
  const all: ConsumerPosition[] = batch.consumer === undefined ? [...(batch.positions ?? [])] : [batch.consumer, ...(batch.positions ?? [])];
  return all.map((c) => {
    if (c === null || typeof c !== 'object')
      throw invalid('commit', file, `was given ${describe(c)} as a consumer position; give { name, stream, seq, expected? }`);
    return {
      name: checkName('consumer', c.name, 'commit', file),
      stream: checkName('stream', c.stream, 'commit', file),
      seq: checkCount('the consumer seq', c.seq, 'commit', file),
      expected: c.expected === undefined ? undefined : checkCount('the expected consumer seq', c.expected, 'commit', file),
    };
  });
}

/** An instant in ms (a timer's due time, an expiry, an `asOf`): an integer a double holds exactly, negative allowed. */
export function checkInstant(what: string, at: unknown, operation: StorageOperation, file?: string): number {
  if (typeof at !== 'number' || !Number.isSafeInteger(at)) {
    throw invalid(operation, file, `was given ${describe(at)} as ${what}; it must be a whole number of ms`);
  }
  return at;
}

/** An optional `asOf`: undefined, or an instant. */
export function checkAsOf(asOf: unknown, operation: StorageOperation, file?: string): number | undefined {
  return asOf === undefined ? undefined : checkInstant('asOf', asOf, operation, file);
}

/** A timer change, checked. */
export interface CheckedTimer {
  readonly ns: string;
  readonly key: string;
  readonly at: number | null;
}

/** The timer changes of a batch, checked before any is written. */
export function checkTimers(batch: CommitBatch, file?: string): CheckedTimer[] {
  if (batch.timers === undefined) return [];
  if (!Array.isArray(batch.timers))
    throw invalid('commit', file, `was given ${describe(batch.timers)} as the batch's timers; give an array of { ns, key, at }`);
  return batch.timers.map((t) => {
    if (t === null || typeof t !== 'object')
      throw invalid('commit', file, `was given ${describe(t)} as a timer change; give { ns, key, at } (at: null cancels)`);
    return {
      ns: checkName('namespace', t.ns, 'commit', file),
      key: checkKey(t.key, 'commit', file),
      at: t.at === null ? null : checkInstant(`the instant of timer ${JSON.stringify(t.key)}`, t.at, 'commit', file),
    };
  });
}

/** The namespaces a batch clears, checked. */
export function checkClearState(batch: CommitBatch, file?: string): string[] {
  if (batch.clearState === undefined) return [];
  if (!Array.isArray(batch.clearState)) throw invalid('commit', file, `was given ${describe(batch.clearState)} as clearState; give an array of namespaces`);
  return batch.clearState.map((ns) => checkName('namespace', ns, 'commit', file));
}

/** The error of a failed `expected` fence: another process moved the consumer. */
export function conflict(p: CheckedPosition, current: number, file?: string): StorageError {
  return new StorageError({
    code: 'STORAGE_CONFLICT',
    operation: 'commit',
    file,
    problem: `could not commit the batch of consumer '${p.name}': its position in '${p.stream}' is ${current}, not the expected ${p.expected} (is another process running it?)`,
  });
}

export function checkRetention(policy: RetentionPolicy, file?: string): { maxCount?: number; maxAgeMs?: number } {
  if (policy === null || typeof policy !== 'object') throw invalid('retain', file, 'was given no retention policy; give { maxCount?, maxAgeMs? }');
  const out: { maxCount?: number; maxAgeMs?: number } = {};
  if (policy.maxCount !== undefined) out.maxCount = checkCount('maxCount', policy.maxCount, 'retain', file);
  if (policy.maxAgeMs !== undefined) {
    if (typeof policy.maxAgeMs !== 'number' || !(policy.maxAgeMs >= 0))
      throw invalid('retain', file, `was given ${describe(policy.maxAgeMs)} as maxAgeMs; it must be a number >= 0`);
    out.maxAgeMs = policy.maxAgeMs;
  }
  return out;
}

/** The bounds of a value query, all of one type. */
export interface QueryBounds {
  /** 'number' or 'string' when bounds were given; 'any' matches numbers and strings. */
  readonly type: 'number' | 'string' | 'any';
  readonly eq?: IndexValue;
  readonly gt?: IndexValue;
  readonly gte?: IndexValue;
  readonly lt?: IndexValue;
  readonly lte?: IndexValue;
}

export function checkQuery(options: QueryOptions, file?: string): QueryBounds {
  if (options === null || typeof options !== 'object')
    throw invalid('read', file, 'was given no query; give { index, eq?, gt?, gte?, lt?, lte?, limit?, reverse? }');
  checkField(options.index, 'read', file);
  let type: 'number' | 'string' | 'any' = 'any';
  for (const op of ['eq', 'gt', 'gte', 'lt', 'lte'] as const) {
    const v = options[op];
    if (v === undefined) continue;
    const t = typeof v === 'number' && !Number.isNaN(v) ? 'number' : typeof v === 'string' && v.isWellFormed() ? 'string' : undefined;
    if (t === undefined) throw invalid('read', file, `was given ${describe(v)} as the query bound ${op}; bounds are numbers or strings`);
    if (type !== 'any' && type !== t)
      throw invalid('read', file, `was given query bounds of different types (${type} and ${t}); give all bounds as numbers or all as strings`);
    type = t;
  }
  return { type, eq: options.eq, gt: options.gt, gte: options.gte, lt: options.lt, lte: options.lte };
}

function describe(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  if (typeof v === 'bigint') return `${v}n (a BigInt)`;
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}
