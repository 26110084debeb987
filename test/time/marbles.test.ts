/** Time in marble tests: a spell's hooks of time in a spell test, and a runeset's pipelines in a runeset test, on virtual time. */
import { describe, expect, it } from 'vitest';
import { runRunesetTestFile, spellTests } from '../../src/testing.js';

spellTests('test/time/fixtures/clock.test.yaml');
spellTests('test/time/fixtures/fragile-count.test.yaml');

describe('runeset tests in virtual time', () => {
  it('test/time/fixtures/time.test.yaml passes: timer outputs through later steps, ticks at their instants', async () => {
    const r = await runRunesetTestFile('test/time/fixtures/time.test.yaml');
    expect(r.results.filter((c) => !c.passed).map((c) => `${c.name}\n${c.failures.join('\n')}`)).toEqual([]);
  });
});
