/**
 * A caster is one live copy of a spell: its own Lua state, loaded and initialised. It casts
 * synchronously and reports failures as values, never by throwing.
 */
import type { EventValue } from '../core/event.js';
import { DEFAULT_PORT } from '../core/event.js';
import { formatBytes } from '../core/units.js';
import { SpellError, splitLuaMessage, type SpellHook } from './errors.js';
import type { ErrorCode } from '../core/errors.js';
import {
  ConversionError,
  EngineError,
  HOST_ARRAY_MT,
  LUA_OK,
  LUA_ERRERR,
  LUA_ERRMEM,
  LuaVM,
  T_STRING,
  T_TABLE,
  REPORT,
  REPORT_COUNT,
  RESULT,
  RESULT_COUNT,
  SLOT,
  type LuaPool,
  type LuaState,
} from './lua-vm.js';
import type { TimerQueue } from '../core/clock.js';
import type { LogLevel } from '../core/run-log.js';

/** What a caster needs to know about the spell it runs. */
export interface SpellDefinition {
  readonly name: string;
  /** The spell file as shown in messages. */
  readonly file: string;
  readonly source: string;
  /** Modules the spell may `require`: name, chunk name, source. */
  readonly modules: readonly SpellModule[];
  readonly runes: Readonly<Record<string, EventValue>>;
  readonly instructionBudget: number;
  /** Events one call of a hook may emit (SPELL_EMIT_LIMIT beyond). */
  readonly emitLimit: number;
  readonly memoryLimit: number;
  readonly logger: SpellLogger;
}

export interface SpellModule {
  readonly name: string;
  readonly file: string;
  readonly source: string;
}

/** A line a spell logged with `print` or `log.*`. */
export interface SpellLogEntry {
  readonly spell: string;
  readonly level: LogLevel;
  readonly message: string;
  readonly fields?: EventValue;
  readonly file?: string;
  readonly line?: number;
}
export type SpellLogger = (entry: SpellLogEntry) => void;

/**
 * A function a spell can call from Lua, synchronously (`state.get(key)` is one). It gets the Lua
 * arguments as event values and returns one value (undefined = nil). Throwing raises a Lua error
 * at the spell's line with the message.
 */
export type HostFunction = (args: EventValue[]) => EventValue | undefined;
/** Libraries of host functions by name: `{ state: { get, put } }` becomes `state.get`, `state.put`. */
export type SpellLibraries = Readonly<Record<string, Readonly<Record<string, HostFunction>>>>;

export interface CasterOptions {
  readonly libraries?: SpellLibraries;
  /**
   * Makes the libraries' effects part of each cast's all-or-nothing: `checkpoint` is called as each
   * cast (and init and finish) begins, `rollback` when it fails.
   */
  readonly transaction?: {
    /** A cast begins; may answer how many casts were rolled back so far (`sanctum.epoch()` in Lua). */
    checkpoint(): number | void;
    rollback(): void;
  };
  /** The clock `sanctum.now()` reads, in ms (default `Date.now`): a run's clock, or a test's virtual one. */
  readonly now?: () => number;
  /** The spell's timers, when it has a `timers` library: what is due, for whoever fires them. */
  readonly timers?: TimerQueue;
}

/** Says whether a named port is wired; emitting to an unwired port fails the cast. */
export type PortFilter = (port: string) => boolean;

/** Receives each event a cast emits, with the name of its port. */
export type EmitSink = (event: EventValue, port: string) => void;

const NO_ERRORS: readonly SpellError[] = Object.freeze([]);

/**
 * Events one caster hands the next inside their engine (pipeline fusion): the default-port outputs
 * of the sender's `castPrefix`, copied from its Lua state straight into the receiver's as the
 * receiver's next batch, with no JS object between them (LuaVM.handoff). Each spell keeps its own
 * state, budget and memory accounting: the copy is the receiver's memory, made between calls as a
 * push is. The sender keeps its outputs until `release`, so that the JS value of one can still be
 * built, exactly as the unfused path would have read it, when the receiver needs it (a dead letter).
 * Make one with `sender.handOnTo(receiver)`; pass it to the sender's castPrefix, then as the
 * receiver's batch, then release it.
 */
export class Handoff {
  /** Events handed on: those staged in the receiver and those that could not cross into it. */
  count = 0;
  /** Events in the receiver's batch table (at its stack base+1), positions 1..staged. */
  staged = 0;
  /** The sender opened the hand-off: its default-port outputs came here, not to its sink. */
  open = false;
  /** @internal The receiver's failures for events that could not cross into it (SPELL_BAD_INPUT), in order. */
  readonly inputFailures: SpellError[] = [];
  /** @internal The most ever staged (slots above `staged` are cleared when the sender is done). */
  high = 0;
  /** @internal Where the sender keeps its outputs while it casts (then at its base+1). */
  heldIdx = 0;
  /** @internal The receiver's batch table is on its stack, not yet cast. */
  pending = false;
  /** @internal The sender still holds its outputs. */
  holding = false;
  constructor(
    readonly from: SpellCaster,
    readonly to: SpellCaster,
  ) {}

  /** The JS value of staged event `j` (1-based), read from the sender's copy as the unfused path read it. */
  event(j: number): EventValue {
    return this.from.heldEvent(j);
  }

  /** Drops what the sender holds and, if the receiver never cast it, the receiver's batch. Idempotent. */
  release(): void {
    if (this.holding) {
      this.holding = false;
      this.from.dropHeld();
    }
    if (this.pending) {
      this.pending = false;
      this.to.dropHeld();
    }
  }
}

/** Room the host gives a state while it builds an error report (the state may be at its cap). */
const REPORT_HEADROOM = 64 * 1024;

export class SpellCaster {
  private readonly state: LuaState;
  private readonly vm: LuaVM;
  private readonly L: number;
  private readonly base: number;
  private readonly portNames: string[] = [DEFAULT_PORT];
  private readonly sources: Map<string, { file: string; lines?: string[]; source: string }>;
  /** Reused output buffers (per caster, so re-entrant casts of other casters cannot clash). */
  private outEvents: EventValue[] = [];
  private outPorts: string[] = [];
  private delivering = false;
  private initError: SpellError | undefined;
  private readonly hostIds: number[] = [];
  /** The time hooks the spell defines: 1 `tick`, 2 `timer` (prelude's host.time("hooks")). */
  private timeHooks = 0;

