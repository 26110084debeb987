/**
 * The published schema (what editors read) accepts what the loader accepts: the documented runesets
 * as written, and `${VAR}` / `${VAR:-default}` wherever the loader fills one in before validating.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadRuneset } from '../../src/runes/index.js';
import { ENV_REFERENCE_REF, PUBLISHED_RUNESET_SCHEMA, RUNESET_SCHEMA } from '../../src/runes/schema.js';
import { tempDir } from '../helpers.js';

/** Validates with the published file as an editor would (ajv, draft-07, every error). */
function publishedValidator(): (data: unknown) => string[] {
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
  ajv.addKeyword({ keyword: 'patternErrorMessage', schemaType: 'string' });
  const validate = ajv.compile(JSON.parse(readFileSync('schema/runeset.schema.json', 'utf8')) as object);
  return (data) => (validate(data) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));
}

const DOCUMENTED = [
  'docunomicon/examples/tutorial/tutorial.runeset.yaml',
  'docunomicon/examples/durable/orders.runeset.yaml',
  'docunomicon/examples/durable/scores.runeset.yaml',
  'spells/demo.runeset.yaml',
  'spells/demo-live.runeset.yaml',
  'test/runes/fixtures/example/sanctum.runeset.yaml',
];

/**
 * Every rune that takes a number, a boolean, a name or a listed value, written as an environment
 * reference, unquoted (a quoted one stays a string for the loader; the schema cannot tell them apart).
 */
const WITH_REFERENCES = `version: \${RUNESET_VERSION:-1}
sanctum:
  log_level: \${LOG_LEVEL:-debug}
  log_format: \${LOG_FORMAT:-json}
  synchronous: \${SYNC:-NORMAL}
  batch_size: \${BATCH:-500}
  data_dir: \${DATA:-.sanctum}
  metrics:
    listen: \${METRICS:-127.0.0.1:0}
    cast_sample: \${SAMPLE:-4}
    tap: \${TAP:-false}
streams:
  \${IN_STREAM:-orders}:
    durable: \${DURABLE:-true}
    retention:
      max_events: \${KEEP:-1000}
      max_age: \${AGE:-7d}
  out: {}
spells:
  id:
    file: id.lua
    on_error: \${ON_ERROR:-skip}
    budget:
      instructions: \${BUDGET:-50000}
      memory: \${MEMORY:-8MiB}
sources:
  in:
    type: \${SOURCE_TYPE:-file}
    path: in.ndjson
    to: \${IN_STREAM:-orders}
    rate: \${RATE:-100.5}
    loop: \${LOOP:-false}
sinks:
  screen:
    type: \${SINK:-stdout}
    from: out
pipelines:
  copy: { from: orders, steps: [id], to: out }
`;

describe('the published runeset schema', () => {
  const validate = publishedValidator();

  it.each(DOCUMENTED)('accepts the documented runeset %s as written', (file) => {
    expect(validate(parse(readFileSync(file, 'utf8')))).toEqual([]);
  });

  it('accepts an environment reference wherever the loader fills one in, and so does the loader', async () => {
    expect(validate(parse(WITH_REFERENCES))).toEqual([]);
    const dir = tempDir({ 'r.yaml': WITH_REFERENCES, 'id.lua': 'return { cast = function(e) return e end }', 'in.ndjson': '' });
    const { runeset, diagnostics } = await loadRuneset(path.join(dir, 'r.yaml'), { env: {} });
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(runeset?.sanctum.batch_size).toBe(500);
    expect(runeset?.streams['orders']?.durable).toBe(true);
    expect(runeset?.spells['id']?.budget.instructions).toBe(50000);
  });

  it('still refuses values that are wrong as written', () => {
    for (const [yaml, where] of [
      ['version: 1\nstreams: {}\nsanctum: { batch_size: lots }', '/sanctum/batch_size'],
      ['version: 1\nstreams: {}\nsanctum: { batch_size: "${BATCH" }', '/sanctum/batch_size'],
      ['version: 1\nstreams: {}\nsanctum: { log_level: loud }', '/sanctum/log_level'],
      ['version: 1\nstreams: { s: { durable: maybe } }', '/streams/s/durable'],
      ['version: 2\nstreams: {}', '/version'],
      ['version: 1\nstreams: { 9lives: {} }', '/streams'],
    ] as const) {
      const errors = validate(parse(yaml));
      expect(errors.length, yaml).toBeGreaterThan(0);
      expect(
        errors.some((e) => e.startsWith(`${where} `)),
        `${yaml}: ${errors.join('; ')}`,
      ).toBe(true);
    }
  });

  it("is the loader's schema plus the reference alternatives: the loader never takes a reference left unfilled", async () => {
    expect(JSON.stringify(RUNESET_SCHEMA)).not.toContain(ENV_REFERENCE_REF);
    expect(JSON.stringify(PUBLISHED_RUNESET_SCHEMA)).toContain(ENV_REFERENCE_REF);
    // `$${` is a literal `${`: after filling, the value is the text "${BATCH}", not a number.
    const dir = tempDir({ 'r.yaml': 'version: 1\nstreams: {}\nsanctum: { batch_size: "$${BATCH}" }\n' });
    const { runeset, diagnostics } = await loadRuneset(path.join(dir, 'r.yaml'), { env: {} });
    expect(runeset).toBeUndefined();
    expect(diagnostics.map((d) => d.code)).toContain('RUNESET_WRONG_TYPE');
  });
});
