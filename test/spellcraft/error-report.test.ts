/**
 * The error report is built without running the spell's code and under a cap, and its code comes
 * from what the VM and the allocator saw, not from what the message says.
 */
import { describe, it, expect } from 'vitest';
import { castAll } from '../helpers.js';
import { summonSource } from '../../src/index.js';

const casting = (body: string) => `local s = {} function s.cast(e) ${body} end return s`;
const MiB = 1024 * 1024;

describe('the error report runs no code of the spell', () => {
  it("an error object's message with __tostring is not called, and the 8 MiB cap holds", async () => {
    const spell = await summonSource(
      casting(`if e.check then return { hoarded = HOARD ~= nil } end
        error({ message = setmetatable({}, { __tostring = function() HOARD = string.rep("x", 128 << 20) return "hidden" end }) })`),
      { memoryLimit: 8 * MiB },
    );
    const c = spell.open();
    c.init();
    const err = c.cast({}, () => {});
    expect(err?.code).toBe('SPELL_RUNTIME');
    expect(err?.luaMessage).toBe('error object (see data)');
    expect(c.memoryUsed()).toBeLessThan(8 * MiB);
    const out: unknown[] = [];
    expect(c.cast({ check: true }, (e) => out.push(e))).toBeUndefined();
    expect(out).toEqual([{ hoarded: false }]);
    c.close();
  });

  it("an error object's own __tostring, __index and __name are not used", async () => {
    const r = await castAll(
      casting(
        `error(setmetatable({ code = 7 }, { __tostring = function() CALLED = true return "x" end, __index = function() CALLED = true end, __name = "fake" }))`,
      ),
      [{}],
    );
    expect(r.dead[0]!.error.code).toBe('SPELL_RUNTIME');
    expect(r.dead[0]!.error.luaMessage).toBe('error object (see data)');
    expect(r.dead[0]!.error.data).toEqual({ code: 7 });
  });

  it('an error object that is not data is reported as such', async () => {
    const r = await castAll(casting('error({ message = "bad", f = print })'), [{}]);
    expect(r.dead[0]!.error.luaMessage).toBe('bad');
    expect(r.dead[0]!.error.data).toEqual({ unreadable: expect.stringContaining('function') });
  });
});

describe('error codes cannot be spoofed by the message', () => {
  it.each([
    ['a replaced string.find', 'string.find = function() return 1 end error("boom")', 'boom'],
    ['error("not enough memory", 0)', 'error("not enough memory", 0)', 'not enough memory'],
    ['error("stack overflow", 0)', 'error("stack overflow", 0)', 'stack overflow'],
    ['error("C stack overflow")', 'error("C stack overflow")', 'C stack overflow'],
    [
      'a handler that turns an error into "stack overflow"',
      'local ok, m = xpcall(error, function() return "x.lua:1: stack overflow" end, "boom") error(m, 0)',
      'stack overflow',
    ],
  ])('%s is SPELL_RUNTIME', async (_what, body, message) => {
    const r = await castAll(casting(body), [{}], { memoryLimit: 8 * MiB });
    expect(r.dead[0]!.error.code).toBe('SPELL_RUNTIME');
    expect(r.dead[0]!.error.luaMessage).toBe(message);
  });

  it.each([
    ['in a coroutine.wrap', 'coroutine.wrap(function() local t = {} for i = 1, 1e7 do t[i] = i .. "x" end end)()'],
    ['caught with pcall and raised again', 'local ok, m = pcall(string.rep, "x", 1e9) error(m, 0)'],
    ['caught with pcall and raised with a position', 'local ok, m = pcall(string.rep, "x", 1e9) error(m)'],
  ])('a real memory failure %s is SPELL_MEMORY_EXCEEDED', async (_what, body) => {
    const r = await castAll(casting(body), [{}], { memoryLimit: 8 * MiB, instructionBudget: 1e9 });
    expect(r.dead[0]!.error.code).toBe('SPELL_MEMORY_EXCEEDED');
    expect(r.dead[0]!.error.luaMessage).toBe('not enough memory (the cap is 8 MiB)');
  });

  it.each([
    ['in plain Lua', 'local function f(n) return f(n + 1) + 1 end f(1)'],
    ['in a coroutine.wrap', 'local function f(n) return f(n + 1) + 1 end coroutine.wrap(function() f(1) end)()'],
    ['through C functions', 'local function f(s) return (string.gsub(s, ".", f)) end f("ab")'],
    ['caught with pcall and raised again', 'local function f(n) return f(n + 1) + 1 end local ok, m = pcall(f, 1) error(m, 0)'],
  ])('a real stack overflow %s is SPELL_STACK_OVERFLOW', async (_what, body) => {
    const r = await castAll(casting(body), [{}], { memoryLimit: 256 * MiB, instructionBudget: 1e9 });
    expect(r.dead[0]!.error.code).toBe('SPELL_STACK_OVERFLOW');
  });
});
