/**
 * sanctum.window closing thousands of windows in a durable pipeline: more than one timer call's
 * worth (CLOSE_LIMIT), some stored by an earlier run and some made in this one (closed from the
 * module's cache), every window emitted once, in the order of its state key (end, then key bytes).
 */
import { describe, it, expect } from 'vitest';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { openMemoryStorage } from '../../src/storage/index.js';
import { loadRunesetOrThrow, openRuneset } from '../../src/index.js';
import type { Storage } from '../../src/core/storage.js';
import { tempDir } from '../helpers.js';

const SPELL = fileURLToPath(new URL('../../spells/window-count.lua', import.meta.url));

const runeset = (flush: boolean, window = '{ kind: tumbling, size: 1m, time: ts, key: user }') => `version: 1
sanctum: { batch_size: 1000 }
streams:
  in: { durable: true }
  out: { durable: true }
  late: { durable: true }
  dead-letters: { durable: true }
spells:
  count: { file: ${JSON.stringify(SPELL)}, window: ${window}, runes: { flush: ${flush} } }
pipelines:
  p: { from: in, steps: [{ spell: count, ports: { late: late } }], to: out }
`;

async function run(storage: Storage, flush: boolean, window?: string): Promise<void> {
  const dir = tempDir({ 'r.yaml': runeset(flush, window) });
  const opened = await openRuneset(await loadRunesetOrThrow(`${dir}/r.yaml`), { storage, logger: () => {}, clock: { now: () => 0, wakeAt: () => () => {} } });
  const report = await opened.run({ stdio: { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() } });
  expect(report.deadLetters).toBe(0);
}

describe('sanctum.window closing many windows', () => {
  it('emits each window once, by end then key bytes, whether an earlier run stored it or this run made it', async () => {
    const storage = openMemoryStorage();
    const keys = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `k${from + i}`); // k10 sorts before k2
    // Run 1 stores 1500 windows ending at 60000 and emits nothing (flush: false).
    await storage.log.append(
      'in',
      keys(0, 1500).map((user) => ({ event: { user, ts: 1000 } })),
    );
    await run(storage, false);
    expect(storage.log.read('out', 1, 10)).toEqual([]);
    // Run 2: 1500 more windows ending at 60000 (after what run 1 stored: closed with it, from state),
    // 1200 ending at 120000 (made in this run: closed from the cache), then an event whose watermark
    // passes both, and the input's end flushes the rest.
    await storage.log.append('in', [
      ...keys(1500, 3000).map((user) => ({ event: { user, ts: 2000 } })),
      ...keys(0, 1200).map((user) => ({ event: { user, ts: 61000 } })),
      ...keys(0, 1).map((user) => ({ event: { user, ts: 61500 } })),
      { event: { user: 'last', ts: 200000 } },
    ]);
    await run(storage, true);
    const got = storage.log.read('out', 1, 10000).map((e) => e.event);
    const expected = [
      ...keys(0, 3000)
        .sort()
        .map((key) => ({ key, start: 0, end: 60000, count: 1 })),
      ...keys(0, 1200)
        .sort()
        .map((key) => ({ key, start: 60000, end: 120000, count: key === 'k0' ? 2 : 1 })),
      { key: 'last', start: 180000, end: 240000, count: 1 },
    ];
    expect(got.length).toBe(expected.length);
    expect(got).toEqual(expected);
    expect(storage.state.range('count', { prefix: 'win:e' })).toEqual([]);
  });

  it("a window a flush emitted early starts again with a later run's events for it, and is emitted again with those (flush: true)", async () => {
    const storage = openMemoryStorage();
    const events = (s: Storage, stream: string) => s.log.read(stream, 1, 1000).map((e) => e.event);
    // Run 1: a's window [0, 60000) closes when the watermark passes it; b's [60000, 120000) is open
    // when the input ends, and the flush emits it.
    await storage.log.append('in', [{ event: { user: 'a', ts: 1000 } }, { event: { user: 'b', ts: 61000 } }]);
    await run(storage, true);
    expect(events(storage, 'out')).toEqual([
      { key: 'a', start: 0, end: 60000, count: 1 },
      { key: 'b', start: 60000, end: 120000, count: 1 },
    ]);
    // Run 2 over the same state: the watermark is where run 1's events left it (61000), so b's event
    // is not late: it starts b's window again, emitted again (a partial count) once c's event moves
    // the watermark past it. Nothing is late, nothing lost; summed per window, the counts are exact.
    await storage.log.append('in', [{ event: { user: 'b', ts: 62000 } }, { event: { user: 'c', ts: 130000 } }]);
    await run(storage, true);
    expect(events(storage, 'out').slice(2)).toEqual([
      { key: 'b', start: 60000, end: 120000, count: 1 },
      { key: 'c', start: 120000, end: 180000, count: 1 },
    ]);
    expect(events(storage, 'late')).toEqual([]);
  });
});
