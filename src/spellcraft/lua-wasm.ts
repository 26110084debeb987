/**
 * Instantiates wasmoon's Lua 5.4 WASM module synchronously, with the few imports it needs. wasmoon's
 * own JavaScript glue only instantiates asynchronously, and a caster is opened synchronously (when
 * an operator is subscribed): so that a new engine can be made at that moment, Sanctum provides the
 * imports itself. They are ported from the Emscripten glue of wasmoon 1.16; what a spell cannot
 * reach (files, processes, the environment) answers "not supported".
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** The largest WASM memory one engine may grow to: Emscripten's 2 GiB heap limit of this build. */
export const WASM_HEAP_LIMIT = 2 ** 31;

/** What the Lua module exports and we call (pointers are numbers, lua_Integer is bigint). */
export interface LuaExports {
  memory: WebAssembly.Memory;
  __indirect_function_table: WebAssembly.Table;
  __wasm_call_ctors(): void;
  __errno_location(): number;
  emscripten_stack_init(): void;
  stackSave(): number;
  stackRestore(sp: number): void;
  setThrew(threw: number, value: number): void;
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
  lua_topointer(L: number, idx: number): number;
}

let compiled: WebAssembly.Module | undefined;
let buildId: string | undefined;

/** The compiled Lua module, once per process (each engine is a new instance of it). */
function luaModule(): WebAssembly.Module {
  if (compiled) return compiled;
  const file = createRequire(import.meta.url).resolve('wasmoon/dist/glue.wasm');
  const bytes = readFileSync(file);
  buildId = createHash('sha256').update(bytes).digest('hex');
  compiled = new WebAssembly.Module(bytes);
  return compiled;
}

/**
 * The SHA-256 of the Lua WASM build this process runs: a binary chunk dumped by one build is
 * loaded only by the same build (see lua-vm.ts readShippedPrelude).
 */
export function luaBuildId(): string {
  luaModule();
  return buildId!;
}

const ENOSYS = 52,
  EBADF = 8,
  EOVERFLOW = 61;
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * A new, initialised instance of the Lua module whose memory may grow to `maxBytes`. Synchronous:
 * the module is compiled once, and instantiating it again takes a few milliseconds.
 */
