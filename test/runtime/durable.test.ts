import { afterEach, describe, it, expect, vi } from 'vitest';
import fs from 'node:fs';
import { PassThrough } from 'node:stream';
import { lastValueFrom, toArray } from 'rxjs';
import { openMemoryStorage, openSqliteStorage } from '../../src/storage/index.js';
import { loadRunesetOrThrow, openRuneset, summonSource, type EventValue } from '../../src/index.js';
import type { Storage } from '../../src/core/storage.js';
import { StateSession } from '../../src/runtime/state-library.js';
import { tempDir } from '../helpers.js';
import { CommitFaults } from '../storage/faults.js';
import { failSyncs, holdSyncs, until } from '../storage/helpers.js';
import { durableCommitter } from '../../src/runtime/durable.js';
import { storageLogPort } from '../../src/storage/log-port.js';
import type { StreamGraph } from '../../src/runtime/graph.js';
import type { LogPort } from '../../src/core/log-port.js';
import type { DurableMetrics } from '../../src/core/metrics.js';
import type { SpellChanges } from '../../src/runtime/state-library.js';

const totals = `local s = {}
function s.cast(e, emit)
  local t = state.get(e.user) or { user = e.user, total = 0, n = 0 }
  t.total = t.total + e.amount
  t.n = t.n + 1
  state.put(e.user, t)
  if e.amount > 100 then emit({ big = e.id }, "big") end
  emit({ id = e.id, user = e.user, running = t.total })
end
function s.finish(emit)
  for _, row in ipairs(state.query({ index = "total", gt = 0 })) do emit({ final = row.key, total = row.value.total }) end
end
return s`;

const runesetYaml = `version: 1
sanctum: { batch_size: 3 }
streams:
  in: { durable: true }
  out: { durable: true }
  big: {}
  dead-letters: { durable: true }
spells:
  totals: { file: totals.lua, state: { indexes: [total] } }
pipelines:
  sum:
    from: in
    steps:
      - spell: totals
        ports: { big: big }
    to: out
`;

const quiet = () => ({ stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() });

/** Runs the runeset once over what the log holds (no sources: the durable backlog), on `storage`. */
async function runOnce(storage: Storage) {
  const dir = tempDir({ 'totals.lua': totals, 'r.yaml': runesetYaml });
  const opened = await openRuneset(await loadRunesetOrThrow(`${dir}/r.yaml`), { storage, logger: () => {} });
  const big = lastValueFrom(opened.graph.stream('big').pipe(toArray()));
  const report = await opened.run({ stdio: quiet() });
  return { report, big: await big };
}

const events = (storage: Storage, stream: string, from = 1) => storage.log.read(stream, from, 1000).map((e) => e.event);

