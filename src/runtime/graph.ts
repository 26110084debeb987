/**
 * The energy-stream graph of a runeset: one Subject per stream, pipelines wired between them.
 * A stream completes when every producer that writes to it has completed.
 */
import { merge, Observable, Subject, type Subscription } from 'rxjs';
import type { EventValue } from '../core/event.js';
import { SanctumError } from '../core/errors.js';
import { DEFAULT_PORT } from '../core/event.js';
import { SpellError, deadLetterToJSON, type DeadLetter } from '../spellcraft/errors.js';
import type { Spell } from '../spellcraft/spell.js';
import type { Runeset, RunesetPipeline } from '../runes/runeset.js';
import type { DurableStreams } from './durable-streams.js';

export const DEAD_LETTERS = 'dead-letters';

/** A pipeline stopped by a `stop` error policy (or a bug): which, and why. */
export interface PipelineFailure {
  readonly pipeline: string;
  readonly error: unknown;
}

interface StreamNode {
  readonly name: string;
  readonly subject: Subject<EventValue>;
  /** Producers that have not completed yet. */
  pending: number;
  completed: boolean;
  /** Events written to it (read by the metrics at scrape time). */
  appended: number;
}

/** What writes to a stream: a source, a pipeline, or code outside the runeset (tests, user code). */
export type Producer = { readonly kind: 'source' | 'pipeline' | 'external'; readonly name: string };

/**
 * The wired graph. Build it with `buildGraph`, subscribe to what you want to watch, then `start()`
 * (which completes streams nobody can write to).
 */
export class StreamGraph {
  private readonly nodes = new Map<string, StreamNode>();
  private readonly subscriptions: Subscription[] = [];
  private readonly pipelinesLeft = new Set<string>();
  private readonly allDone = new Subject<void>();
  readonly failures: PipelineFailure[] = [];
  /** Dead letters written by every pipeline and source, whatever stream they went to. */
  deadLetters = 0;
  /**
   * Called with each dead letter a pipeline writes, the pipeline, and the stream the failed event
   * was read from (when known): the run's log sets it.
   */
  onDeadLetter: ((deadLetter: DeadLetter, pipeline: string, stream: string | undefined, sequence?: number) => void) | undefined;
  /** The stream whose event is being delivered (events are delivered synchronously, depth first). */
  private delivering: string | undefined;
  private started = false;

  constructor(readonly runeset: Runeset) {
    for (const name of Object.keys(runeset.streams)) {
      this.nodes.set(name, { name, subject: new Subject<EventValue>(), pending: 0, completed: false, appended: 0 });
    }
  }

  /** The stream's events, for sinks, tests and user code. */
  stream(name: string): Observable<EventValue> {
    return this.node(name).subject.asObservable();
  }

  /** Names of every stream. */
  get streamNames(): string[] {
    return [...this.nodes.keys()];
  }

  /** Writes an event into a stream (for producers outside the runeset). */
  next(stream: string, event: EventValue): void {
    if (this.durable?.isDurable(stream)) {
      if (!this.node(stream).completed) this.durable.write(stream, event);
      return;
    }
    this.deliver(stream, event);
  }

  /**
   * Hands an event to the stream's readers now. For a durable stream this happens once the event
   * is committed to the log (DurableStreams calls it); everything else goes through `next`.
   */
  deliver(stream: string, event: EventValue): void {
    const node = this.node(stream);
    if (node.completed) return;
    node.appended++;
    const outer = this.delivering;
    this.delivering = stream;
    try {
      node.subject.next(event);
    } finally {
      this.delivering = outer;
    }
  }

  /** Events written to a stream so far. */
  appended(stream: string): number {
    return this.node(stream).appended;
  }

  /** Registers one more producer of a stream; call `producerDone` when it ends. */
  addProducer(stream: string): void {
    const node = this.node(stream);
    if (node.completed) throw new Error(`stream '${stream}' has already completed`);
    node.pending++;
  }

  /** A producer ended: the stream completes when it was the last. */
  producerDone(stream: string): void {
    const node = this.node(stream);
    if (node.completed) return;
    node.pending--;
    if (node.pending <= 0 && this.started) this.completeNode(node);
    this.durable?.nudge();
  }

  /** The durable side of the run, when the runeset has durable streams (set before wiring). */
  durable: DurableStreams | undefined;

  /** True when no producer can write to the stream any more. */
  isDone(stream: string): boolean {
    return this.node(stream).completed;
  }

