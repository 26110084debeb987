/**
 * Memory isolation: each spell's cap is reserved in a Lua engine with room, so caps add up, and
 * what a spell holds (events it keeps, host results) stays under its cap between calls too.
 */
import { describe, it, expect } from 'vitest';
import { summonSource, type SpellError, type EventValue } from '../../src/index.js';
import { SpellCaster, type SpellDefinition } from '../../src/spellcraft/caster.js';
import { EngineError, LuaPool, MAX_MEMORY_CAP, reservationFor } from '../../src/spellcraft/lua-vm.js';

const MiB = 1024 * 1024;
const casting = (body: string) => `local s = {} function s.cast(e) ${body} end return s`;
const sink = () => {};

/**
 * A spell that holds `mib` MiB from init on, in strings of 1 MiB (a string is built in a buffer
 * and then copied: a single long one needs twice its size while it is made).
 */
const hoarder = (mib: number) =>
  `local s = {} function s.init() local kb = string.rep("h", 1024) HOARD = {} for i = 1, ${mib} do HOARD[i] = string.rep(kb, 1024) end end function s.cast(e) return { n = #HOARD } end return s`;

const def = (source: string, memoryLimit: number): SpellDefinition => ({
  name: 'probe',
  file: 'probe.lua',
  source,
  modules: [],
  runes: {},
  emitLimit: 100_000,
  instructionBudget: 1e9,
  memoryLimit,
  logger: () => {},
});

describe('engines', () => {
  it('a state reserves its cap in an engine with room, and a new engine is made when none has', () => {
    const pool = new LuaPool(64 * MiB);
    const capacity = pool.primary.capacity;
    const cap = 10 * MiB;
    const perEngine = Math.floor(capacity / reservationFor(cap));
    expect(perEngine).toBeGreaterThanOrEqual(1);
    const states = Array.from({ length: perEngine * 2 + 1 }, () => pool.openState(cap));
    expect(pool.engines.length).toBe(3);
    for (const e of pool.engines) expect(e.reserved).toBeLessThanOrEqual(e.capacity);
    for (const s of states) s.close();
    // Emptied engines are let go, but for the first and one spare.
    expect(pool.engines.length).toBe(2);
    expect(pool.engines.every((e) => e.reserved === 0 && e.states === 0)).toBe(true);
  });

  it('refuses a cap larger than one engine holds, with a coded error naming the limit', async () => {
    const pool = new LuaPool(64 * MiB);
    expect(() => pool.openState(pool.maxCap + 1)).toThrow(EngineError);
    expect(() => new SpellCaster(pool, def(casting('return e'), pool.maxCap + 1))).toThrow(/more than one Lua engine can hold/);
    await expect(summonSource(casting('return e'), { memoryLimit: MAX_MEMORY_CAP + MiB })).rejects.toMatchObject({
      code: 'SPELL_MEMORY_CAP_TOO_LARGE',
      luaMessage: expect.stringContaining('at most 960 MiB'),
    });
  });

  it('spells that hold all of their caps do not fail one another (small engines)', () => {
    const pool = new LuaPool(64 * MiB);
    const hoarders = Array.from({ length: 8 }, () => new SpellCaster(pool, def(hoarder(7), 10 * MiB)));
    for (const h of hoarders) expect(h.init()).toBeUndefined();
    const calm = new SpellCaster(pool, def(casting('local t = string.rep("c", 4 << 20) return { n = #t }'), 10 * MiB));
    expect(calm.init()).toBeUndefined();
    for (let i = 0; i < 3; i++) {
      for (const h of hoarders) expect(h.cast({}, sink)).toBeUndefined();
      expect(calm.cast({}, sink)).toBeUndefined();
    }
    // Eight 7 MiB hoards would not fit in one 64 MiB engine.
    expect(pool.engines.length).toBeGreaterThan(1);
    for (const c of [...hoarders, calm]) c.close();
  });
});

