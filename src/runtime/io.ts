/** Sources and sinks of a runeset: NDJSON files, stdin, stdout and stderr. */
import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { merge } from 'rxjs';
import type { EventValue } from '../core/event.js';
import { LineWriter, parseLine } from './ndjson.js';
import type { Runeset, RunesetSink, RunesetSource } from '../runes/runeset.js';
import { DEAD_LETTERS, type StreamGraph } from './graph.js';
import { isStorageError } from '../storage/index.js';

export interface Stdio {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
}

/** A running sink: what it has written, and when it is done. */
export interface SinkHandle {
  readonly name: string;
  readonly done: Promise<void>;
  readonly full: () => boolean;
  readonly flush: () => Promise<void>;
  /** True for the stderr sink Sanctum adds for unread dead letters. */
  readonly implicit: boolean;
  written: number;
}

/**
 * Subscribes every sink to its streams. When nothing reads `dead-letters`, an implicit sink
 * prints them on stderr, so a failure is always somewhere a user can read it.
 */
export function openSinks(graph: StreamGraph, runeset: Runeset, stdio: Stdio): SinkHandle[] {
  const sinks = Object.values(runeset.sinks).map((s) => openSink(graph, s, stdio));
  const read = new Set([...Object.values(runeset.sinks).flatMap((s) => s.from), ...Object.values(runeset.pipelines).flatMap((p) => p.from)]);
  if (!read.has(DEAD_LETTERS)) sinks.push(openDeadLetterConsole(graph, stdio.stderr));
  return sinks;
}

function openSink(graph: StreamGraph, sink: RunesetSink, stdio: Stdio): SinkHandle {
  let out: Writable;
  let close: () => Promise<void> = async () => {};
  if (sink.type === 'file') {
    mkdirSync(path.dirname(sink.path.absolute), { recursive: true });
    const file = createWriteStream(sink.path.absolute);
    out = file;
    close = () => new Promise((resolve, reject) => file.end((err?: Error | null) => (err ? reject(err) : resolve())));
  } else {
    out = sink.type === 'stdout' ? stdio.stdout : stdio.stderr;
  }
  const writer = new LineWriter(out);
  let flushing: Promise<void> = Promise.resolve();
  const flush = () => (flushing = flushing.then(() => writer.flush()));
  const handle: SinkHandle = {
    name: sink.name,
    implicit: false,
    written: 0,
    full: () => writer.full,
    flush,
    done: new Promise<void>((resolve, reject) => {
      merge(...sink.from.map((s) => graph.stream(s))).subscribe({
        next: (event) => {
          handle.written++;
          writer.write(JSON.stringify(event));
        },
        complete: () => {
          flush().then(close).then(resolve, reject);
        },
      });
    }),
  };
  return handle;
}

function openDeadLetterConsole(graph: StreamGraph, stderr: Writable): SinkHandle {
  const handle: SinkHandle = {
    name: 'stderr (dead-letters)',
    implicit: true,
    written: 0,
    full: () => false,
    flush: async () => {},
    done: new Promise<void>((resolve) => {
      graph.stream(DEAD_LETTERS).subscribe({
        next: (dl) => {
          handle.written++;
          stderr.write(formatDeadLetter(dl));
        },
        complete: resolve,
      });
    }),
  };
  return handle;
}

/** `dead letter (pipeline/spell) file:line: message` then the event, for people. */
export function formatDeadLetter(dl: EventValue): string {
  const d = (dl ?? {}) as Record<string, EventValue>;
  const where = d['file'] ? `${String(d['file'])}${d['line'] != null ? `:${String(d['line'])}` : ''}: ` : '';
  const who = [d['pipeline'], d['spell'] ?? d['source']].filter((x) => x != null).join('/');
  const event = d['event'] !== undefined ? `\n  event: ${JSON.stringify(d['event'])}` : d['text'] !== undefined ? `\n  line: ${String(d['text'])}` : '';
  return `dead letter${who ? ` (${who})` : ''} ${String(d['code'] ?? '')}: ${where}${String(d['message'] ?? '')}${event}\n`;
}

/**
 * Reads every source into its stream until the sources end or `signal` aborts. Unreadable lines go
 * to `dead-letters` with their position. Waits for full sinks (backpressure).
 */
