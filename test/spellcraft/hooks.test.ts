import { describe, it, expect } from 'vitest';
import { from, lastValueFrom, toArray, filter, map } from 'rxjs';
import { summon, summonSource } from '../../src/index.js';
import { castAll, tempDir } from '../helpers.js';

describe('the spell contract', () => {
  it('maps: a returned table is emitted', async () => {
    const r = await castAll('local s = {} function s.cast(e) return { v = e.v * 2 } end return s', [{ v: 1 }, { v: 2 }]);
    expect(r.out).toEqual([{ v: 2 }, { v: 4 }]);
    expect(r.dead).toEqual([]);
  });

  it('filters: returning nothing emits nothing', async () => {
    const r = await castAll('local s = {} function s.cast(e) if e.v > 1 then return e end end return s', [{ v: 1 }, { v: 2 }, { v: 3 }]);
    expect(r.out).toEqual([{ v: 2 }, { v: 3 }]);
  });

  it('multi-emits in order, and ignores the return value once emit was called', async () => {
    const r = await castAll('local s = {} function s.cast(e, emit) for i = 1, e.n do emit({ i = i }) end return { ignored = true } end return s', [
      { n: 3 },
      { n: 0 },
      { n: 1 },
    ]);
    expect(r.out).toEqual([{ i: 1 }, { i: 2 }, { i: 3 }, { ignored: true }, { i: 1 }]);
  });

  it('a terminal spell emits nothing and still sees every event', async () => {
    const r = await castAll('local s = {} local seen = 0 function s.cast(e) seen = seen + 1 end function s.finish(emit) emit({ seen = seen }) end return s', [
      {},
      {},
      {},
    ]);
    expect(r.out).toEqual([{ seen: 3 }]);
  });

  it('keeps state in Lua locals across casts, and passes runes to init', async () => {
    const r = await castAll(
      `local s = {} local total, step
       function s.init(runes) total = runes.start; step = runes.step end
       function s.cast(e) total = total + step * e.v; return { total = total } end
       return s`,
      [{ v: 1 }, { v: 2 }],
      { runes: { start: 100, step: 10 } },
    );
    expect(r.out).toEqual([{ total: 110 }, { total: 130 }]);
  });

  it('emits to named ports', async () => {
    const r = await castAll(
      'local s = {} function s.cast(e, emit) if e.v > 5 then emit(e, "big") else emit(e) end end return s',
      [{ v: 1 }, { v: 9 }],
      {},
      { portNames: ['big'] },
    );
    expect(r.out).toEqual([{ v: 1 }]);
    expect(r.ports['big']).toEqual([{ v: 9 }]);
  });

  it('fails a cast that emits to an unwired port, without emitting any of its events', async () => {
    const r = await castAll('local s = {} function s.cast(e, emit) emit({ a = 1 }) emit(e, "nowhere") end return s', [{ v: 1 }]);
    expect(r.out).toEqual([]);
    expect(r.dead).toHaveLength(1);
    expect(r.dead[0]!.error.code).toBe('SPELL_PORT_UNWIRED');
    expect(r.dead[0]!.error.message).toContain("port 'nowhere'");
    expect(r.dead[0]!.event).toEqual({ v: 1 });
  });

  it('reads emitted tables when the cast returns; sanctum.copy makes snapshots', async () => {
    const shared = await castAll('local s = {} function s.cast(e, emit) local t = {} for i = 1, 3 do t.n = i emit(t) end end return s', [{}]);
    expect(shared.out).toEqual([{ n: 3 }, { n: 3 }, { n: 3 }]);
    const copied = await castAll('local s = {} function s.cast(e, emit) local t = {} for i = 1, 3 do t.n = i emit(sanctum.copy(t)) end end return s', [{}]);
    expect(copied.out).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it('routed() tags every port and dead letter', async () => {
    const spell = await summonSource('local s = {} function s.cast(e, emit) if e.bad then error("bad") end emit(e) emit(e, "copy") end return s');
    const all = await lastValueFrom(from([{ v: 1 }, { bad: true }]).pipe(spell.routed(), toArray()));
    expect(all.map((o) => (o.kind === 'event' ? o.port : `dead:${o.deadLetter.error.code}`))).toEqual(['out', 'copy', 'dead:SPELL_RUNTIME']);
  });

  it('composes with RxJS operators in user code', async () => {
    const spell = await summonSource('local s = {} function s.cast(e) return { v = e.v + 1 } end return s');
    const out = await lastValueFrom(
      from([1, 2, 3, 4]).pipe(
        map((v) => ({ v })),
        spell,
        filter((e) => (e as { v: number }).v % 2 === 0),
        toArray(),
      ),
    );
    expect(out).toEqual([{ v: 2 }, { v: 4 }]);
  });

  it('gives each subscription its own Lua state', async () => {
    const spell = await summonSource('local s = {} local n = 0 function s.cast(e) n = n + 1 return { n = n } end return s');
    const a = await lastValueFrom(from([{}, {}]).pipe(spell, toArray()));
    const b = await lastValueFrom(from([{}, {}, {}]).pipe(spell, toArray()));
    expect(a).toEqual([{ n: 1 }, { n: 2 }]);
    expect(b).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it('summons from a file, with modules required from next to it', async () => {
    const dir = tempDir({
      'spells/main.lua': 'local util = require("lib.util")\nlocal s = {}\nfunction s.cast(e) return { v = util.double(e.v) } end\nreturn s\n',
      'spells/lib/util.lua': 'local M = {}\nfunction M.double(x) return x * 2 end\nreturn M\n',
    });
    const spell = await summon(`${dir}/spells/main.lua`);
    expect(spell.name).toBe('main');
    expect(await lastValueFrom(from([{ v: 21 }]).pipe(spell, toArray()))).toEqual([{ v: 42 }]);
  });

  it('logs from print and log.* with the spell name, file and line', async () => {
    const r = await castAll('local s = {}\nfunction s.cast(e)\n  print("hello", 1)\n  log.warn("careful", { v = e.v })\nend\nreturn s', [{ v: 7 }], {
      displayPath: 'spells/talk.lua',
    });
    expect(r.logs).toEqual([
      { spell: 'talk', level: 'info', message: 'hello\t1', fields: undefined, file: 'spells/talk.lua', line: 3 },
      { spell: 'talk', level: 'warn', message: 'careful', fields: { v: 7 }, file: 'spells/talk.lua', line: 4 },
    ]);
  });

  it('castBatch gives the same outputs and failures as casting one by one', async () => {
    const src =
      'local s = {} function s.cast(e, emit) if e.v == 3 then error("three") end if e.v % 4 == 0 then return { v = e.v, returned = true } end for i = 1, e.v % 3 do emit({ v = e.v, i = i }) end end return s';
    const spell = await summonSource(src);
    const events = Array.from({ length: 20 }, (_, v) => ({ v }));
    const one: unknown[] = [];
    const oneFailed: unknown[] = [];
    const c1 = spell.open();
    for (const e of events) {
      const err = c1.cast(e, (ev, port) => one.push([port, ev]));
      if (err) oneFailed.push(err.event);
    }
    const batch: unknown[] = [];
    const c2 = spell.open();
    const failures = c2.castBatch(events, (ev, port) => batch.push([port, ev]));
    expect(batch).toEqual(one);
    expect(failures.map((f) => f.event)).toEqual(oneFailed);
    expect(failures[0]!.line).toBe(1);
    c1.close();
    c2.close();
  });
});
