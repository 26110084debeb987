import { describe, it, expect } from 'vitest';
import { existsSync } from 'node:fs';
import { castAll, tempDir } from '../helpers.js';
import { summonSource } from '../../src/index.js';

const probe = (expr: string) => `local s = {} function s.cast(e) return { v = ${expr} } end return s`;

describe('the sandbox', () => {
  it.each([
    ['io', 'type(io)'],
    ['os.exit', 'type(os.exit)'],
    ['os.execute', 'type(os.execute)'],
    ['os.getenv', 'type(os.getenv)'],
    ['os.remove', 'type(os.remove)'],
    ['debug', 'type(debug)'],
    ['package', 'type(package)'],
    ['dofile', 'type(dofile)'],
    ['loadfile', 'type(loadfile)'],
    ['string.dump', 'type(string.dump)'],
    ['string.dump through a string value', 'type(("").dump)'],
    ['collectgarbage', 'type(collectgarbage)'],
  ])('has no %s', async (_what, expr) => {
    const r = await castAll(probe(expr), [{}]);
    expect(r.out).toEqual([{ v: 'nil' }]);
  });

  it('offers the safe parts of the standard library', async () => {
    const r = await castAll(
      probe('{ math.floor(2.5), string.upper("a"), table.concat({ "a", "b" }, ","), utf8.char(322), type(os.time()), type(os.clock()), select("#", 1, 2) }'),
      [{}],
    );
    expect(r.out).toEqual([{ v: [2, 'A', 'a,b', 'ł', 'number', 'number', 2] }]);
  });

  it('the library functions guarded against unbounded work give the results and errors of plain Lua', async () => {
    const r = await castAll(
      probe(`{
        string.rep("ab", 3, ","), ("x"):rep(2), string.rep("", 5), string.rep("", 3, "-"), string.rep("", 3, ""),
        table.concat({ 1, "a", 2.5 }, "-"), table.concat({ "x", "y", "z" }, "", 2), table.concat({}, ","),
        (function() local t = { 1, 2 } table.insert(t, 1, 0) table.insert(t, 9) return t end)(),
        (function() local t = { 1, 2, 3 } return { table.remove(t, 1), table.remove(t), t } end)(),
        table.move({ 1, 2, 3 }, 1, 3, 2),
        (function() local t = { 3, 1, 2 } table.sort(t, function(a, b) return a > b end) return t end)(),
        (function() local t = setmetatable({ 3, 1, 2, 9 }, { __len = function() return 3 end }) table.sort(t) return { t[1], t[2], t[3], t[4] } end)(),
        select(2, pcall(table.insert, { 1 }, 5, 0)), select(2, pcall(table.concat, { {} })), select(2, pcall(string.rep)),
        select(2, pcall(table.insert, {})),
      }`),
      [{}],
    );
    expect(r.dead).toEqual([]);
    expect(r.out).toEqual([
      {
        v: [
          'ab,ab,ab',
          'xx',
          '',
          '--',
          '',
          '1-a-2.5',
          'yz',
          '',
          [0, 1, 2, 9],
          [1, 3, [2]],
          [1, 1, 2, 3],
          [3, 2, 1],
          [1, 2, 3, 9],
          "bad argument #2 to 'insert' (position out of bounds)",
          "invalid value (table) at index 1 in table for 'concat'",
          "bad argument #1 to 'rep' (string expected, got no value)",
          "wrong number of arguments to 'insert'",
        ],
      },
    ]);
  });

  it('cannot reach the string metatable', async () => {
    const r = await castAll(probe('getmetatable("")'), [{}]);
    expect(r.out).toEqual([{ v: 'string' }]);
  });

  it('cannot load bytecode', async () => {
    const r = await castAll(probe('select(2, load("\\27Lua", "x", "b"))'), [{}]);
    expect(String((r.out[0] as { v: string }).v)).toMatch(/text chunks only/);
    const r2 = await castAll(probe('select(2, load("\\27LuaT\\0"))'), [{}]);
    expect(String((r2.out[0] as { v: string }).v)).toMatch(/binary chunk/);
  });

  it('loads text chunks into its own sandbox', async () => {
    const r = await castAll(probe('load("return type(io)")()'), [{}]);
    expect(r.out).toEqual([{ v: 'nil' }]);
  });

  it('cannot require modules other than its neighbours', async () => {
    const r = await castAll(probe('require("os")'), [{}]);
    expect(r.dead[0]!.error.luaMessage).toMatch(/module 'os' not found/);
  });

  it('cannot set __gc finalizers (they would run outside the budget)', async () => {
    const r = await castAll(probe('setmetatable({}, { __gc = function() end })'), [{}]);
    expect(r.dead[0]!.error.luaMessage).toMatch(/__gc/);
  });

  it('cannot change the process exit code, write files, or pollute JS prototypes', async () => {
    const dir = tempDir();
    const before = process.exitCode;
    const r = await castAll(
      `local s = {} function s.cast(e)
         pcall(function() os.exit(3) end)
         pcall(function() io.open("${dir}/pwned", "w"):write("x") end)
         e.__proto__ = { polluted = "yes" }
         e.constructor = "x"
         return e
       end return s`,
      [{}],
    );
    expect(process.exitCode).toBe(before);
    expect(existsSync(`${dir}/pwned`)).toBe(false);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.getPrototypeOf(r.out[0])).toBe(Object.prototype);
    // The key is data, kept as an own field, as JSON.parse would make it.
    expect(Object.keys(r.out[0] as object).sort()).toEqual(['__proto__', 'constructor']);
    expect((Object.getOwnPropertyDescriptor(r.out[0], '__proto__')!.value as { polluted: string }).polluted).toBe('yes');
  });

  it('round-trips a __proto__ key from JSON input as data', async () => {
    const ev = JSON.parse('{"__proto__": {"x": 1}, "a": 2}') as object;
    const r = await castAll('local s = {} function s.cast(e) return e end return s', [ev as never]);
    expect(JSON.parse(JSON.stringify(r.out[0]))).toEqual(JSON.parse(JSON.stringify(ev)));
    expect(Object.keys(r.out[0] as object).sort()).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(r.out[0])).toBe(Object.prototype);
  });

  it("one spell cannot see or change another spell's globals", async () => {
    const a = await summonSource('x_global = 1 string.upper = nil return { cast = function(e) return { v = x_global } end }');
    const b = await summonSource('return { cast = function(e) return { v = tostring(x_global), up = string.upper("a") } end }');
    const ca = a.open();
    const cb = b.open();
    const out: unknown[] = [];
    ca.cast({}, (e) => out.push(e));
    cb.cast({}, (e) => out.push(e));
    expect(out).toEqual([{ v: 1 }, { v: 'nil', up: 'A' }]);
    ca.close();
    cb.close();
  });
});

