/**
 * Sinks of a runeset. A sink is a destination (stdout, stderr, a file; network ones plug in the same
 * way) driven by one of two loops:
 * - over in-memory streams, a bounded queue whose events are written as they come (at most once:
 *   a crash loses what was in flight), while the pipelines that feed it wait when it is behind;
 * - over durable streams, a durable consumer: it reads the log after its committed position, writes
 *   a batch, and commits its position once the destination acknowledged it — a crash writes the
 *   unacknowledged batch again (at least once, never lost).
 * A sink counts what its destination acknowledged, not what it was given.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { DEAD_LETTERS, type EventValue } from '../core/event.js';
import type { SinkBatchMeta, SinkContext, SinkDestination, SinkStats, SinkWriteResult } from './connector.js';
import type { Runeset, RunesetSink } from '../runes/runeset.js';
export type { SinkBatchMeta, SinkContext, SinkDestination, SinkStats, SinkWriteResult, Stdio } from './connector.js';
import { StreamQueue, type StreamGraph } from './graph.js';
import { encodeNdjson } from './ndjson.js';
import { LogInput, appendOf } from './durable.js';
import { httpDestination } from './http-sink.js';

import { sinkConsumer } from './positions.js';

/** A running sink: what it has written, and when it is done. */
export interface SinkHandle {
  readonly name: string;
  /** Resolves once its streams completed and everything is written (or the sink failed). */
  readonly done: Promise<void>;
  /** True for the stderr sink Sanctum adds for unread dead letters. */
  readonly implicit: boolean;
  /** Events written (acknowledged by the destination) so far. */
  readonly written: number;
  /** Why it stopped writing, if it failed (a closed pipe, a full disk). */
  readonly error: Error | undefined;
  /** Its destination's counters (network sinks). */
  readonly stats?: SinkStats | undefined;
  /** Events a durable sink has yet to write (undefined for in-memory sinks). */
  lag?(): Promise<number>;
}

/** Opens a sink type's destination. Network sinks register theirs here. */
export type DestinationFactory = (sink: RunesetSink, ctx: SinkContext) => SinkDestination;

const DESTINATIONS: Record<string, DestinationFactory> = {
  stdout: (_sink, ctx) => streamDestination(ctx.stdio.stdout, encodeNdjson, ndjsonText),
  stderr: (_sink, ctx) => streamDestination(ctx.stdio.stderr, encodeNdjson, ndjsonText),
  file: (sink, ctx) => fileDestination(sink as Extract<RunesetSink, { type: 'file' }>, ctx),
  http: (sink, ctx) => httpDestination(sink as Extract<RunesetSink, { type: 'http' }>, ctx, ctx.port !== undefined && isDurableSink(sink, ctx.graph)),
  nats: (sink, ctx) => {
    if (natsSink === undefined) throw new Error('the NATS sink is not loaded: await loadDestinations(runeset) before openSinks');
    return natsSink.natsDestination(sink, ctx);
  },
};

/** The NATS sink's module (and the NATS client), loaded only for a runeset that has a NATS sink. */
let natsSink: typeof import('./nats/sink.js') | undefined;

/**
 * Loads the destinations the runeset's sinks need that most runs do not (NATS, whose client is some
 * sixty modules): call it before `openSinks`, so that a run without them starts without loading them.
 */
export async function loadDestinations(runeset: Runeset): Promise<void> {
  if (natsSink === undefined && Object.values(runeset.sinks).some((s) => s.type === 'nats')) natsSink = await import('./nats/sink.js');
}

/**
 * Registers the destination of a sink type (a plugin, or a test that wraps one), for the runs this
 * process starts from now on. Returns the factory it replaces, so a wrapper can call it.
 */
export function registerDestination(type: string, factory: DestinationFactory): DestinationFactory | undefined {
  const previous = DESTINATIONS[type];
  DESTINATIONS[type] = factory;
  return previous;
}

