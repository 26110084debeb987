/** loadRuneset on good runesets: normalized with defaults, uniform shapes and absolute paths; the OrThrow form. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RunesetError, formatDiagnostic, loadRuneset, loadRunesetOrThrow, type RunesetDiagnostic } from '../../src/runes/index.js';
import { summon } from '../../src/index.js';
import { PASS_SPELL, load, writeRuneset, removeTempDirs } from './helpers.js';

afterAll(removeTempDirs);

const EXAMPLE = path.resolve('test/runes/fixtures/example/sanctum.runeset.yaml');

describe('loadRuneset', () => {
  it('loads a minimal runeset and fills every default', async () => {
    const r = await load(
      `version: 1
streams:
  orders:
  alerts: { description: big ones }
spells:
  enrich: { file: spells/enrich.lua }
pipelines:
  p:
    from: orders
    steps: [enrich]
`,
      { 'spells/enrich.lua': PASS_SPELL },
    );
    // The one finding: without `to`, what the spell emits would become dead letters.
    expect(r.diagnostics.map((d) => `${d.severity} ${d.code}`)).toEqual(['warning RUNESET_PORT_UNWIRED']);
    const dir = path.dirname(r.file);
    expect(r.runeset).toEqual({
      version: 1,
      file: r.file,
      dir,
      sanctum: {
        log_level: 'info',
        data_dir: { absolute: path.join(dir, '.sanctum', 'runeset'), original: '.sanctum/runeset' },
        synchronous: 'FULL',
        batch_size: 1000,
      },
      streams: {
        orders: { name: 'orders', implicit: false, durable: false },
        alerts: { name: 'alerts', description: 'big ones', implicit: false, durable: false },
        'dead-letters': { name: 'dead-letters', implicit: true, durable: false },
      },
      spells: {
        enrich: {
          name: 'enrich',
          file: { absolute: path.join(dir, 'spells/enrich.lua'), original: 'spells/enrich.lua' },
          runes: {},
          on_error: 'dead-letter',
          budget: { instructions: 10_000_000, emits: 100_000, memory: 64 * 1024 * 1024 },
          state: { indexes: [] },
        },
      },
      sources: {},
      sinks: {},
      pipelines: { p: { name: 'p', from: ['orders'], steps: [{ spell: 'enrich', ports: {} }], dead_letters: 'dead-letters' } },
    });
  });

  it('normalizes the documented example: steps, lists, sizes, paths', async () => {
    const { runeset, diagnostics } = await loadRuneset(EXAMPLE, { env: {} });
    expect(diagnostics).toEqual([]);
    const dir = path.dirname(EXAMPLE);
    expect(runeset!.spells['classify']).toEqual({
      name: 'classify',
      file: { absolute: path.join(dir, 'spells/classify.lua'), original: 'spells/classify.lua' },
      runes: { threshold: 100 },
      on_error: 'skip',
      budget: { instructions: 1_000_000, emits: 100_000, memory: 16 * 1024 * 1024 },
      state: { indexes: [] },
    });
    expect(runeset!.sources['orders-in']).toEqual({
      name: 'orders-in',
      type: 'file',
      path: { absolute: path.join(dir, 'data/orders.ndjson'), original: 'data/orders.ndjson' },
      to: 'orders',
      format: 'ndjson',
    });
    expect(runeset!.sinks).toEqual({
      'alerts-out': { name: 'alerts-out', type: 'stdout', from: ['alerts'] },
      everything: {
        name: 'everything',
        type: 'file',
        path: { absolute: path.join(dir, 'out/enriched.ndjson'), original: 'out/enriched.ndjson' },
        from: ['enriched', 'dead'],
      },
    });
    expect(runeset!.pipelines['enrich-orders']).toEqual({
      name: 'enrich-orders',
      from: ['orders'],
      steps: [
        { spell: 'enrich', ports: {} },
        { spell: 'classify', ports: { alerts: 'alerts' } },
      ],
      to: 'enriched',
      dead_letters: 'dead',
    });
    expect(Object.keys(runeset!.streams)).toEqual(['orders', 'enriched', 'alerts', 'dead', 'dead-letters']);
  });

  it('reads the example source path from the environment when it is set', async () => {
    const { runeset } = await loadRuneset(EXAMPLE, { env: { ORDERS_FILE: '/srv/orders.ndjson' } });
    expect(runeset!.sources['orders-in']).toMatchObject({ path: { absolute: '/srv/orders.ndjson', original: '/srv/orders.ndjson' } });
  });

  it('casts the example spells as the runeset wires them', async () => {
    // The runtime is built elsewhere; this checks that what the loader hands it is enough to cast.
    const { runeset } = await loadRuneset(EXAMPLE, { env: {} });
    const spell = runeset!.spells['classify']!;
    const classify = await summon(spell.file.absolute, {
      runes: spell.runes,
      instructionBudget: spell.budget.instructions,
      memoryLimit: spell.budget.memory,
      displayPath: spell.file.original,
    });
    const caster = classify.open();
    const out: [unknown, string][] = [];
    expect(caster.init()).toBeUndefined();
    expect(
      caster.cast(
        { id: 7, total: 250 },
        (e, port) => out.push([e, port]),
        (p) => p === 'out' || p in runeset!.pipelines['enrich-orders']!.steps[1]!.ports,
      ),
    ).toBeUndefined();
    caster.close();
    expect(out).toEqual([
      [{ kind: 'big-order', id: 7, total: 250 }, 'alerts'],
      [{ id: 7, total: 250 }, 'out'],
    ]);
  });

  it('keeps a declared dead-letters stream as declared', async () => {
    const r = await load(`version: 1
streams:
  dead-letters: { description: failures }
`);
    expect(r.runeset!.streams).toEqual({ 'dead-letters': { name: 'dead-letters', description: 'failures', implicit: false, durable: false } });
  });

  it('resolves relative paths against the runeset directory, not the working directory', async () => {
    const file = writeRuneset(`version: 1
sanctum: { data_dir: state }
streams: {}
`);
    const cwd = process.cwd();
    const { runeset } = await loadRuneset(path.relative(cwd, file), { env: {} });
    expect(runeset!.sanctum.data_dir).toEqual({ absolute: path.join(path.dirname(file), 'state'), original: 'state' });
  });

  it('reads process.env when no env is given', async () => {
    const file = writeRuneset(`version: 1
streams:
  \${SANCTUM_RUNES_TEST_STREAM}: {}
`);
    process.env['SANCTUM_RUNES_TEST_STREAM'] = 'from-env';
    try {
      const { runeset } = await loadRuneset(file);
      expect(Object.keys(runeset!.streams)).toEqual(['from-env', 'dead-letters']);
    } finally {
      delete process.env['SANCTUM_RUNES_TEST_STREAM'];
    }
  });
});

describe('loadRunesetOrThrow', () => {
  it('returns the runeset and hands warnings to onWarning', async () => {
    const file = writeRuneset(
      `version: 1
streams: { a: {}, b: {} }
spells:
  s: { file: s.lua }
pipelines:
  p:
    from: a
    steps:
      - spell: s
        ports: { extra: b }
`,
      { 's.lua': PASS_SPELL },
    );
    const warnings: RunesetDiagnostic[] = [];
    const runeset = await loadRunesetOrThrow(file, { env: {}, onWarning: (d) => warnings.push(d) });
    expect(runeset.pipelines['p']!.steps).toEqual([{ spell: 's', ports: { extra: 'b' } }]);
    expect(warnings.map((w) => w.code)).toEqual(['RUNESET_PORT_UNWIRED', 'RUNESET_PORT_UNUSED']);
  });

  it('throws a RunesetError with every diagnostic', async () => {
    const file = writeRuneset(`version: 1
streams: {}
sinks:
  out: { type: stdout, from: nowhere }
bogus: 1
`);
    const err = await loadRunesetOrThrow(file, { env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunesetError);
    const e = err as RunesetError;
    expect(e.code).toBe('RUNESET_INVALID');
    expect(e.diagnostics.map((d) => d.code)).toEqual(['RUNESET_UNKNOWN_STREAM', 'RUNESET_UNKNOWN_KEY']);
    expect(e.message).toBe(
      [
        `${file}: the runeset has 2 errors`,
        `${file}:4:30: sink 'out' reads stream 'nowhere', which is not declared under streams`,
        '  hint: declare it under streams, or use one of: dead-letters',
        `${file}:5:1: unknown key 'bogus' at the top level`,
        '  hint: allowed here: version, sanctum, streams, spells, sources, sinks, pipelines',
      ].join('\n'),
    );
    expect(e.toJSON()).toEqual({ code: 'RUNESET_INVALID', file, message: `${file}: the runeset has 2 errors`, diagnostics: e.diagnostics });
  });
});

describe('formatDiagnostic', () => {
  const d: RunesetDiagnostic = { code: 'RUNESET_UNKNOWN_KEY', severity: 'error', file: 'r.yaml', line: 7, column: 5, message: "unknown key 'fiel'" };

  it('is file:line:column: message', () => {
    expect(formatDiagnostic(d)).toBe("r.yaml:7:5: unknown key 'fiel'");
  });

  it('puts the hint on an indented line', () => {
    expect(formatDiagnostic({ ...d, hint: 'allowed here: file' })).toBe("r.yaml:7:5: unknown key 'fiel'\n  hint: allowed here: file");
  });

  it('marks warnings', () => {
    expect(formatDiagnostic({ ...d, severity: 'warning' })).toBe("r.yaml:7:5: warning: unknown key 'fiel'");
  });

  it('shows a file inside the working directory relative to it', async () => {
    const dir = fs.mkdtempSync(path.join(process.cwd(), '.tmp-runes-'));
    try {
      fs.writeFileSync(path.join(dir, 'r.yaml'), 'version: 1\nstreams: {}\nextra: 1\n');
      const { diagnostics } = await loadRuneset(path.join(dir, 'r.yaml'), { env: {} });
      expect(formatDiagnostic(diagnostics[0]!)).toMatch(new RegExp(`^${path.basename(dir)}/r\\.yaml:3:1: unknown key 'extra'`));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
