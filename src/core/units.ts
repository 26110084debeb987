/** Units in runes and flags: byte sizes like `64MiB`. */

const UNITS: Record<string, number> = {
  b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, k: 1024, m: 1024 ** 2, g: 1024 ** 3,
};

/** Parses `65536`, `512KiB`, `64MiB`, `1GiB` (binary) or `10MB` (decimal). Returns undefined if malformed. */
export function parseSize(v: string | number): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? Math.floor(v) : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(v);
  if (!m) return undefined;
  const unit = UNITS[(m[2] || 'b').toLowerCase()];
  return unit === undefined ? undefined : Math.floor(Number(m[1]) * unit);
}
