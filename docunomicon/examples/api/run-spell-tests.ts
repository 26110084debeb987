// run-spell-tests.ts: run a spell-test file from a script, without vitest's runner.
import { runSpellTestFile } from 'sanctum-streams/testing';

export async function main() {
  const { results } = await runSpellTestFile('examples/dedup.test.yaml');
  return results.map((r) => `${r.passed ? '✓' : '✗'} ${r.name}`);
}