  /**
   * Opens a Lua state and loads the spell. The state goes into an engine of `engines` (the pool of
   * the engine given) with room for the spell's memory cap. Throws SpellError when the spell does
   * not load, or when no engine can hold its cap (SPELL_MEMORY_CAP_TOO_LARGE, SPELL_MEMORY_UNAVAILABLE).
   */
  constructor(
    engines: LuaVM | LuaPool,
    readonly def: SpellDefinition,
    private readonly options: CasterOptions = {},
  ) {
    const pool = engines instanceof LuaVM ? engines.pool : engines;
    try {
      this.state = pool.openState(def.memoryLimit);
    } catch (e) {
      if (!(e instanceof EngineError)) throw e;
      const tooLarge = e.reason === 'cap-too-large';
      throw new SpellError(
        {
          code: tooLarge ? 'SPELL_MEMORY_CAP_TOO_LARGE' : 'SPELL_MEMORY_UNAVAILABLE',
          spell: def.name,
          file: def.file,
          luaMessage: `${e.message}; ${tooLarge ? "lower the spell's memory cap" : 'close other casters, or lower memory caps'}`,
          hook: 'summon',
        },
        { cause: e },
      );
    }
    this.vm = this.state.vm;
    this.L = this.state.L;
    this.base = this.vm.x.lua_gettop(this.L);
    this.sources = new Map([[`@${def.file}`, { file: def.file, source: def.source }]]);
    for (const m of def.modules) this.sources.set(`@${m.file}`, { file: m.file, source: m.source });
    try {
      this.load();
    } catch (e) {
      this.close();
      throw e;
    }
    this.timeHooks = this.askHooks();
  }

  /** True when the spell defines `spell.tick(now, emit)`. */
  get hasTick(): boolean {
    return (this.timeHooks & 1) !== 0;
  }

  /** True when the spell defines `spell.timer(key, now, emit)`. */
  get hasTimer(): boolean {
    return (this.timeHooks & 2) !== 0;
  }

  /** The spell's timers (when it has a `timers` library). */
  get timers(): TimerQueue | undefined {
    return this.options.timers;
  }

  private askHooks(): number {
    const { vm, L, base } = this;
    const x = vm.x;
    x.lua_pushvalue(L, SLOT.time);
    vm.pushString(L, 'hooks');
    const n = x.lua_pcallk(L, 1, 1, 0, 0, 0) === LUA_OK ? x.lua_tonumberx(L, base + 1, 0) : 0;
    x.lua_settop(L, base);
    return n;
  }

  get closed(): boolean {
    return this.state.isClosed;
  }

  /** Bytes of Lua heap this caster's state holds. */
  memoryUsed(): number {
    return this.vm.memoryUsed(this.state.ud);
  }

  close(): void {
    this.state.close();
    for (const id of this.hostIds) this.vm.unregisterHost(id);
    this.hostIds.length = 0;
  }

  /** Pushes a table of the libraries' functions, each a host callback: `{ state = { get = f } }`. */
  private pushLibraries(): void {
    const { vm, L } = this;
    const x = vm.x;
    const now = this.options.now ?? Date.now;
    // `sanctum.now()`: the clock the runtime runs on (a test's virtual time), in every hook.
    const libs: SpellLibraries = { ...this.options.libraries, sanctum: { ...this.options.libraries?.['sanctum'], now: () => now() } };
    x.lua_createtable(L, 0, Object.keys(libs).length);
    for (const [libName, fns] of Object.entries(libs)) {
      x.lua_createtable(L, 0, Object.keys(fns).length);
      for (const [fnName, fn] of Object.entries(fns)) {
        const id = vm.registerHost((CL) => this.callHost(CL, fn));
        this.hostIds.push(id);
        vm.pushString(L, fnName);
        vm.pushHostFunction(L, id, SLOT.arrayMt);
        x.lua_rawset(L, -3);
      }
      vm.pushString(L, libName);
      x.lua_rotate(L, -2, 1);
      x.lua_rawset(L, -3);
    }
  }

  /**
   * Runs a host function for Lua: pushes (true, result) or (false, message). Never throws into WASM.
   * Results are pushed with the cap lifted (an allocation failure here could not be caught), then
   * counted: one that takes the state over its cap is held back, and Lua asks for it again after
   * a collection (see fetchPending), so what a spell holds never passes its cap this way either.
   */
  private callHost(CL: number, fn: HostFunction): number {
    const vm = this.vm;
    const x = vm.x;
    const n = x.lua_gettop(CL);
    const ud = this.state.ud;
    vm.setMemoryCap(ud, 0);
    try {
      const args: EventValue[] = [];
      for (let i = 1; i <= n; i++) args.push(x.lua_type(CL, i) === 0 ? null : vm.read(CL, i, HOST_ARRAY_MT));
      return this.pushHostResult(CL, n, fn(args), true);
    } catch (e) {
      x.lua_settop(CL, n);
      x.lua_pushboolean(CL, 0);
      vm.pushString(CL, e instanceof Error ? e.message : String(e));
      return 2;
    } finally {
      vm.setMemoryCap(ud, this.def.memoryLimit);
    }
  }

  /** A host function's result that did not fit under the cap, until Lua fetches it. */
  private pending: { readonly value: EventValue | undefined } | undefined;

  /**
   * Pushes (true, result). When that takes the state over its cap: the first time, pops it and
   * pushes (false, nil, true) — "collect, then fetch" — keeping the result; after a collection,
   * (false, "not enough memory"), counted as a refusal of the cap.
   */
  private pushHostResult(CL: number, n: number, result: EventValue | undefined, first: boolean): number {
    const { vm } = this;
    const x = vm.x;
    const ud = this.state.ud;
    x.lua_pushboolean(CL, 1);
    if (result === undefined) x.lua_pushnil(CL);
    else vm.push(CL, result, HOST_ARRAY_MT);
    if (vm.memoryUsed(ud) <= this.def.memoryLimit) return 2;
    x.lua_settop(CL, n);
    x.lua_pushboolean(CL, 0);
    if (first) {
      this.pending = { value: result };
      x.lua_pushnil(CL);
      x.lua_pushboolean(CL, 1);
      return 3;
    }
    vm.markRefused(ud);
    vm.pushString(CL, 'not enough memory');
    return 2;
  }

