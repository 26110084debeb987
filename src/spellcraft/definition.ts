/**
 * A spell's definition from its file: its source, the modules it requires, its limits, compiled once
 * to check it — what a caster needs. No RxJS: `sanctum cast` runs a caster from this alone.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { EventValue } from '../core/event.js';
import { SpellCaster, type CasterOptions, type SpellDefinition, type SpellLogEntry, type SpellLogger, type SpellModule } from './caster.js';
import { SpellError } from './errors.js';
import { LuaVM } from './lua-vm.js';

/** Default instructions one call of a hook may run (about 50 ms of Lua here). */
export const DEFAULT_INSTRUCTION_BUDGET = 10_000_000;
/**
 * Default number of events one call of a hook may emit: a cast's outputs are held until it
 * succeeds (all or nothing), so their number is bounded. Raise it (budget.emits) for a `finish`
 * that emits a row per key of a large state.
 */
export const DEFAULT_EMIT_LIMIT = 100_000;
/** Default cap on one spell's Lua heap. */
export const DEFAULT_MEMORY_LIMIT = 64 * 1024 * 1024;

/** What a spell's definition is made from (the part of SummonOptions a caster needs). */
export interface SpellDefinitionOptions {
  /** The spell's name in messages, dead letters and metrics. Default: the file name without `.lua`. */
  readonly name?: string;
  /** The spell's runes (configuration), handed to `init(runes)`. */
  readonly runes?: Readonly<Record<string, EventValue>>;
  /** Lua instructions one call of `init`, `cast` or `finish` may run. Default 10,000,000. */
  readonly instructionBudget?: number;
  /** Events one call of `init`, `cast` or `finish` may emit (SPELL_EMIT_LIMIT beyond). Default 100,000. */
  readonly emitLimit?: number;
  /** Bytes of Lua heap the spell may use. Default 64 MiB. */
  readonly memoryLimit?: number;
  /** Where `print` and `log.*` go. Default: one line each on stderr. */
  readonly logger?: SpellLogger;
  /** How the file is named in messages. Default: the path as given, relative to the working directory. */
  readonly displayPath?: string;
}

/** A spell file read: its source and the modules next to it that it requires. */
export interface SpellSource {
  readonly source: string;
  readonly modules: readonly SpellModule[];
  readonly name: string;
  readonly displayPath: string;
}

/** Reads a spell file and the modules it requires. Rejects with SPELL_NOT_FOUND when it cannot be read. */
export async function readSpell(file: string, options: Pick<SpellDefinitionOptions, 'name' | 'displayPath'> = {}): Promise<SpellSource> {
  const display = options.displayPath ?? displayPathOf(file);
  const name = options.name ?? path.basename(file).replace(/\.lua$/, '');
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new SpellError({
      code: 'SPELL_NOT_FOUND',
      spell: name,
      file: display,
      luaMessage: err.code === 'ENOENT' ? 'no such spell file' : `cannot read the spell file: ${err.message}`,
      hook: 'summon',
    });
  }
  const modules = await collectModules(path.resolve(file), display, source);
  return { source, modules, name, displayPath: display };
}

/**
 * The definition of a spell from its source (with the bundled modules it requires), compiled once
 * with `check` (a caster's options) so that a broken spell fails here and not at the first event.
 * Rejects with a SpellError (`SPELL_SYNTAX`, `SPELL_INVALID`, `SPELL_RUNTIME`).
 */
export async function defineSpell(
  source: string,
  options: SpellDefinitionOptions,
  modules: readonly SpellModule[],
  check: CasterOptions | ((name: string) => CasterOptions),
): Promise<{ vm: LuaVM; def: SpellDefinition }>;
/** With `keep`, the caster compiled to check the spell is kept open and returned, for one that runs a single caster. */
export async function defineSpell(
  source: string,
  options: SpellDefinitionOptions,
  modules: readonly SpellModule[],
  check: CasterOptions | ((name: string) => CasterOptions),
  keep: true,
): Promise<{ vm: LuaVM; def: SpellDefinition; caster: SpellCaster }>;
export async function defineSpell(
  source: string,
  options: SpellDefinitionOptions,
  modules: readonly SpellModule[],
  check: CasterOptions | ((name: string) => CasterOptions),
  keep = false,
): Promise<{ vm: LuaVM; def: SpellDefinition; caster?: SpellCaster }> {
  modules = await withBundledModules(source, modules);
  const vm = await LuaVM.shared();
  const file = options.displayPath ?? `${options.name ?? 'inline'}.lua`;
  const def: SpellDefinition = {
    name: options.name ?? path.basename(file).replace(/\.lua$/, ''),
    file,
    source,
    modules,
    runes: options.runes ?? {},
    instructionBudget: options.instructionBudget ?? DEFAULT_INSTRUCTION_BUDGET,
    emitLimit: options.emitLimit ?? DEFAULT_EMIT_LIMIT,
    memoryLimit: options.memoryLimit ?? DEFAULT_MEMORY_LIMIT,
    logger: options.logger ?? stderrLogger,
  };
  validateLimits(def);
  const caster = new SpellCaster(vm, def, typeof check === 'function' ? check(def.name) : check);
  if (keep) return { vm, def, caster };
  caster.close();
  return { vm, def };
}

