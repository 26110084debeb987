/** Checks beyond the schema: references between streams, spells and ports, cycles, spell files. */
import { readFile, stat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { isLoopback, parseListen } from '../core/address.js';
import { expandGlob, hasGlob } from '../core/glob.js';
import { SanctumError, type ErrorCode } from '../core/errors.js';
import { DEAD_LETTERS, DEFAULT_PORT, type EventValue } from '../core/event.js';
// Straight from spellcraft rather than the public entry (`../index.js`): the entry will re-export
// this module, and importing it here would make a cycle.
import { SpellError } from '../spellcraft/errors.js';
import type { RunesetDiagnostic } from './diagnostics.js';
import { scanSpell, type EmittedPorts } from './lua-ports.js';
import { asObj, entries, type Obj } from './raw.js';
import { checkNats } from './nats-checks.js';
import { RUNESET_DEFAULTS, RUNESET_SCHEMA, schemaAtPointer } from './schema.js';
import { parseSize } from '../core/units.js';
import { durationMs, runesetName } from './normalize.js';
import type { RunesetYaml, ValuePath } from './source.js';
import { didYouMean, suggest } from './suggest.js';

const NAME = new RegExp(schemaAtPointer(RUNESET_SCHEMA, '#/definitions/Name')?.pattern ?? '^[A-Za-z][A-Za-z0-9_-]*$');
/** The window kinds the schema knows (`spells.<name>.window.kind`). */
const WINDOW_KINDS: readonly string[] = (schemaAtPointer(RUNESET_SCHEMA, '#/definitions/WindowSpec/properties/kind/anyOf/0')?.enum as string[] | undefined) ?? [
  'tumbling',
  'hopping',
  'session',
];
const MIN_MEMORY = schemaAtPointer(RUNESET_SCHEMA, '#/definitions/BudgetSpec/properties/memory/anyOf/0')?.minimum ?? 65536;

/** A step as the checks see it, whether written short (`- enrich`) or long (`- spell: enrich`). */
interface StepView {
  readonly index: number;
  readonly path: ValuePath;
  readonly spell: unknown;
  readonly spellPath: ValuePath;
  readonly ports: Obj;
  /** Written as a bare spell name. */
  readonly short: boolean;
}

/**
 * Everything about the runeset's own data that the schema cannot say: streams, spells and ports
 * that are referred to but not declared, the default port wired by name, sizes too small, and
 * cycles between streams. Reads the data defensively: parts the schema already rejected are skipped.
 */
export function checkStructure(data: unknown, source: RunesetYaml): RunesetDiagnostic[] {
  const root = asObj(data) ?? {};
  const out: RunesetDiagnostic[] = [];
  const streams = declaredStreams(root);
  const spells = Object.keys(asObj(root['spells']) ?? {});

  const stream = (value: unknown, at: ValuePath, what: string) => {
    if (!isName(value) || streams.includes(value)) return;
    out.push(
      source.at(at, 'value', {
        code: 'RUNESET_UNKNOWN_STREAM',
        message: `${what} stream '${value}', which is not declared under streams${didYouMean(value, streams)}`,
        hint: `declare it under streams, or use one of: ${streams.join(', ')}`,
      }),
    );
  };

  for (const [name, spec] of entries(root['spells'])) {
    out.push(...checkWindow(name, spec, source));
    const budget = asObj(spec['budget']);
    const memory = budget?.['memory'];
    const bytes = typeof memory === 'string' ? parseSize(memory) : undefined;
    if (bytes !== undefined && bytes < MIN_MEMORY) {
      out.push(
        source.at(['spells', name, 'budget', 'memory'], 'value', {
          code: 'RUNESET_BAD_VALUE',
          message: `spells.${name}.budget.memory must be at least 64KiB (${MIN_MEMORY} bytes), not '${memory}' (${bytes} bytes)`,
          hint: 'a Lua state needs some room of its own before the spell allocates anything',
        }),
      );
    }
  }

  for (const [name, spec] of entries(root['sources'])) stream(spec['to'], ['sources', name, 'to'], `source '${name}' writes to`);
  for (const [name, spec] of entries(root['sinks'])) {
    for (const ref of refs(spec['from'], ['sinks', name, 'from'])) stream(ref.value, ref.path, `sink '${name}' reads`);
  }

  for (const [name, spec] of entries(root['pipelines'])) {
    const base = ['pipelines', name];
    for (const ref of refs(spec['from'], [...base, 'from'])) stream(ref.value, ref.path, `pipeline '${name}' reads`);
    stream(spec['to'], [...base, 'to'], `pipeline '${name}' writes to`);
    stream(spec['dead_letters'], [...base, 'dead_letters'], `pipeline '${name}' sends its dead letters to`);
    for (const step of steps(spec, base)) {
      const where = `step ${step.index + 1} of pipeline '${name}'`;
      if (isName(step.spell) && !spells.includes(step.spell)) {
        out.push(
          source.at(step.spellPath, 'value', {
            code: 'RUNESET_UNKNOWN_SPELL',
            message: `${where} casts spell '${step.spell}', which is not declared under spells${didYouMean(step.spell, spells)}`,
            hint: spells.length ? `declare it under spells, or use one of: ${spells.join(', ')}` : 'declare it under spells, with its file',
          }),
        );
      }
      for (const [port, target] of Object.entries(step.ports)) {
        const portPath = [...step.path, 'ports', port];
        if (port === DEFAULT_PORT) {
          out.push(
            source.at(portPath, 'key', {
              code: 'RUNESET_BAD_VALUE',
              message: `${where} wires port '${DEFAULT_PORT}', the default port, which always goes to the next step`,
              hint: `remove it; after the last step, the default port goes to the pipeline's \`to\` stream`,
            }),
          );
          continue;
        }
        stream(target, portPath, `${where} wires port '${port}' to`);
      }
    }
  }

  out.push(...checkDurability(root, source));
  out.push(...checkConnectors(root, source));
  out.push(...checkFollow(root, source));
  out.push(...checkNats(root, source));
  out.push(...checkCycles(root, streams, source));
  return out;
}

/** Runes that mean something only for some types of source or sink (one table for every type). */
const SOURCE_RUNES: Readonly<Record<string, readonly string[]>> = {
  path: ['file', 'http'],
  format: ['file', 'stdin', 'http'],
  rate: ['file'],
  loop: ['file'],
  listen: ['http'],
  token: ['http', 'nats'],
  max_body: ['http'],
  queue: ['http'],
  max_wait: ['http'],
  timeout: ['http'],
  follow: ['file'],
  poll_interval: ['file'],
  start_at: ['file'],
  url: ['nats'],
  subject: ['nats'],
  stream: ['nats'],
  consumer: ['nats'],
  queue_group: ['nats'],
  user: ['nats'],
  password: ['nats'],
};
const SINK_RUNES: Readonly<Record<string, readonly string[]>> = {
  path: ['file'],
  mode: ['file'],
  url: ['http', 'nats'],
  token: ['http', 'nats'],
  headers: ['http'],
  batch_size: ['http'],
  timeout: ['http'],
  retries: ['http'],
  backoff: ['http'],
  max_backoff: ['http'],
  subject: ['nats'],
  stream: ['nats'],
  user: ['nats'],
  password: ['nats'],
};

/**
 * Network sources and sinks: the keys their type needs, addresses that parse and do not collide
 * (with each other or the metrics server), tokens that would cross a network in clear text, and
 * runes given to a type they do nothing for.
 */
function checkConnectors(root: Obj, source: RunesetYaml): RunesetDiagnostic[] {
  const out: RunesetDiagnostic[] = [];
  const inapplicable = (kind: 'sources' | 'sinks', name: string, spec: Obj, table: Readonly<Record<string, readonly string[]>>) => {
    const type = spec['type'];
    if (typeof type !== 'string') return;
    for (const [rune, types] of Object.entries(table)) {
      if (spec[rune] === undefined || types.includes(type)) continue;
      out.push(
        source.at([kind, name, rune], 'key', {
          code: 'RUNESET_BAD_VALUE',
          severity: 'warning',
          message: `${kind}.${name}.${rune} has no effect on ${/^(http|[aeiou])/.test(type) ? 'an' : 'a'} ${type} ${kind === 'sources' ? 'source' : 'sink'}`,
          hint: `it is a rune of ${types.join(' and ')} ${kind}`,
        }),
      );
    }
  };
  const metricsListen = asObj(asObj(root['sanctum'])?.['metrics'])?.['listen'];
  const metrics = typeof metricsListen === 'string' ? parseListen(metricsListen) : undefined;
  const ports = new Map<number, string>();
  for (const [name, spec] of entries(root['sources'])) {
    inapplicable('sources', name, spec, SOURCE_RUNES);
    if (spec['type'] !== 'http') continue;
    const listen = spec['listen'];
    if (listen === undefined) {
      out.push(
        source.at(['sources', name], 'key', {
          code: 'RUNESET_MISSING_KEY',
          message: `sources.${name} is missing the required key 'listen' (needed when type is 'http')`,
          hint: 'listen: where its server listens, such as 127.0.0.1:8080 (or :8080)',
        }),
      );
    } else if (typeof listen === 'string') {
      const at = parseListen(listen);
      if (!('error' in at)) {
        if (at.port !== 0 && metrics && !('error' in metrics) && metrics.port === at.port) {
          out.push(
            source.at(['sources', name, 'listen'], 'value', {
              code: 'RUNESET_BAD_VALUE',
              message: `source '${name}' listens on port ${at.port}, where the metrics server (sanctum.metrics.listen) listens`,
              hint: 'give the source or the metrics server another port',
            }),
          );
        }
        const other = ports.get(at.port);
        if (at.port !== 0 && other !== undefined) {
          out.push(
            source.at(['sources', name, 'listen'], 'value', {
              code: 'RUNESET_BAD_VALUE',
              message: `sources '${other}' and '${name}' both listen on port ${at.port}`,
              hint: 'each http source has a server of its own: give each its own port',
            }),
          );
        } else if (at.port !== 0) ports.set(at.port, name);
        if (spec['token'] !== undefined && !isLoopback(at.host)) {
          out.push(
            source.at(['sources', name, 'token'], 'key', {
              code: 'RUNESET_BAD_VALUE',
              severity: 'warning',
              message: `source '${name}' takes a bearer token on ${at.host}, over plain HTTP: anyone on the network path can read it`,
              hint: 'put a TLS-terminating proxy in front of the source and listen on 127.0.0.1 (docunomicon/connectors.md)',
            }),
          );
        }
      }
    }
    const urlPath = spec['path'];
    if (typeof urlPath === 'string' && !/^\/[^\s?#]*$/.test(urlPath)) {
      out.push(
        source.at(['sources', name, 'path'], 'value', {
          code: 'RUNESET_BAD_VALUE',
          message: `sources.${name}.path must be a URL path starting with '/' (no query, no spaces), not '${urlPath}'`,
          hint: 'such as /events',
        }),
      );
    }
  }
  const durable = new Set(
    entries(root['streams'])
      .filter(([, spec]) => spec['durable'] === true)
      .map(([n]) => n),
  );
  for (const [name, spec] of entries(root['sinks'])) {
    inapplicable('sinks', name, spec, SINK_RUNES);
    const from = refs(spec['from'], ['sinks', name, 'from']).map((r) => r.value);
    if (spec['type'] === 'file' && spec['mode'] === 'truncate' && from.length > 0 && from.every((s) => isName(s) && durable.has(s))) {
      out.push(
        source.at(['sinks', name, 'mode'], 'value', {
          code: 'RUNESET_BAD_VALUE',
          severity: 'warning',
          message: `sink '${name}' reads durable streams and truncates its file: a restart empties the file and goes on after what the last run wrote, so that is lost from the file`,
          hint: 'leave mode out (append is the default over durable streams), or write to a stream that is not durable',
        }),
      );
    }
    if (spec['type'] !== 'http') continue;
    const url = spec['url'];
    if (url === undefined) {
      out.push(
        source.at(['sinks', name], 'key', {
          code: 'RUNESET_MISSING_KEY',
          message: `sinks.${name} is missing the required key 'url' (needed when type is 'http')`,
          hint: 'url: where each batch is POSTed, such as http://127.0.0.1:8080/events',
        }),
      );
      continue;
    }
    if (typeof url !== 'string') continue;
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
      out.push(
        source.at(['sinks', name, 'url'], 'value', {
          code: 'RUNESET_BAD_VALUE',
          message: `sinks.${name}.url must be an http:// or https:// URL, not '${url}'`,
          hint: 'such as http://127.0.0.1:8080/events',
        }),
      );
    } else if (spec['token'] !== undefined && parsed.protocol === 'http:' && !isLoopback(parsed.hostname)) {
      out.push(
        source.at(['sinks', name, 'token'], 'key', {
          code: 'RUNESET_BAD_VALUE',
          severity: 'warning',
          message: `sink '${name}' sends a bearer token to ${parsed.host} over plain HTTP: anyone on the network path can read it`,
          hint: 'use an https:// URL',
        }),
      );
    }
  }
  return out;
}

/**
 * Followed file sources (`follow: true`): a followed file never ends, so it cannot loop, be paced
 * against a clock started once, or be one JSON document; the follow runes do nothing without
 * follow, and a glob is only expanded with it.
 */
function checkFollow(root: Obj, source: RunesetYaml): RunesetDiagnostic[] {
  const out: RunesetDiagnostic[] = [];
  for (const [name, spec] of entries(root['sources'])) {
    if (spec['type'] !== 'file') continue;
    if (spec['follow'] === true) {
      const clash: Record<string, [unknown, string]> = {
        loop: [spec['loop'] === true, 'a followed file never ends, so there is no end to loop from'],
        rate: [spec['rate'] !== undefined, 'a followed file is read as it is written'],
        format: [spec['format'] === 'json', 'a JSON document cannot be read before it is whole; follow reads line formats (ndjson, lines)'],
      };
      for (const [rune, [is, why]] of Object.entries(clash)) {
        if (!is) continue;
        out.push(
          source.at(['sources', name, rune], rune === 'format' ? 'value' : 'key', {
            code: 'RUNESET_BAD_VALUE',
            message: `source '${name}' follows its file and has ${rune === 'format' ? 'format: json' : rune}: ${why}`,
            hint: rune === 'format' ? 'use format: ndjson or lines, or remove follow' : `remove ${rune}, or remove follow`,
          }),
        );
      }
      continue;
    }
    for (const rune of ['poll_interval', 'start_at']) {
      if (spec[rune] === undefined) continue;
      out.push(
        source.at(['sources', name, rune], 'key', {
          code: 'RUNESET_BAD_VALUE',
          severity: 'warning',
          message: `sources.${name}.${rune} has no effect without follow: true`,
          hint: 'add follow: true to read the file as it grows',
        }),
      );
    }
    if (typeof spec['path'] === 'string' && hasGlob(spec['path'])) {
      out.push(
        source.at(['sources', name, 'path'], 'value', {
          code: 'RUNESET_BAD_VALUE',
          severity: 'warning',
          message: `sources.${name}.path '${spec['path']}' has glob characters, but only a followed source expands a glob: this one reads the file of that very name`,
          hint: 'add follow: true to read every file the glob matches, as they grow',
        }),
      );
    }
  }
  return out;
}

/**
 * A spell's `window` rune: a hopping window's slide must fit in its size, the rune must not also be
 * written under `runes` (the spell gets it as `runes.window`), and `idle` needs ticks to act.
 */
function checkWindow(name: string, spec: Obj, source: RunesetYaml): RunesetDiagnostic[] {
  const w = asObj(spec['window']);
  if (w === undefined) return [];
  const out: RunesetDiagnostic[] = [];
  const at = ['spells', name, 'window'];
  const ms = (v: unknown): number | undefined => (typeof v === 'number' || (typeof v === 'string' && DURATION.test(v)) ? durationMs(v) : undefined);
  const size = ms(w['size']);
  const slide = ms(w['slide']);
  if (w['kind'] === 'hopping' && size !== undefined && slide !== undefined && slide > size) {
    out.push(
      source.at([...at, 'slide'], 'value', {
        code: 'RUNESET_BAD_VALUE',
        message: `spells.${name}.window.slide (${String(w['slide'])}) is longer than its size (${String(w['size'])}): hopping windows would leave gaps no window covers`,
        hint: 'make the slide at most the size (equal to it, the windows are tumbling)',
      }),
    );
  }
  for (const [rune, kinds] of [
    ['size', ['tumbling', 'hopping']],
    ['slide', ['hopping']],
    ['gap', ['session']],
  ] as const) {
    // An unknown kind has its own error (with a suggestion): no warning about runes it would not take.
    if (w[rune] === undefined || !WINDOW_KINDS.includes(w['kind'] as string) || (kinds as readonly string[]).includes(w['kind'] as string)) continue;
    out.push(
      source.at([...at, rune], 'key', {
        code: 'RUNESET_BAD_VALUE',
        severity: 'warning',
        message: `spells.${name}.window.${rune} has no effect on ${w['kind']} windows`,
        hint: `${rune} is for ${kinds.join(' and ')} windows`,
      }),
    );
  }
  if (asObj(spec['runes'])?.['window'] !== undefined) {
    out.push(
      source.at(['spells', name, 'runes', 'window'], 'key', {
        code: 'RUNESET_BAD_VALUE',
        message: `spells.${name} has both a window rune and runes.window; the window rune is what the spell gets as runes.window`,
        hint: `keep one: spells.${name}.window (checked, durations such as 1m) or runes.window`,
      }),
    );
  }
  if (w['idle'] !== undefined && spec['tick'] === undefined) {
    out.push(
      source.at([...at, 'idle'], 'key', {
        code: 'RUNESET_BAD_VALUE',
        severity: 'warning',
        message: `spells.${name}.window.idle moves the watermark on ticks, but spell '${name}' has no tick rune`,
        hint: `add tick: to spells.${name} (a tenth of idle, say)`,
      }),
    );
  }
  return out;
}

const DURATION = /^[0-9]+(ms|s|m|h|d)?$/;

/**
 * A pipeline is an exactly-once consumer when every stream it reads is durable; reading durable and
 * in-memory streams at once would make a promise it cannot keep. Retention and keys only mean
 * something for durable streams.
 */
function checkDurability(root: Obj, source: RunesetYaml): RunesetDiagnostic[] {
  const out: RunesetDiagnostic[] = [];
  const durable = new Set(
    entries(root['streams'])
      .filter(([, spec]) => spec['durable'] === true)
      .map(([name]) => name),
  );
  for (const [name, spec] of entries(root['streams'])) {
    if (spec['durable'] === true) continue;
    for (const rune of ['retention', 'key']) {
      if (spec[rune] === undefined) continue;
      out.push(
        source.at(['streams', name, rune], 'key', {
          code: 'RUNESET_BAD_VALUE',
          severity: 'warning',
          message: `streams.${name}.${rune} has no effect: the stream is not durable`,
          hint: `add durable: true to streams.${name}`,
        }),
      );
    }
  }
  for (const [name, spec] of entries(root['sources'])) {
    if (spec['loop'] === true && isName(spec['to']) && durable.has(spec['to'])) {
      out.push(
        source.at(['sources', name, 'loop'], 'key', {
          code: 'RUNESET_BAD_VALUE',
          message: `source '${name}' loops into the durable stream '${spec['to']}': a durable file source reads its file exactly once`,
          hint: 'remove loop, or write to a stream that is not durable',
        }),
      );
    }
  }
  for (const [name, spec] of entries(root['pipelines'])) {
    const from = refs(spec['from'], ['pipelines', name, 'from']).filter((r) => isName(r.value));
    const kinds = new Set(from.map((r) => durable.has(r.value as string)));
    if (kinds.size > 1) {
      const memory = from.filter((r) => !durable.has(r.value as string)).map((r) => r.value as string);
      out.push(
        source.at(['pipelines', name, 'from'], 'value', {
          code: 'RUNESET_BAD_VALUE',
          message: `pipeline '${name}' reads durable and in-memory streams (${memory.join(', ')} ${memory.length > 1 ? 'are' : 'is'} not durable); an exactly-once pipeline must read only durable streams`,
          hint: `make ${memory.join(', ')} durable, or split the pipeline in two`,
        }),
      );
    }
  }
  return out;
}

/** An edge of the stream graph: a pipeline reads `from` and writes `to`. */
interface Edge {
  readonly to: string;
  readonly pipeline: string;
}

/**
 * Finds cycles between streams, pipeline by pipeline in file order: the pipeline whose edge
 * closes a cycle is where it is reported, at the key that makes the edge.
 */
function checkCycles(root: Obj, streams: readonly string[], source: RunesetYaml): RunesetDiagnostic[] {
  const out: RunesetDiagnostic[] = [];
  const graph = new Map<string, Edge[]>();
  for (const [name, spec] of entries(root['pipelines'])) {
    const base = ['pipelines', name];
    const from = refs(spec['from'], [...base, 'from'])
      .map((r) => r.value)
      .filter((v): v is string => isName(v) && streams.includes(v));
    const explicitDead = spec['dead_letters'];
    const targets: { stream: unknown; path: ValuePath; implicitDead?: boolean }[] = [{ stream: spec['to'], path: [...base, 'to'] }];
    for (const step of steps(spec, base)) {
      for (const [port, target] of Object.entries(step.ports)) if (port !== DEFAULT_PORT) targets.push({ stream: target, path: [...step.path, 'ports', port] });
    }
    targets.push(
      explicitDead === undefined ? { stream: DEAD_LETTERS, path: base, implicitDead: true } : { stream: explicitDead, path: [...base, 'dead_letters'] },
    );

    for (const target of targets) {
      if (!isName(target.stream) || !streams.includes(target.stream)) continue;
      let reported = false;
      for (const f of from) {
        const back = findPath(graph, target.stream, f);
        if (back && !reported) {
          reported = true;
          const cycle = [f, target.stream, ...back.map((e) => e.to)];
          const pipelines = [...new Set([name, ...back.map((e) => e.pipeline)])];
          const through = pipelines.length > 1 ? ` (through pipelines ${pipelines.map((p) => `'${p}'`).join(', ')})` : '';
          out.push(
            source.at(target.path, target.implicitDead ? 'key' : 'value', {
              code: 'RUNESET_CYCLE',
              message: `pipeline '${name}' closes a stream cycle: ${cycle.join(' -> ')}${through}; events would go round forever`,
              hint: target.implicitDead
                ? `its failed events go to '${DEAD_LETTERS}', which it reads: set its dead_letters to another stream`
                : 'a pipeline must not write, directly or through other pipelines, to a stream it reads',
            }),
          );
        }
        const edges = graph.get(f) ?? [];
        edges.push({ to: target.stream, pipeline: name });
        graph.set(f, edges);
      }
    }
  }
  return out;
}

/** The edges leading from `start` to `goal` (empty when they are the same stream), or undefined. */
function findPath(graph: ReadonlyMap<string, readonly Edge[]>, start: string, goal: string): Edge[] | undefined {
  if (start === goal) return [];
  const previous = new Map<string, { from: string; edge: Edge }>();
  const queue = [start];
  const seen = new Set([start]);
  while (queue.length) {
    const node = queue.shift()!;
    for (const edge of graph.get(node) ?? []) {
      if (seen.has(edge.to)) continue;
      seen.add(edge.to);
      previous.set(edge.to, { from: node, edge });
      if (edge.to === goal) {
        const route: Edge[] = [];
        for (let at = goal; at !== start; ) {
          const step = previous.get(at)!;
          route.unshift(step.edge);
          at = step.from;
        }
        return route;
      }
      queue.push(edge.to);
    }
  }
  return undefined;
}

/** Options of the spell checks. */
export interface SpellCheckOptions {
  /** The runeset's directory: spell paths are relative to it. */
  readonly dir: string;
  /** Summon every spell to catch syntax errors and spells that return no `cast`. */
  readonly summon: boolean;
}

/**
 * Checks each spell's file: that it exists, that it summons (when asked), and that every port it
 * emits to by a literal name is wired by the steps that cast it (and every wired port is emitted to).
 */
export async function checkSpells(data: unknown, source: RunesetYaml, options: SpellCheckOptions): Promise<RunesetDiagnostic[]> {
  const root = asObj(data) ?? {};
  const out: RunesetDiagnostic[] = [];
  const scans = new Map<
    string,
    { file: string; ports: EmittedPorts; usesState: boolean; requires: readonly string[]; setsTimers: boolean; hooks?: { tick: boolean; timer: boolean } }
  >();

  await Promise.all(
    entries(root['spells']).map(async ([name, spec]) => {
      const file = spec['file'];
      if (typeof file !== 'string' || file === '') return;
      const at = ['spells', name, 'file'];
      const absolute = path.resolve(options.dir, file);
      const problem = await missingFile(absolute, file, options.dir);
      if (problem) {
        out.push(source.at(at, 'value', { code: 'SPELL_NOT_FOUND', ...problem }));
        return;
      }
      let text: string;
      try {
        text = await readFile(absolute, 'utf8');
      } catch (e) {
        out.push(source.at(at, 'value', { code: 'SPELL_NOT_FOUND', message: `cannot read spell file '${file}': ${(e as Error).message}` }));
        return;
      }
      const scan = scanSpell(text);
      const entry: {
        file: string;
        ports: EmittedPorts;
        usesState: boolean;
        requires: readonly string[];
        setsTimers: boolean;
        hooks?: { tick: boolean; timer: boolean };
      } = {
        file,
        ports: scan.emits,
        usesState: scan.writesState || (await modulesWriteState(absolute, scan.requires)),
        requires: scan.requires,
        setsTimers: scan.setsTimers,
      };
      scans.set(name, entry);
      if (options.summon) {
        const summoned = await summonSpell(name, absolute, file, spec);
        if ('failure' in summoned) out.push(source.at(at, 'value', summoned.failure));
        else entry.hooks = summoned.hooks;
      }
    }),
  );

  // A spell's state is one namespace: two pipelines casting a stateful spell would write the same
  // keys from separate batches, and one's updates could overwrite the other's.
  const castBy = new Map<string, string[]>();
  for (const [pipeline, spec] of entries(root['pipelines'])) {
    for (const step of steps(spec, ['pipelines', pipeline])) {
      if (isName(step.spell) && scans.get(step.spell)?.usesState) castBy.set(step.spell, [...(castBy.get(step.spell) ?? []), pipeline]);
    }
  }
  for (const [spell, pipelines] of castBy) {
    if (pipelines.length < 2) continue;
    out.push(
      source.at(['spells', spell], 'key', {
        code: 'RUNESET_BAD_VALUE',
        severity: 'warning',
        message: `spell '${spell}' uses state and is cast by ${pipelines.length} steps (${pipelines.join(', ')}); they share one state, and their batches may overwrite each other's changes`,
        hint: `declare the spell twice under two names (its state is per name), one for each pipeline`,
      }),
    );
  }

  out.push(...checkTime(root, source, scans));

  for (const [pipeline, spec] of entries(root['pipelines'])) {
    for (const step of steps(spec, ['pipelines', pipeline])) {
      if (!isName(step.spell)) continue;
      const scan = scans.get(step.spell);
      if (!scan) continue;
      const where = `step ${step.index + 1} of pipeline '${pipeline}'`;
      const emitted = [...scan.ports.literal.keys()].filter((p) => p !== DEFAULT_PORT);
      for (const port of emitted) {
        if (port in step.ports) continue;
        const line = scan.ports.literal.get(port)![0]!;
        out.push(
          source.at(step.path, 'value', {
            code: 'RUNESET_PORT_UNWIRED',
            message: `spell '${step.spell}' emits to port '${port}' (${scan.file}:${line}), but ${where} does not wire it`,
            hint: step.short
              ? `write the step as \`- spell: ${step.spell}\` with \`ports: { ${port}: <stream> }\``
              : `add it to the step's ports: \`${port}: <stream>\``,
          }),
        );
      }
      for (const port of Object.keys(step.ports)) {
        if (port === DEFAULT_PORT || scan.ports.literal.has(port)) continue;
        const computed = scan.ports.computed;
        out.push(
          source.at([...step.path, 'ports', port], 'key', {
            code: 'RUNESET_PORT_UNUSED',
            severity: 'warning',
            message: `${where} wires port '${port}', but ${scan.file} never emits to it${didYouMean(port, emitted)}`,
            hint: computed.length
              ? `the spell also emits to ports it computes (${scan.file}:${computed[0]}); if one of them is '${port}', all is well`
              : `the spell emits to ${emitted.length ? emitted.map((p) => `'${p}'`).join(', ') : 'no named port'}; Sanctum looks for literal emit(event, "${port}") calls`,
          }),
        );
      }
    }
    // Without `to`, what the last step emits on the default port has nowhere to go: each such event
    // becomes a dead letter (SPELL_PORT_UNWIRED) at run time.
    const all = steps(spec, ['pipelines', pipeline]);
    const last = all[all.length - 1];
    const scan = last && isName(last.spell) ? scans.get(last.spell) : undefined;
    const line = scan?.ports.literal.get(DEFAULT_PORT)?.[0];
    if (spec['to'] === undefined && scan && line !== undefined) {
      out.push(
        source.at(['pipelines', pipeline], 'key', {
          code: 'RUNESET_PORT_UNWIRED',
          severity: 'warning',
          message: `pipeline '${pipeline}' has no \`to\`, but spell '${String(last!.spell)}' emits to the default port (${scan.file}:${line}); those events will be dead letters (SPELL_PORT_UNWIRED)`,
          hint: `add \`to: <stream>\` to pipeline '${pipeline}', or emit to a named port`,
        }),
      );
    }
  }

  // A file source whose file is not there: the run would dead-letter it (INPUT_UNREADABLE). A
  // warning, not an error: the file may be written before the run starts.
  for (const [name, spec] of entries(root['sources'])) {
    if (spec['type'] !== 'file' || typeof spec['path'] !== 'string' || spec['path'] === '') continue;
    const file = spec['path'];
    if (spec['follow'] === true) {
      // A followed source waits for its files: one that is not there yet is no mistake, but worth a word.
      const { files } = await expandGlob(path.resolve(options.dir, file));
      if (files.length === 0) {
        out.push(
          source.at(['sources', name, 'path'], 'value', {
            code: 'INPUT_UNREADABLE',
            severity: 'warning',
            message: hasGlob(file)
              ? `source '${name}' follows '${file}', which matches no file (yet); the run waits for one`
              : `source '${name}' follows '${file}', which does not exist (yet); the run waits for it`,
            hint: `paths are relative to the runeset's directory, ${options.dir}`,
          }),
        );
      }
      continue;
    }
    try {
      await stat(path.resolve(options.dir, file));
    } catch {
      out.push(
        source.at(['sources', name, 'path'], 'value', {
          code: 'INPUT_UNREADABLE',
          severity: 'warning',
          message: `source '${name}' reads '${file}', which does not exist (yet); the run will dead-letter it as INPUT_UNREADABLE`,
          hint: `paths are relative to the runeset's directory, ${options.dir}`,
        }),
      );
    }
  }
  return out;
}

/**
 * Time runes against what the spells define (known when they were summoned): a `tick` on a spell
 * with no `tick` function does nothing; a `window` on a spell that does not use `sanctum.window`
 * does nothing; and a spell with timers cast by a pipeline over in-memory streams is told where its
 * timers live (with its state, in the data file) and what a restart keeps.
 */
function checkTime(
  root: Obj,
  source: RunesetYaml,
  scans: ReadonlyMap<string, { requires: readonly string[]; setsTimers: boolean; hooks?: { tick: boolean; timer: boolean } }>,
): RunesetDiagnostic[] {
  const out: RunesetDiagnostic[] = [];
  for (const [name, spec] of entries(root['spells'])) {
    const scan = scans.get(name);
    if (spec['tick'] !== undefined && scan?.hooks && !scan.hooks.tick) {
      out.push(
        source.at(['spells', name, 'tick'], 'key', {
          code: 'RUNESET_BAD_VALUE',
          severity: 'warning',
          message: `spell '${name}' has a tick rune, but ${String(spec['file'])} defines no tick function: nothing will tick`,
          hint: 'define function spell.tick(now, emit), or remove the tick rune',
        }),
      );
    }
    if (scan?.setsTimers && scan.hooks && !scan.hooks.timer) {
      out.push(
        source.at(['spells', name, 'file'], 'value', {
          code: 'RUNESET_BAD_VALUE',
          severity: 'warning',
          message: `spell '${name}' calls timers.set, but ${String(spec['file'])} defines no timer function: every cast that sets a timer fails`,
          hint: 'define function spell.timer(key, now, emit), which runs when a timer is due (see docunomicon/time.md)',
        }),
      );
    }
    if (spec['window'] !== undefined && scan !== undefined && !scan.requires.includes('sanctum.window')) {
      out.push(
        source.at(['spells', name, 'window'], 'key', {
          code: 'RUNESET_BAD_VALUE',
          severity: 'warning',
          message: `spell '${name}' has a window rune, but ${String(spec['file'])} does not require "sanctum.window": the rune only reaches its init as runes.window`,
          hint: 'use the bundled module: local window = require "sanctum.window"; window.new(runes.window, …) (see docunomicon/time.md)',
        }),
      );
    }
  }
  const durable = new Set(
    entries(root['streams'])
      .filter(([, spec]) => spec['durable'] === true)
      .map(([n]) => n),
  );
  const dataDir = String(asObj(root['sanctum'])?.['data_dir'] ?? RUNESET_DEFAULTS.data_dir.replace('{name}', runesetName(source.file)));
  const told = new Set<string>();
  for (const [pipeline, spec] of entries(root['pipelines'])) {
    const from = refs(spec['from'], ['pipelines', pipeline, 'from']).map((r) => r.value);
    if (from.length > 0 && from.every((f) => isName(f) && durable.has(f))) continue;
    for (const step of steps(spec, ['pipelines', pipeline])) {
      if (!isName(step.spell) || told.has(step.spell) || !scans.get(step.spell)?.hooks?.timer) continue;
      told.add(step.spell);
      out.push(
        source.at(step.spellPath, 'value', {
          code: 'RUNESET_BAD_VALUE',
          severity: 'warning',
          message: `spell '${step.spell}' uses timers in pipeline '${pipeline}', which reads in-memory streams: its timers live with its state, in ${dataDir}/sanctum.db beside the runeset, and commit with each batch, but its input does not survive a restart`,
          hint: `make the streams pipeline '${pipeline}' reads durable for exactly-once timers (a timer set by an event then fires once, even across a crash)`,
        }),
      );
    }
  }
  return out;
}

/** Whether a module the spell requires (next to it, transitively) writes state. */
async function modulesWriteState(spellFile: string, requires: readonly string[]): Promise<boolean> {
  const dir = path.dirname(spellFile);
  const seen = new Set<string>();
  const queue = [...requires];
  while (queue.length) {
    const name = queue.pop()!;
    if (seen.has(name) || name === 'sanctum') continue;
    seen.add(name);
    let text: string;
    try {
      text = await readFile(path.join(dir, `${name.replace(/\./g, '/')}.lua`), 'utf8');
    } catch {
      continue; // not there: `require` reports it when the spell runs
    }
    const scan = scanSpell(text);
    if (scan.writesState) return true;
    queue.push(...scan.requires);
  }
  return false;
}

/** Why a spell file cannot be used, or undefined when it is a readable file. */
async function missingFile(absolute: string, written: string, dir: string): Promise<{ message: string; hint: string } | undefined> {
  try {
    const s = await stat(absolute);
    if (s.isFile()) return undefined;
    return { message: `spell file '${written}' is a directory, not a file`, hint: `paths are relative to the runeset's directory, ${dir}` };
  } catch {
    let nearby: string[] = [];
    try {
      nearby = (await readdir(path.dirname(absolute))).filter((f) => f.endsWith('.lua'));
    } catch {
      // The directory is missing too: nothing to suggest.
    }
    const close = suggest(path.basename(absolute), nearby);
    const instead = close === undefined ? '' : `; did you mean '${path.posix.join(path.posix.dirname(written), close)}'?`;
    return { message: `spell file '${written}' does not exist${instead}`, hint: `paths are relative to the runeset's directory, ${dir}` };
  }
}

/**
 * Summons a spell as the runtime would: the time hooks it defines, or a failure as a finding for
 * the `file:` value.
 */
async function summonSpell(
  name: string,
  absolute: string,
  written: string,
  spec: Obj,
): Promise<{ failure: { code: ErrorCode; message: string; hint?: string } } | { hooks: { tick: boolean; timer: boolean } }> {
  const failure = (f: { code: ErrorCode; message: string; hint?: string }) => ({ failure: f });
  const budget = asObj(spec['budget']) ?? {};
  const instructions = budget['instructions'];
  const memory = parseSize(budget['memory']);
  const window = asObj(spec['window']);
  const runes = { ...(asObj(spec['runes']) ?? {}), ...(window ? { window: windowInMs(window) } : {}) };
  try {
    // The definition alone (not summon's operator, which is RxJS): the engine loads only to compile,
    // and the caster that compiles the spell is the one asked for its hooks.
    const { readSpell, defineSpell } = await import('../spellcraft/definition.js');
    const read = await readSpell(absolute, { name, displayPath: written });
    const options = {
      name,
      displayPath: written,
      runes: runes as Record<string, EventValue>,
      instructionBudget:
        typeof instructions === 'number' && Number.isInteger(instructions) && instructions >= 1000 ? instructions : RUNESET_DEFAULTS.instructions,
      memoryLimit: memory !== undefined && memory >= MIN_MEMORY ? memory : (parseSize(RUNESET_DEFAULTS.memory) ?? MIN_MEMORY),
      // Checking is quiet: a spell that prints while it loads prints when it runs.
      logger: () => {},
    };
    const { caster } = await defineSpell(read.source, options, read.modules, {}, true);
    const hooks = { tick: caster.hasTick, timer: caster.hasTimer };
    caster.close();
    return { hooks };
  } catch (e) {
    if (e instanceof SpellError) {
      const hint = e.sourceLine !== undefined && e.line !== undefined ? `line ${e.line}: ${e.sourceLine}` : undefined;
      const finding = { code: e.code, message: `spell '${name}' does not summon: ${e.message}` };
      return failure(hint === undefined ? finding : { ...finding, hint });
    }
    const code: ErrorCode = e instanceof SanctumError ? e.code : 'LUA_VM_FAILED';
    return failure({ code, message: `spell '${name}' does not summon: ${e instanceof Error ? e.message : String(e)}` });
  }
}

/** A `window` rune as the spell gets it: durations in ms (where they are durations). */
function windowInMs(w: Obj): Record<string, unknown> {
  const out: Record<string, unknown> = { ...w };
  for (const k of ['size', 'slide', 'gap', 'lateness', 'idle']) {
    const v = w[k];
    if (typeof v === 'number' || (typeof v === 'string' && DURATION.test(v))) out[k] = durationMs(v);
  }
  return out;
}

function declaredStreams(root: Obj): string[] {
  const names = Object.keys(asObj(root['streams']) ?? {});
  return names.includes(DEAD_LETTERS) ? names : [...names, DEAD_LETTERS];
}

function steps(pipeline: Obj, base: ValuePath): StepView[] {
  const list = pipeline['steps'];
  if (!Array.isArray(list)) return [];
  return list.flatMap((item: unknown, index): StepView[] => {
    const p = [...base, 'steps', index];
    if (typeof item === 'string') return [{ index, path: p, spell: item, spellPath: p, ports: {}, short: true }];
    const o = asObj(item);
    if (!o) return [];
    return [{ index, path: p, spell: o['spell'], spellPath: [...p, 'spell'], ports: asObj(o['ports']) ?? {}, short: false }];
  });
}

/** A `from` value's stream names with their paths: one name, or each name of a list. */
function refs(value: unknown, at: ValuePath): { value: unknown; path: ValuePath }[] {
  if (Array.isArray(value)) return value.map((v: unknown, i) => ({ value: v, path: [...at, i] }));
  return value === undefined ? [] : [{ value, path: at }];
}

function isName(value: unknown): value is string {
  return typeof value === 'string' && NAME.test(value);
}
