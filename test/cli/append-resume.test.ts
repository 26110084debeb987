/**
 * `sanctum append` re-run on the same file resumes where the killed run committed: SIGKILLed at
 * random points of its progress, 15+ times, and re-run each time, every line ends up stored once,
 * in order. The negative control re-runs with --from-start and must be caught duplicating.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqliteStorage, type SqliteStorage } from '../../src/storage/index.js';
import { tempDir } from '../helpers.js';
import { BIN, sanctum } from './run-cli.js';

const N = 200_000;

function bigFile(dir: string, n = N): string {
  const file = path.join(dir, 'in.ndjson');
  const chunk: string[] = [];
  for (let i = 0; i < n; i++) chunk.push(`{"i":${i},"pad":"${'x'.repeat(i % 13)}"}`);
  writeFileSync(file, `${chunk.join('\n')}\n`);
  return file;
}

/** The last seq of stream `s`, read through a read-only connection (0 before the file exists). */
function progressReader(data: string): { last: () => number; close: () => void } {
  let s: SqliteStorage | undefined;
  return {
    last: () => {
      if (!s) {
        if (!existsSync(path.join(data, 'sanctum.db'))) return 0;
        s = openSqliteStorage({ dir: data, readonly: true, verify: 'none' });
      }
      return s.log.lastSeq('s');
    },
    close: () => s?.close(),
  };
}

/**
 * Runs `sanctum append s <file>` (the node process itself, no wrapper) and SIGKILLs it once the
 * stream has reached `target` events. Resolves with how it ended.
 */
function appendKilledAt(
  file: string,
  data: string,
  target: number,
  reader: { last: () => number },
  extra: string[] = [],
): Promise<{ killed: boolean; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'append', 's', file, '--data-dir', data, '--no-progress', ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let exited = false;
    let killed = false;
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      exited = true;
      resolve({ killed: killed && signal === 'SIGKILL', code, stderr });
    });
    const poll = (): void => {
      if (exited) return;
      if (reader.last() >= target) {
        killed = child.kill('SIGKILL');
        return;
      }
      setTimeout(poll, 1 + Math.random() * 3);
    };
    poll();
  });
}

/** What the stream holds against the file: count, and whether seq k holds line k-1 for every k. */
function inspect(data: string): { count: number; inOrder: boolean; duplicates: number } {
  const s = openSqliteStorage({ dir: data, readonly: true });
  try {
    let count = 0;
    let inOrder = true;
    const seen = new Set<number>();
    let duplicates = 0;
    for (let from = 1; ; ) {
      const page = s.log.read('s', from, 50_000);
      if (page.length === 0) break;
      for (const e of page) {
        const i = (e.event as { i: number }).i;
        if (e.seq !== count + 1 || i !== count) inOrder = false;
        if (seen.has(i)) duplicates++;
        seen.add(i);
        count++;
      }
      from = page[page.length - 1]!.seq + 1;
    }
    return { count, inOrder, duplicates };
  } finally {
    s.close();
  }
}

async function killAndRerun(file: string, data: string, kills: number, extra: string[]): Promise<number> {
  const reader = progressReader(data);
  let done = 0;
  try {
    for (let round = 0; round < kills * 2 && done < kills; round++) {
      const target = reader.last() + 1 + Math.floor(Math.random() * 9000);
      const r = await appendKilledAt(file, data, target, reader, extra);
      if (r.killed) done++;
      else expect(r.code, r.stderr).toBe(0); // it finished before the target: the file was all appended
    }
  } finally {
    reader.close();
  }
  return done;
}

describe('sanctum append resumes a file after a crash', () => {
  it('keeps every line once, contiguous and in order, over 15+ SIGKILLs and re-runs', async () => {
    const dir = tempDir();
    const file = bigFile(dir);
    const data = path.join(dir, 'data');
    const kills = await killAndRerun(file, data, 16, []);
    expect(kills).toBeGreaterThanOrEqual(15);
    const last = await sanctum(['append', 's', file, '--data-dir', data, '--no-progress'], { timeoutMs: 120_000 });
    expect(last.code, last.stderr).toBe(0);
    expect(inspect(data)).toEqual({ count: N, inOrder: true, duplicates: 0 });
    expect(last.stderr).toMatch(/an earlier run appended (it up to byte \d+ of \d+; going on from there|all of it)/);

    // Run again: nothing new. Add lines to the file: only they are appended.
    const again = await sanctum(['append', 's', file, '--data-dir', data], { timeoutMs: 120_000 });
    expect(again.stderr).toContain('appended nothing to s');
    appendFileSync(file, `{"i":${N}}\n{"i":${N + 1}}\n`);
    const more = await sanctum(['append', 's', file, '--data-dir', data], { timeoutMs: 120_000 });
    expect(more.stderr).toContain(`appended 2 events to s (seq ${N + 1}..${N + 2})`);
  }, 300_000);

  it('negative control: re-running with --from-start is caught duplicating', async () => {
    const dir = tempDir();
    const file = bigFile(dir);
    const data = path.join(dir, 'data');
    const kills = await killAndRerun(file, data, 3, ['--from-start']);
    expect(kills).toBe(3);
    const last = await sanctum(['append', 's', file, '--data-dir', data, '--no-progress', '--from-start'], { timeoutMs: 120_000 });
    expect(last.code, last.stderr).toBe(0);
    const seen = inspect(data);
    expect(seen.count).toBeGreaterThan(N);
    expect(seen.duplicates).toBeGreaterThan(0);
    expect(seen.inOrder).toBe(false);
  }, 300_000);
});

