/** Sanctum's testing entry point (`sanctum-streams/testing`): marble tests for spells. Needs vitest for spellTests. */
export { spellTests } from './testing/vitest.js';
export { runSpellCase, runCaseOn } from './testing/marbles.js';
export { INPUT_ERROR_MESSAGE, SpellSuiteError } from './testing/marbles.js';
export type { SpellMarbleCase, SpellMarbleSuite, SpellCaseResult, DeadLetterMatch, ErrorMatch } from './testing/marbles.js';
export { loadSpellTestFile, runSpellTestFile, runSuite, SpellTestFileError } from './testing/spell-test-file.js';
export type { SpellTestFileResult } from './testing/spell-test-file.js';
export { runRunesetTestFile, runRunesetCase } from './testing/runeset-test.js';
export type { RunesetTestCase, RunesetTestResult } from './testing/runeset-test.js';
