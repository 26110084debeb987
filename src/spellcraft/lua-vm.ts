/**
 * The wasmoon bridge: the only module that touches Lua. It drives the WASM module's raw exports
 * directly (wasmoon's generic conversion costs 60–80 wrapped calls per small event; see
 * shared/notes/wasmoon.md), marshals events by hand, and counts each Lua state's memory with a
 * tiny WASM allocator so a memory cap costs no JS call per allocation. Engines (WASM instances)
 * come from a pool in which every state reserves its memory cap, so caps add up.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { EventValue } from '../core/event.js';
import { MAX_DEPTH } from '../core/limits.js';
import { formatBytes } from '../core/units.js';
import { BRIDGE_WASM_BASE64 } from './bridge-wasm.js';
import { instantiateLua, luaBuildId, WASM_HEAP_LIMIT, type LuaExports } from './lua-wasm.js';

/** Sanctum's own WASM helpers (bridge.wat), linked to the Lua module. */
interface BridgeExports {
  alloc: WebAssembly.ExportValue;
  host_dispatch: WebAssembly.ExportValue;
  /** lua_pushinteger of a double holding an integer below 2^63 in magnitude: no BigInt. */
  pushint(L: number, v: number): void;
  rawgeti(L: number, idx: number, n: number): number;
  /** lua_rawlen without a BigInt (clamped at 2^31-1). */
  rawlen(L: number, idx: number): number;
  rawseti(L: number, idx: number, n: number): void;
  set_lenp(p: number): void;
  /** Where `describe` writes (an 8-byte aligned block of `size` bytes). */
  set_dbuf(p: number, size: number): void;
  /** Describes the record at `idx` into the buffer from its memory, for `read`: 0, or 1 when it cannot. */
  describe(L: number, idx: number, maxDepth: number): number;
  /** Copies the value at `idx` of state A onto B's top (same engine): 0, or 1 when it cannot (stacks unchanged). */
  handoff(A: number, idx: number, B: number, arrayMt: number, maxDepth: number): number;
}

/** What bridge.wat's hand-off (a copy between two states of an engine) calls in the Lua module. */
const HANDOFF_IMPORTS = [
  'lua_type',
  'lua_gettop',
  'lua_settop',
  'lua_checkstack',
  'lua_pushvalue',
  'lua_pushnil',
  'lua_pushboolean',
  'lua_pushnumber',
  'lua_pushlstring',
  'lua_pushlightuserdata',
  'lua_createtable',
  'lua_rawset',
  'lua_setmetatable',
  'lua_getmetatable',
  'lua_rawequal',
  'lua_toboolean',
  'lua_tonumberx',
  'lua_tointegerx',
  'lua_isinteger',
  'lua_tolstring',
  'lua_touserdata',
  'lua_rawlen',
  'lua_next',
  'lua_topointer',
] as const satisfies readonly (keyof LuaExports)[];

/** Lua type tags (lua_type); nil (0) is never compared against. */
const T_BOOLEAN = 1,
  T_LIGHTUSERDATA = 2,
  T_NUMBER = 3;
export const T_STRING = 4,
  T_TABLE = 5;
const TYPE_NAMES = ['nil', 'boolean', 'userdata', 'number', 'string', 'table', 'function', 'userdata', 'thread'];
const UNLIMITED = 0xffffffff;
const TWO_63 = 2 ** 63;
const MAX_EXACT = 2 ** 53;
const KEY_CACHE_LIMIT = 8192;
const KEY_SLOTS = 1024;
/** Bytes of the buffer `describe` writes into: 4096 entries; a value with more is read the slow way. */
const DESC_BYTES = 1 << 16;
/** Entry tags of bridge.wat's `describe`. */
const D_STRING = 1,
  D_NUMBER = 2,
  D_FALSE = 3,
  D_TRUE = 4,
  D_RECORD = 6;
const MiB = 1024 * 1024;

/** A JS function Lua calls: arguments at stack 1..lua_gettop(L); returns how many results it pushed. */
export type HostCallback = (L: number) => number;

/** lua_upvalueindex(1): LUA_REGISTRYINDEX (-LUAI_MAXSTACK - 1000) minus 1. */
const UPVALUE_1 = -1001000 - 1;
/** Inside a host callback: the array metatable (its second upvalue), for push and read. */
export const HOST_ARRAY_MT = -1001000 - 2;

/** Lua status codes of lua_pcall. */
export const LUA_OK = 0,
  LUA_ERRRUN = 2,
  LUA_ERRMEM = 4,
  LUA_ERRERR = 5;

/**
 * An object that is not a plain one (its prototype is not Object's): an instance of a class of the
 * program's own crosses with its own fields, as JSON.stringify reads it; a built-in whose data is not
 * in its fields (a Date, Map, Set, Buffer, RegExp …) would cross as {} and lose it: refused.
 */
function checkRecord(v: object): void {
  const tag = Object.prototype.toString.call(v).slice(8, -1);
  if (tag === 'Object') return;
  throw new ConversionError(
    `a ${tag} is not an event value (give it as JSON: a Date as its ISO string or its ms, a Map as an object, a Set or a Buffer as an array)`,
  );
}

/** A value could not cross between JS and Lua unchanged. `path` says where in the value. */
export class ConversionError extends Error {
  readonly path: (string | number)[] = [];
  constructor(message: string) {
    super(message);
    this.name = 'ConversionError';
  }
  /** `a.b[2]`, or '' at the top. */
  where(): string {
    let s = '';
    for (const p of this.path) s += typeof p === 'number' ? `[${p}]` : s === '' ? p : `.${p}`;
    return s;
  }
}

