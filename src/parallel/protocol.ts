/** The messages between castParallel and its workers, and how errors and keys cross threads. */
import type { EventValue } from '../core/event.js';
import type { ErrorCode } from '../core/errors.js';
import type { SpellDefinition, SpellLogEntry } from '../spellcraft/caster.js';
import { SpellError, type SpellErrorFields } from '../spellcraft/errors.js';

/**
 * How batches cross threads. `clone` (the default): the array itself, structured-cloned by
 * postMessage; values JSON cannot say (undefined, NaN, a Date) reach the worker as they are and
 * fail there as SPELL_BAD_INPUT, as they do on one thread. `json`: one JSON string per batch each
 * way; JSON.stringify changes such values silently (undefined → null), so use it only for input
 * that is JSON already (events parsed from NDJSON). bench/run.ts measures both.
 */
export type Transport = 'json' | 'clone';

/** A spell as a worker receives it: summoned on the main thread, minus the logger (a function). */
export type WireDefinition = Omit<SpellDefinition, 'logger'>;

/** A SpellError as plain data; `index` is the failed event's place in its batch (-1: not known). */
export interface WireError {
  readonly fields: Omit<SpellErrorFields, 'event'>;
  readonly index: number;
  /** The event, sent only when `index` cannot name it. */
  readonly event?: EventValue;
  readonly cause?: WireError;
}

/** Events of a batch: a JSON string or the array itself, as the transport says. */
export type Payload = string | readonly EventValue[];

export type ToWorker =
  | { readonly t: 'spell'; readonly def: WireDefinition; readonly transport: Transport; readonly stopAtFailure: boolean }
  | { readonly t: 'batch'; readonly events: Payload }
  | { readonly t: 'finish' };

export type FromWorker =
  | { readonly t: 'fatal'; readonly error?: WireError; readonly message: string; readonly logs?: SpellLogEntry[] }
  | { readonly t: 'ready'; readonly initError?: WireError; readonly logs?: SpellLogEntry[] }
  | { readonly t: 'batch'; readonly events: Payload; readonly errors?: WireError[]; readonly logs?: SpellLogEntry[] }
  | { readonly t: 'finished'; readonly events: Payload; readonly error?: WireError; readonly logs?: SpellLogEntry[] };

export function encode(events: readonly EventValue[], transport: Transport): Payload {
  return transport === 'json' ? JSON.stringify(events) : events;
}

export function decode(payload: Payload): readonly EventValue[] {
  return typeof payload === 'string' ? (JSON.parse(payload) as EventValue[]) : payload;
}

/** The definition without its functions (the logger), so postMessage can clone it. */
export function toWireDefinition(def: SpellDefinition): WireDefinition {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(def)) if (typeof v !== 'function') out[k] = v;
  return out as unknown as WireDefinition;
}

/** Flattens a SpellError for postMessage (its class and `cause` do not survive cloning). */
export function toWire(e: SpellError, index = -1, withEvent = index < 0): WireError {
  const { code, spell, file, line, luaMessage, sourceLine, traceback, hook, data } = e;
  const fields = { code, spell, file, line, luaMessage, sourceLine, traceback, hook, data };
  const out: { -readonly [K in keyof WireError]: WireError[K] } = { fields, index };
  if (withEvent && e.event !== undefined) out.event = e.event;
  if (e.cause instanceof SpellError) out.cause = toWire(e.cause, -1, false);
  return out;
}

/** Rebuilds the SpellError on the main thread; `event` is the original event when known. */
export function fromWire(w: WireError, event?: EventValue): SpellError {
  const cause = w.cause ? fromWire(w.cause) : undefined;
  return new SpellError({ ...w.fields, code: w.fields.code as ErrorCode, event: event ?? w.event }, cause ? { cause } : undefined);
}

/**
 * The worker a key belongs to. Safe integers go round-robin (`key mod n`); strings and other
 * numbers by FNV-1a over their UTF-16 code units. Stable across runs and processes.
 */
export function partitionOf(key: string | number, n: number): number {
  if (n <= 1) return 0;
  if (typeof key === 'number' && Number.isSafeInteger(key)) return Math.abs(key % n);
  const s = typeof key === 'string' ? key : String(key);
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % n;
}
