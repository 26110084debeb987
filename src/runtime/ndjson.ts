/** NDJSON in and out: the one decoder every input path uses, files and stdin read in batches, buffered writing. */
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import type { EventValue } from '../core/event.js';
import { MAX_DEPTH, nestsDeeperThan } from '../core/limits.js';
import { readLines, type LineBatch } from './lines.js';

/** Why an input line is not an event: the codes every input path (cast, append, sources) gives. */
export type InputErrorCode =
  | 'INPUT_INVALID_JSON'
  | 'INPUT_TOO_DEEP'
  | 'INPUT_NOT_FINITE'
  | 'INPUT_INEXACT_INTEGER'
  | 'INPUT_BAD_UNICODE'
  | 'INPUT_LINE_TOO_LONG';

/** What `parseLine` gives: the event, or why the line is refused. */
export type ParsedLine = { readonly value: EventValue } | { readonly error: string; readonly code: InputErrorCode };

/** A line that could not become an event: what a dead letter of the input says. */
export interface InputProblem {
  readonly code: InputErrorCode;
  readonly source: string;
  readonly line: number;
  readonly message: string;
  readonly text: string;
}

/** A refused line, as the decoder returns it internally: a class, so no JSON value can be mistaken for one. */
class Refusal {
  constructor(
    readonly code: InputErrorCode,
    readonly error: string,
  ) {}
}

const TWO_53 = 2 ** 53;
// A positive exponent of 3 digits or more: beyond 1e308 a number is Infinity. (Negative ones only
// round towards 0, as decimals round.)
const BIG_EXPONENT = /[eE]\+?\d{3}/;
// A `\uD800`-`\uDFFF` escape: the only way a lone surrogate gets into a string parsed from UTF-8.
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/**
 * Whether the text has a run of 16 or more digits (an integer that may be beyond 2^53, or a long
 * mantissa). It looks at every 8th character only: a run of 16 covers at least one of them. On
 * lines full of shorter numbers (13-digit timestamps), about 150 ns against 750 for /\d{16}/.
 */
function hasLongDigitRun(text: string): boolean {
  const n = text.length;
  for (let i = 15; i < n; ) {
    if ((text.charCodeAt(i) - 0x30) >>> 0 < 10) {
      let a = i;
      let b = i;
      while (a > 0 && (text.charCodeAt(a - 1) - 0x30) >>> 0 < 10) a--;
      while (b + 1 < n && (text.charCodeAt(b + 1) - 0x30) >>> 0 < 10) b++;
      if (b - a + 1 >= 16) return true;
      while (i <= b) i += 8; // the next sampled character after this run
    } else {
      i += 8;
    }
  }
  return false;
}

/**
 * Parses one NDJSON line into an event, or says why it is refused. Every input path decodes
 * with it, so all refuse the same lines with the same codes (docunomicon/event-model.md#input):
 *
 * - `INPUT_INVALID_JSON`: not JSON.
 * - `INPUT_TOO_DEEP`: arrays and objects nested deeper than `MAX_DEPTH` (200).
 * - `INPUT_NOT_FINITE`: a number too big for a double (`1e400`), which JSON.parse makes Infinity.
 * - `INPUT_INEXACT_INTEGER`: an integer beyond ±2^53 that a double does not hold as written
 *   (`9007199254740993`, `2^63`); JSON.stringify would write it differently.
 * - `INPUT_BAD_UNICODE`: a string or key with a lone UTF-16 surrogate (`"\ud800"`).
 *
 * The common line costs one JSON.parse and a few native searches (and a look at every 8th
 * character for digits); the exact scans run only on lines that have many brackets, long digit
 * runs, big exponents or surrogate escapes. Nothing recurses on the data.
 *
 * @example
 * parseLine('{"id":1}')       // { value: { id: 1 } }
 * parseLine('{"x":1e400}')    // { error: 'the number 1e400 …', code: 'INPUT_NOT_FINITE' }
 */
export function parseLine(text: string): ParsedLine {
  const r = decodeLine(text, false);
  return r instanceof Refusal ? r : { value: r };
}

/**
 * parseLine without the wrapper: the event itself, or a Refusal. `decoded` says the text was
 * decoded from UTF-8 (by readLines), which cannot make a lone surrogate: the check for raw ones
 * is skipped. `numbers` false says the text has no long digit run and no big exponent (its batch
 * was searched as a whole), `escapes` false that it has no `\u` escape: those checks are skipped.
 */
