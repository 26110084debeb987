/** Running a runeset: summon its spells, wire its streams, read its sources, drain its sinks. */
import type { EventValue } from '../core/event.js';
import type { SpellLogger, SpellLogEntry } from '../spellcraft/caster.js';
import { summon, stderrLogger, type Spell } from '../spellcraft/spell.js';
import type { Runeset } from '../runes/runeset.js';
import { readFileSync } from 'node:fs';
import type { Storage } from '../core/storage.js';
import { openSqliteStorage } from '../storage/index.js';
import { buildGraph, type PipelineFailure, type StreamGraph } from './graph.js';
import { DurableStreams, type DurableRunOptions } from './durable-streams.js';
import { StateSession } from './state-library.js';
import { stateNamespace } from './durable.js';
import { openSinks, runSources, type SinkHandle, type Stdio } from './io.js';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;

/** A logger that drops lines below the runeset's `log_level`. */
export function levelFilter(level: keyof typeof LEVELS, to: SpellLogger = stderrLogger): SpellLogger {
  const min = LEVELS[level];
  return (e: SpellLogEntry) => {
    if (LEVELS[e.level] >= min) to(e);
  };
}

/**
 * Summons every spell of a runeset with its runes, policy and budgets. With a storage, each caster
 * gets the `state` library; its writes commit in groups (per turn of the event loop) — pipelines
 * over durable streams open their own casters and commit state with each batch instead.
 */
export async function summonSpells(runeset: Runeset, logger: SpellLogger = levelFilter(runeset.sanctum.log_level), storage?: Storage): Promise<Map<string, Spell>> {
  const committer = storage ? new StateCommitter(storage) : undefined;
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
          memoryLimit: s.budget.memory,
          logger,
          displayPath: displayOf(s.file.absolute),
          ...(committer ? { caster: () => committer.session(stateNamespace(s.name), s.state.indexes).casterOptions() } : {}),
        }),
      );
    }),
  );
  return spells;
}

/** Commits the state writes of in-memory pipelines' spells, all sessions together, once per turn. */
class StateCommitter {
  private readonly dirty = new Set<StateSession>();
  private scheduled = false;
  constructor(private readonly storage: Storage) {}
  session(ns: string, indexes: readonly string[]): StateSession {
    return new StateSession(this.storage.state, ns, indexes, (s) => this.schedule(s));
  }
  private schedule(s: StateSession): void {
    this.dirty.add(s);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }
  flush(): void {
    this.scheduled = false;
    const state = [...this.dirty].flatMap((s) => s.take());
    this.dirty.clear();
    if (state.length) this.storage.commitBatch({ state });
  }
}

/**
 * Hooks for the crash tests, off unless their variables are set. SANCTUM_TEST_PROGRESS=1 prints
 * `commit <pipeline> <stream> <seq>` on stderr after each durable commit, so a test can kill at a
 * chosen point of progress. SANCTUM_TEST_SPLIT_COMMIT=1 is the negative control: durable pipelines
 * commit their input position in a second transaction, 20 ms after their outputs, so that a kill in
 * between duplicates outputs — proof that the crash test can fail. Never set them for real work.
 */
function negativeControl(): DurableRunOptions | undefined {
  const progress = process.env['SANCTUM_TEST_PROGRESS'] === '1';
  const split = process.env['SANCTUM_TEST_SPLIT_COMMIT'] === '1';
  if (!progress && !split) return undefined;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  return {
    ...(progress ? { onCommit: (p: string, s: string, seq: number) => process.stderr.write(`commit ${p} ${s} ${seq}\n`) } : {}),
    ...(split ? { splitCommit: true, onSplitWindow: () => Atomics.wait(pause, 0, 0, 20) } : {}),
  };
}

/** Does the runeset need its data file: a durable stream, or a spell that uses `state`? */
function needsStorage(runeset: Runeset): boolean {
  if (Object.values(runeset.streams).some((s) => s.durable)) return true;
  return Object.values(runeset.spells).some((s) => s.state.indexes.length > 0 || /\bstate\s*\.\s*(get|put|delete|range|prefix|query)\b/.test(readFileSync(s.file.absolute, 'utf8')));
}

