/** State, timers and ticks of a spell summoned from the TypeScript API (`summon(file, { state: spellState(...) })`), composed with RxJS. */
import { describe, expect, it } from 'vitest';
import { Subject, concat, from, lastValueFrom, of, take, throwError, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import {
  openMemoryStorage,
  openSqliteStorage,
  schedulerClock,
  spellState,
  summon,
  summonSource,
  type CommitBatch,
  type EventValue,
  type Storage,
} from '../../src/index.js';
import { StateSession } from '../../src/runtime/state-library.js';
import { tempDir } from '../helpers.js';

/**
 * Counts events per user in `state`; a user silent for 2 s gets a timer that emits their count and
 * forgets them; a tick every second says when; `finish` says when the input ended.
 */
const SESSIONS = `
local spell = {}
function spell.cast(e)
  state.put(e.user, (state.get(e.user) or 0) + 1)
  timers.set(e.user, sanctum.now() + 2000)
end
function spell.timer(user, now, emit)
  emit({ user = user, events = state.get(user), at = now })
  state.delete(user)
end
function spell.tick(now, emit)
  emit({ tick = now })
end
function spell.finish(emit)
  emit({ finished = sanctum.now() })
end
return spell
`;

/** A storage that counts its commits. */
function counting(storage: Storage): Storage & { commits: CommitBatch[] } {
  const commits: CommitBatch[] = [];
  return Object.assign(Object.create(storage) as Storage, {
    commits,
    commitBatch(batch: CommitBatch) {
      commits.push(batch);
      return storage.commitBatch(batch);
    },
  });
}

const newScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('a summoned spell with state, timers and ticks, as an RxJS operator', () => {
  it('in virtual time: ticks every second, the timer at its instant, the last tick then finish when the input completes', async () => {
    const storage = openMemoryStorage();
    const spell = await summonSource(SESSIONS, { name: 'sessions', state: spellState({ storage }), tick: 1000 });
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const input = cold<EventValue>('a 499ms b 999ms c 1499ms |', { a: { user: 'u' }, b: { user: 'u' }, c: { user: 'v' } });
      //                           0     500         1500       3000
      const out = input.pipe(spell.operator({ clock: schedulerClock(scheduler) }));
      expectObservable(out).toBe('1s t 999ms u 499ms x 499ms (wf|)', {
        t: { tick: 1000 },
        u: { tick: 2000 },
        x: { user: 'u', events: 2, at: 2500 }, // 2 s after u's last event
        w: { tick: 3000 },
        f: { finished: 3000 },
      });
      expectSubscriptions(input.subscriptions).toBe('^ 2999ms !');
    });
    // The run committed: u was forgotten by its timer, v is counted and its timer pending (due at 3500).
    expect(storage.state.get('sessions', 'u')).toBeUndefined();
    expect(storage.state.get('sessions', 'v')).toBe(1);
    expect(storage.timers.due('sessions', Number.MAX_SAFE_INTEGER, 100).map((t) => [t.key, t.at])).toEqual([['v', 3500]]);
  });

  it('state with a time to live expires on the operator’s clock: the bundled dedup spell in virtual time', async () => {
    const storage = openMemoryStorage();
    const dedup = await summon('spells/dedup.lua', { runes: { ttl: '1s' }, state: spellState({ storage }) });
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const a = { id: 'a' };
      // a at 0 goes on and is kept for 1 s; again at 500 ms, a repeat; at 1.5 s, its time to live has ended.
      expectObservable(cold('a 499ms a 999ms a|', { a }).pipe(dedup.operator({ clock: schedulerClock(scheduler) }))).toBe('a 1499ms a|', { a });
    });
    // The put at 1.5 s committed with its expiry on the virtual clock.
    expect(storage.state.get('dedup', 'a', 2499)).toBe(true);
    expect(storage.state.get('dedup', 'a', 2500)).toBeUndefined();
  });

  it('keeps state and timers across two summons over the same SQLite storage: the second run fires the first run’s timer', async () => {
    const dir = tempDir();
    const run = async (marbles: string, values: Record<string, EventValue>, expected: string, expectedValues: Record<string, EventValue>) => {
      const storage = openSqliteStorage({ dir, synchronous: 'NORMAL' });
      try {
        const spell = await summonSource(SESSIONS, { name: 'sessions', state: spellState({ storage }) });
        const scheduler = newScheduler();
        scheduler.run(({ cold, expectObservable }) => {
          expectObservable(cold<EventValue>(marbles, values).pipe(spell.operator({ clock: schedulerClock(scheduler) }))).toBe(expected, expectedValues);
        });
      } finally {
        storage.close();
      }
    };
    // First run: u twice and w once (their timers due at 2001 and 2003); the input ends first.
    await run('ab-c|', { a: { user: 'u' }, b: { user: 'u' }, c: { user: 'w' } }, '----(f|)', { f: { finished: 4 } });
    // Second run, as a new process: w once more, its count going on from the first run's (its timer
    // moved to 2000), and u's timer from the first run fires at its instant with u's count.
    await run('a 2999ms |', { a: { user: 'w' } }, '2s x y 998ms (f|)', {
      x: { user: 'w', events: 2, at: 2000 },
      y: { user: 'u', events: 2, at: 2001 },
      f: { finished: 3000 },
    });
    const storage = openSqliteStorage({ dir });
    try {
      // Both timers fired, and their deletions (of the state and the timers) committed.
      expect([storage.state.get('sessions', 'u'), storage.state.get('sessions', 'w'), storage.timers.count('sessions')]).toEqual([undefined, undefined, 0]);
    } finally {
      storage.close();
    }
  });

  it('commits once per synchronous burst of events, at once beyond 1000 pending changes, and when the subscription ends', async () => {
    const storage = counting(openMemoryStorage());
    const counter = await summonSource('local s = {} function s.cast(e) state.put(e.k, (state.get(e.k) or 0) + 1); return e end return s', {
      name: 'counter',
      state: spellState({ storage }),
    });
    // A synchronous source of 2500 keys: commits at 1000 and 2000 pending, then the rest as it completes.
    await lastValueFrom(from(Array.from({ length: 2500 }, (_, i) => ({ k: `k${i}` }))).pipe(counter, toArray()));
    expect(storage.commits.map((c) => c.state?.length)).toEqual([1000, 1000, 500]);
    expect(storage.state.get('counter', 'k2499')).toBe(1);

    // Events in separate turns: the writes of each burst commit once it is over (a microtask later).
    storage.commits.length = 0;
    const input = new Subject<EventValue>();
    const sub = input.pipe(counter).subscribe();
    input.next({ k: 'a' });
    input.next({ k: 'a' });
    input.next({ k: 'b' });
    expect(storage.commits).toEqual([]); // held until the burst is over
    await Promise.resolve();
    expect(storage.commits.map((c) => c.state?.map((s) => [s.key, s.value]))).toEqual([
      [
        ['a', 2],
        ['b', 1],
      ],
    ]);
    input.next({ k: 'a' });
    sub.unsubscribe(); // an unsubscribe keeps what the casts before it wrote
    expect(storage.state.get('counter', 'a')).toBe(3);

    // A synchronous take(2) downstream stops the source: the two casts' writes commit all the same.
    await lastValueFrom(from([{ k: 'x' }, { k: 'x' }, { k: 'x' }]).pipe(counter, take(2), toArray()), { defaultValue: [] });
    expect(storage.state.get('counter', 'x')).toBe(2);

    // An upstream error: what the casts before it wrote commits too, and the error goes on.
    await expect(
      lastValueFrom(
        concat(
          of({ k: 'y' }),
          throwError(() => new Error('upstream')),
        ).pipe(counter),
      ),
    ).rejects.toThrow('upstream');
    expect(storage.state.get('counter', 'y')).toBe(1);
  });

  it('a failing cast’s writes and timers are undone, the others commit; without `state` the spell has no state library', async () => {
    const storage = openMemoryStorage();
    const spell = await summonSource(
      `local s = {}
       function s.cast(e) state.put(e.k, true); timers.set(e.k, 10); if e.bad then error("bad " .. e.k) end end
       function s.timer() end
       return s`,
      { name: 'undo', state: spellState({ storage }), logger: () => {} },
    );
    const dead: string[] = [];
    await lastValueFrom(from([{ k: 'a' }, { k: 'b', bad: true }]).pipe(spell.operator({ deadLetters: (d) => dead.push(d.error.luaMessage) }), toArray()));
    expect(dead).toEqual(['bad b']);
    expect(storage.state.get('undo', 'a')).toBe(true);
    expect(storage.state.get('undo', 'b')).toBeUndefined();
    // a's timer, due at 10 (long past on the wall clock), fired before finish; b's was never set.
    expect(storage.timers.due('undo', Number.MAX_SAFE_INTEGER, 100)).toEqual([]);

    const bare = await summonSource('local s = {} function s.cast(e) state.put("k", 1) end return s', { name: 'bare', logger: () => {} });
    const bareDead: string[] = [];
    await lastValueFrom(from([{}]).pipe(bare.operator({ deadLetters: (d) => bareDead.push(d.error.luaMessage) }), toArray()));
    expect(bareDead[0]).toMatch(/state/);
  });

  it('a failing cast that wrote a key several times leaves it as it was before the cast, its expiry included', async () => {
    const storage = openMemoryStorage();
    const spell = await summonSource(
      `local s = {}
       function s.cast(e)
         if e.ttl then state.put(e.k, e.v, { ttl = e.ttl }) else state.put(e.k, e.v) end
         if e.again then
           state.put(e.k, "x"); state.delete(e.k); state.put(e.k, "y", { ttl = 5 })
           state.put("new", 1); state.put("new", 2)
         end
         if e.fail then error("after writing") end
       end
       return s`,
      { name: 'u', logger: () => {} },
    );
    const session = new StateSession(storage.state, 'u', [], { now: () => 1000 });
    const caster = spell.open(session.casterOptions());
    const failures = caster.castBatch(
      [
        { k: 'a', v: 1, ttl: 50 },
        { k: 'b', v: 2 },
        { k: 'a', v: 3, again: true, fail: true },
        { k: 'b', v: 4, ttl: 9, again: true, fail: true },
        { k: 'c', v: 5, again: true, fail: true },
      ],
      () => {},
    );
    expect(failures.map((f) => f.luaMessage)).toEqual([
      expect.stringContaining('after writing'),
      expect.stringContaining('after writing'),
      expect.stringContaining('after writing'),
    ]);
    expect(session.takeChanges().state).toEqual([
      { ns: 'u', key: 'a', value: 1, expiresAt: 1050 },
      { ns: 'u', key: 'b', value: 2 },
    ]);
    caster.close();
  });

  it('a value lives at least its ttl, a fraction of a ms included (its expiry is rounded up)', async () => {
    const storage = openMemoryStorage();
    const spell = await summonSource(
      `local s = {}
       function s.cast(e, emit)
         state.put(e.k, 1, { ttl = e.ttl })
         emit({ k = e.k, seen = state.get(e.k) ~= nil })
       end
       return s`,
      { name: 'ttl', logger: () => {} },
    );
    const at = { t: 1000.25 };
    const session = new StateSession(storage.state, 'ttl', [], { now: () => at.t });
    const caster = spell.open(session.casterOptions());
    const out: unknown[] = [];
    caster.castBatch(
      [
        { k: 'half', ttl: 0.5 },
        { k: 'two', ttl: 1.5 },
      ],
      (e) => out.push(e),
    );
    expect(out).toEqual([
      { k: 'half', seen: true },
      { k: 'two', seen: true },
    ]);
    expect(session.takeChanges().state).toEqual([
      { ns: 'ttl', key: 'half', value: 1, expiresAt: 1001 },
      { ns: 'ttl', key: 'two', value: 1, expiresAt: 1002 },
    ]);
    caster.close();
  });

  it('a store that fails to commit errors the stream with its error', async () => {
    const failing = Object.assign(Object.create(openMemoryStorage()) as Storage, {
      commitBatch() {
        throw new Error('disk full');
      },
    });
    const spell = await summonSource('local s = {} function s.cast(e) state.put("k", 1) end return s', {
      name: 'full',
      state: spellState({ storage: failing }),
    });
    await expect(lastValueFrom(from([{}]).pipe(spell, toArray()))).rejects.toThrow('disk full');
  });
});
