/** Errors are data: a stable `code`, the fields a user needs, a message derived from them. */

/** Every error code Sanctum raises. Stable: scripts and dead-letter consumers match on them. */
export const ERROR_CODES = {
  SPELL_NOT_FOUND: 'The spell file does not exist or cannot be read.',
  SPELL_SYNTAX: 'The spell does not parse as Lua 5.4.',
  SPELL_INVALID: 'The spell loaded but did not return a table with a `cast` function.',
  SPELL_INIT_FAILED: 'The spell\'s `init` hook failed; the spell cannot cast.',
  SPELL_RUNTIME: 'A Lua error was raised inside `init`, `cast` or `finish`.',
  SPELL_BUDGET_EXCEEDED: 'One call ran more Lua instructions than its budget allows (a runaway loop).',
  SPELL_MEMORY_EXCEEDED: 'The spell tried to use more memory than its cap allows.',
  SPELL_STACK_OVERFLOW: 'The spell recursed too deeply.',
  SPELL_BAD_OUTPUT: 'The spell emitted or returned a value that is not an event (JSON-shaped).',
  SPELL_BAD_INPUT: 'The event cannot be handed to Lua without changing it (not JSON-shaped, or a number Lua cannot hold exactly).',
  SPELL_PORT_UNWIRED: 'The spell emitted to a port that is not wired anywhere.',
  SPELL_CLOSED: 'The spell was used after it was closed.',
  LUA_VM_FAILED: 'The Lua virtual machine itself failed (a bug in Sanctum or wasmoon).',
  INPUT_INVALID_JSON: 'An input line is not valid JSON.',
  RUNESET_INVALID: 'The runeset has errors.',
  USAGE: 'The command was called with wrong arguments.',
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
