/** summon(): load and compile a Lua spell from a file; the spell is an RxJS operator. */
// rxjs's own modules, not its index: the index loads all of RxJS (≈230 files, ~65 ms of every start).
import { Subject } from 'rxjs/internal/Subject';
import { config as rxConfig } from 'rxjs/internal/config';
import type { Observable, Observer, OperatorFunction, Subscriber } from 'rxjs';
import type { EventValue } from '../core/event.js';
import { DEFAULT_PORT } from '../core/event.js';
import { SpellCaster, type CasterOptions, type EmitSink, type SpellDefinition, type SpellLibraries, type SpellLogger, type SpellModule } from './caster.js';
import { applyErrorPolicy, stderrDeadLetters, type PolicyTargets } from './error-policy.js';
import { CallbackError, type SpellError, type DeadLetter, type ErrorPolicy } from './errors.js';
import type { LuaVM } from './lua-vm.js';
import { defineSpell, readSpell, type SpellDefinitionOptions } from './definition.js';
import { UpstreamSubscriber, operate, toNext } from './operate.js';
import { DueWork, type DueSettle } from './due-work.js';
import { systemClock, type Clock } from '../core/clock.js';

// In errors.ts, which loads no Lua: the CLI's option parser needs the list to start up.
export { DEFAULT_INSTRUCTION_BUDGET, DEFAULT_EMIT_LIMIT, DEFAULT_MEMORY_LIMIT, stderrLogger } from './definition.js';
export { ERROR_POLICIES, type ErrorPolicy } from './errors.js';

export interface SummonOptions extends SpellDefinitionOptions {
  /** The spell's name in messages, dead letters and metrics. Default: the file name without `.lua`. */
  readonly name?: string;
  /** The spell's runes (configuration), handed to `init(runes)`. */
  readonly runes?: Readonly<Record<string, EventValue>>;
  /** What a failing event does: `dead-letter` (default), `skip` or `stop`. */
  readonly onError?: ErrorPolicy;
  /** Lua instructions one call of `init`, `cast` or `finish` may run. Default 10,000,000. */
  readonly instructionBudget?: number;
  /** Events one call of `init`, `cast` or `finish` may emit (SPELL_EMIT_LIMIT beyond). Default 100,000. */
  readonly emitLimit?: number;
  /** Bytes of Lua heap the spell may use. Default 64 MiB. */
  readonly memoryLimit?: number;
  /** Where `print` and `log.*` go. Default: one line each on stderr. */
  readonly logger?: SpellLogger;
  /** How the file is named in messages. Default: the path as given, relative to the working directory. */
  readonly displayPath?: string;
  /**
   * Host libraries the spell can call from Lua (`{ kv: { get, put } }` → `kv.get(k)`). A function
   * is called for each new caster (each subscription), so each can have its own.
   */
  readonly libraries?: SpellLibraries | (() => SpellLibraries);
  /**
   * Everything a new caster gets (libraries, and a transaction that makes their effects part of each
   * cast's all-or-nothing), made for each caster. Takes the place of `libraries`.
   */
  readonly caster?: () => CasterOptions;
  /** The clock of `sanctum.now()`, ticks and timers in the spell's operators (default: the wall clock). */
  readonly clock?: Clock;
  /** Call the spell's `tick(now, emit)` this often, in ms, while an operator of it runs (and once when its input completes). */
  readonly tick?: number;
  /**
   * The spell's `state` and `timers` libraries in its operators, and where they commit (see
   * `spellState()`): each subscription opens a session on the operator's clock, whose writes commit
   * at the end of each synchronous burst of events, every {@link STATE_COMMIT_EVERY} changes and when
   * the subscription ends. Host `libraries` are given beside them; a `caster` option replaces them.
   */
  readonly state?: SpellStateProvider;
}

/**
 * Gives each operator of a spell (each subscription) its `state` and `timers`. `spellState()` makes
 * one over a `Storage`; implement it to keep state elsewhere.
 */
