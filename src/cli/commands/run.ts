/** `sanctum run <runeset>`: run every pipeline until the sources end, or until SIGINT/SIGTERM; SIGHUP (and `--watch`) reloads the spells. */
import { takeHeldSignal } from '../early-signals.js';
import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { OpenedRuneset } from '../../runtime/run.js';
import { SanctumError } from '../../core/errors.js';
import { LOG_LEVELS, type LogLevel } from '../../core/run-log.js';
import type { Observatory, RunLog } from '../../observe/index.js';
import { DEFAULT_LISTEN, parseListen } from '../../observe/address.js';
import { EXIT } from '../exit-codes.js';

interface RunFlags {
  logLevel?: LogLevel;
  logFormat?: 'auto' | 'json' | 'pretty';
  metrics?: string | true;
  quiet?: boolean;
  watch?: boolean;
}

function parseMetricsAddress(arg: string): string {
  const parsed = parseListen(arg);
  if ('error' in parsed) throw new InvalidArgumentError(parsed.error);
  return arg;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('Run a runeset: every pipeline, until its sources end (or forever for live ones).')
    .argument('<runeset>', 'the runeset file (.yaml)')
    .addOption(new Option('--log-level <level>', 'the least severe log line to print (overrides the runeset)').choices(LOG_LEVELS))
    .addOption(
      new Option('--log-format <format>', 'log lines as JSON, pretty, or auto: pretty on a terminal (overrides the runeset)').choices([
        'auto',
        'json',
        'pretty',
      ]),
    )
    .addOption(
      new Option(
        '--metrics [address]',
        `serve /metrics (Prometheus) and /tap on host:port, :port or port (host 127.0.0.1); alone: ${DEFAULT_LISTEN} (overrides the runeset)`,
      ).argParser(parseMetricsAddress),
    )
    .option('-q, --quiet', 'no summary line at the end')
    .option('-w, --watch', 'reload when the runeset or a spell file changes (as SIGHUP does)')
    .addHelpText(
      'after',
      "\nOn SIGINT or SIGTERM it stops reading input (HTTP sources answer 503), lets in-flight events finish, runs the\nspells' finish hooks, flushes the sinks and exits 0. A second signal exits at once (130). On SIGHUP it checks the\nruneset again and, if it is valid and only spells changed, swaps the new spells in between batches (state and\npositions stay); otherwise the running version goes on and the log says why.\nTime: a spell with a tick rune ticks every interval while the run goes on, and its due timers fire between\nbatches (the clock wakes an idle pipeline for them). A graceful stop (the input ended, SIGINT or SIGTERM) ticks\neach spell once more and fires the timers due by then before its finish hook; later timers stay in the data file\nfor the next run.\nExit codes: 0 the run ended and every failure went where the runeset sends it (a dead-letter stream it declares);\n1 a pipeline stopped on an error, or failures had no home (dead letters on the undeclared dead-letters stream,\nunreadable input, a missing source, a sink that failed); 2 the runeset is invalid.\n",
    )
    .action(async (file: string, flags: RunFlags) => {
      process.exitCode = await run(file, flags);
    });
}

/**
 * Runs the runeset. SIGINT and SIGTERM are taken from the start: one that arrives while the runeset
 * loads or opens stops the run as soon as it is open (it reads nothing more, commits, exits 0).
 */
async function run(file: string, flags: RunFlags): Promise<number> {
  const stop = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals > 1) process.exit(EXIT.INTERRUPTED);
    process.stderr.write(`\nsanctum: ${sig}: stopping input, finishing in-flight events… (again to exit at once)\n`);
    stop.abort();
  };
  const signalNames: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  for (const s of signalNames) process.on(s, onSignal);
  const held = takeHeldSignal(); // one that came while the CLI loaded
  if (held) onSignal(held);
  try {
    return await runUntil(file, flags, stop);
  } finally {
    for (const s of signalNames) process.off(s, onSignal);
  }
}

