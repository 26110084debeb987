/** Byte sizes as runesets write them: `65536`, `512KiB`, `64MiB`, `1GB`. */

const UNITS: Readonly<Record<string, number>> = {
  B: 1,
  KB: 1000,
  MB: 1000 ** 2,
  GB: 1000 ** 3,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
};

/**
 * Bytes in a size: an integer is bytes already; a string is a whole number and a unit
 * (KiB/MiB/GiB are powers of 1024, KB/MB/GB of 1000). `undefined` when it is neither.
 *
 * @example
 * parseSize('64MiB') // 67108864
 */
export function parseSize(size: unknown): number | undefined {
  if (typeof size === 'number') return Number.isSafeInteger(size) && size >= 0 ? size : undefined;
  if (typeof size !== 'string') return undefined;
  const m = /^([0-9]+) ?(B|KB|MB|GB|KiB|MiB|GiB)$/.exec(size);
  if (!m) return undefined;
  const bytes = Number(m[1]) * UNITS[m[2]!]!;
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}
