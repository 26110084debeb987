/** `${VAR}` and `${VAR:-default}` in runeset strings, filled from an environment map. */
import { isMap, isScalar, isSeq, Scalar } from 'yaml';
import type { RunesetDiagnostic } from './diagnostics.js';
import type { Finding, RunesetYaml } from './source.js';

/** The environment the runeset reads: variable name to value (unset when absent or undefined). */
export type EnvMap = Readonly<Record<string, string | undefined>>;

/** A reference that could not be filled, and where in the string it starts. */
export interface EnvProblem extends Finding {
  /** Index in the string of the `${` the problem is about. */
  readonly index: number;
  /** The reference as written, to find it in the file. */
  readonly text: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Fills `${VAR}` and `${VAR:-default}` in one string; `$${` stands for a literal `${`. As in the
 * shell, the default also applies when the variable is set but empty.
 *
 * @example
 * expandEnv('${DIR:-data}/in.ndjson', {}) // { value: 'data/in.ndjson', problems: [] }
 */
export function expandEnv(input: string, env: EnvMap): { value: string; problems: EnvProblem[] } {
  const problems: EnvProblem[] = [];
  let out = '';
  let i = 0;
  while (i < input.length) {
    const dollar = input.indexOf('$', i);
    if (dollar < 0) {
      out += input.slice(i);
      break;
    }
    out += input.slice(i, dollar);
    if (input.startsWith('$${', dollar)) {
      out += '${';
      i = dollar + 3;
      continue;
    }
    if (!input.startsWith('${', dollar)) {
      out += '$';
      i = dollar + 1;
      continue;
    }
    const close = input.indexOf('}', dollar + 2);
    if (close < 0) {
      problems.push({
        code: 'RUNESET_ENV_SYNTAX',
        index: dollar,
        text: input.slice(dollar),
        message: `unterminated '\${' (no closing '}')`,
        hint: 'write ${NAME} or ${NAME:-default}; for a literal "${" write "$${"',
      });
      out += input.slice(dollar);
      break;
    }
    const reference = input.slice(dollar, close + 1);
    const inner = input.slice(dollar + 2, close);
    const sep = inner.indexOf(':-');
    const name = sep < 0 ? inner : inner.slice(0, sep);
    const fallback = sep < 0 ? undefined : inner.slice(sep + 2);
    i = close + 1;
    if (!NAME.test(name)) {
      problems.push({
        code: 'RUNESET_ENV_SYNTAX',
        index: dollar,
        text: reference,
        message: `malformed environment reference '${reference}'`,
        hint: 'write ${NAME} or ${NAME:-default}, NAME being letters, digits and _ (not starting with a digit); for a literal "${" write "$${"',
      });
      out += reference;
      continue;
    }
    const value = env[name];
    if (value !== undefined && (value !== '' || fallback === undefined)) {
      out += value;
    } else if (fallback !== undefined) {
      out += fallback;
    } else {
      problems.push({
        code: 'RUNESET_ENV_UNSET',
        index: dollar,
        text: reference,
        message: `environment variable ${name} is not set`,
        hint: `set ${name}, or give a default: \${${name}:-value}`,
      });
      out += reference;
    }
  }
  return { value: out, problems };
}

/** What substitution found: a diagnostic per reference it could not fill, and the scalars they are in. */
export interface EnvResult {
  readonly diagnostics: RunesetDiagnostic[];
  /**
   * Text ranges (`[start, end)` offsets) of scalars left with an unfilled reference: other checks
   * would only complain about the `${...}` text, so their findings there are dropped.
   */
  readonly unfilled: readonly (readonly [number, number])[];
}

/**
 * Fills environment references in every string scalar of the document, keys included, in place.
 * An unquoted scalar is typed again after filling (`instructions: ${BUDGET:-50000}` is a number);
 * a quoted one stays a string.
 */
export function substituteEnv(source: RunesetYaml, env: EnvMap): EnvResult {
  const out: RunesetDiagnostic[] = [];
  const unfilled: [number, number][] = [];
  const visit = (node: unknown): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        visit(pair.key);
        visit(pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) visit(item);
    } else if (isScalar(node) && typeof node.value === 'string' && node.value.includes('$')) {
      const { value, problems } = expandEnv(node.value, env);
      for (const p of problems) out.push(source.atOffset(offsetInScalar(source, node, p), p));
      if (problems.length) unfilled.push([node.range?.[0] ?? 0, node.range?.[1] ?? 0]);
      if (value !== node.value) node.value = node.type === Scalar.PLAIN ? retype(value) : value;
    }
    // Aliases are skipped: their anchored node is filled where it is defined.
  };
  visit(source.doc.contents);
  return { diagnostics: out, unfilled };
}

/** Where a reference sits in the file: found in the scalar's own text, else the scalar's start. */
function offsetInScalar(source: RunesetYaml, node: Scalar, problem: EnvProblem): number {
  const [start, end] = node.range ?? [0, 0];
  const raw = source.text.slice(start, end);
  // Count earlier identical references so that the second `${X}` points at the second one.
  const before = (node.value as string).slice(0, problem.index).split(problem.text).length - 1;
  let at = -1;
  for (let k = 0; k <= before; k++) {
    at = raw.indexOf(problem.text, at + 1);
    if (at < 0) return start;
  }
  return start + at;
}

/** Types a filled unquoted scalar as YAML's core schema would: null, booleans, numbers; else a string. */
function retype(text: string): unknown {
  if (/^(?:null|Null|NULL|~)$/.test(text)) return null;
  if (/^(?:true|True|TRUE)$/.test(text)) return true;
  if (/^(?:false|False|FALSE)$/.test(text)) return false;
  if (/^[-+]?[0-9]+$/.test(text)) return Number(text);
  if (/^0x[0-9a-fA-F]+$/.test(text)) return Number.parseInt(text.slice(2), 16);
  if (/^0o[0-7]+$/.test(text)) return Number.parseInt(text.slice(2), 8);
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(text)) return Number(text);
  return text;
}
