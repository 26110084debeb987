/** Limits on the shape of events, shared by every path that reads, converts or stores them. */

/**
 * The deepest an event may nest arrays and objects: `[[1]]` nests 2 levels, `1` none. Every input
 * refuses deeper events (NDJSON lines: `INPUT_TOO_DEEP`; TypeScript callers: `SPELL_BAD_INPUT`), and
 * so does the Lua bridge both ways, so code that walks an event (JSON.stringify, the bridge, a
 * formatter) recurses at most this deep plus the few levels of a record wrapped around an event
 * (a dead letter holds its event one level down).
 */
export const MAX_DEPTH = 200;

/**
 * The deepest a value given to storage may nest: an event or state value (at most `MAX_DEPTH`)
 * with room for the records Sanctum wraps around one, such as dead letters of dead letters, and
 * still far below the depth at which JSON.stringify would run out of stack.
 */
export const MAX_STORED_DEPTH = 2 * MAX_DEPTH;

/**
 * Whether JSON text nests arrays and objects deeper than `limit`, without parsing it and without
 * recursion. Text too short to nest that deep, or with no more than `limit` brackets at all, is
 * answered by a native search for `[` and `{`; only text with many brackets is scanned character by
 * character (brackets inside strings do not count there). Made for valid JSON; for other text the
 * answer says whether its brackets, outside strings, open deeper than `limit`.
 *
 * @example
 * nestsDeeperThan('[[1]]', 1) // true
 * nestsDeeperThan('{"a":"[[["}', 1) // false
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  // Valid JSON nesting deeper than `limit` has more than `limit` openers and as many closers.
  if (text.length < 2 * (limit + 1)) return false;
  let openers = 0;
  for (let i = text.indexOf('['); i !== -1 && openers <= limit; i = text.indexOf('[', i + 1)) openers++;
  for (let i = text.indexOf('{'); i !== -1 && openers <= limit; i = text.indexOf('{', i + 1)) openers++;
  if (openers <= limit) return false;
  return scanDepth(text, limit);
}

/** The exact test: brackets outside strings, one character at a time. */
function scanDepth(text: string, limit: number): boolean {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > limit) return true;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    } else if (c === 0x22 /* " */) {
      // Jump to the closing quote: one not preceded by an odd number of backslashes.
      let j = text.indexOf('"', i + 1);
      for (;;) {
        if (j === -1) return false; // an unclosed string: nothing after it counts
        let backslashes = 0;
        while (text.charCodeAt(j - 1 - backslashes) === 0x5c /* \ */) backslashes++;
        if ((backslashes & 1) === 0) break;
        j = text.indexOf('"', j + 1);
      }
      i = j;
    }
  }
  return false;
}
