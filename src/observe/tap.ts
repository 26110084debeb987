/**
 * Taps: live copies of the events flowing through a stream or out of a spell, for `sanctum tap`.
 * A tap costs nothing while nobody taps (no subscription, the spell's probe unset), and a slow
 * client never slows the pipeline: each client has a bounded queue, and what does not fit is
 * dropped, counted and reported to the client.
 */
import type { Subscription } from 'rxjs';
import type { EventValue } from '../core/event.js';
import type { TapStats } from './metrics.js';
import type { ObservedRun, ObservedSpell } from './observed.js';

/** What is tapped. */
export interface TapTarget {
  readonly kind: 'stream' | 'spell';
  readonly name: string;
}

export interface TapClientOptions {
  /** The share of events to send, in (0, 1]. Default 1. */
  readonly sample?: number;
  /** Stop after sending this many events. Default: no limit. */
  readonly limit?: number;
  /** Lines queued while the client is not reading before events are dropped. Default 1000. */
  readonly buffer?: number;
}

/** Where a client's lines go: an HTTP response fits. */
export interface TapOutput {
  /** Returns false when the output's buffer is full (the client is not keeping up). */
  write(chunk: string): boolean;
  end(chunk?: string): void;
  on(event: 'drain' | 'close', listener: () => void): unknown;
}

/** Why a tap ended, in its last line. */
export type TapEnd = 'limit' | 'completed' | 'shutdown';

export const DEFAULT_TAP_BUFFER = 1000;

/**
 * One tap client. Its lines, one JSON object each:
 * `{"stream":"orders","event":{…}}` or `{"spell":"enrich","port":"alerts","event":{…}}`;
 * `{"dropped":N}` when N events were dropped since the last such line because it did not keep up;
 * and last `{"end":"limit"|"completed"|"shutdown","sent":N,"dropped":M}`.
 */
export class TapClient {
  readonly sample: number;
  readonly limit: number;
  readonly buffer: number;
  sent = 0;
  dropped = 0;
  private droppedUnreported = 0;
  private blocked = false;
  private readonly queue: string[] = [];
  private ended = false;
  private readonly prefix: string;
  /** Set by the hub: detaches the client from its target. */
  detach: () => void = () => {};

  constructor(
    readonly target: TapTarget,
    private readonly out: TapOutput,
    options: TapClientOptions = {},
    private readonly counters?: { sent: number; dropped: number },
  ) {
    this.sample = options.sample ?? 1;
    this.limit = options.limit ?? Infinity;
    this.buffer = Math.max(1, options.buffer ?? DEFAULT_TAP_BUFFER);
    this.prefix = target.kind === 'stream' ? `{"stream":${JSON.stringify(target.name)},"event":` : `{"spell":${JSON.stringify(target.name)},"port":`;
    out.on('drain', () => this.drain());
    out.on('close', () => {
      // The client went away: nothing more to write.
      this.ended = true;
      this.detach();
    });
  }

  get closed(): boolean {
    return this.ended;
  }

  /** Offers one event (and the port it left a spell by). Never blocks, never throws. */
  offer(event: EventValue, port?: string): void {
    if (this.ended) return;
    if (this.sample < 1 && Math.random() >= this.sample) return;
    if (this.blocked && this.queue.length >= this.buffer) {
      this.dropped++;
      this.droppedUnreported++;
      if (this.counters) this.counters.dropped++;
      return;
    }
    const line = port === undefined ? `${this.prefix}${JSON.stringify(event)}}\n` : `${this.prefix}${JSON.stringify(port)},"event":${JSON.stringify(event)}}\n`;
    this.sent++;
    if (this.counters) this.counters.sent++;
    if (this.blocked) this.queue.push(line);
    else if (!this.out.write(line)) this.blocked = true;
    if (this.sent >= this.limit) this.end('limit');
  }

  /** Ends the tap: what is queued is written, then the end line. */
  end(reason: TapEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.detach();
    let rest = this.queue.join('');
    this.queue.length = 0;
    if (this.droppedUnreported > 0) rest += `{"dropped":${this.droppedUnreported}}\n`;
    this.out.end(`${rest}{"end":"${reason}","sent":${this.sent},"dropped":${this.dropped}}\n`);
  }

