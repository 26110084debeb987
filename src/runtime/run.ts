/** Running a runeset: summon its spells, wire its streams and pipelines, read its sources, drain its sinks. */
import { DEAD_LETTERS, type EventValue } from '../core/event.js';
import { SanctumError } from '../core/errors.js';
import type { Storage } from '../core/storage.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { LogPort } from '../core/log-port.js';
import { NO_DURABLE_METRICS, type DurableMetrics } from '../core/metrics.js';
import type { RunLogger } from '../core/run-log.js';
import type { SpellLogger, SpellLogEntry } from '../spellcraft/caster.js';
import type { DeadLetter } from '../spellcraft/errors.js';
import { summon, stderrLogger, type Spell, type SpellStats } from '../spellcraft/spell.js';
import type { Runeset, RunesetPipeline } from '../runes/runeset.js';
import type { RunesetDiagnostic, RunesetLoadResult } from '../runes/index.js';
import { openSqliteStorage, storageLogPort } from '../storage/index.js';
import { Flow } from './flow.js';
import { StreamGraph, StreamQueue } from './graph.js';
import { Consumer, type Committer } from './consumer.js';
import { DurableAppender, LogInput, durableCommitter, stateNamespace } from './durable.js';
import { PipelineCore, type Outputs, type PipelineStep } from './pipeline.js';
import { StateSession, type SpellChanges } from './state-library.js';
import { runSources, sourceConsumer, SourceStats } from './sources.js';
import { loadDestinations, openSinks, type SinkHandle, type Stdio } from './sinks.js';
import { Connectors, type ConnectorStatus } from './connectors.js';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;

/** A logger that drops lines below the runeset's `log_level`. */
export function levelFilter(level: keyof typeof LEVELS, to: SpellLogger = stderrLogger): SpellLogger {
  const min = LEVELS[level];
  return (e: SpellLogEntry) => {
    if (LEVELS[e.level] >= min) to(e);
  };
}

/** Summons every spell of a runeset with its runes, policy and budgets. */
export async function summonSpells(runeset: Runeset, logger: SpellLogger = levelFilter(runeset.sanctum.log_level)): Promise<Map<string, Spell>> {
  const spells = new Map<string, Spell>();
  await Promise.all(
    Object.values(runeset.spells).map(async (s) => {
      spells.set(
        s.name,
        await summon(s.file.absolute, {
          name: s.name,
          runes: s.runes,
          onError: s.on_error,
          instructionBudget: s.budget.instructions,
          emitLimit: s.budget.emits,
          memoryLimit: s.budget.memory,
          logger,
          displayPath: displayOf(s.file.absolute),
        }),
      );
    }),
  );
  return spells;
}

function displayOf(abs: string): string {
  const cwd = `${process.cwd()}/`;
  return abs.startsWith(cwd) ? abs.slice(cwd.length) : abs;
}

/** Where dead letters are reported as they happen (the run's log). */
export type DeadLetterHook = (deadLetter: DeadLetter, pipeline: string, stream: string | undefined, sequence?: number) => void;

export interface OpenOptions {
  /** Where spells' `print` and `log.*` go. Default: stderr, filtered by the runeset's `log_level`. */
  readonly logger?: SpellLogger;
  /** The storage for durable streams and spell state. Default: SQLite in the runeset's data_dir, opened when first needed. */
  readonly storage?: Storage;
  /** Each dead letter a pipeline writes, as it happens. */
  readonly onDeadLetter?: DeadLetterHook;
  /** How often an idle durable pipeline looks for appends made by other processes, in ms (default 100). */
  readonly pollMs?: number;
  /** The clock of `sanctum.now()`, ticks and timers (default: the wall clock). */
  readonly clock?: Clock;
}

