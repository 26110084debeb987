// Generates src/runes/types.ts, src/runes/runeset-validator.ts and docunomicon/reference/runeset.md from schema/runeset.schema.json (`npx tsx scripts/gen-runes.ts`).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Ajv } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { compile, type JSONSchema } from 'json-schema-to-typescript';
import { withoutEnvReferences } from '../src/runes/schema.js';

/** The command that regenerates the three files; staleness tests print it. */
export const GENERATE_COMMAND = 'npx tsx scripts/gen-runes.ts';

const root = new URL('../', import.meta.url);
export const SCHEMA_FILE = new URL('schema/runeset.schema.json', root);
export const EXAMPLE_FILE = new URL('test/runes/fixtures/example/sanctum.runeset.yaml', root);
export const TYPES_FILE = new URL('src/runes/types.ts', root);
export const VALIDATOR_FILE = new URL('src/runes/runeset-validator.ts', root);
export const REFERENCE_FILE = new URL('docunomicon/reference/runeset.md', root);

/** A JSON Schema node, as far as the generators read it. */
interface Node {
  $ref?: string;
  $id?: string;
  title?: string;
  description?: string;
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  default?: unknown;
  pattern?: string;
  minimum?: number;
  minItems?: number;
  minLength?: number;
  uniqueItems?: boolean;
  required?: string[];
  properties?: Record<string, Node>;
  additionalProperties?: boolean | Node;
  items?: Node;
  anyOf?: Node[];
  allOf?: Node[];
  if?: Node;
  then?: Node;
  definitions?: Record<string, Node>;
}

/** Reads the schema and the example runeset the reference page shows. */
export function readInputs(): { schema: Node; example: string } {
  // Types and the page describe values as the loader sees them, references filled in.
  return { schema: withoutEnvReferences(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as Node), example: readFileSync(EXAMPLE_FILE, 'utf8') };
}

/** The TypeScript types of a runeset as written, from the schema. */
export async function generateTypes(schema: Node): Promise<string> {
  const banner = `/** Generated from schema/runeset.schema.json by \`${GENERATE_COMMAND}\`: do not edit; edit the schema and run it again. */`;
  const out = await compile(structuredClone(schema) as JSONSchema, 'RunesetDocument', {
    bannerComment: banner,
    additionalProperties: false,
    unknownAny: true,
    strictIndexSignatures: false,
    unreachableDefinitions: false,
    // The root is the document as written; the loader's normalized form is `Runeset`.
    customName: (node) => (node.title === schema.title ? 'RunesetDocument' : undefined),
    style: { singleQuote: true, printWidth: 120, trailingComma: 'all' },
  });
  return out;
}

/**
 * The validator of a runeset as written: ajv's standalone code for the schema, so that no command
 * compiles the schema at start-up (compiling took about 100 ms of every `sanctum check` and `run`).
 * Errors carry their schema (`verbose`), which the error mapper in schema-errors.ts reads.
 */