export function instantiateLua(maxBytes: number = WASM_HEAP_LIMIT): LuaExports {
  let x: LuaExports | undefined;
  const ex = () => x!;
  const mem = () => ex().memory.buffer;
  const i32 = () => new Int32Array(mem());
  const u8 = () => new Uint8Array(mem());
  const cString = (p: number) => {
    const h = u8();
    let end = p;
    while (h[end] !== 0) end++;
    return decoder.decode(h.subarray(p, end));
  };
  const newCString = (s: string) => {
    const bytes = encoder.encode(s);
    const p = ex().malloc(bytes.length + 1);
    const h = u8();
    h.set(bytes, p);
    h[p + bytes.length] = 0;
    return p;
  };
  // Lua's error handling is setjmp/longjmp, compiled by Emscripten into a JS exception (a number)
  // thrown by _emscripten_throw_longjmp and caught by the invoke_* wrapper of the protected call.
  const table: (((a: number, b: number) => void) | undefined)[] = [];
  const invoke_vii = (index: number, a: number, b: number) => {
    const sp = ex().stackSave();
    try {
      let f = table[index];
      if (f === undefined) f = table[index] = ex().__indirect_function_table.get(index) as (a: number, b: number) => void;
      f(a, b);
    } catch (e) {
      ex().stackRestore(sp);
      if (e !== (e as number) + 0) throw e;
      ex().setThrew(1, 0);
    }
  };
  const env = {
    abort: () => {
      throw new Error('the Lua engine aborted (native abort())');
    },
    invoke_vii,
    _emscripten_throw_longjmp: () => {
      throw Infinity;
    },
    emscripten_resize_heap: (requested: number) => growHeap(ex().memory, requested >>> 0, maxBytes),
    emscripten_date_now: () => Date.now(),
    _emscripten_get_now_is_monotonic: () => 1,
    exit: (code: number) => {
      throw new Error(`the Lua engine called exit(${code})`);
    },
    system: (cmd: number) => (cmd === 0 ? 0 : -1),
    __syscall_openat: () => -ENOSYS,
    __syscall_fcntl64: () => -ENOSYS,
    __syscall_ioctl: () => -ENOSYS,
    __syscall_dup3: () => -ENOSYS,
    __syscall_unlinkat: () => -ENOSYS,
    __syscall_rmdir: () => -ENOSYS,
    __syscall_renameat: () => -ENOSYS,
    __syscall_readlinkat: () => -ENOSYS,
    _gmtime_js: (time: bigint, tm: number) => writeTm(i32(), tm, new Date(seconds(time) * 1000), true),
    _localtime_js: (time: bigint, tm: number) => writeTm(i32(), tm, new Date(seconds(time) * 1000), false),
    _mktime_js: (tm: number) => {
      const t = mktime(i32(), tm);
      if (Number.isNaN(t)) {
        i32()[ex().__errno_location() >> 2] = EOVERFLOW;
        return -1n;
      }
      return BigInt(t);
    },
    _tzset_js: (timezone: number, daylight: number, tzname: number) => {
      const year = new Date().getFullYear();
      const winter = new Date(year, 0, 1),
        summer = new Date(year, 6, 1);
      const wo = winter.getTimezoneOffset(),
        so = summer.getTimezoneOffset();
      const h = i32();
      h[timezone >> 2] = 60 * Math.max(wo, so);
      h[daylight >> 2] = Number(wo !== so);
      const zone = (d: Date) => /\(([A-Za-z ]+)\)$/.exec(d.toTimeString())?.[1] ?? 'GMT';
      const w = newCString(zone(winter)),
        s = newCString(zone(summer));
      const h2 = i32();
      h2[tzname >> 2] = so < wo ? w : s;
      h2[(tzname >> 2) + 1] = so < wo ? s : w;
    },
    strftime: (s: number, maxsize: number, format: number, tm: number) => {
      const text = strftime(cString(format), readTm(i32(), tm, cString));
      const bytes = encoder.encode(text);
      if (bytes.length + 1 > maxsize) return 0;
      const h = u8();
      h.set(bytes, s);
      h[s + bytes.length] = 0;
      return bytes.length;
    },
  };
  const wasi = {
    // Lua writes nothing a spell can reach (no io, no print of its own); anything written is dropped.
    fd_write: (_fd: number, iov: number, iovcnt: number, pnum: number) => {
      const h = i32();
      let n = 0;
      for (let k = 0; k < iovcnt; k++) n += h[(iov >> 2) + 2 * k + 1]!;
      h[pnum >> 2] = n;
      return 0;
    },
    fd_read: () => EBADF,
    fd_close: () => EBADF,
    fd_seek: () => EBADF,
    environ_sizes_get: (count: number, size: number) => {
      const h = i32();
      h[count >> 2] = 0;
      h[size >> 2] = 0;
      return 0;
    },
    environ_get: () => 0,
  };
  const instance = new WebAssembly.Instance(luaModule(), { env, wasi_snapshot_preview1: wasi });
  x = instance.exports as unknown as LuaExports;
  x.emscripten_stack_init();
  x.__wasm_call_ctors();
  return x;
}

/** Emscripten's growth policy: 20% more (less when that fails), at most 96 MiB over the request. */
function growHeap(memory: WebAssembly.Memory, requested: number, maxBytes: number): number {
  const old = memory.buffer.byteLength;
  if (requested > maxBytes) return 0;
  for (let cutDown = 1; cutDown <= 4; cutDown *= 2) {
    let size = old * (1 + 0.2 / cutDown);
    size = Math.min(size, requested + 96 * 1024 * 1024);
    size = Math.min(maxBytes, Math.ceil(Math.max(requested, size) / 65536) * 65536);
    try {
      memory.grow((size - memory.buffer.byteLength + 65535) >>> 16);
      return 1;
    } catch {
      // try a smaller step
    }
  }
  return 0;
}

function seconds(time: bigint): number {
  return time < -(2n ** 53n) || time > 2n ** 53n ? NaN : Number(time);
}

const isLeap = (y: number) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
const CUMULATIVE_LEAP = [0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335];
const CUMULATIVE = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
const yearDay = (d: Date) => ((isLeap(d.getFullYear()) ? CUMULATIVE_LEAP : CUMULATIVE)[d.getMonth()]! + d.getDate() - 1) | 0;

