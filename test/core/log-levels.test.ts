/** One list of log levels and formats (core/run-log.ts): the runeset schema, the CLI and every log line's type use it. */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel, type RunLogEntry } from '../../src/core/run-log.js';
import type { LoggerOptions, SpellLogLine } from '../../src/observe/index.js';
import { RUNESET_SCHEMA } from '../../src/runes/index.js';
import type { Runeset } from '../../src/runes/index.js';
import type { SanctumRunes } from '../../src/runes/types.js';
import type { SpellLogEntry } from '../../src/spellcraft/caster.js';

describe('log levels', () => {
  it('the runeset schema allows exactly LOG_LEVELS and LOG_FORMATS', () => {
    const runes = RUNESET_SCHEMA.definitions?.['SanctumRunes']?.properties;
    expect(runes?.['log_level']?.enum).toEqual(LOG_LEVELS);
    expect(runes?.['log_format']?.enum).toEqual(LOG_FORMATS);
  });

  it('sanctum run --log-level offers exactly LOG_LEVELS', async () => {
    const run = (await buildProgram()).commands.find((c) => c.name() === 'run')!;
    expect(run.options.find((o) => o.long === '--log-level')?.argChoices).toEqual(LOG_LEVELS);
  });

  it('every log line, the logger and the runeset use the one type (checked by tsc)', () => {
    expectTypeOf<SpellLogEntry['level']>().toEqualTypeOf<LogLevel>();
    expectTypeOf<RunLogEntry['level']>().toEqualTypeOf<LogLevel>();
    expectTypeOf<SpellLogLine['level']>().toEqualTypeOf<LogLevel>();
    expectTypeOf<LoggerOptions['level']>().toEqualTypeOf<LogLevel>();
    expectTypeOf<Runeset['sanctum']['log_level']>().toEqualTypeOf<LogLevel>();
    expectTypeOf<NonNullable<SanctumRunes['log_level']>>().toEqualTypeOf<LogLevel>();
    expectTypeOf<NonNullable<SanctumRunes['log_format']>>().toEqualTypeOf<LogFormat>();
  });
});
