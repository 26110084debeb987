import { describe, it, expect } from 'vitest';
import { from, lastValueFrom, toArray, catchError, of } from 'rxjs';
import { summon, summonSource, SpellError } from '../../src/index.js';
import { castAll, tempDir } from '../helpers.js';

async function summonError(source: string, file = 'spells/broken.lua'): Promise<SpellError> {
  const dir = tempDir({ [file]: source });
  const err = await summon(`${dir}/${file}`, { displayPath: file }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SpellError);
  return err as SpellError;
}

describe('malformed spells', () => {
  it('reports a syntax error with file, line, message and the source line', async () => {
    const err = await summonError('local spell = {}\nfunction spell.cast(e)\n  local x = = 1\nend\nreturn spell\n');
    expect(err.code).toBe('SPELL_SYNTAX');
    expect(err.file).toBe('spells/broken.lua');
    expect(err.line).toBe(3);
    expect(err.luaMessage).toBe("unexpected symbol near '='");
    expect(err.sourceLine).toBe('local x = = 1');
    expect(err.message).toBe("spells/broken.lua:3: unexpected symbol near '='");
  });

  it('reports a missing file', async () => {
    const err = (await summon('/nonexistent/spell.lua').catch((e: unknown) => e)) as SpellError;
    expect(err.code).toBe('SPELL_NOT_FOUND');
    expect(err.message).toContain('/nonexistent/spell.lua');
  });

  it.each([
    ['returns nothing', 'local x = 1', /must return a table/],
    ['has no cast', 'return { init = function() end }', /no `cast` function/],
    ['has a non-function finish', 'return { cast = function() end, finish = 3 }', /spell.finish must be a function/],
  ])('reports a spell that %s (SPELL_INVALID)', async (_what, source, message) => {
    const err = await summonError(source);
    expect(err.code).toBe('SPELL_INVALID');
    expect(err.luaMessage).toMatch(message);
  });

  it('reports an error raised while the spell file runs, with its line', async () => {
    const err = await summonError('local spell = {}\nlocal x = nil\nlocal y = x.field\nreturn spell\n');
    expect(err.code).toBe('SPELL_RUNTIME');
    expect(err.line).toBe(3);
    expect(err.hook).toBe('summon');
  });

  it('does not poison other spells', async () => {
    await summonError('this is not lua');
    const r = await castAll('local s = {} function s.cast(e) return e end return s', [{ ok: true }]);
    expect(r.out).toEqual([{ ok: true }]);
  });
});