  /** Lua fetches a held-back host result after a collection. */
  private fetchPending(CL: number): number {
    const { vm } = this;
    const x = vm.x;
    const n = x.lua_gettop(CL);
    const p = this.pending;
    this.pending = undefined;
    const ud = this.state.ud;
    vm.setMemoryCap(ud, 0);
    try {
      if (p) return this.pushHostResult(CL, n, p.value, false);
      x.lua_pushboolean(CL, 0);
      vm.pushString(CL, 'no host result is waiting');
      return 2;
    } catch (e) {
      x.lua_settop(CL, n);
      x.lua_pushboolean(CL, 0);
      vm.pushString(CL, e instanceof Error ? e.message : String(e));
      return 2;
    } finally {
      vm.setMemoryCap(ud, this.def.memoryLimit);
    }
  }

  private load(): void {
    const { vm, L, def } = this;
    const x = vm.x;
    x.lua_pushvalue(L, SLOT.setBudget);
    vm.h.pushint(L, Math.min(Math.max(1, Math.floor(def.instructionBudget)), Number.MAX_SAFE_INTEGER));
    vm.h.pushint(L, Math.min(Math.max(1, Math.floor(def.emitLimit)), Number.MAX_SAFE_INTEGER));
    this.call(2, 0);
    x.lua_pushvalue(L, SLOT.load);
    vm.pushString(L, def.source);
    vm.pushString(L, `@${def.file}`);
    x.lua_createtable(L, def.modules.length * 3, 0);
    let i = 1;
    for (const m of def.modules) {
      for (const s of [m.name, `@${m.file}`, m.source]) {
        vm.pushString(L, s);
        vm.h.rawseti(L, -2, i++);
      }
    }
    this.pushLibraries();
    const tx = this.options.transaction;
    if (tx) {
      const id = vm.registerHost((CL) => {
        const epoch = tx.checkpoint();
        if (epoch === undefined) return 0;
        vm.h.pushint(CL, epoch);
        return 1;
      });
      this.hostIds.push(id);
      vm.pushHostFunction(L, id, SLOT.arrayMt);
    } else {
      x.lua_pushnil(L);
    }
    const fetch = vm.registerHost((CL) => this.fetchPending(CL));
    this.hostIds.push(fetch);
    vm.pushHostFunction(L, fetch, SLOT.arrayMt);
    vm.beginCall(this.state.ud, def.memoryLimit);
    const status = this.call(6, 2);
    vm.setMemoryCap(this.state.ud, 0);
    if (status !== LUA_OK) throw this.lastError('summon', undefined, status);
    const top = this.base;
    if (x.lua_type(L, top + 1) === 0) {
      x.lua_settop(L, this.base);
      return;
    }
    const kind = vm.readString(L, top + 1);
    const message = vm.readString(L, top + 2);
    x.lua_settop(L, this.base);
    if (kind === 'runtime') throw this.lastError('summon', undefined, 2);
    const parts = splitLuaMessage(message);
    const code: ErrorCode = kind === 'syntax' ? 'SPELL_SYNTAX' : 'SPELL_INVALID';
    const line = kind === 'syntax' ? parts.line : undefined;
    throw new SpellError({
      code,
      spell: def.name,
      file: def.file,
      line,
      luaMessage: kind === 'syntax' ? parts.text : message,
      sourceLine: this.sourceLine(`@${def.file}`, line),
      hook: 'summon',
    });
  }

  /** A protected call of a host function under the prelude's message handler; Lua's status. */
  private call(nargs: number, nresults: number): number {
    return this.vm.x.lua_pcallk(this.L, nargs, nresults, SLOT.handler, 0, 0);
  }

  /**
   * Runs `init(runes)`. A failure is returned, and remembered: every later cast then fails with
   * SPELL_INIT_FAILED rather than running a half-initialised spell.
   */
  init(): SpellError | undefined {
    if (this.closed) return this.closedError('init', undefined);
    const { vm, L } = this;
    const x = vm.x;
    x.lua_pushvalue(L, SLOT.init);
    try {
      vm.push(L, this.def.runes, SLOT.arrayMt);
    } catch (e) {
      x.lua_settop(L, this.base);
      this.initError = this.conversionError('init', e, undefined, 'SPELL_BAD_INPUT', 'the runes');
      return this.initError;
    }
    const err = this.run('init', 1, undefined, undefined);
    if (err) this.initError = err;
    return err;
  }

  /**
   * Casts one event. On success the emitted events are handed to `sink` in order and undefined is
   * returned; on failure nothing is handed on (a cast is all-or-nothing) and the error is returned.
   */
  cast(event: EventValue, sink: EmitSink, acceptPort?: PortFilter): SpellError | undefined {
    if (this.closed) return this.closedError('cast', event);
    if (this.initError) return this.initFailed(event);
    const { vm, L } = this;
    const x = vm.x;
    x.lua_pushvalue(L, SLOT.cast);
    try {
      vm.push(L, event, SLOT.arrayMt);
    } catch (e) {
      x.lua_settop(L, this.base);
      return this.conversionError('cast', e, event, 'SPELL_BAD_INPUT', 'the event');
    }
    return this.run('cast', 1, event, sink, acceptPort);
  }

  /**
   * Casts a batch of events with one call into Lua (the fast path of durable consumers and
   * workers). Each event is still all-or-nothing: the events that fail are returned in order, the
   * outputs of the others are handed to `sink` in order once the whole batch has run.
   */
  castBatch(events: readonly EventValue[], sink: EmitSink, acceptPort?: PortFilter): readonly SpellError[] {
    return this.castPrefix(events, sink, acceptPort, Infinity).failures;
  }

