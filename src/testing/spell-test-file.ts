/** YAML spell-test files (`*.test.yaml` next to a spell): loading, validating and running them. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { SanctumError } from '../core/errors.js';
import type { EventValue } from '../core/event.js';
import { checkSuite, runSpellCase, type SpellCaseResult, type SpellMarbleCase, type SpellMarbleSuite } from './marbles.js';
import { testDurationMs } from './virtual-time.js';
import { didYouMean } from '../runes/suggest.js';

const schema = createRequire(import.meta.url)('../../schema/spell-test.schema.json') as object;
// verbose: an error carries its schema, so a pattern's own message (patternErrorMessage) can be shown.
const validate = new Ajv({ allErrors: true, strict: false, verbose: true }).compile(schema);

/** A spell-test file that is not valid: every problem with its line and column. */
export class SpellTestFileError extends SanctumError {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super('USAGE', `${file}: invalid spell test:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'SpellTestFileError';
  }
}

/** Reads and validates a spell-test YAML file into a suite (spell path resolved against the file). */
export function loadSpellTestFile(file: string): SpellMarbleSuite {
  const text = readFileSync(file, 'utf8');
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  const where = (offset: number | undefined) => {
    const p = lines.linePos(offset ?? 0);
    return `${file}:${p.line}:${p.col}`;
  };
  if (doc.errors.length)
    throw new SpellTestFileError(
      file,
      doc.errors.map((e) => `${where(e.pos[0])}: ${e.message.split('\n')[0]}`),
    );
  const data = doc.toJS() as Record<string, unknown>;
  if (!validate(data)) {
    const problems = (validate.errors ?? []).map((e) => {
      const segments = e.instancePath
        .split('/')
        .slice(1)
        .map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
      const extra = e.keyword === 'additionalProperties' ? (e.params as { additionalProperty: string }).additionalProperty : undefined;
      const node = doc.getIn(extra ? [...segments, extra] : segments, true);
      const keyNode = extra ? findKey(doc.getIn(segments, true), extra) : undefined;
      const offset = (keyNode ?? (isNode(node) ? node : undefined))?.range?.[0];
      const at = e.instancePath || '(top)';
      const patternMessage = e.keyword === 'pattern' ? (e.parentSchema as { patternErrorMessage?: string } | undefined)?.patternErrorMessage : undefined;
      const keys = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const what = extra
        ? `unknown key '${extra}'${didYouMean(extra, keys)}`
        : patternMessage
          ? `${at} is ${JSON.stringify(e.data)}: ${patternMessage}`
          : `${at} ${e.message}${e.keyword === 'enum' ? `: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}` : ''}`;
      return `${where(offset)}: ${what}`;
    });
    throw new SpellTestFileError(file, problems);
  }
  const frame = data['frame'] as number | string | undefined;
  const tick = data['tick'] as number | string | undefined;
  const cases = (data['cases'] as Record<string, unknown>[]).map((c): SpellMarbleCase => {
    const budget = (c['budget'] ?? {}) as { instructions?: number; memory?: number };
    const caseTick = (c['tick'] as number | string | undefined) ?? tick;
    return {
      name: String(c['name']),
      frameMs: testDurationMs((c['frame'] as number | string | undefined) ?? frame, 1),
      ...(caseTick !== undefined ? { tickMs: testDurationMs(caseTick, 0) } : {}),
      runes: c['runes'] as Record<string, EventValue> | undefined,
      onError: c['on_error'] as SpellMarbleCase['onError'],
      instructionBudget: budget.instructions,
      memoryLimit: budget.memory,
      input: String(c['input']),
      values: c['values'] as Record<string, EventValue> | undefined,
      output: String(c['output']),
      error: c['error'] as SpellMarbleCase['error'],
      subscription: c['subscription'] as string | undefined,
      unsubscribe: c['unsubscribe'] as string | undefined,
      expect: c['expect'] as Record<string, EventValue> | undefined,
      ports: c['ports'] as Record<string, string> | undefined,
      deadLetters: c['dead_letters'] as string | undefined,
      deadLetterValues: c['dead_letter_values'] as SpellMarbleCase['deadLetterValues'],
      state: c['state'] as Record<string, EventValue> | undefined,
      expectState: c['expect_state'] as Record<string, EventValue> | undefined,
    };
  });
  const dir = path.dirname(file);
  const indexes = ((data['state'] as { indexes?: string[] } | undefined)?.indexes ?? []) as string[];
  return {
    spell: path.resolve(dir, String(data['spell'])),
    baseDir: dir,
    runes: data['runes'] as Record<string, EventValue> | undefined,
    stateIndexes: indexes,
    cases,
  };
}

function findKey(mapNode: unknown, key: string): { range?: [number, number, number] | null } | undefined {
  const items = (mapNode as { items?: { key?: { value?: unknown; range?: [number, number, number] } }[] })?.items;
  return items?.find((p) => p.key?.value === key)?.key;
}

export interface SpellTestFileResult {
  readonly file: string;
  readonly spell: string;
  readonly results: readonly SpellCaseResult[];
}

/** Runs every case of a spell-test file. */
export async function runSpellTestFile(file: string): Promise<SpellTestFileResult> {
  const suite = loadSpellTestFile(file);
  return runSuite(file, suite);
}

/** Runs every case of a suite. */
export async function runSuite(file: string, given: SpellMarbleSuite): Promise<SpellTestFileResult> {
  const suite = checkSuite(given);
  const spellFile = path.resolve(suite.baseDir ?? '.', suite.spell);
  const results: SpellCaseResult[] = [];
  for (const c of suite.cases)
    results.push(await runSpellCase(spellFile, suite.runes, c, { displayPath: path.relative(process.cwd(), spellFile) }, suite.stateIndexes));
  return { file, spell: suite.spell, results };
}