export interface RunOptions {
  readonly stdio?: Partial<Stdio>;
  /** Aborting stops the sources; in-flight events finish, `finish` hooks run, sinks flush. */
  readonly signal?: AbortSignal;
  /** Commit latency, batch sizes and consumer lag of the durable path (the metrics). */
  readonly metrics?: DurableMetrics;
  /** Source-level warnings (an incomplete last line, a truncated file, a lost connection). */
  readonly onWarning?: (message: string) => void;
  /**
   * Log lines of network sources and sinks (listening, refused requests, retries) and of reloads.
   * Default: warnings and errors on stderr.
   */
  readonly log?: RunLogger;
  /** Informational lines of sources and sinks (a connection back). */
  readonly onInfo?: (message: string) => void;
}

/** Where a run is: readiness reads it. */
export interface RunStatus {
  /** `starting` until `run()` opened its sources, `running`, `stopping` once asked to stop or its input ended, `ended`. */
  readonly phase: 'starting' | 'running' | 'stopping' | 'ended';
  readonly sources: readonly { readonly name: string; readonly type: string; readonly state: SourceStats['state']; readonly url?: string }[];
  /** Events each durable consumer (pipeline or sink) has yet to read. */
  readonly lag: readonly { readonly consumer: string; readonly events: number }[];
}

/** What a reload did. */
export interface ReloadResult {
  /** True when the new spells run now. */
  readonly ok: boolean;
  /** What was reloaded, or why not (then the running version goes on). */
  readonly message: string;
  /** The runeset's diagnostics, when it had errors. */
  readonly diagnostics?: readonly RunesetDiagnostic[];
}

/** A pipeline stopped by a `stop` error policy: which, and why. */
export interface PipelineFailure {
  readonly pipeline: string;
  readonly error: unknown;
}

export interface RunReport {
  /** Events read from the sources. */
  readonly read: number;
  /** Events each pipeline cast (its first step's input). */
  readonly cast: Readonly<Record<string, number>>;
  /** Events written by each sink. */
  readonly written: Readonly<Record<string, number>>;
  /** Dead letters written, whatever stream they went to. */
  readonly deadLetters: number;
  /**
   * Failures with no home: dead letters on `dead-letters` when the runeset neither declares nor reads
   * that stream (they are only printed on stderr) — failed casts, unreadable input, a missing source
   * — and sinks that failed. Zero when the runeset handles every failure.
   */
  readonly unhandled: number;
  /** Pipelines stopped by a `stop` policy. */
  readonly failures: readonly PipelineFailure[];
  /** True when the run ended because the signal aborted. */
  readonly interrupted: boolean;
}

/** An opened runeset: its graph, for code that wants to watch or feed streams before it starts. */
export interface OpenedRuneset {
  readonly runeset: Runeset;
  readonly spells: ReadonlyMap<string, Spell>;
  readonly graph: StreamGraph;
  /** The storage of durable streams and spell state, when it was opened. */
  readonly storage: Storage | undefined;
  /** The sinks of the current run (empty until `run` starts): for the metrics. */
  readonly sinks: readonly SinkHandle[];
  /** What each source has done (for the metrics and readiness). */
  readonly sources: readonly SourceStats[];
  /** Reloads done and refused so far. */
  readonly reloads: { readonly ok: number; readonly failed: number };
  /** The network sources' and sinks' connections (empty until `run` starts): for the metrics. */
  readonly connectors: readonly ConnectorStatus[];
  /** Runs the sources to their end (or until aborted) and waits for every pipeline and sink. */
  run(options?: RunOptions): Promise<RunReport>;
  /** Where the run is: its phase, its sources, the lag of its durable consumers (for `/readyz`). */
  status(): Promise<RunStatus>;
  /**
   * Reloads a running runeset: checks that only spells changed (their files, runes, error policy or
   * budget), summons them again, runs their `init`, and swaps them into every pipeline between two
   * batches — state, positions and streams stay. If anything fails, the running version goes on and
   * the result says why. Give it a load result (from `loadRuneset`) to have its errors counted as a
   * refused reload.
   *
   * @example
   * process.on('SIGHUP', async () => console.error((await opened.reload(await loadRuneset(file))).message));
   */
  reload(next: Runeset | RunesetLoadResult): Promise<ReloadResult>;
}