  /**
   * Like `castBatch`, but stops once the casts have emitted `maxOutputs` events or more, after the
   * event it is on: `consumed` says how many of `events` were cast (their outputs went to `sink`,
   * their failures are in `failures`); cast the rest with another call. This bounds what one call
   * holds whatever the spell's fan-out — a pipeline commits the prefix and goes on.
   */
  castPrefix(
    events: readonly EventValue[] | Handoff,
    sink: EmitSink,
    acceptPort: PortFilter | undefined,
    maxOutputs: number,
    handOn?: Handoff,
  ): { failures: readonly SpellError[]; consumed: number } {
    if (events instanceof Handoff) return this.castHanded(events, sink, acceptPort, handOn);
    if (this.closed) return { failures: events.map((e) => this.closedError('cast', e)), consumed: events.length };
    if (this.initError) return { failures: events.map((e) => this.initFailed(e)), consumed: events.length };
    const count = events.length;
    if (count === 0) return { failures: NO_ERRORS, consumed: 0 };
    const maxOut = maxOutputs === Infinity ? Number.MAX_SAFE_INTEGER : Math.max(1, Math.floor(maxOutputs));
    const { vm, L, base } = this;
    const x = vm.x;
    let failures: SpellError[] | undefined;
    // The events table, at base+1. Events that cannot cross into Lua fail here and are left out;
    // `index` maps Lua positions back to `events` only when that happened.
    x.lua_createtable(L, count, 0);
    let m = 0;
    let index: number[] | undefined;
    for (let i = 0; i < count; i++) {
      try {
        vm.push(L, events[i], SLOT.arrayMt);
      } catch (e) {
        x.lua_settop(L, base + 1);
        (failures ??= []).push(this.conversionError('cast', e, events[i]!, 'SPELL_BAD_INPUT', 'the event'));
        index ??= Array.from({ length: m }, (_, k) => k);
        continue;
      }
      vm.h.rawseti(L, -2, ++m);
      index?.push(i);
    }
    const original = (j: number): EventValue => events[index ? index[j - 1]! : j - 1]!;
    return this.castTable(events, count, m, index, original, failures, sink, acceptPort, maxOut, handOn);
  }

  /** castPrefix of a batch another caster handed on (see Handoff): its events are already at base+1. */
  private castHanded(
    h: Handoff,
    sink: EmitSink,
    acceptPort: PortFilter | undefined,
    handOn: Handoff | undefined,
  ): { failures: readonly SpellError[]; consumed: number } {
    if (h.to !== this) throw new Error('a hand-off was given to a caster it was not made for');
    const failures = h.inputFailures.length ? [...h.inputFailures] : undefined;
    if (!h.pending) return { failures: failures ?? NO_ERRORS, consumed: h.count };
    h.pending = false;
    const original = (j: number): EventValue => h.event(j);
    if (this.closed || this.initError) {
      const events = Array.from({ length: h.staged }, (_, j) => original(j + 1));
      this.dropHeld();
      const r = this.castPrefix(events, sink, acceptPort, Infinity);
      return { failures: [...(failures ?? []), ...r.failures], consumed: h.count };
    }
    return this.castTable(undefined, h.count, h.staged, undefined, original, failures, sink, acceptPort, Number.MAX_SAFE_INTEGER, handOn);
  }

  /**
   * Casts the batch table at base+1 (`m` events; `original(j)`: the JS event at Lua position j,
   * for failures) — the second half of castPrefix.
   */
  private castTable(
    events: readonly EventValue[] | undefined,
    count: number,
    m: number,
    index: number[] | undefined,
    original: (j: number) => EventValue,
    failures: SpellError[] | undefined,
    sink: EmitSink,
    acceptPort: PortFilter | undefined,
    maxOut: number,
    handOn: Handoff | undefined,
  ): { failures: readonly SpellError[]; consumed: number } {
    const { vm, L, base } = this;
    const x = vm.x;
    const ud = this.state.ud;
    if (vm.memoryUsed(ud) > this.def.memoryLimit && !this.fitsAfterCollect()) {
      // The batch does not fit under the cap at once: cast its events one by one, so that each
      // is measured on its own (outputs still reach the sink once the whole batch has run).
      x.lua_settop(L, base);
      return { failures: this.castEach(original, m, sink, acceptPort, failures ?? []), consumed: count };
    }
    // Default-port outputs go straight into the next caster's state (see Handoff).
    const hand = handOn !== undefined && m > 0 && this.openHandoff(handOn, m) ? handOn : undefined;
    if (this.delivering) {
      this.outEvents = [];
      this.outPorts = [];
    }
    let total = 0;
    let start = 1;
    // The Lua position of the last event cast: all of them unless the output bound stopped the call.
    let reached = m;
    // The events table is at base+1 (the outputs handed on held above it), so each call's results are at res+RESULT.x.
    const res = x.lua_gettop(L);
    while (start <= m) {
      x.lua_pushvalue(L, SLOT.castBatch);
      x.lua_pushvalue(L, base + 1);
      vm.h.pushint(L, m);
      vm.h.pushint(L, start);
      vm.h.pushint(L, Math.max(1, maxOut - total));
      vm.beginCall(ud, this.def.memoryLimit);
      const status = this.call(4, RESULT_COUNT);
      vm.setMemoryCap(ud, 0);
      if (status === LUA_OK) {
        const last = x.lua_tonumberx(L, res + RESULT.failed, 0);
        reached = last >= start && last <= m ? last : m;
        total = this.collectBatch(start, reached, total, res, original, acceptPort, (failures ??= []), x.lua_toboolean(L, res + RESULT.ones) !== 0, hand);
        const nLogs = x.lua_tonumberx(L, res + RESULT.logs, 0);
        x.lua_settop(L, res);
        if (nLogs > 0) this.drainLogs();
        break;
      }
      // A cast failed and aborted the call: undo its library effects (its writes since its
      // checkpoint), then ask which cast it was and what came before it.
      this.options.transaction?.rollback();
      x.lua_settop(L, res);
      x.lua_pushvalue(L, SLOT.batchFailure);
      if (x.lua_pcallk(L, 0, RESULT_COUNT, 0, 0, 0) !== LUA_OK) {
        x.lua_settop(L, res);
        for (let j = start; j <= m; j++) (failures ??= []).push(this.lastError('cast', original(j), status));
        break;
      }
      // The event that failed; always one of this call's, so that each call makes progress.
      let failed = x.lua_tonumberx(L, res + RESULT.failed, 0);
      if (!(failed >= start && failed <= m)) failed = start;
      total = this.collectBatch(start, failed - 1, total, res, original, acceptPort, (failures ??= []), false, hand);
      const nLogs = x.lua_tonumberx(L, res + RESULT.logs, 0);
      x.lua_settop(L, res);
      if (nLogs > 0) this.drainLogs();
      failures.push(this.lastError('cast', original(failed), status));
      start = failed + 1;
      if (total >= maxOut && start <= m) {
        reached = failed;
        break;
      }
    }
    if (hand) this.keepHeld(hand);
    else x.lua_settop(L, base);
    if (total > 0) this.deliver(total, sink);
    // `reached` counts Lua positions; events that could not cross into Lua before it count too.
    const consumed = reached >= m ? count : index ? index[reached - 1]! + 1 : reached;
    // Events after the prefix are cast by a later call: their failures (they could not cross into
    // Lua) are reported then, not now.
    if (consumed < count && failures && events) failures = failures.filter((f) => events.indexOf(f.event as EventValue) < consumed);
    return { failures: failures?.length ? failures : NO_ERRORS, consumed };
  }

