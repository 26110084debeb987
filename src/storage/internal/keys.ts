/** Key order: the byte order of UTF-8, which is code point order (not JavaScript's UTF-16 `<`). */

/** Compares two strings by code point, as SQLite's BINARY collation compares their UTF-8 bytes. */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (U+D800–DFFF, astral code points) sort after U+E000–FFFF in code point order.
    if (x >= 0xd800) x = x < 0xe000 ? x + 0x2000 : x - 0x800;
    if (y >= 0xd800) y = y < 0xe000 ? y + 0x2000 : y - 0x800;
    return x - y;
  }
  return a.length - b.length;
}

/**
 * The smallest string greater than every string that starts with `prefix`: the prefix with its
 * last code point raised by one. Undefined when there is none (the prefix is all U+10FFFF).
 */
export function prefixEnd(prefix: string): string | undefined {
  const cps = Array.from(prefix);
  while (cps.length > 0) {
    const cp = cps.pop()!.codePointAt(0)!;
    if (cp < 0x10ffff) {
      const next = cp + 1 === 0xd800 ? 0xe000 : cp + 1; // skip the surrogate range: not characters
      return cps.join('') + String.fromCodePoint(next);
    }
  }
  return undefined;
}

/** The key interval `[lower, upper)` of a range's `from`, `to` and `prefix`; undefined = unbounded. */
export function keyInterval(options: { from?: string; to?: string; prefix?: string }): { lower?: string; upper?: string } {
  let lower = options.from;
  let upper = options.to;
  if (options.prefix !== undefined && options.prefix !== '') {
    if (lower === undefined || compareKeys(options.prefix, lower) > 0) lower = options.prefix;
    const end = prefixEnd(options.prefix);
    if (end !== undefined && (upper === undefined || compareKeys(end, upper) < 0)) upper = end;
  }
  return { lower, upper };
}
