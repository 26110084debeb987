/** The operator contract: upstream chained to the destination (take(n) pulls n), one caster per subscription closed once, finish on complete only. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Observable, Subject, from, lastValueFrom, map, range, take, tap, throwError, toArray, concat, NEVER, of } from 'rxjs';
import { summonSource, type EventValue, type Spell, type SpellLogEntry } from '../../src/index.js';
import { SpellCaster } from '../../src/spellcraft/caster.js';
import { UpstreamSubscriber, operate } from '../../src/spellcraft/operate.js';

const ECHO = 'local s = {}\nfunction s.cast(e, emit) emit(e) end\nreturn s\n';
// Two outputs per event, one on the default port and one on `side`.
const TWICE = 'local s = {}\nfunction s.cast(e, emit) emit(e, "side") emit(e) end\nreturn s\n';
const FINISH = 'local s = {}\nfunction s.cast(e, emit) emit(e) end\nfunction s.finish(emit) log.info("finish") emit("done") end\nreturn s\n';

/** Values pulled before a safety stop: far more than any test takes, so "endless" in practice. */
const SAFETY = 1_000_000;

/** A synchronous generator that never ends by itself; `pulled()` says how many values it gave. */
function endless() {
  let pulled = 0;
  function* gen() {
    for (;;) {
      if (pulled >= SAFETY) throw new Error(`pulled ${SAFETY} values: the operator did not unsubscribe its source`);
      yield { n: pulled++ };
    }
  }
  return { values: gen(), pulled: () => pulled };
}

const quiet = { logger: () => {} };

describe('a spell operator stops a synchronous source as soon as downstream unsubscribes', () => {
  let spell: Spell;
  const variants: [string, string, (s: Spell) => (source: Observable<unknown>) => Observable<unknown>][] = [
    ['the spell', ECHO, (s) => s],
    ['operator() with ports', TWICE, (s) => s.operator({ ports: { side: () => {} } })],
    ['routed()', TWICE, (s) => s.routed()],
  ];

  it.each(variants)('%s: range(0, 2e6) then take(1) pulls one value', async (_name, source, op) => {
    spell = await summonSource(source, quiet);
    let pulls = 0;
    const out = await lastValueFrom(
      range(0, 2e6).pipe(
        tap(() => pulls++),
        map((n) => ({ n })),
        op(spell),
        take(1),
        toArray(),
      ),
    );
    expect(out).toHaveLength(1);
    expect(pulls).toBe(1);
  });

  it.each(variants)('%s: an endless synchronous generator then take(4) returns after the casts it needs', async (_name, source, op) => {
    spell = await summonSource(source, quiet);
    const input = endless();
    const out = await lastValueFrom(from(input.values).pipe(op(spell), take(4), toArray()));
    expect(out).toHaveLength(4);
    // routed() emits two outputs per cast, so it needs two casts for four.
    expect(input.pulled()).toBe(source === TWICE && _name === 'routed()' ? 2 : 4);
  });

  it('take(n) pulls exactly n, for several n', async () => {
    spell = await summonSource(ECHO, quiet);
    for (const n of [1, 2, 17, 1000]) {
      let pulls = 0;
      const out = await lastValueFrom(
        range(0, 2e6).pipe(
          tap(() => pulls++),
          spell,
          take(n),
          toArray(),
        ),
      );
      expect([out.length, pulls]).toEqual([n, n]);
    }
  });

  it('a stop failure stops the source at once too', async () => {
    spell = await summonSource('local s = {}\nfunction s.cast(e) if e.n == 2 then error("two") end return e end\nreturn s\n', quiet);
    const source = endless();
    const err = await lastValueFrom(from(source.values).pipe(spell.operator({ onError: 'stop' }))).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SPELL_RUNTIME', luaMessage: 'two' });
    expect(source.pulled()).toBe(3);
  });
});

