/** Log lines of a run's connectors and service (sources, sinks, reloads): an interface, so the runtime need not know the logger. */

export interface RunLogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
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
