/** loadRuneset(): read, parse, validate and check a runeset file; every problem in one pass. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { checkSpells, checkStructure } from './checks.js';
import { RunesetError, displayPath, hasErrors, sortDiagnostics, type RunesetDiagnostic } from './diagnostics.js';
import { substituteEnv, type EnvMap } from './env.js';
import { normalizeRuneset } from './normalize.js';
import type { Runeset } from './runeset.js';
import { schemaDiagnostics } from './schema-errors.js';
import { validateRunesetData } from './schema.js';
import { RunesetYaml } from './source.js';
import type { RunesetDocument } from './types.js';

export interface LoadRunesetOptions {
  /** Where `${VAR}` references are looked up. Default: `process.env`. */
  readonly env?: EnvMap;
  /**
   * Summon every spell, so that a Lua syntax error or a spell without `cast` is reported now, at
   * its `file:` line, rather than when the pipeline starts. Default true.
   */
  readonly checkSpells?: boolean;
}

/** What a load found: the runeset when there were no errors, and every diagnostic (warnings too). */
export interface RunesetLoadResult {
  /** Present exactly when no diagnostic is an error. */
  readonly runeset?: Runeset;
  /** In file order. */
  readonly diagnostics: readonly RunesetDiagnostic[];
}

/**
 * Loads a runeset file and checks it: YAML syntax, duplicate keys, environment references, the
 * schema (unknown keys, types, allowed values, required keys), references between streams, spells
 * and ports, stream cycles, and the spells themselves. Never throws for a problem in the runeset:
 * every problem is a diagnostic.
 *
 * @example
 * const { runeset, diagnostics } = await loadRuneset('sanctum.runeset.yaml');
 * for (const d of diagnostics) console.error(formatDiagnostic(d));
 * if (!runeset) process.exit(1);
 */
export async function loadRuneset(file: string, options: LoadRunesetOptions = {}): Promise<RunesetLoadResult> {
  const shown = displayPath(file);
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const message = err.code === 'ENOENT' ? 'no such runeset file' : `cannot read the runeset: ${err.message}`;
    return { diagnostics: [{ code: 'RUNESET_NOT_FOUND', severity: 'error', file: shown, line: 1, column: 1, message }] };
  }

  const source = new RunesetYaml(shown, text);
  if (source.tooDeep) return { diagnostics: [source.tooDeep] };
  const yamlProblems = source.doc.warnings.map((w) => source.atOffset(w.pos[0], { code: 'RUNESET_YAML', severity: 'warning', message: w.message }));
  // A document that is not well-formed YAML has no reliable shape: more checks would only guess.
  // The parser's later errors mostly follow from its first, so only the first is reported.
  const [first, ...rest] = source.doc.errors;
  if (first) return { diagnostics: sortDiagnostics([...yamlProblems, yamlError(source, first.pos[0], first.message, rest.length)]) };
  // Aliases that loop or explode would hang or crash every check below: they go first, alone.
  const aliases = source.aliasProblems();
  if (aliases.length) return { diagnostics: sortDiagnostics([...yamlProblems, ...aliases]) };

  const env = substituteEnv(source, options.env ?? process.env);
  // aliasProblems() bounds what the aliases expand to, exactly; the library's own guess
  // (maxAliasCount) would refuse some runesets within that bound.
  const data: unknown = source.doc.toJS({ maxAliasCount: -1 });
  const findings = [
    ...schemaDiagnostics(validateRunesetData(data), data, source),
    ...checkStructure(data, source),
    ...(await checkSpells(data, source, { dir: path.dirname(absolute), summon: options.checkSpells ?? true })),
  ];
  // A value whose `${VAR}` could not be filled is reported once, for the variable.
  const inUnfilled = (d: RunesetDiagnostic) => env.unfilled.some(([start, end]) => within(source, d, start, end));
  const diagnostics = [...yamlProblems, ...source.duplicateKeys(), ...env.diagnostics, ...findings.filter((d) => !inUnfilled(d))];

  const sorted = sortDiagnostics(diagnostics);
  if (hasErrors(sorted)) return { diagnostics: sorted };
  return { runeset: normalizeRuneset(data as RunesetDocument, absolute), diagnostics: sorted };
}

/**
 * Loads a runeset and returns it, or throws a `RunesetError` (code `RUNESET_INVALID`) carrying
 * every diagnostic. Warnings of a runeset that loads go to `onWarning`, when given.
 *
 * @example
 * const runeset = await loadRunesetOrThrow('sanctum.runeset.yaml', { onWarning: (d) => console.warn(formatDiagnostic(d)) });
 */
export async function loadRunesetOrThrow(
  file: string,
  options: LoadRunesetOptions & { readonly onWarning?: (diagnostic: RunesetDiagnostic) => void } = {},
): Promise<Runeset> {
  const { runeset, diagnostics } = await loadRuneset(file, options);
  if (!runeset) throw new RunesetError(displayPath(file), diagnostics);
  for (const d of diagnostics) options.onWarning?.(d);
  return runeset;
}

function yamlError(source: RunesetYaml, offset: number, message: string, more: number): RunesetDiagnostic {
  const hints: string[] = [];
  // `{ path: ${DIR} }`: in a flow collection an unquoted `${` is YAML syntax, not text.
  if (source.text[offset - 1] === '$' && source.text[offset] === '{') hints.push('inside { … } or [ … ], quote a value that uses ${…}: "${NAME}"');
  if (more > 0) hints.push(`the parser reported ${more} more error${more === 1 ? '' : 's'} after this one; they usually go away with it`);
  return source.atOffset(offset, hints.length ? { code: 'RUNESET_YAML', message, hint: hints.join('; ') } : { code: 'RUNESET_YAML', message });
}

function within(source: RunesetYaml, d: RunesetDiagnostic, start: number, end: number): boolean {
  const a = source.lines.linePos(start);
  const b = source.lines.linePos(end);
  const after = d.line > a.line || (d.line === a.line && d.column >= a.col);
  const before = d.line < b.line || (d.line === b.line && d.column < b.col);
  return after && before;
}