describe('one caster per subscription, closed exactly once', () => {
  afterEach(() => vi.restoreAllMocks());

  /** Summons a spell that counts the casters it opens (each gets its own caster options). */
  async function counted(source: string) {
    let opened = 0;
    const logs: SpellLogEntry[] = [];
    const spell = await summonSource(source, {
      logger: (e) => logs.push(e),
      caster: () => {
        opened++;
        return {};
      },
    });
    const closeSpy = vi.spyOn(SpellCaster.prototype, 'close');
    // summon compiled the spell once with a caster of its own, closed before the spy was set.
    return { spell, logs, opened: () => opened - 1, closed: () => closeSpy.mock.calls.length };
  }

  it.each([
    ['the source completes', () => of({ a: 1 }, { a: 2 }), 'complete'],
    [
      'the source errors',
      () =>
        concat(
          of({ a: 1 }),
          throwError(() => new Error('upstream')),
        ),
      'error',
    ],
    ['take(1) unsubscribes synchronously', () => range(0, 10).pipe(map((n) => ({ n }))), 'take'],
  ] as const)('when %s', async (_what, source, how) => {
    const c = await counted(FINISH);
    const run = how === 'take' ? source().pipe(c.spell, take(1)) : source().pipe(c.spell);
    await lastValueFrom(run.pipe(toArray())).catch(() => {});
    expect(c.opened()).toBe(1);
    expect(c.closed()).toBe(1);
    expect(c.spell.memoryUsed()).toBe(0);
  });

  it('when the subscriber unsubscribes, and again when unsubscribed twice', async () => {
    const c = await counted(FINISH);
    const sub = NEVER.pipe(c.spell).subscribe();
    expect(c.opened()).toBe(1);
    expect(c.spell.memoryUsed()).toBeGreaterThan(0);
    sub.unsubscribe();
    sub.unsubscribe();
    expect(c.closed()).toBe(1);
    expect(c.spell.memoryUsed()).toBe(0);
  });

  it('each subscription opens its own caster', async () => {
    const c = await counted('local n = 0\nlocal s = {}\nfunction s.cast(e) n = n + 1 return { n = n } end\nreturn s\n');
    const input = new Subject<EventValue>();
    const seen: EventValue[][] = [[], []];
    const subs = [0, 1].map((i) => input.pipe(c.spell).subscribe((e) => seen[i]!.push(e)));
    input.next({});
    input.next({});
    expect(seen).toEqual([
      [{ n: 1 }, { n: 2 }],
      [{ n: 1 }, { n: 2 }],
    ]);
    expect(c.opened()).toBe(2);
    subs[0]!.unsubscribe();
    expect(c.closed()).toBe(1);
    input.complete();
    expect(c.closed()).toBe(2);
    subs[1]!.unsubscribe();
    expect(c.closed()).toBe(2);
  });

  it('when init fails under stop: the stream errors, the source is never subscribed', async () => {
    const c = await counted('local s = {}\nfunction s.init() error("no") end\nfunction s.cast(e) return e end\nreturn s\n');
    let subscribed = 0;
    const source = new Observable<EventValue>(() => {
      subscribed++;
    });
    const err = await lastValueFrom(source.pipe(c.spell.operator({ onError: 'stop' }))).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SPELL_RUNTIME', hook: 'init' });
    expect(subscribed).toBe(0);
    expect([c.opened(), c.closed()]).toEqual([1, 1]);
  });

  it('when a cast fails under stop', async () => {
    const c = await counted('local s = {}\nfunction s.cast(e) error("no") end\nreturn s\n');
    await lastValueFrom(of({}).pipe(c.spell.operator({ onError: 'stop' }))).catch(() => {});
    expect([c.opened(), c.closed()]).toEqual([1, 1]);
  });
});

describe('finish runs when the source completes, and only then', () => {
  async function finishes(run: (spell: Spell) => Promise<unknown>) {
    const logs: SpellLogEntry[] = [];
    const spell = await summonSource(FINISH, { logger: (e) => logs.push(e) });
    await run(spell).catch(() => {});
    return logs.filter((l) => l.message === 'finish').length;
  }

  it('on complete: finish runs once and its output comes before completion', async () => {
    let out: EventValue[] = [];
    expect(await finishes(async (s) => (out = await lastValueFrom(of({ a: 1 }).pipe(s, toArray()))))).toBe(1);
    expect(out).toEqual([{ a: 1 }, 'done']);
  });

  it('not when the source errors', async () => {
    expect(
      await finishes((s) =>
        lastValueFrom(
          concat(
            of({ a: 1 }),
            throwError(() => new Error('x')),
          ).pipe(s),
        ),
      ),
    ).toBe(0);
  });

  it('not when downstream unsubscribes early', async () => {
    expect(await finishes((s) => lastValueFrom(of({ a: 1 }, { a: 2 }).pipe(s, take(1))))).toBe(0);
  });
});

describe('operate() and UpstreamSubscriber', () => {
  const double = operate<number, number>((source, destination) => {
    source.subscribe(new UpstreamSubscriber(destination, { next: (n) => destination.next(n * 2) }));
  });

  it('chains upstream to the destination: take(2) pulls two', async () => {
    let pulls = 0;
    expect(
      await lastValueFrom(
        range(0, 2e6).pipe(
          tap(() => pulls++),
          double,
          take(2),
          toArray(),
        ),
      ),
    ).toEqual([0, 2]);
    expect(pulls).toBe(2);
  });

  it('turns what a handler throws into an error of the stream, and unsubscribes upstream', async () => {
    let pulls = 0;
    const boom = operate<number, number>((source, destination) => {
      source.subscribe(
        new UpstreamSubscriber(destination, {
          next: (n) => {
            if (n === 1) throw new Error('handler');
            destination.next(n);
          },
        }),
      );
    });
    const seen: number[] = [];
    const err = await new Promise((resolve) =>
      range(0, 2e6)
        .pipe(
          tap(() => pulls++),
          boom,
        )
        .subscribe({ next: (n) => seen.push(n), error: resolve }),
    );
    expect(err).toMatchObject({ message: 'handler' });
    expect(seen).toEqual([0]);
    expect(pulls).toBe(2);
  });

  it('errors the stream with what init throws', async () => {
    const broken = operate<number, number>(() => {
      throw new Error('init');
    });
    await expect(lastValueFrom(of(1).pipe(broken))).rejects.toThrow('init');
  });

  it('runs finalize once, after upstream teardown, however the subscription ends', () => {
    const order: string[] = [];
    const source = new Observable<number>(() => () => order.push('upstream teardown'));
    const op = operate<number, number>((src, destination) => {
      src.subscribe(new UpstreamSubscriber(destination, { next: () => {}, finalize: () => order.push('finalize') }));
    });
    const sub = source.pipe(op).subscribe();
    sub.unsubscribe();
    sub.unsubscribe();
    expect(order).toEqual(['upstream teardown', 'finalize']);
  });
});
