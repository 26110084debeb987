/**
 * Exactly-once on one node: a pipeline over durable streams reads a batch from the event log, casts
 * it through its steps, and commits — in ONE transaction — its input position, its spells' state
 * changes and the events it emitted to durable streams. After a crash it resumes from the last
 * commit: nothing acknowledged is lost, nothing emitted twice, state exact.
 */
import type { EventValue } from '../core/event.js';
import { DEFAULT_PORT } from '../core/event.js';
import type { Storage, StoredEvent } from '../core/storage.js';
import { SpellError, deadLetterToJSON, type DeadLetter } from '../spellcraft/errors.js';
import type { DurableMetrics } from '../core/metrics.js';
import type { SpellCaster } from '../spellcraft/caster.js';
import type { Spell } from '../spellcraft/spell.js';
import type { RunesetPipeline } from '../runes/runeset.js';
import { StateSession, type StateWrite } from './state-library.js';

/** Where a durable pipeline's outputs go: durable streams are appended in the commit, the rest after it. */
export interface DurableOutputs {
  isDurable(stream: string): boolean;
  /** Hands events of an in-memory stream on, after the commit. */
  emit(stream: string, event: EventValue): void;
  /** The events were committed to a durable stream: hand them to its in-memory readers. */
  appended(stream: string, events: readonly EventValue[]): void;
}

/** Knobs of the consumer loop (and the negative control of the crash test). */
export interface DurableOptions {
  readonly batchSize?: number;
  /**
   * UNSAFE, for the crash test's negative control only: commit the input position in a separate
   * transaction after the outputs, which makes a crash between the two duplicate outputs.
   */
  readonly splitCommit?: boolean;
  /** Called between the two commits of splitCommit (so a test can kill the process there). */
  readonly onSplitWindow?: () => void;
  /** Called after each commit of an input position (crash tests watch progress with it). */
  readonly onCommit?: (pipeline: string, stream: string, seq: number) => void;
  /** Commit latency, batch sizes and consumer lag (the metrics). */
  readonly metrics?: DurableMetrics;
  /** Each dead letter, with the stream and sequence number of the event that failed (the run's log). */
  readonly onDeadLetter?: (deadLetter: DeadLetter, pipeline: string, stream: string | undefined, sequence?: number) => void;
}

interface StepRuntime {
  readonly spell: Spell;
  readonly caster: SpellCaster;
  readonly session: StateSession;
  readonly ports: Readonly<Record<string, string>>;
}

/** The state namespace of a spell in a runeset: its name. */
export function stateNamespace(spellName: string): string {
  return spellName;
}

export class DurablePipeline {
  readonly consumer: string;
  private readonly steps: StepRuntime[];
  private readonly batchSize: number;
  private stopped = false;
  /** Events cast, dead letters, commits: for reports and metrics. */
  readonly counters = { events: 0, deadLetters: 0, commits: 0 };

  constructor(
    private readonly storage: Storage,
    readonly pipeline: RunesetPipeline,
    spells: ReadonlyMap<string, Spell>,
    indexes: ReadonlyMap<string, readonly string[]>,
    private readonly outputs: DurableOutputs,
    private readonly options: DurableOptions = {},
  ) {
    this.consumer = `pipeline:${pipeline.name}`;
    this.batchSize = options.batchSize ?? 1000;
    this.steps = pipeline.steps.map((step) => {
      const spell = spells.get(step.spell)!;
      const session = new StateSession(storage.state, stateNamespace(step.spell), indexes.get(step.spell) ?? []);
      const caster = spell.open(session.casterOptions());
      return { spell, caster, session, ports: step.ports };
    });
  }

  /** Runs `init` of every step; failures become dead letters of the first commit. */
  init(): void {
    const letters: EventValue[] = [];
    for (const s of this.steps) {
      const err = s.caster.init();
      if (err) letters.push(this.deadLetter(err, undefined));
    }
    if (letters.length) this.commit(undefined, new Map([[this.pipeline.dead_letters, letters]]));
  }

  /** Where this consumer is in a stream: the last committed sequence number. */
  position(stream: string): number {
    return this.storage.offsets.get(this.consumer, stream);
  }

  /**
   * Casts and commits the next batch of `stream`, if there is one. Returns how many input events
   * it consumed (0 = caught up).
   */
  step(stream: string): number {
    if (this.stopped) return 0;
    const from = this.position(stream) + 1;
    const batch = this.storage.log.read(stream, from, this.batchSize);
    if (batch.length === 0) return 0;
    const out = this.castBatch(batch);
    const seq = batch[batch.length - 1]!.seq;
    this.commit({ stream, seq, expected: from - 1 }, out);
    this.counters.events += batch.length;
    this.options.metrics?.setLag(this.consumer, stream, Math.max(0, this.storage.log.lastSeq(stream) - seq));
    return batch.length;
  }

  /** Runs `finish` of every step (the input ended) and commits what it emits. */
  finish(): void {
    const out = new Map<string, EventValue[]>();
    let carry: EventValue[] = [];
    this.steps.forEach((s, i) => {
      // What earlier steps emitted at finish still flows through the later steps.
      const produced: EventValue[] = [];
      if (carry.length) this.castStep(i, carry.map((event) => ({ event })), out, produced);
      const err = s.caster.finish((event, port) => this.route(i, event, port, out, produced));
      if (err) push(out, this.pipeline.dead_letters, this.deadLetter(err, undefined));
      carry = produced;
    });
    for (const e of carry) this.toLast(e, out);
    this.commit(undefined, out);
  }

