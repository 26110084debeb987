/** The vitest face of the spell regression harness: one call turns a suite into tests. */
import path from 'node:path';
import { describe, it } from 'vitest';
import { loadSpellTestFile } from './spell-test-file.js';
import { checkSuite, runSpellCase, type SpellMarbleSuite } from './marbles.js';

/**
 * Registers one vitest test per case of a spell suite: a YAML spell-test file, or a suite object.
 *
 * @example
 * // marble-tests/counting-loop.test.ts
 * import { spellTests } from 'sanctum-streams/testing';
 * spellTests('spells/counting-loop.test.yaml');
 */
export function spellTests(suiteOrFile: string | SpellMarbleSuite): void {
  const suite = typeof suiteOrFile === 'string' ? loadSpellTestFile(suiteOrFile) : checkSuite(suiteOrFile);
  const spellFile = path.resolve(suite.baseDir ?? '.', suite.spell);
  describe(`spell ${path.relative(process.cwd(), spellFile)}`, () => {
    for (const c of suite.cases) {
      it(c.name, async () => {
        const result = await runSpellCase(spellFile, suite.runes, c, { displayPath: path.relative(process.cwd(), spellFile) }, suite.stateIndexes);
        if (!result.passed) throw new Error(`${c.name}\n${result.failures.join('\n')}`);
      });
    }
  });
}
