/**
 * The run's log: pino, JSON for machines or pretty for people, on stderr. Spell lines (`print`,
 * `log.*`) and dead letters go through it with their spell, file and line; the kinds that can
 * repeat once per event are rate-limited (see rate-limit.ts).
 */
import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import type PinoPrettyModule from 'pino-pretty';
import type { LogFormat, LogLevel, RunLogEntry } from '../core/run-log.js';
import { RateLimiter, type RateLimitOptions } from './rate-limit.js';

export type { LogFormat, LogLevel } from '../core/run-log.js';
export type { Logger } from 'pino';

/** Where log lines go: a stream, or stderr when none is given. */
export type LogDestination = NodeJS.WritableStream & { isTTY?: boolean };

export interface LoggerOptions {
  readonly level: LogLevel;
  /** Default `auto`: pretty when the destination is a terminal, JSON otherwise. */
  readonly format?: LogFormat;
  /** Default: stderr, written synchronously (a crash loses no line). */
  readonly destination?: LogDestination;
}

/** A line a spell logged (the shape of `SpellLogEntry`). */
export interface SpellLogLine {
  readonly spell: string;
  readonly level: LogLevel;
  readonly message: string;
  readonly fields?: unknown;
  readonly file?: string;
  readonly line?: number;
}

/** A failed event (the shape of `DeadLetter`). */
export interface DeadLetterLine {
  readonly error: {
    readonly code: string;
    readonly spell: string;
    readonly file: string;
    readonly line?: number;
    readonly luaMessage: string;
    readonly sourceLine?: string;
    readonly traceback?: string;
    readonly hook: string;
  };
}

/** The format `auto` stands for on this destination. */
export function resolveFormat(format: LogFormat | undefined, destination: LogDestination = process.stderr): 'json' | 'pretty' {
  if (format === 'json' || format === 'pretty') return format;
  return destination.isTTY ? 'pretty' : 'json';
}

/**
 * A pino logger for a run. JSON lines carry `level` as a word, `time` as ISO 8601 and the process id.
 *
 * @example
 * const log = createLogger({ level: 'info', format: 'json' });
 * log.child({ spell: 'enrich' }).info({ file: 'enrich.lua', line: 4 }, 'hello');
 * // {"level":"info","time":"…","pid":42,"spell":"enrich","file":"enrich.lua","line":4,"msg":"hello"}
 */
export function createLogger(options: LoggerOptions): Logger {
  const format = resolveFormat(options.format, options.destination);
  const base = { level: options.level, base: { pid: process.pid } };
  if (format === 'pretty') {
    // Loaded when used: a run that logs JSON (not on a terminal) does not pay for it.
    const PinoPretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPrettyModule;
    const pretty = PinoPretty({
      destination: options.destination ?? 2,
      sync: true,
      colorize: Boolean((options.destination ?? process.stderr).isTTY),
      translateTime: 'SYS:HH:MM:ss.l',
      singleLine: true,
      ignore: 'pid,hostname,spell,file,line',
      messageFormat: '{if spell}[{spell}] {end}{if file}{file}:{line}: {end}{msg}',
    });
    return pino(base, pretty);
  }
  return pino(
    { ...base, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } },
    options.destination ?? pino.destination({ dest: 2, sync: true }),
  );
}

export interface RunLogOptions extends LoggerOptions {
  /** How repeated lines are limited. Default: 5 of a kind per 10 s. */
  readonly rateLimit?: Omit<RateLimitOptions, 'onSummary'>;
  /** A logger to use instead of making one from the options above. */
  readonly logger?: Logger;
}

/** The log of a run and the callbacks that feed it. */
export interface RunLog {
  readonly logger: Logger;
  /** A `SpellLogger`: hand it to `openRuneset(runeset, { logger })`. */
  readonly spellLine: (entry: SpellLogLine) => void;
  /**
   * Logs a dead letter: hand it to `openRuneset(runeset, { onDeadLetter })`. `sequence` is the event's position in its
   * stream, once streams are durable.
   */
  readonly deadLetter: (deadLetter: DeadLetterLine, pipeline: string, stream: string | undefined, sequence?: number) => void;
  /** A `RunLogger` for the lines of sources, sinks and reloads: hand it to `opened.run({ log })`. */
  readonly runLine: (entry: RunLogEntry) => void;
  /** Lines left out by the rate limit so far (each also counted in a summary line). */
  readonly suppressed: () => number;
  /** Writes the pending "… N more like this" lines. */
  close(): void;
}

