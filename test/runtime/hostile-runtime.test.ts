/**
 * Issue 10, the runtime's share: long chains do not overflow the stack (10.10), a half-written last
 * line is not consumed (10.8), and fan-out into a sink that does not read stays bounded, reporting
 * only what was written (10.11).
 */
import { describe, it, expect } from 'vitest';
import { PassThrough, Writable } from 'node:stream';
import { appendFileSync } from 'node:fs';
import { lastValueFrom, toArray } from 'rxjs';
import { loadRunesetOrThrow, openRuneset } from '../../src/index.js';
import { openMemoryStorage, openSqliteStorage } from '../../src/storage/index.js';
import { tempDir } from '../helpers.js';

const quiet = () => ({ stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() });
const inc = 'return { cast = function(e) return { n = e.n + 1 } end }\n';

describe('10.10 long chains do not overflow the JS stack', () => {
  it('one pipeline of 700 steps', async () => {
    const steps = 700;
    const dir = tempDir({
      'inc.lua': inc,
      'in.ndjson': '{"n":0}\n{"n":1000}\n',
      'r.yaml': `version: 1
streams: { input: {}, output: {} }
spells: { inc: { file: inc.lua } }
sources: { in: { type: file, path: in.ndjson, to: input } }
pipelines:
  long: { from: input, steps: [${Array.from({ length: steps }, () => 'inc').join(', ')}], to: output }
`,
    });
    const opened = await openRuneset(await loadRunesetOrThrow(`${dir}/r.yaml`), { logger: () => {} });
    const out = lastValueFrom(opened.graph.stream('output').pipe(toArray()));
    const report = await opened.run({ stdio: quiet() });
    expect(report.deadLetters).toBe(0);
    expect(await out).toEqual([{ n: steps }, { n: 1000 + steps }]);
  }, 300_000);

  it('400 pipelines chained through in-memory streams', async () => {
    const n = 400;
    const streams = Array.from({ length: n + 1 }, (_, i) => `  s${i}: {}`).join('\n');
    const pipelines = Array.from({ length: n }, (_, i) => `  p${i}: { from: s${i}, steps: [inc], to: s${i + 1} }`).join('\n');
    const dir = tempDir({
      'inc.lua': inc,
      'in.ndjson': `${Array.from({ length: 50 }, (_, i) => JSON.stringify({ n: i * 1000 })).join('\n')}\n`,
      'r.yaml': `version: 1\nstreams:\n${streams}\nspells: { inc: { file: inc.lua } }\nsources: { in: { type: file, path: in.ndjson, to: s0 } }\npipelines:\n${pipelines}\n`,
    });
    const opened = await openRuneset(await loadRunesetOrThrow(`${dir}/r.yaml`), { logger: () => {} });
    const out = lastValueFrom(opened.graph.stream(`s${n}`).pipe(toArray()));
    const report = await opened.run({ stdio: quiet() });
    expect(report.deadLetters).toBe(0);
    expect(await out).toEqual(Array.from({ length: 50 }, (_, i) => ({ n: i * 1000 + n })));
  }, 300_000);
});

describe('10.8 a file source does not consume a half-written last line', () => {
  it('leaves it for the next run, which reads it whole; nothing is dead-lettered', async () => {
    const dir = tempDir({
      'id.lua': 'return { cast = function(e) return e end }\n',
      'in.ndjson': '{"a":1}\n{"b":', // the writer is half-way through its second line
      'r.yaml': `version: 1
streams:
  input: { durable: true }
  dead-letters: { durable: true }
  output: {}
spells: { id: { file: id.lua } }
sources: { in: { type: file, path: in.ndjson, to: input } }
pipelines: { p: { from: input, steps: [id], to: output } }
`,
    });
    const runOnce = async () => {
      const storage = openSqliteStorage({ dir: `${dir}/.sanctum/r` });
      try {
        const warnings: string[] = [];
        const opened = await openRuneset(await loadRunesetOrThrow(`${dir}/r.yaml`), { storage, logger: () => {} });
        await opened.run({ stdio: quiet(), onWarning: (m) => warnings.push(m) });
        return { events: storage.log.read('input', 1, 10).map((e) => e.event), dead: storage.log.lastSeq('dead-letters'), warnings };
      } finally {
        storage.close();
      }
    };
    const first = await runOnce();
    expect(first.events).toEqual([{ a: 1 }]);
    expect(first.dead).toBe(0);
    expect(first.warnings).toEqual([expect.stringMatching(/in\.ndjson:2: the last line has no newline and is not a whole event yet/)]);
    appendFileSync(`${dir}/in.ndjson`, '2}\n{"c":3}\n'); // the writer finishes
    const second = await runOnce();
    expect(second.events).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }]);
    expect(second.dead).toBe(0);
  });

  it('reads a last line without a newline that is a whole event (a file that just ends so)', async () => {
    const dir = tempDir({
      'id.lua': 'return { cast = function(e) return e end }\n',
      'in.ndjson': '{"a":1}\n{"b":2}',
      'r.yaml': `version: 1
streams: { input: { durable: true }, output: {} }
spells: { id: { file: id.lua } }
sources: { in: { type: file, path: in.ndjson, to: input } }
pipelines: { p: { from: input, steps: [id], to: output } }
`,
    });
    const storage = openMemoryStorage();
    const opened = await openRuneset(await loadRunesetOrThrow(`${dir}/r.yaml`), { storage, logger: () => {} });
    await opened.run({ stdio: quiet() });
    expect(storage.log.read('input', 1, 10).map((e) => e.event)).toEqual([{ a: 1 }, { b: 2 }]);
  });
});

