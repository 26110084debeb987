/** Finds the ports a Lua spell emits to, from literal `emit(event, "port")` calls in its source. */
import { DEFAULT_PORT } from '../core/event.js';

/** What a spell's source says about its ports. */
export interface EmittedPorts {
  /** Each port named by a literal string in an `emit` call (`out` included), with the lines that name it. */
  readonly literal: ReadonlyMap<string, readonly number[]>;
  /** Lines of `emit` calls whose port is computed (`emit(e, port)`): ports a scan cannot know. */
  readonly computed: readonly number[];
}

interface Token {
  readonly kind: 'name' | 'string' | 'number' | 'punct';
  /** The text; for strings, the decoded value. */
  readonly value: string;
  readonly line: number;
}

/**
 * Scans Lua source for `emit(<event>, "port")` and `emit(<event>, 'port')` calls. It is a
 * tokenizer, not a parser: comments and strings are skipped properly and the first argument may
 * hold any nesting of brackets, but a spell that renames `emit` (`local send = emit`) is not seen.
 *
 * @example
 * scanEmits('emit(f(x, y), "alerts")').literal.get('alerts') // [1]
 */
export function scanEmits(source: string): EmittedPorts {
  return scanEmitsIn(tokenize(source));
}

function scanEmitsIn(tokens: readonly Token[]): EmittedPorts {
  const literal = new Map<string, number[]>();
  const computed: number[] = [];
  const note = (port: string, line: number) => {
    const lines = literal.get(port) ?? [];
    if (!lines.includes(line)) lines.push(line);
    literal.set(port, lines);
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'name' || t.value !== 'emit') continue;
    const prev = tokens[i - 1];
    // `obj:emit(...)` passes obj first; `function emit(` defines it: neither is the emit we mean.
    if (prev && ((prev.kind === 'punct' && prev.value === ':') || (prev.kind === 'name' && prev.value === 'function'))) continue;
    const open = tokens[i + 1];
    if (!open) continue;
    if (open.kind === 'string' || (open.kind === 'punct' && open.value === '{')) {
      note(DEFAULT_PORT, t.line); // emit "x" / emit { ... }: one argument, the default port.
      continue;
    }
    if (open.kind !== 'punct' || open.value !== '(') continue;
    const args = splitArguments(tokens, i + 2);
    if (args.length < 2) {
      note(DEFAULT_PORT, t.line);
      continue;
    }
    const port = args[1]!;
    if (port.length === 1 && port[0]!.kind === 'string') note(port[0]!.value, t.line);
    else if (port.length === 1 && port[0]!.kind === 'name' && port[0]!.value === 'nil') note(DEFAULT_PORT, t.line);
    else computed.push(t.line);
  }
  return { literal, computed };
}

/** What the checks learn from one Lua file: its emits, whether it writes state, what it requires. */
export interface SpellScan {
  readonly emits: EmittedPorts;
  /** It calls `state.put` or `state.delete` (outside comments and strings). */
  readonly writesState: boolean;
  /** Modules it requires by a literal name. */
  readonly requires: readonly string[];
  /** It calls `timers.set` itself (outside comments and strings). */
  readonly setsTimers: boolean;
}

/**
 * Scans a spell or module with the tokenizer (comments and strings skipped): its emits, its state
 * writes, its literal `require`s. Used for warnings only: what the runtime does never depends on it.
 *
 * @example
 * scanSpell('local m = require "store" -- state.put(x) in a comment is not a write').writesState // false
 */
export function scanSpell(source: string): SpellScan {
  const tokens = tokenize(source);
  let writesState = false;
  let setsTimers = false;
  const requires: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'name') continue;
    const prev = tokens[i - 1];
    const member = prev !== undefined && prev.kind === 'punct' && (prev.value === '.' || prev.value === ':');
    if (member) continue;
    if (t.value === 'state') {
      const dot = tokens[i + 1];
      const fn = tokens[i + 2];
      if (dot?.kind === 'punct' && dot.value === '.' && fn?.kind === 'name' && (fn.value === 'put' || fn.value === 'delete')) writesState = true;
    } else if (t.value === 'timers') {
      const dot = tokens[i + 1];
      const fn = tokens[i + 2];
      if (dot?.kind === 'punct' && dot.value === '.' && fn?.kind === 'name' && fn.value === 'set') setsTimers = true;
    } else if (t.value === 'require') {
      let arg = tokens[i + 1];
      if (arg?.kind === 'punct' && arg.value === '(') arg = tokens[i + 2];
      if (arg?.kind === 'string') requires.push(arg.value);
    }
  }
  return { emits: scanEmitsIn(tokens), writesState, requires, setsTimers };
}