/**
 * Makes the log of a run. Spell lines at `warn` and `error` are limited per spell and call site,
 * dead letters per spell and error code; `debug` and `info` lines are not limited.
 *
 * @example
 * const log = createRunLog({ level: 'info' });
 * const opened = await openRuneset(runeset, { logger: log.spellLine, onDeadLetter: log.deadLetter });
 * await opened.run({ log: log.runLine });
 */
export function createRunLog(options: RunLogOptions): RunLog {
  const logger = options.logger ?? createLogger(options);
  const children = new Map<string, Logger>();
  const forSpell = (spell: string): Logger => {
    let child = children.get(spell);
    if (child === undefined) children.set(spell, (child = logger.child({ spell })));
    return child;
  };
  const limiter = new RateLimiter({
    ...options.rateLimit,
    onSummary: (fields, suppressed, seconds) => {
      const { spell, level, ...rest } = fields as { spell?: string; level: LogLevel } & Record<string, unknown>;
      (spell !== undefined ? forSpell(spell) : logger)[level]({ ...rest, suppressed }, `… ${suppressed} more like this in the last ${seconds}s`);
    },
  });

  const spellLine = (e: SpellLogLine): void => {
    const log = forSpell(e.spell);
    if (!log.isLevelEnabled(e.level)) return;
    if (
      (e.level === 'warn' || e.level === 'error') &&
      !limiter.allow(`log\0${e.spell}\0${e.level}\0${e.file}:${e.line}`, { spell: e.spell, level: e.level, file: e.file, line: e.line })
    )
      return;
    const obj: Record<string, unknown> = {};
    if (e.file !== undefined) obj['file'] = e.file;
    if (e.line !== undefined) obj['line'] = e.line;
    if (e.fields !== undefined) obj['fields'] = e.fields;
    log[e.level](obj, e.message);
  };

  const deadLetter = (dl: DeadLetterLine, pipeline: string, stream: string | undefined, sequence?: number): void => {
    const err = dl.error;
    const log = forSpell(err.spell);
    if (!log.isLevelEnabled('warn')) return;
    if (!limiter.allow(`dl\0${err.spell}\0${err.code}`, { spell: err.spell, level: 'warn', code: err.code, pipeline })) return;
    log.warn(
      {
        code: err.code,
        pipeline,
        stream: stream ?? null,
        sequence: sequence ?? null,
        hook: err.hook,
        file: err.file,
        line: err.line ?? null,
        ...(err.sourceLine !== undefined ? { source_line: err.sourceLine } : {}),
        ...(err.traceback !== undefined ? { traceback: err.traceback } : {}),
      },
      err.luaMessage,
    );
  };

  const runLine = (e: RunLogEntry): void => {
    if (!logger.isLevelEnabled(e.level)) return;
    const who = e.source !== undefined ? { source: e.source } : e.sink !== undefined ? { sink: e.sink } : {};
    // Warnings and errors can come once per request or batch (a flood of bad requests, a receiver
    // that is down): limited per source or sink and code.
    if (
      (e.level === 'warn' || e.level === 'error') &&
      !limiter.allow(`run\0${e.source ?? ''}\0${e.sink ?? ''}\0${e.level}\0${e.code ?? ''}`, {
        ...who,
        level: e.level,
        ...(e.code !== undefined ? { code: e.code } : {}),
      })
    )
      return;
    logger[e.level]({ ...who, ...(e.code !== undefined ? { code: e.code } : {}), ...e.fields }, e.message);
  };

  return { logger, spellLine, deadLetter, runLine, suppressed: () => limiter.suppressedTotal, close: () => limiter.stop() };
}
