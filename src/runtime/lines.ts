/** Lines from a byte stream, read in big chunks: batches of complete lines with their numbers and byte offsets. */
import { isUtf8 } from 'node:buffer';
import { readSync } from 'node:fs';

/**
 * What the reader does with a last line that has no `\n` when the input ends. `emit`: it is a line
 * (a file read to its end, stdin closed). `hold`: it is not yet (a file still being written, a
 * follow source): it is not yielded, and reading again from the last batch's `end` reads it whole.
 */
export type FinalLine = 'emit' | 'hold';

export interface ReadLinesOptions {
  /** The last line without `\n`: `emit` (default) or `hold` it. */
  readonly final?: FinalLine;
  /**
   * Where in its file the input starts, in bytes, when reading resumes part-way (a read stream
   * opened with `start`): batch offsets count from it, and a BOM is skipped only at offset 0.
   * Default 0.
   */
  readonly startOffset?: number;
  /** The number of the first line read. Default 1. */
  readonly startLine?: number;
  /**
   * The longest line accepted, in bytes without its `\n`. A longer line is refused
   * (`INPUT_LINE_TOO_LONG`) and its bytes dropped as they arrive, so memory stays bounded.
   * Default 64 MiB.
   */
  readonly maxLineBytes?: number;
  /**
   * Stops the reader: it returns at once, even while waiting for input. A Node stream given as
   * the input is destroyed. To keep stdin open, pass `stdin.iterator({ destroyOnReturn: false })`
   * instead (a read waiting then stays pending, and what it reads is not used).
   */
  readonly signal?: AbortSignal;
}

/** Why a line could not be read as text. */
export interface LineRefusal {
  readonly code: 'INPUT_BAD_UNICODE' | 'INPUT_LINE_TOO_LONG';
  readonly message: string;
}

/** A run of consecutive complete lines, one per chunk read. */
export interface LineBatch {
  /**
   * The lines, without `\n` or `\r\n`; blank lines are included so that numbers stay consecutive.
   * A BOM at the very start of the input is dropped. A refused line holds what text it has (for a
   * too-long line, its first KiB) so that a dead letter can show it.
   */
  readonly lines: readonly string[];
  /** The number of `lines[0]`; `lines[i]` is line `firstLine + i`. */
  readonly firstLine: number;
  /**
   * The byte offset just after the batch's last line and its `\n` (for a last line emitted
   * without one, the end of the input): where reading resumes after this batch.
   */
  readonly end: number;
  /** Lines that are not text, by index in `lines`; undefined when there are none (the usual case). */
  readonly refused: ReadonlyMap<number, LineRefusal> | undefined;
  /**
   * The text the lines were split from, in pieces (each ends at a line's end), when the batch was
   * decoded whole and no line was refused (the usual case): a decoder can look for something once
   * per piece rather than once per line. Undefined otherwise.
   */
  readonly texts?: readonly string[];
}

/** What the reader returns when the input ends (or it is stopped). */
export interface LinesEnd {
  /** The byte offset after the last line yielded: where to resume. */
  readonly end: number;
  /** The number the next line will have. */
  readonly nextLine: number;
  /** Bytes after `end` not yielded: a last line held back (`final: 'hold'`) or cut short by a stop. */
  readonly held: number;
}

export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

/** How much of a too-long line its dead letter shows. */
const TOO_LONG_PREFIX = 1024;
const NEWLINE = 0x0a;
const CR = 0x0d;
const ABORTED = Symbol('aborted');
/** The most bytes decoded into one string: below V8's large-object size (128 KiB for a one-byte string). */
const DECODE_PIECE = 64 * 1024;

/**
 * Reads lines from a byte stream (a file's read stream, stdin) in the chunks it gives, and yields
 * one batch of complete lines per chunk that ends one or more lines. Each chunk is decoded once
 * and split on `\n`; the bytes of a line cut by a chunk boundary wait for the next chunk, so
 * UTF-8 characters split across chunks arrive whole. Lines that are not valid UTF-8 or are longer
 * than `maxLineBytes` are refused (listed in `refused`), never silently changed. Nothing here
 * recurses on data or allocates per line beyond the line's string.
 *
 * @example
 * for await (const batch of readLines(createReadStream('in.ndjson', { highWaterMark: 1 << 20 }))) {
 *   batch.lines.forEach((text, i) => console.log(batch.firstLine + i, text));
 *   commit(batch.end); // a durable source: where a restart resumes
 * }
 */
