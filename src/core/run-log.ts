/** Log lines of a run's connectors and service (sources, sinks, reloads): an interface, so the runtime need not know the logger. */

/**
 * The log levels, least severe first: of a spell's `log.*` lines, a run's lines, the runeset's
 * `log_level` (its schema enum is this list, test/runes/schema.test.ts checks) and `--log-level`.
 */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** How the run's log is written: `auto` (pretty on a terminal, else JSON), `json` or `pretty`; the runeset's `log_format`. */
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface RunLogEntry {
  readonly level: LogLevel;
  readonly message: string;
  /** A stable error code (ERROR_CODES), when the line is about a failure: lines are rate-limited by it. */
  readonly code?: string;
  /** The source or sink the line is about. */
  readonly source?: string;
  readonly sink?: string;
  /** More fields for machines (a status, a line number, a URL). */
  readonly fields?: Readonly<Record<string, unknown>>;
}

/** Where a run's log lines go. */
export type RunLogger = (entry: RunLogEntry) => void;
