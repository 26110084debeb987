import { describe, expect, it } from 'vitest';
import { MAX_DEPTH } from '../../src/core/limits.js';
import type { EventValue } from '../../src/index.js';
import { LuaPool, SLOT } from '../../src/spellcraft/lua-vm.js';
import { castAll } from '../helpers.js';

/** A state of its own, with `value` pushed on its top: what bridge.wat's describe makes of it, and what read returns. */
function readBack(value: EventValue): { described: number; read: EventValue } {
  const state = new LuaPool().openState(16 * 1024 * 1024);
  const { vm, L } = state;
  vm.push(L, value, SLOT.arrayMt);
  const top = vm.x.lua_gettop(L);
  const described = vm.h.describe(L, top, MAX_DEPTH);
  const read = vm.read(L, top, SLOT.arrayMt);
  state.close();
  return { described, read };
}

describe('reading a record from its memory (bridge.wat describe)', () => {
  it('reads records of short strings, numbers, booleans and records in one call', () => {
    for (const v of [
      { id: 1, value: 2.5, kind: 'k1', hot: true, cold: false },
      { neg: -7, zero: 0, negzero: -0.5, max: 9007199254740991, min: -9007199254740991, tiny: 1e-300 },
      { nested: { a: { b: { c: 'd' } } }, empty: {}, nul: 'a\u0000b', uni: 'żółw 🐢' },
      { '2': 'b', '1': 'a', x: 'JS puts 1 and 2 first, as ever' },
      {},
    ] as EventValue[]) {
      expect(readBack(v)).toEqual({ described: 0, read: v });
    }
  });

  it('leaves to the API read what it does not take, which reads it as ever', () => {
    const long = 'x'.repeat(41); // longer than Lua's short strings (40 bytes)
    for (const v of [[1, 2], [], { list: [] }, { n: null }, { long }, { [long]: 1 }, { big: 2 ** 60 }, 'a string', 7] as EventValue[]) {
      expect(readBack(v)).toEqual({ described: 1, read: v });
    }
    // Nested deeper than an event may be: the API read refuses it, naming where.
    let deep: EventValue = {};
    for (let i = 0; i < MAX_DEPTH - 1; i++) deep = { d: deep };
    const state = new LuaPool().openState(16 * 1024 * 1024);
    const { vm, L } = state;
    vm.push(L, deep, SLOT.arrayMt);
    vm.x.lua_createtable(L, 0, 1);
    vm.x.lua_rotate(L, -2, 1);
    vm.pushString(L, 'd');
    vm.x.lua_rotate(L, -2, 1);
    vm.x.lua_rawset(L, -3);
    expect(vm.h.describe(L, vm.x.lua_gettop(L), MAX_DEPTH)).toBe(1);
    expect(() => vm.read(L, vm.x.lua_gettop(L), SLOT.arrayMt)).toThrow(/nested deeper than/);
    state.close();
  });

  it('gives the fields in the order Lua iterates them, after deletions and growth; __proto__ stays data', async () => {
    const r = await castAll(
      `local s = {}
       function s.cast(e)
         local t = {}
         for i = 1, e.n do t["k" .. i] = i end
         for i = 1, e.n, 3 do t["k" .. i] = nil end
         t.after = "x"
         t.__proto__ = { polluted = true }
         local ks = {}
         for k in pairs(t) do ks[#ks + 1] = k end
         return { t = t, order = table.concat(ks, ","), deep = { s = "é", f = 0.25 } }
       end
       return s`,
      [{ n: 5 }, { n: 40 }, { n: 300 }],
    );
    expect(r.dead).toEqual([]);
    expect(r.out).toHaveLength(3);
    for (const [j, o] of (r.out as Record<string, EventValue>[]).entries()) {
      const t = o['t'] as Record<string, EventValue>;
      expect(Object.keys(t).join(',')).toBe(o['order']);
      expect(Object.getPrototypeOf(t)).toBe(Object.prototype);
      expect(Object.getOwnPropertyDescriptor(t, '__proto__')?.value).toEqual({ polluted: true });
      const n = [5, 40, 300][j]!;
      for (let i = 1; i <= n; i++) expect(t[`k${i}`]).toBe(i % 3 === 1 ? undefined : i);
      expect(o['deep']).toEqual({ s: 'é', f: 0.25 });
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