export { sinkConsumer } from './positions.js';

/** True when the sink reads only durable streams: it runs as a durable consumer. */
export function isDurableSink(sink: RunesetSink, graph: StreamGraph): boolean {
  return sink.from.length > 0 && sink.from.every((s) => graph.isDurable(s));
}

/**
 * Opens every sink of the runeset. When nothing reads `dead-letters`, an implicit sink prints them
 * on stderr, so a failure is always somewhere a user can read it.
 */
export function openSinks(ctx: SinkContext): { sinks: SinkHandle[]; durable: DurableSink[] } {
  const { graph, runeset } = ctx;
  const sinks: SinkHandle[] = [];
  const durable: DurableSink[] = [];
  for (const s of Object.values(runeset.sinks)) {
    const factory = DESTINATIONS[s.type];
    if (!factory) throw new Error(`no destination for sinks of type '${s.type}'`);
    const destination = factory(s, ctx);
    // What a destination refuses for good becomes a dead letter: the sink writes to `dead-letters`
    // until it is done (unless it reads that stream itself).
    if (!s.from.includes(DEAD_LETTERS)) graph.addProducer(DEAD_LETTERS);
    if (ctx.port && isDurableSink(s, graph)) {
      const d = new DurableSink(s.name, s.from, destination, ctx);
      durable.push(d);
      sinks.push(d);
    } else sinks.push(new MemorySink(graph, s.name, s.from, destination, false, ctx));
    if (!s.from.includes(DEAD_LETTERS)) void sinks[sinks.length - 1]!.done.then(() => graph.producerDone(DEAD_LETTERS));
  }
  const read = new Set([...Object.values(runeset.sinks).flatMap((s) => s.from), ...Object.values(runeset.pipelines).flatMap((p) => p.from)]);
  if (!read.has(DEAD_LETTERS))
    sinks.push(new MemorySink(graph, 'stderr (dead-letters)', [DEAD_LETTERS], streamDestination(ctx.stdio.stderr, formatDeadLetters), true, ctx));
  return { sinks, durable };
}

/**
 * A destination over a Node stream (stdout, stderr, a file): one write per batch, acknowledged by its
 * callback. `text` formats events given as their JSON text (NDJSON: as they are), when it can.
 */
function streamDestination(
  out: Writable,
  format: (events: readonly EventValue[]) => string | Buffer,
  text?: (json: readonly string[]) => string,
  close: () => Promise<void> = async () => {},
): SinkDestination {
  let failed: Error | undefined;
  // Writes not yet acknowledged: a failure of the stream fails them all (a destroyed stream may
  // never call their callbacks).
  const waiting = new Set<(e: Error) => void>();
  const fail = (e: Error) => {
    failed ??= e;
    for (const reject of [...waiting]) reject(failed);
    waiting.clear();
  };
  out.on('error', fail);
  out.on('close', () => fail(Object.assign(new Error('the output was closed'), { code: 'EPIPE' })));
  const write = (chunk: string | Buffer) =>
    new Promise<void>((resolve, reject) => {
      if (failed) return reject(failed);
      waiting.add(reject);
      out.write(chunk, (err) => {
        waiting.delete(reject);
        if (err) reject(err);
        else resolve();
      });
    });
  return {
    inFlight: 16,
    write: (events) => write(format(events)),
    ...(text ? { writeJson: (json: readonly string[]) => write(text(json)) } : {}),
    close,
  };
}

function fileDestination(sink: Extract<RunesetSink, { type: 'file' }>, ctx: SinkContext): SinkDestination {
  mkdirSync(path.dirname(sink.path.absolute), { recursive: true });
  // Over durable streams the file grows across runs by default (a restart goes on where it
  // stopped); over in-memory streams each run writes it afresh, unless `mode` says otherwise.
  const append = sink.mode !== undefined ? sink.mode === 'append' : ctx.port !== undefined && isDurableSink(sink, ctx.graph);
  const file = createWriteStream(sink.path.absolute, { flags: append ? 'a' : 'w' });
  return streamDestination(
    file,
    encodeNdjson,
    ndjsonText,
    () => new Promise<void>((resolve, reject) => file.end((err?: Error | null) => (err ? reject(err) : resolve()))),
  );
}