/**
 * Opens a runeset for running: summons the spells and wires the graph, so that streams can be
 * watched (and, with `graph.addProducer`, fed) before any event flows.
 *
 * @example
 * const { runeset } = await loadRuneset('pipelines.runeset.yaml');
 * const opened = await openRuneset(runeset!);
 * opened.graph.stream('alerts').subscribe((e) => console.log('alert', e));
 * await opened.run();
 */
export async function openRuneset(runeset: Runeset, options: OpenOptions = {}): Promise<OpenedRuneset> {
  const logger = options.logger ?? levelFilter(runeset.sanctum.log_level);
  const spells = await summonSpells(runeset, logger);
  const wiring = wire(runeset, spells, { ...options, withSources: true, sliceMs: 50 });
  const sinks: SinkHandle[] = [];
  const reloads = { ok: 0, failed: 0 };
  let current = runeset;
  let reloading: Promise<ReloadResult> | undefined;
  const refuse = (message: string, diagnostics?: readonly RunesetDiagnostic[]): ReloadResult => {
    reloads.failed++;
    return { ok: false, message, ...(diagnostics ? { diagnostics } : {}) };
  };
  const reload = async (next: Runeset | RunesetLoadResult): Promise<ReloadResult> => {
    const loaded = 'diagnostics' in next ? next : { runeset: next, diagnostics: [] };
    if (loaded.runeset === undefined) {
      const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
      return refuse(`the runeset has ${errors.length} error${errors.length === 1 ? '' : 's'}; the running version goes on`, loaded.diagnostics);
    }
    if (wiring.phase() !== 'running') return refuse(`the run is ${wiring.phase()}: nothing to reload`);
    const changed = structureChange(current, loaded.runeset);
    if (changed !== undefined)
      return refuse(`restart to apply: ${changed} changed (a reload swaps spells — their files, runes, on_error and budget — and keeps everything else)`);
    let summoned: Map<string, Spell>;
    try {
      summoned = await summonSpells(loaded.runeset, logger);
    } catch (e) {
      return refuse(`a spell does not summon: ${(e as Error).message}; the running version goes on`);
    }
    const result = await wiring.swapSpells(summoned);
    if ('error' in result) return refuse(`${result.error}; the running version goes on`);
    current = loaded.runeset;
    reloads.ok++;
    return {
      ok: true,
      message: `reloaded ${summoned.size} spell${summoned.size === 1 ? '' : 's'} into ${result.pipelines} pipeline${result.pipelines === 1 ? '' : 's'}`,
    };
  };
  const connectors: ConnectorStatus[] = [];
  return {
    get runeset() {
      return current;
    },
    spells,
    graph: wiring.graph,
    get storage() {
      return wiring.storage.current;
    },
    sinks,
    sources: wiring.sourceStats,
    reloads,
    connectors,
    run: (runOptions = {}) => wiring.run(runOptions, sinks, connectors),
    status: () => wiring.status(sinks),
    // One reload at a time: a second waits for the first, then checks against what it left.
    reload: (next) => {
      const run = (reloading ?? Promise.resolve()).then(() => reload(next));
      reloading = run.catch(() => undefined) as Promise<ReloadResult>;
      return run;
    },
  };
}

/**
 * What changed between two runesets that a reload cannot apply (streams, sources, sinks, pipelines,
 * Sanctum's runes, the spells declared and their state indexes), as words; undefined when only
 * spells changed.
 */
export function structureChange(a: Runeset, b: Runeset): string | undefined {
  const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
  const shape = (r: Runeset) => Object.values(r.spells).map((s) => [s.name, s.state.indexes]);
  const changed: string[] = [];
  if (!same(a.sanctum, b.sanctum)) changed.push('sanctum');
  if (!same(a.streams, b.streams)) changed.push('streams');
  if (!same(a.sources, b.sources)) changed.push('sources');
  if (!same(a.sinks, b.sinks)) changed.push('sinks');
  if (!same(a.pipelines, b.pipelines)) changed.push('pipelines');
  if (!same(shape(a), shape(b))) changed.push('the spells declared (or their state indexes)');
  return changed.length ? changed.join(', ') : undefined;
}

