/** From a valid runeset document to the normalized `Runeset`: defaults filled, shapes made uniform, paths resolved. */
import path from 'node:path';
import type { EventValue } from '../core/event.js';
import type { Runeset, RunesetPath, RunesetPipeline, RunesetSink, RunesetSource, RunesetSpell, RunesetStep, RunesetStream } from './runeset.js';
import { DEAD_LETTERS_STREAM, RUNESET_DEFAULTS } from './schema.js';
import { parseSize } from './size.js';
import type { RunesetDocument, StreamRefs } from './types.js';

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
    streams[name] = spec?.description === undefined ? { name, implicit: false } : { name, description: spec.description, implicit: false };
  }
  if (!(DEAD_LETTERS_STREAM in streams)) streams[DEAD_LETTERS_STREAM] = { name: DEAD_LETTERS_STREAM, implicit: true };

  const spells: Record<string, RunesetSpell> = {};
  for (const [name, spec] of Object.entries(doc.spells ?? {})) {
    spells[name] = {
      name,
      file: resolvePath(spec.file),
      runes: (spec.runes ?? {}) as Record<string, EventValue>,
      on_error: spec.on_error ?? RUNESET_DEFAULTS.on_error,
      budget: {
        instructions: spec.budget?.instructions ?? RUNESET_DEFAULTS.instructions,
        memory: bytes(spec.budget?.memory ?? RUNESET_DEFAULTS.memory),
      },
    };
  }

  const sources: Record<string, RunesetSource> = {};
  for (const [name, spec] of Object.entries(doc.sources ?? {})) {
    sources[name] =
      spec.type === 'file' ? { name, type: 'file', path: resolvePath(required(spec.path, `sources.${name}.path`)), to: spec.to } : { name, type: spec.type, to: spec.to };
  }

  const sinks: Record<string, RunesetSink> = {};
  for (const [name, spec] of Object.entries(doc.sinks ?? {})) {
    const from = list(spec.from);
    sinks[name] = spec.type === 'file' ? { name, type: 'file', path: resolvePath(required(spec.path, `sinks.${name}.path`)), from } : { name, type: spec.type, from };
  }

  const pipelines: Record<string, RunesetPipeline> = {};
  for (const [name, spec] of Object.entries(doc.pipelines ?? {})) {
    const steps: RunesetStep[] = spec.steps.map((step) => (typeof step === 'string' ? { spell: step, ports: {} } : { spell: step.spell, ports: { ...(step.ports ?? {}) } }));
    const base = { name, from: list(spec.from), steps, dead_letters: spec.dead_letters ?? RUNESET_DEFAULTS.dead_letters };
    pipelines[name] = spec.to === undefined ? base : { ...base, to: spec.to };
  }

  return {
    version: 1,
    file,
    dir,
    sanctum: {
      log_level: doc.sanctum?.log_level ?? RUNESET_DEFAULTS.log_level,
      data_dir: resolvePath(doc.sanctum?.data_dir ?? RUNESET_DEFAULTS.data_dir),
    },
    streams,
    spells,
    sources,
    sinks,
    pipelines,
  };
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