  /** Completes every stream that has no producer left (or never had one). Idempotent. */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const node of this.nodes.values()) if (node.pending <= 0) this.completeNode(node);
    this.checkDone();
  }

  /** Resolves when every pipeline has completed (or failed). */
  whenPipelinesDone(): Promise<void> {
    if (this.pipelinesLeft.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.allDone.subscribe({ complete: resolve }));
  }

  /** Tears every pipeline down (their spells' Lua states are closed). */
  dispose(): void {
    for (const s of this.subscriptions) s.unsubscribe();
  }

  private completeNode(node: StreamNode): void {
    if (node.completed) return;
    if (this.durable?.isDurable(node.name)) this.durable.flush(); // what was written is committed first
    node.completed = true;
    node.subject.complete();
  }

  private node(name: string): StreamNode {
    const node = this.nodes.get(name);
    if (!node) throw new Error(`no stream named '${name}'`);
    return node;
  }

  private checkDone(): void {
    if (this.started && this.pipelinesLeft.size === 0) this.allDone.complete();
  }

  /** @internal Wires one pipeline: reads its streams, casts its steps, writes its outputs. */
  wirePipeline(p: RunesetPipeline, spells: ReadonlyMap<string, Spell>): void {
    const outputs = pipelineOutputs(p);
    for (const s of outputs) this.addProducer(s);
    this.pipelinesLeft.add(p.name);
    const deadLetter = (dl: DeadLetter) => {
      this.deadLetters++;
      this.next(p.dead_letters, { ...deadLetterToJSON(dl), pipeline: p.name } as EventValue);
      this.onDeadLetter?.(dl, p.name, this.delivering ?? (p.from.length === 1 ? p.from[0] : undefined));
    };
    let flow: Observable<unknown> = merge(...p.from.map((s) => this.stream(s)));
    p.steps.forEach((step) => {
      const spell = spells.get(step.spell)!;
      const ports = Object.fromEntries(Object.entries(step.ports).map(([port, stream]) => [port, (e: EventValue) => this.next(stream, e)]));
      flow = flow.pipe(spell.operator({ ports, deadLetters: deadLetter }));
    });
    const last = spells.get(p.steps[p.steps.length - 1]!.spell)!;
    const finish = () => {
      for (const s of outputs) this.producerDone(s);
      this.pipelinesLeft.delete(p.name);
      this.checkDone();
    };
    this.subscriptions.push(
      flow.subscribe({
        next: (event) => {
          if (p.to !== undefined) this.next(p.to, event as EventValue);
          else deadLetter({ error: unwiredDefault(p, last, event as EventValue), event: event as EventValue });
        },
        error: (error: unknown) => {
          const why = error instanceof Error ? error.message : String(error);
          this.failures.push({ pipeline: p.name, error: new SanctumError('PIPELINE_STOPPED', `pipeline '${p.name}' stopped: ${why}`, { cause: error }) });
          finish();
        },
        complete: finish,
      }),
    );
  }
}

/** The streams a pipeline writes to: `to`, its steps' ports, its dead letters. */
export function pipelineOutputs(p: RunesetPipeline): Set<string> {
  const out = new Set<string>([p.dead_letters]);
  if (p.to !== undefined) out.add(p.to);
  for (const step of p.steps) for (const s of Object.values(step.ports)) out.add(s);
  return out;
}

function unwiredDefault(p: RunesetPipeline, spell: Spell, event: EventValue): SpellError {
  return new SpellError({
    code: 'SPELL_PORT_UNWIRED',
    spell: spell.name,
    file: spell.file,
    luaMessage: `emitted to the default port '${DEFAULT_PORT}', but pipeline '${p.name}' has no \`to\` stream (add one, or emit nothing)`,
    hook: 'cast',
    event,
  });
}

/**
 * Builds the graph of a runeset with its summoned spells. `withSources: false` leaves the
 * sources out (tests feed the streams instead).
 */
export function buildGraph(runeset: Runeset, spells: ReadonlyMap<string, Spell>, options: { withSources: boolean; durable?: (graph: StreamGraph) => DurableStreams }): StreamGraph {
  const graph = new StreamGraph(runeset);
  graph.durable = options.durable?.(graph);
  if (options.withSources) {
    for (const src of Object.values(runeset.sources)) {
      graph.addProducer(src.to);
      graph.addProducer(DEAD_LETTERS); // unreadable lines become dead letters
    }
  }
  for (const p of Object.values(runeset.pipelines)) {
    // Pipelines over durable streams run as exactly-once consumers of the log (DurableStreams).
    if (graph.durable?.isDurablePipeline(p)) for (const s of pipelineOutputs(p)) graph.addProducer(s);
    else graph.wirePipeline(p, spells);
  }
  return graph;
}