/** A state cannot be opened: its cap is larger than an engine holds, or no engine could be made. */
export class EngineError extends Error {
  constructor(
    readonly reason: 'cap-too-large' | 'unavailable',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EngineError';
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** The largest memory cap of a spell: what one engine's 2 GiB can promise (see reservationFor). */
export const MAX_MEMORY_CAP = 960 * MiB;

/**
 * Bytes of an engine a state with this cap reserves: twice the cap, and 1 MiB for the state's
 * life outside its calls (the event being pushed, the error report). Lua's allocations cost the
 * engine more than the bytes they ask for: a header and rounding on each block, and the blocks
 * left free when a growing table moves. Measured (memory cap reached, engine grown exactly):
 * 1.0 for long strings, 1.34–1.38 for small tables, closures and hash keys, 1.68 for an array of
 * short strings.
 */
export function reservationFor(cap: number): number {
  return 2 * cap + MiB;
}

let bridgeModule: WebAssembly.Module | undefined;
/** The prelude as a stripped binary chunk (see LuaVM.compilePrelude). */
let preludeChunk: Uint8Array | undefined;
/** Where this process's prelude chunk came from: the build's file, or compiled at start. */
let preludeOrigin: 'shipped' | 'compiled' | undefined;

/** The prelude's binary chunk, written by the build (scripts/copy-assets.mjs) next to this module. */
export const PRELUDE_CHUNK_FILE = new URL('./prelude.luac', import.meta.url);

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/** What a shipped prelude chunk must be made from: this prelude.lua, dumped by this Lua build. */
export function preludeChunkKey(): string {
  return `${sha256(PRELUDE_SOURCE)}.${luaBuildId()}`;
}

/** A prelude chunk file: a header line (its key and the chunk's own SHA-256), then the chunk. */
export function preludeChunkFile(chunk: Uint8Array, key: string = preludeChunkKey()): Buffer {
  return Buffer.concat([Buffer.from(`sanctum-prelude ${key} ${sha256(chunk)}\n`, 'latin1'), chunk]);
}

/**
 * The prelude chunk of `file` when it was made from this prelude.lua by this Lua build and is
 * whole; otherwise (no file, a stale or damaged one) undefined, and the prelude is compiled.
 */
export function readShippedPrelude(file: URL | string, key: string = preludeChunkKey()): Uint8Array | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return undefined;
  }
  const nl = bytes.indexOf(10);
  if (nl < 0) return undefined;
  const [magic, fileKey, sum, extra] = bytes.subarray(0, nl).toString('latin1').split(' ');
  const chunk = bytes.subarray(nl + 1);
  if (magic !== 'sanctum-prelude' || fileKey !== key || extra !== undefined || sum !== sha256(chunk)) return undefined;
  return chunk;
}

/** @internal Where this process's prelude came from (undefined before the first state). */
export function preludeChunkOrigin(): 'shipped' | 'compiled' | undefined {
  return preludeOrigin;
}

/** The prelude compiled now, in an engine of its own, as the build ships it (scripts/copy-assets.mjs). */
export function compilePreludeChunk(): Uint8Array {
  return new LuaPool().primary.compilePreludeInScratchState();
}

/**
 * Engines: WASM instances of Lua, each holding many Lua states. Every state reserves its memory
 * cap (see reservationFor) in an engine that has room, and a new engine is made, synchronously,
 * when none has: so the caps of all live states add up, and a spell that holds all its memory
 * cannot take what another spell's cap promised. A state whose cap is larger than one engine
 * holds (MAX_MEMORY_CAP) is refused.
 */
export class LuaPool {
  private static sharedPool: LuaPool | undefined;

  /** The process-wide pool (one per thread: a worker has its own). */
  static shared(): LuaPool {
    LuaPool.sharedPool ??= new LuaPool();
    return LuaPool.sharedPool;
  }

  private readonly list: LuaVM[] = [];
  /** The largest memory cap a state of this pool may have. */
  readonly maxCap: number;

  /** `engineBytes`: how far each engine's memory may grow (the WASM limit unless a test shrinks it). */
  constructor(readonly engineBytes: number = WASM_HEAP_LIMIT) {
    // An engine's heap starts after its static data and stack (about 6 MiB into its memory).
    this.maxCap = Math.min(MAX_MEMORY_CAP, Math.floor((engineBytes - engineMargin(engineBytes) - 8 * MiB - MiB) / 2));
  }

  /** The first engine, made on first use. */
  get primary(): LuaVM {
    return this.list[0] ?? this.addEngine();
  }

  /** The live engines. */
  get engines(): readonly LuaVM[] {
    return this.list;
  }

  /**
   * Opens a fresh Lua state with the Sanctum prelude loaded, in an engine with room for `cap`.
   * Throws EngineError when the cap is larger than an engine holds or no engine can be made.
   */
  openState(cap: number): LuaState {
    if (!(cap <= this.maxCap)) {
      throw new EngineError('cap-too-large', `a memory cap of ${formatBytes(cap)} is more than one Lua engine can hold (at most ${formatBytes(this.maxCap)})`);
    }
    const need = reservationFor(cap);
    let vm = this.list.find((e) => e.capacity - e.reserved >= need);
    if (!vm) {
      try {
        vm = this.addEngine();
      } catch (e) {
        throw new EngineError(
          'unavailable',
          `no Lua engine has room for another ${formatBytes(cap)} cap, and a new engine could not be made: ${(e as Error).message}`,
          { cause: e },
        );
      }
      if (vm.capacity < need) throw new EngineError('cap-too-large', `a memory cap of ${formatBytes(cap)} is more than one Lua engine can hold`);
    }
    return vm.openState(need);
  }