function decodeLine(text: string, decoded: boolean, numbers = true, escapes = true): EventValue | Refusal {
  if (nestsDeeperThan(text, MAX_DEPTH)) {
    return new Refusal('INPUT_TOO_DEEP', `nested deeper than ${MAX_DEPTH} levels (arrays and objects); events may nest at most ${MAX_DEPTH}`);
  }
  let value: EventValue;
  try {
    value = JSON.parse(text) as EventValue;
  } catch (e) {
    return new Refusal('INPUT_INVALID_JSON', `invalid JSON: ${(e as Error).message}`);
  }
  // The text may hold a number JSON.parse changed; only a value of 2^53 or more can be one, and
  // a walk of the value is cheaper than reading the text's numbers.
  if (numbers && (hasLongDigitRun(text) || BIG_EXPONENT.test(text)) && hasBigNumber(value)) {
    const bad = findBadNumber(text);
    if (bad !== undefined) return bad;
  }
  if ((!decoded && !text.isWellFormed()) || (escapes && text.includes('\\u') && SURROGATE_ESCAPE.test(text) && hasLoneSurrogate(value))) {
    return new Refusal(
      'INPUT_BAD_UNICODE',
      'a string holds a lone UTF-16 surrogate (such as "\\ud800"), which is not Unicode text; send the data as valid UTF-8, or the bytes as base64',
    );
  }
  return value;
}

/**
 * The first number literal (outside strings) that JSON.parse does not keep: one that overflows to
 * Infinity, or an integer beyond ±2^53 whose double JSON.stringify writes with other digits.
 * Comparing digits, not BigInt(Number(x)), also refuses powers of two such as 2^63, which a double
 * holds but writes as 9223372036854776000.
 */
function findBadNumber(text: string): Refusal | undefined {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      i = closingQuote(text, i);
      if (i === -1) return undefined;
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      let j = i + 1;
      let integer = true;
      let exponent = false;
      for (; j < n; j++) {
        const d = text.charCodeAt(j);
        if (d >= 0x30 && d <= 0x39) continue;
        if (d === 0x65 /* e */ || d === 0x45 /* E */) exponent = true;
        if (d === 0x2e /* . */ || d === 0x65 || d === 0x45 || d === 0x2b /* + */ || d === 0x2d /* - */) integer = false;
        else break;
      }
      // Shorter literals without an exponent are exact integers or plain decimals.
      if (j - i < 16 && !exponent) {
        i = j - 1;
        continue;
      }
      const literal = text.slice(i, j);
      const x = Number(literal);
      if (!Number.isFinite(x)) {
        return new Refusal(
          'INPUT_NOT_FINITE',
          `the number ${abbreviate(literal)} is beyond the range of a double (about ±1.8e308): JSON.parse would make it Infinity, which is not a JSON number; send it as a string`,
        );
      }
      if (integer && !Number.isSafeInteger(x) && String(x) !== literal) {
        return new Refusal(
          'INPUT_INEXACT_INTEGER',
          `the number ${abbreviate(literal)} cannot be represented exactly (integers are exact up to ±2^53); send it as a string`,
        );
      }
      i = j - 1;
    }
  }
  return undefined;
}

/** The index of the quote that closes the string opening at `open`, or -1. */
function closingQuote(text: string, open: number): number {
  let j = text.indexOf('"', open + 1);
  while (j !== -1) {
    let backslashes = 0;
    while (text.charCodeAt(j - 1 - backslashes) === 0x5c /* \ */) backslashes++;
    if ((backslashes & 1) === 0) return j;
    j = text.indexOf('"', j + 1);
  }
  return -1;
}

function abbreviate(literal: string): string {
  return literal.length > 40 ? `${literal.slice(0, 20)}…${literal.slice(-10)} (${literal.length} characters)` : literal;
}

/**
 * Whether a parsed value holds a number of magnitude 2^53 or more (or Infinity): the only ones an
 * integer literal JSON.parse rounded, or a literal beyond a double's range, can have become.
 * Iterative, for any depth.
 */