describe('10.11 fan-out into a sink that is behind', () => {
  it('pauses casting while the sink is full, and counts only what the sink wrote', async () => {
    const dir = tempDir({
      'fan.lua': 'return { cast = function(e, emit) for i = 1, 100000 do emit({ i = i, from = e.n }) end end }\n',
      'in.ndjson': `${Array.from({ length: 200 }, (_, n) => JSON.stringify({ n })).join('\n')}\n`,
      'r.yaml': `version: 1
streams: { input: {}, output: {} }
spells: { fan: { file: fan.lua } }
sources: { in: { type: file, path: in.ndjson, to: input } }
pipelines: { p: { from: input, steps: [fan], to: output } }
sinks: { out: { type: stdout, from: output } }
`,
    });
    // A stdout nobody reads: it takes the first write and never calls back, as a full pipe would.
    let writes = 0;
    const stuck = new Writable({ highWaterMark: 1 << 16, write: () => void writes++ });
    const abort = new AbortController();
    const opened = await openRuneset(await loadRunesetOrThrow(`${dir}/r.yaml`), { logger: () => {} });
    const spell = opened.spells.get('fan')!;
    const running = opened.run({ stdio: { ...quiet(), stdout: stuck }, signal: abort.signal });
    // Wait until casting has stopped: the sink holds its bound and the spell casts no more.
    let last = -1;
    for (;;) {
      await new Promise((r) => setImmediate(r));
      const casts = spell.stats.casts;
      if (casts === last && writes > 0) break;
      last = casts;
      await new Promise((r) => setTimeout(r, 50)); // pacing the checks, not a wait for readiness
    }
    // Held in memory: at most a few casts' worth, not 20,000,000 events.
    expect(spell.stats.casts).toBeLessThan(10);
    expect(process.memoryUsage().rss).toBeLessThan(1.5 * 1024 ** 3);
    abort.abort();
    // Stopping cannot finish what is in flight into a sink that never writes: the run does not
    // claim the events went out. Unblock it by failing the stream as a closed pipe would.
    stuck.destroy(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    const report = await running;
    expect(report.written['out']).toBe(0);
  }, 120_000);
});

describe('10.11 a durable batch whose outputs exceed the bound', () => {
  const durable = (spell: string, inputs: number) => {
    const dir = tempDir({
      'fan.lua': spell,
      'r.yaml': `version: 1
streams:
  in: { durable: true }
  out: { durable: true }
  dead-letters: { durable: true }
spells: { fan: { file: fan.lua } }
pipelines: { p: { from: in, steps: [fan], to: out } }
`,
    });
    return { dir, inputs };
  };

  it('is split: each commit holds a bounded prefix of the input batch, every output once', async () => {
    const { dir } = durable('return { cast = function(e, emit) for i = 1, 30000 do emit({ i = i, from = e.n }) end end }\n', 10);
    const storage = openSqliteStorage({ dir: `${dir}/.sanctum/r`, synchronous: 'NORMAL' });
    try {
      await storage.log.append(
        'in',
        Array.from({ length: 10 }, (_, n) => ({ event: { n } })),
      );
      const commits: number[] = [];
      const opened = await openRuneset(await loadRunesetOrThrow(`${dir}/r.yaml`), { storage, logger: () => {} });
      const report = await opened.run({ stdio: quiet(), metrics: { recordCommit: (s, _sec, n) => s === 'out' && commits.push(n), setLag: () => {} } });
      expect(report.cast).toEqual({ p: 10 });
      expect(storage.log.lastSeq('out')).toBe(300_000);
      expect(storage.offsets.get('pipeline:p', 'in')).toBe(10);
      // One input (30,000 outputs) past the bound of 8,192 per batch: ten commits, not one of 300,000.
      expect(commits).toEqual(Array.from({ length: 10 }, () => 30_000));
      const froms = storage.log.read('out', 1, 300_000).map((e) => (e.event as { from: number }).from);
      expect(froms.filter((f, i) => i > 0 && f < froms[i - 1]!)).toEqual([]); // in order
    } finally {
      storage.close();
    }
  }, 300_000);

  it('is refused with SPELL_EMIT_LIMIT when one cast emits more than budget.emits (1M outputs per input)', async () => {
    const { dir } = durable('return { cast = function(e, emit) local t = { x = 1 } for i = 1, 1000000 do emit(t) end end }\n', 3);
    const storage = openSqliteStorage({ dir: `${dir}/.sanctum/r`, synchronous: 'NORMAL' });
    try {
      await storage.log.append('in', [{ event: { n: 1 } }, { event: { n: 2 } }]);
      const opened = await openRuneset(await loadRunesetOrThrow(`${dir}/r.yaml`), { storage, logger: () => {} });
      const before = process.memoryUsage().rss;
      await opened.run({ stdio: quiet() });
      expect(process.memoryUsage().rss - before).toBeLessThan(512 * 1024 ** 2);
      expect(storage.log.lastSeq('out')).toBe(0);
      const dead = storage.log.read('dead-letters', 1, 10).map((e) => e.event as { code: string; message: string });
      expect(dead.map((d) => d.code)).toEqual(['SPELL_EMIT_LIMIT', 'SPELL_EMIT_LIMIT']);
      expect(dead[0]!.message).toMatch(/emitted more than 100000 events in one call \(raise the spell's budget\.emits/);
    } finally {
      storage.close();
    }
  }, 300_000);
});