/** Lets the spell that replaces another share its probes (cast timer, tap) from its first cast. */
function shareProbes(from: Spell, to: Spell): void {
  to.probes.castTimer = from.probes.castTimer;
  to.probes.emitted = from.probes.emitted;
}

/**
 * Once the old spell casts no more: adds its counters to the new one's (so the metrics' counters go
 * on, exact) and leaves the probes to the new one alone.
 */
function carryOver(from: Spell, to: Spell): void {
  const a = from.stats as SpellStats;
  const b = to.stats as SpellStats;
  b.casts += a.casts;
  b.emitted += a.emitted;
  b.failed += a.failed;
  b.skipped += a.skipped;
  b.deadLettered += a.deadLettered;
  for (const [k, v] of a.emittedToPorts) b.emittedToPorts.set(k, (b.emittedToPorts.get(k) ?? 0) + v);
  for (const [k, v] of a.failedByCode) b.failedByCode.set(k, (b.failedByCode.get(k) ?? 0) + v);
  for (const [k, v] of a.deadLetteredByCode) b.deadLetteredByCode.set(k, (b.deadLetteredByCode.get(k) ?? 0) + v);
  // Until now observers found the old spell by name: what they set on it holds.
  to.probes.castTimer = from.probes.castTimer;
  to.probes.emitted = from.probes.emitted;
  from.probes.castTimer = undefined;
  from.probes.emitted = undefined;
}

/** The storage of a run, opened on first use (a spell's first `state` call, or a durable stream). */
class LazyStorage {
  private store: Storage | undefined;
  constructor(
    private readonly open: () => Storage,
    private readonly owned: boolean,
  ) {}
  get(): Storage {
    return (this.store ??= this.open());
  }
  get current(): Storage | undefined {
    return this.store;
  }
  close(): void {
    if (this.owned) this.store?.close();
  }
}

interface WireOptions extends OpenOptions {
  /** Sources produce into their streams (a run); false: tests feed the streams. */
  readonly withSources: boolean;
  /** How long the flow works before it lets the event loop run (Infinity: virtual time). */
  readonly sliceMs: number;
  /** Run every pipeline in memory, durable streams included (runeset tests). */
  readonly inMemory?: boolean;
  /** Called after each commit of a durable pipeline's input position (progress). */
  readonly onCommit?: (pipeline: string, stream: string, seq: number) => void;
}

/**
 * Wires a runeset's graph: streams, and a consumer per pipeline — over the durable log when every
 * stream it reads is durable, over stream queues otherwise. In-memory pipelines start at once (their
 * `init` runs now); durable ones when the run starts.
 */