describe('what a spell holds between calls stays under its cap', () => {
  it('events a spell keeps count against its cap: once over, casts fail and memory stops growing', async () => {
    const spell = await summonSource(
      `local s = {} local kept, n = {}, 0
       function s.init() for i = 1, 200 do kept[i] = false end end
       function s.cast(e) n = n + 1 kept[n] = e end
       return s`,
      { memoryLimit: MiB },
    );
    const c = spell.open();
    c.init();
    const event = { s: 'x'.repeat(64 * 1024) };
    const codes: string[] = [];
    for (let i = 0; i < 100; i++) {
      const err = c.cast(event, sink);
      if (err) codes.push(err.code);
    }
    expect(codes.length).toBeGreaterThan(50);
    expect(new Set(codes)).toEqual(new Set(['SPELL_MEMORY_EXCEEDED']));
    expect(c.memoryUsed()).toBeLessThan(MiB + 2 * 64 * 1024);
    c.close();
  });

  it('host results a spell keeps count against its cap', async () => {
    const result = 'y'.repeat(256 * 1024);
    const spell = await summonSource(casting(`local kept = {} for i = 1, 20 do kept[i] = false end for i = 1, 20 do kept[i] = big.get() end`), {
      memoryLimit: MiB,
      libraries: { big: { get: () => result } },
    });
    const c = spell.open();
    c.init();
    const err = c.cast({}, sink);
    expect(err?.code).toBe('SPELL_MEMORY_EXCEEDED');
    expect(c.memoryUsed()).toBeLessThan(MiB + 300 * 1024);
    c.close();
  });

  it('host results a spell drops are collected, so results larger than what is free still arrive', async () => {
    const result = 'y'.repeat(256 * 1024);
    const r: EventValue[] = [];
    const spell = await summonSource(casting(`local n = 0 for i = 1, 20 do n = n + #big.get() end return { n = n }`), {
      memoryLimit: MiB,
      libraries: { big: { get: () => result } },
    });
    const c = spell.open();
    c.init();
    expect(c.cast({}, (e) => r.push(e))).toBeUndefined();
    expect(r).toEqual([{ n: 20 * 256 * 1024 }]);
    c.close();
  });

  it('a batch that does not fit under the cap at once is cast event by event', async () => {
    const spell = await summonSource(casting('return { n = #e.s }'), { memoryLimit: MiB });
    const c = spell.open();
    c.init();
    const out: EventValue[] = [];
    const events = Array.from({ length: 8 }, (_, i) => ({ s: String(i).repeat(256 * 1024) }));
    expect(c.castBatch(events, (e) => out.push(e))).toEqual([]);
    expect(out).toEqual(events.map(() => ({ n: 256 * 1024 })));
    c.close();
  });
});

describe('caps add up in the process (real engines, about 2 GiB of memory)', () => {
  it('three spells holding 680 MiB each and a fourth casting 16 MiB per event all succeed', { timeout: 120_000 }, async () => {
    // In one 2 GiB engine (before pools) the third hoard did not fit, and the fourth spell failed.
    const hoard = hoarder(680);
    const casters: SpellCaster[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const c = (await summonSource(hoard, { memoryLimit: 700 * MiB, name: `hoarder${i}` })).open();
        casters.push(c);
        expect(c.init()).toBeUndefined();
      }
      const calm = (await summonSource(casting('local t = string.rep("c", 16 << 20) return { n = #t }'), { name: 'calm' })).open();
      casters.push(calm);
      expect(calm.init()).toBeUndefined();
      const failures: SpellError[] = [];
      for (let i = 0; i < 5; i++)
        for (const c of casters) {
          const err = c.cast({}, sink);
          if (err) failures.push(err);
        }
      expect(failures.map((f) => `${f.spell}: ${f.code}`)).toEqual([]);
    } finally {
      for (const c of casters) c.close();
    }
  });
});