/** Events per write. */
const CHUNK = 4096;
/**
 * Events a durable sink over an NDJSON stream (file, stdout) reads, writes and commits the position
 * of at once: as many as a memory sink writes (fewer position commits; a crash re-sends at most this
 * batch). Network sinks read 1000 (their documented bound on repeats).
 */
const DURABLE_SINK_BATCH = CHUNK;

/** A sink over in-memory streams: a bounded queue, written as it fills (at most once). */
class MemorySink implements SinkHandle {
  readonly done: Promise<void>;
  written = 0;
  error: Error | undefined;
  private readonly queue: StreamQueue;
  private writing = false;
  private finished = false;
  private pending = 0;
  private settledWaiter: (() => void) | undefined;
  private resolveDone!: () => void;

  get stats(): SinkStats | undefined {
    return this.destination.stats;
  }

  constructor(
    private readonly graph: StreamGraph,
    readonly name: string,
    streams: readonly string[],
    private readonly destination: SinkDestination,
    readonly implicit: boolean,
    private readonly ctx: SinkContext,
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.queue = new StreamQueue(graph, streams, () => this.kick());
  }

  private kick(): void {
    if (!this.writing && !this.finished) void this.loop();
  }

  private async loop(): Promise<void> {
    this.writing = true;
    const max = Math.max(1, this.destination.inFlight ?? 1);
    try {
      for (;;) {
        if (this.error) return;
        if (this.pending >= max) await this.settled(max - 1);
        const events = this.queue.take(CHUNK);
        if (events === undefined) break;
        this.pending++;
        this.destination.write(events, { sink: this.name }).then(
          (r) => {
            this.written += events.length - (r?.deadLetters?.length ?? 0);
            if (r?.deadLetters?.length) this.graph.write(DEAD_LETTERS, r.deadLetters);
            this.release();
          },
          (e: unknown) => {
            this.release();
            this.fail(e as Error);
          },
        );
      }
    } finally {
      this.writing = false;
    }
    if (this.queue.ended && !this.finished) {
      this.finished = true;
      this.queue.close();
      await this.settled(0);
      try {
        await this.destination.close();
      } catch (e) {
        this.fail(e as Error);
      }
      this.resolveDone();
    }
  }

  private release(): void {
    this.pending--;
    this.settledWaiter?.();
  }

  /** Resolves once at most `n` writes are unacknowledged. */
  private settled(n: number): Promise<void> {
    if (this.pending <= n || this.error) return Promise.resolve();
    return new Promise((resolve) => {
      this.settledWaiter = () => {
        if (this.pending <= n || this.error) {
          this.settledWaiter = undefined;
          resolve();
        }
      };
    });
  }

  private fail(error: Error): void {
    if (this.error) return;
    this.error = error;
    this.ctx.onFailure(this.name, error);
    // Stop reading: nothing more can be written here, and its producers must not wait for it.
    this.finished = true;
    this.queue.close();
    this.settledWaiter?.();
    this.resolveDone();
  }
}

/**
 * A sink over durable streams: a durable consumer of the log. Each batch is written, and once the
 * destination acknowledged it, its position (and the dead letters of what the destination refused
 * for good) commit — so a crash re-sends at most the batch in flight, and loses nothing.
 */
export class DurableSink implements SinkHandle {
  readonly done: Promise<void>;
  readonly implicit = false;
  written = 0;
  error: Error | undefined;
  private readonly input: LogInput;
  private running = false;
  private resolveDone!: () => void;

  get stats(): SinkStats | undefined {
    return this.destination.stats;
  }

