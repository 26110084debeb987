/** castParallel: the same results as one thread, order per key, dead letters, finish, teardown. */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { concatMap, config, delay, from, lastValueFrom, map, of, range, take, tap, toArray, type Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { castParallel, type ParallelOptions } from '../../src/parallel/index.js';
import { summon, SpellError, type DeadLetter, type EventValue, type SpellLogEntry } from '../../src/index.js';
import { CallbackError } from '../../src/spellcraft/errors.js';
import { tempDir } from '../helpers.js';

type Ev = Record<string, EventValue>;

const SPELLS = {
  // Returns its result: one output per event.
  'enrich.lua': 'local spell = {}\nfunction spell.cast(e)\n  return { id = e.id, kind = e.kind, value = e.value * 2, hot = e.value > 50 }\nend\nreturn spell\n',
  // Keeps state per key and emits 0, 1 or 2 events per event.
  'count.lua': [
    'local counts = {}',
    'local spell = {}',
    'function spell.cast(e, emit)',
    '  counts[e.kind] = (counts[e.kind] or 0) + 1',
    '  for i = 1, e.value % 3 do emit({ kind = e.kind, count = counts[e.kind], id = e.id, i = i }) end',
    'end',
    'return spell',
    '',
  ].join('\n'),
  // Emits its input's id and kind.
  'tag.lua': 'local spell = {}\nfunction spell.cast(e, emit)\n  emit({ id = e.id, kind = e.kind })\nend\nreturn spell\n',
  // Fails on every fifth event, at line 3.
  'fussy.lua':
    'local spell = {}\nfunction spell.cast(e, emit)\n  if e.id % 5 == 0 then error("no multiples of five") end\n  emit({ id = e.id, kind = e.kind })\nend\nreturn spell\n',
  // Sums what it saw and emits the sum when the input ends.
  'total.lua':
    'local sum, n = 0, 0\nlocal spell = {}\nfunction spell.cast(e) sum = sum + e.value; n = n + 1 end\nfunction spell.finish(emit) emit({ sum = sum, n = n }) end\nreturn spell\n',
  'talk.lua': 'local spell = {}\nfunction spell.cast(e)\n  log.info("seen", { id = e.id })\nend\nreturn spell\n',
  'broken.lua': 'local spell = {}\nfunction spell.cast(e)\n  return e +\nend\nreturn spell\n',
  'ports.lua': 'local spell = {}\nfunction spell.cast(e, emit) emit(e, "audit") end\nreturn spell\n',
};
const dir = tempDir(Object.fromEntries(Object.entries(SPELLS).map(([f, s]) => [`spells/${f}`, s])));
const spellFile = (name: keyof typeof SPELLS) => path.join(dir, 'spells', name);

function makeEvents(n: number, kinds = 7): Ev[] {
  return Array.from({ length: n }, (_, i) => ({ id: i, kind: `k${(i * 5) % kinds}`, value: (i * 37) % 100 }));
}

async function runParallel(file: string, events: Observable<EventValue> | EventValue[], options: Partial<ParallelOptions> = {}) {
  const dead: DeadLetter[] = [];
  const out = await lastValueFrom(
    (Array.isArray(events) ? from(events) : events).pipe(
      castParallel(file, { workers: 3, key: (e) => (e as Ev)['kind'] as string, deadLetters: (d) => dead.push(d), ...options }),
      toArray(),
    ),
  );
  return { out: out as Ev[], dead };
}

async function runSingle(file: string, events: EventValue[]) {
  const dead: DeadLetter[] = [];
  const spell = await summon(file);
  const out = await lastValueFrom(from(events).pipe(spell.operator({ deadLetters: (d) => dead.push(d) }), toArray()));
  return { out: out as Ev[], dead };
}

/** JSON with object keys sorted: Lua tables have no key order, so outputs differ in it. */
function canonical(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonical).join(',')}]`;
  if (x !== null && typeof x === 'object')
    return `{${Object.keys(x)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((x as Ev)[k])}`)
      .join(',')}}`;
  return JSON.stringify(x);
}
const sortedJSON = (xs: unknown[]) => xs.map(canonical).sort();
function byKey(xs: Ev[], key = 'kind'): Record<string, Ev[]> {
  const out: Record<string, Ev[]> = {};
  for (const x of xs) (out[String(x[key])] ??= []).push(x);
  return out;
}