describe('the durable consumer', () => {
  it('casts batches from the log and commits position, state and outputs together', async () => {
    const storage = openMemoryStorage();
    await storage.log.append(
      'in',
      [1, 2, 3, 4, 5].map((i) => ({ event: { id: i, user: i % 2 ? 'ada' : 'bob', amount: i * 40 } })),
    );
    const { report, big } = await runOnce(storage);
    expect(report.cast).toEqual({ sum: 5 });
    expect(storage.offsets.get('pipeline:sum', 'in')).toBe(5);
    expect(events(storage, 'out')).toEqual([
      { id: 1, user: 'ada', running: 40 },
      { id: 2, user: 'bob', running: 80 },
      { id: 3, user: 'ada', running: 160 },
      { id: 4, user: 'bob', running: 240 },
      { id: 5, user: 'ada', running: 360 },
      // finish, at the end of the run
      { final: 'bob', total: 240 },
      { final: 'ada', total: 360 },
    ]);
    expect(big).toEqual([{ big: 3 }, { big: 4 }, { big: 5 }]);
    expect(storage.state.get('totals', 'ada')).toEqual({ user: 'ada', total: 360, n: 3 });
  });

  it('resumes after a restart from the last commit, with state intact', async () => {
    const storage = openMemoryStorage();
    await storage.log.append(
      'in',
      [1, 2, 3].map((i) => ({ event: { id: i, user: 'ada', amount: 10 } })),
    );
    await runOnce(storage);
    await storage.log.append('in', [{ event: { id: 4, user: 'ada', amount: 10 } }]);
    const { report } = await runOnce(storage);
    expect(report.cast).toEqual({ sum: 1 });
    const running = events(storage, 'out').filter((e) => (e as { running?: number }).running !== undefined);
    expect(running.map((e) => (e as { running: number }).running)).toEqual([10, 20, 30, 40]);
  });

  it('dead-letters a failed event with its stream and sequence, and commits the rest', async () => {
    const storage = openMemoryStorage();
    await storage.log.append('in', [
      { event: { id: 1, user: 'ada', amount: 5 } },
      { event: { id: 2, user: 'ada' } },
      { event: { id: 3, user: 'ada', amount: 5 } },
    ]);
    await runOnce(storage);
    const dead = events(storage, 'dead-letters') as Record<string, EventValue>[];
    expect(dead).toEqual([expect.objectContaining({ code: 'SPELL_RUNTIME', line: 4, stream: 'in', seq: 2, pipeline: 'sum', event: { id: 2, user: 'ada' } })]);
    expect(events(storage, 'out').filter((e) => (e as { id?: number }).id !== undefined)).toHaveLength(2);
    // The failed cast changed nothing: its state.put never ran, and its outputs were dropped.
    expect(storage.state.get('totals', 'ada')).toEqual({ user: 'ada', total: 10, n: 2 });
  });

  it('a failed commit leaves nothing of the batch and stops the run', async () => {
    let commits = 0;
    const faults = new CommitFaults((c) => {
      if (c.kind === 'batch' && ++commits === 2) throw new Error('disk on fire');
    });
    const storage = faults.wrap(openMemoryStorage({ now: faults.now }));
    await storage.log.append(
      'in',
      [1, 2, 3, 4, 5, 6].map((i) => ({ event: { id: i, user: 'ada', amount: 1 } })),
    );
    await expect(runOnce(storage)).rejects.toThrow(/disk on fire/);
    expect(storage.offsets.get('pipeline:sum', 'in')).toBe(3);
    expect(storage.log.lastSeq('out')).toBe(3);
    expect(storage.state.get('totals', 'ada')).toEqual({ user: 'ada', total: 3, n: 3 });
  });
});

describe('the state library', () => {
  it('reads its own writes, ranges and queries merge pending and committed rows', () => {
    const store = openMemoryStorage().state;
    store.put('s', 'a', { v: 1 });
    store.put('s', 'b', { v: 20 });
    store.put('s', 'c', { v: 30 });
    const session = new StateSession(store, 's', ['v']);
    session.put('d', { v: 15 });
    session.delete('b');
    expect(session.get('b')).toBeUndefined();
    expect(session.range({}).map((r) => r.key)).toEqual(['a', 'c', 'd']);
    expect(session.range({ from: 'b', to: 'd' }).map((r) => r.key)).toEqual(['c']);
    expect(session.range({ reverse: true, limit: 2 }).map((r) => r.key)).toEqual(['d', 'c']);
    expect(session.query({ index: 'v', gt: 10, lt: 40 }).map((r) => r.key)).toEqual(['d', 'c']);
    expect(() => session.query({ index: 'nope' })).toThrow(/not an indexed field/);
    // Where to declare it, wherever the spell runs.
    expect(() => session.query({ index: 'nope' })).toThrow(
      /state\.indexes: \[nope\]; with sanctum cast, --state-index nope; in a spell test, state: \{ indexes: \[nope\] \}/,
    );
    expect(session.take()).toEqual([
      { ns: 's', key: 'd', value: { v: 15 } },
      { ns: 's', key: 'b', value: null },
    ]);
  });
});

