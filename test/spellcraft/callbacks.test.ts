/** User callbacks that throw (a port's target, a deadLetters target, a logger): the stream errors with CALLBACK_FAILED, nothing is lost or escapes. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { config, from, lastValueFrom, Subject, toArray, type Observable } from 'rxjs';
import { summonSource, type DeadLetter, type EventValue } from '../../src/index.js';
import { CallbackError } from '../../src/spellcraft/errors.js';

// Three outputs per event: `side`, the default port, `audit`.
const FAN =
  'local s = {}\nfunction s.cast(e, emit)\n  if e.bad then error("bad event") end\n  emit({ to = "side", n = e.n }, "side")\n  emit({ to = "out", n = e.n })\n  emit({ to = "audit", n = e.n }, "audit")\nend\nreturn s\n';

/** Runs a pipe to its end; returns what was delivered and how it ended. */
function run(source: EventValue[], op: (s: Observable<EventValue>) => Observable<EventValue>) {
  const out: EventValue[] = [];
  return new Promise<{ out: EventValue[]; error?: unknown; completed: boolean }>((resolve) => {
    op(from(source)).subscribe({
      next: (e) => out.push(e),
      error: (error: unknown) => resolve({ out, error, completed: false }),
      complete: () => resolve({ out, completed: true }),
    });
  });
}

// Whatever escapes a pipe lands here (RxJS reports it asynchronously): it must stay empty.
const escaped: unknown[] = [];
beforeEach(() => {
  escaped.length = 0;
  config.onUnhandledError = (e) => escaped.push(e);
});
afterEach(() => {
  config.onUnhandledError = null;
});

describe('a port target that throws', () => {
  it('errors the stream with CALLBACK_FAILED after the cast delivered its other outputs', async () => {
    const spell = await summonSource(FAN);
    const audit: EventValue[] = [];
    const boom = new Error('side is down');
    const r = await run([{ n: 1 }, { n: 2 }], (s) =>
      s.pipe(
        spell.operator({
          ports: {
            side: () => {
              throw boom;
            },
            audit: (e) => audit.push(e),
          },
        }),
      ),
    );
    // The cast of event 1 succeeded: its default-port and audit outputs are delivered; event 2 is never cast.
    expect(r.out).toEqual([{ to: 'out', n: 1 }]);
    expect(audit).toEqual([{ to: 'audit', n: 1 }]);
    expect(r.completed).toBe(false);
    expect(r.error).toBeInstanceOf(CallbackError);
    expect(r.error).toMatchObject({ code: 'CALLBACK_FAILED', spell: 'inline', callback: 'port', port: 'side', value: { to: 'side', n: 1 }, cause: boom });
    expect((r.error as Error).message).toMatch(/port 'side' of spell 'inline' threw: side is down/);
    expect(escaped).toEqual([]);
    expect(spell.memoryUsed()).toBe(0);
  });

  it('an observer target that throws is the same', async () => {
    const spell = await summonSource(FAN);
    const r = await run([{ n: 1 }], (s) =>
      s.pipe(
        spell.operator({
          ports: {
            side: { next: () => {} },
            audit: {
              next: () => {
                throw new Error('audit');
              },
            },
          },
        }),
      ),
    );
    expect(r.out).toEqual([{ to: 'out', n: 1 }]);
    expect(r.error).toMatchObject({ code: 'CALLBACK_FAILED', port: 'audit' });
    expect(escaped).toEqual([]);
  });

  it('in finish: the stream errors instead of completing', async () => {
    const spell = await summonSource('local s = {}\nfunction s.cast() end\nfunction s.finish(emit) emit(1, "side") emit(2) end\nreturn s\n');
    const r = await run([{}], (s) =>
      s.pipe(
        spell.operator({
          ports: {
            side: () => {
              throw new Error('no');
            },
          },
        }),
      ),
    );
    expect(r.out).toEqual([2]);
    expect(r.completed).toBe(false);
    expect(r.error).toMatchObject({ code: 'CALLBACK_FAILED', port: 'side', value: 1 });
  });
});

describe('a deadLetters target that throws', () => {
  it('errors the stream with CALLBACK_FAILED carrying the dead letter', async () => {
    const spell = await summonSource(FAN);
    const boom = new Error('dead letters are down');
    const r = await run([{ n: 1 }, { n: 2, bad: true }, { n: 3 }], (s) =>
      s.pipe(
        spell.operator({
          ports: { side: () => {}, audit: () => {} },
          deadLetters: () => {
            throw boom;
          },
        }),
      ),
    );
    expect(r.out).toEqual([{ to: 'out', n: 1 }]);
    expect(r.error).toMatchObject({ code: 'CALLBACK_FAILED', callback: 'dead-letters', cause: boom });
    const dl = (r.error as CallbackError).value as DeadLetter;
    expect(dl.error).toMatchObject({ code: 'SPELL_RUNTIME', luaMessage: 'bad event' });
    expect(dl.event).toEqual({ n: 2, bad: true });
    expect(escaped).toEqual([]);
    expect(spell.stats).toMatchObject({ failed: 1, deadLettered: 0 });
  });

  it('when init failed: the stream errors before the source is cast', async () => {
    const spell = await summonSource('local s = {}\nfunction s.init() error("no config") end\nfunction s.cast(e) return e end\nreturn s\n');
    const r = await run([{ n: 1 }], (s) =>
      s.pipe(
        spell.operator({
          deadLetters: () => {
            throw new Error('x');
          },
        }),
      ),
    );
    expect(r.out).toEqual([]);
    expect(r.error).toMatchObject({ code: 'CALLBACK_FAILED', callback: 'dead-letters', value: { error: { hook: 'init' } } });
    expect(escaped).toEqual([]);
  });

  it('a Subject target whose subscriber throws does not stop the spell (RxJS reports it, as for any subject)', async () => {
    const spell = await summonSource(FAN);
    const dead = new Subject<DeadLetter>();
    dead.subscribe(() => {
      throw new Error('subscriber');
    });
    const r = await run([{ n: 1, bad: true }, { n: 2 }], (s) => s.pipe(spell.operator({ ports: { side: () => {}, audit: () => {} }, deadLetters: dead })));
    expect(r.completed).toBe(true);
    expect(r.out).toEqual([{ to: 'out', n: 2 }]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(escaped).toMatchObject([{ message: 'subscriber' }]);
  });
});

describe('a logger that throws under skip', () => {
  it('errors the stream with CALLBACK_FAILED carrying the log entry', async () => {
    const spell = await summonSource(FAN, {
      logger: () => {
        throw new Error('log is down');
      },
    });
    const r = await run([{ n: 1, bad: true }], (s) => s.pipe(spell.operator({ onError: 'skip', ports: { side: () => {}, audit: () => {} } })));
    expect(r.error).toMatchObject({ code: 'CALLBACK_FAILED', callback: 'logger', value: { level: 'warn', fields: { code: 'SPELL_RUNTIME' } } });
    expect(escaped).toEqual([]);
  });
});

describe('routed() has no callbacks to throw', () => {
  it('delivers every output and dead letter in one stream', async () => {
    const spell = await summonSource(FAN);
    const out = await lastValueFrom(from([{ n: 1 }, { n: 2, bad: true }]).pipe(spell.routed(), toArray()));
    expect(out.map((o) => (o.kind === 'event' ? o.port : o.deadLetter.error.code))).toEqual(['side', 'out', 'audit', 'SPELL_RUNTIME']);
  });
});
