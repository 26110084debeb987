/**
 * The protocol between the host and the prelude: the entry points stay at the SLOT positions,
 * and every call returns what RESULT (and REPORT, for last_error) names, at those positions, for
 * single and batch calls alike. Calls the prelude directly, as caster.ts does.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { LuaPool, REPORT, REPORT_COUNT, RESULT, RESULT_COUNT, SLOT, type LuaState } from '../../src/spellcraft/lua-vm.js';

const SPELL = `local s = {}
function s.cast(e, emit)
  if e.fail then error({ message = "failed", n = e.n }) end
  print("cast", e.n)
  if e.one then emit({ n = e.n }) else emit({ n = e.n }, "side") end
  if e.n ~= 2 then emit({ n = e.n, again = true }) end
end
return s`;

let state: LuaState | undefined;
afterEach(() => state?.close());

/** A state with SPELL loaded, the stack back at its slots. */
function open() {
  state = LuaPool.shared().openState(64 << 20);
  const { vm, L } = state;
  const x = vm.x;
  const base = x.lua_gettop(L);
  x.lua_pushvalue(L, SLOT.load);
  vm.pushString(L, SPELL);
  vm.pushString(L, '@spell.lua');
  x.lua_createtable(L, 0, 0); // modules
  x.lua_createtable(L, 0, 0); // libraries
  x.lua_pushnil(L); // checkpoint
  x.lua_pushnil(L); // fetch
  expect(x.lua_pcallk(L, 6, 2, SLOT.handler, 0, 0)).toBe(0);
  expect(x.lua_type(L, base + 1)).toBe(0); // nil: loaded
  x.lua_settop(L, base);
  return { vm, L, x, base, read: (i: number) => vm.read(L, i, SLOT.arrayMt) };
}