  /** castBatch one event at a time (the batch did not fit under the cap); same outputs and order. */
  private castEach(
    original: (j: number) => EventValue,
    m: number,
    sink: EmitSink,
    acceptPort: PortFilter | undefined,
    failures: SpellError[],
  ): readonly SpellError[] {
    const held: [EventValue, string][] = [];
    const hold: EmitSink = (ev, port) => held.push([ev, port]);
    for (let j = 1; j <= m; j++) {
      const err = this.cast(original(j), hold, acceptPort);
      if (err) failures.push(err);
    }
    for (const [ev, port] of held) sink(ev, port);
    return failures.length ? failures : NO_ERRORS;
  }

  /**
   * Between calls a state may hold more than its cap: what it kept, plus the event just pushed
   * (events cross with the cap lifted). Collects its garbage and says whether it fits now.
   */
  private fitsAfterCollect(): boolean {
    const { vm, L } = this;
    const x = vm.x;
    const top = x.lua_gettop(L);
    x.lua_pushvalue(L, SLOT.collect);
    x.lua_pcallk(L, 0, 0, 0, 0, 0);
    x.lua_settop(L, top);
    return vm.memoryUsed(this.state.ud) <= this.def.memoryLimit;
  }

  /** Reads the outputs of events first..last of a batch call into the output buffers. */
  private collectBatch(
    first: number,
    last: number,
    k: number,
    res: number,
    original: (j: number) => EventValue,
    acceptPort: PortFilter | undefined,
    failures: SpellError[],
    ones: boolean,
    hand: Handoff | undefined,
  ): number {
    const { vm, L } = this;
    const x = vm.x;
    const evIdx = res + RESULT.events,
      portIdx = res + RESULT.ports,
      countsIdx = res + RESULT.counts;
    const named = x.lua_toboolean(L, res + RESULT.named) !== 0;
    const tmp = x.lua_gettop(L) + 1;
    const outEvents = this.outEvents,
      outPorts = this.outPorts;
    // Lua numbers the outputs of this call from 1.
    let o = 0;
    for (let j = first; j <= last; j++) {
      let c = 1;
      if (!ones) {
        vm.h.rawgeti(L, countsIdx, j);
        c = x.lua_tonumberx(L, tmp, 0);
        x.lua_settop(L, tmp - 1);
      }
      const startK = k;
      const handStart = hand ? hand.count : 0,
        stagedStart = hand ? hand.staged : 0,
        inputStart = hand ? hand.inputFailures.length : 0;
      let failure: SpellError | undefined;
      for (let q = 0; q < c; q++) {
        o++;
        if (failure) continue;
        let pid = 0;
        if (named) {
          vm.h.rawgeti(L, portIdx, o);
          pid = x.lua_tonumberx(L, tmp, 0);
          x.lua_settop(L, tmp - 1);
        }
        vm.h.rawgeti(L, evIdx, o);
        if (pid === 0 && hand) {
          failure = this.handOne(hand, tmp, j, q, original);
          continue;
        }
        try {
          outEvents[k] = vm.read(L, tmp, SLOT.arrayMt);
        } catch (e) {
          x.lua_settop(L, tmp - 1);
          failure = this.conversionError('cast', e, original(j), 'SPELL_BAD_OUTPUT', `emitted event #${q + 1}`);
          continue;
        }
        x.lua_settop(L, tmp - 1);
        if (pid === 0) {
          outPorts[k++] = DEFAULT_PORT;
          continue;
        }
        const port = this.portNames[pid] ?? this.lookupPort(pid);
        if (acceptPort !== undefined && port !== DEFAULT_PORT && !acceptPort(port)) {
          failure = this.unwired(port, 'cast', original(j));
          continue;
        }
        outPorts[k] = port;
        k++;
      }
      if (failure) {
        for (let z = startK; z < k; z++) outEvents[z] = null;
        k = startK;
        if (hand) {
          // A cast is all-or-nothing: what it handed on goes too.
          hand.count = handStart;
          hand.staged = stagedStart;
          hand.inputFailures.length = inputStart;
        }
        failures.push(failure);
      }
    }
    return k;
  }

  /**
   * Opens a hand-off of this caster's default-port outputs to `h.to` for one castPrefix: the
   * receiver's batch table at its base+1, this caster's table of what it hands on above its
   * events table. False (nothing opened: outputs go to the sink) when the receiver cannot take it.
   */
  private openHandoff(h: Handoff, m: number): boolean {
    const to = h.to;
    const x = this.vm.x;
    if (h.from !== this || to === this || to.vm !== this.vm || to.closed || to.initError || h.open) return false;
    if (x.lua_gettop(to.L) !== to.base || x.lua_gettop(this.L) !== this.base + 1) return false;
    x.lua_createtable(to.L, m, 0);
    x.lua_createtable(this.L, m, 0);
    h.heldIdx = this.base + 2;
    h.open = h.pending = h.holding = true;
    return true;
  }