describe('lifecycle', () => {
  it('closes Lua states when subscriptions end: 1,000 summons and casts do not grow WASM memory', async () => {
    const src = 'local s = {} local big = {} for i = 1, 1000 do big[i] = i end function s.cast(e) return { n = #big } end return s';
    const run = async () => {
      for (let i = 0; i < 500; i++) {
        const spell = await summonSource(src);
        const c = spell.open();
        c.init();
        c.cast({}, () => {});
        c.close();
      }
    };
    await run();
    const { LuaVM } = await import('../../src/spellcraft/lua-vm.js');
    const vm = await LuaVM.shared();
    const after1 = vm.x.memory.buffer.byteLength;
    await run();
    expect(vm.x.memory.buffer.byteLength).toBe(after1);
  });

  it('a caster uses well under 1 MB of Lua heap', async () => {
    const spell = await summonSource('local s = {} function s.cast(e) return e end return s');
    const c = spell.open();
    c.init();
    expect(c.memoryUsed()).toBeLessThan(1 << 20);
    c.close();
  });
});

describe('shared metatables', () => {
  it('the array metatable is protected: no finalizer can be slipped into every array', async () => {
    const r = await castAll(
      'local s = {} function s.cast(e) local mt = getmetatable(sanctum.array()) return { mt = mt, set = pcall(function() mt.__gc = function() while true do end end end), swap = pcall(setmetatable, e.list, {}) } end return s',
      [{ list: [1] }],
    );
    expect(r.out).toEqual([{ mt: 'sanctum.array', set: false, swap: false }]);
  });
});