function hasBigNumber(value: EventValue): boolean {
  if (typeof value === 'number') return !(value > -TWO_53 && value < TWO_53);
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i];
        if (typeof x === 'number') {
          if (!(x > -TWO_53 && x < TWO_53)) return true;
        } else if (typeof x === 'object' && x !== null) stack.push(x);
      }
    } else if (typeof v === 'object' && v !== null) {
      for (const k in v) {
        const x: unknown = (v as Record<string, unknown>)[k];
        if (typeof x === 'number') {
          if (!(x > -TWO_53 && x < TWO_53)) return true;
        } else if (typeof x === 'object' && x !== null) stack.push(x);
      }
    }
  }
  return false;
}

/** Whether any string or key in a parsed value has a lone surrogate; iterative, for any depth. */
function hasLoneSurrogate(value: EventValue): boolean {
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (!v.isWellFormed()) return true;
    } else if (Array.isArray(v)) {
      for (const item of v) stack.push(item);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) {
        if (!k.isWellFormed()) return true;
        stack.push(item);
      }
    }
  }
  return false;
}

/** Whether a line holds nothing but whitespace: such lines are skipped, not refused. */
export function isBlank(text: string): boolean {
  if (text.length === 0) return true;
  const c = text.charCodeAt(0);
  if (c > 0x20 && c < 0x7f) return false; // `{`, `[`, a digit: the usual first character, at once
  return text.trim() === '';
}

/** The events of one batch of lines, and its refused lines, in the order they came. */
export interface EventBatch {
  /** The events, in line order. */
  readonly events: EventValue[];
  /** The refused lines; `at` is how many of `events` came before each (where it falls among them). */
  readonly problems: readonly (InputProblem & { readonly at: number })[];
  /** Lines read (blank ones excluded): events plus problems. */
  readonly lines: number;
  /** The byte offset after the batch's last line: where reading resumes. */
  readonly end: number;
  /** The number of the batch's last line. */
  readonly lastLine: number;
  /**
   * When asked for (NDJSON into a durable stream): each event's JSON text, the line it was parsed
   * from, which the stream stores as it is rather than encoding the event again (see `jsonText`).
   */
  readonly texts?: readonly (string | undefined)[];
}

/**
 * A line's text as a durable stream stores it: without the whitespace JSON allows around a value
 * (rare, so checked first); undefined — encode the event instead — when a carriage return is in it
 * (JSON allows one between values, but a reader of lines would take it for a line break).
 */
export function jsonText(line: string): string | undefined {
  if (line.includes('\r')) return undefined;
  return line.charCodeAt(0) <= 0x20 || line.charCodeAt(line.length - 1) <= 0x20 ? line.trim() : line;
}

const NO_PROBLEMS: EventBatch['problems'] = Object.freeze([]) as unknown as EventBatch['problems'];

/**
 * Decodes a batch of lines from `readLines` into events and problems (blank lines skipped): what a
 * source hands the stream graph per chunk read. `source` names the input in problems (a file's
 * path as the user wrote it, or `stdin`).
 */
export function decodeLines(batch: LineBatch, source: string, keepTexts = false): EventBatch {
  const { lines, firstLine, refused, texts } = batch;
  // What the lines hold, searched once in the text they came from: most batches have no number
  // that can be inexact or infinite, and no `\u` escape, so no line needs those checks.
  let numbers = true;
  let escapes = true;
  if (texts !== undefined && refused === undefined) {
    numbers = false;
    escapes = false;
    for (let k = 0; k < texts.length; k++) {
      const t = texts[k]!;
      if (!numbers) numbers = hasLongDigitRun(t) || BIG_EXPONENT.test(t);
      if (!escapes) escapes = t.includes('\\u');
    }
  }
  const events: EventValue[] = [];
  const eventTexts: (string | undefined)[] | undefined = keepTexts ? [] : undefined;
  let problems: (InputProblem & { at: number })[] | undefined;
  let read = 0;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!;
    const refusal = refused?.get(i);
    if (refusal === undefined && isBlank(text)) continue;
    read++;
    const r = refusal === undefined ? decodeLine(text, true, numbers, escapes) : new Refusal(refusal.code, refusal.message);
    if (r instanceof Refusal) (problems ??= []).push({ code: r.code, source, line: firstLine + i, message: r.error, text, at: events.length });
    else {
      events.push(r);
      eventTexts?.push(jsonText(text));
    }
  }
  return {
    events,
    ...(eventTexts ? { texts: eventTexts } : {}),
    problems: problems ?? NO_PROBLEMS,
    lines: read,
    end: batch.end,
    lastLine: firstLine + lines.length - 1,
  };
}

