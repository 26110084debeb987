import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { runRunesetTestFile, runSpellTestFile } from '../src/testing.js';

describe('the bundled spells', () => {
  it('every spell in spells/ has a spell test next to it', () => {
    const files = readdirSync('spells');
    const missing = files.filter((f) => f.endsWith('.lua') && !files.includes(f.replace(/\.lua$/, '.test.yaml')));
    expect(missing).toEqual([]);
  });
});

describe('the bundled tests', () => {
  // Every spell test and runeset test in spells/ runs in npm test: the demo's runeset test included.
  const files = readdirSync('spells').filter((f) => f.endsWith('.test.yaml'));
  it('are found', () => expect(files).toContain('demo.test.yaml'));
  for (const f of files) {
    it(`spells/${f} passes`, async () => {
      const text = readFileSync(`spells/${f}`, 'utf8');
      const results = /^runeset:/m.test(text) ? (await runRunesetTestFile(`spells/${f}`)).results : (await runSpellTestFile(`spells/${f}`)).results;
      expect(results.length).toBeGreaterThan(0);
      expect(results.filter((r) => !r.passed).map((r) => `${r.name}: ${r.failures.join('; ')}`)).toEqual([]);
    });
  }
});