describe('unstable magic (runtime failures)', () => {
  const boom = 'local s = {}\nfunction s.cast(e)\n  if e.bad then\n    error("boom: " .. e.id)\n  end\n  return { id = e.id }\nend\nreturn s\n';

  it('dead-letters the failed event with file, line, message and traceback, and goes on', async () => {
    const r = await castAll(boom, [{ id: 1 }, { id: 2, bad: true }, { id: 3 }], { displayPath: 'spells/boom.lua' });
    expect(r.out).toEqual([{ id: 1 }, { id: 3 }]);
    expect(r.dead).toHaveLength(1);
    const { error, event } = r.dead[0]!;
    expect(event).toEqual({ id: 2, bad: true });
    expect(error.code).toBe('SPELL_RUNTIME');
    expect(error.file).toBe('spells/boom.lua');
    expect(error.line).toBe(4);
    expect(error.luaMessage).toBe('boom: 2');
    expect(error.sourceLine).toBe('error("boom: " .. e.id)');
    expect(error.traceback).toContain('spells/boom.lua:4');
    expect(error.traceback).not.toContain('sanctum:');
    expect(error.toJSON()).toMatchObject({ code: 'SPELL_RUNTIME', spell: 'boom', file: 'spells/boom.lua', line: 4, hook: 'cast', message: 'boom: 2' });
  });

  it('points at the line of a Lua runtime error', async () => {
    const r = await castAll('local s = {}\nfunction s.cast(e)\n  return { x = e.payload.x }\nend\nreturn s', [{}], { displayPath: 'spells/nil.lua' });
    expect(r.dead[0]!.error.line).toBe(3);
    expect(r.dead[0]!.error.luaMessage).toBe("attempt to index a nil value (field 'payload')");
  });

  it('keeps error tables as data', async () => {
    const r = await castAll('local s = {} function s.cast(e) error({ message = "rejected", reason = "limit" }) end return s', [{}]);
    expect(r.dead[0]!.error.luaMessage).toBe('rejected');
    expect(r.dead[0]!.error.data).toEqual({ message: 'rejected', reason: 'limit' });
    expect(r.dead[0]!.error.line).toBe(1);
  });

  it('skip: logs and counts, emits nothing for the failed event', async () => {
    const spell = await summonSource(boom, { onError: 'skip', logger: () => {} });
    const out = await lastValueFrom(from([{ id: 1, bad: true }, { id: 2 }]).pipe(spell, toArray()));
    expect(out).toEqual([{ id: 2 }]);
    expect(spell.stats).toMatchObject({ casts: 2, failed: 1, skipped: 1, deadLettered: 0 });
  });

  it('stop: errors the stream with the SpellError, which catchError can recover', async () => {
    const spell = await summonSource(boom, { onError: 'stop' });
    const out = await lastValueFrom(
      from([{ id: 1 }, { id: 2, bad: true }, { id: 3 }]).pipe(
        spell,
        catchError((e: SpellError) => of({ recovered: e.code, line: e.line })),
        toArray(),
      ),
    );
    expect(out).toEqual([{ id: 1 }, { recovered: 'SPELL_RUNTIME', line: 4 }]);
  });

  it('sends dead letters to spell.deadLetters when the operator has no target', async () => {
    const spell = await summonSource(boom);
    const dead: unknown[] = [];
    spell.deadLetters.subscribe((d) => dead.push(d.event));
    await lastValueFrom(from([{ id: 9, bad: true }]).pipe(spell, toArray()));
    expect(dead).toEqual([{ id: 9, bad: true }]);
  });

  it('a failing init dead-letters once, then every event with SPELL_INIT_FAILED', async () => {
    const r = await castAll('local s = {}\nfunction s.init(r)\n  error("no config")\nend\nfunction s.cast(e) return e end\nreturn s', [{ a: 1 }, { a: 2 }]);
    expect(r.out).toEqual([]);
    expect(r.dead.map((d) => [d.error.code, d.error.hook, d.event])).toEqual([
      ['SPELL_RUNTIME', 'init', undefined],
      ['SPELL_INIT_FAILED', 'cast', { a: 1 }],
      ['SPELL_INIT_FAILED', 'cast', { a: 2 }],
    ]);
    expect(r.dead[1]!.error.line).toBe(3);
  });

  it('a failing finish is dead-lettered and the stream still completes', async () => {
    const r = await castAll(
      'local s = {} function s.cast(e) return e end function s.finish(emit) emit({ partial = true }) error("finish failed") end return s',
      [{ a: 1 }],
    );
    expect(r.out).toEqual([{ a: 1 }]);
    expect(r.dead.map((d) => [d.error.code, d.error.hook])).toEqual([['SPELL_RUNTIME', 'finish']]);
  });

  it('refuses a cast that returns a non-table', async () => {
    const r = await castAll('local s = {} function s.cast(e) return true end return s', [{}]);
    expect(r.dead[0]!.error.code).toBe('SPELL_BAD_OUTPUT');
    expect(r.dead[0]!.error.luaMessage).toMatch(/cast returned a boolean/);
  });

  it('emit(nil) is an error at the line that calls it', async () => {
    const r = await castAll('local s = {}\nfunction s.cast(e, emit)\n  emit(nil)\nend\nreturn s', [{}]);
    expect(r.dead[0]!.error.line).toBe(3);
    expect(r.dead[0]!.error.luaMessage).toMatch(/emit: the event is nil/);
  });
});