/** The arguments of a call whose `(` was just before `start`, each as its tokens (top-level commas split). */
function splitArguments(tokens: readonly Token[], start: number): Token[][] {
  const args: Token[][] = [];
  let current: Token[] = [];
  let depth = 0;
  for (let j = start; j < tokens.length; j++) {
    const t = tokens[j]!;
    if (t.kind === 'punct') {
      if (t.value === '(' || t.value === '{' || t.value === '[') depth++;
      else if (t.value === ')' || t.value === '}' || t.value === ']') {
        if (depth === 0) break;
        depth--;
      } else if (t.value === ',' && depth === 0) {
        args.push(current);
        current = [];
        continue;
      }
    }
    current.push(t);
  }
  if (current.length || args.length) args.push(current);
  return args;
}

/** Splits Lua source into names, strings, numbers and punctuation, dropping comments and blanks. */
function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  const n = src.length;
  const countLines = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (src.charCodeAt(k) === 10) line++;
  };
  /** The end of a long bracket `[==[ … ]==]` starting at `at`, or -1 when `at` does not open one. */
  const longBracket = (at: number): { end: number; contentStart: number; contentEnd: number } | undefined => {
    const m = /^\[(=*)\[/.exec(src.slice(at, at + 64));
    if (!m) return undefined;
    const close = `]${m[1]}]`;
    const contentStart = at + m[0].length;
    const idx = src.indexOf(close, contentStart);
    const contentEnd = idx < 0 ? n : idx;
    return { end: idx < 0 ? n : idx + close.length, contentStart, contentEnd };
  };
  while (i < n) {
    const c = src[i]!;
    if (c === '\n') {
      line++;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      i++;
    } else if (c === '-' && src[i + 1] === '-') {
      const long = src[i + 2] === '[' ? longBracket(i + 2) : undefined;
      const end = long
        ? long.end
        : (() => {
            const nl = src.indexOf('\n', i);
            return nl < 0 ? n : nl;
          })();
      countLines(i, end);
      i = end;
    } else if (c === '[' && (src[i + 1] === '[' || src[i + 1] === '=') && longBracket(i)) {
      const long = longBracket(i)!;
      const startLine = line;
      // A newline right after the opening bracket is not part of the string.
      let from = long.contentStart;
      if (src[from] === '\r') from++;
      if (src[from] === '\n') from++;
      out.push({ kind: 'string', value: src.slice(from, long.contentEnd), line: startLine });
      countLines(i, long.end);
      i = long.end;
    } else if (c === '"' || c === "'") {
      const startLine = line;
      let value = '';
      let j = i + 1;
      while (j < n && src[j] !== c && src[j] !== '\n') {
        if (src[j] === '\\' && j + 1 < n) {
          const e = src[j + 1]!;
          const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", a: '\x07', b: '\b', f: '\f', v: '\v' };
          if (e in simple) value += simple[e];
          else if (e === '\n') {
            value += '\n';
            line++;
          } else value += `\\${e}`; // \x, \u{}, \z, \ddd: kept raw; ports are plain words anyway.
          j += 2;
        } else {
          value += src[j];
          j++;
        }
      }
      out.push({ kind: 'string', value, line: startLine });
      // An unfinished string ends at the newline, which is left to be counted.
      i = src[j] === c ? j + 1 : j;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_]/.test(src[j]!)) j++;
      out.push({ kind: 'name', value: src.slice(i, j), line });
      i = j;
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      let j = i + 1;
      while (j < n && (/[0-9A-Za-z_.]/.test(src[j]!) || (/[eEpP]/.test(src[j - 1]!) && /[-+]/.test(src[j]!)))) j++;
      out.push({ kind: 'number', value: src.slice(i, j), line });
      i = j;
    } else {
      out.push({ kind: 'punct', value: c, line });
      i++;
    }
  }
  return out;
}