/** What `decodeNdjsonText` gives: the events of every line (with their texts, see `EventBatch.texts`), or the first line refused. */
export type DecodedText =
  | { readonly events: EventValue[]; readonly texts?: readonly (string | undefined)[] }
  | { readonly line: number; readonly error: string; readonly code: InputErrorCode };

/**
 * Decodes an NDJSON text held whole (an HTTP body) into the events of its lines, or the first line
 * refused (numbered from 1): lines end with `\n` or `\r\n`, blank lines are skipped, and each is
 * decoded as `parseLine` does, with the same refusals. As in `decodeLines`, what the text holds is
 * searched once, so the common line costs its JSON.parse and little else. `decoded` says the text
 * came from a strict UTF-8 decode, which cannot hold a lone surrogate.
 *
 * @example
 * decodeNdjsonText('{"a":1}\n\n[2]\n', true) // { events: [{ a: 1 }, [2]] }
 * decodeNdjsonText(' {"a":1}\n', true, true) // { events: [{ a: 1 }], texts: ['{"a":1}'] }
 * decodeNdjsonText('{"a":1}\n{', true)         // { line: 2, error: 'invalid JSON: …', code: 'INPUT_INVALID_JSON' }
 */
export function decodeNdjsonText(text: string, decoded: boolean, keepTexts = false): DecodedText {
  const numbers = hasLongDigitRun(text) || BIG_EXPONENT.test(text);
  const escapes = text.includes('\\u');
  const events: EventValue[] = [];
  const texts: (string | undefined)[] | undefined = keepTexts ? [] : undefined;
  const refused = forEachLine(text, (l, line) => {
    if (isBlank(l)) return undefined;
    const r = decodeLine(l, decoded, numbers, escapes);
    if (r instanceof Refusal) return { line, error: r.error, code: r.code };
    events.push(r);
    texts?.push(jsonText(l));
    return undefined;
  });
  return refused ?? (texts ? { events, texts } : { events });
}

/**
 * Calls `visit` with each line of a text held whole (an HTTP body), numbered from 1, until it
 * returns something, which is returned: lines end with `\n` or `\r\n` (neither is passed on), and
 * an empty line is counted but not visited.
 */
export function forEachLine<R>(text: string, visit: (line: string, n: number) => R | undefined): R | undefined {
  let start = 0;
  for (let n = 1; ; n++) {
    let end = text.indexOf('\n', start);
    const last = end < 0;
    if (last) end = text.length;
    const cut = end > start && text.charCodeAt(end - 1) === 13 /* \r */ ? end - 1 : end;
    if (cut > start) {
      const r = visit(text.slice(start, cut), n);
      if (r !== undefined) return r;
    }
    if (last) return undefined;
    start = end + 1;
  }
}

/** Options of `readNdjson`: how each input is read. */
export interface ReadNdjsonOptions {
  /** Where `-` (and no files at all) reads from. Default `process.stdin`. */
  readonly stdin?: Readable;
  /** Bytes per read of a file. Default 64 KiB (FILE_CHUNK_BYTES). */
  readonly chunkBytes?: number;
  /** Stops reading, even while waiting for input (the input stream is destroyed; see readLines). */
  readonly signal?: AbortSignal;
}

/**
 * The chunk size files are read in: hundreds of lines per read, decode and batch. Bigger chunks
 * measured slower (bench/ndjson.ts): a batch's events live longer, and cost the garbage collector more.
 */
export const FILE_CHUNK_BYTES = 64 * 1024;

/**
 * Reads NDJSON from files (or stdin when none / `-`), in order, one batch of decoded events per
 * chunk read. A last line without `\n` is read (the inputs are read to their end).
 */
export async function* readNdjsonBatches(files: readonly string[], options: ReadNdjsonOptions = {}): AsyncGenerator<EventBatch & { readonly source: string }> {
  const inputs = files.length ? files : ['-'];
  const signal = options.signal;
  for (const file of inputs) {
    if (signal?.aborted) return;
    const source = file === '-' ? 'stdin' : file;
    const stream = file === '-' ? (options.stdin ?? process.stdin) : createReadStream(file, { highWaterMark: options.chunkBytes ?? FILE_CHUNK_BYTES });
    for await (const batch of readLines(stream, signal ? { final: 'emit', signal } : { final: 'emit' })) yield { ...decodeLines(batch, source), source };
  }
}

