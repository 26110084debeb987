/**
 * A pipeline's steps, cast batch by batch: each step is its own spell (its own Lua state, budget,
 * memory cap, error policy and state namespace) and casts the whole batch in one call into Lua; what
 * it emits on the default port is the next step's batch, what it emits on a named port goes to the
 * port's stream, what fails goes to the pipeline's dead letters — at the step that produced it. The
 * steps run in a loop, not nested inside each other, so no pipeline is too long for the JS stack.
 */
import type { EventValue } from '../core/event.js';
import { DEFAULT_PORT } from '../core/event.js';
import { SanctumError } from '../core/errors.js';
import type { StateChange, TimerChange } from '../core/storage.js';
import { SpellError, deadLetterToJSON, type DeadLetter } from '../spellcraft/errors.js';
import { Handoff, type EmitSink, type SpellCaster } from '../spellcraft/caster.js';
import type { ErrorPolicy, Spell, SpellStats } from '../spellcraft/spell.js';
import type { RunesetPipeline } from '../runes/runeset.js';
import type { SpellChanges, StateSession } from './state-library.js';

/** One step of a pipeline, opened: its spell, its live caster and the state it writes. */
export interface PipelineStep {
  readonly spell: Spell;
  readonly caster: SpellCaster;
  readonly session: StateSession;
  /** Named port → stream. */
  readonly ports: Readonly<Record<string, string>>;
  readonly policy: ErrorPolicy;
  /** Call the spell's `tick` this often, in ms (its `tick` rune), when it defines one. */
  readonly tick?: number;
}

/** Where the events of a batch came from: a durable stream and their sequence numbers. */
export interface BatchOrigin {
  readonly stream: string;
  /** Their sequence numbers, when the stream is durable. */
  readonly seqs?: readonly number[];
}

/** What a batch produced: events per output stream, in order. */
export type Outputs = Map<string, EventValue[]>;

/** What a pipeline tells the run while it casts. */
export interface PipelineHooks {
  /** Each dead letter (for the log), with where the failed event was read, when known. */
  readonly onDeadLetter?: (deadLetter: DeadLetter, pipeline: string, stream: string | undefined, sequence?: number) => void;
  /** The run's clock, for the sweep of expired state (default `Date.now`). */
  readonly now?: () => number;
}

/** The result of casting a batch. `stopped` is set when a `stop` policy halted the pipeline. */
/** Where a step's outputs go while it casts, and what it emitted (counted into its stats). */
interface StepTarget {
  readonly sink: EmitSink;
  readonly accept: (port: string) => boolean;
  readonly emitted: number;
  readonly named: Map<string, number> | undefined;
}

export interface CastResult {
  readonly out: Outputs;
  readonly stopped?: SanctumError;
  /**
   * How many events of the batch were cast: fewer than all when the first step's outputs reached
   * the pipeline's output bound. The rest are cast with the next batch (and, durable, committed
   * with it): what one batch holds stays bounded whatever the fan-out.
   */
  readonly consumed?: number;
}

export class PipelineCore {
  /** The streams the pipeline writes: `to`, its ports, its dead letters. */
  readonly outputs: readonly string[];
  /**
   * True when a step's policy is `stop`: the pipeline casts one event at a time, so that it halts
   * exactly at the failing event and commits nothing of it.
   */
  oneByOne: boolean;
  /** True when a step has a `tick` rune and hook, or timers and a `timer` hook: the consumer then asks for due work. */
  timed = false;
  private closed = false;
  /** Per step: the instant its next tick is due (Infinity: it does not tick). */
  private nextTicks: number[] = [];
  /** Per step: the instant it last ticked (a final tick at that same instant would be a second one). */
  private lastTicks: number[] = [];
  /** Per step: it fires timers. */
  private firesTimers: boolean[] = [];
  private readonly now: () => number;

