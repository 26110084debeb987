/** Turns ajv's schema errors into runeset diagnostics: at the right node, in words, one per problem. */
import type { ErrorObject } from 'ajv';
import type { ErrorCode } from '../core/errors.js';
import type { RunesetDiagnostic } from './diagnostics.js';
import { RUNESET_SCHEMA, resolveSchema, schemaForValue, type SchemaNode } from './schema.js';
import { describePath, type Anchor, type RunesetYaml, type ValuePath } from './source.js';
import { didYouMean } from './suggest.js';

/**
 * One diagnostic per schema problem. `data` is the value ajv validated (it tells list indexes
 * from keys and which branch of an `anyOf` the author meant).
 */
export function schemaDiagnostics(errors: readonly ErrorObject[], data: unknown, source: RunesetYaml): RunesetDiagnostic[] {
  const withPaths = errors.map((e) => ({ e, path: toValuePath(e.instancePath, data) }));
  const key = (path: ValuePath) => JSON.stringify(path);

  // An `anyOf` (a name or a list; a name or a mapping; bytes or a size) makes every branch report
  // its failure. If the value has the type of one branch, only that branch's complaints matter;
  // if it has none of them, one "must be X or Y" says it all.
  const typeErrorsDropped = new Set<string>();
  const allDropped = new Set<string>();
  const out: RunesetDiagnostic[] = [];
  for (const { e, path } of withPaths) {
    if (e.keyword !== 'anyOf') continue;
    const branches = (e.schema as SchemaNode[]).map((b) => resolveSchema(b));
    const actual = jsonType(e.data);
    if (branches.some((b) => typesOf(b).some((t) => typeMatches(t, actual)))) {
      typeErrorsDropped.add(key(path));
    } else {
      allDropped.add(key(path));
      const expected = branches.flatMap(typesOf);
      const parent = resolveSchema((e.parentSchema ?? {}) as SchemaNode);
      out.push(
        at(source, path, 'value', 'RUNESET_WRONG_TYPE', `${describePath(path)} must be ${nouns(expected)}, got ${describeValue(e.data)}`, parent.description),
      );
    }
  }

  for (const { e, path } of withPaths) {
    const k = key(path);
    if (e.keyword === 'anyOf' || e.keyword === 'if' || allDropped.has(k)) continue;
    if (e.keyword === 'type' && typeErrorsDropped.has(k)) continue;
    // propertyNames reports once for itself and once for the failing inner keyword: keep one.
    if (e.propertyName !== undefined && e.keyword !== 'propertyNames') continue;
    out.push(toDiagnostic(e, path, data, source));
  }

  const seen = new Set<string>();
  return out.filter((d) => {
    const id = `${d.line}:${d.column}:${d.message}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function toDiagnostic(e: ErrorObject, path: ValuePath, data: unknown, source: RunesetYaml): RunesetDiagnostic {
  const parent = (e.parentSchema ?? {}) as SchemaNode;
  const where = describePath(path);
  const description = resolveSchema(parent).description;
  switch (e.keyword) {
    case 'additionalProperties': {
      const name = String((e.params as { additionalProperty: string }).additionalProperty);
      const allowed = Object.keys(parent.properties ?? {});
      const place = path.length === 0 ? 'at the top level' : `in ${where}`;
      return at(
        source,
        [...path, name],
        'key',
        'RUNESET_UNKNOWN_KEY',
        `unknown key '${name}' ${place}${didYouMean(name, allowed)}`,
        `allowed here: ${allowed.join(', ')}`,
      );
    }
    case 'required': {
      const missing = String((e.params as { missingProperty: string }).missingProperty);
      const conditional = /\/then\/required$/.test(e.schemaPath);
      // ajv's schemaPath restarts inside each $ref, so find the object's schema from the value path.
      const objectSchema = schemaForValue(path, data) ?? parent;
      const property = objectSchema.properties?.[missing];
      const propertyDescription = property ? resolveSchema(property).description : undefined;
      // A condition under allOf (several if/then pairs on one object) is the branch the path names.
      const branch = /\/allOf\/(\d+)\/then\/required$/.exec(e.schemaPath);
      const conditionOf = branch ? (objectSchema.allOf?.[Number(branch[1])] ?? objectSchema) : objectSchema;
      const why = conditional ? ` (needed when ${conditionText(conditionOf)})` : '';
      return at(
        source,
        path,
        'key',
        'RUNESET_MISSING_KEY',
        `${where} is missing the required key '${missing}'${why}`,
        propertyDescription === undefined ? undefined : `${missing}: ${propertyDescription}`,
      );
    }
    case 'type': {
      const expected = String((e.params as { type: string | string[] }).type).split(',');
      return at(
        source,
        path,
        'value',
        'RUNESET_WRONG_TYPE',
        `${where} must be ${nouns(expected)}, got ${describeValue(e.data)}`,
        typeHint(expected, e.data, path, description),
      );
    }
    case 'enum': {
      const allowed = (e.schema as unknown[]).map(String);
      const said = typeof e.data === 'string' ? didYouMean(e.data, allowed) : '';
      return at(
        source,
        path,
        'value',
        'RUNESET_BAD_VALUE',
        `${where} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, not ${quote(e.data)}${said}`,
        description,
      );
    }
    case 'const':
      return at(source, path, 'value', 'RUNESET_BAD_VALUE', `${where} must be ${JSON.stringify(e.schema)}, not ${quote(e.data)}`, description);
    case 'pattern': {
      const why = parent.patternErrorMessage ?? `it must match ${String(e.schema)}`;
      return at(source, path, 'value', 'RUNESET_BAD_VALUE', `${where} ${quote(e.data)} is not valid: ${why}`);
    }
    case 'propertyNames': {
      const name = String((e.params as { propertyName: string }).propertyName);
      const kind = String(path[path.length - 1] ?? 'key').replace(/s$/, '');
      const why = resolveSchema(parent.propertyNames ?? {}).patternErrorMessage ?? 'it is not a valid name';
      return at(source, [...path, name], 'key', 'RUNESET_BAD_VALUE', `'${name}' is not a valid ${kind} name: ${why}`);
    }
    case 'minimum':
      return at(
        source,
        path,
        'value',
        'RUNESET_BAD_VALUE',
        `${where} must be at least ${String((e.params as { limit: number }).limit)}, not ${quote(e.data)}`,
        description,
      );
    case 'minItems': {
      const limit = (e.params as { limit: number }).limit;
      return at(
        source,
        path,
        'value',
        'RUNESET_BAD_VALUE',
        limit === 1 ? `${where} must not be empty` : `${where} must have at least ${limit} items`,
        description,
      );
    }
    case 'minLength':
      return at(source, path, 'value', 'RUNESET_BAD_VALUE', `${where} must not be empty`, description);
    case 'uniqueItems': {
      const { i, j } = e.params as { i: number; j: number };
      const later = Math.max(i, j);
      const value = Array.isArray(e.data) ? e.data[later] : undefined;
      return at(source, [...path, later], 'value', 'RUNESET_BAD_VALUE', `${where} lists ${quote(value)} twice`, 'list each stream once');
    }
    default:
      return at(source, path, 'value', 'RUNESET_BAD_VALUE', `${where} ${e.message ?? 'is not valid'}`, description);
  }
}

function at(source: RunesetYaml, path: ValuePath, anchor: Anchor, code: ErrorCode, message: string, hint?: string): RunesetDiagnostic {
  return source.at(path, anchor, hint === undefined ? { code, message } : { code, message, hint });
}

/** What to say below a type error: why a number is a string, what a runeset is, or what the key is for. */
function typeHint(expected: readonly string[], data: unknown, path: ValuePath, description: string | undefined): string | undefined {
  if (typeof data === 'string' && (expected.includes('integer') || expected.includes('number')) && /^[-+]?[0-9.]+$/.test(data.trim())) {
    return 'it is quoted, so YAML reads it as a string: remove the quotes';
  }
  if (path.length === 0) return `a runeset is a mapping of runes: ${Object.keys(RUNESET_SCHEMA.properties ?? {}).join(', ')}`;
  return description;
}

/** `/pipelines/p/steps/1` → `['pipelines', 'p', 'steps', 1]`, numbers where the data has a list. */
function toValuePath(pointer: string, data: unknown): ValuePath {
  if (pointer === '') return [];
  const out: (string | number)[] = [];
  let node: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      out.push(Number(part));
      node = node[Number(part)];
    } else {
      out.push(part);
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined;
    }
  }
  return out;
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typesOf(node: SchemaNode): string[] {
  if (node.type === undefined) return node.const !== undefined ? [jsonType(node.const)] : [];
  return Array.isArray(node.type) ? [...(node.type as string[])] : [node.type as string];
}

function typeMatches(schemaType: string, actual: string): boolean {
  return schemaType === actual || (schemaType === 'number' && actual === 'integer');
}

const NOUNS: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  null: 'empty',
};

function nouns(types: readonly string[]): string {
  const words = [...new Set(types.map((t) => NOUNS[t] ?? t))];
  return words.length <= 1 ? (words[0] ?? 'something else') : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

/** `a string ('ten')`, `a number (1.5)`, `a list`, `nothing`. */
function describeValue(v: unknown): string {
  switch (jsonType(v)) {
    case 'null':
      return 'nothing';
    case 'array':
      return 'a list';
    case 'object':
      return 'a mapping';
    case 'string':
      return `a string (${quote(v)})`;
    case 'boolean':
      return String(v);
    default:
      return `a number (${String(v)})`;
  }
}

/** A value as messages quote it: strings in single quotes, lists and mappings by kind. */
function quote(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (Array.isArray(v)) return 'a list';
  if (v !== null && typeof v === 'object') return 'a mapping';
  return String(v);
}

/** `type is 'file'` from an `if: { properties: { type: { const: 'file' } } }`. */
function conditionText(node: SchemaNode): string {
  const props = node.if?.properties ?? {};
  const parts = Object.entries(props)
    .filter(([, p]) => p.const !== undefined)
    .map(([k, p]) => `${k} is '${String(p.const)}'`);
  return parts.length ? parts.join(' and ') : 'its condition holds';
}
