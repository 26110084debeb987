/** The runeset JSON Schema (schema/runeset.schema.json) and its ajv validator. */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { LogFormat, LogLevel, OnError } from './runeset.js';

/** A JSON Schema node, loosely: what the error mapper and the generators read from it. */
export interface SchemaNode {
  readonly $ref?: string;
  readonly $id?: string;
  readonly title?: string;
  readonly description?: string;
  readonly type?: string | readonly string[];
  readonly const?: unknown;
  readonly enum?: readonly unknown[];
  readonly default?: unknown;
  readonly pattern?: string;
  readonly patternErrorMessage?: string;
  readonly minimum?: number;
  readonly minItems?: number;
  readonly minLength?: number;
  readonly required?: readonly string[];
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly additionalProperties?: boolean | SchemaNode;
  readonly propertyNames?: SchemaNode;
  readonly items?: SchemaNode;
  readonly anyOf?: readonly SchemaNode[];
  readonly allOf?: readonly SchemaNode[];
  readonly if?: SchemaNode;
  readonly then?: SchemaNode;
  readonly definitions?: Readonly<Record<string, SchemaNode>>;
}

/** Where the schema file is: beside `src/` in the repository and beside `dist/` in the package. */
export const RUNESET_SCHEMA_URL = new URL('../../schema/runeset.schema.json', import.meta.url);

/** Where the published schema lets an environment reference stand for a value: `#/definitions/EnvReference`. */
export const ENV_REFERENCE_REF = '#/definitions/EnvReference';

/**
 * The schema as published (schema/runeset.schema.json), for editors: it reads a runeset as written,
 * so wherever a number, a boolean, a name or one of listed values goes it also accepts an
 * environment reference (`batch_size: ${BATCH:-500}`), which the loader fills in before validating.
 */
export const PUBLISHED_RUNESET_SCHEMA: SchemaNode = JSON.parse(readFileSync(RUNESET_SCHEMA_URL, 'utf8')) as SchemaNode;

/**
 * The published schema without its environment-reference alternatives: what a runeset must be once
 * its references are filled in. The loader validates with it, and the TypeScript types and the
 * reference page are generated from it. An `anyOf` left with one branch becomes that branch, so
 * this is the schema as it would be written without references.
 */
export function withoutEnvReferences<T extends object>(schema: T): T {
  const strip = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strip);
    if (node === null || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = strip(v);
    if (Array.isArray(out['anyOf'])) {
      const branches = (out['anyOf'] as Record<string, unknown>[]).filter((b) => b['$ref'] !== ENV_REFERENCE_REF);
      if (branches.length === 1) {
        delete out['anyOf'];
        return { ...branches[0], ...out }; // the node's own description and default win
      }
      out['anyOf'] = branches;
    }
    return out;
  };
  const out = strip(schema) as T & { definitions?: Record<string, unknown> };
  if (out.definitions) delete out.definitions['EnvReference'];
  return out;
}

/** The runeset schema once environment references are filled in (see {@link withoutEnvReferences}): keys, types, defaults and docs. */
export const RUNESET_SCHEMA: SchemaNode = withoutEnvReferences(PUBLISHED_RUNESET_SCHEMA);

let validator: ValidateFunction | undefined;

/**
 * Validates a runeset (as plain data) against the schema, reporting every problem, not only the
 * first. Errors carry their schema (`verbose`), which the error mapper reads.
 */
export function validateRunesetData(data: unknown): readonly ErrorObject[] {
  validator ??= compile();
  return validator(data) ? [] : (validator.errors ?? []);
}

function compile(): ValidateFunction {
  // strictRequired would reject `then: { required: [path] }`, whose property is declared beside it.
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictRequired: false, allowUnionTypes: true });
  // The custom error text yaml-language-server shows for a failed pattern; ours too.
  ajv.addKeyword({ keyword: 'patternErrorMessage', schemaType: 'string' });
  return ajv.compile(RUNESET_SCHEMA);
}

/** Follows `$ref` (to this schema's definitions) and single-entry `allOf` wrappers, merging descriptions. */
export function resolveSchema(node: SchemaNode, root: SchemaNode = RUNESET_SCHEMA): SchemaNode {
  let current = node;
  let description = node.description;
  let def = node.default;
  for (let guard = 0; guard < 20; guard++) {
    if (current.$ref !== undefined) {
      current = schemaAtPointer(root, current.$ref) ?? {};
    } else if (current.allOf?.length === 1 && current.type === undefined && current.properties === undefined) {
      current = current.allOf[0]!;
    } else {
      break;
    }
    description ??= current.description;
    def ??= current.default;
  }
  return { ...current, ...(description === undefined ? {} : { description }), ...(def === undefined ? {} : { default: def }) };
}