export function wire(runeset: Runeset, spells: Map<string, Spell>, options: WireOptions) {
  const storage = new LazyStorage(
    () => options.storage ?? openSqliteStorage({ dir: runeset.sanctum.data_dir.absolute, synchronous: runeset.sanctum.synchronous }),
    options.storage === undefined,
  );
  const hasDurable = !options.inMemory && Object.values(runeset.streams).some((s) => s.durable);
  const declaresState = Object.values(runeset.spells).some((s) => s.state.indexes.length > 0);
  if (hasDurable || declaresState) storage.get();
  const port: LogPort | undefined = hasDurable ? storageLogPort(storage.get(), options.pollMs !== undefined ? { pollMs: options.pollMs } : {}) : undefined;

  let metrics: DurableMetrics = NO_DURABLE_METRICS;
  const getMetrics = () => metrics;
  const fatal: unknown[] = [];
  const failures: PipelineFailure[] = [];
  const halt = new AbortController();
  const onFatal = (e: unknown) => {
    if (!fatal.includes(e)) fatal.push(e);
    halt.abort();
  };

  const flow = new Flow({ sliceMs: options.sliceMs, onTaskError: onFatal });
  const clock = options.clock ?? systemClock;
  let graph!: StreamGraph;
  const appender = port
    ? new DurableAppender(port, runeset, { batchSize: runeset.sanctum.batch_size, deliver: (s, b) => graph.deliver(s, b), metrics: getMetrics, onFatal })
    : undefined;
  graph = new StreamGraph(runeset, { flow, ...(appender ? { appender } : {}) });

  if (options.withSources) {
    for (const src of Object.values(runeset.sources)) {
      graph.addProducer(src.to);
      graph.addProducer(DEAD_LETTERS); // unreadable lines become dead letters
    }
  }
  const sourceStats = Object.values(runeset.sources).map((s) => new SourceStats(s.name, s.type));
  let phase: RunStatus['phase'] = 'starting';

  const indexes = new Map(Object.values(runeset.spells).map((s) => [s.name, s.state.indexes] as const));
  const steps = (p: RunesetPipeline): PipelineStep[] =>
    p.steps.map((step) => {
      const spell = spells.get(step.spell)!;
      // Timers live with the spell's state: in the data file, committed with its batches.
      const session = new StateSession(() => storage.get().state, stateNamespace(step.spell), indexes.get(step.spell) ?? [], {
        timers: () => storage.get().timers,
        now: () => clock.now(),
      });
      const tick = runeset.spells[step.spell]?.tick;
      return {
        spell,
        caster: spell.open(session.casterOptions()),
        session,
        ports: step.ports,
        policy: spell.options.onError ?? 'dead-letter',
        ...(tick !== undefined ? { tick } : {}),
      };
    });

  let ending = false;
  const inputs: LogInput[] = [];
  const durableInputs = new Map<string, LogInput>();
  const memoryCommit: Committer = {
    commit(_position, { state, timers }: SpellChanges, out: Outputs) {
      if (state.length > 0 || timers.length > 0) storage.get().commitBatch({ state, ...(timers.length > 0 ? { timers } : {}) });
      for (const [stream, events] of out) graph.write(stream, events as EventValue[]);
    },
  };
  const consumers: Consumer[] = [];
  const durableConsumers: Consumer[] = [];
  for (const p of Object.values(runeset.pipelines)) {
    const durable = port !== undefined && p.from.every((s) => runeset.streams[s]?.durable === true);
    // The first step's outputs per batch are bounded by what a stream's reader may hold.
    const core = new PipelineCore(
      p,
      steps(p),
      { ...(options.onDeadLetter ? { onDeadLetter: options.onDeadLetter } : {}), now: () => clock.now() },
      graph.bound,
    );
    const consumerOptions = {
      batchSize: runeset.sanctum.batch_size,
      onStopped: (error: SanctumError) => failures.push({ pipeline: p.name, error }),
      onFatal,
      clock,
    };
    if (durable) {
      const c = new Consumer(
        core,
        (wake) => {
          // Done once the run is ending, the streams it reads have completed (their producers in this
          // run are done and committed) and it has caught up with them.
          const input = new LogInput(
            port,
            {
              consumer: `pipeline:${p.name}`,
              streams: p.from,
              ending: () => ending && p.from.every((s) => graph.isCompleted(s)),
              signal: halt.signal,
              metrics: getMetrics,
              onFatal,
            },
            wake,
          );
          graph.whenCompleted(p.from, () => input.nudge());
          inputs.push(input);
          durableInputs.set(`pipeline:${p.name}`, input);
          return input;
        },
        durableCommitter(port, graph, runeset, getMetrics, onFatal, options.onCommit ? (pos) => options.onCommit!(p.name, pos.stream, pos.seq) : undefined),
        graph,
        flow,
        consumerOptions,
      );
      durableConsumers.push(c);
      consumers.push(c);
    } else {
      const c = new Consumer(core, (wake) => streamInput(graph, p.from, wake), memoryCommit, graph, flow, consumerOptions);
      consumers.push(c);
      c.start();
    }
  }

  /** Applies each durable stream's retention (at start, at the end, and every few seconds). */
  const retain = () => {
    const store = storage.current;
    if (!store || !hasDurable) return;
    for (const s of Object.values(runeset.streams)) {
      if (!s.durable || !s.retention) continue;
      store.log.retain(s.name, {
        ...(s.retention.maxEvents !== undefined ? { maxCount: s.retention.maxEvents } : {}),
        ...(s.retention.maxAgeMs !== undefined ? { maxAgeMs: s.retention.maxAgeMs } : {}),
      });
    }
  };

  /** Swaps freshly summoned spells into every running pipeline (a reload); an `init` that fails leaves the old ones. */
  async function swapSpells(summoned: ReadonlyMap<string, Spell>): Promise<{ pipelines: number } | { error: string }> {
    const plans: { consumer: Consumer; steps: PipelineStep[] }[] = [];
    const opened: PipelineStep[] = [];
    const closeOpened = () => {
      for (const s of opened) s.caster.close();
    };
    for (const c of consumers) {
      if (c.ended) continue;
      const steps: PipelineStep[] = [];
      for (const old of c.steps) {
        const spell = summoned.get(old.spell.name)!;
        const step: PipelineStep = {
          spell,
          caster: spell.open(old.session.casterOptions()),
          session: old.session,
          ports: old.ports,
          policy: spell.options.onError ?? 'dead-letter',
          ...(old.tick !== undefined ? { tick: old.tick } : {}),
        };
        opened.push(step);
        steps.push(step);
        const err = step.caster.init();
        if (err !== undefined) {
          closeOpened();
          return { error: `spell '${spell.name}' fails its init: ${err.message}` };
        }
      }
      plans.push({ consumer: c, steps });
    }
    for (const [name, spell] of summoned) {
      const old = spells.get(name);
      if (old) shareProbes(old, spell);
    }
    // Each pipeline swaps between two of its batches; once all have, the old spells cast no more.
    await Promise.all(plans.map((p) => p.consumer.swap(p.steps)));
    for (const [name, spell] of summoned) {
      const old = spells.get(name);
      if (old) carryOver(old, spell);
      spells.set(name, spell);
    }
    return { pipelines: plans.length };
  }

  /** The run's phase, its sources, and the lag of its durable consumers. */
  async function status(sinks: readonly SinkHandle[]): Promise<RunStatus> {
    const lag: { consumer: string; events: number }[] = [];
    if (phase === 'running') {
      for (const [consumer, input] of durableInputs) lag.push({ consumer, events: await input.lag() });
      for (const s of sinks) if (s.lag) lag.push({ consumer: `sink:${s.name}`, events: await s.lag() });
    }
    return { phase, sources: sourceStats.map((s) => ({ name: s.name, type: s.type, state: s.state, ...(s.url !== undefined ? { url: s.url } : {}) })), lag };
  }

  async function run(runOptions: RunOptions, sinks: SinkHandle[], connectorList: ConnectorStatus[] = []): Promise<RunReport> {
    metrics = runOptions.metrics ?? NO_DURABLE_METRICS;
    const warn = runOptions.onWarning;
    const log: RunLogger =
      runOptions.log ??
      ((e) => {
        if (e.level === 'warn' || e.level === 'error') (warn ?? ((m: string) => process.stderr.write(`sanctum: ${m}\n`)))(e.message);
      });
    const stdio: Stdio = {
      stdin: runOptions.stdio?.stdin ?? process.stdin,
      stdout: runOptions.stdio?.stdout ?? process.stdout,
      stderr: runOptions.stdio?.stderr ?? process.stderr,
    };
    const signal = runOptions.signal;
    const stop = () => halt.abort();
    signal?.addEventListener('abort', stop, { once: true });
    if (signal?.aborted) halt.abort();
    let sinkFailures = 0;
    const onWarning = runOptions.onWarning ?? ((m: string) => stdio.stderr.write(`sanctum: ${m}\n`));
    const connectors = new Connectors({ info: runOptions.onInfo ?? (() => {}), warn: onWarning }, connectorList);
    await loadDestinations(runeset);
    const { sinks: opened, durable: durableSinks } = openSinks({
      graph,
      runeset,
      stdio,
      port,
      ending: () => ending,
      signal: halt.signal,
      metrics: getMetrics,
      onFatal,
      log,
      connectors,
      onFailure: (_sink, error) => {
        if ((error as NodeJS.ErrnoException).code === 'EPIPE') {
          // A closed pipe (`sanctum run … | head`): nobody reads any more. The run ends at once,
          // quietly: input stops, the pipelines stop after the batch in flight (what they
          // committed stays); the report counts only what was written.
          halt.abort();
          for (const c of consumers) c.abort();
          return;
        }
        sinkFailures++;
        onFatal(error);
      },
    });
    sinks.push(...opened);
    retain();
    const retention = setInterval(retain, 5000);
    retention.unref();
    for (const c of durableConsumers) c.start();
    for (const d of durableSinks) d.start();
    let sourceDeadLetters = 0;
    const sourcesRun = runSources({
      graph,
      runeset,
      stdin: stdio.stdin,
      signal: halt.signal,
      appender,
      position: (consumer, input) => (port ? port.position(consumer, input) : Promise.resolve(0)),
      onDeadLetter: () => sourceDeadLetters++,
      onWarning,
      stats: (name) => sourceStats.find((s) => s.name === name)!,
      log,
      connectors,
    }).catch((e: unknown) => {
      onFatal(e);
      return { read: 0 };
    });
    graph.start();
    phase = 'running';
    const stopping = () => {
      if (phase === 'running') phase = 'stopping';
    };
    halt.signal.addEventListener('abort', stopping, { once: true });
    const { read } = await sourcesRun;
    // The run is ending: a durable pipeline that has caught up is done.
    ending = true;
    stopping();
    for (const i of inputs) i.nudge();
    await Promise.all(consumers.map((c) => c.done));
    // Every pipeline is done: durable sinks catch up with what they wrote, then end.
    for (const d of durableSinks) d.nudge();
    if (fatal.length) for (const c of consumers) c.abort();
    await appender?.settled();
    await Promise.all(sinks.map((s) => s.done));
    clearInterval(retention);
    signal?.removeEventListener('abort', stop);
    phase = 'ended';
    try {
      if (!fatal.length) retain();
    } finally {
      storage.close();
    }
    if (fatal.length) {
      const e = fatal[0];
      if (e instanceof SanctumError || (e as { code?: string })?.code?.startsWith?.('STORAGE_')) throw e;
      throw new SanctumError('PIPELINE_STOPPED', `the run stopped: ${(e as Error)?.message ?? String(e)}`, { cause: e });
    }
    // Dead letters the runeset does nothing with: `dead-letters` is neither declared nor read, so
    // they only reach stderr.
    const readers = [...Object.values(runeset.sinks).flatMap((s) => s.from), ...Object.values(runeset.pipelines).flatMap((p) => p.from)];
    const undeclared = runeset.streams[DEAD_LETTERS]?.implicit === true && !readers.includes(DEAD_LETTERS);
    return {
      read,
      cast: Object.fromEntries(consumers.map((c) => [c.name, c.cast])),
      written: Object.fromEntries(sinks.filter((s) => s.written > 0 || !s.implicit).map((s) => [s.name, s.written])),
      deadLetters: graph.deadLetters,
      unhandled: (undeclared ? graph.appended(DEAD_LETTERS) : 0) + sinkFailures,
      failures,
      interrupted: signal?.aborted === true,
    };
  }

  return { graph, storage, consumers, run, sourceConsumer, sourceStats, status, swapSpells, phase: () => phase };
}

function streamInput(graph: StreamGraph, from: readonly string[], wake: () => void) {
  const queue = new StreamQueue(graph, from, wake);
  return {
    take: (max: number) => {
      const events = queue.take(max);
      return events === undefined ? undefined : { events, origin: { stream: queue.lastStream! } };
    },
    get ended() {
      return queue.ended;
    },
    putBack: (rest: { events: readonly EventValue[]; origin?: { stream: string } }) => queue.putBack(rest.origin!.stream, rest.events),
    close: () => queue.close(),
  };
}
