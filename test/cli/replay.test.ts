/** `sanctum replay`: --from past the end is refused with nothing changed, and the reset (fresh state, position moved back) is one commit. */
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EventValue } from '../../src/core/event.js';
import type { Storage } from '../../src/core/storage.js';
import { loadRuneset } from '../../src/runes/index.js';
import { replayPipeline } from '../../src/runtime/replay.js';
import { openMemoryStorage, openSqliteStorage, StorageError } from '../../src/storage/index.js';
import { tempDir } from '../helpers.js';
import { sanctum } from './run-cli.js';

const runeset = `version: 1
sanctum: { batch_size: 2 }
streams:
  orders: { durable: true, key: user }
  totals: { durable: true }
spells:
  total:
    file: running-total.lua
    runes: { key: user }
    state: { indexes: [total] }
pipelines:
  totals: { from: orders, steps: [total], to: totals }
`;

const orders: EventValue[] = Array.from({ length: 10 }, (_, i) => ({ user: ['ada', 'bob', 'cy'][i % 3]!, amount: i + 1 }));

/** What running-total keeps after casting `events`: per user, the total and the count. */
function totalsOf(events: readonly EventValue[]): { key: string; value: EventValue }[] {
  const rows = new Map<string, { key: string; total: number; count: number }>();
  for (const e of events as { user: string; amount: number }[]) {
    const row = rows.get(e.user) ?? { key: e.user, total: 0, count: 0 };
    row.total += e.amount;
    row.count++;
    rows.set(e.user, row);
  }
  return [...rows.values()].sort((a, b) => (a.key < b.key ? -1 : 1)).map((r) => ({ key: r.key, value: r }));
}

function setup(): string {
  const dir = tempDir({ 'r.yaml': runeset });
  copyFileSync('spells/running-total.lua', path.join(dir, 'running-total.lua'));
  return dir;
}

/** A test-side decorator of the Storage port whose `n`-th commitBatch fails (as a crash there would cut it). */
function failingCommit(inner: Storage, n: number): Storage {
  let count = 0;
  return {
    log: inner.log,
    state: inner.state,
    timers: inner.timers,
    offsets: inner.offsets,
    commitBatch: (batch) => {
      if (++count === n)
        throw new StorageError({ code: 'STORAGE_FAILED', operation: 'commit', problem: `could not commit the batch (injected failure of commit ${n})` });
      return inner.commitBatch(batch);
    },
    close: () => inner.close(),
  };
}

describe('replay is one step: fresh state and the moved position commit together', () => {
  it('never leaves cleared state with the old position, whichever commit fails', async () => {
    const dir = setup();
    const { runeset: r } = await loadRuneset(path.join(dir, 'r.yaml'));
    expect(r).toBeDefined();
    const FROM = 4;
    let failedRuns = 0;
    for (let k = 1; k <= 6; k++) {
      const storage = openMemoryStorage();
      try {
        await storage.log.append(
          'orders',
          orders.map((event) => ({ event })),
        );
        await replayPipeline(r!, storage, 'totals', 1); // the first run: every order cast once
        const before = storage.state.range('total');
        expect(before).toEqual(totalsOf(orders));
        expect(storage.offsets.get('pipeline:totals', 'orders')).toBe(10);

        const failed = await replayPipeline(r!, failingCommit(storage, k), 'totals', FROM).then(
          () => false,
          (e: unknown) => e instanceof StorageError,
        );
        if (failed) failedRuns++;
        const position = storage.offsets.get('pipeline:totals', 'orders');
        const state = storage.state.range('total');
        // Either the reset committed, and the state is exactly what the replay cast from FROM up to
        // the position, or nothing did, and the position and the state are both the old ones.
        expect(position, `commit ${k}`).toBeGreaterThanOrEqual(FROM - 1);
        const replayed = totalsOf(orders.slice(FROM - 1, position));
        const valid = position === 10 ? [replayed, before] : [replayed];
        expect(valid, `commit ${k} failed: position ${position} with state ${JSON.stringify(state)}`).toContainEqual(state);
      } finally {
        storage.close();
      }
    }
    expect(failedRuns).toBeGreaterThanOrEqual(4); // the failures landed inside the replay, not after it
  }, 60_000);
});

describe('sanctum replay --from', () => {
  async function seeded(): Promise<string> {
    const dir = setup();
    const s = openSqliteStorage({ dir: path.join(dir, '.sanctum', 'r') });
    await s.log.append(
      'orders',
      orders.map((event) => ({ event })),
    );
    s.close();
    expect((await sanctum(['replay', 'r.yaml', 'totals', '--from', '1'], { cwd: dir })).code).toBe(0);
    return dir;
  }

  function inspect(dir: string): { position: number; state: unknown[]; totals: number } {
    const s = openSqliteStorage({ dir: path.join(dir, '.sanctum', 'r') });
    try {
      return { position: s.offsets.get('pipeline:totals', 'orders'), state: s.state.range('total'), totals: s.log.lastSeq('totals') };
    } finally {
      s.close();
    }
  }

  it('refuses a sequence number past the end of the stream (exit 2) and changes nothing', async () => {
    const dir = await seeded();
    const before = inspect(dir);
    expect(before.position).toBe(10);
    expect(before.state).toEqual(totalsOf(orders));
    const r = await sanctum(['replay', 'r.yaml', 'totals', '--from', '12'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--from 12 is past the end of stream 'orders' (its last seq is 10)");
    expect(r.stderr).toContain('--from 11 or less');
    expect(inspect(dir)).toEqual(before);
  }, 60_000);

  it('takes last+1: fresh state, the position stays at the end, and later appends are cast', async () => {
    const dir = await seeded();
    const r = await sanctum(['replay', 'r.yaml', 'totals', '--from', '11'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("replayed 0 events of pipeline 'totals' from seq 11");
    expect(inspect(dir)).toMatchObject({ position: 10, state: [] });
    const more = await sanctum(['append', 'orders', '--runeset', 'r.yaml'], { cwd: dir, input: '{"user":"dee","amount":4}\n' });
    expect(more.code, more.stderr).toBe(0);
    expect((await sanctum(['replay', 'r.yaml', 'totals', '--from', '11'], { cwd: dir })).stderr).toContain('replayed 1 events');
    expect(inspect(dir).state).toEqual([{ key: 'dee', value: { key: 'dee', total: 4, count: 1 } }]);
  }, 60_000);
});