export async function runSources(graph: StreamGraph, runeset: Runeset, sinks: readonly SinkHandle[], stdio: Stdio, signal: AbortSignal): Promise<{ read: number }> {
  let read = 0;
  const waitForSinks = async () => {
    const full = sinks.filter((s) => s.full());
    if (full.length) await Promise.all(full.map((s) => s.flush()));
  };
  await Promise.all(
    Object.values(runeset.sources).map(async (src) => {
      try {
        read += await readSource(graph, src, stdio, signal, waitForSinks);
      } finally {
        graph.producerDone(src.to);
        graph.producerDone(DEAD_LETTERS);
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

/** Reads a source to its end — again and again with `loop`, at `rate` events a second if given. */
async function readSource(graph: StreamGraph, src: RunesetSource, stdio: Stdio, signal: AbortSignal, waitForSinks: () => Promise<void>): Promise<number> {
  const pacer = src.type === 'file' && src.rate !== undefined ? new Pacer(src.rate) : undefined;
  let n = 0;
  for (;;) {
    const read = await readOnce(graph, src, stdio, signal, waitForSinks, pacer);
    n += read;
    // A file with no event in it would loop without end: stop.
    if (!(src.type === 'file' && src.loop) || signal.aborted || read === 0) return n;
  }
}

async function readOnce(graph: StreamGraph, src: RunesetSource, stdio: Stdio, signal: AbortSignal, waitForSinks: () => Promise<void>, pacer: Pacer | undefined): Promise<number> {
  if (signal.aborted) return 0;
  const input = src.type === 'file' ? createReadStream(src.path.absolute, { encoding: 'utf8' }) : stdio.stdin;
  const where = src.type === 'file' ? src.path.original : 'stdin';
  const rl = createInterface({ input, crlfDelay: Infinity });
  const stop = () => {
    rl.close();
    if (src.type === 'file') input.destroy();
  };
  signal.addEventListener('abort', stop, { once: true });
  let n = 0;
  let line = 0;
  // Into a durable stream, a file is read exactly once across restarts: each batch of events is
  // committed with the line it reached, and a restart skips the lines committed before.
  const durable = graph.durable?.isDurable(src.to) ? graph.durable : undefined;
  const input_ = src.type === 'file' ? `file:${src.path.absolute}` : 'stdin';
  const skip = durable && src.type === 'file' ? durable.sourcePosition(src.name, input_) : 0;
  let batch: EventValue[] = [];
  let timer: NodeJS.Timeout | undefined;
  let committedLine = skip;
  let failed: unknown;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (!durable || (batch.length === 0 && line <= committedLine)) return;
    durable.appendFromSource(src.name, input_, line, src.to, batch, src.type === 'file' ? committedLine : undefined);
    committedLine = line;
    batch = [];
  };
  try {
    for await (const text of rl) {
      line++;
      if (line <= skip || text.trim() === '') continue;
      const parsed = parseLine(text);
      if ('error' in parsed) {
        graph.deadLetters++;
        graph.next(DEAD_LETTERS, { code: 'INPUT_INVALID_JSON', source: src.name, file: where, line, message: parsed.error, text });
      } else {
        n++;
        if (!durable) {
          graph.next(src.to, parsed.value);
          if (pacer) await pacer.tick(signal);
        } else {
          batch.push(parsed.value);
          if (batch.length >= graph.runeset.sanctum.batch_size) flush();
          else
            timer ??= setTimeout(() => {
              // A live input is committed promptly, too. A failed commit ends the read.
              try {
                flush();
              } catch (e) {
                failed = e;
                rl.close();
              }
            }, 20);
        }
      }
      if (signal.aborted || failed) break;
      if ((n & 255) === 0) await waitForSinks();
    }
    if (failed) throw failed;
    flush();
  } catch (e) {
    if (isStorageError(e)) throw e; // a failed commit stops the run; a restart resumes from the last one
    flush();
    if (!signal.aborted) {
      graph.deadLetters++;
      graph.next(DEAD_LETTERS, { code: 'INPUT_UNREADABLE', source: src.name, file: where, line, message: (e as Error).message });
    }
  } finally {
    if (timer) clearTimeout(timer);
    signal.removeEventListener('abort', stop);
  }
  return n;
}
