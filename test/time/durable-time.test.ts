/**
 * Time in durable pipelines: timers commit with the batch that set them, a fired timer's deletion
 * commits with its outputs (or neither does), an idle consumer is woken for a timer, expired state
 * is swept a little per batch — on an injected clock where the instant matters.
 */
import { describe, it, expect } from 'vitest';
import { PassThrough } from 'node:stream';
import { firstValueFrom, filter } from 'rxjs';
import { openMemoryStorage } from '../../src/storage/index.js';
import { loadRunesetOrThrow, openRuneset } from '../../src/index.js';
import type { Clock } from '../../src/core/clock.js';
import type { Storage } from '../../src/core/storage.js';
import { CommitFaults } from '../storage/faults.js';
import { tempDir } from '../helpers.js';

const reminder = `-- reminds of each event's id \`after\` ms later, through a durable timer
local s = {}
function s.cast(e) timers.set(tostring(e.id), sanctum.now() + e.after) end
function s.timer(key, now, emit) emit({ remind = key, at = now }) end
return s`;

const dedup = `local s = {}
function s.cast(e, emit)
  if state.get(e.id) then return end
  state.put(e.id, true, { ttl = 1000 })
  emit(e)
end
return s`;

const runeset = (extra = '') => `version: 1
sanctum: { batch_size: 2 }
streams:
  in: { durable: true }
  out: { durable: true }
  dead-letters: { durable: true }
spells:
  reminder: { file: reminder.lua }
  dedup: { file: dedup.lua }
pipelines:
  remind: { from: in, steps: [reminder], to: out }
${extra}`;

/** A clock that stands still until a test moves it; wake-ups are never needed (runs end at once). */
function fixedClock(at: { t: number }): Clock {
  return { now: () => at.t, wakeAt: () => () => {} };
}

const quiet = () => ({ stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() });

async function runOnce(storage: Storage, clock: Clock, yaml = runeset()) {
  const dir = tempDir({ 'reminder.lua': reminder, 'dedup.lua': dedup, 'r.yaml': yaml });
  const opened = await openRuneset(await loadRunesetOrThrow(`${dir}/r.yaml`), { storage, logger: () => {}, clock });
  return opened.run({ stdio: quiet() });
}

const out = (s: Storage) => s.log.read('out', 1, 1000).map((e) => e.event);

