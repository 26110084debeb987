/** Runeset diagnostics: one problem at one place in the runeset, and the error that carries them all. */
import path from 'node:path';
import { SanctumError, type ErrorCode } from '../core/errors.js';

/** Only errors make a runeset fail to load; warnings are worth a look but do not stop it. */
export type DiagnosticSeverity = 'error' | 'warning';

/** One problem in a runeset, at the YAML node it is about. */
export interface RunesetDiagnostic {
  /** Stable code (`RUNESET_UNKNOWN_KEY`, `SPELL_SYNTAX`, …): see `ERROR_CODES`. */
  readonly code: ErrorCode;
  readonly severity: DiagnosticSeverity;
  /** The runeset file, as given to the loader (relative to the working directory when inside it). */
  readonly file: string;
  /** 1-based line of the node the problem is about. */
  readonly line: number;
  /** 1-based column of that node. */
  readonly column: number;
  /** What is wrong and, where it can tell, what would be right. */
  readonly message: string;
  /** A further suggestion: the allowed keys, the values to choose from, how to fix it. */
  readonly hint?: string;
}

/**
 * One diagnostic as terminals and editors link it: `file:line:column: message`, with
 * `warning: ` before the message for warnings, and the hint on an indented line below.
 *
 * @example
 * formatDiagnostic(d)
 * // sanctum.runeset.yaml:7:5: unknown key 'fiel' in spells.enrich; did you mean 'file'?
 * //   hint: allowed here: file, runes, on_error, budget
 */
export function formatDiagnostic(d: RunesetDiagnostic): string {
  const head = `${d.file}:${d.line}:${d.column}: ${d.severity === 'warning' ? 'warning: ' : ''}${d.message}`;
  return d.hint === undefined ? head : `${head}\n  hint: ${d.hint.replace(/\n/g, '\n        ')}`;
}

/** Orders diagnostics as they appear in the file (stable for equal positions). */
export function sortDiagnostics(list: readonly RunesetDiagnostic[]): RunesetDiagnostic[] {
  return [...list].sort((a, b) => a.line - b.line || a.column - b.column);
}

/** True when any diagnostic is an error. */
export function hasErrors(list: readonly RunesetDiagnostic[]): boolean {
  return list.some((d) => d.severity === 'error');
}

/**
 * A runeset that did not load. Carries every diagnostic of the load (warnings too); its message
 * is a summary line followed by each diagnostic, formatted.
 */
export class RunesetError extends SanctumError {
  readonly file: string;
  readonly diagnostics: readonly RunesetDiagnostic[];

  constructor(file: string, diagnostics: readonly RunesetDiagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === 'error').length;
    const warnings = diagnostics.length - errors;
    const counts = [plural(errors, 'error'), ...(warnings ? [plural(warnings, 'warning')] : [])].join(' and ');
    super('RUNESET_INVALID', [`${file}: the runeset has ${counts}`, ...diagnostics.map(formatDiagnostic)].join('\n'));
    this.name = 'RunesetError';
    this.file = file;
    this.diagnostics = diagnostics;
  }

  override toJSON(): Record<string, unknown> {
    return { code: this.code, file: this.file, message: this.message.split('\n')[0], diagnostics: this.diagnostics };
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** A path as messages show it: relative to the working directory when inside it, else absolute. */
export function displayPath(file: string): string {
  const abs = path.resolve(file);
  const rel = path.relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : abs;
}