  constructor(
    readonly pipeline: RunesetPipeline,
    private steps: readonly PipelineStep[],
    private readonly hooks: PipelineHooks = {},
    /** Outputs of the first step after which a batch is cut (the rest cast with the next). */
    private readonly maxOutputs = Infinity,
  ) {
    this.outputs = [...pipelineOutputs(pipeline)];
    this.oneByOne = steps.some((s) => s.policy === 'stop');
    this.now = hooks.now ?? Date.now;
    this.timeSteps(steps, undefined);
  }

  /**
   * What the steps do in time: who fires timers, who ticks and when next. Steps that tick keep their
   * schedule across a reload (`now` given), a step that starts ticking first ticks an interval later.
   */
  private timeSteps(steps: readonly PipelineStep[], now: number | undefined): void {
    const nextTicks = steps.map((s, i) => {
      if (now === undefined || s.tick === undefined || !s.caster.hasTick) return Infinity;
      const before = this.nextTicks[i];
      return before !== undefined && before !== Infinity ? before : now + s.tick;
    });
    this.lastTicks = steps.map((_, i) => this.lastTicks[i] ?? -Infinity);
    this.nextTicks = nextTicks;
    this.firesTimers = steps.map((s) => s.caster.hasTimer && s.caster.timers !== undefined);
    this.timed = steps.some((s, i) => (s.tick !== undefined && s.caster.hasTick) || this.firesTimers[i]);
  }

  /** The steps as they are now (a reload swaps them). */
  get currentSteps(): readonly PipelineStep[] {
    return this.steps;
  }

  /**
   * Swaps in new steps — a reload, between two batches: new spells and casters (their `init` already
   * run), the same state sessions. The old casters are closed. After `close`, the new ones are closed instead.
   */
  swapSteps(steps: readonly PipelineStep[]): void {
    if (this.closed) {
      for (const s of steps) s.caster.close();
      return;
    }
    const old = this.steps;
    this.steps = steps;
    this.oneByOne = steps.some((s) => s.policy === 'stop');
    this.timeSteps(steps, this.now());
    this.countdown.clear();
    for (const s of old) s.caster.close();
  }

  /**
   * Runs every step's `init`. A failure is a dead letter (and the step then fails every cast), or
   * stops. Ticks count from here: the first is one interval later.
   */
  init(): CastResult {
    const now = this.now();
    this.steps.forEach((s, i) => {
      if (s.tick !== undefined && s.caster.hasTick) this.nextTicks[i] = now + s.tick;
    });
    const out: Outputs = new Map();
    for (const step of this.steps) {
      const err = step.caster.init();
      if (err) {
        const stop = this.fail(step, err, undefined, out);
        if (stop) return { out, stopped: stop };
      }
    }
    return { out };
  }

  /**
   * Casts a batch through every step (a prefix of it, when the first step's outputs reach the bound);
   * then expired state is swept a little (it commits with the batch).
   */
  process(events: readonly EventValue[], origin?: BatchOrigin): CastResult {
    const out: Outputs = new Map();
    let items: readonly EventValue[] | Handoff = events;
    let consumed = events.length;
    // The hand-off the current items came through: its sender holds them until they are cast.
    let handed: Handoff | undefined;
    let handing: Handoff | undefined;
    try {
      for (let i = 0; i < this.steps.length && (items instanceof Handoff ? items.count : items.length) > 0; i++) {
        handing = this.handOn(i);
        const r = this.castStep(i, items, i === 0 ? origin : undefined, out, i === 0 ? this.maxOutputs : Infinity, handing);
        handed?.release();
        if (r.stopped) return { out, stopped: r.stopped };
        if (i === 0) consumed = r.consumed;
        if (handing?.open) {
          items = handed = handing;
        } else {
          items = r.produced;
          handed = undefined;
        }
        handing = undefined;
      }
    } finally {
      handed?.release();
      handing?.release();
    }
    // A hand-off still here was empty: the step before emitted nothing on its default port.
    if (!(items instanceof Handoff)) this.toLast(items, out);
    this.sweep();
    return { out, consumed };
  }