  /**
   * Hands on the output at `idx` (the top of the stack, popped): copied into the receiver's batch
   * and kept in this caster's held table at the same position. A value the copy leaves to the slow
   * path is read into JS and pushed, as the unfused path would: an output the read refuses is this
   * caster's failure (returned), one the push refuses the receiver's (kept for its castPrefix).
   */
  private handOne(h: Handoff, idx: number, j: number, q: number, original: (j: number) => EventValue): SpellError | undefined {
    const { vm, L } = this;
    const x = vm.x;
    const to = h.to;
    const B = to.L;
    if (!vm.handoff(L, idx, B, SLOT.arrayMt)) {
      let v: EventValue;
      try {
        v = vm.read(L, idx, SLOT.arrayMt);
      } catch (e) {
        x.lua_settop(L, idx - 1);
        return this.conversionError('cast', e, original(j), 'SPELL_BAD_OUTPUT', `emitted event #${q + 1}`);
      }
      try {
        vm.push(B, v, SLOT.arrayMt);
      } catch (e) {
        x.lua_settop(B, to.base + 1);
        x.lua_settop(L, idx - 1);
        h.count++;
        h.inputFailures.push(to.conversionError('cast', e, v, 'SPELL_BAD_INPUT', 'the event'));
        return undefined;
      }
    }
    h.count++;
    const pos = ++h.staged;
    if (pos > h.high) h.high = pos;
    vm.h.rawseti(B, to.base + 1, pos);
    vm.h.rawseti(L, h.heldIdx, pos);
    return undefined;
  }

  /** After castPrefix: clears slots a failed cast left above the last staged one, keeps the held table alone at base+1. */
  private keepHeld(h: Handoff): void {
    const { vm, L, base } = this;
    const x = vm.x;
    for (let j = h.staged + 1; j <= h.high; j++) {
      x.lua_pushnil(h.to.L);
      vm.h.rawseti(h.to.L, h.to.base + 1, j);
      x.lua_pushnil(L);
      vm.h.rawseti(L, h.heldIdx, j);
    }
    x.lua_settop(L, h.heldIdx);
    x.lua_rotate(L, base + 1, -1);
    x.lua_settop(L, base + 1);
  }

  /** @internal The JS value of held output `j` (see Handoff.event). */
  heldEvent(j: number): EventValue {
    const { vm, L, base } = this;
    const x = vm.x;
    vm.h.rawgeti(L, base + 1, j);
    try {
      return vm.read(L, base + 2, SLOT.arrayMt);
    } finally {
      x.lua_settop(L, base + 1);
    }
  }

  /** @internal Drops what a hand-off left on this caster's stack. */
  dropHeld(): void {
    if (!this.closed) this.vm.x.lua_settop(this.L, this.base);
  }

  /**
   * A hand-off of this caster's default-port outputs to `next` (pipeline fusion), or undefined
   * when the two cannot share one: another engine, or `next` cannot cast.
   */
  handOnTo(next: SpellCaster): Handoff | undefined {
    if (next === this || next.vm !== this.vm || next.closed || next.initError || this.closed || this.initError) return undefined;
    return new Handoff(this, next);
  }

  private unwired(port: string, hook: SpellHook, event: EventValue | undefined): SpellError {
    return new SpellError({
      code: 'SPELL_PORT_UNWIRED',
      spell: this.def.name,
      file: this.def.file,
      luaMessage: `emitted to port '${port}', which is not wired to anything (wire it, or emit to the default port)`,
      hook,
      event,
    });
  }

  /**
   * Runs `tick(now, emit)` (when the spell has one), like `finish`: its own budget, all-or-nothing,
   * what it emits handed to `sink`.
   */
  tick(now: number, sink: EmitSink, acceptPort?: PortFilter): SpellError | undefined {
    if (this.closed) return this.closedError('tick', undefined);
    if (this.initError || !this.hasTick) return undefined;
    const { vm, L } = this;
    vm.x.lua_pushvalue(L, SLOT.time);
    vm.pushString(L, 'tick');
    vm.h.pushint(L, Math.floor(now));
    return this.run('tick', 2, undefined, sink, acceptPort);
  }

  /**
   * Fires the timers `keys` at `now` with one call into Lua, as `castBatch` casts events: each calls
   * `timer(key, now, emit)` if the timer is still due when its turn comes (an earlier one may have
   * moved or cancelled it), with its own budget, all-or-nothing; the timer is taken first, so one
   * that fails is not fired again. Failures come back with hook `timer` and `{ timer = key }` as their event.
   */
  fireTimers(keys: readonly string[], now: number, sink: EmitSink, acceptPort?: PortFilter): readonly SpellError[] {
    if (keys.length === 0) return NO_ERRORS;
    if (this.closed || this.initError || !this.hasTimer) {
      // They cannot fire: each fails once (taken, so that it does not come due again and again).
      const failures = this.castBatch(keys, sink, acceptPort).map((e) => asTimerError(e));
      for (const key of keys) this.options.timers?.takeTimer(key, now);
      return failures;
    }
    const { vm, L, base } = this;
    const x = vm.x;
    const mode = (at: number | undefined): void => {
      x.lua_pushvalue(L, SLOT.time);
      vm.pushString(L, 'fire');
      if (at === undefined) x.lua_pushnil(L);
      else vm.h.pushint(L, Math.floor(at));
      x.lua_pcallk(L, 2, 0, 0, 0, 0);
      x.lua_settop(L, base);
    };
    mode(now);
    let failures: readonly SpellError[];
    try {
      failures = this.castBatch(keys, sink, acceptPort);
    } finally {
      mode(undefined);
    }
    return failures.length === 0 ? failures : failures.map((e) => asTimerError(e));
  }

  /** Runs `finish(emit)`, handing what it emits to `sink`. */
  finish(sink: EmitSink, acceptPort?: PortFilter): SpellError | undefined {
    if (this.closed) return this.closedError('finish', undefined);
    if (this.initError) return undefined;
    this.vm.x.lua_pushvalue(this.L, SLOT.finish);
    return this.run('finish', 0, undefined, sink, acceptPort);
  }

  /** Calls the host function already pushed with its args; a failure undoes the libraries' effects. */
  private run(hook: SpellHook, nargs: number, event: EventValue | undefined, sink: EmitSink | undefined, acceptPort?: PortFilter): SpellError | undefined {
    const err = this.runCall(hook, nargs, event, sink, acceptPort);
    if (err) this.options.transaction?.rollback();
    return err;
  }