  private drain(): void {
    if (this.ended) return;
    while (this.queue.length > 0) {
      // Write until the output is full again; the rest waits for the next drain.
      const ok = this.out.write(this.queue.shift()!);
      if (!ok) return;
    }
    if (this.droppedUnreported > 0) {
      const n = this.droppedUnreported;
      this.droppedUnreported = 0;
      if (!this.out.write(`{"dropped":${n}}\n`)) return;
    }
    this.blocked = false;
  }
}

interface Tapped {
  readonly clients: Set<TapClient>;
  readonly counters: { sent: number; dropped: number };
  /** Undoes the subscription or probe while clients are attached. */
  release?: () => void;
}

/** Resolving a `/tap` request's target. */
export type TapResolution = { readonly target: TapTarget } | { readonly status: 400 | 404; readonly error: string };

/** Every tap of a run: attaches to a stream or spell on the first client, detaches after the last. */
export class TapHub {
  private readonly tapped = new Map<string, Tapped>();

  constructor(private readonly run: ObservedRun) {}

  /**
   * Finds what a name means: `stream:NAME`, `spell:NAME`, or a bare NAME that is one of them (a
   * stream and a spell of the same name must be told apart).
   */
  resolve(name: string, kind?: 'stream' | 'spell'): TapResolution {
    const m = /^(stream|spell):(.*)$/.exec(name);
    if (m) {
      kind = m[1] as 'stream' | 'spell';
      name = m[2]!;
    }
    const isStream = this.run.graph.streamNames.includes(name);
    const isSpell = this.run.spells.has(name);
    if (kind === 'stream' && isStream) return { target: { kind, name } };
    if (kind === 'spell' && isSpell) return { target: { kind, name } };
    if (kind === undefined && isStream && isSpell)
      return { status: 400, error: `both a stream and a spell are named '${name}': say stream:${name} or spell:${name}` };
    if (kind === undefined && (isStream || isSpell)) return { target: { kind: isStream ? 'stream' : 'spell', name } };
    const what = kind ?? 'stream or spell';
    return {
      status: 404,
      error: `no ${what} named '${name}' (streams: ${this.run.graph.streamNames.join(', ') || 'none'}; spells: ${[...this.run.spells.keys()].join(', ') || 'none'})`,
    };
  }

  /** Opens a tap on a resolved target. */
  open(target: TapTarget, out: TapOutput, options: TapClientOptions = {}): TapClient {
    const key = `${target.kind}:${target.name}`;
    let t = this.tapped.get(key);
    if (t === undefined) this.tapped.set(key, (t = { clients: new Set(), counters: { sent: 0, dropped: 0 } }));
    const client = new TapClient(target, out, options, t.counters);
    const tapped = t;
    tapped.clients.add(client);
    client.detach = () => {
      tapped.clients.delete(client);
      if (tapped.clients.size === 0 && tapped.release) {
        const release = tapped.release;
        tapped.release = undefined;
        release();
      }
    };
    if (!tapped.release) {
      const release = this.attach(target, tapped.clients);
      // A stream that has already completed ends its client while attaching.
      if (tapped.clients.size === 0) release();
      else tapped.release = release;
    }
    return client;
  }

  /** Ends every tap (the run is over). */
  closeAll(reason: TapEnd): void {
    for (const t of this.tapped.values()) for (const c of [...t.clients]) c.end(reason);
  }

  /** Per target, for the metrics. */
  *stats(): Iterable<TapStats> {
    for (const [target, t] of this.tapped) yield { target, clients: t.clients.size, sent: t.counters.sent, dropped: t.counters.dropped };
  }

  private attach(target: TapTarget, clients: Set<TapClient>): () => void {
    if (target.kind === 'stream') {
      const sub: Subscription = this.run.graph.stream(target.name).subscribe({
        next: (event) => {
          for (const c of clients) c.offer(event);
        },
        complete: () => {
          for (const c of [...clients]) c.end('completed');
        },
      });
      return () => sub.unsubscribe();
    }
    const spell = this.run.spells.get(target.name) as ObservedSpell;
    const probe = (event: EventValue, port: string) => {
      for (const c of clients) c.offer(event, port);
    };
    spell.probes.emitted = probe;
    return () => {
      // The spell as it is now: a reload hands the probe on to the spell it summons.
      const current = (this.run.spells.get(target.name) as ObservedSpell | undefined) ?? spell;
      if (current.probes.emitted === probe) current.probes.emitted = undefined;
    };
  }
}
