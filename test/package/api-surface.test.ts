/**
 * The public API, pinned: the runtime names each entry point of the package exports (imported by the
 * package's own name, so through `exports` and the built dist/, as a user gets them), and the storage
 * a user composes a run with. An export added or lost by accident fails here; change the list on purpose.
 */
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as api from 'sanctum-streams';
import * as testing from 'sanctum-streams/testing';
import { loadRunesetOrThrow, openMemoryStorage, openRuneset, openSqliteStorage, type StorageError, type OpenOptions, type Storage } from 'sanctum-streams';
import * as source from '../../src/index.js';
import * as sourceTesting from '../../src/testing.js';
import { tempDir } from '../helpers.js';

const API = [
  'CallbackError',
  'DEAD_LETTERS',
  'DEFAULT_BATCH_SIZE',
  'DEFAULT_INSTRUCTION_BUDGET',
  'DEFAULT_MEMORY_LIMIT',
  'DEFAULT_PORT',
  'ERROR_CODES',
  'ERROR_POLICIES',
  'RunesetError',
  'SanctumError',
  'SanctumMetrics',
  'SpellError',
  'StorageError',
  'castParallel',
  'createRunLog',
  'deadLetterToJSON',
  'formatDiagnostic',
  'isStorageError',
  'loadRuneset',
  'loadRunesetOrThrow',
  'openMemoryStorage',
  'openRuneset',
  'openSqliteStorage',
  'registerDestination',
  'schedulerClock',
  'spellState',
  'startObservatory',
  'stderrLogger',
  'summon',
  'summonSource',
  'summonSpells',
  'systemClock',
];

const TESTING = [
  'INPUT_ERROR_MESSAGE',
  'SpellSuiteError',
  'SpellTestFileError',
  'loadSpellTestFile',
  'runCaseOn',
  'runRunesetCase',
  'runRunesetTestFile',
  'runSpellCase',
  'runSpellTestFile',
  'runSuite',
  'spellTests',
];

const names = (mod: object) => Object.keys(mod).sort();

describe('the public API', () => {
  it('the package exports these entry points and no others', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { exports: Record<string, unknown> };
    expect(Object.keys(pkg.exports)).toEqual(['.', './testing', './runeset.schema.json', './package.json']);
  });

  it('sanctum-streams exports exactly these names, the built entry and src/index.ts alike', () => {
    expect(names(api)).toEqual(API);
    expect(names(source)).toEqual(API);
  });

  it('sanctum-streams/testing exports exactly these names, the built entry and src/testing.ts alike', () => {
    expect(names(testing)).toEqual(TESTING);
    expect(names(sourceTesting)).toEqual(TESTING);
  });

  it('the storage adapters are the Storage port that openRuneset takes', () => {
    expectTypeOf(openMemoryStorage).returns.toEqualTypeOf<Storage>();
    expectTypeOf(openSqliteStorage).returns.toExtend<Storage>();
    expectTypeOf<Storage>().toExtend<NonNullable<OpenOptions['storage']>>();
    expectTypeOf<StorageError>().toExtend<api.SanctumError>();
  });

  it.each([
    ['memory', () => openMemoryStorage()],
    ['SQLite', () => openSqliteStorage({ dir: tempDir() })],
  ] as const)('a run over %s storage from the package keeps its durable stream there', async (_, open) => {
    const dir = tempDir({
      'id.lua': 'return { cast = function(e) return e end }\n',
      'in.ndjson': '{"a":1}\n{"b":2}\n',
      'r.yaml': `version: 1
streams: { input: { durable: true }, output: {} }
spells: { id: { file: id.lua } }
sources: { in: { type: file, path: in.ndjson, to: input } }
pipelines: { p: { from: input, steps: [id], to: output } }
`,
    });
    const storage: Storage = open();
    try {
      const options: OpenOptions = { storage, logger: () => {} };
      const opened = await openRuneset(await loadRunesetOrThrow(`${dir}/r.yaml`), options);
      const report = await opened.run({ stdio: { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() } });
      expect([report.read, report.deadLetters]).toEqual([2, 0]);
      expect(storage.log.read('input', 1, 10).map((e) => e.event)).toEqual([{ a: 1 }, { b: 2 }]);
    } finally {
      storage.close();
    }
  });
});