describe('runaway magic', () => {
  it('stops an infinite loop with the instruction budget; the spell stays usable', async () => {
    const r = await castAll(
      'local s = {}\nfunction s.cast(e)\n  if e.loop then\n    while true do end\n  end\n  return { ok = e.id }\nend\nreturn s',
      [{ id: 1 }, { id: 2, loop: true }, { id: 3 }],
      { instructionBudget: 100_000 },
    );
    expect(r.out).toEqual([{ ok: 1 }, { ok: 3 }]);
    expect(r.dead[0]!.error.code).toBe('SPELL_BUDGET_EXCEEDED');
    expect(r.dead[0]!.error.line).toBe(4);
    expect(r.dead[0]!.error.luaMessage).toBe('instruction budget exceeded (100000 instructions)');
  });

  it('a spell cannot swallow the budget error with pcall', async () => {
    const r = await castAll('local s = {} function s.cast(e) while true do pcall(function() while true do end end) end end return s', [{ id: 1 }], {
      instructionBudget: 100_000,
    });
    expect(r.dead[0]!.error.code).toBe('SPELL_BUDGET_EXCEEDED');
  });

  it('a spell cannot swallow the budget error with coroutine.resume, nor run a handler for it', async () => {
    const r = await castAll(
      `local s = {} function s.cast(e)
         if e.resume then return { ok = coroutine.resume(coroutine.create(function() while true do end end)) } end
         local called = false
         xpcall(function() while true do end end, function(m) called = true return m end)
         return { called = called }
       end return s`,
      [{ resume: true }, {}],
      { instructionBudget: 100_000 },
    );
    expect(r.out).toEqual([]);
    expect(r.dead.map((d) => d.error.code)).toEqual(['SPELL_BUDGET_EXCEEDED', 'SPELL_BUDGET_EXCEEDED']);
  });

  it('counts instructions inside coroutines too', async () => {
    const r = await castAll('local s = {} function s.cast(e) local co = coroutine.wrap(function() while true do end end) co() end return s', [{}], {
      instructionBudget: 100_000,
    });
    expect(r.dead[0]!.error.code).toBe('SPELL_BUDGET_EXCEEDED');
  });

  it('stops a memory bomb with the memory cap; the spell stays usable', async () => {
    const r = await castAll(
      'local s = {} function s.cast(e) if e.bomb then local t = {} for i = 1, 1e8 do t[i] = string.rep("x", 64) .. i end end return { ok = e.id } end return s',
      [{ id: 1 }, { id: 2, bomb: true }, { id: 3 }],
      { memoryLimit: 4 * 1024 * 1024, instructionBudget: 1e9 },
    );
    expect(r.out).toEqual([{ ok: 1 }, { ok: 3 }]);
    expect(r.dead[0]!.error.code).toBe('SPELL_MEMORY_EXCEEDED');
    expect(r.dead[0]!.error.luaMessage).toContain('4 MiB');
  });

  it('stops a single huge allocation', async () => {
    const r = await castAll('local s = {} function s.cast(e) return { s = string.rep("x", 1e9) } end return s', [{}], { memoryLimit: 8 << 20 });
    expect(r.dead[0]!.error.code).toBe('SPELL_MEMORY_EXCEEDED');
  });

  it('stops unbounded recursion', async () => {
    const r = await castAll(
      'local s = {}\nlocal function f(n) return f(n + 1) + 1 end\nfunction s.cast(e) if e.deep then return { v = f(1) } end return e end\nreturn s',
      [{ deep: true }, { ok: 1 }],
      { memoryLimit: 256 << 20, instructionBudget: 1e9 },
    );
    expect(['SPELL_STACK_OVERFLOW', 'SPELL_MEMORY_EXCEEDED']).toContain(r.dead[0]!.error.code);
    expect(r.dead[0]!.error.code).toBe('SPELL_STACK_OVERFLOW');
    expect(r.out).toEqual([{ ok: 1 }]);
  });

  it('stops unbounded recursion through C functions', async () => {
    const r = await castAll('local s = {} local function f(s) return (string.gsub(s, ".", f)) end function s.cast(e) return { v = f("ab") } end return s', [
      {},
    ]);
    expect(r.dead[0]!.error.code).toBe('SPELL_STACK_OVERFLOW');
  });

  it('rejects nonsense limits', async () => {
    await expect(summonSource('return { cast = function() end }', { instructionBudget: 0 })).rejects.toThrow(/instructionBudget/);
    await expect(summonSource('return { cast = function() end }', { memoryLimit: 10 })).rejects.toThrow(/memoryLimit/);
  });
});

describe('edges of the operator', () => {
  it('stop: a synchronous source is not cast past the failure, and no port hears of later events', async () => {
    const spell = await summonSource('local s = {} function s.cast(e, emit) if e.bad then error("bad") end emit(e, "side") end return s', { onError: 'stop' });
    const side: unknown[] = [];
    const err = await lastValueFrom(from([{ n: 1 }, { bad: true }, { n: 3 }]).pipe(spell.operator({ ports: { side: (e) => side.push(e) } }), toArray())).catch(
      (e: unknown) => e,
    );
    expect((err as SpellError).code).toBe('SPELL_RUNTIME');
    expect(side).toEqual([{ n: 1 }]);
    expect(spell.stats.casts).toBe(2);
  });

  it('a closed caster refuses to cast (SPELL_CLOSED) instead of touching freed memory', async () => {
    const spell = await summonSource('return { cast = function(e) return e end }');
    const c = spell.open();
    c.close();
    expect(c.cast({}, () => {})!.code).toBe('SPELL_CLOSED');
    expect(c.castBatch([{}, {}], () => {}).map((e) => e.code)).toEqual(['SPELL_CLOSED', 'SPELL_CLOSED']);
    expect(c.init()!.code).toBe('SPELL_CLOSED');
    expect(c.finish(() => {})!.code).toBe('SPELL_CLOSED');
  });
});
