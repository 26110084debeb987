/**
 * Issue 9 (correctness first), as a user meets it through `sanctum run`: state committed before
 * close, state from required modules, live appends and paced durable sources, honest exit codes,
 * SIGHUP, one copy of each warning, a summary that counts what pipelines did.
 */
import { describe, it, expect } from 'vitest';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { openSqliteStorage } from '../../src/storage/index.js';
import { sanctum, lines, BIN } from './run-cli.js';
import { tempDir } from '../helpers.js';

/** Starts `sanctum run` with stdin open; resolves helpers to wait for output and to stop it. */
function live(args: string[], cwd?: string) {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [BIN, ...args], { cwd });
  const run = { child, stdout: '', stderr: '' };
  child.stdout.on('data', (d) => (run.stdout += d));
  child.stderr.on('data', (d) => (run.stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  /** Resolves once `test` holds for stdout (checked on every chunk). */
  const until = (test: (stdout: string) => boolean) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (test(run.stdout)) {
          child.stdout.off('data', check);
          resolve();
        }
      };
      child.stdout.on('data', check);
      void exited.then(() => (test(run.stdout) ? resolve() : reject(new Error(`the run ended first:\n${run.stderr}`))));
      check();
    });
  return { run, exited, until };
}

const stateRuneset = (extra = '') => `version: 1
streams:
  input: {}
  output: {}
spells:
  remember: { file: remember.lua }
sources:
  in: { type: stdin, to: input }
pipelines:
  p: { from: input, steps: [remember], to: output }
sinks:
  out: { type: stdout, from: output }
${extra}`;

// Remembers every id in state; at finish, emits the ids it holds and forgets them.
const remember = `local s = {}
function s.cast(e) state.put(e.id, true) end
function s.finish(emit)
  for _, row in ipairs(state.range(nil, nil)) do
    emit({ forgot = row.key })
    state.delete(row.key)
  end
end
return s
`;

function stateKeys(dir: string, ns: string): string[] {
  const storage = openSqliteStorage({ dir: `${dir}/.sanctum/r`, create: false });
  try {
    return storage.state.range(ns).map((e) => e.key);
  } finally {
    storage.close();
  }
}

describe('9.1 every state write a cast made is committed before close', () => {
  it('stdin to its end: 500 piped events, 500 keys committed, exit 0 (no STORAGE_CLOSED)', async () => {
    const dir = tempDir({ 'remember.lua': 'local s = {} function s.cast(e) state.put(e.id, true) end return s', 'r.yaml': stateRuneset() });
    const input = `${Array.from({ length: 500 }, (_, i) => JSON.stringify({ id: `x${i}` })).join('\n')}\n`;
    const r = await sanctum(['run', `${dir}/r.yaml`], { input });
    expect(r.stderr).not.toContain('STORAGE_CLOSED');
    expect(r.code).toBe(0);
    expect(stateKeys(dir, 'remember')).toHaveLength(500);
  });

  it('Ctrl-C of a live stdin run: finish emits, its deletes commit, the next run emits nothing again', async () => {
    const dir = tempDir({ 'remember.lua': remember, 'r.yaml': stateRuneset() });
    const { run, exited } = live(['run', `${dir}/r.yaml`]);
    run.child.stdin.write('{"id":"a"}\n{"id":"b"}\n');
    // Ready when both are in state: the data file holds them (the run commits each batch).
    await new Promise<void>((resolve) => {
      const poll = () => {
        let keys: string[] = [];
        try {
          if (existsSync(`${dir}/.sanctum/r/sanctum.db`)) keys = stateKeys(dir, 'remember');
        } catch {
          // not there yet
        }
        if (keys.length === 2) resolve();
        else setTimeout(poll, 20);
      };
      poll();
    });
    run.child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(lines(run.stdout)).toEqual([{ forgot: 'a' }, { forgot: 'b' }]);
    expect(stateKeys(dir, 'remember')).toEqual([]);
    const again = await sanctum(['run', `${dir}/r.yaml`], { input: '' });
    expect(again.code).toBe(0);
    expect(lines(again.stdout)).toEqual([]);
  });
});

