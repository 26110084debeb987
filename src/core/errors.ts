/** Errors are data: a stable `code`, the fields a user needs, a message derived from them. */

/** Every error code Sanctum raises. Stable: scripts and dead-letter consumers match on them. */
export const ERROR_CODES = {
  SPELL_NOT_FOUND: 'The spell file does not exist or cannot be read.',
  SPELL_SYNTAX: 'The spell does not parse as Lua 5.4.',
  SPELL_INVALID: 'The spell loaded but did not return a table with a `cast` function.',
  SPELL_INIT_FAILED: "The spell's `init` hook failed; the spell cannot cast.",
  SPELL_RUNTIME: 'A Lua error was raised inside `init`, `cast` or `finish`.',
  SPELL_BUDGET_EXCEEDED: 'One call ran more Lua instructions than its budget allows (a runaway loop).',
  SPELL_MEMORY_EXCEEDED: 'The spell tried to use more memory than its cap allows.',
  SPELL_MEMORY_CAP_TOO_LARGE: "The spell's memory cap is larger than one Lua engine can hold (960 MiB): lower it.",
  SPELL_MEMORY_UNAVAILABLE: "No Lua engine had room for the spell's memory cap and the process could not make another (out of memory or address space).",
  SPELL_STACK_OVERFLOW: 'The spell recursed too deeply.',
  SPELL_EMIT_LIMIT:
    'One call of the spell emitted more events than its budget.emits allows (a cast holds its outputs until it succeeds, so their number is bounded).',
  SPELL_BAD_OUTPUT: 'The spell emitted or returned a value that is not an event (JSON-shaped).',
  SPELL_BAD_INPUT: 'The event cannot be handed to Lua without changing it (not JSON-shaped, or a number Lua cannot hold exactly).',
  SPELL_PORT_UNWIRED: 'The spell emitted to a port that is not wired anywhere.',
  SPELL_CLOSED: 'The spell was used after it was closed.',
  LUA_VM_FAILED: 'The Lua virtual machine itself failed (a bug in Sanctum or wasmoon).',
  WORKER_FAILED: 'A worker thread of castParallel died or could not open the spell.',
  CALLBACK_FAILED: 'A callback given to an operator (a port target, a deadLetters target, a logger, a key function) threw; the stream errors with it.',
  INPUT_INVALID_JSON: 'An input line is not valid JSON.',
  INPUT_TOO_DEEP: 'An input line nests arrays and objects deeper than 200 levels.',
  INPUT_NOT_FINITE: 'An input line holds a number beyond the range of a double (such as 1e400), which would become Infinity.',
  INPUT_INEXACT_INTEGER: 'An input line holds an integer beyond ±2^53 that a double does not hold as written (such as 2^63); it would be rewritten.',
  INPUT_BAD_UNICODE: 'An input line is not valid UTF-8, or holds a string with a lone UTF-16 surrogate (\\ud800).',
  INPUT_LINE_TOO_LONG: 'An input line is longer than the reader accepts (64 MiB); it was skipped.',
  INPUT_UNREADABLE: 'A source could not be read (a missing file, a read error).',
  INPUT_TRUNCATED:
    'A followed file got shorter (copytruncate), or was rewritten: it is read again from its start; lines written to it after the last read and before it was truncated are lost.',
  INPUT_TOO_LARGE: "An HTTP request body is larger than the source's `max_body` (answered 413; nothing of it is appended).",
  INPUT_TIMEOUT: "A client took longer than the HTTP source's `timeout` to send its request (answered 408 and disconnected).",
  INPUT_REFUSED: 'An HTTP request the source does not take: another path (404) or method (405), or a malformed request (400, 431).',
  SOURCE_UNAUTHORIZED: "An HTTP request did not carry the source's bearer token (answered 401).",
  SOURCE_BUSY:
    'An HTTP source could not take a request now: the pipeline is behind (429), or its queue is full or the run is stopping (503). Nothing of it was appended; send it again after `Retry-After` seconds.',
  SOURCE_LISTEN_FAILED: 'An HTTP source could not listen on its address (already in use, or not allowed).',
  SINK_REJECTED: "An HTTP sink's receiver refused a batch for good (a 4xx answer): its events became dead letters, with the answer.",
  SINK_RETRIES_EXHAUSTED:
    'An HTTP sink could not deliver a batch within its retries (5xx answers, timeouts, connection errors): its events became dead letters, with the last failure.',
  RELOAD_REFUSED:
    'A reload was refused (the runeset has errors, a spell does not summon or fails its init, or the change needs a restart); the running version goes on.',
  PIPELINE_STOPPED: 'A pipeline stopped: a spell with `on_error: stop` failed.',
  RUNESET_INVALID: 'The runeset has errors.',
  RUNESET_NOT_FOUND: 'The runeset file does not exist or cannot be read.',
  RUNESET_YAML: 'The runeset is not well-formed YAML.',
  RUNESET_TOO_DEEP: 'The runeset nests lists and mappings deeper than 200 levels.',
  RUNESET_ALIAS:
    'A YAML alias in the runeset refers to a value that contains it, to no anchor, or expands the runeset beyond 100,000 values (a "billion laughs" bomb).',
  RUNESET_DUPLICATE_KEY: 'A key appears twice in the same mapping of the runeset.',
  RUNESET_UNKNOWN_KEY: 'The runeset has a key that is not a rune at that place.',
  RUNESET_MISSING_KEY: 'A required key is missing from the runeset.',
  RUNESET_WRONG_TYPE: 'A runeset value has the wrong type (a string where a list belongs, say).',
  RUNESET_BAD_VALUE: 'A runeset value has the right type but is not allowed (not one of the listed values, too small, a bad name).',
  RUNESET_ENV_UNSET: 'The runeset uses an environment variable that is not set and has no default.',
  RUNESET_ENV_SYNTAX: 'The runeset has a malformed `${...}` reference.',
  RUNESET_UNKNOWN_STREAM: 'The runeset refers to a stream it does not declare.',
  RUNESET_UNKNOWN_SPELL: 'A pipeline step names a spell the runeset does not declare.',
  RUNESET_PORT_UNWIRED: 'A spell emits to a named port that its pipeline step does not wire.',
  RUNESET_PORT_UNUSED: 'A step wires a port that its spell never emits to (a warning).',
  RUNESET_CYCLE: 'Pipelines write, directly or through each other, to a stream they read: events would loop.',
  NATS_STREAM_NOT_FOUND: 'A nats source or sink names a JetStream stream that does not exist on its server (or that does not capture its subject).',
  NATS_FAILED: 'The NATS server refused what a nats source or sink asked for good: credentials, permissions, a message it will not store.',
  USAGE: 'The command was called with wrong arguments.',
  STORAGE_FAILED: 'The storage could not do what was asked (a commit, read or open failed); nothing of a failed commit is stored.',
  STORAGE_CORRUPT: 'The data file is damaged (truncated, torn or overwritten); restore it from a backup.',
  STORAGE_FOREIGN: 'The data file is not a Sanctum data file, or was written by a newer Sanctum.',
  STORAGE_INVALID: 'A storage call was given something it cannot store (a bad name, key, sequence number or value).',
  STORAGE_CONFLICT: "A consumer's committed position was not the expected one: another process runs the same consumer.",
  STORAGE_CLOSED: 'The storage was used after it was closed.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Where in a file something is. Lines and columns count from 1. */
export interface SourcePosition {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
}

/** Base of every error Sanctum raises on purpose. */
export class SanctumError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'SanctumError';
  }
  /** The plain-data form: what is written to dead-letter streams and `--json` output. */
  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message };
  }
}

/** `file:line: message` — the form editors and terminals make clickable. */
export function formatPosition(pos: SourcePosition): string {
  if (pos.line === undefined) return pos.file;
  if (pos.column === undefined) return `${pos.file}:${pos.line}`;
  return `${pos.file}:${pos.line}:${pos.column}`;
}
