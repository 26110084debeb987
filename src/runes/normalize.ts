/** From a valid runeset document to the normalized `Runeset`: defaults filled, shapes made uniform, paths resolved. */
import path from 'node:path';
import { parseListen } from '../core/address.js';
import { DEAD_LETTERS, type EventValue } from '../core/event.js';
import type {
  Runeset,
  RunesetNatsConnection,
  RunesetPath,
  RunesetPipeline,
  RunesetSink,
  RunesetSource,
  RunesetSpell,
  RunesetStep,
  RunesetStream,
  RunesetWindow,
} from './runeset.js';
import { RUNESET_DEFAULTS } from './schema.js';
import { parseDuration, parseSize } from '../core/units.js';
import type { RunesetDocument, StreamRefs, WindowSpec } from './types.js';

/**
 * Normalizes a runeset document that passed every check. `file` is the runeset's absolute path;
 * relative paths in it are resolved against its directory.
 */
export function normalizeRuneset(doc: RunesetDocument, file: string): Runeset {
  const dir = path.dirname(file);
  const resolvePath = (original: string): RunesetPath => ({ absolute: path.resolve(dir, original), original });
  const list = (refs: StreamRefs): string[] => (Array.isArray(refs) ? [...refs] : [refs]);

  const streams: Record<string, RunesetStream> = {};
  for (const [name, spec] of Object.entries(doc.streams)) {
    streams[name] = {
      name,
      implicit: false,
      durable: spec?.durable ?? RUNESET_DEFAULTS.durable,
      ...(spec?.description === undefined ? {} : { description: spec.description }),
      ...(spec?.key === undefined ? {} : { key: spec.key }),
      ...(spec?.retention === undefined
        ? {}
        : {
            retention: {
              ...(spec.retention.max_events === undefined ? {} : { maxEvents: spec.retention.max_events }),
              ...(spec.retention.max_age === undefined ? {} : { maxAgeMs: durationMs(spec.retention.max_age) }),
            },
          }),
    };
  }
  if (!(DEAD_LETTERS in streams)) streams[DEAD_LETTERS] = { name: DEAD_LETTERS, implicit: true, durable: false };

  const spells: Record<string, RunesetSpell> = {};
  for (const [name, spec] of Object.entries(doc.spells ?? {})) {
    const window = spec.window === undefined ? undefined : windowOf(spec.window);
    const runes = (spec.runes ?? {}) as Record<string, EventValue>;
    spells[name] = {
      name,
      file: resolvePath(spec.file),
      runes: window === undefined ? runes : { ...runes, window: window as unknown as EventValue },
      ...(spec.tick === undefined ? {} : { tick: durationMs(spec.tick) }),
      ...(window === undefined ? {} : { window }),
      on_error: spec.on_error ?? RUNESET_DEFAULTS.on_error,
      budget: {
        instructions: spec.budget?.instructions ?? RUNESET_DEFAULTS.instructions,
        emits: spec.budget?.emits ?? RUNESET_DEFAULTS.emits,
        memory: bytes(spec.budget?.memory ?? RUNESET_DEFAULTS.memory),
      },
      state: { indexes: [...(spec.state?.indexes ?? [])] },
    };
  }

  const sources: Record<string, RunesetSource> = {};
  for (const [name, spec] of Object.entries(doc.sources ?? {})) {
    const format = spec.format ?? RUNESET_DEFAULTS.format;
    if (spec.type === 'file') {
      sources[name] = {
        name,
        type: 'file',
        path: resolvePath(required(spec.path, `sources.${name}.path`)),
        to: spec.to,
        format,
        ...(spec.rate !== undefined ? { rate: spec.rate } : {}),
        ...(spec.loop ? { loop: true } : {}),
        ...(spec.follow
          ? {
              follow: {
                pollMs: durationMs(spec.poll_interval ?? RUNESET_DEFAULTS.source_poll_interval),
                startAt: spec.start_at ?? RUNESET_DEFAULTS.source_start_at,
              },
            }
          : {}),
      };
    } else if (spec.type === 'http') {
      const listen = parseListen(required(spec.listen, `sources.${name}.listen`));
      if ('error' in listen) throw new Error(`runeset: sources.${name}.listen: ${listen.error} after validation`);
      sources[name] = {
        name,
        type: 'http',
        to: spec.to,
        format,
        listen,
        path: spec.path ?? '/',
        ...(spec.token !== undefined ? { token: spec.token } : {}),
        maxBody: bytes(spec.max_body ?? RUNESET_DEFAULTS.source_max_body),
        queue: spec.queue ?? RUNESET_DEFAULTS.source_queue,
        maxWaitMs: durationMs(spec.max_wait ?? RUNESET_DEFAULTS.source_max_wait),
        timeoutMs: durationMs(spec.timeout ?? RUNESET_DEFAULTS.source_timeout),
      };
    } else if (spec.type === 'nats') {
      sources[name] = {
        name,
        type: 'nats',
        to: spec.to,
        connection: natsConnection(spec),
        ...(spec.subject !== undefined ? { subject: spec.subject } : {}),
        ...(spec.stream !== undefined ? { stream: spec.stream } : {}),
        consumer: spec.consumer ?? `sanctum-${name}`,
        ...(spec.queue_group !== undefined ? { queue: spec.queue_group } : {}),
      };
    } else sources[name] = { name, type: spec.type, to: spec.to, format };
  }

  const sinks: Record<string, RunesetSink> = {};
  for (const [name, spec] of Object.entries(doc.sinks ?? {})) {
    const from = list(spec.from);
    if (spec.type === 'file') {
      sinks[name] = {
        name,
        type: 'file',
        path: resolvePath(required(spec.path, `sinks.${name}.path`)),
        from,
        ...(spec.mode !== undefined ? { mode: spec.mode } : {}),
      };
    } else if (spec.type === 'http') {
      sinks[name] = {
        name,
        type: 'http',
        from,
        url: required(spec.url, `sinks.${name}.url`),
        ...(spec.token !== undefined ? { token: spec.token } : {}),
        headers: { ...(spec.headers ?? {}) },
        batchSize: spec.batch_size ?? RUNESET_DEFAULTS.sink_batch_size,
        timeoutMs: durationMs(spec.timeout ?? RUNESET_DEFAULTS.sink_timeout),
        retries: spec.retries ?? RUNESET_DEFAULTS.sink_retries,
        backoffMs: durationMs(spec.backoff ?? RUNESET_DEFAULTS.sink_backoff),
        maxBackoffMs: durationMs(spec.max_backoff ?? RUNESET_DEFAULTS.sink_max_backoff),
      };
    } else if (spec.type === 'nats') {
      sinks[name] = {
        name,
        type: 'nats',
        from,
        connection: natsConnection(spec),
        subject: required(spec.subject, `sinks.${name}.subject`),
        ...(spec.stream !== undefined ? { stream: spec.stream } : {}),
      };
    } else sinks[name] = { name, type: spec.type, from };
  }

  const pipelines: Record<string, RunesetPipeline> = {};
  for (const [name, spec] of Object.entries(doc.pipelines ?? {})) {
    const steps: RunesetStep[] = spec.steps.map((step) =>
      typeof step === 'string' ? { spell: step, ports: {} } : { spell: step.spell, ports: { ...(step.ports ?? {}) } },
    );
    const base = { name, from: list(spec.from), steps, dead_letters: spec.dead_letters ?? RUNESET_DEFAULTS.dead_letters };
    pipelines[name] = spec.to === undefined ? base : { ...base, to: spec.to };
  }

  return {
    version: 1,
    file,
    dir,
    sanctum: {
      log_level: doc.sanctum?.log_level ?? RUNESET_DEFAULTS.log_level,
      data_dir: resolvePath(doc.sanctum?.data_dir ?? RUNESET_DEFAULTS.data_dir.replace('{name}', runesetName(file))),
      synchronous: doc.sanctum?.synchronous ?? RUNESET_DEFAULTS.synchronous,
      batch_size: doc.sanctum?.batch_size ?? RUNESET_DEFAULTS.batch_size,
      ...(doc.sanctum?.log_format === undefined ? {} : { log_format: doc.sanctum.log_format }),
      ...(doc.sanctum?.metrics === undefined
        ? {}
        : {
            metrics: {
              listen: doc.sanctum.metrics.listen,
              cast_sample: doc.sanctum.metrics.cast_sample ?? RUNESET_DEFAULTS.cast_sample,
              tap: doc.sanctum.metrics.tap ?? RUNESET_DEFAULTS.tap,
              ready_lag: doc.sanctum.metrics.ready_lag ?? RUNESET_DEFAULTS.ready_lag,
            },
          }),
    },
    streams,
    spells,
    sources,
    sinks,
    pipelines,
  };
}

