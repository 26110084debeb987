/** Option parsers shared by the commands: runes, sizes, policies. */
import { InvalidArgumentError } from 'commander';
import type { EventValue } from '../core/event.js';
import { parseDuration, parseSize } from '../core/units.js';
import { ERROR_POLICIES, type ErrorPolicy } from '../spellcraft/errors.js';

/** `--rune key=value`: the value is JSON when it parses as JSON, else a string; `a.b=1` nests. */
export function collectRune(arg: string, runes: Record<string, EventValue> = {}): Record<string, EventValue> {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`expected key=value, got '${arg}'`);
  const key = arg.slice(0, eq);
  const raw = arg.slice(eq + 1);
  let value: EventValue;
  try {
    value = JSON.parse(raw) as EventValue;
  } catch {
    value = raw;
  }
  const path = key.split('.');
  let target = runes as Record<string, EventValue>;
  for (const p of path.slice(0, -1)) {
    const next = target[p];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) target[p] = {};
    target = target[p] as Record<string, EventValue>;
  }
  target[path[path.length - 1]!] = value;
  return runes;
}

export function parseSizeOption(arg: string): number {
  const n = parseSize(arg);
  if (n === undefined) throw new InvalidArgumentError(`expected a size like 65536, 512KiB, 64MiB or 64MB, got '${arg}'`);
  return n;
}

export function parseCount(arg: string): number {
  const n = Number(arg.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a whole number of at least 1, got '${arg}'`);
  return n;
}

export function parsePolicy(arg: string): ErrorPolicy {
  if (!(ERROR_POLICIES as readonly string[]).includes(arg)) throw new InvalidArgumentError(`expected one of ${ERROR_POLICIES.join(', ')}`);
  return arg as ErrorPolicy;
}

/** `--tick 250ms`: a duration in the runeset's grammar (src/core/units.ts), in ms. */
export function parseDurationOption(arg: string): number {
  const ms = parseDuration(arg);
  if (ms === undefined || ms < 1) throw new InvalidArgumentError(`expected a duration like 250ms, 30s or 5m (a bare number is seconds), got '${arg}'`);
  return ms;
}