  /** Calls the host function already pushed with its args, then collects and delivers outputs. */
  private runCall(hook: SpellHook, nargs: number, event: EventValue | undefined, sink: EmitSink | undefined, acceptPort?: PortFilter): SpellError | undefined {
    const { vm, L, base } = this;
    const x = vm.x;
    const ud = this.state.ud;
    if (vm.memoryUsed(ud) > this.def.memoryLimit && !this.fitsAfterCollect()) {
      x.lua_settop(L, base);
      return this.overCap(hook, event);
    }
    vm.beginCall(ud, this.def.memoryLimit);
    const status = this.call(nargs, RESULT_COUNT);
    vm.setMemoryCap(ud, 0);
    if (status !== LUA_OK) {
      x.lua_settop(L, base);
      const err = this.lastError(hook, event, status);
      this.drainLogs();
      return err;
    }
    // The results are at base+RESULT.x.
    const n = x.lua_tonumberx(L, base + RESULT.count, 0);
    const nLogs = x.lua_tonumberx(L, base + RESULT.logs, 0);
    let err: SpellError | undefined;
    if (n > 0 && sink) err = this.collect(n, hook, event, acceptPort, x.lua_toboolean(L, base + RESULT.named) !== 0);
    x.lua_settop(L, base);
    if (nLogs > 0) this.drainLogs();
    if (err || n === 0 || !sink) return err;
    this.deliver(n, sink);
    return undefined;
  }

  /** Reads n outputs from the result buffers (RESULT.events, RESULT.ports). */
  private collect(n: number, hook: SpellHook, event: EventValue | undefined, acceptPort: PortFilter | undefined, named: boolean): SpellError | undefined {
    const { vm, L, base } = this;
    const x = vm.x;
    if (this.delivering) {
      // A cast re-entered from a downstream subscriber: don't overwrite the buffers being delivered.
      this.outEvents = [];
      this.outPorts = [];
    }
    const events = this.outEvents;
    const ports = this.outPorts;
    const evIdx = base + RESULT.events;
    const portIdx = base + RESULT.ports;
    const top = base + RESULT_COUNT;
    for (let i = 1; i <= n; i++) {
      vm.h.rawgeti(L, evIdx, i);
      try {
        events[i - 1] = vm.read(L, top + 1, SLOT.arrayMt);
      } catch (e) {
        x.lua_settop(L, base);
        return this.conversionError(hook, e, event, 'SPELL_BAD_OUTPUT', `emitted event #${i}`);
      }
      x.lua_settop(L, top);
      if (!named) {
        ports[i - 1] = DEFAULT_PORT;
        continue;
      }
      vm.h.rawgeti(L, portIdx, i);
      const pid = x.lua_tonumberx(L, top + 1, 0);
      x.lua_settop(L, top);
      const port = this.portNames[pid] ?? this.lookupPort(pid);
      if (acceptPort !== undefined && port !== DEFAULT_PORT && !acceptPort(port)) {
        x.lua_settop(L, base);
        return this.unwired(port, hook, event);
      }
      ports[i - 1] = port;
    }
    return undefined;
  }

  private deliver(n: number, sink: EmitSink): void {
    const events = this.outEvents;
    const ports = this.outPorts;
    const wasDelivering = this.delivering;
    this.delivering = true;
    try {
      for (let i = 0; i < n; i++) {
        const ev = events[i]!;
        events[i] = null;
        sink(ev, ports[i]!);
      }
    } finally {
      this.delivering = wasDelivering;
    }
  }

  private lookupPort(pid: number): string {
    const { vm, L, base } = this;
    const x = vm.x;
    const top = x.lua_gettop(L);
    x.lua_pushvalue(L, SLOT.portName);
    vm.h.pushint(L, pid);
    let name = `#${pid}`;
    if (x.lua_pcallk(L, 1, 1, 0, 0, 0) === LUA_OK) name = vm.readString(L, -1);
    x.lua_settop(L, Math.max(top, base));
    this.portNames[pid] = name;
    return name;
  }

  private closedError(hook: SpellHook, event: EventValue | undefined): SpellError {
    return new SpellError({
      code: 'SPELL_CLOSED',
      spell: this.def.name,
      file: this.def.file,
      luaMessage: 'the caster was closed; open a new one (spell.open())',
      hook,
      event,
    });
  }

  private initFailed(event: EventValue): SpellError {
    const cause = this.initError!;
    return new SpellError(
      { ...fieldsOf(cause), code: 'SPELL_INIT_FAILED', hook: 'cast', event, luaMessage: `init failed, so the spell cannot cast: ${cause.luaMessage}` },
      { cause },
    );
  }

  private conversionError(hook: SpellHook, e: unknown, event: EventValue | undefined, code: ErrorCode, what: string): SpellError {
    if (!(e instanceof ConversionError)) throw e;
    const where = e.where();
    return new SpellError({
      code,
      spell: this.def.name,
      file: this.def.file,
      luaMessage: `${what}${where ? ` (at ${where})` : ''}: ${e.message}`,
      hook,
      event,
    });
  }

  /** The state holds more than its cap before a call begins, even after a collection. */
  private overCap(hook: SpellHook, event: EventValue | undefined): SpellError {
    const held = this.vm.memoryUsed(this.state.ud);
    const given = hook === 'cast' ? 'the event' : hook === 'init' ? 'the runes' : 'nothing';
    return new SpellError({
      code: 'SPELL_MEMORY_EXCEEDED',
      spell: this.def.name,
      file: this.def.file,
      luaMessage: `not enough memory (the cap is ${formatBytes(this.def.memoryLimit)}): what the spell keeps and ${given} it is given come to ${held} bytes before ${hook} begins`,
      hook,
      event,
    });
  }