function displayOf(abs: string): string {
  const cwd = process.cwd() + '/';
  return abs.startsWith(cwd) ? abs.slice(cwd.length) : abs;
}

export interface RunOptions {
  /** The storage for durable streams and spell state. Default: SQLite in the runeset's data_dir, when needed. */
  readonly storage?: Storage;
  /** Knobs of the durable consumers (tests). */
  readonly durable?: DurableRunOptions;
  readonly stdio?: Partial<Stdio>;
  /** Aborting stops the sources; in-flight events finish, `finish` hooks run, sinks flush. */
  readonly signal?: AbortSignal;
  readonly logger?: SpellLogger;
}

export interface RunReport {
  /** Events read from the sources. */
  readonly read: number;
  /** Events written by each sink. */
  readonly written: Readonly<Record<string, number>>;
  readonly deadLetters: number;
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
  /** The storage of durable streams and spell state, when the runeset needs one. */
  readonly storage: Storage | undefined;
  /** The sinks of the current run (empty until `run` starts): for the metrics. */
  readonly sinks: readonly SinkHandle[];
  /** Runs the sources to their end (or until aborted) and waits for every pipeline and sink. */
  run(options?: Omit<RunOptions, 'logger'>): Promise<RunReport>;
}

/**
 * Opens a runeset for running: summons the spells and wires the graph, so that streams can be
 * watched before any event flows.
 *
 * @example
 * const { runeset } = await loadRuneset('pipelines.runeset.yaml');
 * const opened = await openRuneset(runeset!);
 * opened.graph.stream('alerts').subscribe((e) => console.log('alert', e));
 * await opened.run();
 */
export async function openRuneset(runeset: Runeset, options: Pick<RunOptions, 'logger' | 'storage' | 'durable'> = {}): Promise<OpenedRuneset> {
  const storage =
    options.storage ??
    (needsStorage(runeset) ? openSqliteStorage({ dir: runeset.sanctum.data_dir.absolute, synchronous: runeset.sanctum.synchronous }) : undefined);
  const spells = await summonSpells(runeset, options.logger, storage);
  const durableOptions = options.durable ?? negativeControl();
  const graph = buildGraph(runeset, spells, {
    withSources: true,
    durable: storage ? (g) => new DurableStreams(storage, runeset, g, durableOptions) : undefined,
  });
  graph.durable?.retain();
  graph.durable?.openPipelines(spells);
  const openedSinks: SinkHandle[] = [];
  return {
    runeset,
    spells,
    graph,
    storage,
    sinks: openedSinks,
    async run(runOptions = {}) {
      const stdio: Stdio = {
        stdin: runOptions.stdio?.stdin ?? process.stdin,
        stdout: runOptions.stdio?.stdout ?? process.stdout,
        stderr: runOptions.stdio?.stderr ?? process.stderr,
      };
      const signal = runOptions.signal ?? new AbortController().signal;
      // Consumers stop when the caller aborts, or when a source fails to commit.
      const halt = new AbortController();
      const stopConsumers = () => halt.abort();
      signal.addEventListener('abort', stopConsumers, { once: true });
      const sinks = openSinks(graph, runeset, stdio);
      openedSinks.push(...sinks);
      graph.start();
      const durable = graph.durable;
      const consumers = (durable?.pipelines ?? []).map((dp) => durable!.runPipeline(dp, (s) => graph.isDone(s), halt.signal));
      let read: number;
      try {
        ({ read } = await runSources(graph, runeset, sinks, stdio, signal));
      } catch (e) {
        halt.abort();
        await Promise.all(consumers);
        graph.dispose();
        if (!options.storage) storage?.close();
        throw e;
      } finally {
        signal.removeEventListener('abort', stopConsumers);
      }
      await Promise.all(consumers);
      await graph.whenPipelinesDone();
      await Promise.all(sinks.map((s) => s.done));
      graph.dispose();
      if (durable) {
        durable.flush();
        durable.retain();
        for (const f of durable.failures) graph.failures.push(f);
      }
      if (!options.storage) storage?.close();
      return {
        read,
        written: Object.fromEntries(sinks.filter((s) => s.written > 0 || !s.implicit).map((s) => [s.name, s.written])),
        deadLetters: graph.deadLetters,
        failures: graph.failures,
        interrupted: signal.aborted,
      };
    },
  };
}