describe('all-or-nothing casts include state', () => {
  const spell = `local s = {}
function s.cast(e)
  state.put(e.k, (state.get(e.k) or 0) + 1)
  state.put("touched-" .. e.k, true)
  if e.fail then error("after writing") end
  return { k = e.k }
end
return s`;

  it('a failed cast in a batch leaves no state behind; the casts around it keep theirs', async () => {
    const storage = openMemoryStorage();
    const s = await summonSource(spell, { name: 'c' });
    const session = new StateSession(storage.state, 'c');
    const caster = s.open(session.casterOptions());
    const failures = caster.castBatch([{ k: 'a' }, { k: 'b', fail: true }, { k: 'a' }], () => {});
    expect(failures.map((f) => f.luaMessage)).toEqual([expect.stringContaining('after writing')]);
    expect(session.get('a')).toBe(2);
    expect(session.get('b')).toBeUndefined();
    expect(session.get('touched-b')).toBeUndefined();
    // A failed cast also undoes its overwrite of a key an earlier cast wrote.
    caster.castBatch([{ k: 'a', fail: true }], () => {});
    expect(session.get('a')).toBe(2);
    caster.close();
  });

  it('the same per event, and in the durable pipeline the failed event changes nothing', async () => {
    const storage = openMemoryStorage();
    const s = await summonSource(spell, { name: 'c' });
    const session = new StateSession(storage.state, 'c');
    const caster = s.open(session.casterOptions());
    caster.cast({ k: 'x' }, () => {});
    expect(caster.cast({ k: 'x', fail: true }, () => {})?.code).toBe('SPELL_RUNTIME');
    expect(session.get('x')).toBe(1);
    caster.close();
  });
});

describe('the durable consumer and the disk', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('casts the next batch while one is on its way to disk, and hands a batch on only once it is there', async () => {
    const dir = tempDir({ 'totals.lua': totals, 'r.yaml': runesetYaml });
    const storage = openSqliteStorage({ dir: `${dir}/data` });
    const N = 9; // three batches of 3
    storage.commitBatch({
      appends: [{ stream: 'in', items: Array.from({ length: N }, (_, i) => ({ event: { id: i + 1, user: `u${i % 2}`, amount: 200 } })) }],
    });
    const syncs = holdSyncs();
    const opened = await openRuneset(await loadRunesetOrThrow(`${dir}/r.yaml`), { storage, logger: () => {} });
    const big: unknown[] = [];
    opened.graph.stream('big').subscribe((e) => big.push(e));
    let finished = false;
    const done = opened.run({ stdio: quiet() }).finally(() => (finished = true));
    const casts = () => opened.spells.get('totals')!.stats.casts;
    // The first batch is written and syncing (held); the second is cast meanwhile, the third waits.
    await until(() => syncs.held.length === 1 && casts() === 6, 'the first sync and the second batch cast');
    expect(storage.log.lastSeq('out')).toBe(3); // the first batch's outputs are written…
    expect(big).toEqual([]); // …but not handed on: not on disk yet
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r)); // turns in which a third batch could be cast
    expect(casts()).toBe(6); // one batch at most ahead of the disk
    syncs.release();
    await until(() => big.length === 3, 'the first batch handed on');
    // The rest, a sync at a time.
    while (!finished) {
      await until(() => finished || syncs.held.length > 0, 'a sync or the end');
      syncs.release();
    }
    const report = await done;
    expect(report.deadLetters).toBe(0);
    expect(big.map((e) => (e as { big: number }).big)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(storage.offsets.get('pipeline:sum', 'in')).toBe(N);
    storage.close();
  });

  it('a batch the disk refused fails the run, and nothing of it is handed on', async () => {
    const dir = tempDir({ 'totals.lua': totals, 'r.yaml': runesetYaml });
    const storage = openSqliteStorage({ dir: `${dir}/data` });
    storage.commitBatch({ appends: [{ stream: 'in', items: Array.from({ length: 9 }, (_, i) => ({ event: { id: i + 1, user: 'u', amount: 200 } })) }] });
    failSyncs();
    const opened = await openRuneset(await loadRunesetOrThrow(`${dir}/r.yaml`), { storage, logger: () => {} });
    const big: unknown[] = [];
    opened.graph.stream('big').subscribe({ next: (e) => big.push(e), error: () => {} });
    await expect(opened.run({ stdio: quiet() })).rejects.toThrow(/could not sync its -wal file to disk/);
    expect(big).toEqual([]);
    vi.restoreAllMocks();
    storage.close();
    // What is on disk is what SQLite kept: the next run (a sound disk) goes on from the committed position, each event once.
    const again = openSqliteStorage({ dir: `${dir}/data` });
    const rerun = await openRuneset(await loadRunesetOrThrow(`${dir}/r.yaml`), { storage: again, logger: () => {} });
    await rerun.run({ stdio: quiet() });
    expect(
      again.log
        .read('out', 1, 100)
        .filter((e) => (e.event as { id?: number }).id !== undefined)
        .map((e) => (e.event as { id: number }).id),
    ).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    again.close();
  });

  it('a batch whose sync failed is reported at once, with no next batch to fail on, and is never handed on', async () => {
    const refused = Object.assign(new Error('could not sync its -wal file to disk (EIO)'), { code: 'STORAGE_FAILED' });
    const delivered: string[] = [];
    const graph = { isDurable: () => true, deliver: (s: string) => delivered.push(s), write: (s: string) => delivered.push(s) } as unknown as StreamGraph;
    const port = {
      stage: () => ({ applied: Promise.resolve({ appended: [] }), durable: Promise.reject(refused) }),
    } as unknown as LogPort;
    const fatal: unknown[] = [];
    const runeset = await loadRunesetOrThrow(`${tempDir({ 'totals.lua': totals, 'r.yaml': runesetYaml })}/r.yaml`);
    const committer = durableCommitter(
      port,
      graph,
      runeset,
      () => ({ recordCommit: () => {} }) as unknown as DurableMetrics,
      (e) => fatal.push(e),
    );
    await committer.commit(
      { name: 'pipeline:sum', stream: 'in', seq: 3 },
      { state: [], timers: [] } as unknown as SpellChanges,
      new Map([['out', [{ id: 1 }]]]),
    );
    await until(() => fatal.length > 0, 'the failure reported');
    expect(fatal).toEqual([refused]);
    expect(delivered).toEqual([]);
    await expect(committer.settled!()).rejects.toBe(refused);
  });
});