  /**
   * Whether step i hands its default-port outputs to step i+1 inside their engine, without a JS
   * object between them (see Handoff): when both spells' states are in one engine, and no tap
   * watches step i's outputs (a tap sees each one as a JS value). Set `fusion` false to turn it off.
   */
  fusion = true;
  private handOn(i: number): Handoff | undefined {
    const next = this.steps[i + 1];
    const step = this.steps[i]!;
    if (!this.fusion || next === undefined || step.spell.probes.emitted !== undefined) return undefined;
    return step.caster.handOnTo(next.caster);
  }

  /** Runs every step's `finish`; what a step emits flows through the steps after it. */
  finish(): CastResult {
    return this.cascade((step, target, out) => {
      const err = step.caster.finish(target.sink, target.accept);
      return err ? this.fail(step, err, undefined, out) : undefined;
    });
  }

  /**
   * Calls `hook` at each step in order, after what the steps before it emitted was cast through it:
   * the hook's outputs (a `finish`, a tick, timers) flow through the steps after it. Stops at the
   * first stop the error policy asks for.
   */
  private cascade(hook: (step: PipelineStep, target: StepTarget, out: Outputs, i: number) => SanctumError | undefined): CastResult {
    const out: Outputs = new Map();
    let carry: EventValue[] = [];
    for (let i = 0; i < this.steps.length; i++) {
      const step = this.steps[i]!;
      let produced: EventValue[] = [];
      if (carry.length) {
        const r = this.castStep(i, carry, undefined, out);
        if (r.stopped) return { out, stopped: r.stopped };
        produced = r.produced;
      }
      const target = this.sinkFor(step, produced, out);
      const stop = hook(step, target, out, i);
      this.count(step, target);
      if (stop) return { out, stopped: stop };
      carry = produced;
    }
    this.toLast(carry, out);
    return { out };
  }

  // ---- time: ticks and timers, between batches ----

  /** True when a tick or a timer is due at `now`. */
  dueAt(now: number): boolean {
    const next = this.nextDue();
    return next !== undefined && next <= now;
  }

  /** The earliest instant a tick or a timer is due; undefined when none will be. */
  nextDue(): number | undefined {
    if (!this.timed) return undefined;
    let next = Infinity;
    for (let i = 0; i < this.steps.length; i++) {
      if (this.nextTicks[i]! < next) next = this.nextTicks[i]!;
      if (this.firesTimers[i]) {
        const t = this.steps[i]!.session.nextTimer();
        if (t !== undefined && t < next) next = t;
      }
    }
    return next === Infinity ? undefined : next;
  }

  /**
   * Runs what is due at `now`: each step's tick (when due, or every tick with `final`, at a graceful
   * stop) and up to `max` of its due timers; what they emit flows through the steps after it, as
   * `finish`'s outputs do. Failures follow the step's error policy. Commit the result like a batch:
   * the timers taken are deleted in the same unit as the outputs (and a little expired state with them).
   */
  fire(now: number, max: number, final = false): CastResult {
    const result = this.cascade((step, target, out, i) => {
      const tick = step.tick;
      if (tick !== undefined && step.caster.hasTick && (final ? this.lastTicks[i] !== now : this.nextTicks[i]! <= now)) {
        this.lastTicks[i] = now;
        // The next tick one interval on; a late loop skips the ticks it missed rather than piling them up.
        const next = this.nextTicks[i]! + tick;
        this.nextTicks[i] = next > now ? next : now + tick;
        const err = step.caster.tick(now, target.sink, target.accept);
        const stop = err ? this.fail(step, err, undefined, out) : undefined;
        if (stop) return stop;
      }
      if (this.firesTimers[i]) {
        const keys = step.session.dueTimers(now, max);
        if (keys.length > 0) {
          for (const f of step.caster.fireTimers(keys, now, target.sink, target.accept)) {
            const stop = this.fail(step, f, undefined, out);
            if (stop) return stop;
          }
        }
      }
      return undefined;
    });
    if (!result.stopped) this.sweep(); // an idle pipeline's expired state goes too
    return result;
  }