describe('durable timers', () => {
  it('commit with the batch that set them, and fire in a later run once due, their deletion with their outputs', async () => {
    const storage = openMemoryStorage();
    const at = { t: 1000 };
    await storage.log.append(
      'in',
      [1, 2, 3].map((id) => ({ event: { id, after: id * 100 } })),
    );
    await runOnce(storage, fixedClock(at));
    expect(storage.offsets.get('pipeline:remind', 'in')).toBe(3);
    expect(storage.timers.due('reminder', 1e12, 10)).toEqual([
      { key: '1', at: 1100 },
      { key: '2', at: 1200 },
      { key: '3', at: 1300 },
    ]);
    expect(out(storage)).toEqual([]);
    at.t = 1250; // a restart later: the due ones fire as it stops, the other stays
    await runOnce(storage, fixedClock(at));
    expect(out(storage)).toEqual([
      { remind: '1', at: 1250 },
      { remind: '2', at: 1250 },
    ]);
    expect(storage.timers.due('reminder', 1e12, 10)).toEqual([{ key: '3', at: 1300 }]);
    at.t = 5000;
    await runOnce(storage, fixedClock(at));
    await runOnce(storage, fixedClock(at));
    expect(out(storage)).toEqual([
      { remind: '1', at: 1250 },
      { remind: '2', at: 1250 },
      { remind: '3', at: 5000 },
    ]);
    expect(storage.timers.count('reminder')).toBe(0);
  });

  it('fire again after a failed commit: the deletion and the outputs are one unit', async () => {
    let failing = false;
    const faults = new CommitFaults(({ kind }) => {
      if (failing && kind === 'batch') throw new Error('injected commit failure');
    });
    const storage = faults.wrap(openMemoryStorage({ now: faults.now }));
    const at = { t: 0 };
    await storage.log.append('in', [{ event: { id: 7, after: 10 } }]);
    await runOnce(storage, fixedClock(at));
    at.t = 100;
    failing = true;
    await expect(runOnce(storage, fixedClock(at))).rejects.toThrow(/injected commit failure/);
    expect(out(storage)).toEqual([]);
    expect(storage.timers.get('reminder', '7')).toBe(10);
    failing = false;
    await runOnce(storage, fixedClock(at));
    expect(out(storage)).toEqual([{ remind: '7', at: 100 }]);
    expect(storage.timers.count('reminder')).toBe(0);
  });

  it('fire once, as a dead letter, when the spell cannot run them (its init failed): no timer comes due forever', async () => {
    const storage = openMemoryStorage();
    const at = { t: 0 };
    await storage.log.append('in', [{ event: { id: 9, after: 10 } }]);
    await runOnce(storage, fixedClock(at));
    at.t = 100;
    const failing = runeset().replace('reminder: { file: reminder.lua }', 'reminder: { file: reminder.lua, runes: { fail: true } }');
    const dir = tempDir({
      'reminder.lua': reminder.replace('local s = {}', 'local s = {}\nfunction s.init(r) if r.fail then error("init fails") end end'),
      'dedup.lua': dedup,
      'r.yaml': failing,
    });
    const opened = await openRuneset(await loadRunesetOrThrow(`${dir}/r.yaml`), { storage, logger: () => {}, clock: fixedClock(at) });
    await opened.run({ stdio: quiet() });
    const letters = storage.log.read('dead-letters', 1, 100).map((e) => e.event as { code: string; hook: string; event?: unknown });
    expect(letters.map((l) => [l.code, l.hook, l.event])).toEqual([
      ['SPELL_RUNTIME', 'init', null],
      ['SPELL_INIT_FAILED', 'timer', { timer: '9' }],
    ]);
    expect(storage.timers.count('reminder')).toBe(0);
  });

  it('wake an idle consumer: a timer fires while the input waits, on the wall clock', async () => {
    const storage = openMemoryStorage();
    // stdin feeds an in-memory stream that a pass-through pipeline copies into the durable one, so
    // that the run lasts as long as stdin is open.
    const pass = 'local s = {}\nfunction s.cast(e) return e end\nreturn s';
    const yaml = runeset('  copy: { from: raw, steps: [pass], to: in }\nsources:\n  live: { type: stdin, to: raw }\n')
      .replace('streams:\n', 'streams:\n  raw: {}\n')
      .replace('spells:\n', 'spells:\n  pass: { file: pass.lua }\n');
    const dir = tempDir({ 'reminder.lua': reminder, 'dedup.lua': dedup, 'pass.lua': pass, 'r.yaml': yaml });
    const opened = await openRuneset(await loadRunesetOrThrow(`${dir}/r.yaml`), { storage, logger: () => {}, pollMs: 60_000 });
    const stdin = new PassThrough();
    const reminded = firstValueFrom(opened.graph.stream('out').pipe(filter((e) => (e as { remind?: string }).remind === '1')));
    const running = opened.run({ stdio: { ...quiet(), stdin } });
    stdin.write('{"id":1,"after":50}\n');
    // The input stays open: only the clock can wake the consumer for the timer.
    expect(await reminded).toMatchObject({ remind: '1' });
    stdin.end();
    await running;
    expect(out(storage)).toEqual([expect.objectContaining({ remind: '1' })]);
  });
});

describe('state with a time to live', () => {
  it('is hidden once expired, and swept away by a later batch (the deletes commit with it)', async () => {
    const storage = openMemoryStorage();
    const at = { t: 0 };
    const yaml = runeset().replace(
      'pipelines:\n  remind: { from: in, steps: [reminder], to: out }',
      'pipelines:\n  dedup: { from: in, steps: [dedup], to: out }',
    );
    await storage.log.append(
      'in',
      ['a', 'b', 'a'].map((id) => ({ event: { id } })),
    );
    await runOnce(storage, fixedClock(at), yaml);
    expect(out(storage)).toEqual([{ id: 'a' }, { id: 'b' }]);
    expect(storage.state.expired('dedup', 1000, 10)).toEqual(['a', 'b']);
    at.t = 1000; // both expired: 'a' passes again, and the sweep deletes 'b'
    await storage.log.append('in', [{ event: { id: 'a' } }]);
    await runOnce(storage, fixedClock(at), yaml);
    expect(out(storage)).toEqual([{ id: 'a' }, { id: 'b' }, { id: 'a' }]);
    expect(storage.state.get('dedup', 'b')).toBeUndefined();
    expect(storage.state.get('dedup', 'a')).toBe(true);
    expect(storage.state.expired('dedup', 1e12, 10)).toEqual(['a']);
  });
});
