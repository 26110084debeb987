/**
 * Sinks of a runeset: stdout, stderr and files, as NDJSON. Each reads its streams through a bounded
 * queue and writes one buffer per batch; while it is behind, the pipelines that feed it wait. It
 * counts what it has written (handed to the operating system), not what it was given.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import type { EventValue } from '../core/event.js';
import type { Runeset, RunesetSink } from '../runes/runeset.js';
import { DEAD_LETTERS, StreamQueue, type StreamGraph } from './graph.js';

export interface Stdio {
  readonly stdin: import('node:stream').Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
}

/** A running sink: what it has written, and when it is done. */
export interface SinkHandle {
  readonly name: string;
  /** Resolves once its streams completed and everything is written (or the sink failed). */
  readonly done: Promise<void>;
  /** True for the stderr sink Sanctum adds for unread dead letters. */
  readonly implicit: boolean;
  /** Events written so far. */
  readonly written: number;
  /** Why it stopped writing, if it failed (a closed pipe, a full disk). */
  readonly error: Error | undefined;
}

export interface SinkOptions {
  /** The sink's destination failed (e.g. stdout closed): the run should stop reading input. */
  readonly onFailure: (sink: string, error: Error) => void;
}

/**
 * Opens every sink of the runeset. When nothing reads `dead-letters`, an implicit sink prints them
 * on stderr, so a failure is always somewhere a user can read it.
 */
export function openSinks(graph: StreamGraph, runeset: Runeset, stdio: Stdio, options: SinkOptions): SinkHandle[] {
  const sinks: SinkHandle[] = Object.values(runeset.sinks).map((s) => openSink(graph, s, stdio, options));
  const read = new Set([...Object.values(runeset.sinks).flatMap((s) => s.from), ...Object.values(runeset.pipelines).flatMap((p) => p.from)]);
  if (!read.has(DEAD_LETTERS)) sinks.push(new SinkWriter(graph, 'stderr (dead-letters)', [DEAD_LETTERS], stdio.stderr, async () => {}, formatDeadLetters, true, options));
  return sinks;
}

function openSink(graph: StreamGraph, sink: RunesetSink, stdio: Stdio, options: SinkOptions): SinkHandle {
  if (sink.type === 'file') {
    mkdirSync(path.dirname(sink.path.absolute), { recursive: true });
    const file = createWriteStream(sink.path.absolute);
    const close = () => new Promise<void>((resolve, reject) => file.end((err?: Error | null) => (err ? reject(err) : resolve())));
    return new SinkWriter(graph, sink.name, sink.from, file, close, ndjson, false, options);
  }
  return new SinkWriter(graph, sink.name, sink.from, sink.type === 'stdout' ? stdio.stdout : stdio.stderr, async () => {}, ndjson, false, options);
}

/** Events per write. */
const CHUNK = 4096;

class SinkWriter implements SinkHandle {
  readonly done: Promise<void>;
  written = 0;
  error: Error | undefined;
  private readonly queue: StreamQueue;
  private writing = false;
  private finished = false;
  private resolveDone!: () => void;

  constructor(
    graph: StreamGraph,
    readonly name: string,
    streams: readonly string[],
    private readonly out: Writable,
    private readonly close: () => Promise<void>,
    private readonly format: (events: readonly EventValue[]) => string,
    readonly implicit: boolean,
    private readonly options: SinkOptions,
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.queue = new StreamQueue(graph, streams, () => this.kick());
    out.on('error', (e) => this.fail(e));
  }

  private kick(): void {
    if (!this.writing && !this.finished) void this.loop();
  }

  private async loop(): Promise<void> {
    this.writing = true;
    try {
      for (;;) {
        if (this.error) return;
        const events = this.queue.take(CHUNK);
        if (events === undefined) break;
        const n = events.length;
        this.unconfirmed++;
        const ok = this.out.write(this.format(events), (err) => {
          if (!err) this.written += n;
          if (--this.unconfirmed === 0) this.confirmed?.();
        });
        if (!ok) await this.drain();
      }
    } finally {
      this.writing = false;
    }
    if (this.queue.ended && !this.finished) {
      this.finished = true;
      this.queue.close();
      await this.flushed();
      try {
        await this.close();
      } catch (e) {
        this.fail(e as Error);
      }
      this.resolveDone();
    }
  }

  /** Waits for 'drain' (or a failure). */
  private drain(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.out.off('drain', done);
        this.out.off('error', done);
        this.out.off('close', done);
        resolve();
      };
      this.out.on('drain', done);
      this.out.on('error', done);
      this.out.on('close', done);
    });
  }

  /** Writes whose callback has not run yet. */
  private unconfirmed = 0;
  private confirmed: (() => void) | undefined;

  /** Resolves once what was written so far is handed to the OS (its write callbacks ran). */
  private flushed(): Promise<void> {
    if (this.error || this.unconfirmed === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.confirmed = () => {
        this.confirmed = undefined;
        resolve();
      };
    });
  }

  private fail(error: Error): void {
    if (this.error) return;
    this.error = error;
    this.options.onFailure(this.name, error);
    // Stop reading: nothing more can be written here, and its producers must not wait for it.
    this.finished = true;
    this.queue.close();
    this.resolveDone();
  }
}

function ndjson(events: readonly EventValue[]): string {
  let s = '';
  for (let i = 0; i < events.length; i++) s += JSON.stringify(events[i]) + '\n';
  return s;
}

function formatDeadLetters(events: readonly EventValue[]): string {
  let s = '';
  for (const dl of events) s += formatDeadLetter(dl);
  return s;
}

/** `dead letter (pipeline/spell) file:line: message` then the event, for people. */
export function formatDeadLetter(dl: EventValue): string {
  const d = (dl ?? {}) as Record<string, EventValue>;
  const where = d['file'] ? `${String(d['file'])}${d['line'] != null ? `:${String(d['line'])}` : ''}: ` : '';
  const who = [d['pipeline'], d['spell'] ?? d['source']].filter((x) => x != null).join('/');
  const event = d['event'] !== undefined ? `\n  event: ${JSON.stringify(d['event'])}` : d['text'] !== undefined ? `\n  line: ${String(d['text'])}` : '';
  return `dead letter${who ? ` (${who})` : ''} ${String(d['code'] ?? '')}: ${where}${String(d['message'] ?? '')}${event}\n`;
}
