/** The time runes in a runeset: `tick` and `window`, normalized to ms, and what `sanctum check` says about them. */
import { afterAll, describe, expect, it } from 'vitest';
import { brief, load, removeTempDirs } from '../runes/helpers.js';

afterAll(removeTempDirs);

const TICKS = 'local s = {}\nfunction s.cast(e, emit) emit(e) end\nfunction s.tick(now, emit) end\nreturn s\n';
const PLAIN = 'local s = {}\nfunction s.cast(e, emit) emit(e) end\nreturn s\n';
const TIMERS =
  'local s = {}\nfunction s.cast(e) timers.set("k", sanctum.now() + 1000) end\nfunction s.timer(key, now, emit) emit({ key = key }) end\nreturn s\n';
const WINDOWED =
  'local window = require "sanctum.window"\nlocal s, w = {}, nil\nfunction s.init(runes) w = window.new(runes.window) end\nfunction s.cast(e) w:add(e) end\nfunction s.timer(k, now, emit) w:timer(k, now, emit) end\nreturn s\n';

const runeset = (spells: string, pipelines = '', streams = '  in: {}\n  out: {}\n') => `version: 1
streams:
${streams}spells:
${spells}${pipelines ? `pipelines:\n${pipelines}` : ''}`;

describe('time runes', () => {
  it('normalizes tick and the window durations to ms; the spell gets the window as runes.window', async () => {
    const r = await load(
      runeset(
        '  w:\n    file: w.lua\n    tick: 250ms\n    window: { kind: hopping, size: 1m, slide: 15s, time: ts, key: user, lateness: 5s, idle: 2m }\n    runes: { flush: false }\n',
      ),
      { 'w.lua': WINDOWED },
    );
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const spell = r.runeset!.spells['w']!;
    expect(spell.tick).toBe(250);
    const window = { kind: 'hopping', size: 60000, slide: 15000, time: 'ts', key: 'user', lateness: 5000, idle: 120000 };
    expect(spell.window).toEqual(window);
    expect(spell.runes).toEqual({ flush: false, window });
    expect(r.runeset!.spells['w']!.tick).toBe(250);
  });

  it('warns about a tick on a spell with no tick function', async () => {
    const r = await load(runeset('  p:\n    file: p.lua\n    tick: 1s\n  t:\n    file: t.lua\n    tick: 1s\n'), { 'p.lua': PLAIN, 't.lua': TICKS });
    expect(brief(r)).toEqual(["8:5 warning RUNESET_BAD_VALUE spell 'p' has a tick rune, but p.lua defines no tick function: nothing will tick"]);
  });

  it('warns about a spell that sets timers but has no timer function; not about one that has it, nor one whose module sets them', async () => {
    const NO_HOOK = 'local s = {}\nfunction s.cast(e) timers.set("k", sanctum.now() + 1000) end\n-- timers.set in a comment\nreturn s\n';
    const r = await load(runeset('  n:\n    file: n.lua\n  t:\n    file: t.lua\n  w:\n    file: w.lua\n'), {
      'n.lua': NO_HOOK,
      't.lua': TIMERS,
      'w.lua': WINDOWED,
    });
    expect(brief(r).filter((d) => d.includes('timer function'))).toEqual([
      "7:11 warning RUNESET_BAD_VALUE spell 'n' calls timers.set, but n.lua defines no timer function: every cast that sets a timer fails",
    ]);
  });

  it('refuses a tick that is not a duration', async () => {
    const r = await load(runeset('  t:\n    file: t.lua\n    tick: soon\n'), { 't.lua': TICKS });
    expect(brief(r)).toEqual([
      "8:11 RUNESET_BAD_VALUE spells.t.tick 'soon' is not valid: write a duration as a whole number and a unit: ms, s, m, h or d (e.g. 250ms, 30s, 5m); a bare number is seconds",
    ]);
  });

  it('says where the timers of a spell in an in-memory pipeline live; a durable pipeline needs no word', async () => {
    const r = await load(
      runeset(
        '  t:\n    file: t.lua\n',
        '  mem: { from: in, steps: [t], to: out }\n  dur: { from: din, steps: [t], to: out }\n',
        '  in: {}\n  out: {}\n  din: { durable: true }\n',
      ),
      { 't.lua': TIMERS },
    );
    expect(brief(r).filter((d) => d.includes('timers'))).toEqual([
      "10:28 warning RUNESET_BAD_VALUE spell 't' uses timers in pipeline 'mem', which reads in-memory streams: its timers live with its state, in .sanctum/runeset/sanctum.db beside the runeset, and commit with each batch, but its input does not survive a restart",
    ]);
  });

  it('checks the window rune: a slide longer than the size, runes that do not apply, idle without ticks, a second window in runes', async () => {
    const r = await load(
      runeset(
        '  h:\n    file: w.lua\n    window: { kind: hopping, size: 10s, slide: 1m, gap: 5s }\n  s:\n    file: w.lua\n    window: { kind: session, gap: 5m, idle: 1m }\n    runes: { window: {} }\n  p:\n    file: p.lua\n    window: { kind: tumbling, size: 1m }\n',
      ),
      { 'w.lua': WINDOWED, 'p.lua': PLAIN },
    );
    expect(brief(r)).toEqual([
      '8:48 RUNESET_BAD_VALUE spells.h.window.slide (1m) is longer than its size (10s): hopping windows would leave gaps no window covers',
      '8:52 warning RUNESET_BAD_VALUE spells.h.window.gap has no effect on hopping windows',
      "11:39 warning RUNESET_BAD_VALUE spells.s.window.idle moves the watermark on ticks, but spell 's' has no tick rune",
      '12:14 RUNESET_BAD_VALUE spells.s has both a window rune and runes.window; the window rune is what the spell gets as runes.window',
      `15:5 warning RUNESET_BAD_VALUE spell 'p' has a window rune, but p.lua does not require "sanctum.window": the rune only reaches its init as runes.window`,
    ]);
  });

  it('a misspelled kind gets its error and a suggestion, not also warnings about the runes it would not take', async () => {
    const r = await load(runeset('  t:\n    file: w.lua\n    window: { kind: tumblin, size: 1m, time: ts }\n'), { 'w.lua': WINDOWED });
    const said = brief(r);
    expect(said.join('\n')).toMatch(/did you mean 'tumbling'/);
    expect(said.filter((d) => d.includes('has no effect'))).toEqual([]);
  });

  it('requires the durations each kind of window needs', async () => {
    const r = await load(runeset('  s:\n    file: w.lua\n    window: { kind: session }\n  t:\n    file: w.lua\n    window: { kind: tumbling, time: ts }\n'), {
      'w.lua': WINDOWED,
    });
    expect(brief(r).map((d) => d.replace(/^\d+:\d+ /, ''))).toEqual([
      "RUNESET_MISSING_KEY spells.s.window is missing the required key 'gap' (needed when kind is 'session')",
      "RUNESET_MISSING_KEY spells.t.window is missing the required key 'size' (needed when kind is 'tumbling')",
    ]);
  });
});