  private addEngine(): LuaVM {
    const vm = LuaVM.make(this);
    this.list.push(vm);
    return vm;
  }

  /** @internal An engine lost its last state: keep one empty engine for reuse, drop the others. */
  idle(vm: LuaVM): void {
    if (vm === this.list[0]) return;
    if (this.list.some((e) => e !== vm && e !== this.list[0] && e.states === 0)) {
      this.list.splice(this.list.indexOf(vm), 1);
    }
  }
}

/** Memory an engine keeps out of its capacity: key cache, string scratch, the allocator's slack. */
function engineMargin(engineBytes: number): number {
  return Math.min(32 * MiB, Math.floor(engineBytes / 16));
}

/**
 * One WASM instance of Lua 5.4 and the machinery to run many independent Lua states in it.
 * All states share the instance's memory; each has its own heap budget.
 */
export class LuaVM {
  /** The first engine of the process-wide pool. */
  static shared(): Promise<LuaVM> {
    return Promise.resolve(LuaPool.shared().primary);
  }

  /** An engine of its own, in a pool of its own (its own WASM instance): for isolation tests. */
  static async create(): Promise<LuaVM> {
    return new LuaPool().primary;
  }

  /** @internal A new engine of `pool`, made synchronously. */
  static make(pool: LuaPool): LuaVM {
    const x = instantiateLua(pool.engineBytes);
    let vm: LuaVM | undefined;
    bridgeModule ??= new WebAssembly.Module(Buffer.from(BRIDGE_WASM_BASE64, 'base64'));
    const bridge = new WebAssembly.Instance(bridgeModule, {
      env: {
        memory: x.memory,
        realloc: x.realloc,
        free: x.free,
        lua_pushinteger: x.lua_pushinteger,
        lua_rawgeti: x.lua_rawgeti,
        lua_rawseti: x.lua_rawseti,
        host_call: (L: number) => vm!.dispatchHost(L),
        ...Object.fromEntries(HANDOFF_IMPORTS.map((n) => [n, x[n]])),
      },
    });
    const h = bridge.exports as unknown as BridgeExports;
    const table = x.__indirect_function_table;
    const allocFn = table.length;
    table.grow(2);
    table.set(allocFn, h.alloc);
    table.set(allocFn + 1, h.host_dispatch);
    vm = new LuaVM(pool, x, h, allocFn, allocFn + 1);
    return vm;
  }

  readonly x: LuaExports;
  readonly h: BridgeExports;
  /** Bytes of memory caps this engine can promise its states (see reservationFor). */
  readonly capacity: number;
  /** Bytes its live states have reserved. */
  reserved = 0;
  /** Its live states. */
  states = 0;
  private readonly allocFn: number;
  private readonly hostFn: number;
  private u8: Uint8Array;
  /** The same memory as a Buffer: its latin1 slice makes a longer ASCII string in one call (textAt). */
  private bytes: Buffer;
  private u32: Uint32Array;
  private i32: Int32Array;
  private f64: Float64Array;
  /** The buffer bridge.wat's describe writes into, and the next entry to decode (an index into i32). */
  private readonly desc: number;
  private dw = 0;
  /**
   * Whether describe may be trusted (it reads Lua's structs, whose layout is the Lua build's):
   * its first record is checked against the API read, and a mismatch turns it off for the engine.
   */
  private describeState: 'unchecked' | 'on' | 'off' = 'unchecked';
  private scratch: number;
  private scratchSize: number;
  /** Holds a size_t for lua_tolstring. */
  private readonly lenPtr: number;
  private readonly keyPtrs = new Map<string, number>();

  private constructor(
    readonly pool: LuaPool,
    x: LuaExports,
    h: BridgeExports,
    allocFn: number,
    hostFn: number,
  ) {
    this.x = x;
    this.h = h;
    this.allocFn = allocFn;
    this.hostFn = hostFn;
    this.u8 = new Uint8Array(x.memory.buffer);
    this.bytes = Buffer.from(x.memory.buffer);
    this.u32 = new Uint32Array(x.memory.buffer);
    this.i32 = new Int32Array(x.memory.buffer);
    this.f64 = new Float64Array(x.memory.buffer);
    this.desc = x.malloc(DESC_BYTES);
    h.set_dbuf(this.desc, DESC_BYTES);
    this.scratchSize = 1 << 16;
    this.scratch = x.malloc(this.scratchSize);
    this.lenPtr = x.malloc(8);
    h.set_lenp(this.lenPtr);
    // Where the heap ends now (a fresh block comes from its top): what is left is the engine's.
    const top = x.malloc(16);
    x.free(top);
    this.capacity = pool.engineBytes - top - engineMargin(pool.engineBytes);
  }