describe('9.3 the state library is always there', () => {
  it('a spell whose required module calls state works, and its state is committed', async () => {
    const dir = tempDir({
      'counter.lua': 'local store = require "store"\nlocal s = {}\nfunction s.cast(e) return { n = store.bump(e.id) } end\nreturn s\n',
      'store.lua': 'local M = {}\nfunction M.bump(k)\n  local n = (state.get(k) or 0) + 1\n  state.put(k, n)\n  return n\nend\nreturn M\n',
      'r.yaml': stateRuneset().replace('remember: { file: remember.lua }', 'remember: { file: counter.lua }'),
    });
    const r = await sanctum(['run', `${dir}/r.yaml`], { input: '{"id":"a"}\n{"id":"a"}\n{"id":"b"}\n' });
    expect(r.stderr).not.toContain("global 'state' is nil");
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual([{ n: 1 }, { n: 2 }, { n: 1 }]);
    expect(stateKeys(dir, 'remember')).toEqual(['a', 'b']);
  });

  it('a spell that never touches state opens no data file', async () => {
    const dir = tempDir({
      'id.lua': 'return { cast = function(e) return e end }',
      'r.yaml': stateRuneset().replace('remember: { file: remember.lua }', 'remember: { file: id.lua }'),
    });
    const r = await sanctum(['run', `${dir}/r.yaml`], { input: '{"id":"a"}\n' });
    expect(r.code).toBe(0);
    expect(existsSync(`${dir}/.sanctum/r`)).toBe(false);
  });
});

const durableRuneset = `version: 1
streams:
  keepalive: {}
  orders: { durable: true }
  seen: {}
spells:
  pass: { file: pass.lua }
sources:
  stdin: { type: stdin, to: keepalive }
pipelines:
  watch: { from: orders, steps: [pass], to: seen }
sinks:
  out: { type: stdout, from: seen }
`;