/** struct tm, in words: sec min hour mday mon year wday yday isdst gmtoff zone. */
function writeTm(h: Int32Array, tm: number, d: Date, utc: boolean): void {
  const w = tm >> 2;
  if (utc) {
    h[w] = d.getUTCSeconds();
    h[w + 1] = d.getUTCMinutes();
    h[w + 2] = d.getUTCHours();
    h[w + 3] = d.getUTCDate();
    h[w + 4] = d.getUTCMonth();
    h[w + 5] = d.getUTCFullYear() - 1900;
    h[w + 6] = d.getUTCDay();
    h[w + 7] = ((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1, 0, 0, 0, 0)) / 864e5) | 0;
    return;
  }
  h[w] = d.getSeconds();
  h[w + 1] = d.getMinutes();
  h[w + 2] = d.getHours();
  h[w + 3] = d.getDate();
  h[w + 4] = d.getMonth();
  h[w + 5] = d.getFullYear() - 1900;
  h[w + 6] = d.getDay();
  h[w + 7] = yearDay(d);
  h[w + 9] = -(60 * d.getTimezoneOffset());
  const summer = new Date(d.getFullYear(), 6, 1).getTimezoneOffset();
  const winter = new Date(d.getFullYear(), 0, 1).getTimezoneOffset();
  h[w + 8] = Number(summer !== winter && d.getTimezoneOffset() === Math.min(winter, summer));
}

/** mktime: normalises the struct tm in place and returns its time in seconds (NaN: out of range). */
function mktime(h: Int32Array, tm: number): number {
  const w = tm >> 2;
  const d = new Date(h[w + 5]! + 1900, h[w + 4]!, h[w + 3]!, h[w + 2]!, h[w + 1]!, h[w]!, 0);
  const dst = h[w + 8]!;
  const guessed = d.getTimezoneOffset();
  const summer = new Date(d.getFullYear(), 6, 1).getTimezoneOffset();
  const winter = new Date(d.getFullYear(), 0, 1).getTimezoneOffset();
  const dstOffset = Math.min(winter, summer);
  if (dst < 0) {
    h[w + 8] = Number(summer !== winter && dstOffset === guessed);
  } else if (dst > 0 !== (dstOffset === guessed)) {
    const trueOffset = dst > 0 ? dstOffset : Math.max(winter, summer);
    d.setTime(d.getTime() + (trueOffset - guessed) * 60000);
  }
  h[w + 6] = d.getDay();
  h[w + 7] = yearDay(d);
  h[w] = d.getSeconds();
  h[w + 1] = d.getMinutes();
  h[w + 2] = d.getHours();
  h[w + 3] = d.getDate();
  h[w + 4] = d.getMonth();
  h[w + 5] = d.getFullYear() - 1900;
  const t = d.getTime();
  return Number.isNaN(t) ? NaN : Math.floor(t / 1000);
}

interface Tm {
  sec: number;
  min: number;
  hour: number;
  mday: number;
  mon: number;
  year: number;
  wday: number;
  yday: number;
  gmtoff: number;
  zone: string;
}

function readTm(h: Int32Array, tm: number, cString: (p: number) => string): Tm {
  const w = tm >> 2;
  const zone = h[w + 10]!;
  return {
    sec: h[w]!,
    min: h[w + 1]!,
    hour: h[w + 2]!,
    mday: h[w + 3]!,
    mon: h[w + 4]!,
    year: h[w + 5]!,
    wday: h[w + 6]!,
    yday: h[w + 7]!,
    gmtoff: h[w + 9]!,
    zone: zone ? cString(zone) : '',
  };
}

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const MONTH_DAYS_LEAP = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const EXPANSIONS: Record<string, string> = {
  '%c': '%a %b %d %H:%M:%S %Y',
  '%D': '%m/%d/%y',
  '%F': '%Y-%m-%d',
  '%h': '%b',
  '%r': '%I:%M:%S %p',
  '%R': '%H:%M',
  '%T': '%H:%M:%S',
  '%x': '%m/%d/%y',
  '%X': '%H:%M:%S',
  '%Ec': '%c',
  '%EC': '%C',
  '%Ex': '%m/%d/%y',
  '%EX': '%H:%M:%S',
  '%Ey': '%y',
  '%EY': '%Y',
  '%Od': '%d',
  '%Oe': '%e',
  '%OH': '%H',
  '%OI': '%I',
  '%Om': '%m',
  '%OM': '%M',
  '%OS': '%S',
  '%Ou': '%u',
  '%OU': '%U',
  '%OV': '%V',
  '%Ow': '%w',
  '%OW': '%W',
  '%Oy': '%y',
};
const pad = (v: number | string, width: number, fill = '0') => String(v).padStart(width, fill);