export interface SpellStateProvider {
  /** Opens the state of one caster of spell `spell`; `now` is its operator's clock (TTLs and timers count on it). */
  open(spell: string, now: () => number): SpellStateSession;
}

/** One caster's state, opened by a {@link SpellStateProvider}. */
export interface SpellStateSession {
  /** Its libraries (`state`, `timers`), the transaction that makes them all-or-nothing, the timers to fire. */
  readonly caster: CasterOptions;
  /** How many changes (writes, timers set or cancelled) wait to be committed. */
  readonly size: number;
  /** Commits the pending changes; throws (having dropped them) when the store fails. */
  commit(): void;
}

/** A spell operator with state commits at once when this many changes are pending (bounded memory on a fast synchronous source). */
export const STATE_COMMIT_EVERY = 1000;

/** Per-operator options: override the spell's policy and wire its ports. */
export interface CastOptions {
  readonly onError?: ErrorPolicy;
  /**
   * Named ports (`emit(event, "name")`) and where their events go. Unwired ports fail the cast. A
   * target that throws errors the stream with CALLBACK_FAILED, once the cast's other outputs are
   * delivered.
   */
  readonly ports?: Readonly<Record<string, { next(event: EventValue): void } | ((event: EventValue) => void)>>;
  /**
   * Where dead letters go. Default: the spell's `deadLetters` stream (stderr when nobody listens).
   * A target that throws errors the stream with CALLBACK_FAILED (the dead letter is its `value`).
   */
  readonly deadLetters?: Partial<Observer<DeadLetter>> | ((deadLetter: DeadLetter) => void);
  /** The clock of this operator's `sanctum.now()`, ticks and timers (default: the spell's, or the wall clock). */
  readonly clock?: Clock;
  /** Tick every this many ms (default: the spell's `tick` option). */
  readonly tick?: number;
}

/** The time options of an operator. */
type TimeOptions = Pick<CastOptions, 'clock' | 'tick'>;

/** An output of `spell.routed()`: an event on a port, or a dead letter. */
export type RoutedOutput =
  | { readonly kind: 'event'; readonly port: string; readonly event: EventValue }
  | { readonly kind: 'dead-letter'; readonly deadLetter: DeadLetter };

/** Counters over all casters of a spell. */
export interface SpellStats {
  casts: number;
  emitted: number;
  failed: number;
  skipped: number;
  deadLettered: number;
  /** Events emitted to each named port; the default port's count is `emitted` minus their sum. */
  readonly emittedToPorts: Map<string, number>;
  /** Failures (whatever the policy did with them) by error code. */
  readonly failedByCode: Map<string, number>;
  /** Dead letters by error code. */
  readonly deadLetteredByCode: Map<string, number>;
}

/** Times one cast in `every` (from the cast's start to its first output) and hands over the seconds. */
export interface CastTimer {
  readonly every: number;
  record(seconds: number): void;
}

/**
 * Hooks an observer (metrics, taps) sets on a spell while it runs. Unset, each costs one check per
 * event; they must not throw.
 */
export interface SpellProbes {
  /** Sees every event the spell emits, with its port, before it is routed. */
  emitted?: ((event: EventValue, port: string) => void) | undefined;
  castTimer?: CastTimer | undefined;
}

/**
 * A summoned spell. It is an RxJS operator (`events$.pipe(spell)` emits what the spell emits on
 * its default port) and offers variants for ports, policies and routing. It takes any value in:
 * what is not JSON-shaped fails that event with SPELL_BAD_INPUT.
 */
