/**
 * Sanctum's public API: summon spells, compose them with RxJS, load and run runesets over a storage
 * of your choice, observe the run. What a user composes with, nothing else: the CLI's helpers and the
 * runtime's internals (the stream graph, the tap hub, `sanctum top`) are not here, and
 * test/package/api-surface.test.ts fails when something is added by accident.
 */

// Spells: summon one, use it as an RxJS operator or drive its caster.
export { summon, summonSource, ERROR_POLICIES, DEFAULT_INSTRUCTION_BUDGET, DEFAULT_MEMORY_LIMIT, stderrLogger } from './spellcraft/spell.js';
export type { Spell, SummonOptions, CastOptions, ErrorPolicy, RoutedOutput, SpellStats, SpellStateProvider, SpellStateSession } from './spellcraft/spell.js';
export { spellState } from './runtime/spell-state.js';
export type { SpellStateOptions } from './runtime/spell-state.js';
export type { SpellCaster, SpellLogEntry, SpellLogger, EmitSink, HostFunction, SpellLibraries, CasterOptions } from './spellcraft/caster.js';
export { castParallel, DEFAULT_BATCH_SIZE } from './parallel/index.js';
export type { ParallelOptions, Transport } from './parallel/index.js';

// Errors are data: a stable code, the fields a user needs.
export { SanctumError, ERROR_CODES } from './core/errors.js';
export type { ErrorCode } from './core/errors.js';
export { SpellError, CallbackError, deadLetterToJSON } from './spellcraft/errors.js';
export type { DeadLetter, SpellHook, SpellErrorFields, CallbackErrorFields, OperatorCallback } from './spellcraft/errors.js';

// Events and time.
export { DEFAULT_PORT, DEAD_LETTERS } from './core/event.js';
export type { EventValue, SanctumEvent } from './core/event.js';
export { schedulerClock, systemClock } from './core/clock.js';
export type { Clock, TimerQueue } from './core/clock.js';

// Runesets: load and check one, open and run it.
export { loadRuneset, loadRunesetOrThrow, RunesetError, formatDiagnostic } from './runes/index.js';
export type { Runeset, RunesetDiagnostic, LoadRunesetOptions, RunesetLoadResult } from './runes/index.js';
export { openRuneset, summonSpells } from './runtime/run.js';
export type { OpenedRuneset, OpenOptions, RunOptions, RunReport, PipelineFailure, RunStatus, ReloadResult, DeadLetterHook } from './runtime/run.js';
export { registerDestination } from './runtime/sinks.js';
export type { DestinationFactory, SinkDestination, SinkBatchMeta, SinkWriteResult, SinkStats, SinkContext } from './runtime/sinks.js';
export type { RunLogEntry, RunLogger, LogLevel, LogFormat } from './core/run-log.js';

// Storage: the port `openRuneset({ storage })` takes, and its two adapters.
export { openSqliteStorage, openMemoryStorage, StorageError, isStorageError } from './storage/index.js';
export type {
  Storage,
  SqliteStorage,
  SqliteStorageOptions,
  MemoryStorageOptions,
  Synchronous,
  StorageErrorCode,
  StorageErrorFields,
  StorageOperation,
  EventLog,
  StateStore,
  TimerStore,
  Offsets,
  StoredEvent,
  AppendItem,
  AppendResult,
  StreamInfo,
  TailOptions,
  RetentionPolicy,
  StateEntry,
  RangeOptions,
  IndexValue,
  QueryOptions,
  NamespaceInfo,
  TimerEntry,
  OffsetEntry,
  StateChange,
  TimerChange,
  StreamAppend,
  ConsumerPosition,
  CommitBatch,
  CommitResult,
} from './storage/index.js';

// Observing a run: its log, its metrics and the HTTP observatory (/metrics, /tap, /healthz).
export { createRunLog, startObservatory, SanctumMetrics } from './observe/index.js';
export type { RunLog, RunLogOptions, Observatory, ObservatoryOptions, SanctumMetricsOptions } from './observe/index.js';
export type { DurableMetrics } from './core/metrics.js';