/**
 * Reads NDJSON lines from files (or stdin when none / `-`), in order, one line at a time; blank
 * lines are skipped. A line the reader refused (not UTF-8, too long) comes with its `problem`:
 * use it instead of `parseLine(text)`.
 */
export async function* readNdjson(
  files: readonly string[],
  stdin: Readable = process.stdin,
): AsyncGenerator<{ source: string; line: number; text: string; problem?: { error: string; code: InputErrorCode } }> {
  const inputs = files.length ? files : ['-'];
  for (const file of inputs) {
    const source = file === '-' ? 'stdin' : file;
    const stream = file === '-' ? stdin : createReadStream(file, { highWaterMark: FILE_CHUNK_BYTES });
    for await (const { lines, firstLine, refused } of readLines(stream, { final: 'emit' })) {
      for (let i = 0; i < lines.length; i++) {
        const text = lines[i]!;
        const refusal = refused?.get(i);
        if (refusal) yield { source, line: firstLine + i, text, problem: { error: refusal.message, code: refusal.code } };
        else if (!isBlank(text)) yield { source, line: firstLine + i, text };
      }
    }
  }
}

const NEWLINE = 0x0a;

/** Bytes a UTF-16 string of `n` code units takes in UTF-8 at most, with its `\n`. */
const maxBytes = (n: number) => n * 3 + 1;

/** Bytes per event `encodeNdjson` guessed last (its buffer grows when a batch needs more). */
let bytesPerEvent = 64;

/**
 * Events as NDJSON bytes, one buffer per batch: each line is encoded straight into it, with no
 * string built for the batch (a sink's write is then a buffer, with nothing to encode).
 */
export function encodeNdjson(events: readonly EventValue[]): Buffer {
  let buf = Buffer.allocUnsafe(Math.max(1024, events.length * bytesPerEvent));
  let pos = 0;
  for (let i = 0; i < events.length; i++) {
    const line = JSON.stringify(events[i]);
    if (pos + maxBytes(line.length) > buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(buf.length * 2, pos + maxBytes(line.length)));
      buf.copy(bigger, 0, 0, pos);
      buf = bigger;
    }
    pos += buf.write(line, pos);
    buf[pos++] = NEWLINE;
  }
  if (events.length > 0) bytesPerEvent = Math.ceil((pos / events.length) * 1.25);
  return buf.subarray(0, pos);
}

/**
 * Collects output lines and writes them in large chunks, waiting when the stream is full. Lines
 * also go out on the next turn of the event loop, so a live, slow input is not held back. Each
 * line is encoded into a buffer as it comes (one buffer per `limit` bytes, written in slices).
 */
export class LineWriter {
  /** Filled buffers (slices) not yet written. */
  private held: Buffer[] = [];
  private buf: Buffer;
  /** The unwritten bytes of `buf`: start..pos. */
  private start = 0;
  private pos = 0;
  private size = 0;
  private scheduled = false;
  constructor(
    private readonly out: Writable,
    private readonly limit = 64 * 1024,
  ) {
    this.buf = Buffer.allocUnsafe(limit);
  }
  write(line: string): void {
    const max = maxBytes(line.length);
    if (this.pos + max > this.buf.length) {
      // Full: what it holds waits to be written (as a slice), and the next lines go to a new one.
      if (this.pos > this.start) this.held.push(this.buf.subarray(this.start, this.pos));
      this.buf = Buffer.allocUnsafe(Math.max(this.limit, max));
      this.start = this.pos = 0;
    }
    const n = this.buf.write(line, this.pos) + 1;
    this.buf[this.pos + n - 1] = NEWLINE;
    this.pos += n;
    this.size += n;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.drain();
      });
    }
  }
  /** Writes what is held; false when the stream asks to wait for 'drain'. */
  private drain(): boolean {
    let ok = true;
    if (this.held.length) {
      for (const b of this.held) ok = this.out.write(b);
      this.held = [];
    }
    if (this.pos > this.start) {
      ok = this.out.write(this.buf.subarray(this.start, this.pos));
      this.start = this.pos;
    }
    this.size = 0;
    return ok;
  }
  get full(): boolean {
    return this.size >= this.limit;
  }
  async flush(): Promise<void> {
    if (this.size === 0) return;
    if (!this.drain()) await once(this.out, 'drain');
  }
}