/** The default NATS server: the loopback one. */
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

/** `url` split into its servers, and the credentials. */
export function natsConnection(spec: { url?: string; user?: string; password?: string; token?: string }): RunesetNatsConnection {
  return {
    servers: natsServers(spec.url ?? DEFAULT_NATS_URL),
    ...(spec.user !== undefined ? { user: spec.user } : {}),
    ...(spec.password !== undefined ? { password: spec.password } : {}),
    ...(spec.token !== undefined ? { token: spec.token } : {}),
  };
}

/** `nats://a:4222, nats://b:4222` → the servers, in order. */
export function natsServers(url: string): string[] {
  return url
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '');
}

/** A `window` rune with its durations in ms. */
function windowOf(w: WindowSpec): RunesetWindow {
  const out: Record<string, unknown> = { kind: w.kind };
  for (const k of ['size', 'slide', 'gap', 'lateness', 'idle'] as const) if (w[k] !== undefined) out[k] = durationMs(w[k]);
  if (w.time !== undefined) out['time'] = w.time;
  if (w.key !== undefined) out['key'] = w.key;
  return out as unknown as RunesetWindow;
}

function bytes(size: number | string): number {
  const n = parseSize(size);
  // Unreachable after validation; a loud failure beats a wrong limit.
  if (n === undefined) throw new Error(`runeset: not a size after validation: ${String(size)}`);
  return n;
}

function required(value: string | undefined, where: string): string {
  if (value === undefined) throw new Error(`runeset: ${where} missing after validation`);
  return value;
}

/** `90` (seconds), `90s`, `15m`, `12h`, `7d`, `250ms` → milliseconds (a value the schema validated). */
export function durationMs(v: number | string): number {
  return typeof v === 'number' ? v * 1000 : (parseDuration(v) ?? Number.MAX_SAFE_INTEGER);
}

/** A runeset's name: its file name without `.runeset.yaml`, `.yaml` or `.yml` (for its default data directory). */
export function runesetName(file: string): string {
  return path.basename(file).replace(/(\.runeset)?\.ya?ml$/i, '') || 'runeset';
}