  /**
   * Builds the SpellError for a failed call (`status`, Lua's) from what the prelude recorded. The
   * report is built from raw values (no code of the spell runs) under a small cap above what the
   * state holds. The code comes from what the VM and the allocator saw, not from the message:
   * an error that only says "not enough memory" (which Lua raises with the status of a memory
   * error) or "stack overflow" is SPELL_RUNTIME.
   */
  private lastError(hook: SpellHook, event: EventValue | undefined, status: number): SpellError {
    const { vm, L } = this;
    const x = vm.x;
    const ud = this.state.ud;
    const refused = vm.refusals(ud) > 0;
    const top = x.lua_gettop(L);
    x.lua_pushvalue(L, SLOT.lastError);
    vm.setMemoryCap(ud, vm.memoryUsed(ud) + REPORT_HEADROOM);
    const reported = x.lua_pcallk(L, 0, REPORT_COUNT, 0, 0, 0) === LUA_OK;
    vm.setMemoryCap(ud, 0);
    const str = (i: number) => (x.lua_type(L, top + i) === T_STRING ? vm.readString(L, top + i) : undefined);
    // A memory error runs no message handler, so nothing was recorded: Lua's own message.
    let rawMessage = status === LUA_ERRMEM ? 'not enough memory' : 'the error could not be reported';
    let kind = 'runtime';
    let chunk: string | undefined, luaLine: number | undefined, traceback: string | undefined, data: EventValue | undefined;
    if (reported) {
      rawMessage = str(REPORT.message) ?? rawMessage;
      kind = str(REPORT.kind) ?? kind;
      chunk = str(REPORT.source);
      traceback = str(REPORT.traceback);
      const l = x.lua_tonumberx(L, top + REPORT.line, 0);
      if (l > 0) luaLine = l;
      if (x.lua_type(L, top + REPORT.data) === T_TABLE) {
        try {
          data = vm.read(L, top + REPORT.data, SLOT.arrayMt);
        } catch (e) {
          if (!(e instanceof ConversionError)) throw e;
          data = { unreadable: `the error object cannot be read as data: ${e.message}` };
        }
      }
    }
    x.lua_settop(L, top);
    const parts = splitLuaMessage(rawMessage);
    const src = chunk !== undefined ? this.sources.get(chunk) : undefined;
    const line = luaLine ?? parts.line;
    const code: ErrorCode =
      kind === 'budget'
        ? 'SPELL_BUDGET_EXCEEDED'
        : refused && (status === LUA_ERRMEM || kind === 'memory')
          ? 'SPELL_MEMORY_EXCEEDED'
          : status === LUA_ERRERR || kind === 'stack'
            ? 'SPELL_STACK_OVERFLOW'
            : kind === 'bad_output'
              ? 'SPELL_BAD_OUTPUT'
              : kind === 'emit_limit'
                ? 'SPELL_EMIT_LIMIT'
                : 'SPELL_RUNTIME';
    let luaMessage = parts.chunk !== undefined ? parts.text : rawMessage;
    if (code === 'SPELL_MEMORY_EXCEEDED') luaMessage = `not enough memory (the cap is ${formatBytes(this.def.memoryLimit)})`;
    return new SpellError({
      code,
      spell: this.def.name,
      file: src?.file ?? this.def.file,
      line,
      luaMessage,
      sourceLine: this.sourceLine(chunk ?? `@${this.def.file}`, line),
      traceback: cleanTraceback(traceback),
      hook,
      event,
      data,
    });
  }

  private sourceLine(chunk: string, line: number | undefined): string | undefined {
    if (line === undefined) return undefined;
    const src = this.sources.get(chunk);
    if (!src) return undefined;
    src.lines ??= src.source.split(/\r?\n/);
    return src.lines[line - 1]?.trim();
  }

  private drainLogs(): void {
    const { vm, L } = this;
    const x = vm.x;
    const top = x.lua_gettop(L);
    x.lua_pushvalue(L, SLOT.drainLogs);
    if (x.lua_pcallk(L, 0, 1, 0, 0, 0) !== LUA_OK) {
      x.lua_settop(L, top);
      return;
    }
    let entries: EventValue = [];
    try {
      entries = vm.read(L, top + 1, SLOT.arrayMt);
    } catch (e) {
      entries = [{ level: 'warn', message: `a log entry could not be read: ${(e as Error).message}` }];
    }
    x.lua_settop(L, top);
    if (!Array.isArray(entries)) return;
    for (const raw of entries) {
      const e = raw as Record<string, EventValue>;
      const chunk = typeof e['source'] === 'string' ? e['source'] : undefined;
      this.def.logger({
        spell: this.def.name,
        level: (e['level'] as SpellLogEntry['level']) ?? 'info',
        message: String(e['message'] ?? ''),
        fields: e['fields'],
        file: chunk ? (this.sources.get(chunk)?.file ?? chunk.replace(/^@/, '')) : undefined,
        line: typeof e['line'] === 'number' ? e['line'] : undefined,
      });
    }
  }
}

/** A failure of castBatch in timer mode as the timer's own: hook `timer`, the key as `{ timer = key }`. */
function asTimerError(e: SpellError): SpellError {
  const luaMessage = e.luaMessage.replace(/^cast returned a (\w+); return a table to emit it/, 'timer returned a $1; return a table to emit it');
  return new SpellError(
    { ...fieldsOf(e), hook: 'timer', event: { timer: e.event as EventValue }, luaMessage },
    e.cause === undefined ? undefined : { cause: e.cause },
  );
}

function fieldsOf(e: SpellError) {
  return {
    code: e.code,
    spell: e.spell,
    file: e.file,
    line: e.line,
    luaMessage: e.luaMessage,
    sourceLine: e.sourceLine,
    traceback: e.traceback,
    hook: e.hook,
    event: e.event,
    data: e.data,
  };
}

/** Keeps the frames of the spell's own code: drops Sanctum's dispatcher and the message line. */
function cleanTraceback(tb: EventValue | undefined): string | undefined {
  if (typeof tb !== 'string') return undefined;
  const lines = tb.split('\n');
  const start = lines.findIndex((l) => l.startsWith('stack traceback:'));
  // Sanctum's prelude is stripped: its frames read `?: in ...`.
  const frames = lines
    .slice(start + 1)
    .filter((l) => !/^\s*(\?:|sanctum:|\[C\]: in \?|\[C\]: in function 'xpcall'|\(\.\.\.tail calls\.\.\.\))/.test(l) && !/in function <(\?|sanctum):/.test(l));
  const named = frames.map((l) => l.replace(/in field 'spell\.(cast|init|finish|tick|timer)'/, "in function 'spell.$1'"));
  return named.length ? `stack traceback:\n${named.join('\n')}` : undefined;
}
