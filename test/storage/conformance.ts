/** The Storage conformance suite: every adapter's test calls `storageConformance` with its factory. */
import { afterEach, describe, expect, it } from 'vitest';
import type { EventValue } from '../../src/core/event.js';
import { MAX_STORED_DEPTH } from '../../src/core/limits.js';
import type { Storage, StoredEvent } from '../../src/core/storage.js';
import { StorageError } from '../../src/storage/errors.js';
import type { FaultPlan } from './faults.js';

export interface ConformanceOptions {
  readonly now?: () => number;
  /** Commit failures to inject (see faults.ts: `openWithFaults` opens a store with them). */
  readonly faults?: FaultPlan;
}

/** Opens a fresh, empty store. Called once or more per test; the suite closes what it opened. */
export type StorageFactory = (options: ConformanceOptions) => Storage | Promise<Storage>;

/** Asserts that `fn` throws (or rejects with) a StorageError with `code`; returns it. */
export async function expectStorageError(fn: () => unknown, code: StorageError['code']): Promise<StorageError> {
  let caught: unknown;
  try {
    await fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected a StorageError ${code}`).toBeInstanceOf(StorageError);
  expect((caught as StorageError).code).toBe(code);
  return caught as StorageError;
}

const ev = (n: number): { event: EventValue } => ({ event: { n } });
const seqs = (events: readonly StoredEvent[]): number[] => events.map((e) => e.seq);

async function collect(iter: AsyncIterable<StoredEvent>, max = Infinity): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for await (const e of iter) {
    out.push(e);
    if (out.length >= max) break;
  }
  return out;
}

export function storageConformance(adapter: string, factory: StorageFactory): void {
  describe(`Storage conformance: ${adapter}`, () => {
    const opened: Storage[] = [];
    const open = async (options: ConformanceOptions = {}): Promise<Storage> => {
      const s = await factory(options);
      opened.push(s);
      return s;
    };
    afterEach(() => {
      for (const s of opened.splice(0)) s.close();
    });

    describe('event log', () => {
      it('gives each stream contiguous seqs from 1, in the order of the calls', async () => {
        const s = await open();
        expect(await s.log.append('a', [ev(1), ev(2), ev(3)])).toEqual({ first: 1, last: 3 });
        expect(await s.log.append('b', [ev(9)])).toEqual({ first: 1, last: 1 });
        expect(await s.log.append('a', [ev(4)])).toEqual({ first: 4, last: 4 });
        const concurrent = await Promise.all(Array.from({ length: 50 }, (_, i) => s.log.append('a', [ev(100 + i), ev(200 + i)])));
        concurrent.forEach((r, i) => {
          expect(r).toEqual({ first: 5 + 2 * i, last: 6 + 2 * i });
        });
        const all = s.log.read('a', 1, 1000);
        expect(seqs(all)).toEqual(Array.from({ length: 104 }, (_, i) => i + 1));
        expect(all[4]?.event).toEqual({ n: 100 });
        expect(all[5]?.event).toEqual({ n: 200 });
        expect(s.log.lastSeq('a')).toBe(104);
        expect(s.log.lastSeq('b')).toBe(1);
        expect(s.log.lastSeq('never')).toBe(0);
      });

      it('group-commits concurrent appends: many appends, one transaction', async () => {
        const commits: string[] = [];
        let failed = false;
        // One failure, injected into the first transaction: every append in it fails with it, and
        // only those. Two transactions would leave some of the 200 appends stored.
        const s = await open({
          faults: (c) => {
            commits.push(c.kind);
            if (!failed) {
              failed = true;
              throw new Error('injected commit failure');
            }
          },
        });
        const appends = (base: number) => Array.from({ length: 200 }, (_, i) => s.log.append(i % 2 ? 'odd' : 'even', [ev(base + i)]));
        const first = await Promise.allSettled(appends(0));
        expect(first.filter((r) => r.status === 'rejected')).toHaveLength(200);
        expect(s.log.lastSeq('odd')).toBe(0);
        await Promise.all(appends(200));
        expect(commits).toEqual(['append', 'append']);
        expect(s.log.lastSeq('odd')).toBe(100);
        expect(s.log.lastSeq('even')).toBe(100);
        expect(s.log.read('even', 1, 1)[0]!.event).toEqual({ n: 200 });
      });

      it('answers an empty append without storing anything', async () => {
        const s = await open();
        expect(await s.log.append('a', [])).toEqual({ first: 1, last: 0 });
        await s.log.append('a', [ev(1)]);
        expect(await s.log.append('a', [])).toEqual({ first: 2, last: 1 });
        expect(s.log.streams().map((x) => x.name)).toEqual(['a']);
      });

      it('reads from any seq, up to a limit', async () => {
        const s = await open();
        await s.log.append(
          'a',
          Array.from({ length: 20 }, (_, i) => ev(i + 1)),
        );
        expect(seqs(s.log.read('a', 0, 5))).toEqual([1, 2, 3, 4, 5]);
        expect(seqs(s.log.read('a', 7, 3))).toEqual([7, 8, 9]);
        expect(seqs(s.log.read('a', 18, 100))).toEqual([18, 19, 20]);
        expect(s.log.read('a', 21, 10)).toEqual([]);
        expect(s.log.read('a', 1, 0)).toEqual([]);
        expect(s.log.read('nothing', 1, 10)).toEqual([]);
        expect(s.log.read('a', 13, 1)[0]).toMatchObject({ stream: 'a', seq: 13, key: null, event: { n: 13 } });
      });

      it('stores events losslessly, with their key and append time, and hands out copies', async () => {
        const t = 1_700_000_000_000;
        const s = await open({ now: () => t });
        const events: EventValue[] = [
          { deep: { a: [1, 2.5, -0.125, 1e21, 2 ** 53 - 1, -(2 ** 53) + 1], b: null, c: true, d: '' } },
          'plain string with "quotes", \\ and \n newline',
          'unicode: é 😀 \u0000 \u2028 \ud800 (a lone surrogate survives inside a value)',
          42,
          null,
          [[], {}, [null]],
          { '': 'empty key', ä: 1, '😀': 2 },
          Number.MAX_VALUE,
          5e-324,
        ];
        await s.log.append(
          'x',
          events.map((event, i) => ({ event, key: i % 2 ? `k${i}` : null })),
        );
        const back = s.log.read('x', 1, 100);
        expect(back.map((e) => e.event)).toEqual(events);
        expect(back.map((e) => e.key)).toEqual(events.map((_, i) => (i % 2 ? `k${i}` : null)));
        expect(back.every((e) => e.ts === t && e.stream === 'x')).toBe(true);
        (back[0]!.event as { deep: { a: number[] } }).deep.a.push(99); // back has events.length rows (checked above)
        expect(s.log.read('x', 1, 1)[0]?.event).toEqual(events[0]);
      });

      it('never lets ts decrease along a stream, even when the clock goes back', async () => {
        let t = 5000;
        const s = await open({ now: () => t });
        await s.log.append('a', [ev(1)]);
        t = 1000;
        await s.log.append('a', [ev(2)]);
        await s.log.append('b', [ev(3)]);
        expect(s.log.read('a', 1, 10).map((e) => e.ts)).toEqual([5000, 5000]);
        expect(s.log.read('b', 1, 10)[0]?.ts).toBe(1000);
      });

      it('lists streams with count, first and last seq', async () => {
        const s = await open();
        await s.log.append('zeta', [ev(1)]);
        await s.log.append('alpha', [ev(1), ev(2), ev(3)]);
        expect(s.log.streams()).toEqual([
          { name: 'alpha', count: 3, firstSeq: 1, lastSeq: 3 },
          { name: 'zeta', count: 1, firstSeq: 1, lastSeq: 1 },
        ]);
      });

      it('tails a stream from a seq to its end', async () => {
        const s = await open();
        await s.log.append(
          'a',
          Array.from({ length: 600 }, (_, i) => ev(i + 1)),
        );
        expect(seqs(await collect(s.log.tail('a', 1)))).toEqual(Array.from({ length: 600 }, (_, i) => i + 1));
        expect(seqs(await collect(s.log.tail('a', 598)))).toEqual([598, 599, 600]);
        expect(await collect(s.log.tail('none', 1))).toEqual([]);
      });

      it('follows a stream: a tail waiting at the end is woken by an append at once', async () => {
        const s = await open();
        await s.log.append('a', [ev(1)]);
        const controller = new AbortController();
        const got: StoredEvent[] = [];
        const started = Date.now();
        const done = (async () => {
          for await (const e of s.log.tail('a', 1, { follow: true, signal: controller.signal, pollMs: 60_000 })) {
            got.push(e);
            if (got.length === 3) controller.abort();
          }
        })();
        await new Promise((r) => setTimeout(r, 20));
        expect(seqs(got)).toEqual([1]);
        await s.log.append('a', [ev(2)]);
        await s.log.append('b', [ev(99)]);
        s.commitBatch({ appends: [{ stream: 'a', items: [ev(3)] }] });
        await done;
        expect(seqs(got)).toEqual([1, 2, 3]);
        expect(Date.now() - started).toBeLessThan(5_000); // woken, not polled (pollMs is a minute)
      });

      it('ends a following tail when its signal aborts or the store closes', async () => {
        const s = await open();
        const controller = new AbortController();
        const aborted = collect(s.log.tail('a', 1, { follow: true, signal: controller.signal, pollMs: 60_000 }));
        const closing = collect(s.log.tail('a', 1, { follow: true, pollMs: 60_000 }));
        await new Promise((r) => setTimeout(r, 10));
        controller.abort();
        expect(await aborted).toEqual([]);
        s.close();
        expect(await closing).toEqual([]);
      });

      it('stops a tail when the consumer breaks out of the loop', async () => {
        const s = await open();
        await s.log.append('a', [ev(1), ev(2), ev(3)]);
        expect(seqs(await collect(s.log.tail('a', 1, { follow: true }), 2))).toEqual([1, 2]);
      });

      it('appends many events at once in order, seqs and keys intact (across the multi-row insert chunks)', async () => {
        const s = await open();
        await s.log.append('a', [ev(0)]);
        const items = Array.from({ length: 64 * 2 + 7 }, (_, i) => ({ event: { n: i + 1, s: 'x'.repeat(i % 5) }, key: i % 3 === 0 ? `k${i}` : null }));
        expect(await s.log.append('a', items)).toEqual({ first: 2, last: 136 });
        const read = s.log.read('a', 2, 1000);
        expect(read.map((e) => [e.seq, e.event, e.key])).toEqual(items.map((it, i) => [i + 2, it.event, it.key]));
        const r = s.commitBatch({ appends: [{ stream: 'a', items: items.slice(0, 65) }] });
        expect(r.appended).toEqual([{ stream: 'a', first: 137, last: 201 }]);
        expect(s.log.read('a', 137, 1000).map((e) => e.event)).toEqual(items.slice(0, 65).map((it) => it.event));
      });

      it('appends chunks without keys, with keys and mixed in one append: seqs, keys, times and text intact', async () => {
        const s = await open();
        await s.log.append('a', [ev(0)]);
        // A chunk of 64 without keys, one where only the last has a key, one with keys on all, and a tail.
        const key = (i: number): string | null => (i < 64 ? null : i < 128 ? (i === 127 ? 'last' : null) : i < 192 ? `k${i}` : i % 2 ? 't' : null);
        const items = Array.from({ length: 64 * 3 + 5 }, (_, i) => ({ event: { n: i, s: 'é'.repeat(i % 4) }, key: key(i) }));
        expect(await s.log.append('a', items)).toEqual({ first: 2, last: 198 });
        const read = s.log.read('a', 1, 1000);
        expect(read.map((e) => [e.seq, e.key])).toEqual([[1, null], ...items.map((it, i) => [i + 2, it.key])]);
        expect(read.slice(1).map((e) => e.event)).toEqual(items.map((it) => it.event));
        // One append, one time: every row has the append's ts, not before the first event's.
        expect(read.slice(1).every((e) => Number.isSafeInteger(e.seq) && e.ts === read[1]!.ts && e.ts >= read[0]!.ts)).toBe(true);
        if (s.log.readJson !== undefined) expect(s.log.readJson('a', 2, 1000).json).toEqual(items.map((it) => JSON.stringify(it.event)));
        // The next append goes on after the last seq, and another stream starts at 1.
        expect(await s.log.append('a', items.slice(0, 64))).toEqual({ first: 199, last: 262 });
        expect(s.log.read('a', 199, 1000).map((e) => [e.seq, e.event])).toEqual(items.slice(0, 64).map((it, i) => [199 + i, it.event]));
        expect(await s.log.append('b', items.slice(64, 128))).toEqual({ first: 1, last: 64 });
        expect(s.log.read('b', 1, 1000).map((e) => [e.seq, e.key])).toEqual(items.slice(64, 128).map((it, i) => [1 + i, it.key]));
      });

      it('readJson: the events as their stored JSON text, from the first seq kept', async () => {
        const s = await open();
        if (s.log.readJson === undefined) return; // optional: readers fall back to read
        const events: EventValue[] = [{ n: 1 }, 'two', 3, null, [4, { five: 5 }], { é: 'ü\n' }];
        await s.log.append(
          'a',
          events.map((event) => ({ event })),
        );
        expect(s.log.readJson('a', 1, 100)).toEqual({ first: 1, json: events.map((e) => JSON.stringify(e)) });
        expect(s.log.readJson('a', 3, 2)).toEqual({ first: 3, json: ['3', 'null'] });
        expect(s.log.readJson('a', 7, 10)).toEqual({ first: 7, json: [] });
        expect(s.log.readJson('never', 1, 10)).toEqual({ first: 1, json: [] });
        expect(s.log.readJson('a', 1, 0)).toEqual({ first: 1, json: [] });
        s.log.retain('a', { maxCount: 2 });
        // Before the first seq kept: from the first kept, as `read` does.
        expect(s.log.readJson('a', 1, 100)).toEqual({ first: 5, json: [JSON.stringify(events[4]), JSON.stringify(events[5])] });
        expect(s.log.read('a', 1, 100).map((e) => e.seq)).toEqual([5, 6]);
      });

      it("an item's own `json` text is stored as it is (an input line), in appends and in commits; the others are encoded", async () => {
        const s = await open();
        // Texts a sender may write, each parsing to its event: spaces, a decimal point, an escape.
        const lines = ['{ "a" : 1.0 }', '[1, 2]', '"\\u0041"'];
        const events: EventValue[] = lines.map((l) => JSON.parse(l) as EventValue);
        await s.log.append('a', [{ event: events[0]!, json: lines[0]! }, { event: { b: 2 } }]);
        s.commitBatch({
          appends: [
            {
              stream: 'a',
              items: [
                { event: events[1]!, json: lines[1]! },
                { event: events[2]!, json: lines[2]! },
              ],
            },
          ],
        });
        expect(s.log.read('a', 1, 10).map((e) => e.event)).toEqual([{ a: 1 }, { b: 2 }, [1, 2], 'A']);
        if (s.log.readJson !== undefined) expect(s.log.readJson('a', 1, 10).json).toEqual([lines[0], '{"b":2}', lines[1], lines[2]]);
      });

      it('retains by count: deletes the oldest, never reuses seqs', async () => {
        const s = await open();
        await s.log.append(
          'a',
          Array.from({ length: 10 }, (_, i) => ev(i + 1)),
        );
        expect(s.log.retain('a', { maxCount: 3 })).toBe(7);
        expect(s.log.retain('a', { maxCount: 3 })).toBe(0);
        expect(seqs(s.log.read('a', 1, 100))).toEqual([8, 9, 10]);
        expect(s.log.streams()).toEqual([{ name: 'a', count: 3, firstSeq: 8, lastSeq: 10 }]);
        expect(s.log.retain('a', { maxCount: 0 })).toBe(3);
        expect(s.log.streams()).toEqual([{ name: 'a', count: 0, firstSeq: 11, lastSeq: 10 }]);
        expect(s.log.lastSeq('a')).toBe(10);
        expect(await s.log.append('a', [ev(11)])).toEqual({ first: 11, last: 11 });
        expect(seqs(await collect(s.log.tail('a', 1)))).toEqual([11]);
        expect(s.log.retain('nothing', { maxCount: 1 })).toBe(0);
      });

      it('retains by age, and by whichever limit deletes more', async () => {
        let t = 1_000_000;
        const s = await open({ now: () => t });
        for (let i = 1; i <= 10; i++) {
          await s.log.append('a', [ev(i)]);
          t += 1000; // event i was appended at 1_000_000 + (i-1)*1000
        }
        // now = 1_010_000: events older than 3500 ms are those appended before 1_006_500: 1..7
        expect(s.log.retain('a', { maxAgeMs: 3500 })).toBe(7);
        expect(seqs(s.log.read('a', 1, 100))).toEqual([8, 9, 10]);
        expect(s.log.retain('a', { maxAgeMs: 60_000, maxCount: 1 })).toBe(2);
        t += 1_000_000;
        expect(s.log.retain('a', { maxAgeMs: 1 })).toBe(1);
        expect(s.log.streams()[0]).toMatchObject({ count: 0, lastSeq: 10 });
      });

      it('refuses bad names, seqs and values with STORAGE_INVALID', async () => {
        const s = await open();
        await expectStorageError(() => s.log.append('', [ev(1)]), 'STORAGE_INVALID');
        await expectStorageError(() => s.log.append('a', [{ event: 1n as unknown as EventValue }]), 'STORAGE_INVALID');
        await expectStorageError(() => s.log.append('a', [{ event: undefined as unknown as EventValue }]), 'STORAGE_INVALID');
        await expectStorageError(() => s.log.append('\ud800', [ev(1)]), 'STORAGE_INVALID');
        await expectStorageError(() => s.log.read('a', -1, 10), 'STORAGE_INVALID');
        await expectStorageError(() => s.log.read('a', 1.5, 10), 'STORAGE_INVALID');
        await expectStorageError(() => s.log.tail('a', -1), 'STORAGE_INVALID');
        await expectStorageError(() => s.log.retain('a', { maxCount: -1 }), 'STORAGE_INVALID');
        expect(s.log.streams()).toEqual([]);
      });

      it(`refuses values nested deeper than ${MAX_STORED_DEPTH} levels with STORAGE_INVALID, however deep, and stores the rest`, async () => {
        const s = await open();
        const deep = (d: number): EventValue => JSON.parse('['.repeat(d) + ']'.repeat(d)) as EventValue;
        for (const d of [MAX_STORED_DEPTH + 1, 6000, 100_000]) {
          const e = await expectStorageError(() => s.log.append('a', [ev(1), { event: { deep: deep(d) } }]), 'STORAGE_INVALID');
          expect(e.message).toContain(`nested deeper than ${MAX_STORED_DEPTH} levels`);
          await expectStorageError(() => s.state.put('ns', 'k', deep(d)), 'STORAGE_INVALID');
        }
        expect(s.log.lastSeq('a')).toBe(0);
        expect(await s.log.append('a', [{ event: deep(MAX_STORED_DEPTH) }])).toEqual({ first: 1, last: 1 });
        expect(s.log.read('a', 1, 1)[0]!.event).toEqual(deep(MAX_STORED_DEPTH));
        await s.state.put('ns', 'k', { s: '['.repeat(10_000) });
      });

      it('rejects every append of a group whose commit fails, and stores none of them', async () => {
        let fail = true;
        const s = await open({
          faults: (c) => {
            if (c.kind === 'append' && fail) throw new Error('injected commit failure');
          },
        });
        const results = await Promise.allSettled([s.log.append('a', [ev(1)]), s.log.append('a', [ev(2)]), s.log.append('b', [ev(3)])]);
        expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
        const reason = (results[0] as PromiseRejectedResult).reason as StorageError;
        expect(reason).toBeInstanceOf(StorageError);
        expect(reason.code).toBe('STORAGE_FAILED');
        expect(s.log.lastSeq('a')).toBe(0);
        expect(s.log.read('a', 1, 10)).toEqual([]);
        fail = false;
        expect(await s.log.append('a', [ev(4)])).toEqual({ first: 1, last: 1 });
      });
    });

    describe('state', () => {
      it('gets, puts and deletes values; namespaces are apart', async () => {
        const s = await open();
        expect(s.state.get('spell', 'k')).toBeUndefined();
        s.state.put('spell', 'k', { a: [1, 'x'], b: null });
        s.state.put('other', 'k', 7);
        expect(s.state.get('spell', 'k')).toEqual({ a: [1, 'x'], b: null });
        expect(s.state.get('other', 'k')).toBe(7);
        s.state.put('spell', 'k', null);
        expect(s.state.get('spell', 'k')).toBeNull(); // null is a value; only commitBatch's null deletes
        expect(s.state.delete('spell', 'k')).toBe(true);
        expect(s.state.delete('spell', 'k')).toBe(false);
        expect(s.state.get('spell', 'k')).toBeUndefined();
        expect(s.state.get('other', 'k')).toBe(7);
      });

      it('ranges over keys in byte order (code points), with from/to, prefix, reverse and limit', async () => {
        const s = await open();
        const keys = ['b', 'a', 'ab', '', 'A', 'é', '\uffff', '😀', 'a\u0000', 'aa', 'abc', 'b0'];
        for (const k of keys) s.state.put('ns', k, k);
        const codePointOrder = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
        expect(s.state.range('ns').map((e) => e.key)).toEqual(codePointOrder);
        expect(s.state.range('ns').map((e) => e.key)).toEqual(['', 'A', 'a', 'a\u0000', 'aa', 'ab', 'abc', 'b', 'b0', 'é', '\uffff', '😀']);
        expect(s.state.range('ns', { prefix: 'a' }).map((e) => e.key)).toEqual(['a', 'a\u0000', 'aa', 'ab', 'abc']);
        expect(s.state.range('ns', { prefix: 'ab' }).map((e) => e.key)).toEqual(['ab', 'abc']);
        expect(s.state.range('ns', { from: 'aa', to: 'b0' }).map((e) => e.key)).toEqual(['aa', 'ab', 'abc', 'b']);
        expect(s.state.range('ns', { prefix: 'a', from: 'aa', to: 'abc' }).map((e) => e.key)).toEqual(['aa', 'ab']);
        expect(s.state.range('ns', { prefix: 'a', reverse: true, limit: 2 }).map((e) => e.key)).toEqual(['abc', 'ab']);
        expect(s.state.range('ns', { from: 'é' }).map((e) => e.key)).toEqual(['é', '\uffff', '😀']);
        expect(s.state.range('ns', { prefix: '\uffff' }).map((e) => e.key)).toEqual(['\uffff']);
        expect(s.state.range('ns', { limit: 3 }).map((e) => e.value)).toEqual(['', 'A', 'a']);
        expect(s.state.range('ns', { from: 'z', to: 'a' })).toEqual([]);
        expect(s.state.range('ns', { prefix: 'q' })).toEqual([]);
        expect(s.state.range('empty')).toEqual([]);
      });

      it('counts keys and lists namespaces', async () => {
        const s = await open();
        for (const k of ['u:1', 'u:2', 'v:1']) s.state.put('one', k, 1);
        s.state.put('two', 'x', 1);
        s.state.ensureIndex('three', 'f');
        expect(s.state.count('one')).toBe(3);
        expect(s.state.count('one', { prefix: 'u:' })).toBe(2);
        expect(s.state.count('none')).toBe(0);
        expect(s.state.namespaces()).toEqual([
          { ns: 'one', count: 3, indexes: [] },
          { ns: 'three', count: 0, indexes: ['f'] },
          { ns: 'two', count: 1, indexes: [] },
        ]);
      });

      it('refuses bad namespaces, keys, values and fields with STORAGE_INVALID', async () => {
        const s = await open();
        await expectStorageError(() => s.state.put('', 'k', 1), 'STORAGE_INVALID');
        await expectStorageError(() => s.state.put('ns', 1 as unknown as string, 1), 'STORAGE_INVALID');
        await expectStorageError(() => s.state.put('ns', 'bad\udc00', 1), 'STORAGE_INVALID');
        await expectStorageError(() => s.state.put('ns', 'k', (() => 1) as unknown as EventValue), 'STORAGE_INVALID');
        await expectStorageError(() => s.state.ensureIndex('ns', 'a.b'), 'STORAGE_INVALID');
        await expectStorageError(() => s.state.ensureIndex('ns', "x'); DROP TABLE state; --"), 'STORAGE_INVALID');
        await expectStorageError(() => s.state.query('ns', { index: 'f', gt: 1, lt: 'z' }), 'STORAGE_INVALID');
        await expectStorageError(() => s.state.query('ns', { index: 'f', gt: true as unknown as number }), 'STORAGE_INVALID');
        expect(s.state.namespaces()).toEqual([]);
      });
    });

    describe('value queries', () => {
      const fill = async (s: Storage): Promise<void> => {
        const rows: [string, EventValue][] = [
          ['a', { price: 10, name: 'pear' }],
          ['b', { price: 2, name: 'Apple' }],
          ['c', { price: 2.5, name: 'apple' }],
          ['d', { price: -7, name: 'fig' }],
          ['e', { price: 100, name: 'é-clair' }],
          ['f', { price: '10', name: 10 }], // a string price, a numeric name
          ['g', { price: true, name: null }], // booleans and null are not indexed
          ['h', { price: { v: 1 }, name: ['x'] }], // nor are objects and arrays
          ['i', { other: 1 }],
          ['j', 'not an object'],
          ['k', { price: 2, name: 'apple' }],
          ['l', { price: 1, name: '😀' }],
        ];
        s.commitBatch({ state: rows.map(([key, value]) => ({ ns: 'shop', key, value })) });
        s.state.put('elsewhere', 'z', { price: 3 });
      };
      const keysOf = (entries: { key: string }[]): string[] => entries.map((e) => e.key);

      for (const indexed of [false, true]) {
        it(`orders and filters numbers numerically and strings by code point (${indexed ? 'with' : 'without'} an index)`, async () => {
          const s = await open();
          if (indexed) {
            s.state.ensureIndex('shop', 'price');
            s.state.ensureIndex('shop', 'name');
          }
          await fill(s);
          expect(keysOf(s.state.query('shop', { index: 'price' }))).toEqual(['d', 'l', 'b', 'k', 'c', 'a', 'e', 'f']);
          expect(keysOf(s.state.query('shop', { index: 'price', gt: 2 }))).toEqual(['c', 'a', 'e']);
          expect(keysOf(s.state.query('shop', { index: 'price', gte: 2, lt: 10 }))).toEqual(['b', 'k', 'c']);
          expect(keysOf(s.state.query('shop', { index: 'price', lte: 2 }))).toEqual(['d', 'l', 'b', 'k']);
          expect(keysOf(s.state.query('shop', { index: 'price', eq: 2 }))).toEqual(['b', 'k']);
          expect(keysOf(s.state.query('shop', { index: 'price', eq: 10 }))).toEqual(['a']);
          expect(keysOf(s.state.query('shop', { index: 'price', eq: '10' }))).toEqual(['f']);
          expect(keysOf(s.state.query('shop', { index: 'price', eq: 1 }))).toEqual(['l']); // not g (true)
          expect(keysOf(s.state.query('shop', { index: 'price', gt: 0, limit: 2 }))).toEqual(['l', 'b']);
          expect(keysOf(s.state.query('shop', { index: 'price', lt: 50, reverse: true, limit: 3 }))).toEqual(['a', 'c', 'k']);
          expect(keysOf(s.state.query('shop', { index: 'name', gte: 'a' }))).toEqual(['c', 'k', 'd', 'a', 'e', 'l']);
          expect(keysOf(s.state.query('shop', { index: 'name', lt: 'b' }))).toEqual(['b', 'c', 'k']);
          expect(keysOf(s.state.query('shop', { index: 'name', eq: 'apple' }))).toEqual(['c', 'k']);
          expect(keysOf(s.state.query('shop', { index: 'name', gt: 'apple', lt: 'pear' }))).toEqual(['d']);
          expect(keysOf(s.state.query('shop', { index: 'name', gt: 5 }))).toEqual(['f']);
          expect(keysOf(s.state.query('shop', { index: 'name' }))).toEqual(['f', 'b', 'c', 'k', 'd', 'a', 'e', 'l']);
          expect(keysOf(s.state.query('shop', { index: 'name', reverse: true, limit: 2 }))).toEqual(['l', 'e']);
          expect(s.state.query('shop', { index: 'price', gt: 99 })).toEqual([{ key: 'e', value: { price: 100, name: 'é-clair' } }]);
          expect(s.state.query('shop', { index: 'missing' })).toEqual([]);
          expect(s.state.query('nobody', { index: 'price' })).toEqual([]);
        });
      }

      it('keeps an index up to date through puts, deletes and batches; ensureIndex is idempotent', async () => {
        const s = await open();
        s.state.put('ns', 'x', { v: 5 });
        s.state.ensureIndex('ns', 'v'); // indexes what is already there
        s.state.ensureIndex('ns', 'v');
        expect(s.state.indexes('ns')).toEqual(['v']);
        expect(s.state.indexes('other')).toEqual([]);
        s.state.put('ns', 'y', { v: 1 });
        s.commitBatch({
          state: [
            { ns: 'ns', key: 'x', value: { v: 0 } },
            { ns: 'ns', key: 'z', value: { v: 3 } },
          ],
        });
        expect(keysOf(s.state.query('ns', { index: 'v' }))).toEqual(['x', 'y', 'z']);
        s.state.delete('ns', 'y');
        s.commitBatch({ state: [{ ns: 'ns', key: 'z', value: null }] });
        expect(keysOf(s.state.query('ns', { index: 'v', gte: 0 }))).toEqual(['x']);
      });
    });

    describe('commitBatch and offsets', () => {
      it('commits the consumer position, state changes and appends together', async () => {
        const s = await open();
        expect(s.offsets.get('spell', 'in')).toBe(0);
        await s.log.append('out', [ev(0)]);
        const r = s.commitBatch({
          consumer: { name: 'spell', stream: 'in', seq: 5 },
          state: [
            { ns: 'spell', key: 'count', value: 5 },
            { ns: 'spell', key: 'gone', value: 1 },
            { ns: 'spell', key: 'gone', value: null },
            { ns: 'spell', key: 'twice', value: 1 },
            { ns: 'spell', key: 'twice', value: 2 },
          ],
          appends: [
            { stream: 'out', items: [ev(1), { event: { n: 2 }, key: 'p' }] },
            { stream: 'dead', items: [ev(3)] },
            { stream: 'out', items: [ev(4)] },
          ],
        });
        expect(r).toEqual({
          appended: [
            { stream: 'out', first: 2, last: 3 },
            { stream: 'dead', first: 1, last: 1 },
            { stream: 'out', first: 4, last: 4 },
          ],
        });
        expect(s.offsets.get('spell', 'in')).toBe(5);
        expect(s.offsets.get('spell', 'other')).toBe(0);
        expect(s.state.get('spell', 'count')).toBe(5);
        expect(s.state.get('spell', 'gone')).toBeUndefined();
        expect(s.state.get('spell', 'twice')).toBe(2);
        expect(s.log.read('out', 1, 10).map((e) => [e.seq, e.event, e.key])).toEqual([
          [1, { n: 0 }, null],
          [2, { n: 1 }, null],
          [3, { n: 2 }, 'p'],
          [4, { n: 4 }, null],
        ]);
        s.commitBatch({ consumer: { name: 'spell', stream: 'in', seq: 9 } });
        s.commitBatch({ consumer: { name: 'other', stream: 'in', seq: 1 } });
        expect(s.offsets.list()).toEqual([
          { consumer: 'other', stream: 'in', seq: 1 },
          { consumer: 'spell', stream: 'in', seq: 9 },
        ]);
        expect(s.offsets.list('spell')).toEqual([{ consumer: 'spell', stream: 'in', seq: 9 }]);
        expect(s.commitBatch({})).toEqual({ appended: [] });
        expect(s.commitBatch({ appends: [{ stream: 'empty', items: [] }] })).toEqual({ appended: [{ stream: 'empty', first: 1, last: 0 }] });
        expect(s.log.streams().map((x) => x.name)).toEqual(['dead', 'out']); // an empty append creates no stream
      });

      it('applies many state changes in their order: repeats, deletes and expiries across the multi-row upsert chunks', async () => {
        const s = await open();
        // 500 changes over 40 keys: each key written, rewritten, deleted and written again at every
        // distance from one another, inside one chunk of rows and across chunks; a model says what stays.
        const changes: { ns: string; key: string; value: EventValue | null; expiresAt?: number }[] = [];
        const model = new Map<string, { value: EventValue; expiresAt: number | undefined }>();
        for (let i = 0; i < 500; i++) {
          const key = `k${(i * 7) % 40}`;
          const ns = i % 3 === 0 ? 'other' : 'main';
          if (i % 11 === 5) {
            changes.push({ ns, key, value: null });
            model.delete(`${ns}/${key}`);
          } else {
            const expiresAt = i % 5 === 0 ? 10_000 + i : undefined;
            changes.push({ ns, key, value: { i }, ...(expiresAt !== undefined ? { expiresAt } : {}) });
            model.set(`${ns}/${key}`, { value: { i }, expiresAt });
          }
        }
        s.commitBatch({ state: changes });
        for (const ns of ['main', 'other']) {
          const want = [...model].filter(([k]) => k.startsWith(`${ns}/`)).map(([k, v]) => [k.slice(ns.length + 1), v.value]);
          const got = s.state.range(ns).map((e) => [e.key, e.value]);
          expect(got).toEqual(want.sort((a, b) => ((a[0] as string) < (b[0] as string) ? -1 : 1)));
          // An expiry set by an earlier write of a key is ended by a later write without one.
          for (const [k, v] of model) {
            if (!k.startsWith(`${ns}/`)) continue;
            const key = k.slice(ns.length + 1);
            expect(s.state.get(ns, key, 20_000), key).toEqual(v.expiresAt === undefined ? v.value : undefined);
          }
        }
      });

      it('leaves nothing of a batch whose commit fails mid-way, and keeps seqs contiguous after it', async () => {
        let failNext = false;
        const s = await open({
          faults: (c) => {
            if (failNext && c.kind === 'batch') {
              failNext = false;
              throw new Error('injected commit failure');
            }
          },
        });
        s.commitBatch({
          consumer: { name: 'c', stream: 'in', seq: 1 },
          state: [{ ns: 'c', key: 'k', value: 1 }],
          appends: [{ stream: 'out', items: [ev(1)] }],
        });
        failNext = true;
        const err = await expectStorageError(
          () =>
            s.commitBatch({
              consumer: { name: 'c', stream: 'in', seq: 2 },
              state: [
                { ns: 'c', key: 'k', value: 2 },
                { ns: 'c', key: 'new', value: 1 },
              ],
              appends: [
                { stream: 'out', items: [ev(2), ev(3)] },
                { stream: 'fresh', items: [ev(1)] },
              ],
            }),
          'STORAGE_FAILED',
        );
        expect(err.message).toMatch(/could not commit the batch/);
        expect(s.offsets.get('c', 'in')).toBe(1);
        expect(s.state.get('c', 'k')).toBe(1);
        expect(s.state.get('c', 'new')).toBeUndefined();
        expect(s.log.lastSeq('out')).toBe(1);
        expect(s.log.lastSeq('fresh')).toBe(0);
        expect(s.log.streams().map((x) => x.name)).toEqual(['out']);
        expect(s.commitBatch({ appends: [{ stream: 'out', items: [ev(2)] }] }).appended).toEqual([{ stream: 'out', first: 2, last: 2 }]);
      });

      it('refuses a batch with a bad value anywhere, before anything is written', async () => {
        const s = await open();
        await expectStorageError(
          () =>
            s.commitBatch({
              consumer: { name: 'c', stream: 'in', seq: 3 },
              state: [
                { ns: 'c', key: 'ok', value: 1 },
                { ns: 'c', key: 'bad', value: 2n as unknown as EventValue },
              ],
              appends: [{ stream: 'out', items: [ev(1)] }],
            }),
          'STORAGE_INVALID',
        );
        await expectStorageError(
          () => s.commitBatch({ appends: [{ stream: 'out', items: [ev(1)] }], consumer: { name: 'c', stream: 'in', seq: -1 } }),
          'STORAGE_INVALID',
        );
        expect(s.offsets.get('c', 'in')).toBe(0);
        expect(s.state.get('c', 'ok')).toBeUndefined();
        expect(s.log.lastSeq('out')).toBe(0);
      });

      it('fences a consumer: with `expected`, a batch commits only from that position', async () => {
        const s = await open();
        s.commitBatch({ consumer: { name: 'c', stream: 'in', seq: 10, expected: 0 } });
        const err = await expectStorageError(
          () =>
            s.commitBatch({
              consumer: { name: 'c', stream: 'in', seq: 20, expected: 0 },
              appends: [{ stream: 'out', items: [ev(1)] }],
              state: [{ ns: 'c', key: 'k', value: 1 }],
            }),
          'STORAGE_CONFLICT',
        );
        expect(err.message).toMatch(/is 10, not the expected 0/);
        expect(s.offsets.get('c', 'in')).toBe(10);
        expect(s.log.lastSeq('out')).toBe(0);
        expect(s.state.get('c', 'k')).toBeUndefined();
        s.commitBatch({ consumer: { name: 'c', stream: 'in', seq: 20, expected: 10 } });
        expect(s.offsets.get('c', 'in')).toBe(20);
      });
    });

    describe('moving consumers and clearing state (replay)', () => {
      async function seeded(options: ConformanceOptions = {}): Promise<Storage> {
        const s = await open(options);
        s.state.ensureIndex('a', 'v');
        s.commitBatch({
          consumer: { name: 'p', stream: 'in', seq: 10 },
          positions: [{ name: 'p', stream: 'in2', seq: 7 }],
          state: [
            { ns: 'a', key: 'x', value: { v: 1 } },
            { ns: 'a', key: 'y', value: { v: 2 } },
            { ns: 'b', key: 'z', value: 3 },
          ],
        });
        return s;
      }

      it('sets several positions, back as well as forward, clears namespaces and applies state, in one batch', async () => {
        const s = await seeded();
        expect(s.offsets.list('p')).toEqual([
          { consumer: 'p', stream: 'in', seq: 10 },
          { consumer: 'p', stream: 'in2', seq: 7 },
        ]);
        s.commitBatch({
          clearState: ['a', 'never-used'],
          positions: [
            { name: 'p', stream: 'in', seq: 2, expected: 10 },
            { name: 'p', stream: 'in2', seq: 0, expected: 7 },
          ],
          state: [{ ns: 'a', key: 'new', value: { v: 5 } }],
        });
        expect(s.offsets.get('p', 'in')).toBe(2);
        expect(s.offsets.get('p', 'in2')).toBe(0);
        expect(s.state.range('a')).toEqual([{ key: 'new', value: { v: 5 } }]);
        expect(s.state.get('b', 'z')).toBe(3); // other namespaces untouched
        expect(s.state.indexes('a')).toEqual(['v']); // the index stays, and is up to date
        expect(s.state.query('a', { index: 'v', gte: 0 })).toEqual([{ key: 'new', value: { v: 5 } }]);
        s.commitBatch({ clearState: ['a'] });
        expect(s.state.count('a')).toBe(0);
        expect(s.state.namespaces()).toEqual([
          { ns: 'a', count: 0, indexes: ['v'] },
          { ns: 'b', count: 1, indexes: [] },
        ]);
      });

      it('leaves state and every position as they were when the commit fails, or a fence does', async () => {
        let fail = false;
        const s = await seeded({
          faults: () => {
            if (fail) throw new Error('injected commit failure');
          },
        });
        fail = true;
        await expectStorageError(
          () =>
            s.commitBatch({
              clearState: ['a'],
              positions: [
                { name: 'p', stream: 'in', seq: 0 },
                { name: 'p', stream: 'in2', seq: 0 },
              ],
            }),
          'STORAGE_FAILED',
        );
        fail = false;
        const err = await expectStorageError(
          () =>
            s.commitBatch({
              clearState: ['a'],
              positions: [
                { name: 'p', stream: 'in', seq: 0, expected: 10 },
                { name: 'p', stream: 'in2', seq: 0, expected: 6 },
              ],
            }),
          'STORAGE_CONFLICT',
        );
        expect(err.message).toMatch(/position in 'in2' is 7, not the expected 6/);
        expect(s.offsets.get('p', 'in')).toBe(10);
        expect(s.offsets.get('p', 'in2')).toBe(7);
        expect(s.state.count('a')).toBe(2);
      });

      it('refuses bad positions and namespaces before anything is written', async () => {
        const s = await seeded();
        await expectStorageError(() => s.commitBatch({ clearState: ['a'], positions: [{ name: 'p', stream: 'in', seq: -1 }] }), 'STORAGE_INVALID');
        await expectStorageError(() => s.commitBatch({ clearState: ['a', ''] }), 'STORAGE_INVALID');
        await expectStorageError(() => s.commitBatch({ clearState: 'a' as unknown as string[] }), 'STORAGE_INVALID');
        await expectStorageError(() => s.commitBatch({ positions: {} as unknown as [] }), 'STORAGE_INVALID');
        expect(s.state.count('a')).toBe(2);
        expect(s.offsets.get('p', 'in')).toBe(10);
      });
    });

    describe('timers', () => {
      it('sets, moves and cancels timers through commitBatch; next and due answer in (instant, key) order', async () => {
        const s = await open();
        expect(s.timers.next('w')).toBeUndefined();
        expect(s.timers.due('w', 1e15, 10)).toEqual([]);
        s.commitBatch({
          timers: [
            { ns: 'w', key: 'b', at: 300 },
            { ns: 'w', key: 'a', at: 300 },
            { ns: 'w', key: 'c', at: 100 },
            { ns: 'w', key: 'd', at: -5 },
            { ns: 'other', key: 'a', at: 1 },
          ],
        });
        expect(s.timers.next('w')).toBe(-5);
        expect(s.timers.due('w', 300, 10)).toEqual([
          { key: 'd', at: -5 },
          { key: 'c', at: 100 },
          { key: 'a', at: 300 },
          { key: 'b', at: 300 },
        ]);
        expect(s.timers.due('w', 299, 10).map((t) => t.key)).toEqual(['d', 'c']);
        expect(s.timers.due('w', 300, 3).map((t) => t.key)).toEqual(['d', 'c', 'a']);
        expect(s.timers.due('w', 300, 0)).toEqual([]);
        expect(s.timers.get('w', 'c')).toBe(100);
        expect(s.timers.get('w', 'zz')).toBeUndefined();
        expect(s.timers.count('w')).toBe(4);
        // Moving a timer replaces it; cancelling an absent one is nothing; a later change to a key wins.
        s.commitBatch({
          timers: [
            { ns: 'w', key: 'd', at: 500 },
            { ns: 'w', key: 'c', at: null },
            { ns: 'w', key: 'nope', at: null },
            { ns: 'w', key: 'e', at: 1 },
            { ns: 'w', key: 'e', at: 2 },
          ],
        });
        expect(s.timers.due('w', 1000, 10)).toEqual([
          { key: 'e', at: 2 },
          { key: 'a', at: 300 },
          { key: 'b', at: 300 },
          { key: 'd', at: 500 },
        ]);
        expect(s.timers.next('other')).toBe(1);
        expect(s.timers.count('other')).toBe(1);
      });

      it('keeps the next due instant right through many sets and cancels (no scan needed)', async () => {
        const s = await open();
        const at = (i: number) => ((i * 7919) % 10007) + 1;
        for (let b = 0; b < 10; b++)
          s.commitBatch({ timers: Array.from({ length: 500 }, (_, j) => ({ ns: 'w', key: `k${b * 500 + j}`, at: at(b * 500 + j) })) });
        const live = new Map(Array.from({ length: 5000 }, (_, i) => [`k${i}`, at(i)] as const));
        const cancel = [...live.keys()].filter((_, i) => i % 3 === 0);
        s.commitBatch({ timers: cancel.map((key) => ({ ns: 'w', key, at: null })) });
        for (const k of cancel) live.delete(k);
        const sorted = [...live].sort(([ka, a], [kb, b]) => a - b || (ka < kb ? -1 : 1));
        expect(s.timers.next('w')).toBe(sorted[0]![1]);
        expect(s.timers.due('w', sorted[99]![1], 100).map((t) => t.key)).toEqual(sorted.slice(0, 100).map(([k]) => k));
        expect(s.timers.count('w')).toBe(live.size);
      });

      it('commits timers with the rest of the batch, or none of them when the commit fails', async () => {
        let fail = false;
        const s = await open({
          faults: () => {
            if (fail) throw new Error('injected commit failure');
          },
        });
        s.commitBatch({ timers: [{ ns: 'w', key: 'a', at: 10 }], state: [{ ns: 'w', key: 'x', value: 1 }] });
        fail = true;
        await expectStorageError(
          () =>
            s.commitBatch({
              timers: [
                { ns: 'w', key: 'a', at: null },
                { ns: 'w', key: 'b', at: 5 },
              ],
              state: [{ ns: 'w', key: 'x', value: 2 }],
            }),
          'STORAGE_FAILED',
        );
        fail = false;
        expect(s.timers.due('w', 100, 10)).toEqual([{ key: 'a', at: 10 }]);
        expect(s.state.get('w', 'x')).toBe(1);
      });

      it("clears a namespace's timers with its state (replay), and refuses bad timer changes before writing anything", async () => {
        const s = await open();
        s.commitBatch({
          timers: [
            { ns: 'w', key: 'a', at: 10 },
            { ns: 'v', key: 'a', at: 10 },
          ],
          state: [{ ns: 'w', key: 'x', value: 1 }],
        });
        s.commitBatch({ clearState: ['w'], timers: [{ ns: 'w', key: 'fresh', at: 20 }] });
        expect(s.timers.due('w', 100, 10)).toEqual([{ key: 'fresh', at: 20 }]);
        expect(s.timers.count('v')).toBe(1);
        expect(s.state.get('w', 'x')).toBeUndefined();
        for (const bad of [
          { ns: '', key: 'a', at: 1 },
          { ns: 'w', key: 7, at: 1 },
          { ns: 'w', key: 'a', at: 1.5 },
          { ns: 'w', key: 'a', at: Number.NaN },
          { ns: 'w', key: 'a', at: '1' },
          { ns: 'w', key: 'a' },
        ]) {
          await expectStorageError(() => s.commitBatch({ timers: [{ ns: 'w', key: 'ok', at: 1 }, bad as never] }), 'STORAGE_INVALID');
        }
        await expectStorageError(() => s.commitBatch({ timers: {} as never }), 'STORAGE_INVALID');
        await expectStorageError(() => s.timers.due('w', 1.5, 10), 'STORAGE_INVALID');
        expect(s.timers.get('w', 'ok')).toBeUndefined();
      });
    });

    describe('state that expires (time to live)', () => {
      it('hides a value read as of its expiry or later; without asOf it is still there', async () => {
        const s = await open();
        s.commitBatch({
          state: [
            { ns: 'a', key: 'k', value: { v: 1 }, expiresAt: 1000 },
            { ns: 'a', key: 'forever', value: 2 },
          ],
        });
        expect(s.state.get('a', 'k', 999)).toEqual({ v: 1 });
        expect(s.state.get('a', 'k', 1000)).toBeUndefined();
        expect(s.state.get('a', 'k')).toEqual({ v: 1 });
        expect(s.state.get('a', 'forever', 1e15)).toBe(2);
        expect(s.state.range('a', { asOf: 1000 }).map((e) => e.key)).toEqual(['forever']);
        expect(s.state.range('a', { asOf: 999 }).map((e) => e.key)).toEqual(['forever', 'k']);
        expect(s.state.range('a').map((e) => e.key)).toEqual(['forever', 'k']);
      });

      it('filters value queries by expiry too, with and without an index', async () => {
        const s = await open();
        s.commitBatch({
          state: [
            { ns: 'q', key: 'a', value: { n: 1 }, expiresAt: 50 },
            { ns: 'q', key: 'b', value: { n: 2 } },
            { ns: 'q', key: 'c', value: { n: 3 }, expiresAt: 500 },
          ],
        });
        expect(s.state.query('q', { index: 'n', gte: 0, asOf: 100 }).map((e) => e.key)).toEqual(['b', 'c']);
        s.state.ensureIndex('q', 'n');
        expect(s.state.query('q', { index: 'n', gte: 0, asOf: 100 }).map((e) => e.key)).toEqual(['b', 'c']);
        expect(s.state.query('q', { index: 'n', asOf: 500 }).map((e) => e.key)).toEqual(['b']);
        expect(s.state.query('q', { index: 'n' }).map((e) => e.key)).toEqual(['a', 'b', 'c']);
      });

      it('lists the expired keys earliest first for a sweep; a put without a TTL or a delete ends the expiry', async () => {
        const s = await open();
        s.commitBatch({
          state: [
            { ns: 'a', key: 'x', value: 1, expiresAt: 30 },
            { ns: 'a', key: 'y', value: 1, expiresAt: 10 },
            { ns: 'a', key: 'z', value: 1, expiresAt: 20 },
            { ns: 'a', key: 'w', value: 1, expiresAt: 90 },
            { ns: 'b', key: 'x', value: 1, expiresAt: 1 },
          ],
        });
        expect(s.state.expired('a', 30, 10)).toEqual(['y', 'z', 'x']);
        expect(s.state.expired('a', 30, 2)).toEqual(['y', 'z']);
        expect(s.state.expired('a', 9, 10)).toEqual([]);
        s.commitBatch({
          state: [
            { ns: 'a', key: 'y', value: 2 },
            { ns: 'a', key: 'z', value: null },
            { ns: 'a', key: 'x', value: 3, expiresAt: 95 },
          ],
        });
        expect(s.state.expired('a', 100, 10)).toEqual(['w', 'x']);
        expect(s.state.get('a', 'y', 1e12)).toBe(2);
        s.state.put('a', 'w', 4); // a tool's put: no TTL
        expect(s.state.expired('a', 100, 10)).toEqual(['x']);
        s.commitBatch({ clearState: ['a'] });
        expect(s.state.expired('a', 100, 10)).toEqual([]);
        await expectStorageError(() => s.commitBatch({ state: [{ ns: 'a', key: 'k', value: 1, expiresAt: 0.5 }] }), 'STORAGE_INVALID');
        await expectStorageError(() => s.state.get('a', 'k', Number.NaN), 'STORAGE_INVALID');
      });
    });

    describe('closing', () => {
      it('commits queued appends on close, then refuses every call with STORAGE_CLOSED', async () => {
        const s = await open();
        const pending = s.log.append('a', [ev(1)]);
        s.close();
        expect(await pending).toEqual({ first: 1, last: 1 });
        s.close(); // idempotent
        await expectStorageError(() => s.log.append('a', [ev(2)]), 'STORAGE_CLOSED');
        await expectStorageError(() => s.log.read('a', 1, 1), 'STORAGE_CLOSED');
        await expectStorageError(() => s.state.get('ns', 'k'), 'STORAGE_CLOSED');
        await expectStorageError(() => s.commitBatch({}), 'STORAGE_CLOSED');
        await expectStorageError(() => s.offsets.get('c', 's'), 'STORAGE_CLOSED');
      });
    });
  });
}
