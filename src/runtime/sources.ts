/**
 * Sources of a runeset: NDJSON files and stdin, read in chunks and handed to their stream a batch
 * per chunk. Into a durable stream, a file is read exactly once across restarts: each batch commits
 * with the source's position in the file — its identity (device and inode) and the byte offset after
 * the last complete line — and, when `dead-letters` is durable, with the dead letters of its
 * unreadable lines.
 */
import { createReadStream, fstatSync, openSync, readSync, closeSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { isUtf8 } from 'node:buffer';
import { DEAD_LETTERS, type EventValue } from '../core/event.js';
import type { SourceContext, SourceReader } from './connector.js';
import type { RunesetSource } from '../runes/runeset.js';
export { SourceStats, sourceConsumer, type SourceContext, type SourceReader } from './connector.js';
import { sourceConsumer, sourceDeadLetter as deadLetter } from './connector.js';
import { FILE_CHUNK_BYTES, decodeLines, type InputProblem } from './ndjson.js';
import { countLines, readLines, withoutBom, type LineBatch, type LinesEnd } from './lines.js';
import { decodeDocument, decodeTextLines } from './formats.js';
import { isStorageError } from '../storage/index.js';
import type { SourceWrite } from './durable.js';
import { readHttp } from './http-source.js';
import { readFollowed } from './follow.js';

const READERS: Record<string, SourceReader> = {
  // `follow: true`: read as the file grows, across rotations, until the run stops (follow.ts).
  file: (ctx, src) => (src.type === 'file' && src.follow ? readFollowed(ctx, src) : readSource(ctx, src as ByteSource)),
  stdin: (ctx, src) => readSource(ctx, src as ByteSource),
  http: (ctx, src) => readHttp(ctx, src as Extract<RunesetSource, { type: 'http' }>),
  // Loaded when a runeset has a NATS source: a run without one does not load the NATS client.
  nats: async (ctx, src) => (await import('./nats/source.js')).readNats(ctx, src),
};

/** Reads every source to its end (or until aborted); resolves with the events read. A failed commit rejects. */
export async function runSources(ctx: SourceContext): Promise<{ read: number }> {
  let read = 0;
  await Promise.all(
    Object.values(ctx.runeset.sources).map(async (src) => {
      const stats = ctx.stats(src.name);
      try {
        const reader = READERS[src.type];
        if (!reader) throw new Error(`no reader for sources of type '${src.type}'`);
        // Network sources say when they are open (listening); the others are open as they start.
        if (src.type === 'file' || src.type === 'stdin') stats.state = 'open';
        read += await reader(ctx, src);
      } finally {
        stats.state = 'ended';
        ctx.graph.producerDone(src.to);
        ctx.graph.producerDone(DEAD_LETTERS);
      }
    }),
  );
  return { read };
}

/** Paces a source to `rate` events a second (the `rate` rune), against a clock started once. */
class Pacer {
  private readonly start = performance.now();
  private sent = 0;
  constructor(private readonly rate: number) {}
  async tick(signal: AbortSignal): Promise<void> {
    this.sent++;
    const wait = this.start + (this.sent * 1000) / this.rate - performance.now();
    if (wait < 1 || signal.aborted) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, wait);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

/** A source read from a byte stream: a file or stdin. */
type ByteSource = Extract<RunesetSource, { readonly type: 'file' | 'stdin' }>;

async function readSource(ctx: SourceContext, src: ByteSource): Promise<number> {
  const pacer = src.type === 'file' && src.rate !== undefined ? new Pacer(src.rate) : undefined;
  let n = 0;
  for (;;) {
    const got = await readOnce(ctx, src, pacer);
    n += got;
    // A file with no event in it would loop without end: stop.
    if (!(src.type === 'file' && src.loop) || ctx.signal.aborted || got === 0) return n;
  }
}

/** The byte offsets just after each line of the file's bytes [from, to): for sources that commit line by line. */
function lineEnds(path: string, from: number, to: number): number[] {
  const bytes = readBytes(path, from, to - from);
  const ends: number[] = [];
  for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) ends.push(from + i + 1);
  return ends;
}

function readBytes(path: string, from: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    let got = 0;
    while (got < length) {
      const r = readSync(fd, buf, got, length - got, from + got);
      if (r === 0) break;
      got += r;
    }
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** The text of bytes [from, from + length) of a file, or undefined when they are not UTF-8. */
function readRange(path: string, from: number, length: number): string | undefined {
  const bytes = readBytes(path, from, length);
  return isUtf8(bytes) ? bytes.toString('utf8') : undefined;
}

async function readOnce(ctx: SourceContext, src: ByteSource, pacer: Pacer | undefined): Promise<number> {
  const { graph, signal } = ctx;
  if (signal.aborted) return 0;
  const where = src.type === 'file' ? src.path.original : 'stdin';
  // Positions are kept for files (they have an identity to resume); stdin into a durable stream is
  // appended like any other write, with no position to resume from.
  const durable = ctx.appender !== undefined && graph.isDurable(src.to) && src.type === 'file' ? ctx.appender : undefined;
  const deadDurable = durable !== undefined && graph.isDurable(DEAD_LETTERS);
  // Into a durable stream a file resumes where the last run committed: its identity and byte offset.
  let input: string | undefined;
  let start = 0;
  // The offset the last run committed: each commit expects it (a file read again from its start
  // still replaces that position, it does not start a new one).
  let stored = 0;
  let firstLine = 1;
  // The file is opened once: its identity, its size and what is read all come from that one open file,
  // so a rotation as the run starts cannot pair one file's position with another file's bytes.
  let fd: number | undefined;
  if (src.type === 'file') {
    let identity: string;
    let size: number;
    try {
      fd = openSync(src.path.absolute, 'r');
      const st = fstatSync(fd, { bigint: true });
      identity = `${st.dev}:${st.ino}`; // device and inode: a rotated or replaced file is another file
      size = Number(st.size);
    } catch (e) {
      if (fd !== undefined) closeSync(fd);
      deadLetter(ctx, { code: 'INPUT_UNREADABLE', source: src.name, file: where, message: (e as Error).message });
      return 0;
    }
    if (durable) {
      input = `file:${src.path.absolute}#${identity}`;
      stored = start = await ctx.position(sourceConsumer(src.name), input).catch((e: unknown) => {
        closeSync(fd!);
        throw e;
      });
      if (start > size) {
        // Shorter than what the last run read: truncated or rewritten since. Read it from its start.
        ctx.log({
          level: 'warn',
          message: `file source '${src.name}': ${where} got shorter since the last run (${size} bytes, ${start} read before); reading it again from its start`,
          source: src.name,
          code: 'INPUT_TRUNCATED',
        });
        start = 0;
      }
      if (start > 0) firstLine = countLines(fd, start) + 1;
    }
  }
  let committed = stored;
  /** Commits a source batch with the offset it reached — and its dead letters when they are durable. */
  const commitDurable = async (offset: number, events: EventValue[], letters: EventValue[], texts?: readonly (string | undefined)[]) => {
    const position = { name: sourceConsumer(src.name), stream: input!, seq: offset, expected: committed };
    const writes: SourceWrite[] = [[src.to, events, texts]];
    if (deadDurable) {
      writes.push([DEAD_LETTERS, letters]);
      for (const l of letters) ctx.onDeadLetter(l);
    } else for (const l of letters) deadLetter(ctx, l);
    await durable!.commitSource(position, writes);
    committed = offset;
  };
  // A file read again from its start: its position is its start now, even if this run reads nothing
  // from it (emptied, or only a line still being written): a later run must not skip what comes.
  if (durable && stored > start) {
    await commitDurable(start, [], []).catch((e: unknown) => {
      closeSync(fd!);
      throw e;
    });
  }
  // The stream closes the file when it ends or is destroyed.
  const stream = src.type === 'file' ? createReadStream(src.path.absolute, { fd, start, highWaterMark: FILE_CHUNK_BYTES }) : ctx.stdin;
  // Stopping ends the read at once: the stream is destroyed (stdin too: the run is ending).
  const stop = () => stream.destroy();
  signal.addEventListener('abort', stop, { once: true });
  const filePath = src.type === 'file' ? src.path.absolute : undefined;
  const letterOf = (p: InputProblem): EventValue => ({ code: p.code, source: src.name, file: where, line: p.line, message: p.message, text: p.text });
  if (src.format === 'json') {
    try {
      return await readDocument(ctx, src, where, stream, durable ? (end, events, letters) => commitDurable(start + end, events, letters) : undefined);
    } finally {
      signal.removeEventListener('abort', stop);
    }
  }
  // `lines`: each line of text an event { message, source, line }; `ndjson`: a JSON event a line.
  const decodeBatch =
    src.format === 'lines' ? (b: LineBatch) => decodeTextLines(b, src.name, where) : (b: LineBatch) => decodeLines(b, where, durable !== undefined);
  let n = 0;
  try {
    // Paced into a durable stream, each event commits alone, with the offset after its line.
    const paced = pacer !== undefined && durable !== undefined;
    // Into a durable stream, a last line without its newline is held back: it may still be being
    // written (see below for a file that simply ends without one).
    const lines = readLines(stream, { final: durable ? 'hold' : 'emit', startOffset: start, startLine: firstLine });
    let batchStart = start;
    let end: LinesEnd | undefined;
    for (;;) {
      const r = await lines.next();
      if (r.done) {
        end = r.value;
        break;
      }
      const batch = r.value;
      const decoded = decodeBatch(batch);
      if (paced) {
        // The slow path (a paced source): line by line, each with the offset after it.
        const ends = lineEnds(filePath!, batchStart, batch.end);
        for (let i = 0; i < batch.lines.length && !signal.aborted; i++) {
          const one = decodeBatch({
            lines: [batch.lines[i]!],
            firstLine: batch.firstLine + i,
            end: ends[i] ?? batch.end,
            refused: batch.refused?.has(i) ? new Map([[0, batch.refused.get(i)!]]) : undefined,
          });
          const events = one.events;
          const letters = one.problems.map(letterOf);
          if (events.length === 0 && letters.length === 0 && i < batch.lines.length - 1) continue;
          n += events.length;
          await commitDurable(ends[i] ?? batch.end, events, letters, one.texts);
          if (events.length) await pacer.tick(signal);
        }
      } else {
        n += decoded.events.length;
        const letters = decoded.problems.map(letterOf);
        if (durable) await commitDurable(batch.end, decoded.events, letters, decoded.texts);
        else {
          for (const l of letters) deadLetter(ctx, l);
          if (pacer) {
            for (const e of decoded.events) {
              graph.write(src.to, [e]);
              await pacer.tick(signal);
              if (signal.aborted) break;
            }
          } else graph.write(src.to, decoded.events);
        }
      }
      batchStart = batch.end;
      if (signal.aborted) break;
      await graph.room(src.to);
    }
    // A file read to its end whose last line has no newline: it is read when it is a whole event
    // (the file simply ends without one); otherwise it may still be being written, and is left,
    // uncommitted, for the next run.
    if (durable && end !== undefined && end.held > 0 && !signal.aborted) {
      const read = readRange(filePath!, end.end, end.held);
      const text = read === undefined ? undefined : withoutBom(read, end.end);
      const line = text === undefined ? undefined : text.endsWith('\r') ? text.slice(0, -1) : text;
      // A `lines` source takes any text as a line; NDJSON only a whole event.
      const last = line === undefined ? undefined : decodeBatch({ lines: [line], firstLine: end.nextLine, end: end.end + end.held, refused: undefined });
      if (last !== undefined && last.problems.length === 0 && last.events.length === 1) {
        n++;
        await commitDurable(end.end + end.held, last.events, [], last.texts);
      } else ctx.onWarning(`${where}:${end.nextLine}: the last line has no newline and is not a whole event yet; it is left for the next run`);
    }
  } catch (e) {
    if (isStorageError(e)) throw e; // a failed commit stops the run; a restart resumes from the last one
    if (!signal.aborted) deadLetter(ctx, { code: 'INPUT_UNREADABLE', source: src.name, file: where, message: (e as Error).message });
  } finally {
    signal.removeEventListener('abort', stop);
  }
  return n;
}

/**
 * Reads a source whose `format` is `json`: the whole input is one document (an array is its events).
 * Into a durable stream it commits once, with the offset at its end.
 */
async function readDocument(
  ctx: SourceContext,
  src: ByteSource,
  where: string,
  stream: Readable,
  commit: ((end: number, events: EventValue[], letters: EventValue[]) => Promise<void>) | undefined,
): Promise<number> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      chunks.push(b);
      size += b.length;
    }
  } catch (e) {
    if (!ctx.signal.aborted) deadLetter(ctx, { code: 'INPUT_UNREADABLE', source: src.name, file: where, message: (e as Error).message });
    return 0;
  }
  if (ctx.signal.aborted) return 0;
  const text = Buffer.concat(chunks, size)
    .toString('utf8')
    .replace(/^\ufeff/, '');
  if (text.trim() === '') return 0;
  const doc = decodeDocument(text);
  const events = 'error' in doc ? [] : doc.events;
  const letters = 'error' in doc ? [{ code: 'INPUT_INVALID_JSON', source: src.name, file: where, message: doc.error }] : [];
  if (commit) await commit(size, events, letters);
  else {
    for (const l of letters) deadLetter(ctx, l);
    ctx.graph.write(src.to, events);
  }
  return events.length;
}