  /** The views go stale whenever WASM memory grows (any Lua call may grow it). */
  private heap(): Uint8Array {
    if (this.u8.length === 0) this.refreshViews();
    return this.u8;
  }
  private heap32(): Uint32Array {
    if (this.u32.length === 0) this.refreshViews();
    return this.u32;
  }
  private refreshViews(): void {
    this.u8 = new Uint8Array(this.x.memory.buffer);
    this.bytes = Buffer.from(this.x.memory.buffer);
    this.u32 = new Uint32Array(this.x.memory.buffer);
    this.i32 = new Int32Array(this.x.memory.buffer);
    this.f64 = new Float64Array(this.x.memory.buffer);
  }

  private ensureScratch(size: number): void {
    if (size <= this.scratchSize) return;
    let n = this.scratchSize;
    while (n < size) n *= 2;
    const p = this.x.realloc(this.scratch, n);
    if (!p) throw new ConversionError(`cannot allocate ${n} bytes for a string`);
    this.scratch = p;
    this.scratchSize = n;
  }

  /** Copies bytes into WASM memory (malloc'd; the caller frees). */
  private copyIn(bytes: Uint8Array, nulTerminate: boolean): number {
    const p = this.x.malloc(bytes.length + 1);
    if (!p) throw new Error('out of WASM memory');
    const h = this.heap();
    h.set(bytes, p);
    if (nulTerminate) h[p + bytes.length] = 0;
    return p;
  }

  /**
   * Opens a fresh Lua state with the Sanctum prelude loaded, reserving `reservation` bytes of
   * this engine. Throws when the engine has no memory left. Use LuaPool.openState.
   */
  openState(reservation: number): LuaState {
    const x = this.x;
    const ud = x.malloc(UD_SIZE);
    if (!ud) throw new Error('cannot create a Lua state: the engine is out of memory');
    const h32 = this.heap32();
    h32[ud >> 2] = 0;
    h32[(ud >> 2) + 1] = UNLIMITED;
    h32[(ud >> 2) + 2] = 0;
    const L = x.lua_newstate(this.allocFn, ud);
    if (!L) {
      x.free(ud);
      throw new Error('cannot create a Lua state: the engine is out of memory');
    }
    x.luaL_openlibs(L);
    x.lua_checkstack(L, 64);
    if (preludeChunk === undefined) {
      // Compiling the prelude costs a start-up ~80 ms of CPU: the build ships it compiled.
      preludeChunk = readShippedPrelude(PRELUDE_CHUNK_FILE);
      preludeOrigin = 'shipped';
    }
    if (preludeChunk === undefined) {
      // None shipped (running from src/), or not made from this prelude.lua by this Lua build.
      preludeChunk = this.compilePrelude(L);
      preludeOrigin = 'compiled';
    }
    let status = this.loadChunk(L, preludeChunk, '=sanctum', 'b');
    if (status === LUA_OK) {
      x.lua_pushlightuserdata(L, 0); // sanctum.null
      // The entry points, by name, in the order the host keeps them (SLOT): the prelude returns them so.
      x.lua_createtable(L, SLOT_NAMES.length, 0);
      SLOT_NAMES.forEach((n, i) => {
        this.pushString(L, n);
        this.h.rawseti(L, -2, i + 1);
      });
      status = x.lua_pcallk(L, 2, SLOT_NAMES.length, 0, 0, 0);
    }
    if (status !== LUA_OK) {
      const msg = x.lua_type(L, -1) === T_STRING ? this.readString(L, -1) : `status ${status}`;
      x.lua_close(L);
      x.free(ud);
      throw new Error(`the Sanctum prelude failed to load: ${msg}`);
    }
    this.reserved += reservation;
    this.states++;
    return new LuaState(this, L, ud, reservation);
  }

  private loadChunk(L: number, bytes: Uint8Array, chunkname: string, mode: 't' | 'b'): number {
    const x = this.x;
    const src = this.copyIn(bytes, false);
    const name = this.copyIn(encoder.encode(chunkname), true);
    const m = this.copyIn(encoder.encode(mode), true);
    const status = x.luaL_loadbufferx(L, src, bytes.length, name, m);
    x.free(src);
    x.free(name);
    x.free(m);
    return status;
  }

  /**
   * The prelude, compiled once per process and stripped of its line information. Its functions
   * stand between the spell and library functions (table.insert, xpcall, ...): stripped, they
   * add no position of their own to the library's error messages ("bad argument #2 to 'insert'"),
   * and no lines of Sanctum to a spell's traceback.
   */
  /** @internal The prelude compiled in a new state of this engine, closed after. */
  compilePreludeInScratchState(): Uint8Array {
    const x = this.x;
    const ud = x.malloc(UD_SIZE);
    const h32 = this.heap32();
    h32[ud >> 2] = 0;
    h32[(ud >> 2) + 1] = UNLIMITED;
    h32[(ud >> 2) + 2] = 0;
    const L = x.lua_newstate(this.allocFn, ud);
    try {
      x.luaL_openlibs(L);
      return this.compilePrelude(L);
    } finally {
      x.lua_close(L);
      x.free(ud);
    }
  }

