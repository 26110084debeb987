/** Spell errors: what went wrong in which spell, file and line, and with which event. */
import { SanctumError, formatPosition, type ErrorCode } from '../core/errors.js';
import type { EventValue } from '../core/event.js';

/** What happens to an event whose cast fails. */
export type ErrorPolicy = 'dead-letter' | 'skip' | 'stop';
export const ERROR_POLICIES: readonly ErrorPolicy[] = ['dead-letter', 'skip', 'stop'];

/** The hook that was running when a spell failed. */
export type SpellHook = 'summon' | 'init' | 'cast' | 'finish' | 'tick' | 'timer';

export interface SpellErrorFields {
  readonly code: ErrorCode;
  /** The spell's name (its file name without `.lua` unless given another). */
  readonly spell: string;
  /** The Lua file the failure points into (the spell, or a module it required). */
  readonly file: string;
  /** Line in `file`, when Lua could tell. */
  readonly line?: number;
  /** Lua's own message, without the `file:line:` prefix. */
  readonly luaMessage: string;
  /** The source line at `line`, trimmed. */
  readonly sourceLine?: string;
  /** Lua traceback, innermost frame first. */
  readonly traceback?: string;
  readonly hook: SpellHook;
  /** The event being cast when the failure happened (none for init/finish/summon). */
  readonly event?: EventValue;
  /** Extra data: the value given to `error(...)` when it was a table. */
  readonly data?: EventValue;
}

/**
 * A spell failed to summon or to cast. The message is derived from the fields:
 * `spells/x.lua:3: attempt to index a nil value (field 'payload')`.
 */
export class SpellError extends SanctumError implements SpellErrorFields {
  readonly spell: string;
  readonly file: string;
  readonly line?: number;
  readonly luaMessage: string;
  readonly sourceLine?: string;
  readonly traceback?: string;
  readonly hook: SpellHook;
  readonly event?: EventValue;
  readonly data?: EventValue;

  constructor(fields: SpellErrorFields, options?: { cause?: unknown }) {
    super(fields.code, `${formatPosition({ file: fields.file, line: fields.line })}: ${fields.luaMessage}`, options);
    this.name = 'SpellError';
    this.spell = fields.spell;
    this.file = fields.file;
    this.line = fields.line;
    this.luaMessage = fields.luaMessage;
    this.sourceLine = fields.sourceLine;
    this.traceback = fields.traceback;
    this.hook = fields.hook;
    this.event = fields.event;
    this.data = fields.data;
  }

  override toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {
      code: this.code,
      spell: this.spell,
      file: this.file,
      line: this.line ?? null,
      hook: this.hook,
      message: this.luaMessage,
    };
    if (this.sourceLine !== undefined) out['source_line'] = this.sourceLine;
    if (this.traceback !== undefined) out['traceback'] = this.traceback;
    if (this.data !== undefined) out['data'] = this.data;
    return out;
  }
}

/**
 * A failed event and why: what lands on a dead-letter stream. Plain data, so it can be written as
 * NDJSON and cast by another spell.
 */
export interface DeadLetter {
  readonly error: SpellError;
  /** The event that failed; absent when `init` or `finish` failed. */
  readonly event?: EventValue;
}

/** The JSON form of a dead letter: `{ spell, code, file, line, hook, message, traceback, event }`. */
export function deadLetterToJSON(dl: DeadLetter): Record<string, unknown> {
  const out = dl.error.toJSON();
  out['event'] = dl.event === undefined ? null : dl.event;
  return out;
}

/** Splits Lua's `chunk:line: message` into its parts; the chunk may be `...`-shortened by Lua. */
export function splitLuaMessage(message: string): { chunk?: string; line?: number; text: string } {
  const m = /^(.*?):(\d+): ([\s\S]*)$/.exec(message);
  if (!m) return { text: message };
  return { chunk: m[1], line: Number(m[2]), text: m[3]! };
}

/** The user callbacks an operator calls, as named in a CallbackError. */
export type OperatorCallback = 'port' | 'dead-letters' | 'logger' | 'key';

export interface CallbackErrorFields {
  /** The spell whose operator called the callback. */
  readonly spell: string;
  readonly callback: OperatorCallback;
  /** The port, when the callback was a port's target. */
  readonly port?: string;
  /** What the callback was handed when it threw: an event, a dead letter, a log entry. */
  readonly value?: unknown;
}

/**
 * A callback given to an operator threw (CALLBACK_FAILED): the stream errors with this, the thrown
 * value as `cause` and what the callback was handed as `value`, so nothing is dropped silently.
 */
export class CallbackError extends SanctumError implements CallbackErrorFields {
  readonly spell: string;
  readonly callback: OperatorCallback;
  readonly port?: string;
  readonly value?: unknown;

  constructor(fields: CallbackErrorFields, cause: unknown) {
    super(
      'CALLBACK_FAILED',
      `${describeCallback(fields)} threw: ${causeMessage(cause)} (the stream stops; catch errors inside the callback to keep it going)`,
      { cause },
    );
    this.name = 'CallbackError';
    this.spell = fields.spell;
    this.callback = fields.callback;
    this.port = fields.port;
    this.value = fields.value;
  }

  override toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { code: this.code, spell: this.spell, callback: this.callback, message: this.message };
    if (this.port !== undefined) out['port'] = this.port;
    return out;
  }
}

function describeCallback(f: CallbackErrorFields): string {
  const of = `spell '${f.spell}'`;
  switch (f.callback) {
    case 'port':
      return `the target of port '${f.port}' of ${of}`;
    case 'dead-letters':
      return `the deadLetters target of ${of}`;
    case 'logger':
      return `the logger of ${of}`;
    case 'key':
      return `the key function of castParallel (${of})`;
  }
}

function causeMessage(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  try {
    return typeof cause === 'string' ? cause : (JSON.stringify(cause) ?? String(cause));
  } catch {
    return String(cause);
  }
}
