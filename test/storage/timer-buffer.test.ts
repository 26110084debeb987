/** TimerBuffer and StateBuffer's expiries: pending changes over the committed ones, for both adapters. */
import { describe, expect, it } from 'vitest';
import type { Storage } from '../../src/core/storage.js';
import { openMemoryStorage } from '../../src/storage/memory.js';
import { openSqliteStorage } from '../../src/storage/sqlite.js';
import { StateBuffer } from '../../src/storage/state-buffer.js';
import { TimerBuffer } from '../../src/storage/timer-buffer.js';
import { tempDirs } from './helpers.js';

const tmp = tempDirs();

for (const [adapter, open] of [
  ['memory', () => openMemoryStorage()],
  ['sqlite', () => openSqliteStorage({ dir: tmp() })],
] as [string, () => Storage][]) {
  describe(`TimerBuffer over ${adapter}`, () => {
    const seeded = (): { s: Storage; t: TimerBuffer } => {
      const s = open();
      s.commitBatch({
        timers: [
          { ns: 'w', key: 'a', at: 10 },
          { ns: 'w', key: 'b', at: 20 },
          { ns: 'w', key: 'c', at: 30 },
          { ns: 'x', key: 'a', at: 1 },
        ],
      });
      return { s, t: new TimerBuffer(s.timers, 'w') };
    };

    it('sees its own sets and cancels over the committed timers: get, next and due', () => {
      const { t } = seeded();
      expect(t.next()).toBe(10);
      t.cancel('a'); // the committed earliest, cancelled: the next is the one after it
      expect(t.next()).toBe(20);
      t.set('b', 40); // moved later: it no longer holds the earliest either
      expect(t.next()).toBe(30);
      t.set('d', 25);
      expect(t.next()).toBe(25);
      expect(t.get('a')).toBeUndefined();
      expect(t.get('b')).toBe(40);
      expect(t.due(30, 10)).toEqual(['d', 'c']);
      expect(t.due(100, 2)).toEqual(['d', 'c']);
      expect(t.due(100, 10)).toEqual(['d', 'c', 'b']);
      expect(t.due(24, 10)).toEqual([]);
    });

    it('finds the next when every timer at the committed earliest is overridden, and none when all are', () => {
      const { t } = seeded();
      t.cancel('a');
      t.cancel('b');
      t.cancel('c');
      expect(t.next()).toBeUndefined();
      expect(t.due(1e9, 10)).toEqual([]);
      t.restore('c', undefined); // undo of the cancel: c is back
      expect(t.next()).toBe(30);
    });

    it('hands its changes to commitBatch; after the commit the store holds them and next stays right', () => {
      const { s, t } = seeded();
      t.set('a', 50);
      t.cancel('b');
      t.set('e', 5);
      expect(t.changes()).toEqual([
        { ns: 'w', key: 'a', at: 50 },
        { ns: 'w', key: 'b', at: null },
        { ns: 'w', key: 'e', at: 5 },
      ]);
      s.commitBatch({ timers: t.changes() });
      t.committed();
      expect(t.size).toBe(0);
      expect(t.next()).toBe(5);
      expect(s.timers.due('w', 100, 10)).toEqual([
        { key: 'e', at: 5 },
        { key: 'c', at: 30 },
        { key: 'a', at: 50 },
      ]);
    });

    it('forgets its changes without a commit (discard): the store is the truth again', () => {
      const { t } = seeded();
      t.set('z', 1);
      expect(t.next()).toBe(1);
      t.discard();
      expect(t.next()).toBe(10);
    });
  });

  describe(`StateBuffer with expiring values over ${adapter}`, () => {
    it('hides its own pending values once expired, in get, range and query; changes carry the expiry', () => {
      const s = open();
      s.commitBatch({
        state: [
          { ns: 'n', key: 'old', value: { v: 1 }, expiresAt: 100 },
          { ns: 'n', key: 'keep', value: { v: 2 } },
        ],
      });
      const buf = new StateBuffer(s.state, 'n');
      buf.put('new', { v: 3 }, false, 50);
      expect(buf.get('new', 49)).toEqual({ v: 3 });
      expect(buf.get('new', 50)).toBeUndefined();
      expect(buf.get('old', 99)).toEqual({ v: 1 });
      expect(buf.get('old', 100)).toBeUndefined();
      expect(buf.range({ asOf: 60 }).map((e) => e.key)).toEqual(['keep', 'old']);
      expect(buf.query({ index: 'v', asOf: 120 }).map((e) => e.key)).toEqual(['keep']);
      expect(buf.changes()).toEqual([{ ns: 'n', key: 'new', value: { v: 3 }, expiresAt: 50 }]);
      buf.put('new', { v: 4 }); // a put without a ttl: no expiry any more
      expect(buf.get('new', 1e12)).toEqual({ v: 4 });
      expect(buf.changes()).toEqual([{ ns: 'n', key: 'new', value: { v: 4 } }]);
    });

    it('asks the store for as many more rows as pending deletes in the range, so a limit still holds', () => {
      const s = open();
      s.commitBatch({ state: ['a', 'b', 'c', 'd', 'e', 'f'].map((key) => ({ ns: 'n', key, value: key })) });
      const buf = new StateBuffer(s.state, 'n');
      buf.delete('a');
      buf.delete('b');
      buf.put('c', 'C');
      buf.put('zz', 'Z'); // outside the range below
      expect(buf.range({ to: 'f', limit: 2 })).toEqual([
        { key: 'c', value: 'C' },
        { key: 'd', value: 'd' },
      ]);
      expect(buf.range({ from: 'c', limit: 3 }).map((e) => e.key)).toEqual(['c', 'd', 'e']);
      expect(buf.range({ reverse: true, limit: 2 }).map((e) => e.key)).toEqual(['zz', 'f']);
    });
  });
}