/** The ISO 8601 week-based year of a date. */
function isoYear(t: Tm): number {
  const firstWeekStart = (d: Date) => {
    const y = d.getFullYear();
    switch (d.getDay()) {
      case 0:
        return new Date(y - 1, 11, 29);
      case 1:
        return d;
      case 2:
        return new Date(y, 0, 3);
      case 3:
        return new Date(y, 0, 2);
      case 4:
        return new Date(y, 0, 1);
      case 5:
        return new Date(y - 1, 11, 31);
      default:
        return new Date(y - 1, 11, 30);
    }
  };
  const cmp = (a: Date, b: Date) =>
    Math.sign(a.getFullYear() - b.getFullYear()) || Math.sign(a.getMonth() - b.getMonth()) || Math.sign(a.getDate() - b.getDate());
  const date = new Date(t.year + 1900, 0, 1);
  date.setDate(date.getDate() + t.yday);
  const y = date.getFullYear();
  const thisStart = firstWeekStart(new Date(y, 0, 4));
  const nextStart = firstWeekStart(new Date(y + 1, 0, 4));
  if (cmp(thisStart, date) <= 0) return cmp(nextStart, date) <= 0 ? y + 1 : y;
  return y - 1;
}

const CONVERSIONS: Record<string, (t: Tm) => string | number> = {
  '%a': (t) => DAYS[t.wday]!.slice(0, 3),
  '%A': (t) => DAYS[t.wday]!,
  '%b': (t) => MONTHS[t.mon]!.slice(0, 3),
  '%B': (t) => MONTHS[t.mon]!,
  '%C': (t) => pad(((t.year + 1900) / 100) | 0, 2),
  '%d': (t) => pad(t.mday, 2),
  '%e': (t) => pad(t.mday, 2, ' '),
  '%g': (t) => String(isoYear(t)).slice(2),
  '%G': (t) => isoYear(t),
  '%H': (t) => pad(t.hour, 2),
  '%I': (t) => pad(t.hour === 0 ? 12 : t.hour > 12 ? t.hour - 12 : t.hour, 2),
  '%j': (t) => {
    let days = 0;
    for (let m = 0; m < t.mon; m++) days += (isLeap(t.year + 1900) ? MONTH_DAYS_LEAP : MONTH_DAYS)[m]!;
    return pad(t.mday + days, 3);
  },
  '%m': (t) => pad(t.mon + 1, 2),
  '%M': (t) => pad(t.min, 2),
  '%n': () => '\n',
  '%p': (t) => (t.hour >= 0 && t.hour < 12 ? 'AM' : 'PM'),
  '%S': (t) => pad(t.sec, 2),
  '%t': () => '\t',
  '%u': (t) => t.wday || 7,
  '%U': (t) => pad(Math.floor((t.yday + 7 - t.wday) / 7), 2),
  '%V': (t) => {
    let week = Math.floor((t.yday + 7 - ((t.wday + 6) % 7)) / 7);
    if ((t.wday + 371 - t.yday - 2) % 7 <= 2) week++;
    if (!week) {
      week = 52;
      const dec31 = (t.wday + 7 - t.yday - 1) % 7;
      if (dec31 === 4 || (dec31 === 5 && isLeap((t.year % 400) - 1))) week++;
    } else if (week === 53) {
      const jan1 = (t.wday + 371 - t.yday) % 7;
      if (jan1 !== 4 && (jan1 !== 3 || !isLeap(t.year))) week = 1;
    }
    return pad(week, 2);
  },
  '%w': (t) => t.wday,
  '%W': (t) => pad(Math.floor((t.yday + 7 - ((t.wday + 6) % 7)) / 7), 2),
  '%y': (t) => String(t.year + 1900).slice(2),
  '%Y': (t) => t.year + 1900,
  '%z': (t) => {
    const minutes = Math.abs(t.gmtoff) / 60;
    return (t.gmtoff >= 0 ? '+' : '-') + String(`0000${(minutes / 60) * 100 + (minutes % 60)}`).slice(-4);
  },
  '%Z': (t) => t.zone,
};

/** C's strftime, as Emscripten's glue implements it (what `os.date` formats with). */
function strftime(format: string, t: Tm): string {
  let s = format;
  for (const [k, v] of Object.entries(EXPANSIONS)) s = s.replaceAll(k, () => v);
  s = s.replaceAll('%%', '\0\0');
  for (const [k, f] of Object.entries(CONVERSIONS)) if (s.includes(k)) s = s.replaceAll(k, () => String(f(t)));
  return s.replaceAll('\0\0', '%');
}