  private compilePrelude(L: number): Uint8Array {
    const x = this.x;
    const top = x.lua_gettop(L);
    const boot = encoder.encode('return string.dump(assert(load(..., "=sanctum", "t")), true)');
    let status = this.loadChunk(L, boot, '=boot', 't');
    if (status === LUA_OK) {
      this.pushString(L, PRELUDE_SOURCE);
      status = x.lua_pcallk(L, 1, 1, 0, 0, 0);
    }
    if (status !== LUA_OK || x.lua_type(L, -1) !== T_STRING) {
      const msg = x.lua_type(L, -1) === T_STRING ? this.readString(L, -1) : `status ${status}`;
      x.lua_settop(L, top);
      throw new Error(`the Sanctum prelude does not compile: ${msg}`);
    }
    const p = x.lua_tolstring(L, -1, this.lenPtr);
    const bytes = this.heap().slice(p, p + this.heap32()[this.lenPtr >> 2]!);
    x.lua_settop(L, top);
    return bytes;
  }

  private readonly hostCallbacks = new Map<number, HostCallback>();
  private nextHostId = 1;

  /** Runs the host callback whose id is the calling closure's first upvalue. */
  private dispatchHost(L: number): number {
    const fn = this.hostCallbacks.get(this.x.lua_touserdata(L, UPVALUE_1));
    return fn ? fn(L) : 0;
  }

  /**
   * Registers a JS callback that Lua can call synchronously, and returns its id. The callback gets
   * the calling thread's state and its arguments at stack 1..n (lua_gettop), pushes its results
   * and returns how many. Push it into a state with `pushHostFunction`.
   */
  registerHost(cb: HostCallback): number {
    const id = this.nextHostId++;
    this.hostCallbacks.set(id, cb);
    return id;
  }

  unregisterHost(id: number): void {
    this.hostCallbacks.delete(id);
  }

  /**
   * Pushes the host callback `id` as a Lua function. Its second upvalue is the array metatable
   * (at `arrayMtIdx` now), reachable inside the callback as HOST_ARRAY_MT for push and read.
   */
  pushHostFunction(L: number, id: number, arrayMtIdx: number): void {
    this.x.lua_pushlightuserdata(L, id);
    this.x.lua_pushvalue(L, arrayMtIdx);
    this.x.lua_pushcclosure(L, this.hostFn, 2);
  }

  /** @internal */
  closeState(state: LuaState): void {
    this.x.lua_close(state.L);
    this.x.free(state.ud);
    this.reserved -= state.reservation;
    this.states--;
    if (this.states === 0) this.pool.idle(this);
  }

  /** Bytes of Lua heap the state uses now. */
  memoryUsed(ud: number): number {
    return this.heap32()[ud >> 2]!;
  }

  /** Sets the state's heap cap in bytes (0 or Infinity: none). */
  setMemoryCap(ud: number, bytes: number): void {
    this.heap32()[(ud >> 2) + 1] = bytes > 0 && bytes < UNLIMITED ? bytes : UNLIMITED;
  }

  /** Sets the state's heap cap for a call and clears its count of refused allocations. */
  beginCall(ud: number, bytes: number): void {
    const h = this.heap32();
    h[(ud >> 2) + 1] = bytes > 0 && bytes < UNLIMITED ? bytes : UNLIMITED;
    h[(ud >> 2) + 2] = 0;
  }

  /** How many allocations the cap refused since beginCall (or markRefused). */
  refusals(ud: number): number {
    return this.heap32()[(ud >> 2) + 2]!;
  }

  /** Records a refusal the host made for the state (a result too big for its cap). */
  markRefused(ud: number): void {
    this.heap32()[(ud >> 2) + 2]!++;
  }

  // ---------------------------------------------------------------------------------------------
  // JS → Lua

  /** Pushes an event-shaped value. Throws ConversionError (the stack is then unbalanced: reset it). */
  push(L: number, v: unknown, arrayMtSlot: number, depth = 0): void {
    const x = this.x;
    switch (typeof v) {
      case 'string':
        this.pushString(L, v);
        return;
      case 'number':
        if (Number.isInteger(v) && v >= -TWO_63 && v < TWO_63 && !(v === 0 && 1 / v < 0)) {
          this.h.pushint(L, v);
        } else if (Number.isFinite(v)) {
          x.lua_pushnumber(L, v);
        } else {
          throw new ConversionError(`${v} is not a JSON number`);
        }
        return;
      case 'boolean':
        x.lua_pushboolean(L, v ? 1 : 0);
        return;
      case 'bigint':
        if (v < -(2n ** 63n) || v >= 2n ** 63n) {
          throw new ConversionError(`the integer ${v} is outside the range Lua can hold (±2^63)`);
        }
        x.lua_pushinteger(L, v);
        return;
      case 'object':
        if (v === null) {
          x.lua_pushlightuserdata(L, 0);
          return;
        }
        if (depth >= MAX_DEPTH) throw new ConversionError(`nested deeper than ${MAX_DEPTH} levels`);
        if (depth > 8 && !x.lua_checkstack(L, 4)) throw new ConversionError('Lua stack exhausted');
        if (Array.isArray(v)) this.pushArray(L, v, arrayMtSlot, depth);
        else {
          const proto = Object.getPrototypeOf(v);
          if (proto !== Object.prototype && proto !== null) checkRecord(v);
          this.pushObject(L, v as Record<string, unknown>, arrayMtSlot, depth);
        }
        return;
      default:
        throw new ConversionError(`${v === undefined ? 'undefined' : `a ${typeof v}`} is not an event value`);
    }
  }

