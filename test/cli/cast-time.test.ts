/** `sanctum cast --tick` and a spell's timers, through a live stdin pipe: ticks and due timers while the input is idle, and once more at the end. */
import { describe, expect, it } from 'vitest';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { BIN, sanctum } from './run-cli.js';
import { tempDir } from '../helpers.js';

/** A cast with its stdin open: write lines, wait for output lines (readiness by lines, never sleeps). */
function liveCast(args: string[]) {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [BIN, 'cast', ...args]);
  const seen: unknown[] = [];
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  let waiter: { test: (o: unknown) => boolean; resolve: () => void } | undefined;
  createInterface({ input: child.stdout }).on('line', (l) => {
    const o = JSON.parse(l) as unknown;
    seen.push(o);
    if (waiter?.test(o)) {
      waiter.resolve();
      waiter = undefined;
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  // Generous: a busy 2-core machine can be ten times slower than an idle one.
  const kill = setTimeout(() => child.kill('SIGKILL'), 120_000);
  return {
    seen,
    stderr: () => stderr,
    write: (line: string) => child.stdin.write(`${line}\n`),
    /** Resolves once an output line passes `test` (one seen already counts). */
    waitFor(test: (o: unknown) => boolean): Promise<void> {
      if (seen.some(test)) return Promise.resolve();
      return new Promise((resolve) => (waiter = { test, resolve }));
    },
    async end(): Promise<number | null> {
      child.stdin.end();
      const code = await exited;
      clearTimeout(kill);
      return code;
    },
  };
}

const ticking = `local spell = {}
local count = 0
function spell.cast(e) count = count + 1; return { id = e.id } end
function spell.tick(now, emit) emit({ tick = count, number = now > 0 }) ; count = 0 end
function spell.finish(emit) emit({ finished = true }) end
return spell
`;

const isTick = (o: unknown) => typeof o === 'object' && o !== null && 'tick' in o;

describe('sanctum cast --tick', () => {
  it('ticks while the input is idle, between events, and once more at the end before finish', async () => {
    const dir = tempDir({ 'ticking.lua': ticking });
    const cast = liveCast([`${dir}/ticking.lua`, '--tick', '50ms']);
    cast.write('{"id":1}');
    await cast.waitFor((o) => (o as { id?: number }).id === 1);
    // No more input: the tick comes anyway, and counts the one event.
    await cast.waitFor((o) => isTick(o) && (o as { tick: number }).tick === 1);
    cast.write('{"id":2}');
    await cast.waitFor((o) => (o as { id?: number }).id === 2);
    expect(await cast.end()).toBe(0);
    expect(cast.stderr()).toBe('');
    const seen = cast.seen as Record<string, unknown>[];
    // The last two: the final tick, then finish; the ticks count every event once.
    expect(seen.slice(-2)).toEqual([{ tick: expect.any(Number), number: true }, { finished: true }]);
    expect(seen.filter(isTick).reduce((sum, o) => sum + (o['tick'] as number), 0)).toBe(2);
    expect(seen.filter((o) => 'id' in o)).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('without --tick, tick never runs', async () => {
    const dir = tempDir({ 'ticking.lua': ticking });
    const r = await sanctum(['cast', `${dir}/ticking.lua`], { input: '{"id":1}\n' });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('{"id":1}\n{"finished":true}\n');
  });

  it('ticks once at the end of a short input, before finish', async () => {
    const dir = tempDir({ 'ticking.lua': ticking });
    const r = await sanctum(['cast', `${dir}/ticking.lua`, '--tick', '1h'], { input: '{"id":1}\n{"id":2}\n' });
    expect(r.code).toBe(0);
    // Parsed: the order of an emitted table's fields is Lua's hash order, which varies by process.
    expect(
      r.stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([{ id: 1 }, { id: 2 }, { tick: 2, number: true }, { finished: true }]);
  });

  it('a failing tick follows --on-error: a dead letter in tick, or a stop', async () => {
    const dir = tempDir({
      'bad-tick.lua':
        'local s = {}\nfunction s.cast(e) return e end\nfunction s.tick() error("tock") end\nfunction s.finish(emit) emit({ finished = true }) end\nreturn s\n',
    });
    const dl = await sanctum(['cast', `${dir}/bad-tick.lua`, '--tick', '1h'], { input: '{"id":1}\n' });
    expect(dl.code).toBe(1);
    expect(dl.stdout).toBe('{"id":1}\n{"finished":true}\n');
    expect(dl.stderr).toContain('bad-tick.lua:3: tock\n  in tick\n');
    const stop = await sanctum(['cast', `${dir}/bad-tick.lua`, '--tick', '1h', '--on-error', 'stop'], { input: '{"id":1}\n' });
    expect(stop.code).toBe(1);
    expect(stop.stdout).toBe('{"id":1}\n');
    expect(stop.stderr).toContain('bad-tick.lua:3: tock\nstopped (--on-error stop)\n');
  });

  it('refuses a duration it cannot read, and warns when the spell has no tick', async () => {
    const bad = await sanctum(['cast', 'x.lua', '--tick', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("expected a duration like 250ms, 30s or 5m (a bare number is seconds), got 'soon'");
    const dir = tempDir({ 'id.lua': 'return { cast = function(e) return e end }' });
    const r = await sanctum(['cast', `${dir}/id.lua`, '--tick', '1s'], { input: '{"a":1}\n' });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('{"a":1}\n');
    expect(r.stderr).toContain('defines no spell.tick, so nothing ticks');
  });
});

describe('sanctum cast and timers', () => {
  const reminder = `local spell = {}
function spell.cast(e)
  timers.set(e.id, sanctum.now() + e.after)
end
function spell.timer(key, now, emit) emit({ fired = key }) end
function spell.finish(emit) emit({ finished = true }) end
return spell
`;

  it('fires a timer when it comes due while the input is idle', async () => {
    const dir = tempDir({ 'reminder.lua': reminder });
    const cast = liveCast([`${dir}/reminder.lua`]);
    cast.write('{"id":"soon","after":50}');
    await cast.waitFor((o) => (o as { fired?: string }).fired === 'soon');
    expect(await cast.end()).toBe(0);
    expect(cast.seen).toEqual([{ fired: 'soon' }, { finished: true }]);
  });

  it('at the end, fires the timers due by then before finish; later ones do not fire', async () => {
    const dir = tempDir({ 'reminder.lua': reminder });
    const r = await sanctum(['cast', `${dir}/reminder.lua`], { input: '{"id":"later","after":3600000}\n{"id":"now","after":0}\n' });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('{"fired":"now"}\n{"finished":true}\n');
  });
});