/** The schema node at a JSON pointer (`#/definitions/Name`, or ajv's `schemaPath`). */
export function schemaAtPointer(root: SchemaNode, pointer: string): SchemaNode | undefined {
  const parts = pointer.replace(/^#\/?/, '').split('/').filter((p) => p !== '');
  let node: unknown = root;
  for (const raw of parts) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node === undefined ? undefined : (node as SchemaNode);
}

/** The default the schema gives at a pointer; throws when there is none (a bug in Sanctum). */
function schemaDefault<T>(pointer: string): T {
  const node = schemaAtPointer(RUNESET_SCHEMA, pointer);
  if (node === undefined || node.default === undefined) throw new Error(`runeset schema: no default at ${pointer}`);
  return node.default as T;
}

/** The defaults the loader fills in, read from the schema so that docs and loader agree. */
export const RUNESET_DEFAULTS = {
  log_level: schemaDefault<LogLevel>('#/definitions/SanctumRunes/properties/log_level'),
  data_dir: schemaDefault<string>('#/definitions/SanctumRunes/properties/data_dir'),
  on_error: schemaDefault<OnError>('#/definitions/SpellSpec/properties/on_error'),
  instructions: schemaDefault<number>('#/definitions/BudgetSpec/properties/instructions'),
  memory: schemaDefault<string>('#/definitions/BudgetSpec/properties/memory'),
  dead_letters: schemaDefault<string>('#/definitions/PipelineSpec/properties/dead_letters'),
  log_format: schemaDefault<LogFormat>('#/definitions/SanctumRunes/properties/log_format'),
  cast_sample: schemaDefault<number>('#/definitions/MetricsRunes/properties/cast_sample'),
  tap: schemaDefault<boolean>('#/definitions/MetricsRunes/properties/tap'),
  synchronous: schemaDefault<'FULL' | 'NORMAL'>('#/definitions/SanctumRunes/properties/synchronous'),
  batch_size: schemaDefault<number>('#/definitions/SanctumRunes/properties/batch_size'),
  durable: schemaDefault<boolean>('#/definitions/StreamSpec/properties/durable'),
  ready_lag: schemaDefault<number>('#/definitions/MetricsRunes/properties/ready_lag'),
  format: schemaDefault<'ndjson' | 'lines' | 'json'>('#/definitions/SourceSpec/properties/format'),
  source_max_body: schemaDefault<string>('#/definitions/SourceSpec/properties/max_body'),
  source_queue: schemaDefault<number>('#/definitions/SourceSpec/properties/queue'),
  source_max_wait: schemaDefault<string>('#/definitions/SourceSpec/properties/max_wait'),
  source_timeout: schemaDefault<string>('#/definitions/SourceSpec/properties/timeout'),
  sink_batch_size: schemaDefault<number>('#/definitions/SinkSpec/properties/batch_size'),
  sink_timeout: schemaDefault<string>('#/definitions/SinkSpec/properties/timeout'),
  sink_retries: schemaDefault<number>('#/definitions/SinkSpec/properties/retries'),
  sink_backoff: schemaDefault<string>('#/definitions/SinkSpec/properties/backoff'),
  sink_max_backoff: schemaDefault<string>('#/definitions/SinkSpec/properties/max_backoff'),
} as const;

/** The stream that exists in every runeset, declared or not. */
export const DEAD_LETTERS_STREAM = RUNESET_DEFAULTS.dead_letters;

/**
 * The schema that applies to the value at `path` in `data`, resolved; where an `anyOf` offers
 * several, the branch whose type fits the value. Undefined where the schema says nothing.
 */
export function schemaForValue(path: readonly (string | number)[], data: unknown): SchemaNode | undefined {
  let node: SchemaNode | undefined = pickBranch(resolveSchema(RUNESET_SCHEMA), data);
  let value = data;
  for (const segment of path) {
    if (node === undefined) return undefined;
    let next: SchemaNode | undefined;
    if (typeof segment === 'number' || Array.isArray(value)) {
      next = node.items;
      value = Array.isArray(value) ? value[Number(segment)] : undefined;
    } else {
      const own = node.properties?.[segment];
      next = own ?? (typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined);
      value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[segment] : undefined;
    }
    node = next === undefined ? undefined : pickBranch(resolveSchema(next), value);
  }
  return node;
}

function pickBranch(node: SchemaNode, value: unknown): SchemaNode {
  if (!node.anyOf) return node;
  const kind = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value === 'object' ? 'object' : typeof value;
  for (const b of node.anyOf) {
    const r = resolveSchema(b);
    const types = r.type === undefined ? [] : Array.isArray(r.type) ? r.type : [r.type];
    if (types.some((t) => t === kind || ((t === 'integer' || t === 'number') && kind === 'number'))) return r;
  }
  return node;
}
