/** A closed stdout (`sanctum … | head -1`) ends a command quietly with 0; a missing test path is a plain message. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqliteStorage } from '../../src/storage/index.js';
import { tempDir } from '../helpers.js';
import { BIN, sanctum } from './run-cli.js';

/**
 * Runs the command and does what `head -1` does: reads up to the first newline, then closes its
 * end of the pipe (at once, before anything, with `lines: 0`). Resolves with the exit and stderr.
 */
function intoClosedPipe(
  args: string[],
  options: { cwd?: string; lines?: number } = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; first: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    if (options.lines === 0) child.stdout.destroy();
    else {
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.includes('\n')) child.stdout.destroy();
      });
    }
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, first: out.split('\n')[0]!, stderr });
    });
  });
}

const many = `${Array.from({ length: 200_000 }, (_, i) => `{"i":${i}}`).join('\n')}\n`;

describe('a closed stdout', () => {
  it('ends `sanctum cast` quietly with 0', async () => {
    const dir = tempDir({ 'id.lua': 'return { cast = function(e) return e end }', 'in.ndjson': many });
    const r = await intoClosedPipe(['cast', 'id.lua', 'in.ndjson'], { cwd: dir });
    expect(r.first).toBe('{"i":0}');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  }, 90_000);

  it('ends `sanctum tail` and `sanctum streams` quietly with 0', async () => {
    const dir = tempDir();
    const s = openSqliteStorage({ dir: path.join(dir, '.sanctum', 'r') });
    await s.log.append(
      's',
      Array.from({ length: 100_000 }, (_, i) => ({ event: { i } })),
    );
    s.close();
    const tail = await intoClosedPipe(['tail', 's'], { cwd: dir });
    expect(tail.first).toBe('{"i":0}');
    expect(tail.stderr).toBe('');
    expect(tail.code).toBe(0);
    const streams = await intoClosedPipe(['streams'], { cwd: dir, lines: 0 });
    expect(streams.stderr).toBe('');
    expect(streams.code).toBe(0);
  }, 90_000);

  it('ends help quietly with 0 (`sanctum streams --help | head -1`)', async () => {
    for (const args of [['streams', '--help'], ['--help'], ['help', 'run'], ['--version']]) {
      const r = await intoClosedPipe(args, { lines: 0 });
      expect(r.stderr, args.join(' ')).toBe('');
      expect(r.code, args.join(' ')).toBe(0);
    }
  }, 90_000);
});

describe('sanctum test', () => {
  it('says plainly that a path does not exist (exit 2)', async () => {
    const r = await sanctum(['test', 'no/such/dir']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('sanctum test: cannot read no/such/dir: no such file or directory\n');
  });
});
