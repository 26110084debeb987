/**
 * The wasmoon bridge: the only module that touches Lua. It drives the WASM module's raw exports
 * directly (wasmoon's generic conversion costs 60–80 wrapped calls per small event; see
 * shared/notes/wasmoon.md), marshals events by hand, and counts each Lua state's memory with a
 * tiny WASM allocator so a memory cap costs no JS call per allocation.
 */
import { readFileSync } from 'node:fs';
import { LuaFactory } from 'wasmoon';
import type { EventValue } from '../core/event.js';
import { BRIDGE_WASM_BASE64 } from './bridge-wasm.js';

/** The raw exports of wasmoon's WASM module we use (pointers are numbers, lua_Integer is bigint). */
interface LuaExports {
  memory: WebAssembly.Memory;
  __indirect_function_table: WebAssembly.Table;
  malloc(size: number): number;
  free(ptr: number): void;
  realloc(ptr: number, size: number): number;
  lua_newstate(alloc: number, ud: number): number;
  luaL_openlibs(L: number): void;
  lua_close(L: number): void;
  luaL_loadbufferx(L: number, buf: number, size: number, name: number, mode: number): number;
  lua_pcallk(L: number, nargs: number, nresults: number, msgh: number, ctx: number, k: number): number;
  lua_settop(L: number, idx: number): void;
  lua_rotate(L: number, idx: number, n: number): void;
  lua_gettop(L: number): number;
  lua_checkstack(L: number, n: number): number;
  lua_pushvalue(L: number, idx: number): void;
  lua_pushnil(L: number): void;
  lua_pushboolean(L: number, b: number): void;
  lua_pushnumber(L: number, n: number): void;
  lua_pushinteger(L: number, n: bigint): void;
  lua_pushlstring(L: number, s: number, len: number): number;
  lua_pushlightuserdata(L: number, p: number): void;
  lua_pushcclosure(L: number, fn: number, n: number): void;
  lua_createtable(L: number, narr: number, nrec: number): void;
  lua_setfield(L: number, idx: number, k: number): void;
  lua_rawset(L: number, idx: number): void;
  lua_rawseti(L: number, idx: number, n: bigint): void;
  lua_rawgeti(L: number, idx: number, n: bigint): number;
  lua_setmetatable(L: number, idx: number): number;
  lua_getmetatable(L: number, idx: number): number;
  lua_rawequal(L: number, a: number, b: number): number;
  lua_type(L: number, idx: number): number;
  lua_toboolean(L: number, idx: number): number;
  lua_tonumberx(L: number, idx: number, isnum: number): number;
  lua_tointegerx(L: number, idx: number, isnum: number): bigint;
  lua_isinteger(L: number, idx: number): number;
  lua_tolstring(L: number, idx: number, len: number): number;
  lua_touserdata(L: number, idx: number): number;
  lua_rawlen(L: number, idx: number): bigint;
  lua_next(L: number, idx: number): number;
}

/** Sanctum's own WASM helpers (bridge.wat), linked to the Lua module. */
interface BridgeExports {
  alloc: WebAssembly.ExportValue;
  /** lua_pushinteger of a double holding an integer below 2^63 in magnitude: no BigInt. */
  pushint(L: number, v: number): void;
  rawgeti(L: number, idx: number, n: number): number;
  rawseti(L: number, idx: number, n: number): void;
}

const T_NIL = 0, T_BOOLEAN = 1, T_LIGHTUSERDATA = 2, T_NUMBER = 3, T_STRING = 4, T_TABLE = 5;
const TYPE_NAMES = ['nil', 'boolean', 'userdata', 'number', 'string', 'table', 'function', 'userdata', 'thread'];
const UNLIMITED = 0xffffffff;
const MAX_DEPTH = 200;
const TWO_63 = 2 ** 63;
const MAX_EXACT = 2 ** 53;
const KEY_CACHE_LIMIT = 8192;
const KEY_SLOTS = 1024;

/** A JS function Lua calls: arguments at stack 1..lua_gettop(L); returns how many results it pushed. */
export type HostCallback = (L: number) => number;

/** lua_upvalueindex(1): LUA_REGISTRYINDEX (-LUAI_MAXSTACK - 1000) minus 1. */
const UPVALUE_1 = -1001000 - 1;
/** Inside a host callback: the array metatable (its second upvalue), for push and read. */
export const HOST_ARRAY_MT = -1001000 - 2;

/** Lua status codes of lua_pcall. */
export const LUA_OK = 0, LUA_ERRMEM = 4;

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

const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

let sharedVM: Promise<LuaVM> | undefined;

/**
 * One WASM instance of Lua 5.4 and the machinery to run many independent Lua states in it.
 * All states share the instance's memory; each has its own heap budget.
 */
export class LuaVM {
  /** The process-wide VM, created on first use. */
  static shared(): Promise<LuaVM> {
    sharedVM ??= LuaVM.create();
    return sharedVM;
  }