export async function* readLines(input: AsyncIterable<Uint8Array | string>, options: ReadLinesOptions = {}): AsyncGenerator<LineBatch, LinesEnd, undefined> {
  const final = options.final ?? 'emit';
  const maxLine = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const signal = options.signal;
  let end = options.startOffset ?? 0; // the offset after the last complete line yielded
  let line = options.startLine ?? 1; // the number of the next line
  // The line in progress: its bytes so far, or, once it is too long, its first bytes and its length.
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let tooLong: Buffer | undefined;

  const accumulate = (bytes: Buffer) => {
    if (bytes.length === 0) return;
    pendingBytes += bytes.length;
    if (tooLong) return;
    pending.push(bytes);
    if (pendingBytes > maxLine) {
      tooLong = Buffer.from(Buffer.concat(pending).subarray(0, TOO_LONG_PREFIX)); // a copy: the chunks can go
      pending = [];
    }
  };

  const it = input[Symbol.asyncIterator]();
  let waiting = false; // a read is under way (and would hold up the iterator's return)
  let wake: ((v: typeof ABORTED) => void) | undefined;
  const onAbort = () => {
    // A Node stream is destroyed, so that a read waiting for data ends.
    const stream = input as { destroy?: unknown };
    if (typeof stream.destroy === 'function') stream.destroy();
    wake?.(ABORTED);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      if (signal?.aborted) break;
      const next = it.next();
      waiting = true;
      const r = signal
        ? await new Promise<IteratorResult<Uint8Array | string> | typeof ABORTED>((resolve, reject) => {
            wake = resolve;
            next.then(resolve, reject);
          })
        : await next;
      if (r === ABORTED) break;
      waiting = false;
      if (r.done) break;
      const raw = r.value;
      const chunk = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
      const last = chunk.lastIndexOf(NEWLINE);
      if (last === -1) {
        accumulate(chunk);
        continue;
      }
      const lines: string[] = [];
      const refused = new Map<number, LineRefusal>();
      const firstLine = line;
      let from = 0; // where this chunk's part of the batch starts
      let start = end; // the offset of the region decoded below
      if (tooLong) {
        const nl = chunk.indexOf(NEWLINE);
        pendingBytes += nl;
        refuseTooLong(lines, refused, tooLong, pendingBytes, maxLine, end === 0);
        start = end + pendingBytes + 1;
        from = nl + 1;
        tooLong = undefined;
        pendingBytes = 0;
      }
      let region = chunk.subarray(from, last + 1);
      if (pendingBytes > 0) {
        pending.push(region);
        region = Buffer.concat(pending, pendingBytes + region.length);
      }
      const texts: string[] = [];
      const batch = splitLines(region, start, true, maxLine, lines, refused, texts);
      end = start + region.length;
      line += batch.length;
      pending = [];
      pendingBytes = 0;
      accumulate(chunk.subarray(last + 1));
      yield refused.size ? { lines: batch, firstLine, end, refused } : { lines: batch, firstLine, end, refused: undefined, ...(texts.length ? { texts } : {}) };
    }
    if (signal?.aborted) return { end, nextLine: line, held: pendingBytes };
    if (pendingBytes === 0 || final === 'hold') return { end, nextLine: line, held: pendingBytes };
    // The last line, without its `\n`.
    let lines: string[] = [];
    const refused = new Map<number, LineRefusal>();
    if (tooLong) refuseTooLong(lines, refused, tooLong, pendingBytes, maxLine, end === 0);
    else lines = splitLines(Buffer.concat(pending, pendingBytes), end, false, maxLine, lines, refused);
    const batch: LineBatch = { lines, firstLine: line, end: end + pendingBytes, refused: refused.size ? refused : undefined };
    end += pendingBytes;
    line += 1;
    yield batch;
    return { end, nextLine: line, held: 0 };
  } catch (e) {
    // A stop destroys a stream mid-read; that is not a read error.
    if (signal?.aborted) return { end, nextLine: line, held: pendingBytes };
    throw e;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    // An async generator queues return() behind a read still waiting: do not wait for it then.
    if (waiting) it.return?.()?.catch(() => undefined);
    else await it.return?.();
  }
}

/**
 * Splits a region of whole lines (ending with `\n` when `terminated`) that starts at `offset` of
 * the input. The common case decodes the region once and splits the string (the decoded pieces are
 * added to `texts`); a region that is not valid UTF-8, or long enough to hold a too-long line, is
 * split line by line to find which.
 * Returns `lines` with the region's lines appended (or the region's lines, when `lines` is empty).
 */
