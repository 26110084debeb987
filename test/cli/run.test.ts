import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { sanctum, lines, BIN } from './run-cli.js';
import { tempDir } from '../helpers.js';

const counter = `local s = {}
local n = 0
function s.cast(e) n = n + 1 return { seen = e.v } end
function s.finish(emit) emit({ count = n }) end
return s
`;

const runeset = (source: string) => `version: 1
streams:
  input: {}
  output: {}
spells:
  counter: { file: counter.lua }
sources:
  in: ${source}
pipelines:
  count:
    from: input
    steps: [counter]
    to: output
sinks:
  out: { type: stdout, from: output }
`;

describe('sanctum run', () => {
  it('runs the demo from the repository (npm start)', async () => {
    const r = await sanctum(['run', 'spells/demo.runeset.yaml']);
    expect(r.code).toBe(0);
    const out = lines(r.stdout) as Record<string, unknown>[];
    expect(out.filter((e) => e['alert'])).toHaveLength(2);
    expect(out.filter((e) => e['code'] === 'SPELL_RUNTIME')).toHaveLength(2);
    expect(out.filter((e) => e['summary']).map((e) => e['summary'])).toEqual(['ada', 'grace', 'linus']);
    expect(r.stderr).toContain('sanctum: done: 7 events read');
    expect(r.stderr).toContain('2 dead letters');
  });

  it('reads a file source and writes a file sink, relative to the runeset', async () => {
    const dir = tempDir({
      'counter.lua': counter,
      'data/in.ndjson': '{"v":1}\n{"v":2}\n',
      'r.yaml': runeset('{ type: file, path: data/in.ndjson, to: input }').replace(
        'out: { type: stdout, from: output }',
        'out: { type: file, path: out/result.ndjson, from: output }',
      ),
    });
    const r = await sanctum(['run', `${dir}/r.yaml`, '--quiet']);
    expect(r.code).toBe(0);
    expect(lines(readFileSync(`${dir}/out/result.ndjson`, 'utf8'))).toEqual([{ seen: 1 }, { seen: 2 }, { count: 2 }]);
  });

  it('sends unreadable input lines to dead-letters, which go to stderr when nothing reads them (exit 1: not handled)', async () => {
    const dir = tempDir({ 'counter.lua': counter, 'r.yaml': runeset('{ type: stdin, to: input }') });
    const r = await sanctum(['run', `${dir}/r.yaml`], { input: '{"v":1}\nnot json\n' });
    expect(r.code).toBe(1);
    expect(lines(r.stdout)).toEqual([{ seen: 1 }, { count: 1 }]);
    expect(r.stderr).toContain('dead letter (in) INPUT_INVALID_JSON: stdin:2: invalid JSON');
    expect(r.stderr).toContain('1 dead letters');
  });

  it('on SIGTERM stops reading, finishes, flushes and exits 0', async () => {
    const dir = tempDir({ 'counter.lua': counter, 'r.yaml': runeset('{ type: stdin, to: input }') });
    const child = spawn(process.execPath, [BIN, 'run', `${dir}/r.yaml`]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.write('{"v":1}\n{"v":2}\n');
    // stdin stays open: a live source. Wait until both events came through, then signal.
    await new Promise<void>((resolve) => {
      const check = () => (stdout.split('\n').filter(Boolean).length >= 2 ? resolve() : setTimeout(check, 20));
      check();
    });
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(lines(stdout)).toEqual([{ seen: 1 }, { seen: 2 }, { count: 2 }]);
    expect(stderr).toContain('SIGTERM: stopping input');
    expect(stderr).toContain('stopped: 2 events read, 2 cast');
  });

  it('exits 2 and prints every problem of an invalid runeset', async () => {
    const dir = tempDir({ 'counter.lua': counter, 'r.yaml': runeset('{ type: stdin, to: inptu }').replace('steps: [counter]', 'steps: [countr]') });
    const r = await sanctum(['run', `${dir}/r.yaml`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/r\.yaml:8:\d+: .*inptu.*did you mean 'input'/);
    expect(r.stderr).toMatch(/r\.yaml:12:\d+: .*countr/);
  });

  it('exits 1 when a pipeline stops on an error', async () => {
    const dir = tempDir({
      'counter.lua': 'return { cast = function(e) error("no") end }',
      'r.yaml': runeset('{ type: stdin, to: input }').replace('counter: { file: counter.lua }', 'counter: { file: counter.lua, on_error: stop }'),
    });
    const r = await sanctum(['run', `${dir}/r.yaml`], { input: '{"v":1}\n' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("pipeline 'count' stopped");
  });
});

describe('sanctum check', () => {
  it('accepts the demo', async () => {
    const r = await sanctum(['check', 'spells/demo.runeset.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ok — 6 streams, 3 spells, 2 pipelines');
  });

  it('reports a broken spell with the Lua file and line, and every other problem', async () => {
    const dir = tempDir({
      'counter.lua': 'return { cast = function(e) return e +',
      'r.yaml': runeset('{ type: file, path: nope.ndjson, to: input }').replace('from: output', 'from: outptu'),
    });
    const r = await sanctum(['check', `${dir}/r.yaml`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/counter\.lua:1: unexpected symbol near <eof>/);
    expect(r.stderr).toMatch(/outptu/);
  });

  it('accepts the live demo', async () => {
    const r = await sanctum(['check', 'spells/demo-live.runeset.yaml']);
    expect(r.code).toBe(0);
  });

  it('prints JSON with --json', async () => {
    const r = await sanctum(['check', 'spells/demo.runeset.yaml', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ valid: true, errors: 0 });
  });
});

describe('paced and looping file sources', () => {
  it('replays a file in a loop at the given rate until stopped', async () => {
    const dir = tempDir({
      'counter.lua': counter,
      'in.ndjson': '{"v":1}\n{"v":2}\n',
      'r.yaml': runeset('{ type: file, path: in.ndjson, to: input, rate: 100, loop: true }'),
    });
    const child = spawn(process.execPath, [BIN, 'run', `${dir}/r.yaml`]);
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    // Ready once the loop has gone round at least three times (six events out), whatever the load.
    await new Promise<void>((resolve) => {
      child.stdout.on('data', () => {
        if (stdout.split('\n').filter(Boolean).length >= 6) resolve();
      });
    });
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    const out = lines(stdout) as { seen?: number; count?: number }[];
    const seen = out.filter((e) => e.seen !== undefined);
    // Looped: more than the file's two events; paced at 100/s: far fewer than unpaced would give.
    expect(seen.length).toBeGreaterThan(4);
    expect(seen.length).toBeLessThan(400);
    expect(seen.slice(0, 4).map((e) => e.seen)).toEqual([1, 2, 1, 2]);
    expect(out[out.length - 1]).toEqual({ count: seen.length });
  });

  it('refuses a loop into a durable stream', async () => {
    const dir = tempDir({
      'counter.lua': counter,
      'in.ndjson': '{"v":1}\n',
      'r.yaml': runeset('{ type: file, path: in.ndjson, to: input, loop: true }').replace('  input: {}', '  input: { durable: true }'),
    });
    const r = await sanctum(['check', `${dir}/r.yaml`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("source 'in' loops into the durable stream 'input'");
  });
});