export interface Spell extends OperatorFunction<unknown, EventValue> {
  readonly name: string;
  /** The file as shown in messages. */
  readonly file: string;
  readonly options: Readonly<SummonOptions>;
  /** Dead letters of operators that were given no `deadLetters` target. */
  readonly deadLetters: Observable<DeadLetter>;
  readonly stats: Readonly<SpellStats>;
  /** Observer hooks: set and unset them at any time (see `src/observe`). */
  readonly probes: SpellProbes;
  /** Bytes of Lua heap held by the live casters of this spell (its operators' and those it opened). */
  memoryUsed(): number;
  /** The operator with options: ports, dead letters, error policy. */
  operator(options?: CastOptions): OperatorFunction<unknown, EventValue>;
  /** Every port's events and every dead letter, tagged, in one stream. */
  routed(options?: Pick<CastOptions, 'onError' | 'clock' | 'tick'>): OperatorFunction<unknown, RoutedOutput>;
  /** The same spell with other runes or limits (summoned again). */
  withOptions(options: SummonOptions): Promise<Spell>;
  /** A live caster of its own (its own Lua state): the low-level API the runtime builds on. */
  open(options?: CasterOptions): SpellCaster;
}

/**
 * Loads and compiles a spell. Rejects with a SpellError (`SPELL_NOT_FOUND`, `SPELL_SYNTAX`,
 * `SPELL_INVALID`, `SPELL_RUNTIME`) when it cannot be used.
 *
 * @example
 * const enrich = await summon('spells/enrich.lua', { runes: { threshold: 10 } });
 * from(events).pipe(enrich, filter((e) => e.hot)).subscribe(console.log);
 */
export async function summon(file: string, options: SummonOptions = {}): Promise<Spell> {
  const read = await readSpell(file, options);
  return summonSource(read.source, { ...options, name: read.name, displayPath: read.displayPath }, read.modules);
}

/**
 * Summons a spell from source text rather than a file (tests, generated spells). `displayPath`
 * names it in messages (default `<inline>.lua`).
 */
export async function summonSource(source: string, options: SummonOptions = {}, modules: readonly SpellModule[] = []): Promise<Spell> {
  // The compile check runs with the state session the spell will have (it opens nothing until used).
  const { vm, def } = await defineSpell(source, options, modules, (name) =>
    casterOptions(options, options.caster ? undefined : options.state?.open(name, Date.now)),
  );
  return createSpell(vm, def, options, def.modules);
}

