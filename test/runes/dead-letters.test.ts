/** One dead-letters stream name (core/event.ts DEAD_LETTERS): the schema's default, the runeset's implicit stream and the run's graph agree. */
import { afterAll, describe, expect, it } from 'vitest';
import { DEAD_LETTERS } from '../../src/core/event.js';
import { DEAD_LETTERS as RUNES_DEAD_LETTERS, RUNESET_DEFAULTS } from '../../src/runes/index.js';
import { load, PASS_SPELL, removeTempDirs } from './helpers.js';

afterAll(removeTempDirs);

describe('the dead-letters stream', () => {
  it('is one name: the schema default for dead_letters, and what the runes and the runtime import', () => {
    expect(RUNESET_DEFAULTS.dead_letters).toBe(DEAD_LETTERS);
    expect(RUNES_DEAD_LETTERS).toBe(DEAD_LETTERS);
  });

  it('a runeset that declares no dead-letters stream has it, and its pipelines send failures there', async () => {
    const r = await load(
      `version: 1
streams: { a: {}, b: {} }
spells: { s: { file: s.lua } }
pipelines:
  p: { from: a, to: b, steps: [s] }
`,
      { 's.lua': PASS_SPELL },
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.runeset!.streams[DEAD_LETTERS]).toEqual({ name: DEAD_LETTERS, implicit: true, durable: false });
    expect(r.runeset!.pipelines['p']!.dead_letters).toBe(DEAD_LETTERS);
  });
});