  /** Deletes a little of each step's expired state, with the batch (after its casts, which keep what they wrote). */
  private sweep(): void {
    const now = this.now();
    for (const s of this.steps) s.session.sweep(now);
  }

  /** The state and timer changes of every step since the last call (they commit with the batch). */
  takeChanges(): SpellChanges {
    const state: StateChange[] = [];
    const timers: TimerChange[] = [];
    for (const s of this.steps) {
      if (s.session.size === 0) continue;
      const c = s.session.takeChanges();
      for (const x of c.state) state.push(x);
      for (const x of c.timers) timers.push(x);
    }
    return { state, timers };
  }

  /** Forgets uncommitted state changes (a commit failed, or the pipeline stopped). */
  discardState(): void {
    for (const s of this.steps) s.session.discard();
  }

  /** Closes every step's Lua state. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.steps) s.caster.close();
  }

  private castStep(
    i: number,
    items: readonly EventValue[] | Handoff,
    origin: BatchOrigin | undefined,
    out: Outputs,
    maxOutputs = Infinity,
    handOn?: Handoff,
  ): { produced: EventValue[]; stopped?: SanctumError; consumed: number } {
    const step = this.steps[i]!;
    const produced: EventValue[] = [];
    const target = this.sinkFor(step, produced, out);
    const spell = step.spell;
    const timer = spell.probes.castTimer;
    let r: { failures: readonly SpellError[]; consumed: number };
    if (timer !== undefined && (this.countdown.get(spell) ?? 0) <= 0) {
      // One cast in `every` is timed: a timed batch counts as the casts of it that would have been.
      const t0 = performance.now();
      r = step.caster.castPrefix(items, target.sink, target.accept, maxOutputs, handOn);
      const each = (performance.now() - t0) / 1000 / Math.max(1, r.consumed);
      const sampled = Math.ceil(r.consumed / timer.every);
      for (let k = 0; k < sampled; k++) timer.record(each);
      this.countdown.set(spell, timer.every * sampled - r.consumed);
    } else {
      r = step.caster.castPrefix(items, target.sink, target.accept, maxOutputs, handOn);
      if (timer !== undefined) this.countdown.set(spell, (this.countdown.get(spell) ?? 0) - r.consumed);
    }
    const failures = r.failures;
    (spell.stats as SpellStats).casts += r.consumed;
    this.count(step, target);
    // What it handed on to the next step was emitted too.
    if (handOn?.open) (spell.stats as SpellStats).emitted += handOn.count;
    for (const f of failures) {
      let where: { stream: string; seq?: number } | undefined;
      if (origin !== undefined && !(items instanceof Handoff)) {
        const k = origin.seqs !== undefined ? items.indexOf(f.event as EventValue) : -1;
        where = { stream: origin.stream, ...(k >= 0 ? { seq: origin.seqs![k] } : {}) };
      }
      const stop = this.fail(step, f, where, out);
      if (stop) return { produced, stopped: stop, consumed: r.consumed };
    }
    return { produced, consumed: r.consumed };
  }

  private readonly countdown = new Map<Spell, number>();

  /** The emit sink of a step for one call: default port → `produced`, named ports → their streams. */
  private sinkFor(step: PipelineStep, produced: EventValue[], out: Outputs): StepTarget {
    const tap = step.spell.probes.emitted;
    const counts = { emitted: 0, named: undefined as Map<string, number> | undefined };
    const sink: EmitSink = (event, port) => {
      counts.emitted++;
      if (tap !== undefined) tap(event, port);
      if (port === DEFAULT_PORT) produced.push(event);
      else {
        push(out, step.ports[port]!, event);
        const named = (counts.named ??= new Map());
        named.set(port, (named.get(port) ?? 0) + 1);
      }
    };
    const result = {
      sink,
      accept: (port: string) => port === DEFAULT_PORT || port in step.ports,
      get emitted() {
        return counts.emitted;
      },
      get named() {
        return counts.named;
      },
    };
    return result;
  }

