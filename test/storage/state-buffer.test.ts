/** StateBuffer: read-your-writes over committed state, for both adapters. */
import { describe, expect, it } from 'vitest';
import type { Storage } from '../../src/core/storage.js';
import { openMemoryStorage } from '../../src/storage/memory.js';
import { openSqliteStorage } from '../../src/storage/sqlite.js';
import { StateBuffer } from '../../src/storage/state-buffer.js';
import { expectStorageError } from './conformance.js';
import { tempDirs } from './helpers.js';

const tmp = tempDirs();

for (const [adapter, open] of [
  ['memory', () => openMemoryStorage()],
  ['sqlite', () => openSqliteStorage({ dir: tmp() })],
] as [string, () => Storage][]) {
  describe(`StateBuffer over ${adapter}`, () => {
    const seeded = (): { s: Storage; buf: StateBuffer } => {
      const s = open();
      s.state.ensureIndex('ns', 'p');
      s.commitBatch({ state: ['a', 'b', 'c', 'd', 'e'].map((key, i) => ({ ns: 'ns', key, value: { p: i * 10 } })) });
      s.state.put('other', 'a', 1);
      return { s, buf: new StateBuffer(s.state, 'ns') };
    };

    it('reads its own writes and deletes over the committed state', () => {
      const { s, buf } = seeded();
      expect(buf.get('a')).toEqual({ p: 0 });
      buf.put('a', { p: 99 });
      buf.delete('b');
      buf.put('z', { p: 5 });
      expect(buf.get('a')).toEqual({ p: 99 });
      expect(buf.get('b')).toBeUndefined();
      expect(buf.get('z')).toEqual({ p: 5 });
      expect(s.state.get('ns', 'a')).toEqual({ p: 0 }); // nothing committed yet
      expect(buf.size).toBe(3);
      s.close();
    });

    it('merges ranges and queries, limits included', () => {
      const { s, buf } = seeded();
      buf.delete('a');
      buf.delete('b');
      buf.put('bb', { p: 15 });
      buf.put('c', { p: -1 });
      expect(buf.range({ limit: 3 }).map((e) => e.key)).toEqual(['bb', 'c', 'd']);
      expect(buf.range({ reverse: true, limit: 2 }).map((e) => e.key)).toEqual(['e', 'd']);
      expect(buf.range({ prefix: 'b' }).map((e) => e.key)).toEqual(['bb']);
      expect(buf.query({ index: 'p', limit: 3 }).map((e) => e.key)).toEqual(['c', 'bb', 'd']);
      expect(buf.query({ index: 'p', gt: 0 }).map((e) => [e.key, e.value])).toEqual([
        ['bb', { p: 15 }],
        ['d', { p: 30 }],
        ['e', { p: 40 }],
      ]);
      expect(buf.query({ index: 'p', gte: 30, reverse: true, limit: 1 }).map((e) => e.key)).toEqual(['e']);
      s.close();
    });

    it('hands its changes to commitBatch, then starts afresh', () => {
      const { s, buf } = seeded();
      buf.put('a', 1);
      buf.delete('b');
      buf.put('a', 2);
      expect(buf.changes()).toEqual([
        { ns: 'ns', key: 'a', value: 2 },
        { ns: 'ns', key: 'b', value: null },
      ]);
      s.commitBatch({ consumer: { name: 'ns', stream: 'in', seq: 1 }, state: buf.changes() });
      buf.clear();
      expect(buf.size).toBe(0);
      expect(buf.get('a')).toBe(2);
      expect(buf.get('b')).toBeUndefined();
      expect(s.state.count('ns')).toBe(4);
      s.close();
    });

    it('refuses a value JSON cannot hold at put, not at commit', async () => {
      const { s, buf } = seeded();
      await expectStorageError(() => buf.put('k', 1n as unknown as number), 'STORAGE_INVALID');
      expect(buf.size).toBe(0);
      s.close();
    });
  });
}