describe('9.4 durable pipelines see live appends; rate paces durable file sources', () => {
  it('a running durable pipeline sees what another process appends, while the run lasts', async () => {
    const dir = tempDir({ 'pass.lua': 'return { cast = function(e) return e end }', 'r.yaml': durableRuneset });
    const first = await sanctum(['append', 'orders', '--runeset', `${dir}/r.yaml`], { input: '{"id":1}\n' });
    expect(first.code).toBe(0);
    const { run, exited, until } = live(['run', `${dir}/r.yaml`]);
    await until((out) => out.includes('"id":1')); // the backlog is cast: the pipeline is running
    const second = await sanctum(['append', 'orders', '--runeset', `${dir}/r.yaml`], { input: '{"id":2}\n' });
    expect(second.code).toBe(0);
    await until((out) => out.includes('"id":2'));
    run.child.stdin.end();
    expect(await exited).toBe(0);
    expect(lines(run.stdout)).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('rate paces a file source into a durable stream', async () => {
    const dir = tempDir({
      'pass.lua': 'return { cast = function(e) return e end }',
      'in.ndjson': `${Array.from({ length: 20 }, (_, i) => JSON.stringify({ i })).join('\n')}\n`,
      'r.yaml': `version: 1
streams:
  orders: { durable: true }
  seen: {}
spells:
  pass: { file: pass.lua }
sources:
  file: { type: file, path: in.ndjson, to: orders, rate: 10 }
pipelines:
  watch: { from: orders, steps: [pass], to: seen }
sinks:
  out: { type: stdout, from: seen }
`,
    });
    const r = await sanctum(['run', `${dir}/r.yaml`]);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toHaveLength(20);
    // 20 events at 10 a second are appended over about 2 s (their timestamps say when): a lower
    // bound, which holds however busy the machine is. Unpaced, they are one commit.
    const storage = openSqliteStorage({ dir: `${dir}/.sanctum/r`, create: false });
    const stored = storage.log.read('orders', 1, 100);
    storage.close();
    expect(stored).toHaveLength(20);
    expect(stored[19]!.ts - stored[0]!.ts).toBeGreaterThan(1500);
  });
});

const exitRuneset = (spell: string, extra: { to?: boolean; declare?: boolean; source?: string } = {}) =>
  `version: 1
streams:
  input: {}
  output: {}
${extra.declare ? '  dead-letters: {}\n' : ''}spells:
  s: { file: s.lua }
sources:
  in: ${extra.source ?? '{ type: stdin, to: input }'}
pipelines:
  p: { from: input, steps: [s]${extra.to === false ? '' : ', to: output'} }
sinks:
  out: { type: stdout, from: output }
`.replace('s: { file: s.lua }', `s: { file: ${spell} }`);

describe('9.6 honest exit codes', () => {
  const files = {
    'emits.lua': 'return { cast = function(e) return e end }',
    'initfails.lua': 'local s = {} function s.init() error("no config") end function s.cast(e) return e end return s',
    'ok.lua': 'return { cast = function(e) return e end }',
  };

  it('exits 1 when every event failed with nowhere to go: a pipeline without `to` whose spell emits', async () => {
    const dir = tempDir({ ...files, 'r.yaml': exitRuneset('emits.lua', { to: false }) });
    const r = await sanctum(['run', `${dir}/r.yaml`], { input: '{"a":1}\n{"a":2}\n' });
    expect(r.stderr).toContain('SPELL_PORT_UNWIRED');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('not handled by the runeset');
  });

  it('exits 1 when init fails', async () => {
    const dir = tempDir({ ...files, 'r.yaml': exitRuneset('initfails.lua') });
    const r = await sanctum(['run', `${dir}/r.yaml`], { input: '{"a":1}\n' });
    expect(r.stderr).toContain('SPELL_INIT_FAILED');
    expect(r.code).toBe(1);
  });

  it('exits 1 on a missing source file, which check warns about', async () => {
    const dir = tempDir({ ...files, 'r.yaml': exitRuneset('ok.lua', { source: '{ type: file, path: nope.ndjson, to: input }' }) });
    const check = await sanctum(['check', `${dir}/r.yaml`]);
    expect(check.stderr).toMatch(/r\.yaml:\d+:\d+: warning: source 'in' reads 'nope\.ndjson', which does not exist/);
    const r = await sanctum(['run', `${dir}/r.yaml`]);
    expect(r.stderr).toContain('INPUT_UNREADABLE');
    expect(r.code).toBe(1);
  });

  it('exits 0 when the runeset declares where its failures go', async () => {
    const dir = tempDir({ ...files, 'r.yaml': exitRuneset('initfails.lua', { declare: true }) });
    const r = await sanctum(['run', `${dir}/r.yaml`], { input: '{"a":1}\n' });
    expect(r.stderr).toContain('SPELL_INIT_FAILED');
    expect(r.code).toBe(0);
  });

  it('check warns when a pipeline without `to` casts a spell that emits to the default port', async () => {
    const dir = tempDir({ 'emits.lua': 'return { cast = function(e, emit) emit(e) end }', 'r.yaml': exitRuneset('emits.lua', { to: false }) });
    const r = await sanctum(['check', `${dir}/r.yaml`]);
    expect(r.stderr).toMatch(/warning: pipeline 'p' has no `to`, but spell 's' emits to the default port \(emits\.lua:1\)/);
  });
});

describe('9.7 signals, warnings, counts', () => {
  it('SIGHUP reloads (the run goes on, its state kept); SIGTERM then stops it: finish runs, exit 0', async () => {
    const dir = tempDir({ 'remember.lua': remember, 'r.yaml': stateRuneset() });
    const { run, exited } = live(['run', `${dir}/r.yaml`]);
    run.child.stdin.write('{"id":"a"}\n');
    const poll = (test: () => boolean) =>
      new Promise<void>((resolve) => {
        const check = () => {
          try {
            if (test()) return resolve();
          } catch {
            // not yet
          }
          setTimeout(check, 20);
        };
        check();
      });
    await poll(() => existsSync(`${dir}/.sanctum/r/sanctum.db`) && stateKeys(dir, 'remember').length === 1);
    run.child.kill('SIGHUP');
    await poll(() => /reloaded 1 spell into 1 pipeline/.test(run.stderr));
    run.child.stdin.write('{"id":"b"}\n');
    await poll(() => stateKeys(dir, 'remember').length === 2);
    run.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(lines(run.stdout)).toEqual([{ forgot: 'a' }, { forgot: 'b' }]);
    expect(run.stderr).not.toContain('SIGHUP: stopping input');
    expect(run.stderr).toContain('SIGTERM: stopping input');
  });

  it('prints each warning of the runeset once', async () => {
    const dir = tempDir({
      'ok.lua': 'return { cast = function(e) return e end }',
      'r.yaml': exitRuneset('ok.lua').replace('  input: {}', '  input: { retention: { max_events: 5 } }'),
    });
    const r = await sanctum(['run', `${dir}/r.yaml`], { input: '{"a":1}\n' });
    expect(r.code).toBe(0);
    expect(r.stderr.match(/has no effect: the stream is not durable/g)).toHaveLength(1);
  });

  it('the summary counts what the pipelines cast, durable backlogs included', async () => {
    const dir = tempDir({
      'pass.lua': 'return { cast = function(e) return e end }',
      'r.yaml': durableRuneset.replace('  stdin: { type: stdin, to: keepalive }\n', '').replace('sources:\n', ''),
    });
    const append = await sanctum(['append', 'orders', '--runeset', `${dir}/r.yaml`], {
      input: `${Array.from({ length: 300 }, (_, i) => JSON.stringify({ i })).join('\n')}\n`,
    });
    expect(append.code).toBe(0);
    const r = await sanctum(['run', `${dir}/r.yaml`]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('sanctum: done: 0 events read, 300 cast; 300 → out');
  });
});

describe('9.9 each runeset has its own data directory', () => {
  it('two runesets in one folder keep their own state, though their spells have the same name', async () => {
    const count = 'local s = {}\nfunction s.cast(e) state.put("n", (state.get("n") or 0) + 1) return { n = state.get("n") } end\nreturn s\n';
    const rs = (extra: string) => `version: 1
streams: { input: {}, output: {} }
spells: { count: { file: count.lua } }
sources: { in: { type: stdin, to: input } }
pipelines: { p: { from: input, steps: [count], to: output } }
sinks: { out: { type: stdout, from: output } }
${extra}`;
    const dir = tempDir({ 'count.lua': count, 'orders.runeset.yaml': rs(''), 'clicks.runeset.yaml': rs('') });
    const a = await sanctum(['run', 'orders.runeset.yaml', '--quiet'], { cwd: dir, input: '{}\n{}\n' });
    const b = await sanctum(['run', 'clicks.runeset.yaml', '--quiet'], { cwd: dir, input: '{}\n' });
    expect(lines(a.stdout)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(lines(b.stdout)).toEqual([{ n: 1 }]); // not 3: clicks does not see orders' state
    expect(existsSync(`${dir}/.sanctum/orders/sanctum.db`) && existsSync(`${dir}/.sanctum/clicks/sanctum.db`)).toBe(true);
    // Without flags, a storage command asks which one.
    const state = await sanctum(['state', 'count'], { cwd: dir });
    expect(state.code).toBe(2);
    expect(state.stderr).toContain('.sanctum holds the data of several runesets (clicks, orders)');
    const one = await sanctum(['state', 'count', '--runeset', 'orders.runeset.yaml'], { cwd: dir });
    expect(lines(one.stdout)).toEqual([{ key: 'n', value: 2 }]);
  });
});

describe('9.10 durable pipelines feed the spell metrics and taps', () => {
  it("counts a durable pipeline's casts per spell and taps its outputs", async () => {
    const { startRun, scrape, value, until } = await import('../observe/live-run.js');
    const run = await startRun({
      'r.yaml': `version: 1
streams: { in: { durable: true }, out: { durable: true } }
spells: { id: { file: id.lua } }
sources: { stdin: { type: stdin, to: in } }
pipelines: { copy: { from: in, steps: [id], to: out } }
`,
      'id.lua': 'return { cast = function(e) return { v = e.v } end }\n',
    });
    try {
      const tapped = sanctum(['tap', 'id', '--url', run.url, '--limit', '3']);
      // The tap client is connected once the metrics say so; then feed.
      await until(async () => (value(await scrape(run.url), 'sanctum_tap_clients', { target: 'spell:id' }) ?? 0) >= 1, 'the tap client');
      run.feed([{ v: 1 }, { v: 2 }, { v: 3 }]);
      const tap = await tapped;
      expect(tap.code).toBe(0);
      expect(lines(tap.stdout)).toEqual([{ v: 1 }, { v: 2 }, { v: 3 }]);
      await until(async () => value(await scrape(run.url), 'sanctum_spell_events_in_total', { spell: 'id' }) === 3, 'events_in of the durable spell');
      const m = await scrape(run.url);
      expect(value(m, 'sanctum_spell_events_out_total', { spell: 'id', port: 'out' })).toBe(3);
      expect(value(m, 'sanctum_spell_lua_memory_bytes', { spell: 'id' })).toBeGreaterThan(1000);
    } finally {
      await run.stop();
    }
  });
});