describe('sanctum append: which file is "the same file"', () => {
  it('starts a file rewritten in place, or replaced, from its start with a warning; stdin never resumes', async () => {
    const dir = tempDir({ 'a.ndjson': '{"n":1}\n{"n":2}\n' });
    const data = ['--data-dir', 'data'];
    expect((await sanctum(['append', 's', 'a.ndjson', ...data], { cwd: dir })).stderr).toContain('appended 2 events to s (seq 1..2)');

    // Rewritten in place (same inode, other first bytes).
    writeFileSync(path.join(dir, 'a.ndjson'), '{"n":3}\n{"n":4}\n{"n":5}\n');
    const rewritten = await sanctum(['append', 's', 'a.ndjson', ...data], { cwd: dir });
    expect(rewritten.stderr).toContain('warning: a.ndjson was rewritten since an earlier run appended it');
    expect(rewritten.stderr).toContain('appended 3 events to s (seq 3..5)');

    // Replaced by another file (a new inode at the same path).
    const { renameSync } = await import('node:fs');
    writeFileSync(path.join(dir, 'b.ndjson'), '{"n":6}\n');
    renameSync(path.join(dir, 'b.ndjson'), path.join(dir, 'a.ndjson'));
    const replaced = await sanctum(['append', 's', 'a.ndjson', ...data], { cwd: dir });
    expect(replaced.stderr).toContain('warning: a.ndjson is not the file an earlier run appended from this path');
    expect(replaced.stderr).toContain('appended 1 event to s (seq 6..6)');

    // The same file under another name resumes.
    const other = await sanctum(['append', 's', path.join(dir, 'a.ndjson'), ...data], { cwd: dir });
    expect(other.stderr).toContain('appended nothing to s');

    // Standard input appends what it is given, every time.
    for (let i = 0; i < 2; i++) expect((await sanctum(['append', 's', ...data], { cwd: dir, input: '{"n":7}\n' })).code).toBe(0);
    const tail = await sanctum(['tail', 's', ...data, '--from', '7'], { cwd: dir });
    expect(tail.stdout).toBe('{"n":7}\n{"n":7}\n');
  }, 60_000);

  it('refuses a missing file before appending anything (exit 2)', async () => {
    const dir = tempDir({ 'a.ndjson': '{"n":1}\n' });
    const r = await sanctum(['append', 's', 'a.ndjson', 'missing.ndjson', '--data-dir', 'data'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot read missing.ndjson: no such file; nothing was appended');
    expect(existsSync(path.join(dir, 'data'))).toBe(false);
  });

  it('without --runeset, refuses a new stream name close to one the data directory has (a misspelling), unless --create', async () => {
    const dir = tempDir();
    const data = ['--data-dir', 'data'];
    expect((await sanctum(['append', 'readings', ...data], { cwd: dir, input: '{"n":1}\n' })).code).toBe(0);
    const typo = await sanctum(['append', 'reading', ...data], { cwd: dir, input: '{"n":2}\n' });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(
      /stream 'reading' is not in .*sanctum\.db, but 'readings' is: did you mean it\? To start 'reading' as a new stream, pass --create\./,
    );
    const streams = async () => JSON.parse((await sanctum(['streams', ...data, '--json'], { cwd: dir })).stdout).map((s: { name: string }) => s.name);
    expect(await streams()).toEqual(['readings']);
    // A name like no stream there starts a new one, as ever; --create starts the close one too.
    expect((await sanctum(['append', 'payments', ...data], { cwd: dir, input: '{"n":3}\n' })).code).toBe(0);
    expect((await sanctum(['append', 'reading', ...data, '--create'], { cwd: dir, input: '{"n":2}\n' })).code).toBe(0);
    expect(await streams()).toEqual(['payments', 'reading', 'readings']);
  });
});