function validateLimits(def: SpellDefinition): void {
  const bad = (what: string, v: number) =>
    new SpellError({ code: 'SPELL_INVALID', spell: def.name, file: def.file, luaMessage: `${what} must be a positive number, got ${v}`, hook: 'summon' });
  if (!(def.instructionBudget >= 1)) throw bad('instructionBudget', def.instructionBudget);
  if (!(def.emitLimit >= 1)) throw bad('emitLimit', def.emitLimit);
  if (!(def.memoryLimit >= 64 * 1024)) throw bad('memoryLimit (at least 65536 bytes)', def.memoryLimit);
}

/** The default spell logger: `[spell] file:line: message {fields}` on stderr. */
export const stderrLogger: SpellLogger = (entry: SpellLogEntry) => {
  const where = entry.file ? `${entry.file}${entry.line ? `:${entry.line}` : ''}: ` : '';
  const fields = entry.fields !== undefined ? ` ${JSON.stringify(entry.fields)}` : '';
  process.stderr.write(`[${entry.spell}] ${entry.level} ${where}${entry.message}${fields}\n`);
};

function displayPathOf(file: string): string {
  const abs = path.resolve(file);
  const rel = path.relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : abs;
}

const REQUIRE_RE = /\brequire\s*\(?\s*["']([A-Za-z0-9_.\-/]+)["']/g;

/** Where the Lua modules bundled with Sanctum live: `require "sanctum.window"` is `lib/sanctum/window.lua`. */
const BUNDLED = new URL('./lib/', import.meta.url);

/** The modules bundled with Sanctum (`sanctum.*`) that the spell or its modules require, added to `modules`. */
async function withBundledModules(source: string, modules: readonly SpellModule[]): Promise<readonly SpellModule[]> {
  const found = new Map(modules.map((m) => [m.name, m] as const));
  const queue = [source, ...modules.map((m) => m.source)];
  let added = false;
  while (queue.length) {
    for (const m of queue.pop()!.matchAll(REQUIRE_RE)) {
      const name = m[1]!;
      if (found.has(name) || !name.startsWith('sanctum.')) continue;
      const file = `${name.replace(/\./g, '/')}.lua`;
      let modSource: string;
      try {
        modSource = await readFile(new URL(file, BUNDLED), 'utf8');
      } catch {
        continue; // no such bundled module: `require` says so when the spell calls it
      }
      found.set(name, { name, file, source: modSource });
      queue.push(modSource);
      added = true;
    }
  }
  return added ? [...found.values()] : modules;
}

/** Finds the modules a spell requires (literal names), next to it, transitively. */
async function collectModules(absFile: string, display: string, source: string): Promise<SpellModule[]> {
  const dir = path.dirname(absFile);
  const displayDir = path.posix.dirname(display);
  const found = new Map<string, SpellModule>();
  const queue = [source];
  while (queue.length) {
    const src = queue.pop()!;
    for (const m of src.matchAll(REQUIRE_RE)) {
      const name = m[1]!;
      if (found.has(name) || name === 'sanctum' || name.startsWith('sanctum.')) continue; // sanctum.* are bundled
      const rel = `${name.replace(/\./g, '/')}.lua`;
      try {
        const modSource = await readFile(path.join(dir, rel), 'utf8');
        const mod = { name, file: displayDir === '.' ? rel : `${displayDir}/${rel}`, source: modSource };
        found.set(name, mod);
        queue.push(modSource);
      } catch {
        // Not there: `require` reports it when (and if) the spell calls it.
      }
    }
  }
  return [...found.values()];
}