async function runUntil(file: string, flags: RunFlags, stop: AbortController): Promise<number> {
  // Loaded here, not at the top: `sanctum --help` and the other commands do not pay for them.
  const [{ loadRuneset, formatDiagnostic }, { openRuneset }, { createRunLog }] = await Promise.all([
    import('../../runes/index.js'),
    import('../../runtime/run.js'),
    import('../../observe/logger.js'),
  ]);
  const { runeset, diagnostics } = await loadRuneset(file);
  for (const d of diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  if (!runeset) return EXIT.INVALID;
  const level = flags.logLevel ?? runeset.sanctum.log_level;
  const log = createRunLog({ level, format: flags.logFormat ?? runeset.sanctum.log_format ?? 'auto' });
  let opened;
  try {
    opened = await openRuneset(runeset, { logger: log.spellLine, onDeadLetter: log.deadLetter });
  } catch (e) {
    log.close();
    // A spell that does not summon, a foreign or damaged data file: a message, not a stack trace.
    if (!(e instanceof SanctumError) && !(e as { code?: string }).code?.startsWith?.('STORAGE_')) throw e;
    process.stderr.write(`sanctum: ${(e as Error).message}\n`);
    return EXIT.INVALID;
  }
  const metricsRunes = runeset.sanctum.metrics;
  const listen = flags.metrics === true ? (metricsRunes?.listen ?? DEFAULT_LISTEN) : (flags.metrics ?? metricsRunes?.listen);
  let observatory: Observatory | undefined;
  if (listen !== undefined) {
    try {
      // The metrics (prom-client) load only when a run serves them.
      const { startObservatory } = await import('../../observe/observatory.js');
      observatory = await startObservatory(opened, {
        listen,
        castSample: metricsRunes?.cast_sample,
        tap: metricsRunes?.tap,
        ...(metricsRunes ? { readyLag: metricsRunes.ready_lag } : {}),
        about: { sanctum: 'run', runeset: runeset.file, pid: process.pid },
      });
    } catch (e) {
      log.close();
      process.stderr.write(`sanctum: ${(e as Error).message}\n`);
      return EXIT.INVALID;
    }
    const url = observatory.url;
    log.logger.info(
      { url, metrics: `${url}/metrics`, tap: observatory.taps ? `${url}/tap` : null },
      `serving metrics at ${url}/metrics${observatory.taps ? ` and taps at ${url}/tap` : ''}`,
    );
  }
  const reloader = new Reloader(file, opened, log);
  const onHangup = () => reloader.request('SIGHUP');
  process.on('SIGHUP', onHangup);
  if (flags.watch) reloader.watch();
  // A line a supervisor (or a test) can wait for, at debug level: the runeset is open, its signals are handled.
  log.logger.debug({ runeset: runeset.file }, `running ${file} (pid ${process.pid})`);
  try {
    let report;
    try {
      report = await opened.run({
        signal: stop.signal,
        ...(observatory ? { metrics: observatory.metrics } : {}),
        onWarning: (m) => log.logger.warn(m),
        onInfo: (m) => log.logger.info(m),
        log: log.runLine,
      });
    } catch (e) {
      // A commit that failed (a full disk, another process running the same runeset): the run
      // stops; what was committed stays, and the next run resumes from it.
      if (!(e instanceof SanctumError) && !(e as { code?: string }).code?.startsWith?.('STORAGE_')) throw e;
      process.stderr.write(`sanctum: the run stopped: ${(e as Error).message}\n`);
      return EXIT.FAILURES;
    }
    for (const f of report.failures) {
      const msg = f.error instanceof Error ? f.error.message : String(f.error);
      process.stderr.write(`sanctum: ${msg}\n`);
    }
    if (!flags.quiet && level !== 'error' && level !== 'warn') {
      const cast = Object.values(report.cast).reduce((a, b) => a + b, 0);
      const written = Object.entries(report.written)
        .map(([k, v]) => `${v} → ${k}`)
        .join(', ');
      process.stderr.write(
        `sanctum: ${report.interrupted ? 'stopped' : 'done'}: ${report.read} events read, ${cast} cast${written ? `; ${written}` : ''}; ${report.deadLetters} dead letters${report.unhandled ? ` (${report.unhandled} not handled by the runeset: exit 1)` : ''}\n`,
      );
    }
    return report.failures.length || report.unhandled ? EXIT.FAILURES : EXIT.OK;
  } finally {
    process.off('SIGHUP', onHangup);
    reloader.close();
    await observatory?.close();
    log.close();
  }
}

/**
 * Reloads a running runeset on request (SIGHUP, a change `--watch` saw): loads and checks the
 * runeset again and hands it to `opened.reload`, one reload at a time; logs what happened. With
 * `--watch`, it watches the directories of the runeset and its spell files (editors often replace
 * a file rather than write it) and reloads shortly after the last change.
 */
class Reloader {
  private running: Promise<void> | undefined;
  private again: string | undefined;
  private watchers: FSWatcher[] = [];
  private debounce: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly file: string,
    private readonly opened: OpenedRuneset,
    private readonly log: RunLog,
  ) {}

  request(why: string): void {
    if (this.closed) return;
    if (this.running) {
      this.again = why; // once the current reload is done, reload again: something changed since
      return;
    }
    this.running = this.reload(why).finally(() => {
      this.running = undefined;
      const next = this.again;
      this.again = undefined;
      if (next !== undefined) this.request(next);
    });
  }

  private async reload(why: string): Promise<void> {
    const logger = this.log.logger;
    logger.info({ reason: why }, `reloading ${this.file} (${why})`);
    let result;
    const { loadRuneset } = await import('../../runes/index.js');
    try {
      result = await this.opened.reload(await loadRuneset(this.file));
    } catch (e) {
      logger.error({ code: 'RELOAD_REFUSED', reason: why }, `reload failed: ${(e as Error).message}; the running version goes on`);
      return;
    }
    if (result.ok) {
      logger.info({ reason: why }, result.message);
      if (this.watchers.length) this.watch(); // the spell files may have moved
      return;
    }
    const { formatDiagnostic } = await import('../../runes/index.js');
    for (const d of result.diagnostics ?? [])
      if (d.severity === 'error') logger.error({ code: d.code, file: d.file, line: d.line, column: d.column }, formatDiagnostic(d));
    logger.error({ code: 'RELOAD_REFUSED', reason: why }, `reload refused: ${result.message}`);
  }

  /** Watches the runeset's directory and its spells' (again after a reload). */
  watch(): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
    const names = new Map<string, Set<string>>();
    const add = (f: string) => {
      const dir = path.dirname(path.resolve(f));
      let set = names.get(dir);
      if (!set) names.set(dir, (set = new Set()));
      set.add(path.basename(f));
    };
    add(this.file);
    for (const s of Object.values(this.opened.runeset.spells)) add(s.file.absolute);
    for (const [dir, files] of names) {
      try {
        const w = watch(dir, (_event, name) => {
          // A spell's modules are .lua files beside it; a change to one reloads too.
          if (name === null || files.has(name) || name.endsWith('.lua')) this.changed();
        });
        w.on('error', () => {});
        this.watchers.push(w);
      } catch (e) {
        this.log.logger.warn({ dir }, `--watch cannot watch ${dir}: ${(e as Error).message}`);
      }
    }
  }

  private changed(): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => this.request('a file changed'), 200);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.debounce);
    for (const w of this.watchers) w.close();
  }
}
