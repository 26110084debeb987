/** Marble spec of the spell operator (src/spellcraft/spell.ts): the RxJS operator checklist, with subscriptions. */
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { summon, type DeadLetter, type EventValue, type Spell } from '../../src/index.js';
import { spellTests } from '../../src/testing.js';

// checklist.lua: an event's fields say what its cast does (emit `v`, also to `side`, fail, return nothing);
// finish emits how many events it saw.
let spell: Spell;
beforeAll(async () => {
  spell = await summon('marble-tests/spellcraft/checklist.lua', { logger: () => {} });
});

let testScheduler: TestScheduler;
beforeEach(() => {
  testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
});

const values = {
  a: { v: 1 },
  b: { v: 2 },
  c: { v: 3 },
  s: { v: 4, side: true },
  f: { fail: true },
  n: { nothing: true },
};
const outputs = {
  a: { v: 1 },
  b: { v: 2 },
  c: { v: 3 },
  s: { v: 4 },
};
const seen = (n: number) => ({ seen: n });

describe('spell operator', () => {
  it('casts one value, and finish emits when the input completes', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  a|', values);
      const e1subs = '   ^!';
      const expected = ' a(r|)';

      expectObservable(e1.pipe(spell)).toBe(expected, { ...outputs, r: seen(1) });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('casts many values in order, at their frames', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  a-b--c|', values);
      const e1subs = '   ^-----!';
      const expected = ' a-b--c(r|)';

      expectObservable(e1.pipe(spell)).toBe(expected, { ...outputs, r: seen(3) });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('handles an empty input: finish still runs', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  |');
      const e1subs = '   (^!)';
      const expected = ' (r|)';

      expectObservable(e1.pipe(spell)).toBe(expected, { r: seen(0) });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('handles a never-ending input: no finish, never unsubscribed', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a---', values);
      const e1subs = '   ^----';
      const expected = ' -a---';

      expectObservable(e1.pipe(spell)).toBe(expected, outputs);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('handles never', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -');
      const e1subs = '   ^';
      const expected = ' -';

      expectObservable(e1.pipe(spell)).toBe(expected);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('passes an upstream error through unchanged, without finish', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const upstream = new Error('upstream');
      const e1 = cold('  a-#', values, upstream);
      const e1subs = '   ^-!';
      const expected = ' a-#';

      expectObservable(e1.pipe(spell)).toBe(expected, outputs, upstream);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('stops casting on early unsubscribe, and unsubscribes its input', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  a-b-c-|', values);
      const e1subs = '   ^--!   ';
      const unsub = '    ---!   ';
      const expected = ' a-b-   ';

      expectObservable(e1.pipe(spell), unsub).toBe(expected, outputs);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('unsubscribes its input at once when take(1) completes downstream', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  -a-b-c-|', values);
      const e1subs = '   ^!      ';
      const expected = ' -(a|)   ';

      expectObservable(e1.pipe(spell, take(1))).toBe(expected, outputs);
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('emits a cast that emits twice at one frame, the port before the default port', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const side: EventValue[] = [];
      const e1 = cold('  a-s--|', values);
      const e1subs = '   ^----!';
      const expected = ' a-s--(r|)';

      expectObservable(e1.pipe(spell.operator({ ports: { side: (e) => side.push(e) } }))).toBe(expected, { ...outputs, r: seen(2) });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
      testScheduler.schedule(() => expect(side).toEqual([{ v: 4 }]), 3);
    });
  });

  it('routed(): every port and dead letter in one stream, at their frames', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  s---f---|', values);
      const e1subs = '   ^-------!';
      const expected = ' (xy)d---(r|)';

      expectObservable(e1.pipe(spell.routed())).toBe(expected, {
        x: { kind: 'event', port: 'side', event: { v: 4 } },
        y: { kind: 'event', port: 'out', event: { v: 4 } },
        d: { kind: 'dead-letter', deadLetter: expect.objectContaining({ event: { fail: true }, error: expect.objectContaining({ code: 'SPELL_RUNTIME' }) }) },
        r: { kind: 'event', port: 'out', event: seen(2) },
      });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });
});

describe('spell operator: Lua throws', () => {
  it('dead-letter (the default): the event goes to the dead letters, the stream goes on', () => {
    const dead: DeadLetter[] = [];
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  a-f-c|', values);
      const e1subs = '   ^----!';
      const expected = ' a---c(r|)';

      expectObservable(e1.pipe(spell.operator({ deadLetters: (dl) => dead.push(dl) }))).toBe(expected, { ...outputs, r: seen(3) });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
    expect(dead).toHaveLength(1);
    expect(dead[0]!.error).toMatchObject({ code: 'SPELL_RUNTIME', line: 8, luaMessage: 'asked to fail' });
    expect(dead[0]!.event).toEqual({ fail: true });
  });

  it('skip: the event is dropped', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  a-f-c|', values);
      const e1subs = '   ^----!';
      const expected = ' a---c(r|)';

      expectObservable(e1.pipe(spell.operator({ onError: 'skip' }))).toBe(expected, { ...outputs, r: seen(3) });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('stop: the stream errors with the SpellError at that frame and unsubscribes its input', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  a-f-c|', values);
      const e1subs = '   ^-!    ';
      const expected = ' a-#    ';

      expectObservable(e1.pipe(spell.operator({ onError: 'stop' }))).toBe(
        expected,
        outputs,
        expect.objectContaining({ code: 'SPELL_RUNTIME', line: 8, hook: 'cast', luaMessage: 'asked to fail', event: { fail: true } }),
      );
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });
});

describe('spell operator: Lua returns nothing', () => {
  it('emits nothing for that event', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  n-b-n|', values);
      const e1subs = '   ^----!';
      const expected = ' --b--(r|)';

      expectObservable(e1.pipe(spell)).toBe(expected, { ...outputs, r: seen(3) });
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });
});

describe('spell operator: a callback that throws', () => {
  const boom = new Error('target is down');

  it('a port target: the cast delivers its other outputs, then the stream errors with CALLBACK_FAILED', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  a-s-c|', values);
      const e1subs = '   ^-!    ';
      const expected = ' a-(s#) ';

      const op = spell.operator({
        ports: {
          side: () => {
            throw boom;
          },
        },
      });
      expectObservable(e1.pipe(op)).toBe(
        expected,
        outputs,
        expect.objectContaining({ code: 'CALLBACK_FAILED', callback: 'port', port: 'side', value: { v: 4 }, cause: boom }),
      );
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });

  it('a deadLetters target: the stream errors with CALLBACK_FAILED, the dead letter in the error', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = cold('  a-f-c|', values);
      const e1subs = '   ^-!    ';
      const expected = ' a-#    ';

      const op = spell.operator({
        deadLetters: () => {
          throw boom;
        },
      });
      expectObservable(e1.pipe(op)).toBe(
        expected,
        outputs,
        expect.objectContaining({ code: 'CALLBACK_FAILED', callback: 'dead-letters', value: expect.objectContaining({ event: { fail: true } }), cause: boom }),
      );
      expectSubscriptions(e1.subscriptions).toBe(e1subs);
    });
  });
});

// The same checklist as a YAML spell test, as far as YAML can say it (no callbacks there).
spellTests('marble-tests/spellcraft/checklist.test.yaml');