  close(): void {
    this.stopped = true;
    for (const s of this.steps) s.caster.close();
  }

  /** Casts a batch through every step; returns the events per output stream. */
  private castBatch(batch: readonly StoredEvent[]): Map<string, EventValue[]> {
    const out = new Map<string, EventValue[]>();
    let items: { event: EventValue; seq?: number; stream?: string }[] = batch.map((e) => ({ event: e.event, seq: e.seq, stream: e.stream }));
    for (let i = 0; i < this.steps.length; i++) {
      const produced: EventValue[] = [];
      this.castStep(i, items, out, produced);
      items = produced.map((event) => ({ event }));
    }
    for (const it of items) this.toLast(it.event, out);
    return out;
  }

  /** Casts items through step i; its default-port events are collected in `produced`. */
  private castStep(i: number, items: readonly { event: EventValue; seq?: number; stream?: string }[], out: Map<string, EventValue[]>, produced: EventValue[]): void {
    const step = this.steps[i]!;
    const failures = step.caster.castBatch(
      items.map((it) => it.event),
      (event, port) => this.route(i, event, port, out, produced),
      (port) => port === DEFAULT_PORT || port in step.ports,
    );
    for (const f of failures) {
      const origin = items.find((it) => it.event === f.event);
      push(out, this.pipeline.dead_letters, this.deadLetter(f, origin));
    }
  }

  private route(i: number, event: EventValue, port: string, out: Map<string, EventValue[]>, produced: EventValue[]): void {
    if (port === DEFAULT_PORT) produced.push(event);
    else push(out, this.steps[i]!.ports[port]!, event);
  }

  private toLast(event: EventValue, out: Map<string, EventValue[]>): void {
    if (this.pipeline.to !== undefined) push(out, this.pipeline.to, event);
    else {
      const last = this.steps[this.steps.length - 1]!.spell;
      const err = new SpellError({
        code: 'SPELL_PORT_UNWIRED', spell: last.name, file: last.file, hook: 'cast', event,
        luaMessage: `emitted to the default port '${DEFAULT_PORT}', but pipeline '${this.pipeline.name}' has no \`to\` stream (add one, or emit nothing)`,
      });
      push(out, this.pipeline.dead_letters, this.deadLetter(err, undefined));
    }
  }

  private deadLetter(err: SpellError, origin: { seq?: number; stream?: string } | undefined): EventValue {
    this.counters.deadLetters++;
    this.options.onDeadLetter?.({ error: err, event: err.event }, this.pipeline.name, origin?.stream, origin?.seq);
    const dl: Record<string, EventValue> = { ...(deadLetterToJSON({ error: err, event: err.event }) as Record<string, EventValue>), pipeline: this.pipeline.name };
    if (origin?.stream !== undefined) dl['stream'] = origin.stream;
    if (origin?.seq !== undefined) dl['seq'] = origin.seq;
    return dl;
  }

  /** One transaction: input position, state changes, durable outputs. Then the in-memory outputs. */
  private commit(position: { stream: string; seq: number; expected?: number } | undefined, out: Map<string, EventValue[]>): void {
    const state: StateWrite[] = this.steps.flatMap((s) => s.session.take());
    const appends: { stream: string; items: { event: EventValue }[] }[] = [];
    const later: [string, EventValue[]][] = [];
    for (const [stream, events] of out) {
      if (this.outputs.isDurable(stream)) appends.push({ stream, items: events.map((event) => ({ event })) });
      else later.push([stream, events]);
    }
    // `expected` fences the consumer: if another process moved its position, the commit fails
    // (STORAGE_CONFLICT) instead of applying the batch twice.
    const consumer = position ? { name: this.consumer, stream: position.stream, seq: position.seq, ...(position.expected !== undefined ? { expected: position.expected } : {}) } : undefined;
    const started = performance.now();
    if (this.options.splitCommit && consumer) {
      // The negative control: two transactions. A crash between them replays the batch.
      this.storage.commitBatch({ state, appends });
      this.options.onSplitWindow?.();
      this.storage.commitBatch({ consumer });
    } else {
      this.storage.commitBatch({ consumer, state, appends });
    }
    this.counters.commits++;
    const metrics = this.options.metrics;
    if (metrics) {
      const seconds = (performance.now() - started) / 1000;
      for (const a of appends) metrics.recordCommit(a.stream, seconds, a.items.length);
    }
    if (consumer) this.options.onCommit?.(this.pipeline.name, consumer.stream, consumer.seq);
    for (const a of appends) this.outputs.appended(a.stream, a.items.map((i) => i.event));
    for (const [stream, events] of later) for (const e of events) this.outputs.emit(stream, e);
  }
}

function push(out: Map<string, EventValue[]>, stream: string, event: EventValue): void {
  let list = out.get(stream);
  if (!list) out.set(stream, (list = []));
  list.push(event);
}
