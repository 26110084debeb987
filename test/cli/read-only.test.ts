/**
 * The commands that only read (`streams`, `tail`, `state`) create nothing, read a data directory
 * they cannot write, and say "read-only" when a write is refused; `tail` names the streams when
 * asked for one that does not exist, and prints every good event before a damaged one.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openSqliteStorage } from '../../src/storage/index.js';
import { tempDir } from '../helpers.js';
import { lines, sanctum } from './run-cli.js';

/**
 * Root ignores file permissions, so as root the commands run as `nobody` (uid 65534) to meet a
 * directory they truly cannot write; as any other user, as that user.
 */
const other = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

/** A data directory `data` holding stream `s` (3 events) and state of spell `total`. */
async function seeded(): Promise<{ dir: string; data: string }> {
  const dir = tempDir();
  const data = path.join(dir, 'data');
  const s = openSqliteStorage({ dir: data });
  await s.log.append('s', [{ event: { n: 1 } }, { event: { n: 2 } }, { event: { n: 3 } }]);
  s.commitBatch({ state: [{ ns: 'total', key: 'a', value: 1 }] });
  s.close();
  return { dir, data };
}

/** Makes `data` read-only (0555, files 0444) and checks that the user the commands run as cannot write there. */
function lockDown(dir: string, data: string): void {
  chmodSync(dir, 0o755);
  for (const f of readdirSync(data)) chmodSync(path.join(data, f), 0o444);
  chmodSync(data, 0o555);
  const probe = spawnSync(process.execPath, ['-e', `require('fs').writeFileSync(${JSON.stringify(path.join(data, 'probe'))}, '')`], { ...other });
  expect(probe.status, 'the premise: the commands cannot write in the data directory').not.toBe(0);
}

describe('the commands that only read', () => {
  it('create nothing where there is no data directory', async () => {
    const dir = tempDir();
    const streams = await sanctum(['streams'], { cwd: dir });
    expect(streams.code).toBe(0);
    expect(streams.stdout).toBe(`no durable streams yet (no data file at ${path.join(dir, '.sanctum', 'sanctum.db')})\n`);
    expect((await sanctum(['streams', '--json'], { cwd: dir })).stdout).toBe('[]\n');
    const tail = await sanctum(['tail', 'orders'], { cwd: dir });
    expect(tail.code).toBe(2);
    expect(tail.stderr).toContain("no durable stream 'orders': there are no durable streams yet");
    const state = await sanctum(['state', 'total', '--data-dir', 'elsewhere'], { cwd: dir });
    expect(state.code).toBe(1);
    expect(state.stderr).toContain("spell 'total' has no state here (no data file at");
    expect(readdirSync(dir)).toEqual([]);
  });

  it('read a data directory they cannot write, and append says it is read-only', async () => {
    const { dir, data } = await seeded();
    lockDown(dir, data);
    try {
      const streams = await sanctum(['streams', '--data-dir', data, '--json'], other);
      expect(streams.code, streams.stderr).toBe(0);
      expect(JSON.parse(streams.stdout)).toEqual([{ name: 's', count: 3, firstSeq: 1, lastSeq: 3 }]);
      const tail = await sanctum(['tail', 's', '--data-dir', data], other);
      expect(tail.code, tail.stderr).toBe(0);
      expect(lines(tail.stdout)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
      const state = await sanctum(['state', 'total', '--data-dir', data], other);
      expect(lines(state.stdout)).toEqual([{ key: 'a', value: 1 }]);

      const append = await sanctum(['append', 's', '--data-dir', data], { ...other, input: '{"n":4}\n' });
      expect(append.code).toBe(2);
      expect(append.stderr).toMatch(/sanctum\.db is read-only: .* cannot be written \((EACCES|EPERM|EROFS)\)/);
      expect(readdirSync(data)).toEqual(['sanctum.db']);
    } finally {
      chmodSync(data, 0o755);
    }
  }, 60_000);

  it('read one whose -wal holds commits (a crashed writer), and refuse one whose -shm is gone, saying why', async () => {
    const dir = tempDir();
    const data = path.join(dir, 'data');
    // A writer that commits 3 events, keeps them in the -wal (no checkpoint), and is killed.
    const dist = pathToFileURL(path.resolve('dist/storage/index.js')).href;
    const script = `const { openSqliteStorage } = await import(${JSON.stringify(dist)});
      const s = openSqliteStorage({ dir: ${JSON.stringify(data)} });
      s.db.pragma('wal_autocheckpoint = 0');
      s.commitBatch({ appends: [{ stream: 's', items: [{ event: 1 }, { event: 2 }, { event: 3 }] }] });
      console.log('ready');
      setInterval(() => {}, 1000);`;
    const writer = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => writer.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()));
    writer.kill('SIGKILL');
    await new Promise((r) => writer.on('close', r));
    expect(readdirSync(data).sort()).toEqual(['sanctum.db', 'sanctum.db-shm', 'sanctum.db-wal']);

    lockDown(dir, data);
    try {
      const tail = await sanctum(['tail', 's', '--data-dir', data], other);
      expect(tail.code, tail.stderr).toBe(0);
      expect(tail.stdout).toBe('1\n2\n3\n');

      chmodSync(data, 0o755);
      rmSync(path.join(data, 'sanctum.db-shm'));
      chmodSync(data, 0o555);
      const refused = await sanctum(['tail', 's', '--data-dir', data], other);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('cannot be read: its directory is read-only, and its -wal file holds commits not yet copied into it');
    } finally {
      chmodSync(data, 0o755);
    }
  }, 60_000);
});

describe('sanctum tail', () => {
  it('exits 2 naming the streams when the stream does not exist, with or without --follow', async () => {
    const { data } = await seeded();
    for (const follow of [[], ['--follow']]) {
      const r = await sanctum(['tail', 'nope', '--data-dir', data, ...follow], { timeoutMs: 30_000 });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`no durable stream 'nope' in ${path.join(data, 'sanctum.db')} (streams: s)`);
    }
  });

  it('takes a stream the runeset declares durable before its first event, and refuses one that is not durable', async () => {
    const dir = tempDir({ 'r.yaml': 'version: 1\nstreams:\n  s: { durable: true }\n  later: { durable: true }\n  mem: {}\n' });
    const s = openSqliteStorage({ dir: path.join(dir, '.sanctum', 'r') });
    await s.log.append('s', [{ event: 1 }]);
    s.close();
    const later = await sanctum(['tail', 'later', '--runeset', 'r.yaml'], { cwd: dir });
    expect(later.code, later.stderr).toBe(0);
    expect(later.stdout).toBe('');
    const mem = await sanctum(['tail', 'mem', '--runeset', 'r.yaml'], { cwd: dir });
    expect(mem.code).toBe(2);
    expect(mem.stderr).toContain("stream 'mem' is not durable in r.yaml");
  });

  it('prints every good event before a damaged one, then the error', async () => {
    const { data } = await seeded();
    const s = openSqliteStorage({ dir: data });
    await s.log.append(
      's',
      Array.from({ length: 7 }, (_, i) => ({ event: { n: 4 + i } })),
    );
    s.close();
    const db = new Database(path.join(data, 'sanctum.db'));
    db.prepare("UPDATE events SET json = '{\"n\": 6, broken' WHERE stream = 's' AND seq = 6").run();
    db.close();
    const r = await sanctum(['tail', 's', '--data-dir', data]);
    expect(r.code).toBe(2);
    expect(lines(r.stdout)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }, { n: 5 }]);
    expect(r.stderr).toContain("is damaged: event 6 of stream 's' is not valid JSON");
    expect(existsSync(data)).toBe(true);
  });
});
