/** Runesets: load, check and normalize the YAML file of runes that declares a Sanctum deployment. */
export { loadRuneset, loadRunesetOrThrow } from './load.js';
export type { LoadRunesetOptions, RunesetLoadResult } from './load.js';
export { RunesetError, formatDiagnostic } from './diagnostics.js';
export type { RunesetDiagnostic, DiagnosticSeverity } from './diagnostics.js';
export { RUNESET_SCHEMA, RUNESET_SCHEMA_URL, RUNESET_DEFAULTS } from './schema.js';
export { DEAD_LETTERS } from '../core/event.js';
export { parseSize } from '../core/units.js';
export { expandEnv } from './env.js';
export type { EnvMap } from './env.js';
export type {
  Runeset,
  RunesetPath,
  RunesetStream,
  RunesetSpell,
  RunesetSource,
  RunesetSink,
  RunesetStep,
  RunesetPipeline,
  LogLevel,
  OnError,
} from './runeset.js';
export type * from './types.js';