describe('castParallel', () => {
  it.each([
    ['enrich.lua', 'clone'],
    ['count.lua', 'clone'],
    ['enrich.lua', 'json'],
    ['count.lua', 'json'],
  ] as const)('%s gives what the single-threaded operator gives (%s transport)', async (name, transport) => {
    const events = makeEvents(5000);
    const single = await runSingle(spellFile(name), events);
    const parallel = await runParallel(spellFile(name), events, { transport, batchSize: 64 });
    expect(parallel.out).toHaveLength(single.out.length);
    expect(sortedJSON(parallel.out)).toEqual(sortedJSON(single.out));
    expect(byKey(parallel.out)).toEqual(byKey(single.out));
    expect(parallel.dead).toEqual([]);
  });

  it('keeps the order of each key when the source is slow and batches go out part-full', async () => {
    const events = makeEvents(300, 5);
    // Chunks of 7 with a pause between them: most batches are sent by the idle flush, not full.
    const chunks = Array.from({ length: Math.ceil(events.length / 7) }, (_, i) => events.slice(i * 7, i * 7 + 7));
    const source = from(chunks).pipe(concatMap((chunk) => from(chunk).pipe(delay(1))));
    const seq = await runParallel(spellFile('tag.lua'), source, { batchSize: 50 });
    expect(seq.out).toHaveLength(300);
    for (const [kind, outs] of Object.entries(byKey(seq.out))) {
      const expected = events.filter((e) => e['kind'] === kind).map((e) => e['id']);
      expect(outs.map((o) => o['id'])).toEqual(expected);
    }
  });

  it('sends failed casts as dead letters with file, line and the original event', async () => {
    const events = makeEvents(100);
    const { out, dead } = await runParallel(spellFile('fussy.lua'), events, { batchSize: 16 });
    expect(out).toHaveLength(80);
    expect(dead).toHaveLength(20);
    expect(dead.map((d) => (d.event as Ev)['id']).sort((a, b) => Number(a) - Number(b))).toEqual(
      events.filter((e) => Number(e['id']) % 5 === 0).map((e) => e['id']),
    );
    for (const d of dead) {
      expect(d.error).toBeInstanceOf(SpellError);
      expect(d.error).toMatchObject({ code: 'SPELL_RUNTIME', file: spellFile('fussy.lua'), line: 3, hook: 'cast', luaMessage: 'no multiples of five' });
      expect(d.error.message).toMatch(/fussy\.lua:3: no multiples of five$/);
      // The event is the caller's own object, not a copy from the worker.
      expect(events).toContain(d.event);
      expect(d.error.event).toBe(d.event);
    }
  });

  it('dead-letters the same events as the single-threaded operator', async () => {
    const events = makeEvents(500);
    const single = await runSingle(spellFile('fussy.lua'), events);
    const parallel = await runParallel(spellFile('fussy.lua'), events, { batchSize: 32 });
    expect(sortedJSON(parallel.dead.map((d) => d.error.toJSON()))).toEqual(sortedJSON(single.dead.map((d) => d.error.toJSON())));
    expect(sortedJSON(parallel.out)).toEqual(sortedJSON(single.out));
  });

  it('stops the stream at the first failure under onError: stop, after the outputs before it', async () => {
    const events = makeEvents(41)
      .slice(1)
      .map((e) => ({ ...e, kind: 'one' }));
    const seen: EventValue[] = [];
    const err = await new Promise((resolve) => {
      from(events)
        .pipe(castParallel(spellFile('fussy.lua'), { workers: 2, key: (e) => (e as Ev)['kind'] as string, summon: { onError: 'stop' } }))
        .subscribe({ next: (e) => seen.push(e), error: resolve, complete: () => resolve('completed') });
    });
    expect(seen).toEqual([1, 2, 3, 4].map((id) => ({ id, kind: 'one' })));
    expect(err).toBeInstanceOf(SpellError);
    expect(err).toMatchObject({ code: 'SPELL_RUNTIME', line: 3 });
    expect((err as SpellError).event).toBe(events[4]);
  });

  it('runs finish in every worker when the input completes, then completes', async () => {
    const events = makeEvents(1000);
    const { out } = await runParallel(spellFile('total.lua'), events, { workers: 3, batchSize: 100 });
    expect(out).toHaveLength(3);
    expect(out.reduce((s, o) => s + Number(o['n']), 0)).toBe(1000);
    expect(out.reduce((s, o) => s + Number(o['sum']), 0)).toBe(events.reduce((s, e) => s + Number(e['value']), 0));
  });

  it('runs finish on an empty input too', async () => {
    const { out } = await runParallel(spellFile('total.lua'), [], { workers: 2 });
    expect(out).toEqual([
      { sum: 0, n: 0 },
      { sum: 0, n: 0 },
    ]);
  });

  it("hands the spell's logs to the summon logger", async () => {
    const logs: SpellLogEntry[] = [];
    await runParallel(spellFile('talk.lua'), makeEvents(10), { summon: { logger: (e) => logs.push(e) } });
    expect(logs).toHaveLength(10);
    expect(logs[0]).toMatchObject({ spell: 'talk', level: 'info', message: 'seen', line: 3 });
    expect(logs.map((l) => (l.fields as Ev)['id']).sort((a, b) => Number(a) - Number(b))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('errors with SPELL_SYNTAX when the spell does not parse', async () => {
    const err = await lastValueFrom(of({ id: 1 }).pipe(castParallel(spellFile('broken.lua'), { workers: 2, key: () => 1 }))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpellError);
    expect(err).toMatchObject({ code: 'SPELL_SYNTAX', line: 4 });
    expect((err as SpellError).file).toMatch(/broken\.lua$/);
  });

  it('errors with SPELL_NOT_FOUND when the spell file is missing', async () => {
    const err = await lastValueFrom(of({ id: 1 }).pipe(castParallel(path.join(dir, 'nope.lua'), { workers: 1, key: () => 1 }))).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SPELL_NOT_FOUND' });
  });

  it('fails a cast that emits to a named port (ports are not wired across threads)', async () => {
    const { out, dead } = await runParallel(spellFile('ports.lua'), makeEvents(3));
    expect(out).toEqual([]);
    expect(dead.map((d) => d.error.code)).toEqual(['SPELL_PORT_UNWIRED', 'SPELL_PORT_UNWIRED', 'SPELL_PORT_UNWIRED']);
  });

  it('dead-letters an event that cannot cross to a worker, and casts the rest', async () => {
    const events: EventValue[] = [
      { id: 1, kind: 'a', value: 1 },
      { id: 2, kind: 'a', value: (() => 2) as unknown as EventValue },
      { id: 3, kind: 'a', value: 3 },
    ];
    const { out, dead } = await runParallel(spellFile('tag.lua'), events);
    expect(out.map((o) => o['id'])).toEqual([1, 3]);
    expect(dead).toHaveLength(1);
    expect(dead[0]!.error.code).toBe('SPELL_BAD_INPUT');
    expect(dead[0]!.event).toBe(events[1]);
  });

  it('errors the stream when key() throws (CALLBACK_FAILED) or returns something else than a string or number', async () => {
    const noKey = new Error('no key');
    const boom = await lastValueFrom(
      of({ id: 1 }).pipe(
        castParallel(spellFile('enrich.lua'), {
          workers: 1,
          key: () => {
            throw noKey;
          },
        }),
      ),
    ).catch((e: unknown) => e);
    expect(boom).toBeInstanceOf(CallbackError);
    expect(boom).toMatchObject({ code: 'CALLBACK_FAILED', callback: 'key', spell: 'enrich', value: { id: 1 }, cause: noKey });
    const bad = await lastValueFrom(of({ id: 1 }).pipe(castParallel(spellFile('enrich.lua'), { workers: 1, key: () => null as unknown as string }))).catch(
      (e: unknown) => e,
    );
    expect(bad).toMatchObject({ code: 'USAGE' });
  });

  it('stops a synchronous source at once when the stream errors (key() throws on the first event)', async () => {
    let pulls = 0;
    const source = range(0, 2e6).pipe(
      tap(() => pulls++),
      map((id) => ({ id })),
    );
    const err = await lastValueFrom(
      source.pipe(
        castParallel(spellFile('enrich.lua'), {
          workers: 1,
          key: () => {
            throw new Error('no key');
          },
        }),
      ),
    ).catch((e: unknown) => e);
    expect(pulls).toBe(1);
    expect(err).toMatchObject({ code: 'CALLBACK_FAILED' });
  });

  it("a deadLetters target that throws errors the stream with CALLBACK_FAILED, after the batch's other dead letters", async () => {
    const escaped: unknown[] = [];
    config.onUnhandledError = (e) => escaped.push(e);
    try {
      const handed: DeadLetter[] = [];
      const boom = new Error('dead letters are down');
      const events = makeEvents(20).map((e) => ({ ...e, kind: 'one' }));
      const out: EventValue[] = [];
      const err = await new Promise((resolve) => {
        from(events)
          .pipe(
            castParallel(spellFile('fussy.lua'), {
              workers: 1,
              batchSize: 100,
              key: () => 1,
              deadLetters: (dl) => {
                handed.push(dl);
                if (handed.length === 1) throw boom;
              },
            }),
          )
          .subscribe({ next: (e) => out.push(e), error: resolve, complete: () => resolve('completed') });
      });
      expect(err).toBeInstanceOf(CallbackError);
      expect(err).toMatchObject({ code: 'CALLBACK_FAILED', callback: 'dead-letters', spell: 'fussy', cause: boom });
      expect(((err as CallbackError).value as DeadLetter).event).toBe(events[0]);
      // One batch of 20: its 16 outputs, then its 4 dead letters (ids 0, 5, 10, 15), all handed over.
      expect(out).toHaveLength(16);
      expect(handed.map((d) => (d.event as Ev)['id'])).toEqual([0, 5, 10, 15]);
      expect(escaped).toEqual([]);
    } finally {
      config.onUnhandledError = null;
    }
  });

  it('applies the error policies as the single-threaded operator does (skip logs the same warnings)', async () => {
    const events = makeEvents(30).map((e) => ({ ...e, kind: 'one' }));
    const single: SpellLogEntry[] = [];
    const spell = await summon(spellFile('fussy.lua'), { logger: (e) => single.push(e), onError: 'skip' });
    await lastValueFrom(from(events).pipe(spell, toArray()));
    const parallel: SpellLogEntry[] = [];
    await lastValueFrom(
      from(events).pipe(
        castParallel(spellFile('fussy.lua'), { workers: 1, key: () => 1, summon: { logger: (e) => parallel.push(e), onError: 'skip' } }),
        toArray(),
      ),
    );
    expect(parallel).toHaveLength(6);
    expect(parallel).toEqual(single);
  });

  it('rejects options that make no sense when it is called', () => {
    expect(() => castParallel(spellFile('enrich.lua'), { workers: 0, key: () => 1 })).toThrow(/workers/);
    expect(() => castParallel(spellFile('enrich.lua'), { batchSize: 0.5, key: () => 1 })).toThrow(/batchSize/);
  });

  it('unsubscribing early gives the outputs so far and stops there', async () => {
    const out = await lastValueFrom(
      from(makeEvents(10_000)).pipe(castParallel(spellFile('tag.lua'), { workers: 2, key: (e) => (e as Ev)['kind'] as string }), take(5), toArray()),
    );
    expect(out).toHaveLength(5);
  });

  it('terminates its workers on unsubscribe: the process exits by itself', () => {
    // fixtures/unsubscribe.mts subscribes to a never-ending stream, takes three outputs (which
    // unsubscribes) and returns. It must exit on its own; a live worker would keep it running until the timeout.
    const here = path.dirname(fileURLToPath(import.meta.url));
    const script = path.join(here, 'fixtures', 'unsubscribe.mts');
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const r = spawnSync(process.execPath, ['--import', tsx, script, spellFile('tag.lua')], { encoding: 'utf8', timeout: 20_000 });
    expect(r.error).toBeUndefined();
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toHaveLength(4);
    expect(r.stdout).toMatch(/done\n$/);
    expect(r.status).toBe(0);
  });
});