  private pushArray(L: number, a: readonly unknown[], arrayMtSlot: number, depth: number): void {
    const x = this.x;
    const n = a.length;
    x.lua_createtable(L, n, 0);
    for (let i = 0; i < n; i++) {
      const item = a[i];
      try {
        if (item === undefined) x.lua_pushlightuserdata(L, 0);
        else this.push(L, item, arrayMtSlot, depth + 1);
      } catch (e) {
        if (e instanceof ConversionError) e.path.unshift(i);
        throw e;
      }
      this.h.rawseti(L, -2, i + 1);
    }
    x.lua_pushvalue(L, arrayMtSlot);
    x.lua_setmetatable(L, -2);
  }

  private pushObject(L: number, o: Record<string, unknown>, arrayMtSlot: number, depth: number): void {
    const x = this.x;
    let n = 0;
    for (const k in o) if (o[k] !== undefined) n++;
    x.lua_createtable(L, 0, n);
    for (const k in o) {
      const item = o[k];
      if (item === undefined) continue;
      const kp = this.keyPtr(k);
      if (kp === 0) this.pushString(L, k);
      try {
        this.push(L, item, arrayMtSlot, depth + 1);
      } catch (e) {
        if (e instanceof ConversionError) e.path.unshift(k);
        throw e;
      }
      if (kp !== 0) x.lua_setfield(L, -2, kp);
      else x.lua_rawset(L, -3);
    }
  }

  /** A NUL-terminated copy of an object key kept in WASM memory, or 0 when it cannot be one. */
  private keyPtr(k: string): number {
    const p = this.keyPtrs.get(k);
    if (p !== undefined) return p;
    if (this.keyPtrs.size >= KEY_CACHE_LIMIT || k.includes('\0') || !k.isWellFormed()) return 0;
    const ptr = this.copyIn(encoder.encode(k), true);
    this.keyPtrs.set(k, ptr);
    return ptr;
  }

  pushString(L: number, s: string): void {
    const len = s.length;
    if (len <= 64) {
      this.ensureScratch(64);
      const h = this.heap();
      const base = this.scratch;
      let i = 0;
      for (; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        h[base + i] = c;
      }
      if (i === len) {
        this.x.lua_pushlstring(L, base, len);
        return;
      }
    }
    if (!s.isWellFormed()) throw new ConversionError('the string has a lone UTF-16 surrogate, which UTF-8 cannot carry');
    const max = len * 3;
    this.ensureScratch(max);
    const { written } = encoder.encodeInto(s, this.heap().subarray(this.scratch, this.scratch + max));
    this.x.lua_pushlstring(L, this.scratch, written);
  }

  /**
   * Copies the value at `idx` of state `A` onto the top of state `B` (both of this engine) without
   * building a JS value: exactly what `read` then `push` would make. False when it cannot (a value
   * `read` refuses, or one whose shape the copy leaves to the slow path): nothing was pushed, and
   * `read` + `push` give the value, or the error, as ever.
   */
  handoff(A: number, idx: number, B: number, arrayMtSlot: number): boolean {
    return this.h.handoff(A, idx, B, arrayMtSlot, MAX_DEPTH) === 0;
  }

  // ---------------------------------------------------------------------------------------------
  // Lua → JS

  /** Reads the value at absolute stack index `idx`. Throws ConversionError for non-event values. */
  read(L: number, idx: number, arrayMtSlot: number, depth = 0): EventValue {
    // A record is read from the table's memory in one WASM call and decoded here (bridge.wat
    // describe); what that cannot take, or a string the decoder refuses, is read through the
    // API below, which gives the same value, or the error.
    if (depth === 0 && this.describeState !== 'off') {
      let v: EventValue | undefined;
      try {
        if (this.h.describe(L, idx, MAX_DEPTH) === 0) {
          if (this.i32.length === 0) this.refreshViews();
          this.dw = this.desc >> 2;
          v = this.decodeRecord();
        }
      } catch {
        // read it through the API
      }
      if (v !== undefined) {
        if (this.describeState === 'on') return v;
        const api = this.readApi(L, idx, arrayMtSlot, 0);
        this.describeState = JSON.stringify(v) === JSON.stringify(api) ? 'on' : 'off';
        return api;
      }
    }
    return this.readApi(L, idx, arrayMtSlot, depth);
  }

  /** read through Lua's API, value by value. */
  private readApi(L: number, idx: number, arrayMtSlot: number, depth: number): EventValue {
    const x = this.x;
    const t = x.lua_type(L, idx);
    switch (t) {
      case T_STRING:
        return this.readString(L, idx);
      case T_NUMBER: {
        const n = x.lua_tonumberx(L, idx, 0);
        if (x.lua_isinteger(L, idx)) {
          if (n > -MAX_EXACT && n < MAX_EXACT) return n;
          const i = x.lua_tointegerx(L, idx, 0);
          if (BigInt(n) === i) return n;
          throw new ConversionError(`the integer ${i} cannot be represented exactly as a JSON number (beyond ±2^53)`);
        }
        if (!Number.isFinite(n)) throw new ConversionError(`${tostringFloat(n)} is not a JSON number`);
        return n;
      }
      case T_BOOLEAN:
        return x.lua_toboolean(L, idx) !== 0;
      case T_TABLE:
        return this.readTable(L, idx, arrayMtSlot, depth);
      case T_LIGHTUSERDATA:
        if (x.lua_touserdata(L, idx) === 0) return null;
        throw new ConversionError('a userdata is not an event value');
      default:
        throw new ConversionError(`a ${TYPE_NAMES[t] ?? 'value'} is not an event value`);
    }
  }

