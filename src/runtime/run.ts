/** Running a runeset: summon its spells, wire its streams, read its sources, drain its sinks. */
import type { EventValue } from '../core/event.js';
import type { SpellLogger, SpellLogEntry } from '../spellcraft/caster.js';
import { summon, stderrLogger, type Spell } from '../spellcraft/spell.js';
import type { Runeset } from '../runes/runeset.js';
import { buildGraph, type PipelineFailure, type StreamGraph } from './graph.js';
import { openSinks, runSources, type Stdio } from './io.js';

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
  const cwd = process.cwd() + '/';
  return abs.startsWith(cwd) ? abs.slice(cwd.length) : abs;
}

export interface RunOptions {
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
export async function openRuneset(runeset: Runeset, options: Pick<RunOptions, 'logger'> = {}): Promise<OpenedRuneset> {
  const spells = await summonSpells(runeset, options.logger);
  const graph = buildGraph(runeset, spells, { withSources: true });
  return {
    runeset,
    spells,
    graph,
    async run(runOptions = {}) {
      const stdio: Stdio = {
        stdin: runOptions.stdio?.stdin ?? process.stdin,
        stdout: runOptions.stdio?.stdout ?? process.stdout,
        stderr: runOptions.stdio?.stderr ?? process.stderr,
      };
      const signal = runOptions.signal ?? new AbortController().signal;
      const sinks = openSinks(graph, runeset, stdio);
      graph.start();
      const { read } = await runSources(graph, runeset, sinks, stdio, signal);
      await graph.whenPipelinesDone();
      await Promise.all(sinks.map((s) => s.done));
      graph.dispose();
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

/** Feeds events into a stream of an opened graph (user code, tests). */
export function feed(graph: StreamGraph, stream: string, events: Iterable<EventValue>): void {
  for (const e of events) graph.next(stream, e);
}