  /** Events it has yet to write. */
  lag(): Promise<number> {
    return this.input.lag();
  }

  constructor(
    readonly name: string,
    streams: readonly string[],
    private readonly destination: SinkDestination,
    private readonly ctx: SinkContext,
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    // Done once the run is ending, its streams completed (everything written to them in this run is
    // committed) and it has caught up.
    this.input = new LogInput(
      ctx.port!,
      {
        consumer: sinkConsumer(name),
        streams,
        ending: () => ctx.ending() && streams.every((s) => ctx.graph.isCompleted(s)),
        signal: ctx.signal,
        metrics: ctx.metrics,
        onFatal: ctx.onFatal,
        lazy: destination.writeJson !== undefined,
      },
      () => this.kick(),
    );
    ctx.graph.whenCompleted(streams, () => this.input.nudge());
  }

  /** Starts reading (when the run starts). */
  start(): void {
    this.kick();
  }

  /** The run is ending or was aborted: look again instead of waiting for appends. */
  nudge(): void {
    this.input.nudge();
  }

  private kick(): void {
    if (!this.running) void this.loop();
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      for (;;) {
        const batch = this.input.take(this.destination.writeJson !== undefined ? DURABLE_SINK_BATCH : 1000);
        if (batch === undefined) {
          if (this.input.ended) break;
          return; // woken when a batch is ready
        }
        const seqs = batch.origin!.seqs!;
        const meta: SinkBatchMeta = { sink: this.name, stream: batch.origin!.stream, firstSeq: seqs[0]!, lastSeq: seqs[seqs.length - 1]!, seqs };
        // What goes out is on disk first: a batch read before the commit that wrote it was synced
        // (commits resolve after their sync, but their rows are visible before) waits for it.
        await this.ctx.port!.synced();
        let result: SinkWriteResult | void;
        try {
          result =
            batch.json !== undefined && this.destination.writeJson !== undefined
              ? await this.destination.writeJson(batch.json, meta)
              : await this.destination.write(batch.events, meta);
        } catch (e) {
          // Stopped while waiting to retry: nothing committed; the next run writes the batch again.
          if (this.ctx.signal.aborted && (e as Error).name === 'AbortError') break;
          this.error = e as Error;
          this.ctx.onFailure(this.name, e as Error);
          break;
        }
        const letters = result?.deadLetters ?? [];
        const durableLetters = letters.length > 0 && this.ctx.graph.isDurable(DEAD_LETTERS);
        await this.ctx.port!.commit({ consumer: batch.position!, ...(durableLetters ? { appends: [appendOf(this.ctx.runeset, DEAD_LETTERS, letters)] } : {}) });
        if (letters.length) {
          if (durableLetters) this.ctx.graph.deliver(DEAD_LETTERS, letters);
          else this.ctx.graph.write(DEAD_LETTERS, letters);
        }
        this.written += seqs.length - letters.length;
      }
    } catch (e) {
      this.ctx.onFatal(e);
    } finally {
      this.running = false;
    }
    this.input.close();
    try {
      await this.destination.close();
    } catch (e) {
      this.error ??= e as Error;
      this.ctx.onFailure(this.name, e as Error);
    }
    this.resolveDone();
  }
}

/** Events given as their JSON text, as NDJSON: the text as it is, a line each. */
function ndjsonText(json: readonly string[]): string {
  return json.length === 0 ? '' : `${json.join('\n')}\n`;
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
  const who = [d['pipeline'], d['spell'] ?? d['source'] ?? d['sink']].filter((x) => x != null).join('/');
  const event = d['event'] !== undefined ? `\n  event: ${JSON.stringify(d['event'])}` : d['text'] !== undefined ? `\n  line: ${String(d['text'])}` : '';
  return `dead letter${who ? ` (${who})` : ''} ${String(d['code'] ?? '')}: ${where}${String(d['message'] ?? '')}${event}\n`;
}