describe('a durable sink and the disk', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('writes out only what is on disk: a batch it read before its commit was synced waits for the sync', async () => {
    const dir = tempDir({
      'r.yaml': `version: 1
sanctum: { batch_size: 3, data_dir: data }
streams:
  in: { durable: true }
sinks:
  out: { type: file, from: in, path: out.ndjson }
`,
    });
    const storage = openSqliteStorage({ dir: `${dir}/data` });
    const syncs = holdSyncs();
    const port = storageLogPort(storage);
    // Committed through the port: written at once, its sync held.
    const committed = port.commit({ appends: [{ stream: 'in', items: [1, 2, 3].map((id) => ({ event: { id } })) }] });
    await until(() => syncs.held.length === 1, 'the commit written and its sync asked for');
    const opened = await openRuneset(await loadRunesetOrThrow(`${dir}/r.yaml`), { storage, logger: () => {} });
    let finished = false;
    const done = opened.run({ stdio: quiet() }).finally(() => (finished = true));
    const out = () => (fs.existsSync(`${dir}/out.ndjson`) ? fs.readFileSync(`${dir}/out.ndjson`, 'utf8') : '');
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r)); // turns in which the sink reads and would write
    expect(storage.log.lastSeq('in')).toBe(3); // readable…
    expect(out()).toBe(''); // …but not written out: not on disk yet
    syncs.release();
    await committed;
    while (!finished) {
      await until(() => finished || syncs.held.length > 0, 'a sync or the end');
      syncs.release();
    }
    await done;
    expect(
      out()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).id),
    ).toEqual([1, 2, 3]);
    storage.close();
  });
});