export function generateValidator(schema: Node): string {
  // strictRequired would reject `then: { required: [path] }`, whose property is declared beside it.
  const ajv = new Ajv({
    allErrors: true,
    verbose: true,
    strict: true,
    strictRequired: false,
    allowUnionTypes: true,
    code: { source: true, esm: true, lines: true },
  });
  // The custom error text yaml-language-server shows for a failed pattern; ours too.
  ajv.addKeyword({ keyword: 'patternErrorMessage', schemaType: 'string' });
  const code = standaloneCode.default(ajv, ajv.compile(schema));
  return [
    '// @ts-nocheck',
    `/** Generated from schema/runeset.schema.json by \`${GENERATE_COMMAND}\` (ajv standalone code): do not edit; edit the schema and run it again. */`,
    // ajv's ESM output still require()s its runtime helpers (ucs2length, equal).
    "import { createRequire } from 'node:module';",
    'const require = createRequire(import.meta.url);',
    code.replace(/^"use strict";/, ''),
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// The reference page.

interface Entry {
  readonly key: string;
  readonly node: Node;
  readonly required: string;
}

/** The reference page of the runeset format: every key with its type, default, values and description. */
export function generateReference(schema: Node, example: string): string {
  const defs = schema.definitions ?? {};
  const resolve = (node: Node): Node => {
    let current = node;
    let description = node.description;
    let def = node.default;
    for (let guard = 0; guard < 20; guard++) {
      if (current.$ref !== undefined) current = defs[current.$ref.replace('#/definitions/', '')] ?? {};
      else if (current.allOf?.length === 1 && current.type === undefined && current.properties === undefined) current = current.allOf[0]!;
      else break;
      description ??= current.description;
      def ??= current.default;
    }
    return { ...current, description, default: def };
  };
  const refName = (node: Node): string | undefined => {
    const ref = node.$ref ?? (node.allOf?.length === 1 ? node.allOf[0]!.$ref : undefined);
    return ref?.replace('#/definitions/', '');
  };
  const typeText = (node: Node): string => {
    if (refName(node) === 'Name') return 'name';
    const r = resolve(node);
    if (r.anyOf) return r.anyOf.map(typeText).join(' or ');
    if (r.const !== undefined) return `\`${JSON.stringify(r.const)}\``;
    const types = Array.isArray(r.type) ? r.type : r.type ? [r.type] : [];
    return types
      .map((t) => {
        if (t === 'object') return 'mapping';
        if (t === 'array') {
          const item = r.items ? typeText(r.items) : 'value';
          return item.includes(' or ') ? `list of (${item})` : `list of ${item}s`;
        }
        if (t === 'null') return 'empty';
        return t;
      })
      .join(' or ');
  };
  const constraints = (node: Node, prefix = ''): string[] => {
    if (refName(node) === 'Name') return [];
    const r = resolve(node);
    const out: string[] = [];
    if (r.anyOf) {
      for (const branch of r.anyOf) out.push(...constraints(branch, `${typeText(branch)}: `));
      return out;
    }
    if (r.minimum !== undefined) out.push(`at least ${r.minimum.toLocaleString('en-US')}`);
    if (r.minLength !== undefined && r.minLength > 0) out.push('not empty');
    if (r.minItems !== undefined) out.push(`at least ${r.minItems} item${r.minItems === 1 ? '' : 's'}`);
    if (r.uniqueItems) out.push('no repeats');
    if (r.pattern !== undefined) out.push(`matches \`${r.pattern}\``);
    return out.length ? [`${prefix}${out.join(', ')}`] : [];
  };

  const entries: Entry[] = [];
  const anchors = new Map<string, string>();
  const anchorCounts = new Map<string, number>();
  const walk = (node: Node, key: string, required: string): void => {
    const r = resolve(node);
    if (key !== '') {
      entries.push({ key, node, required });
      // GitHub numbers repeated heading anchors: `steps`, then `steps-1`.
      const base = anchor(key);
      const n = anchorCounts.get(base) ?? 0;
      anchorCounts.set(base, n + 1);
      anchors.set(key, n === 0 ? base : `${base}-${n}`);
    }
    const objects = r.anyOf ? r.anyOf.map(resolve).filter((b) => b.properties) : [r];
    for (const obj of objects) {
      const conditional = conditionText(obj);
      for (const [name, child] of Object.entries(obj.properties ?? {})) {
        const req = obj.required?.includes(name) ? 'yes' : obj.then?.required?.includes(name) && conditional ? `when ${conditional}` : 'no';
        walk(child, key ? `${key}.${name}` : name, req);
      }
      if (typeof obj.additionalProperties === 'object') {
        const last = key.split('.').pop() ?? '';
        walk(obj.additionalProperties, `${key}.<${last.replace(/s$/, '')}>`, 'no');
      }
    }
    if (r.items && r.type === 'array' && refName(r.items) !== 'Name') walk(r.items, `${key}[]`, 'no');
  };
  walk(schema, '', 'yes');

  const name = resolve(defs['Name'] ?? {});
  const lines: string[] = [];
  lines.push(`<!-- Generated from schema/runeset.schema.json by \`${GENERATE_COMMAND}\`: do not edit; edit the schema and run it again. -->`);
  lines.push('');
  lines.push('# Runeset reference');
  lines.push('');
  lines.push(schema.description ?? '');
  lines.push('');
  lines.push(`Names (of streams, spells, sources, sinks, pipelines and ports) match \`${name.pattern}\`: ${name.description?.replace(/^A name: /, '') ?? ''}`);
  lines.push('');
  lines.push('## Example');
  lines.push('');
  lines.push('```yaml');
  lines.push(example.trimEnd());
  lines.push('```');
  lines.push('');
  lines.push('## Environment variables');
  lines.push('');
  lines.push("- `${NAME}` is replaced by the variable's value; a variable that is not set is an error, reported where it is used.");
  lines.push('- `${NAME:-default}` uses `default` when `NAME` is not set or empty.');
  lines.push('- `$${` is a literal `${`.');
  lines.push('- An unquoted value is typed after the replacement (`instructions: ${BUDGET:-50000}` is a number); a quoted one stays a string.');
  lines.push('- Inside `{ … }` and `[ … ]` quote the value: `runes: { region: "${REGION:-eu}" }`.');
  lines.push(
    '- The published schema accepts a reference wherever a number, a boolean, a name or one of the listed values goes, so an editor does not flag `batch_size: ${BATCH:-500}`; `sanctum check` checks the value that is filled in.',
  );
  lines.push('');
  lines.push('## Editor support');
  lines.push('');
  lines.push('Editors that use yaml-language-server (VS Code with the YAML extension, Neovim, Helix, …) complete and check a runeset');
  lines.push('when its first line names the schema, relative to the runeset file:');
  lines.push('');
  lines.push('```yaml');
  lines.push('# yaml-language-server: $schema=./node_modules/sanctum-streams/schema/runeset.schema.json');
  lines.push('```');
  lines.push('');
  lines.push('## Keys');
  lines.push('');
  lines.push('| Key | Type | Required | Default |');
  lines.push('| --- | --- | --- | --- |');
  for (const e of entries) {
    const r = resolve(e.node);
    lines.push(
      `| [\`${e.key}\`](#${anchors.get(e.key)}) | ${typeText(e.node)} | ${e.required} | ${r.default === undefined ? '' : `\`${JSON.stringify(r.default)}\``} |`,
    );
  }
  for (const e of entries) {
    const r = resolve(e.node);
    lines.push('');
    lines.push(`### \`${e.key}\``);
    lines.push('');
    lines.push(r.description ?? '');
    lines.push('');
    lines.push(`- **Type:** ${typeText(e.node)}`);
    lines.push(`- **Required:** ${e.required}`);
    if (r.default !== undefined) lines.push(`- **Default:** \`${JSON.stringify(r.default)}\``);
    if (r.enum !== undefined) lines.push(`- **Allowed values:** ${r.enum.map((v) => `\`${String(v)}\``).join(', ')}`);
    const c = constraints(e.node);
    if (c.length) lines.push(`- **Constraints:** ${c.join('; ')}`);
  }
  lines.push('');
  return lines.join('\n');
}

/** `type is file` from `if: { properties: { type: { const: file } } }`. */
function conditionText(node: Node): string | undefined {
  const props = node.if?.properties;
  if (!props) return undefined;
  const parts = Object.entries(props)
    .filter(([, p]) => p.const !== undefined)
    .map(([k, p]) => `\`${k}\` is \`${String(p.const)}\``);
  return parts.length ? parts.join(' and ') : undefined;
}

/** The anchor GitHub gives a heading such as "`spells.<spell>.file`". */
function anchor(key: string): string {
  return key
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replace(/ /g, '-');
}

async function main(): Promise<void> {
  const { schema, example } = readInputs();
  writeFileSync(TYPES_FILE, await generateTypes(schema));
  writeFileSync(VALIDATOR_FILE, generateValidator(schema));
  writeFileSync(REFERENCE_FILE, generateReference(schema, example));
  for (const file of [TYPES_FILE, VALIDATOR_FILE, REFERENCE_FILE]) process.stdout.write(`wrote ${fileURLToPath(file)}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  });
}
