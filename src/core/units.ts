/**
 * Byte sizes, one grammar for runes and flags: `parseSize` reads them (the CLI's `--memory`, the runeset's
 * `budget.memory` and `max_body`, whose schema pattern is SIZE_PATTERN), `formatBytes` writes them back.
 */

/** Bytes in each unit, by its lower-case name: KiB/MiB/GiB are powers of 1024, KB/MB/GB of 1000. */
const UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/**
 * The size grammar as a JSON Schema `pattern` (ECMA, no flags, so the case is spelled out): a whole
 * number, at most one space, then a unit of any case or none (bytes). schema/runeset.schema.json
 * uses this pattern; test/core/units.test.ts checks the two agree with `parseSize`.
 */
export const SIZE_PATTERN = '^[0-9]+ ?([bB]|[kKmMgG][iI]?[bB])?$';
const SIZE = /^([0-9]+) ?([kmg]i?b|b)?$/i;

/**
 * Bytes in a size: an integer is bytes already; a string is a whole number and a unit of any case
 * (KiB/MiB/GiB are powers of 1024, KB/MB/GB of 1000) or none (bytes), at most one space between.
 * `undefined` when it is neither, or not a safe integer of bytes.
 *
 * @example
 * parseSize('64MiB') // 67108864
 * parseSize('64mb')  // 64000000
 */
export function parseSize(size: unknown): number | undefined {
  if (typeof size === 'number') return Number.isSafeInteger(size) && size >= 0 ? size : undefined;
  if (typeof size !== 'string') return undefined;
  const m = SIZE.exec(size);
  if (!m) return undefined;
  const bytes = Number(m[1]) * UNITS[(m[2] ?? 'b').toLowerCase()]!;
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

const BINARY = [
  [1024 ** 3, 'GiB'],
  [1024 ** 2, 'MiB'],
  [1024, 'KiB'],
] as const;

/**
 * A byte count for people: in the largest binary unit it reaches, whole when it is a whole number of
 * that unit (`8 MiB`, which `parseSize` reads back), else to one decimal (`50.3 KiB`); `512 B` below
 * 1 KiB. Error messages and `sanctum top` both write sizes with it.
 */
export function formatBytes(n: number): string {
  const a = Math.abs(n);
  for (const [unit, name] of BINARY) {
    if (a >= unit) return n % unit === 0 ? `${n / unit} ${name}` : `${(n / unit).toFixed(1)} ${name}`;
  }
  return `${Math.round(n)} B`;
}

/** Milliseconds in each duration unit. */
const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^([0-9]+)(ms|s|m|h|d)?$/;

/**
 * Milliseconds in a duration, one grammar for runes and flags (the runeset's `tick`, `max_age`,
 * `poll_interval`; the CLI's `--tick`): a number is seconds; a string is a whole number and a unit
 * (`250ms`, `90s`, `15m`, `12h`, `7d`) or none (seconds). `undefined` when it is neither.
 *
 * @example
 * parseDuration('250ms') // 250
 * parseDuration('90')    // 90000
 */
export function parseDuration(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v * 1000 : undefined;
  if (typeof v !== 'string') return undefined;
  const m = DURATION.exec(v);
  if (!m) return undefined;
  const ms = Number(m[1]) * DURATION_UNITS[m[2] ?? 's']!;
  return Number.isSafeInteger(ms) ? ms : undefined;
}