function createSpell(vm: LuaVM, def: SpellDefinition, options: SummonOptions, modules: readonly SpellModule[]): Spell {
  const deadLetters = new Subject<DeadLetter>();
  const stats: SpellStats = {
    casts: 0,
    emitted: 0,
    failed: 0,
    skipped: 0,
    deadLettered: 0,
    emittedToPorts: new Map(),
    failedByCode: new Map(),
    deadLetteredByCode: new Map(),
  };
  const probes: SpellProbes = {};
  const live = new Set<SpellCaster>();
  const basePolicy = options.onError ?? 'dead-letter';

  const defaultDeadLetters = (dl: DeadLetter) => {
    if (deadLetters.observed) deadLetters.next(dl);
    else stderrDeadLetters(dl);
  };

  /**
   * Every operator of the spell (the spell itself, `operator()`, `routed()`): one caster (Lua state)
   * per subscription, closed once when the subscription ends, however it ends; `finish` only when
   * the source completes. Built on `operate`, so a synchronous `take(n)` downstream stops the source
   * after n events, and a callback that throws errors the stream (CALLBACK_FAILED) instead of
   * escaping the pipe.
   */
  function makeOperator<T>(
    policy: ErrorPolicy,
    route: (ev: EventValue, port: string, out: Subscriber<T>) => void,
    acceptPort: ((port: string) => boolean) | undefined,
    onDeadLetter: (dl: DeadLetter, out: Subscriber<T>) => void,
    time: TimeOptions = {},
  ): OperatorFunction<unknown, T> {
    return operate<unknown, T>((source, destination) => {
      // A spell that no longer loads throws here, and operate() errors the stream with it.
      const clock = time.clock ?? options.clock ?? systemClock;
      const now = () => clock.now();
      const state = options.caster ? undefined : options.state?.open(def.name, now);
      const caster = new SpellCaster(vm, def, { ...casterOptions(options, state), now });
      live.add(caster);
      const targets: PolicyTargets = { policy, spell: def.name, logger: def.logger, deadLetter: (dl) => onDeadLetter(dl, destination) };
      // Cast timing (when a timer is set): one cast in `every`, from its start to its first output,
      // so that the time downstream operators take is not counted.
      let countdown = 1;
      let castStart = 0;
      const endTiming = () => {
        probes.castTimer?.record((performance.now() - castStart) / 1000);
        castStart = 0;
      };
      // The first callback (a port's target) that threw during a delivery. The cast succeeded, so its
      // other outputs are still delivered; then the stream errors with this.
      let callbackFailure: CallbackError | undefined;
      const sink: EmitSink = (ev, port) => {
        if (castStart !== 0) endTiming();
        stats.emitted++;
        if (port !== DEFAULT_PORT) bump(stats.emittedToPorts, port);
        const tap = probes.emitted;
        if (tap !== undefined) tap(ev, port);
        try {
          route(ev, port, destination);
        } catch (e) {
          callbackFailure ??= new CallbackError({ spell: def.name, callback: 'port', port, value: ev }, e);
        }
      };
      /** Counts a failure and applies the policy; false when that ended the stream. */
      const fail = (err: SpellError): boolean => {
        stats.failed++;
        bump(stats.failedByCode, err.code);
        const end = applyErrorPolicy(targets, err);
        if (end !== undefined) {
          destination.error(end);
          return false;
        }
        if (policy === 'skip') {
          stats.skipped++;
        } else {
          stats.deadLettered++;
          bump(stats.deadLetteredByCode, err.code);
        }
        return true;
      };
      /** After a delivery: false (and the stream errored) when a callback threw during it. */
      const delivered = (): boolean => {
        if (callbackFailure === undefined) return true;
        const err = callbackFailure;
        callbackFailure = undefined;
        destination.error(err);
        return false;
      };
      // State: what the calls changed commits at the end of a synchronous burst of them (a
      // microtask), at once beyond STATE_COMMIT_EVERY changes, and when the subscription ends.
      let commitQueued = false;
      /** Commits the pending state changes; false (and the stream errored) when the store failed. */
      const commitState = (): boolean => {
        if (state === undefined || state.size === 0) return true;
        try {
          state.commit();
          return true;
        } catch (e) {
          destination.error(e);
          return false;
        }
      };
      const flushLater = (): void => {
        commitQueued = false;
        if (!destination.closed) commitState();
      };
      /** After a call that may have changed state: commit now, or once the burst is over. */
      const changed = (): void => {
        if (state === undefined || state.size === 0 || destination.closed) return;
        if (state.size >= STATE_COMMIT_EVERY) commitState();
        else if (!commitQueued) {
          commitQueued = true;
          queueMicrotask(flushLater);
        }
      };
      // Time: ticks every `tick` ms and timers when due, on the clock; what they emit goes out like a
      // cast's outputs. Due work runs before an event of the same instant is cast.
      const due = new DueWork(caster, clock, time.tick ?? options.tick);
      due.start();
      const settle: DueSettle = (err) => (err !== undefined ? fail(err) : delivered());
      const runDue = (final: boolean): boolean => due.run(final, sink, settle, acceptPort);
      const arm = (): void =>
        due.arm(() => {
          if (runDue(false)) arm();
          changed();
        });
      const upstream = new UpstreamSubscriber<unknown>(destination, {
        next(ev) {
          if (due.isDue() && !runDue(false)) return;
          stats.casts++;
          // Any JS value may arrive; what is not JSON-shaped fails as SPELL_BAD_INPUT.
          let err: SpellError | undefined;
          const timer = probes.castTimer;
          if (timer !== undefined && --countdown <= 0) {
            countdown = timer.every;
            castStart = performance.now();
            err = caster.cast(ev as EventValue, sink, acceptPort);
            if (castStart !== 0) endTiming();
          } else {
            err = caster.cast(ev as EventValue, sink, acceptPort);
          }
          if (err !== undefined) fail(err);
          else if (callbackFailure !== undefined) delivered();
          if (due.timed && !destination.closed) arm();
          changed();
        },
        complete() {
          // A graceful end: the last tick, and the timers due now, before finish; then what they wrote commits.
          if (due.timed && !runDue(true)) return;
          const err = caster.finish(sink, acceptPort);
          if ((err !== undefined ? fail(err) : delivered()) && commitState()) destination.complete();
        },
        finalize() {
          due.cancel();
          // An error or an unsubscribe: what the calls that succeeded changed is kept.
          if (state !== undefined && state.size > 0) {
            try {
              state.commit();
            } catch (e) {
              reportUnhandled(e);
            }
          }
          live.delete(caster);
          caster.close();
        },
      });
      // `init` before subscribing: under `stop` its failure errors the stream (which closes the
      // caster through `upstream`) and the source is never subscribed.
      const initErr = caster.init();
      if (initErr !== undefined && !fail(initErr)) return;
      if (due.timed) arm();
      changed();
      source.subscribe(upstream);
    });
  }

  function operator(opts: CastOptions = {}): OperatorFunction<unknown, EventValue> {
    const ports = new Map<string, (ev: EventValue) => void>();
    for (const [name, target] of Object.entries(opts.ports ?? {})) ports.set(name, toNext(target));
    const dlTarget = opts.deadLetters ? toNext(opts.deadLetters) : defaultDeadLetters;
    return makeOperator<EventValue>(
      opts.onError ?? basePolicy,
      (ev, port, out) => {
        if (port === DEFAULT_PORT) out.next(ev);
        else ports.get(port)!(ev);
      },
      (port) => port === DEFAULT_PORT || ports.has(port),
      (dl) => dlTarget(dl),
      opts,
    );
  }

  function routed(opts: Pick<CastOptions, 'onError' | 'clock' | 'tick'> = {}): OperatorFunction<unknown, RoutedOutput> {
    return makeOperator<RoutedOutput>(
      opts.onError ?? basePolicy,
      (event, port, out) => out.next({ kind: 'event', port, event }),
      undefined,
      (deadLetter, out) => out.next({ kind: 'dead-letter', deadLetter }),
      opts,
    );
  }

  const plain = operator();
  const spell = ((source: Observable<unknown>) => plain(source)) as Spell;
  Object.defineProperties(spell, {
    name: { value: def.name, enumerable: true },
    file: { value: def.file, enumerable: true },
    options: { value: Object.freeze({ ...options }), enumerable: true },
    deadLetters: { value: deadLetters.asObservable(), enumerable: true },
    stats: { value: stats, enumerable: true },
    probes: { value: probes, enumerable: true },
  });
  spell.memoryUsed = () => {
    let bytes = 0;
    for (const c of live) {
      if (c.closed) live.delete(c);
      else bytes += c.memoryUsed();
    }
    return bytes;
  };
  spell.operator = operator;
  spell.routed = routed;
  spell.withOptions = (more) => summonSource(def.source, { ...options, ...more, name: more.name ?? def.name, displayPath: def.file }, modules);
  spell.open = (opts) => {
    const caster = new SpellCaster(vm, def, opts ?? casterOptions(options));
    live.add(caster); // counted in memoryUsed until closed
    return caster;
  };
  return spell;
}

/** What a new caster gets: the `caster` option's, or the host libraries beside the state session's. */
function casterOptions(options: SummonOptions, state?: SpellStateSession): CasterOptions {
  if (options.caster) return options.caster();
  const libs = options.libraries;
  const host = libs === undefined ? undefined : typeof libs === 'function' ? libs() : libs;
  if (state === undefined) return host === undefined ? {} : { libraries: host };
  return host === undefined ? state.caster : { ...state.caster, libraries: { ...host, ...state.caster.libraries } };
}

/** A store failure when no stream is left to carry it: RxJS's unhandled-error path (thrown in a later turn). */
function reportUnhandled(e: unknown): void {
  const handler = rxConfig.onUnhandledError;
  if (handler) handler(e);
  else
    setTimeout(() => {
      throw e;
    });
}

/** Counts one more under `key` (no allocation once the key exists). */
function bump(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}
