/**
 * Commits that do not wait for the disk (`syncLater`), synced from libuv's thread pool (`synced`):
 * what the log port does for every commit of a run. Written and visible at once, acknowledged only
 * once an fdatasync of the -wal that started after them has ended; a failed sync fails the store
 * (R5: nothing more is acknowledged or written). fdatasync is observed and failed through `fs`, the
 * module the store calls.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openSqliteStorage } from '../../src/storage/sqlite.js';
import { storageLogPort } from '../../src/storage/log-port.js';
import { expectStorageError } from './conformance.js';
import { failSyncs, holdSyncs, tempDirs, until } from './helpers.js';

const tmp = tempDirs();
const append = (stream: string, n: number) => ({ appends: [{ stream, items: Array.from({ length: n }, (_, i) => ({ event: { i } })) }] });

/** Lets pending I/O callbacks and immediates run: a promise that settled would have by then. */
const turns = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

afterEach(() => {
  vi.restoreAllMocks();
});

describe('commits synced later (syncLater, synced)', () => {
  it('are visible at once and on disk once synced() resolves: one fdatasync of the -wal covers every commit before it', async () => {
    const s = openSqliteStorage({ dir: tmp() });
    try {
      const syncs = holdSyncs();
      s.commitBatches([append('a', 3)], { syncLater: true });
      s.commitBatches([append('a', 2)], { syncLater: true });
      expect(s.log.lastSeq('a')).toBe(5); // visible before any sync
      let synced = false;
      const first = s.synced().then(() => (synced = true));
      await turns();
      expect(synced).toBe(false); // the sync is held
      expect(syncs.held).toHaveLength(1);
      expect(fs.readlinkSync(`/proc/self/fd/${syncs.held[0]!.fd}`)).toBe(`${s.path}-wal`);
      // Asked again with nothing new: the same sync, not another.
      const again = s.synced();
      await turns();
      expect(syncs.held).toHaveLength(1);
      syncs.release();
      await Promise.all([first, again]);
      expect(synced).toBe(true);
      expect(await s.synced().then(() => syncs.spy.mock.calls.length)).toBe(1); // nothing since: no sync
    } finally {
      s.close();
    }
  });

  it('a commit made while a sync is in flight waits for one more sync that starts after that one ends', async () => {
    const s = openSqliteStorage({ dir: tmp() });
    try {
      const syncs = holdSyncs();
      s.commitBatches([append('a', 1)], { syncLater: true });
      const first = s.synced();
      await turns();
      s.commitBatches([append('a', 1)], { syncLater: true });
      let secondDone = false;
      const second = s.synced().then(() => (secondDone = true));
      await turns();
      expect(syncs.held).toHaveLength(1); // the second sync starts only after the first
      syncs.release();
      await first;
      await turns();
      expect(secondDone).toBe(false);
      expect(syncs.held).toHaveLength(1); // …now started, for the commit made meanwhile
      syncs.release();
      await second;
      expect(syncs.spy).toHaveBeenCalledTimes(2);
    } finally {
      s.close();
    }
  });

  it('a failed sync rejects synced() with STORAGE_FAILED, and the store takes no more writes (R5)', async () => {
    const s = openSqliteStorage({ dir: tmp() });
    try {
      failSyncs();
      s.commitBatches([append('a', 1)], { syncLater: true });
      const failed = await expectStorageError(() => s.synced(), 'STORAGE_FAILED');
      expect(failed.message).toMatch(/could not sync its -wal file to disk \(EIO/);
      await expectStorageError(() => s.commitBatch(append('a', 1)), 'STORAGE_FAILED');
      await expectStorageError(() => s.commitBatches([append('a', 1)], { syncLater: true }), 'STORAGE_FAILED');
    } finally {
      s.close();
    }
  });

  it('without syncLater, or at synchronous NORMAL, a commit never waits on synced()', async () => {
    const full = openSqliteStorage({ dir: tmp() });
    const normal = openSqliteStorage({ dir: tmp(), synchronous: 'NORMAL' });
    try {
      const syncs = holdSyncs();
      full.commitBatches([append('a', 1)]); // SQLite synced it at the commit
      normal.commitBatches([append('a', 1)], { syncLater: true }); // NORMAL: no sync is asked for
      await full.synced();
      await normal.synced();
      expect(syncs.spy).not.toHaveBeenCalled();
      // A syncLater commit, and one that refuses a batch, leave the connection at FULL for every other write.
      full.commitBatches([append('a', 1)], { syncLater: true });
      expect(full.db.pragma('synchronous', { simple: true })).toBe(2);
      const refused = full.commitBatches([{ appends: [{ stream: '', items: [{ event: 1 }] }] }], { syncLater: true });
      expect(refused[0]).toBeInstanceOf(Error);
      expect(full.db.pragma('synchronous', { simple: true })).toBe(2);
      expect(normal.db.pragma('synchronous', { simple: true })).toBe(1);
    } finally {
      full.close();
      normal.close();
    }
  });

  it('the log port resolves a commit only once its sync has ended, and the next group commits meanwhile', async () => {
    const s = openSqliteStorage({ dir: tmp() });
    try {
      const syncs = holdSyncs();
      const port = storageLogPort(s);
      let firstDone = false;
      const first = port.commit(append('a', 2)).then((r) => {
        firstDone = true;
        return r;
      });
      await turns();
      expect(s.log.lastSeq('a')).toBe(2); // written
      expect(firstDone).toBe(false); // not acknowledged: its sync is held
      const second = port.commit(append('a', 1));
      await turns();
      expect(s.log.lastSeq('a')).toBe(3); // the next group did not wait for the disk
      let barrier = false;
      const synced = port.synced().then(() => (barrier = true));
      syncs.release();
      expect((await first).appended).toEqual([{ stream: 'a', first: 1, last: 2 }]);
      await turns();
      expect(barrier).toBe(false); // the second commit's sync had not started yet
      syncs.release();
      expect((await second).appended).toEqual([{ stream: 'a', first: 3, last: 3 }]);
      await synced;
    } finally {
      s.close();
    }
  });

  it('the log port rejects every commit of a group whose sync failed', async () => {
    const s = openSqliteStorage({ dir: tmp() });
    try {
      failSyncs();
      const port = storageLogPort(s);
      const results = await Promise.allSettled([port.commit(append('a', 1)), port.commit(append('b', 1))]);
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
      for (const r of results) await expectStorageError(() => Promise.reject((r as PromiseRejectedResult).reason), 'STORAGE_FAILED');
      await expect(port.commit(append('a', 1))).rejects.toThrow(/could not sync/);
    } finally {
      s.close();
    }
  });

  it('closing syncs what is not synced yet: the syncs still asked for resolve, and the -wal is let go once the last one ends', async () => {
    const s = openSqliteStorage({ dir: tmp() });
    const syncs = holdSyncs();
    s.commitBatches([append('a', 1)], { syncLater: true });
    const first = s.synced(); // held
    await turns();
    s.commitBatches([append('a', 1)], { syncLater: true });
    const second = s.synced(); // waits for the first
    const fd = syncs.held[0]!.fd;
    s.close(); // syncs the -wal itself, before SQLite removes it
    syncs.release();
    await first;
    await second; // resolved, not "could not sync": the close synced it
    // The descriptor is closed once its sync ended (its number may be another file's by now, never the -wal).
    const target = () => {
      try {
        return fs.readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return '';
      }
    };
    await until(() => !target().startsWith(`${s.path}-wal`), 'the -wal descriptor closed', 10_000);
    const again = openSqliteStorage({ dir: s.path.replace(/\/[^/]+$/, '') });
    expect(again.log.lastSeq('a')).toBe(2);
    again.close();
  });
});