describe('the slot protocol', () => {
  it('the entry points are at their SLOT positions', () => {
    const { x, L } = open();
    const FUNCTION = 6,
      TABLE = 5;
    for (const [name, i] of Object.entries(SLOT)) expect([name, x.lua_type(L, i)]).toEqual([name, name === 'arrayMt' ? TABLE : FUNCTION]);
    expect(x.lua_gettop(L)).toBe(Object.keys(SLOT).length);
  });

  it('RESULT and REPORT name each position from 1 to their count once, so a call returns exactly that many', () => {
    const positions = (o: Readonly<Record<string, number>>) => Object.values(o).sort((a, b) => a - b);
    expect(positions(RESULT)).toEqual(Array.from({ length: RESULT_COUNT }, (_, i) => i + 1));
    expect(positions(REPORT)).toEqual(Array.from({ length: REPORT_COUNT }, (_, i) => i + 1));
  });

  it('cast_batch says when every cast emitted exactly one event (ones), on the default port (named false)', () => {
    const { vm, x, L, base, read } = open();
    x.lua_pushvalue(L, SLOT.castBatch);
    vm.push(
      L,
      [
        { n: 2, one: true },
        { n: 2, one: true },
      ],
      SLOT.arrayMt,
    );
    vm.h.pushint(L, 2);
    vm.h.pushint(L, 1);
    vm.h.pushint(L, 1000);
    expect(x.lua_pcallk(L, 4, RESULT_COUNT, SLOT.handler, 0, 0)).toBe(0);
    const at = (k: keyof typeof RESULT) => read(base + RESULT[k]);
    expect(at('count')).toBe(2);
    expect(at('events')).toEqual([{ n: 2 }, { n: 2 }]);
    expect(at('ones')).toBe(true);
    expect(at('named')).toBe(false);
    expect(at('logs')).toBe(2);
    expect(at('failed')).toBe(2);
    x.lua_settop(L, base);
  });

  it('cast returns what RESULT names, at its positions', () => {
    const { vm, x, L, base, read } = open();
    x.lua_pushvalue(L, SLOT.cast);
    vm.push(L, { n: 1 }, SLOT.arrayMt);
    expect(x.lua_pcallk(L, 1, RESULT_COUNT, SLOT.handler, 0, 0)).toBe(0);
    const at = (k: keyof typeof RESULT) => read(base + RESULT[k]);
    expect(at('count')).toBe(2);
    expect(at('events')).toEqual([{ n: 1 }, { n: 1, again: true }]);
    expect(at('ports')).toEqual([1, 0]);
    expect(at('logs')).toBe(1);
    expect(at('named')).toBe(true);
    x.lua_settop(L, base);
  });

  it('cast_batch returns the same layout, with the counts of each cast', () => {
    const { vm, x, L, base, read } = open();
    x.lua_pushvalue(L, SLOT.castBatch);
    vm.push(L, [{ n: 1 }, { n: 2 }, { n: 3 }], SLOT.arrayMt);
    vm.h.pushint(L, 3);
    vm.h.pushint(L, 1);
    vm.h.pushint(L, 1000); // the output bound: not reached
    expect(x.lua_pcallk(L, 4, RESULT_COUNT, SLOT.handler, 0, 0)).toBe(0);
    const at = (k: keyof typeof RESULT) => read(base + RESULT[k]);
    expect(at('count')).toBe(5);
    expect(at('events')).toEqual([{ n: 1 }, { n: 1, again: true }, { n: 2 }, { n: 3 }, { n: 3, again: true }]);
    expect(at('ports')).toEqual([1, 0, 1, 1, 0]);
    expect(at('logs')).toBe(3);
    expect(at('named')).toBe(true);
    expect(at('counts')).toEqual([2, 1, 2]);
    expect(at('ones')).toBe(false);
    expect(at('failed')).toBe(3); // the last event cast: all of them
    x.lua_settop(L, base);
  });

  it('cast_batch stops after the event that reached the output bound, and says which', () => {
    const { vm, x, L, base, read } = open();
    x.lua_pushvalue(L, SLOT.castBatch);
    vm.push(L, [{ n: 1 }, { n: 2 }, { n: 3 }], SLOT.arrayMt);
    vm.h.pushint(L, 3);
    vm.h.pushint(L, 1);
    vm.h.pushint(L, 3); // the bound: reached during the second event (1 + 2 outputs… 2 + 1 = 3)
    expect(x.lua_pcallk(L, 4, RESULT_COUNT, SLOT.handler, 0, 0)).toBe(0);
    const at = (k: keyof typeof RESULT) => read(base + RESULT[k]);
    expect(at('failed')).toBe(2);
    expect(at('count')).toBe(3);
    expect(at('counts')).toEqual([2, 1]);
    x.lua_settop(L, base);
  });

  it('batch_failure returns the same layout, with the failed cast and the outputs before it; last_error what REPORT names', () => {
    const { vm, x, L, base, read } = open();
    x.lua_pushvalue(L, SLOT.castBatch);
    vm.push(L, [{ n: 1 }, { n: 4 }, { n: 3, fail: true }, { n: 5 }], SLOT.arrayMt);
    vm.h.pushint(L, 4);
    vm.h.pushint(L, 1);
    vm.h.pushint(L, 1000);
    expect(x.lua_pcallk(L, 4, RESULT_COUNT, SLOT.handler, 0, 0)).toBe(2);
    x.lua_settop(L, base);
    x.lua_pushvalue(L, SLOT.batchFailure);
    expect(x.lua_pcallk(L, 0, RESULT_COUNT, 0, 0, 0)).toBe(0);
    const at = (k: keyof typeof RESULT) => read(base + RESULT[k]);
    expect(at('failed')).toBe(3);
    expect(at('failedBefore')).toBe(4);
    expect(at('count')).toBe(4);
    expect(at('events')).toEqual([{ n: 1 }, { n: 1, again: true }, { n: 4 }, { n: 4, again: true }]);
    expect(at('ports')).toEqual([1, 0, 1, 0]);
    expect(at('counts')).toEqual([2, 2]);
    expect(at('logs')).toBe(2); // the prints of the two casts before it
    expect(at('named')).toBe(true);
    expect(at('ones')).toBe(false);
    x.lua_settop(L, base);

    x.lua_pushvalue(L, SLOT.lastError);
    expect(x.lua_pcallk(L, 0, REPORT_COUNT, 0, 0, 0)).toBe(0);
    const report = (k: keyof typeof REPORT) => read(base + REPORT[k]);
    expect(report('message')).toBe('failed');
    expect(report('data')).toEqual({ message: 'failed', n: 3 });
    expect(report('kind')).toBe('runtime');
    expect(report('source')).toBe('@spell.lua');
    expect(report('line')).toBe(3);
    expect(report('traceback')).toMatch(/^stack traceback:/);
    x.lua_settop(L, base);
  });
});
