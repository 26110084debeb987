/** Byte sizes: one grammar (parseSize, the schema's SIZE_PATTERN) and one way to write them (formatBytes). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatBytes, parseDuration, parseSize, SIZE_PATTERN } from '../../src/core/units.js';
import { renderTop, scrapeOf } from '../../src/observe/index.js';
import { castAll } from '../helpers.js';

const schema = JSON.parse(readFileSync(new URL('../../schema/runeset.schema.json', import.meta.url), 'utf8')) as unknown;

/** Every `pattern` in the schema whose error message speaks of a size. */
function sizePatterns(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) sizePatterns(n, out);
  else if (node !== null && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (typeof o['pattern'] === 'string' && typeof o['patternErrorMessage'] === 'string' && /\bsize\b/.test(o['patternErrorMessage'])) out.push(o['pattern']);
    for (const v of Object.values(o)) sizePatterns(v, out);
  }
  return out;
}

const SAMPLES = [
  '65536',
  '0',
  '512KiB',
  '64MiB',
  '1GiB',
  '3KB',
  '2MB',
  '1GB',
  '10B',
  '64mb',
  '64mib',
  '64 MiB',
  '64 mb',
  '1gIb',
  '8b',
  '',
  'MiB',
  '64  MiB',
  ' 64MiB',
  '64MiB ',
  '1.5GiB',
  '-1KiB',
  '64 megs',
  '64m',
  '64k',
  '64TiB',
  '64iB',
  '0x10',
  '1e6',
];

describe('parseSize', () => {
  it('takes integers as bytes', () => {
    expect([parseSize(65536), parseSize(0)]).toEqual([65536, 0]);
  });

  it('reads binary and decimal units, in any case, and a bare number as bytes', () => {
    expect(['512KiB', '64MiB', '1GiB', '3KB', '2MB', '1GB', '10B', '64mb', '64mib', '1gIb', '65536'].map(parseSize)).toEqual([
      512 * 1024,
      64 * 1024 ** 2,
      1024 ** 3,
      3000,
      2_000_000,
      1_000_000_000,
      10,
      64_000_000,
      64 * 1024 ** 2,
      1024 ** 3,
      65536,
    ]);
  });

  it('allows one space before the unit', () => {
    expect([parseSize('64 MiB'), parseSize('64 mb')]).toEqual([64 * 1024 ** 2, 64_000_000]);
  });

  it('rejects anything else', () => {
    const bad = ['64  MiB', ' 64MiB', '1.5GiB', '-1KiB', '64 megs', '64m', '64TiB', '0x10', '1e6', '9007199254740993GiB'];
    expect([...bad.map(parseSize), parseSize(1.5), parseSize(-1), parseSize(null), parseSize(Number.MAX_SAFE_INTEGER + 2)]).toEqual(
      Array(bad.length + 4).fill(undefined),
    );
  });

  it('is the grammar of the runeset schema: every size pattern there is SIZE_PATTERN, and it accepts what parseSize reads', () => {
    const patterns = sizePatterns(schema);
    expect(patterns.length).toBeGreaterThanOrEqual(2); // budget.memory and max_body
    expect(new Set(patterns)).toEqual(new Set([SIZE_PATTERN]));
    const re = new RegExp(SIZE_PATTERN);
    expect(SAMPLES.map((s) => [s, re.test(s)])).toEqual(SAMPLES.map((s) => [s, parseSize(s) !== undefined]));
  });
});

describe('formatBytes', () => {
  it('writes a whole number of the largest binary unit reached, else one decimal', () => {
    expect([0, 512, 1024, 65536, 51_200, 51_500, 8 * 1024 ** 2, 1536 * 1024, 1024 ** 3, 3 * 1024 ** 3 + 1].map(formatBytes)).toEqual([
      '0 B',
      '512 B',
      '1 KiB',
      '64 KiB',
      '50 KiB',
      '50.3 KiB',
      '8 MiB',
      '1.5 MiB',
      '1 GiB',
      '3.0 GiB',
    ]);
  });

  it('writes what parseSize reads back, for whole numbers of a unit', () => {
    for (const n of [0, 512, 65536, 64 * 1024 ** 2, 960 * 1024 ** 2, 2 * 1024 ** 3]) expect(parseSize(formatBytes(n))).toBe(n);
  });

  it('is what sanctum top and a memory error print for the same size', async () => {
    // 1.5 MiB: the caster printed '1536 KiB' and top '1.5MiB' before they shared formatBytes.
    const cap = 1536 * 1024;
    const view = renderTop(undefined, scrapeOf(`sanctum_spell_events_in_total{spell="s"} 1\nsanctum_spell_lua_memory_bytes{spell="s"} ${cap}\n`, 0));
    expect(view).toMatch(/^s\s.*\s1\.5 MiB$/m);
    const r = await castAll('local s = {} function s.cast(e) local t = {} for i = 1, 1e8 do t[i] = string.rep("x", 64) .. i end end return s', [{}], {
      memoryLimit: cap,
      instructionBudget: 1e9,
    });
    expect(r.dead[0]!.error.luaMessage).toBe(`not enough memory (the cap is ${formatBytes(cap)})`);
    expect(formatBytes(cap)).toBe('1.5 MiB');
  });
});

describe('parseDuration', () => {
  it('reads the durations of the runeset (tick, max_age) and of --tick alike, in ms', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('12h')).toBe(43_200_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('90')).toBe(90_000); // a bare number is seconds
    expect(parseDuration(90)).toBe(90_000);
  });

  it('refuses what the runeset schema refuses', () => {
    const schema = JSON.parse(readFileSync(new URL('../../schema/runeset.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    const pattern = new RegExp(
      JSON.stringify(schema)
        .match(/"tick":\{"description":"[^"]*","anyOf":\[\{"type":\["integer","string"\],"pattern":"([^"]+)"/)![1]!
        .replace(/\\\\/g, '\\'),
    );
    for (const text of ['1.5s', '5 m', '10w', '-1s', 'soon', '', 'ms']) {
      expect(parseDuration(text), text).toBeUndefined();
      expect(pattern.test(text), text).toBe(false);
    }
    for (const text of ['250ms', '1s', '5m', '2h', '1d', '30']) expect(pattern.test(text) && parseDuration(text) !== undefined, text).toBe(true);
  });
});
