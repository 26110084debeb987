/** Start-up: each command loads only what it uses, so `sanctum --help` and a small cast start fast. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.js';
import { BIN } from './run-cli.js';

const RECORDER = fileURLToPath(new URL('./fixtures/record-modules.mjs', import.meta.url));
const SPELL = fileURLToPath(new URL('../../bench/spells/enrich.lua', import.meta.url));
const DEMO = fileURLToPath(new URL('../../spells/demo.runeset.yaml', import.meta.url));

/** Runs `sanctum args…` and returns the packages (and ajv's compiler) it loaded, and its own modules (`cli/main.js`…). */
function loadedBy(args: string[], input = ''): { code: number | null; stdout: string; loaded: Set<string>; own: Set<string> } {
  const out = path.join(tempDir(), 'modules.txt');
  const r = spawnSync(process.execPath, ['--import', RECORDER, BIN, ...args], {
    input,
    encoding: 'utf8',
    env: { ...process.env, RECORD_MODULES_TO: out },
    timeout: 60_000,
  });
  const loaded = new Set<string>();
  for (const file of readFileSync(out, 'utf8').split('\n')) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(file);
    if (!m) continue;
    loaded.add(m[1]!);
    // The precompiled runeset validator needs two of ajv's runtime helpers, never its compiler.
    if (m[1] === 'ajv' && m[2]!.startsWith('dist/compile/')) loaded.add('ajv (the schema compiler)');
  }
  const own = new Set<string>();
  for (const url of readFileSync(`${out}.esm`, 'utf8').split('\n')) {
    const m = /\/dist\/(.*)$/.exec(url);
    if (m && !url.includes('/node_modules/')) own.add(m[1]!);
  }
  return { code: r.status, stdout: r.stdout, loaded, own };
}

const HEAVY = ['rxjs', 'wasmoon', 'ajv', 'yaml', 'better-sqlite3', 'pino', 'prom-client', 'cli-progress'];

// Each test starts node processes: generous budgets for a busy machine.
describe('start-up', { timeout: 120_000 }, () => {
  it('`sanctum --help` loads commander and none of the packages the commands use', () => {
    const { code, stdout, loaded } = loadedBy(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: sanctum');
    expect(loaded.has('commander')).toBe(true); // the recorder works
    expect(HEAVY.filter((p) => loaded.has(p))).toEqual([]);
  });

  it('`sanctum <command> --help` loads nothing of what the command would run', () => {
    for (const command of ['run', 'cast', 'check', 'test', 'append', 'replay', 'top', 'tap']) {
      const { code, loaded } = loadedBy([command, '--help']);
      expect(code, command).toBe(0);
      expect(
        HEAVY.filter((p) => loaded.has(p)),
        command,
      ).toEqual([]);
    }
  });

  it("`sanctum cast` loads no rxjs (it runs a caster, not the operator), the Lua engine as WASM (not through wasmoon's JavaScript), and no runeset loader, log or metrics", () => {
    const { code, stdout, loaded } = loadedBy(['cast', SPELL], '{"id":1,"value":60,"kind":"a"}\n');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ id: 1, value: 120, kind: 'a', hot: true });
    expect(loaded.has('rxjs')).toBe(false);
    expect(loaded.has('wasmoon')).toBe(false);
    expect(['ajv', 'yaml', 'pino', 'prom-client', 'cli-progress'].filter((p) => loaded.has(p))).toEqual([]);
  });

  it("each command loads its own module and none of the other commands': cast, check, the storage commands", () => {
    const commands = (own: Set<string>) => [...own].filter((f) => f.startsWith('cli/commands/')).sort();
    const cast = loadedBy(['cast', SPELL], '{"id":1,"value":60,"kind":"a"}\n');
    expect(cast.code).toBe(0);
    expect(cast.own.has('cli/main.js')).toBe(true); // the recorder sees Sanctum's own modules
    expect(commands(cast.own)).toEqual(['cli/commands/cast.js']);
    const check = loadedBy(['check', '--help']);
    expect(check.code).toBe(0);
    expect(commands(check.own)).toEqual(['cli/commands/check.js']);
    const append = loadedBy(['append', '--help']);
    expect(append.code).toBe(0);
    expect(commands(append.own)).toEqual(['cli/commands/append.js', 'cli/commands/storage.js']);
    // `sanctum --help` lists every command: it loads them all.
    const help = loadedBy(['--help']);
    expect(help.stdout).toContain('replay [options]');
    expect(commands(help.own)).toContain('cli/commands/run.js');
  });

  it('`sanctum run` of a runeset without NATS loads no NATS client', () => {
    const dir = tempDir({
      'in.ndjson': '{"id":1,"value":60,"kind":"a"}\n',
      'r.runeset.yaml': `version: 1
streams: { in: {}, out: {} }
spells: { enrich: { file: ${JSON.stringify(SPELL)} } }
sources: { input: { type: file, path: ${JSON.stringify('in.ndjson')}, to: in } }
pipelines: { main: { from: in, steps: [enrich], to: out } }
sinks: { out: { type: stdout, from: out } }
`,
    });
    const { code, stdout, loaded } = loadedBy(['run', path.join(dir, 'r.runeset.yaml'), '--quiet']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ id: 1, value: 120, kind: 'a', hot: true });
    expect(loaded.has('rxjs')).toBe(true); // the recorder sees what run loads
    expect([...loaded].filter((p) => p.startsWith('@nats-io/'))).toEqual([]);
  });

  it('`sanctum check` validates with the precompiled validator: ajv compiles nothing', () => {
    const { code, loaded } = loadedBy(['check', DEMO]);
    expect(code).toBe(0);
    expect(loaded.has('yaml')).toBe(true);
    expect(loaded.has('ajv (the schema compiler)')).toBe(false);
  });

  it('`sanctum check` compiles the spells without RxJS: it summons no operator', () => {
    const { code, stdout, loaded } = loadedBy(['check', DEMO]);
    expect(code).toBe(0);
    expect(stdout).toContain('3 spells');
    expect(loaded.has('yaml')).toBe(true); // the recorder sees what check loads
    expect(loaded.has('rxjs')).toBe(false);
  });
});
