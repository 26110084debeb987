/** The runeset schema is the single source of truth: sound, fully described, and what the generated files come from. */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { DEFAULT_INSTRUCTION_BUDGET, DEFAULT_MEMORY_LIMIT, ERROR_POLICIES, type ErrorPolicy } from '../../src/index.js';
import { RUNESET_DEFAULTS, RUNESET_SCHEMA, parseSize, type LogLevel, type OnError } from '../../src/runes/index.js';
import { resolveSchema, type SchemaNode } from '../../src/runes/schema.js';
import {
  GENERATE_COMMAND,
  REFERENCE_FILE,
  TYPES_FILE,
  VALIDATOR_FILE,
  generateReference,
  generateTypes,
  generateValidator,
  readInputs,
} from '../../scripts/gen-runes.js';

/** Every subschema with the JSON path that leads to it. */
function* subschemas(node: SchemaNode, at: string): Generator<[string, SchemaNode]> {
  yield [at, node];
  for (const [k, v] of Object.entries(node.properties ?? {})) yield* subschemas(v, `${at}.properties.${k}`);
  for (const [k, v] of Object.entries(node.definitions ?? {})) yield* subschemas(v, `${at}.definitions.${k}`);
  if (typeof node.additionalProperties === 'object') yield* subschemas(node.additionalProperties, `${at}.additionalProperties`);
  if (node.items) yield* subschemas(node.items, `${at}.items`);
  for (const [i, v] of (node.anyOf ?? []).entries()) yield* subschemas(v, `${at}.anyOf[${i}]`);
  for (const [i, v] of (node.allOf ?? []).entries()) yield* subschemas(v, `${at}.allOf[${i}]`);
}

describe('the runeset schema', () => {
  it('is a valid draft-07 schema with an $id and a title, for editors', () => {
    const ajv = new Ajv({ strict: false });
    expect(ajv.validateSchema(RUNESET_SCHEMA), JSON.stringify(ajv.errors)).toBe(true);
    expect(RUNESET_SCHEMA).toMatchObject({
      $schema: 'http://json-schema.org/draft-07/schema#',
      $id: expect.stringMatching(/^https:\/\//),
      title: 'Sanctum runeset',
    });
  });

  it('refers only to its own definitions, so that it works offline', () => {
    const refs = [...subschemas(RUNESET_SCHEMA, '$')].flatMap(([, n]) => (n.$ref ? [n.$ref] : []));
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(Object.keys(RUNESET_SCHEMA.definitions ?? {}).map((d) => `#/definitions/${d}`)).toContain(ref);
  });

  it('describes every property', () => {
    const undescribed: string[] = [];
    for (const [at, node] of subschemas(RUNESET_SCHEMA, '$')) {
      for (const [k, v] of Object.entries(node.properties ?? {})) if (!resolveSchema(v).description) undescribed.push(`${at}.properties.${k}`);
      if (typeof node.additionalProperties === 'object' && !resolveSchema(node.additionalProperties).description)
        undescribed.push(`${at}.additionalProperties`);
    }
    expect(undescribed).toEqual([]);
  });

  it("forbids unknown keys everywhere except in a spell's runes", () => {
    const open: string[] = [];
    for (const [at, node] of subschemas(RUNESET_SCHEMA, '$')) {
      const isObject = node.type === 'object' || (Array.isArray(node.type) && node.type.includes('object'));
      if (isObject && node.additionalProperties !== false && typeof node.additionalProperties !== 'object') open.push(at);
    }
    expect(open).toEqual(['$.definitions.SpellSpec.properties.runes']);
  });

  it('gives the defaults spellcraft uses', () => {
    expect(RUNESET_DEFAULTS.instructions).toBe(DEFAULT_INSTRUCTION_BUDGET);
    expect(parseSize(RUNESET_DEFAULTS.memory)).toBe(DEFAULT_MEMORY_LIMIT);
    expect(RUNESET_DEFAULTS.on_error).toBe('dead-letter');
    expect(RUNESET_SCHEMA.definitions?.['SpellSpec']?.properties?.['on_error']?.enum).toEqual(ERROR_POLICIES);
    expectTypeOf<OnError>().toEqualTypeOf<ErrorPolicy>();
    expectTypeOf<LogLevel>().toEqualTypeOf<'debug' | 'info' | 'warn' | 'error'>();
  });
});

describe('files generated from the schema', () => {
  const stale = (file: URL) => `${file.pathname.replace(/^.*?\/(src|docunomicon)\//, '$1/')} is stale: run \`${GENERATE_COMMAND}\``;

  it('src/runes/types.ts is up to date', async () => {
    const { schema } = readInputs();
    expect(readFileSync(TYPES_FILE, 'utf8'), stale(TYPES_FILE)).toBe(await generateTypes(schema));
  });

  it('src/runes/runeset-validator.ts (the precompiled validator) is up to date', () => {
    const { schema } = readInputs();
    // No diff on failure: the file is ajv's generated code, with the whole schema on one line.
    if (readFileSync(VALIDATOR_FILE, 'utf8') !== generateValidator(schema)) expect.fail(stale(VALIDATOR_FILE));
  });

  it('docunomicon/reference/runeset.md is up to date', () => {
    const { schema, example } = readInputs();
    expect(readFileSync(REFERENCE_FILE, 'utf8'), stale(REFERENCE_FILE)).toBe(generateReference(schema, example));
  });

  it('the reference page documents every key with its type, default and allowed values', () => {
    const page = readFileSync(REFERENCE_FILE, 'utf8');
    for (const heading of [
      '### `version`',
      '### `sanctum.log_level`',
      '### `streams.<stream>.description`',
      '### `spells.<spell>.budget.memory`',
      '### `sources.<source>.path`',
      '### `sinks.<sink>.from`',
      '### `pipelines.<pipeline>.steps[].ports.<port>`',
      '### `pipelines.<pipeline>.dead_letters`',
    ]) {
      expect(page).toContain(heading);
    }
    expect(page).toContain('- **Allowed values:** `dead-letter`, `skip`, `stop`');
    expect(page).toContain('- **Default:** `"64MiB"`');
    expect(page).toContain('- **Required:** when `type` is `file`');
  });
});
