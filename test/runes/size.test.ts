/** Sizes in a runeset read as the CLI reads them: one grammar (core/units.ts parseSize) for `budget.memory` and `--memory`. */
import { afterAll, describe, expect, it } from 'vitest';
import { parseSizeOption } from '../../src/cli/options.js';
import { load, removeTempDirs } from './helpers.js';

afterAll(removeTempDirs);

const SPELL = { 's.lua': 'return { cast = function(e, emit) emit(e) end }\n' };
const withMemory = (memory: string) => `version: 1
streams: {}
spells:
  s:
    file: s.lua
    budget: { memory: "${memory}" }
`;

/** What the runeset makes of a memory budget: its bytes, or the codes of its diagnostics. */
async function runesetMemory(memory: string): Promise<number | string[]> {
  const r = await load(withMemory(memory), SPELL);
  return r.runeset ? r.runeset.spells['s']!.budget.memory : r.diagnostics.map((d) => d.code);
}

/** What `sanctum cast --memory` makes of it: its bytes, or that it refused it. */
function cliMemory(memory: string): number | string[] {
  try {
    return parseSizeOption(memory);
  } catch {
    return ['RUNESET_BAD_VALUE'];
  }
}

describe('sizes in the runeset and on the command line', () => {
  it('the runeset takes 64mb, like --memory', async () => {
    expect(await runesetMemory('64mb')).toBe(64_000_000);
    expect(cliMemory('64mb')).toBe(64_000_000);
  });

  it('both read the same bytes from the same text, and refuse the same text', async () => {
    const sizes = ['64MiB', '64mib', '64 MiB', '512KiB', '1GB', '65536', '256kib', '1.5GiB', '64m', '64 megs', '64  MiB'];
    const runeset = await Promise.all(sizes.map(runesetMemory));
    expect(runeset.slice(0, 7)).toEqual([64 * 1024 ** 2, 64 * 1024 ** 2, 64 * 1024 ** 2, 512 * 1024, 1e9, 65536, 256 * 1024]);
    expect(sizes.map((s, i) => [s, runeset[i]])).toEqual(sizes.map((s) => [s, cliMemory(s)]));
  });
});
