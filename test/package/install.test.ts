/**
 * The package as a user gets it: `npm pack`, installed into an empty project, then used by its name —
 * `npx sanctum`, an `.mjs` that imports `summon` from it, and the schemas at the paths the docs give.
 *
 * Offline and bounded: the project gets a lockfile made from ours (our package as a `file:` tarball,
 * every non-dev entry of our package-lock.json as it is), so `npm ci --offline` installs the same
 * versions from the npm cache that our own `npm ci` filled, resolving nothing. It runs with
 * `--ignore-scripts`: the only install script among the dependencies is better-sqlite3's, which would
 * compile SQLite from source (about a minute here; no prebuilt binaries can be downloaded), so the test
 * links in the binary our own install built, for the same version, instead. Our package has no install
 * scripts of its own, so what the test leaves out is a dependency's build, not ours.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  license: string;
  bin: Record<string, string>;
  engines: Record<string, string>;
  dependencies: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, unknown>;
};

let dir: string;
let project: string;
let packed: { filename: string; files: { path: string }[] };

function run(cmd: string, args: string[], cwd: string, input?: string): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', input, timeout: 240_000, env: { ...process.env, npm_config_update_notifier: 'false' } });
  if (r.error) throw r.error;
  return r;
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) expect.fail(`${what} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The lockfile of a project that depends on nothing but our tarball. */
function lockfileFor(spec: string): object {
  const ours = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const packages: Record<string, object> = {
    '': { name: 'a-user-project', version: '1.0.0', dependencies: { [pkg.name]: spec } },
    [`node_modules/${pkg.name}`]: {
      version: pkg.version,
      resolved: spec,
      license: pkg.license,
      dependencies: pkg.dependencies,
      bin: pkg.bin,
      engines: pkg.engines,
      ...(pkg.peerDependencies ? { peerDependencies: pkg.peerDependencies, peerDependenciesMeta: pkg.peerDependenciesMeta } : {}),
    },
  };
  for (const [at, entry] of Object.entries(ours.packages)) if (at !== '' && !entry.dev) packages[at] = entry;
  return { name: 'a-user-project', version: '1.0.0', lockfileVersion: 3, requires: true, packages };
}

