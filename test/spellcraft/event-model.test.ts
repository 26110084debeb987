import { describe, it, expect } from 'vitest';
import { castAll } from '../helpers.js';
import type { EventValue } from '../../src/index.js';

const identity = 'local s = {} function s.cast(e) return e end return s';
const wrapped = 'local s = {} function s.cast(e) return { v = e } end return s';

describe('the event model round trip', () => {
  it('keeps JSON values exactly', async () => {
    const events: EventValue[] = [
      { int: 42, neg: -7, zero: 0, float: 1.5, tiny: 1e-300, big: 9007199254740991, exp: 1e300 },
      { s: 'plain', uni: 'żółw 🐢 ∑', nul: 'a\u0000b', empty: '' },
      { t: true, f: false, n: null },
      { arr: [1, 'two', null, [3, [4]], { five: 5 }], empty_arr: [], empty_obj: {}, nested: { a: { b: { c: [] } } } },
      { numeric_keys: { '1': 'a', '2': 'b' } },
    ];
    const r = await castAll(identity, events);
    expect(r.dead).toEqual([]);
    expect(r.out).toEqual(events);
  });

  it('hands integers to Lua as integers and floats as floats', async () => {
    const r = await castAll(
      'local s = {} function s.cast(e) return { a = math.type(e.a), b = math.type(e.b), c = math.type(e.c), d = math.type(e.d), sa = tostring(e.a) } end return s',
      [{ a: 3, b: 3.5, c: 1e20, d: -0 }],
    );
    expect(r.out).toEqual([{ a: 'integer', b: 'float', c: 'float', d: 'float', sa: '3' }]);
  });

  it('null is sanctum.null in Lua, and survives', async () => {
    const r = await castAll('local s = {} function s.cast(e) return { isnull = e.x == sanctum.null, x = e.x, made = sanctum.null } end return s', [
      { x: null },
    ]);
    expect(r.out).toEqual([{ isnull: true, x: null, made: null }]);
  });

  it('arrays stay arrays, even when a spell empties them; {} is an object unless marked', async () => {
    const r = await castAll(
      `local s = {} function s.cast(e)
         e.list[1] = nil
         return { list = e.list, plain = {}, marked = sanctum.array({}), is = sanctum.is_array(e.list), seq = { 10, 20 } }
       end return s`,
      [{ list: [1] }],
    );
    expect(r.out).toEqual([{ list: [], plain: {}, marked: [], is: true, seq: [10, 20] }]);
  });

  it('tables with holes or mixed keys become objects, losing nothing', async () => {
    const r = await castAll('local s = {} function s.cast(e) return { holes = { [1] = "a", [3] = "c" }, mixed = { "x", k = "v" } } end return s', [{}]);
    expect(r.out).toEqual([{ holes: { '1': 'a', '3': 'c' }, mixed: { '1': 'x', k: 'v' } }]);
  });

  it('2.0 comes back as 2 (JSON has one number type); math.type tells them apart inside Lua', async () => {
    const r = await castAll('local s = {} function s.cast(e) return { v = 2.0, t = math.type(2.0) } end return s', [{}]);
    expect(r.out).toEqual([{ v: 2, t: 'float' }]);
  });

  it('accepts bigint input within 64 bits', async () => {
    const r = await castAll('local s = {} function s.cast(e) return { t = math.type(e.v), s = tostring(e.v) } end return s', [{ v: 2n ** 62n } as never]);
    expect(r.out).toEqual([{ t: 'integer', s: String(2n ** 62n) }]);
  });

  it.each([
    ['a Lua integer beyond 2^53', 'return { v = math.maxinteger }', /cannot be represented exactly/],
    ['NaN', 'return { v = 0/0 }', /NaN/],
    ['infinity', 'return { v = 1/0 }', /inf/],
    ['a function', 'return { f = print }', /function is not an event value/],
    ['a float key', 'return { [1.5] = 1 }', /key of type float/],
    ['bytes that are not UTF-8', 'return { s = "\\255" }', /not valid UTF-8/],
    ['a table that contains itself', 'local t = {} t.t = t return t', /nested deeper/],
    ['a marked array with a string key', 'local a = sanctum.array({1}) a.x = 1 return { a = a }', /marked as an array/],
  ])('refuses to emit %s, naming the field (SPELL_BAD_OUTPUT)', async (_what, body, message) => {
    const r = await castAll(`local s = {} function s.cast(e) ${body} end return s`, [{ id: 1 }]);
    expect(r.out).toEqual([]);
    expect(r.dead).toHaveLength(1);
    expect(r.dead[0]!.error.code).toBe('SPELL_BAD_OUTPUT');
    expect(r.dead[0]!.error.luaMessage).toMatch(message);
    expect(r.dead[0]!.event).toEqual({ id: 1 });
  });

  it('names the path of a bad field', async () => {
    const r = await castAll('local s = {} function s.cast(e) return { a = { b = { 1, 2, 0/0 } } } end return s', [{}]);
    expect(r.dead[0]!.error.luaMessage).toContain('(at a.b[3])'); // Lua's own index: what the spell author wrote
  });

  it.each([
    ['NaN', { v: NaN }],
    ['Infinity', { v: Infinity }],
    ['a lone surrogate', { s: 'a\ud800b' }],
    ['a bigint beyond 64 bits', { v: 2n ** 70n }],
    ['a function', { f: () => 1 }],
    // Built-ins whose data is not in their own fields: they would cross as {} and lose it.
    ['a Date', { d: new Date(0) }],
    ['a Map', { m: new Map([['a', 1]]) }],
    ['a Set', { s: new Set([1]) }],
    ['a Buffer', { b: Buffer.from('hi') }],
  ])('refuses input holding %s (SPELL_BAD_INPUT), and goes on', async (_what, bad) => {
    const r = await castAll(wrapped, [bad as never, { ok: 1 }]);
    expect(r.dead.map((d) => d.error.code)).toEqual(['SPELL_BAD_INPUT']);
    expect(r.out).toEqual([{ v: { ok: 1 } }]);
  });

  it('says what a refused built-in is, and takes an instance of a class by its own fields (as JSON.stringify does)', async () => {
    class Order {
      constructor(
        readonly id: number,
        readonly at: string,
      ) {}
      total(): number {
        return 1;
      }
    }
    const r = await castAll(wrapped, [{ d: new Date(0) } as never, new Order(7, 'x') as never, Object.assign(Object.create(null), { n: 1 })]);
    expect(r.dead[0]!.error.message).toMatch(/a Date is not an event value \(give it as JSON: a Date as its ISO string or its ms/);
    expect(r.out).toEqual([{ v: { id: 7, at: 'x' } }, { v: { n: 1 } }]);
  });

  it('does not change the input event object', async () => {
    const ev = { v: 1, list: [1, 2] };
    const snapshot = structuredClone(ev);
    await castAll('local s = {} function s.cast(e) e.v = 99 table.insert(e.list, 3) return e end return s', [ev]);
    expect(ev).toEqual(snapshot);
  });

  it('strings of every length come back exactly, ASCII or not, and bytes that are not UTF-8 are refused at any length', async () => {
    // The bridge makes a string one way when short, another when longer: each length and kind, in a
    // record (read in one call) and as a scalar (read through Lua's API).
    const strings: string[] = [];
    for (let n = 0; n <= 80; n++) {
      const ascii = 'win:e0000000ea60:u'.repeat(5).slice(0, n);
      strings.push(ascii);
      if (n > 0) strings.push(`é${ascii.slice(1)}`, `${ascii.slice(0, n >> 1)}🐢${ascii.slice(n >> 1)}`, `${ascii.slice(1)}é`, `${ascii}\u0000x`);
    }
    const r = await castAll('local s = {} function s.cast(e, emit) emit(e) end return s', [...strings.map((s) => ({ s })), ...strings]);
    expect(r.dead).toEqual([]);
    expect(r.out).toEqual([...strings.map((s) => ({ s })), ...strings]);
    const bad = await castAll(
      'local s = {} function s.cast(n, emit) local a = string.rep("a", n) emit({ s = a .. "\\255" }) emit("\\255" .. a) end return s',
      [1, 11, 12, 20, 64, 65],
    );
    expect(bad.out).toEqual([]);
    expect(bad.dead.map((d) => d.error.luaMessage)).toEqual(new Array(6).fill(expect.stringMatching(/not valid UTF-8/)));
  });

  it('scalars are events too', async () => {
    const r = await castAll('local s = {} function s.cast(e, emit) emit(e) emit(#tostring(e)) end return s', ['hello', 12]);
    expect(r.out).toEqual(['hello', 5, 12, 2]);
  });
});
