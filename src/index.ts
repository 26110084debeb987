/** Sanctum's public API: summon spells, compose them with RxJS, load and run runesets. */
export { summon, summonSource, ERROR_POLICIES, DEFAULT_INSTRUCTION_BUDGET, DEFAULT_MEMORY_LIMIT, stderrLogger } from './spellcraft/spell.js';
export type { Spell, SummonOptions, CastOptions, ErrorPolicy, RoutedOutput, SpellStats } from './spellcraft/spell.js';
export type { SpellCaster, SpellLogEntry, SpellLogger, EmitSink, HostFunction, SpellLibraries, CasterOptions } from './spellcraft/caster.js';
export { SpellError, deadLetterToJSON } from './spellcraft/errors.js';
export type { DeadLetter, SpellHook, SpellErrorFields } from './spellcraft/errors.js';
export { SanctumError, ERROR_CODES } from './core/errors.js';
export type { ErrorCode } from './core/errors.js';
export { DEFAULT_PORT } from './core/event.js';
export type { EventValue, SanctumEvent } from './core/event.js';
export { loadRuneset, loadRunesetOrThrow, RunesetError, formatDiagnostic } from './runes/index.js';
export type { Runeset, RunesetDiagnostic, LoadRunesetOptions, RunesetLoadResult } from './runes/index.js';
export { openRuneset, summonSpells } from './runtime/run.js';
export type { OpenedRuneset, RunOptions, RunReport } from './runtime/run.js';
export { StreamGraph, DEAD_LETTERS } from './runtime/graph.js';
export type { SpellProbes, CastTimer } from './spellcraft/spell.js';
export type { DurableMetrics } from './core/metrics.js';
export { createLogger, createRunLog, startObservatory, SanctumMetrics, TapHub, parseListen, renderTop, DEFAULT_LISTEN } from './observe/index.js';
export type { RunLog, RunLogOptions, Observatory, ObservatoryOptions, SanctumMetricsOptions, LogFormat, LogLevel as ObserveLogLevel } from './observe/index.js';