beforeAll(() => {
  if (!existsSync(path.join(ROOT, 'dist/index.js'))) throw new Error('dist/ is not built: run `npm run build` (npm test does)');
  dir = tempDir();
  project = path.join(dir, 'project');
  mkdirSync(project);
  // --ignore-scripts: `prepare` would build again; npm test has just built dist/.
  packed = (JSON.parse(ok(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', project], ROOT), 'npm pack')) as (typeof packed)[])[0]!;
  const spec = `file:${packed.filename}`;
  writeFileSync(
    path.join(project, 'package.json'),
    JSON.stringify({ name: 'a-user-project', version: '1.0.0', private: true, dependencies: { [pkg.name]: spec } }, null, 2),
  );
  writeFileSync(path.join(project, 'package-lock.json'), JSON.stringify(lockfileFor(spec), null, 2));
  ok(run('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], project), 'npm ci --offline in the user project');
  const sqlite = (root: string) => path.join(root, 'node_modules/better-sqlite3');
  const version = (root: string) => (JSON.parse(readFileSync(path.join(sqlite(root), 'package.json'), 'utf8')) as { version: string }).version;
  expect(version(project)).toBe(version(ROOT));
  mkdirSync(path.join(sqlite(project), 'build/Release'), { recursive: true });
  copyFileSync(path.join(sqlite(ROOT), 'build/Release/better_sqlite3.node'), path.join(sqlite(project), 'build/Release/better_sqlite3.node'));
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// Each npx start-up takes seconds on a busy machine: generous budgets.
describe(`the package ${pkg.name}, packed and installed into an empty project`, { timeout: 120_000 }, () => {
  it('is named so that npm installs this package, not the unrelated `sanctum`', () => {
    expect(pkg.name).not.toBe('sanctum');
    expect(pkg.bin).toEqual({ sanctum: 'bin/sanctum.js' });
  });

  it('ships the build, the bin, the schemas and the bundled spells, and no sources or tests', () => {
    const files = packed.files.map((f) => f.path);
    for (const f of [
      'bin/sanctum.js',
      'dist/index.js',
      'dist/testing.js',
      'dist/cli/main.js',
      'dist/spellcraft/prelude.lua',
      'dist/spellcraft/prelude.luac',
      'dist/runes/runeset-validator.js',
      'schema/runeset.schema.json',
      'schema/spell-test.schema.json',
      'spells/demo.runeset.yaml',
    ]) {
      expect(files, f).toContain(f);
    }
    expect(files.filter((f) => /^(src|test|bench|scripts)\//.test(f))).toEqual([]);
  });

  it('`npx sanctum --help` runs the installed command', () => {
    const out = ok(run('npx', ['--no', '--offline', '--', 'sanctum', '--help'], project), 'npx sanctum --help');
    expect(out).toContain('Usage: sanctum');
    expect(out).toContain('cast [options] <spell> [files...]');
  });

  it('`npx sanctum cast` casts a spell over stdin', () => {
    writeFileSync(path.join(project, 'double.lua'), 'local spell = {}\nfunction spell.cast(e) return { n = e.n * 2 } end\nreturn spell\n');
    const out = ok(run('npx', ['--no', '--offline', '--', 'sanctum', 'cast', 'double.lua'], project, '{"n":1}\n{"n":21}\n'), 'npx sanctum cast');
    expect(out).toBe('{"n":2}\n{"n":42}\n');
  });

  it(`an .mjs imports summon from '${pkg.name}' and pipes events through a spell`, () => {
    writeFileSync(path.join(project, 'double.lua'), 'local spell = {}\nfunction spell.cast(e) return { n = e.n * 2 } end\nreturn spell\n');
    writeFileSync(
      path.join(project, 'use.mjs'),
      [
        "import { from, lastValueFrom, toArray } from 'rxjs';",
        `import { summon } from '${pkg.name}';`,
        "const double = await summon('./double.lua');",
        'console.log(JSON.stringify(await lastValueFrom(from([{ n: 1 }, { n: 21 }]).pipe(double, toArray()))));',
        '',
      ].join('\n'),
    );
    expect(ok(run(process.execPath, ['use.mjs'], project), 'node use.mjs').trim()).toBe('[{"n":2},{"n":42}]');
  });

  it('the schemas are where the docs tell editors to find them, and a runeset naming one checks', () => {
    const modeline = (page: string, schema: string) => {
      const text = readFileSync(path.join(ROOT, 'docunomicon', page), 'utf8');
      const m = new RegExp(`(node_modules/[^\\s\`]*/${schema.replace('.', '\\.')})`).exec(text);
      if (!m) expect.fail(`docunomicon/${page} names no node_modules path to ${schema}`);
      return m[1]!;
    };
    for (const [page, schema] of [
      ['reference/runeset.md', 'runeset.schema.json'],
      ['testing-spells.md', 'spell-test.schema.json'],
    ] as const) {
      const documented = modeline(page, schema);
      expect(documented).toBe(`node_modules/${pkg.name}/schema/${schema}`);
      expect(readFileSync(path.join(project, documented), 'utf8'), documented).toBe(readFileSync(path.join(ROOT, 'schema', schema), 'utf8'));
    }
    writeFileSync(
      path.join(project, 'app.runeset.yaml'),
      `# yaml-language-server: $schema=./${modeline('reference/runeset.md', 'runeset.schema.json')}\nversion: 1\nstreams:\n  numbers: {}\n  doubled: {}\nspells:\n  double: { file: double.lua }\npipelines:\n  main: { from: numbers, steps: [double], to: doubled }\n`,
    );
    expect(ok(run('npx', ['--no', '--offline', '--', 'sanctum', 'check', 'app.runeset.yaml'], project), 'npx sanctum check')).toContain('app.runeset.yaml: ok');
  });
});