  /** Decodes the record entry at `dw` and its fields (see bridge.wat describe); `dw` then follows them. */
  private decodeRecord(): EventValue {
    const i32 = this.i32;
    const n = i32[this.dw + 1]!;
    const o: Record<string, EventValue> = {};
    let w = this.dw + 4;
    for (let f = 0; f < n; f++) {
      const k = this.keyAt(i32[w + 1]!, i32[w + 2]!);
      w += 4;
      let v: EventValue;
      switch (i32[w]) {
        case D_NUMBER:
          v = this.f64[(w >> 1) + 1]!;
          w += 4;
          break;
        case D_STRING:
          v = this.textAt(i32[w + 1]!, i32[w + 2]!);
          w += 4;
          break;
        case D_TRUE:
          v = true;
          w += 4;
          break;
        case D_FALSE:
          v = false;
          w += 4;
          break;
        case D_RECORD:
          this.dw = w;
          v = this.decodeRecord();
          w = this.dw;
          break;
        default:
          throw new Error(`describe wrote an unknown tag ${i32[w]}`);
      }
      if (k !== '__proto__') o[k] = v;
      else setField(o, k, v);
    }
    this.dw = w;
    return o;
  }

  private readTable(L: number, idx: number, arrayMtSlot: number, depth: number): EventValue {
    const x = this.x;
    if (depth >= MAX_DEPTH) throw new ConversionError(`nested deeper than ${MAX_DEPTH} levels (a table that contains itself?)`);
    if (!x.lua_checkstack(L, 4)) throw new ConversionError('Lua stack exhausted');
    let marked = false;
    if (x.lua_getmetatable(L, idx)) {
      marked = x.lua_rawequal(L, -1, arrayMtSlot) !== 0;
      x.lua_settop(L, -2);
    }
    const n = this.h.rawlen(L, idx);
    const arr: EventValue[] | undefined = n > 0 ? new Array<EventValue>(n) : undefined;
    let ints = 0;
    let obj: Record<string, EventValue> | undefined;
    x.lua_pushnil(L);
    const vIdx = x.lua_gettop(L) + 1;
    while (x.lua_next(L, idx) !== 0) {
      const kt = x.lua_type(L, -2);
      let key: string | number;
      if (kt === T_STRING) key = this.readKey(L);
      else if (kt === T_NUMBER && x.lua_isinteger(L, -2)) key = x.lua_tonumberx(L, -2, 0);
      else {
        x.lua_settop(L, vIdx - 2);
        throw new ConversionError(
          `a table key of type ${kt === T_NUMBER ? 'float' : TYPE_NAMES[kt]} cannot be an event field (keys are strings, or 1..n for arrays)`,
        );
      }
      let v: EventValue;
      try {
        v = this.readApi(L, vIdx, arrayMtSlot, depth + 1);
      } catch (e) {
        x.lua_settop(L, vIdx - 2);
        if (e instanceof ConversionError) e.path.unshift(key);
        throw e;
      }
      if (typeof key === 'number' && key >= 1 && key <= n) {
        arr![key - 1] = v;
        ints++;
      } else if (key !== '__proto__') {
        (obj ??= {})[key] = v;
      } else {
        setField((obj ??= {}), key, v);
      }
      x.lua_settop(L, vIdx - 1);
    }
    if (obj === undefined) {
      if (arr !== undefined && ints === n) return arr;
      if (arr === undefined) return marked ? [] : {};
    }
    if (marked) {
      throw new ConversionError('a table marked as an array (sanctum.array) has keys other than 1..n');
    }
    if (arr === undefined || ints === 0) return obj!;
    // Holes or mixed keys: an object whose integer keys become strings. Nothing is dropped.
    const out: Record<string, EventValue> = {};
    for (let i = 0; i < n; i++) if (i in arr) out[String(i + 1)] = arr[i]!;
    if (obj !== undefined) for (const k in obj) setField(out, k, obj[k]!);
    return out;
  }

  /**
   * Reads the string key at -2. Keys repeat (the same constants, event after event): a small cache
   * keyed by the Lua string's address returns the same JS string, checked byte for byte, so no new
   * string is made and V8 sees the same key every time.
   */
  private readKey(L: number): string {
    const p = this.x.lua_tolstring(L, -2, this.lenPtr);
    return this.keyAt(p, this.heap32()[this.lenPtr >> 2]!);
  }

  /** The key string of `len` bytes at `p` in Lua's memory, through the cache (see readKey). */
  private keyAt(p: number, len: number): string {
    const slot = (p >>> 3) & (KEY_SLOTS - 1);
    const h = this.heap();
    if (this.keyPtrCache[slot] === p && this.keyLenCache[slot] === len) {
      const bytes = this.keyBytesCache[slot]!;
      let i = 0;
      while (i < len && h[p + i] === bytes[i]) i++;
      if (i === len) return this.keyStrCache[slot]!;
    }
    const s = this.textAt(p, len);
    if (len <= 64) {
      this.keyPtrCache[slot] = p;
      this.keyLenCache[slot] = len;
      this.keyBytesCache[slot] = h.slice(p, p + len);
      this.keyStrCache[slot] = s;
    }
    return s;
  }
  private readonly keyPtrCache = new Int32Array(KEY_SLOTS).fill(-1);
  private readonly keyLenCache = new Int32Array(KEY_SLOTS);
  private readonly keyBytesCache: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(KEY_SLOTS);
  private readonly keyStrCache: (string | undefined)[] = new Array<string | undefined>(KEY_SLOTS);

