/** Hostile YAML: alias bombs, aliases that loop, and deep nesting are diagnostics with file:line, never a hang or a stack trace. */
import { afterAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { MAX_DEPTH } from '../../src/core/limits.js';
import { MAX_EXPANDED_VALUES } from '../../src/runes/source.js';
import { PASS_SPELL, brief, load, removeTempDirs, writeRuneset } from './helpers.js';
import { sanctum } from '../cli/run-cli.js';

afterAll(removeTempDirs);

/** A runeset whose spell takes `runes` as written (the one place any value is allowed). */
const withRunes = (runes: string) => `version: 1
streams:
  a:
spells:
  p:
    file: pass.lua
    runes:
${runes}
pipelines:
  q: { from: a, steps: [p] }
`;
const SPELL = { 'pass.lua': PASS_SPELL };

/** Billion laughs: each level aliases the one before nine times. */
const laughs = (levels: number) =>
  Array.from({ length: levels }, (_, i) => {
    const name = String.fromCharCode(97 + i);
    const items = i === 0 ? Array(9).fill('"lol"') : Array(9).fill(`*${String.fromCharCode(96 + i)}`);
    return `      ${name}: &${name} [${items.join(', ')}]`;
  }).join('\n');

describe('runesets and YAML aliases', () => {
  it('refuses a "billion laughs" bomb at the value that first expands too far (RUNESET_ALIAS), at once', async () => {
    const started = Date.now();
    const r = await load(withRunes(laughs(9)), SPELL);
    expect(r.runeset).toBeUndefined();
    expect(brief(r)).toEqual([`13:13 RUNESET_ALIAS through its aliases this value expands to more than 100,000 values (597,871), a "billion laughs" bomb`]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("keeps a runeset whose aliases expand it within the limit, beyond the YAML library's own alias-count guess", async () => {
    // 5 levels: 9^5 = 59,049 strings, fewer than MAX_EXPANDED_VALUES; the library's maxAliasCount (100) would refuse it.
    expect(9 ** 5).toBeLessThan(MAX_EXPANDED_VALUES);
    const r = await load(withRunes(laughs(5)), SPELL, { checkSpells: false });
    expect(r.diagnostics.filter((d) => d.severity !== 'warning')).toEqual([]);
    expect(JSON.stringify(r.runeset!.spells['p']!.runes['e']).match(/lol/g)).toHaveLength(9 ** 5);
  });

  it('refuses an alias inside the value it refers to (a value that contains itself), wherever it is', async () => {
    const inRunes = await load(withRunes('      x: &r\n        y: [1, *r]'), SPELL);
    expect(brief(inRunes)).toEqual(['9:16 RUNESET_ALIAS the alias *r is inside the value it refers to: that value would contain itself without end']);
    const wholeRunes = await load(withRunes('      &r { x: *r }').replace('    runes:\n      &r', '    runes: &r'), SPELL);
    expect(brief(wholeRunes)).toEqual(['7:20 RUNESET_ALIAS the alias *r is inside the value it refers to: that value would contain itself without end']);
    const inStreams = await load('version: 1\nstreams: &s\n  x: *s\n');
    expect(brief(inStreams)).toEqual(['3:6 RUNESET_ALIAS the alias *s is inside the value it refers to: that value would contain itself without end']);
  });

  it('refuses an alias with no anchor before it, which the YAML library would throw on', async () => {
    const r = await load('version: 1\nstreams:\n  a: *nope\n  b: &later {}\n  c: *later\n');
    expect(brief(r)).toEqual(['3:6 RUNESET_ALIAS the alias *nope has no anchor &nope before it']);
  });

  it('keeps ordinary aliases, anchors redefined later included', async () => {
    const r = await load(withRunes('      base: &b { limit: 5, tags: [a, b] }\n      copy: *b\n      again: &b 7\n      seven: *b'), SPELL, {
      checkSpells: false,
    });
    expect(r.diagnostics.filter((d) => d.severity !== 'warning')).toEqual([]);
    expect(r.runeset!.spells['p']!.runes).toEqual({ base: { limit: 5, tags: ['a', 'b'] }, copy: { limit: 5, tags: ['a', 'b'] }, again: 7, seven: 7 });
  });
});

describe('runesets nested too deeply', () => {
  // The root mapping is level 1, `runes` level 4 (runeset → spells → p → runes).
  const flow = (depth: number) => withRunes(`      x: ${'['.repeat(depth)}${']'.repeat(depth)}`);

  it(`refuses lists and mappings nested deeper than ${MAX_DEPTH} levels (RUNESET_TOO_DEEP), at the first level too many`, async () => {
    const ok = await load(flow(MAX_DEPTH - 4), SPELL, { checkSpells: false });
    expect(ok.diagnostics.filter((d) => d.severity !== 'warning')).toEqual([]);
    const r = await load(flow(MAX_DEPTH - 3), SPELL);
    expect(brief(r)).toEqual([`8:${10 + MAX_DEPTH - 4} RUNESET_TOO_DEEP the runeset nests lists and mappings deeper than ${MAX_DEPTH} levels here`]);
  });

  it('refuses 100,000 levels of flow lists, block lists on one line, and 3,000 of indented mappings, at once and without a stack overflow', async () => {
    const started = Date.now();
    // Nesting the tokens show is found before the YAML parser runs (it slows down with depth): at the 201st `[`.
    const r = await load(flow(100_000), SPELL);
    expect(brief(r)).toEqual([`8:${10 + MAX_DEPTH} RUNESET_TOO_DEEP the runeset nests lists and mappings deeper than ${MAX_DEPTH} levels here`]);
    const compact = await load(withRunes(`      x:\n        ${'- '.repeat(100_000)}1`), SPELL);
    expect(brief(compact)).toEqual([`9:${9 + 2 * MAX_DEPTH} RUNESET_TOO_DEEP the runeset nests lists and mappings deeper than ${MAX_DEPTH} levels here`]);
    expect(Date.now() - started).toBeLessThan(5_000);
    const block = `version: 1\nstreams:\n${Array.from({ length: 3000 }, (_, i) => `${' '.repeat(2 * i + 2)}k${i}:`).join('\n')}\n`;
    const b = await load(block);
    expect(brief(b)).toEqual([
      `${MAX_DEPTH + 2}:${2 * MAX_DEPTH + 1} RUNESET_TOO_DEEP the runeset nests lists and mappings deeper than ${MAX_DEPTH} levels here`,
    ]);
  });

  it('refuses nesting made too deep through an alias, at the alias', async () => {
    const r = await load(withRunes(`      x: &d ${'['.repeat(150)}${']'.repeat(150)}\n      y: ${'['.repeat(100)}*d${']'.repeat(100)}`), SPELL);
    expect(brief(r)).toEqual([`9:110 RUNESET_TOO_DEEP through the alias *d, the runeset nests lists and mappings deeper than ${MAX_DEPTH} levels`]);
  });
});

describe('sanctum check on hostile YAML', () => {
  const cases: [string, string, RegExp][] = [
    ['a billion laughs bomb', withRunes(laughs(9)), /^runeset\.yaml:13:13: through its aliases this value expands to more than 100,000 values/],
    ['a self-referential anchor', withRunes('      x: &r\n        y: *r'), /^runeset\.yaml:9:12: the alias \*r is inside the value it refers to/],
    [
      '100,000 nested lists',
      withRunes(`      x: ${'['.repeat(100_000)}${']'.repeat(100_000)}`),
      /^runeset\.yaml:8:210: the runeset nests lists and mappings deeper than 200 levels here/,
    ],
    ['an alias without an anchor', 'version: 1\nstreams:\n  a: *nope\n', /^runeset\.yaml:3:6: the alias \*nope has no anchor &nope before it/],
  ];
  it.each(cases)('reports %s with file:line and exits 2, without a stack trace', async (_, yaml, message) => {
    const file = writeRuneset(yaml, SPELL);
    const r = await sanctum(['check', 'runeset.yaml'], { cwd: path.dirname(file) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr).toContain('runeset.yaml: 1 error');
  });
});