  private count(step: PipelineStep, t: { emitted: number; named: Map<string, number> | undefined }): void {
    const stats = step.spell.stats as SpellStats;
    stats.emitted += t.emitted;
    if (t.named) for (const [port, n] of t.named) stats.emittedToPorts.set(port, (stats.emittedToPorts.get(port) ?? 0) + n);
  }

  /** Applies the step's policy to a failure; returns the error that stops the pipeline, if it must stop. */
  private fail(step: PipelineStep, err: SpellError, where: { stream: string; seq?: number } | undefined, out: Outputs): SanctumError | undefined {
    const stats = step.spell.stats as SpellStats;
    stats.failed++;
    bump(stats.failedByCode, err.code);
    if (step.policy === 'stop') {
      return new SanctumError('PIPELINE_STOPPED', `pipeline '${this.pipeline.name}' stopped: ${err.message}`, { cause: err });
    }
    if (step.policy === 'skip') {
      stats.skipped++;
      step.spell.options.logger?.({
        spell: step.spell.name,
        level: 'warn',
        message: `skipped a failed event: ${err.message}`,
        file: err.file,
        line: err.line,
        fields: { code: err.code },
      });
      return undefined;
    }
    stats.deadLettered++;
    bump(stats.deadLetteredByCode, err.code);
    push(out, this.pipeline.dead_letters, this.deadLetter(err, where));
    return undefined;
  }

  private deadLetter(err: SpellError, where: { stream: string; seq?: number } | undefined): EventValue {
    const dl: DeadLetter = { error: err, event: err.event };
    this.hooks.onDeadLetter?.(dl, this.pipeline.name, where?.stream, where?.seq);
    const json = deadLetterToJSON(dl) as Record<string, EventValue>;
    json['pipeline'] = this.pipeline.name;
    if (where !== undefined) {
      json['stream'] = where.stream;
      if (where.seq !== undefined) json['seq'] = where.seq;
    }
    return json;
  }

  /** The last step's default-port events: to `to`, or dead letters when the pipeline has none. */
  private toLast(items: readonly EventValue[], out: Outputs): void {
    if (items.length === 0) return;
    const to = this.pipeline.to;
    if (to !== undefined) {
      const list = out.get(to);
      if (list === undefined) out.set(to, items as EventValue[]);
      else for (const e of items) list.push(e);
      return;
    }
    const last = this.steps[this.steps.length - 1]!;
    for (const event of items) {
      const err = new SpellError({
        code: 'SPELL_PORT_UNWIRED',
        spell: last.spell.name,
        file: last.spell.file,
        hook: 'cast',
        event,
        luaMessage: `emitted to the default port '${DEFAULT_PORT}', but pipeline '${this.pipeline.name}' has no \`to\` stream (add one, or emit nothing)`,
      });
      this.fail({ ...last, policy: last.policy === 'stop' ? 'dead-letter' : last.policy }, err, undefined, out);
    }
  }
}

/** The streams a pipeline writes to: `to`, its steps' ports, its dead letters. */
export function pipelineOutputs(p: RunesetPipeline): Set<string> {
  const out = new Set<string>([p.dead_letters]);
  if (p.to !== undefined) out.add(p.to);
  for (const step of p.steps) for (const s of Object.values(step.ports)) out.add(s);
  return out;
}

function push(out: Outputs, stream: string, event: EventValue): void {
  const list = out.get(stream);
  if (list === undefined) out.set(stream, [event]);
  else list.push(event);
}

function bump(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}