  /** Reads a Lua string; it must be valid UTF-8 (JSON strings are Unicode). */
  readString(L: number, idx: number): string {
    const p = this.x.lua_tolstring(L, idx, this.lenPtr);
    return this.textAt(p, this.heap32()[this.lenPtr >> 2]!);
  }

  /** The string of `len` bytes at `p` in Lua's memory; it must be valid UTF-8. */
  private textAt(p: number, len: number): string {
    const h = this.heap();
    if (len < ASCII_SLICE) {
      let s = '';
      let i = 0;
      for (; i < len; i++) {
        const c = h[p + i]!;
        if (c >= 0x80) break;
        s += String.fromCharCode(c);
      }
      if (i === len) return s;
    } else if (len <= 64) {
      // Longer ASCII (state keys such as "win:e000000000ea60:u1234"): appending a character at a
      // time makes a chain of string pieces, flattened again when the string is hashed (a Map
      // key); the Buffer's latin1 slice makes the flat string at once (~150 ns against ~270 for 22).
      let i = 0;
      while (i < len && h[p + i]! < 0x80) i++;
      if (i === len) return this.bytes.toString('latin1', p, p + len);
    }
    try {
      return decoder.decode(h.subarray(p, p + len));
    } catch {
      throw new ConversionError('the string is not valid UTF-8 (JSON strings are Unicode text)');
    }
  }
}

/** From this length on, textAt makes an ASCII string with one Buffer call rather than a character at a time (measured: 10 bytes break even). */
const ASCII_SLICE = 12;

/** Sets a field; `__proto__` becomes an own field, as JSON.parse makes it, never the prototype. */
function setField(o: Record<string, EventValue>, k: string, v: EventValue): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

function tostringFloat(n: number): string {
  return Number.isNaN(n) ? 'NaN (0/0)' : n > 0 ? 'inf (1/0)' : '-inf (-1/0)';
}

// ---------------------------------------------------------------------------------------------
// The protocol between the host and the prelude: one definition of each layout, here.

/**
 * The prelude's entry points, in the order they stay at the bottom of every state's stack: the
 * host hands these names to the prelude, which returns its functions in this order (an unknown
 * name fails the state's opening), so the two cannot disagree.
 */
const SLOT_NAMES = [
  'cast',
  'cast_batch',
  'init',
  'finish',
  'last_error',
  'drain_logs',
  'port_name',
  'set_budget',
  'load',
  'array_mt',
  'handler',
  'batch_failure',
  'collect',
  'time',
] as const;
type SlotName = (typeof SLOT_NAMES)[number];
const camel = (n: string) => n.replace(/_(.)/g, (_, c: string) => c.toUpperCase());
type Camel<S extends string> = S extends `${infer A}_${infer B}` ? `${A}${Capitalize<Camel<B>>}` : S;

/** Stack index of each entry point (`handler`: the message handler every host call runs under). */
export const SLOT = Object.freeze(Object.fromEntries(SLOT_NAMES.map((n, i) => [camel(n), i + 1]))) as { readonly [K in SlotName as Camel<K>]: number };

/**
 * What every call of cast, cast_batch, init, finish and batch_failure returns, by position (1 is
 * the first result): the prelude's `results()` returns them in this order, for single and batch
 * calls alike; test/spellcraft/protocol.test.ts checks each position holds what its name says.
 */
export const RESULT = Object.freeze({
  /** How many events the call emitted. */
  count: 1,
  /** Table 1..count of the emitted events. */
  events: 2,
  /** Table 1..count of their port ids (0: the default port). */
  ports: 3,
  /** Log entries waiting to be drained. */
  logs: 4,
  /** Whether a named port was used (else the port ids need not be read). */
  named: 5,
  /** Batch: table of how many events each cast emitted. */
  counts: 6,
  /** Batch: whether every cast emitted exactly one event (the counts need not be read). */
  ones: 7,
  /**
   * Batch: the position of the last event cast — of the last one of the batch, or where the output
   * bound stopped the call. Batch failure: the position of the event whose cast failed.
   */
  failed: 8,
  /** Batch failure: outputs emitted before that cast began. */
  failedBefore: 9,
} as const);
export const RESULT_COUNT = 9;

/** What `last_error` returns, by position: the failure the prelude recorded, built from raw values. */
export const REPORT = Object.freeze({
  /** The message: the error string, a table's string `message` field, or a description. */
  message: 1,
  /** The error value itself when it was a table (the host reads it raw, as data). */
  data: 2,
  /** 'budget', 'stack', 'bad_output', 'runtime', or 'memory?' (memory if the allocator refused). */
  kind: 3,
  /** Chunk name and line in the spell's code where it failed. */
  source: 4,
  line: 5,
  traceback: 6,
} as const);
export const REPORT_COUNT = 6;

/** A state's allocator record in WASM memory: used, max, refused (u32 each). */
const UD_SIZE = 12;

/** One Lua state: its pointer, its allocator record, the engine it lives in and what it reserved there. */
export class LuaState {
  private closed = false;
  constructor(
    readonly vm: LuaVM,
    readonly L: number,
    readonly ud: number,
    readonly reservation: number,
  ) {}
  get isClosed(): boolean {
    return this.closed;
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.vm.closeState(this);
  }
}

const PRELUDE_SOURCE = readFileSync(new URL('./prelude.lua', import.meta.url), 'utf8');