  /** A VM of its own (its own WASM instance): for worker threads and isolation tests. */
  static async create(): Promise<LuaVM> {
    const lua = await instantiateLua();
    const x = lua.exports;
    const bridge = await WebAssembly.instantiate(Buffer.from(BRIDGE_WASM_BASE64, 'base64'), {
      env: {
        memory: x.memory,
        realloc: x.realloc,
        free: x.free,
        lua_pushinteger: x.lua_pushinteger,
        lua_rawgeti: x.lua_rawgeti,
        lua_rawseti: x.lua_rawseti,
      },
    });
    const h = bridge.instance.exports as unknown as BridgeExports;
    const table = x.__indirect_function_table;
    const allocFn = table.length;
    table.grow(1);
    table.set(allocFn, h.alloc);
    return new LuaVM(x, h, allocFn, lua.addFunction);
  }

  readonly x: LuaExports;
  readonly h: BridgeExports;
  private readonly allocFn: number;
  private u8: Uint8Array;
  private u32: Uint32Array;
  private scratch: number;
  private scratchSize: number;
  /** Holds a size_t for lua_tolstring. */
  private readonly lenPtr: number;
  private readonly keyPtrs = new Map<string, number>();
  private readonly preludeBytes: Uint8Array;

  private constructor(
    x: LuaExports,
    h: BridgeExports,
    allocFn: number,
    private readonly addFunction: LuaModule['addFunction'],
  ) {
    this.x = x;
    this.h = h;
    this.allocFn = allocFn;
    this.u8 = new Uint8Array(x.memory.buffer);
    this.u32 = new Uint32Array(x.memory.buffer);
    this.scratchSize = 1 << 16;
    this.scratch = x.malloc(this.scratchSize);
    this.lenPtr = x.malloc(8);
    this.preludeBytes = encoder.encode(PRELUDE_SOURCE);
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
    this.u32 = new Uint32Array(this.x.memory.buffer);
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
   * Opens a fresh Lua state with the Sanctum prelude loaded. Returns the state, or throws when the
   * WASM instance has no memory left.
   */
  openState(): LuaState {
    const x = this.x;
    const ud = x.malloc(8);
    const h32 = this.heap32();
    h32[ud >> 2] = 0;
    h32[(ud >> 2) + 1] = UNLIMITED;
    const L = x.lua_newstate(this.allocFn, ud);
    if (!L) {
      x.free(ud);
      throw new Error('cannot create a Lua state: out of memory');
    }
    x.luaL_openlibs(L);
    x.lua_checkstack(L, 64);
    const src = this.copyIn(this.preludeBytes, false);
    const name = this.copyIn(encoder.encode('=sanctum'), true);
    const mode = this.copyIn(encoder.encode('t'), true);
    let status = x.luaL_loadbufferx(L, src, this.preludeBytes.length, name, mode);
    x.free(src);
    x.free(name);
    x.free(mode);
    if (status === LUA_OK) {
      x.lua_pushlightuserdata(L, 0); // sanctum.null
      status = x.lua_pcallk(L, 1, PRELUDE_SLOTS, 0, 0, 0);
    }
    if (status !== LUA_OK) {
      const msg = x.lua_type(L, -1) === T_STRING ? this.readString(L, -1) : `status ${status}`;
      x.lua_close(L);
      x.free(ud);
      throw new Error(`the Sanctum prelude failed to load: ${msg}`);
    }
    return new LuaState(this, L, ud);
  }

  private hostDispatcher = 0;
  private readonly hostCallbacks = new Map<number, HostCallback>();
  private nextHostId = 1;

  /**
   * Registers a JS callback that Lua can call synchronously, and returns its id. The callback gets
   * the calling thread's state and its arguments at stack 1..n (lua_gettop), pushes its results
   * and returns how many. Push it into a state with `pushHostFunction`.
   */
  registerHost(cb: HostCallback): number {
    if (this.hostDispatcher === 0) {
      // One C function for every callback; which one runs is its upvalue (a light userdata id).
      this.hostDispatcher = this.addFunction((L: number) => {
        const id = this.x.lua_touserdata(L, UPVALUE_1);
        const fn = this.hostCallbacks.get(id);
        return fn ? fn(L) : 0;
      }, 'ii');
    }
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
    this.x.lua_pushcclosure(L, this.hostDispatcher, 2);
  }

  /** @internal */
  closeState(state: LuaState): void {
    this.x.lua_close(state.L);
    this.x.free(state.ud);
  }

  /** Bytes of Lua heap the state uses now. */
  memoryUsed(ud: number): number {
    return this.heap32()[ud >> 2]!;
  }

  /** Sets the state's heap cap in bytes (0 or Infinity: none). */
  setMemoryCap(ud: number, bytes: number): void {
    this.heap32()[(ud >> 2) + 1] = bytes > 0 && bytes < UNLIMITED ? bytes : UNLIMITED;
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
        else this.pushObject(L, v as Record<string, unknown>, arrayMtSlot, depth);
        return;
      default:
        throw new ConversionError(`a ${typeof v} is not an event value`);
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

  // ---------------------------------------------------------------------------------------------
  // Lua → JS

  /** Reads the value at absolute stack index `idx`. Throws ConversionError for non-event values. */
  read(L: number, idx: number, arrayMtSlot: number, depth = 0): EventValue {
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

  private readTable(L: number, idx: number, arrayMtSlot: number, depth: number): EventValue {
    const x = this.x;
    if (depth >= MAX_DEPTH) throw new ConversionError(`nested deeper than ${MAX_DEPTH} levels (a table that contains itself?)`);
    if (!x.lua_checkstack(L, 4)) throw new ConversionError('Lua stack exhausted');
    let marked = false;
    if (x.lua_getmetatable(L, idx)) {
      marked = x.lua_rawequal(L, -1, arrayMtSlot) !== 0;
      x.lua_settop(L, -2);
    }
    const n = Number(x.lua_rawlen(L, idx));
    let arr: EventValue[] | undefined = n > 0 ? new Array<EventValue>(n) : undefined;
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
        throw new ConversionError(`a table key of type ${kt === T_NUMBER ? 'float' : TYPE_NAMES[kt]} cannot be an event field (keys are strings, or 1..n for arrays)`);
      }
      let v: EventValue;
      try {
        v = this.read(L, vIdx, arrayMtSlot, depth + 1);
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
    const len = this.heap32()[this.lenPtr >> 2]!;
    const slot = (p >>> 3) & (KEY_SLOTS - 1);
    const h = this.heap();
    if (this.keyPtrCache[slot] === p && this.keyLenCache[slot] === len) {
      const bytes = this.keyBytesCache[slot]!;
      let i = 0;
      while (i < len && h[p + i] === bytes[i]) i++;
      if (i === len) return this.keyStrCache[slot]!;
    }
    const s = this.readString(L, -2);
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
    const len = this.heap32()[this.lenPtr >> 2]!;
    const h = this.heap();
    if (len <= 24) {
      let s = '';
      let i = 0;
      for (; i < len; i++) {
        const c = h[p + i]!;
        if (c >= 0x80) break;
        s += String.fromCharCode(c);
      }
      if (i === len) return s;
    }
    try {
      return decoder.decode(h.subarray(p, p + len));
    } catch {
      throw new ConversionError('the string is not valid UTF-8 (JSON strings are Unicode text)');
    }
  }

}

/** Sets a field; `__proto__` becomes an own field, as JSON.parse makes it, never the prototype. */
function setField(o: Record<string, EventValue>, k: string, v: EventValue): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

function tostringFloat(n: number): string {
  return Number.isNaN(n) ? 'NaN (0/0)' : n > 0 ? 'inf (1/0)' : '-inf (-1/0)';
}

/** Stack slots the prelude leaves at the bottom of every state, in the order it returns them. */
export const SLOT = {
  cast: 1,
  castBatch: 2,
  init: 3,
  finish: 4,
  lastError: 5,
  drainLogs: 6,
  portName: 7,
  setBudget: 8,
  load: 9,
  arrayMt: 10,
  /** The message handler every host call runs under (records file, line, traceback). */
  handler: 11,
  batchFailure: 12,
  /** Ticks and timer firing (prelude's host.time). */
  time: 13,
} as const;
const PRELUDE_SLOTS = 13;

/** One Lua state: its pointer, its allocator record, and the VM it lives in. */
export class LuaState {
  private closed = false;
  constructor(
    readonly vm: LuaVM,
    readonly L: number,
    readonly ud: number,
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

/**
 * Creates wasmoon's module and captures the WASM instance's own exports: wasmoon only hands out
 * wrappers that check arguments on every call (~5× slower than calling the export).
 */
interface LuaModule {
  exports: LuaExports;
  /** Emscripten's addFunction: makes a JS function callable from WASM (a C function pointer). */
  addFunction(fn: (...args: number[]) => number, signature: string): number;
}

async function instantiateLua(): Promise<LuaModule> {
  const seen: WebAssembly.Instance[] = [];
  const original = WebAssembly.instantiate;
  const capture = async function (this: unknown, ...args: unknown[]) {
    const result = await (original as (...a: unknown[]) => Promise<unknown>).apply(this, args);
    const instance = (result as { instance?: WebAssembly.Instance }).instance ?? (result as WebAssembly.Instance);
    seen.push(instance);
    return result;
  };
  (WebAssembly as { instantiate: unknown }).instantiate = capture;
  let module;
  try {
    module = await new LuaFactory().getLuaModule();
  } finally {
    if ((WebAssembly as { instantiate: unknown }).instantiate === capture) {
      (WebAssembly as { instantiate: unknown }).instantiate = original;
    }
  }
  const heap = (module.module as unknown as { HEAPU8: Uint8Array }).HEAPU8;
  const instance = seen.find((i) => (i.exports['memory'] as WebAssembly.Memory | undefined)?.buffer === heap.buffer);
  if (!instance) throw new Error('could not reach the Lua WASM exports (has wasmoon changed?)');
  const em = module.module as unknown as { addFunction: LuaModule['addFunction'] };
  return { exports: instance.exports as unknown as LuaExports, addFunction: em.addFunction.bind(em) };
}