function splitLines(
  region: Buffer,
  offset: number,
  terminated: boolean,
  maxLine: number,
  lines: string[],
  refused: Map<number, LineRefusal>,
  texts?: string[],
): string[] {
  const skip = offset === 0 && hasBom(region) ? 3 : 0;
  if (region.length - skip <= maxLine && isUtf8(region)) {
    // Decoded a piece at a time: V8 puts a string of 128 KiB or more in its large-object space,
    // where making one costs twenty times more (measured in bench/ndjson.ts).
    let out = lines;
    for (let a = skip; a < region.length; ) {
      let b = region.length;
      if (b - a > DECODE_PIECE) {
        b = region.lastIndexOf(NEWLINE, a + DECODE_PIECE - 1) + 1;
        if (b <= a) b = region.indexOf(NEWLINE, a + DECODE_PIECE) + 1 || region.length; // one line longer than a piece
      }
      const text = region.toString('utf8', a, b);
      texts?.push(text);
      const parts = text.split('\n');
      if (b < region.length || terminated) parts.pop(); // the piece ends with `\n`: nothing after it
      if (text.includes('\r')) {
        for (let i = 0; i < parts.length; i++) {
          const p = parts[i]!;
          if (p.charCodeAt(p.length - 1) === CR) parts[i] = p.slice(0, -1);
        }
      }
      if (out.length === 0) out = parts;
      else for (const p of parts) out.push(p);
      a = b;
    }
    return out;
  }
  let a = skip;
  while (a < region.length || (!terminated && a === region.length && lines.length === 0)) {
    let b = region.indexOf(NEWLINE, a);
    if (b === -1) b = region.length;
    let e = b;
    if (e > a && region[e - 1] === CR) e--;
    const bytes = region.subarray(a, e);
    if (bytes.length > maxLine) {
      refuseTooLong(lines, refused, bytes.subarray(0, TOO_LONG_PREFIX), bytes.length, maxLine, false);
    } else if (!isUtf8(bytes)) {
      refused.set(lines.length, {
        code: 'INPUT_BAD_UNICODE',
        message: `the line is not valid UTF-8 (${describeBadByte(bytes)}); NDJSON is UTF-8 text: convert the file (iconv -f <encoding> -t UTF-8)`,
      });
      lines.push(bytes.toString('utf8'));
    } else {
      lines.push(bytes.toString('utf8'));
    }
    a = b + 1;
    if (b === region.length) break;
  }
  return lines;
}

function refuseTooLong(lines: string[], refused: Map<number, LineRefusal>, prefix: Buffer, bytes: number, maxLine: number, atStart: boolean): void {
  const text = (atStart && hasBom(prefix) ? prefix.subarray(3) : prefix).toString('utf8');
  refused.set(lines.length, { code: 'INPUT_LINE_TOO_LONG', message: `the line is longer than ${maxLine} bytes (at least ${bytes}); it was skipped` });
  lines.push(text);
}

/**
 * A line read by itself at `offset` (a last line without its newline) as readLines reads it: a BOM
 * at the very start of the input dropped.
 */
export function withoutBom(text: string, offset: number): string {
  return offset === 0 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function hasBom(b: Buffer): boolean {
  return b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf;
}

/** Where the first byte that does not belong to UTF-8 is, for the message (a line already known to be bad). */
function describeBadByte(b: Buffer): string {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    const more = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : 0;
    if (more === 0) break;
    if (i + more >= b.length) return `it ends in the middle of a character, at byte ${i + 1}`;
    let ok = true;
    for (let k = 1; k <= more; k++) if ((b[i + k]! & 0xc0) !== 0x80) ok = false;
    const d = b[i + 1]!;
    // Overlong forms, UTF-16 surrogates (ED A0..BF) and code points beyond U+10FFFF.
    if ((c === 0xe0 && d < 0xa0) || (c === 0xed && d > 0x9f) || (c === 0xf0 && d < 0x90) || (c === 0xf4 && d > 0x8f)) ok = false;
    if (!ok) break;
    i += more + 1;
  }
  return `byte 0x${(b[i] ?? 0).toString(16).padStart(2, '0')} at byte ${i + 1} of the line`;
}

/**
 * How many lines end in the first `bytes` bytes of the open file `fd`: the number of the line at
 * byte `bytes` is one more (a reader resuming there numbers its lines on).
 */
export function countLines(fd: number, bytes: number): number {
  const buf = Buffer.allocUnsafe(Math.min(1 << 20, Math.max(1, bytes)));
  let lines = 0;
  for (let at = 0; at < bytes; ) {
    const got = readSync(fd, buf, 0, Math.min(buf.length, bytes - at), at);
    if (got === 0) break;
    for (let i = buf.indexOf(NEWLINE, 0); i !== -1 && i < got; i = buf.indexOf(NEWLINE, i + 1)) lines++;
    at += got;
  }
  return lines;
}
