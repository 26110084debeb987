/**
 * A pipelined JetStream publisher: every message goes out with a reply subject under one inbox
 * subscription, a correlation table matches the acknowledgements, and one timer sends again what
 * was not acknowledged in time — with the same `Nats-Msg-Id`, so the server drops what it already
 * stored. About 3× the stock `js.publish` with many in flight (shared/notes/nats.md; `npm run bench:nats`).
 */
import { createInbox, headers, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { ConnectorLog, ConnectorStatus } from '../connectors.js';

/** A message the server refused for good: which one, and the server's words. */
export interface Refusal {
  readonly index: number;
  readonly message: string;
  readonly code?: number;
}

interface Batch {
  remaining: number;
  readonly refused: Refusal[];
  readonly resolve: (refused: Refusal[]) => void;
  readonly reject: (e: Error) => void;
}

interface Entry {
  readonly payload: Uint8Array;
  readonly msgId: string;
  readonly batch: Batch;
  readonly index: number;
  sentAt: number;
}

/**
 * JetStream error codes worth another try: the stream is electing a leader or cannot store now.
 * Anything else the server says about a message is its final word.
 */
const TRANSIENT_CODES = new Set([503, 10008 /* cluster not available */, 10023 /* insufficient resources */]);

export interface PublisherOptions {
  /** Send again what is not acknowledged after this long (ms). */
  readonly timeoutMs?: number;
  /** Once stopping, give up on a message unacknowledged this long (ms): the run ends. */
  readonly stopAfterMs?: number;
}

export class JetStreamPublisher {
  private readonly inbox = createInbox();
  private readonly sub: Subscription;
  private readonly pending = new Map<number, Entry>();
  private token = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly timeoutMs: number;
  private readonly stopAfterMs: number;
  private lastRetryLine = -Infinity;
  /** When `stop` was called (the run is ending), or undefined. */
  private stoppedAt: number | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly subject: string,
    private readonly stream: string,
    private readonly status: ConnectorStatus,
    private readonly log: ConnectorLog,
    private readonly who: string,
    options: PublisherOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.stopAfterMs = options.stopAfterMs ?? 10_000;
    this.sub = nc.subscribe(`${this.inbox}.*`, { callback: (err, m) => (err ? this.failAll(err) : this.reply(m)) });
    this.timer = setInterval(() => this.sweep(), Math.max(50, Math.floor(this.timeoutMs / 4)));
    this.timer.unref();
  }

  /** In flight: published, not yet acknowledged. */
  get inFlight(): number {
    return this.pending.size;
  }

  /**
   * Publishes each payload with its message id; resolves once each is stored (or was already: a
   * duplicate), with the ones the server refused for good.
   */
  publish(payloads: readonly Uint8Array[], msgIds: readonly string[]): Promise<Refusal[]> {
    if (payloads.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      const batch: Batch = { remaining: payloads.length, refused: [], resolve, reject };
      const now = performance.now();
      for (let i = 0; i < payloads.length; i++) {
        const token = ++this.token;
        const entry: Entry = { payload: payloads[i]!, msgId: msgIds[i]!, batch, index: i, sentAt: now };
        this.pending.set(token, entry);
        this.send(token, entry);
      }
    });
  }

  /** Sends everything unacknowledged again at once (after a reconnection). */
  resendAll(): void {
    const now = performance.now();
    for (const [token, e] of this.pending) {
      e.sentAt = now;
      this.send(token, e);
    }
  }

  /** The run is ending: what is still unacknowledged `stopAfterMs` from now fails its batch instead of being sent again. */
  stop(): void {
    this.stoppedAt ??= performance.now();
  }

  close(): void {
    clearInterval(this.timer);
    if (!this.sub.isClosed()) this.sub.unsubscribe();
    this.failAll(new Error(`${this.who}: closed with ${this.pending.size} publishes unacknowledged`));
  }

  private send(token: number, e: Entry): void {
    const h = headers();
    h.set('Nats-Msg-Id', e.msgId);
    h.set('Nats-Expected-Stream', this.stream);
    try {
      this.nc.publish(this.subject, e.payload, { reply: `${this.inbox}.${token}`, headers: h });
    } catch {
      // Disconnected with a full buffer, or closing: the sweep sends it again.
    }
  }

  private reply(m: Msg): void {
    const token = Number(m.subject.slice(this.inbox.length + 1));
    const e = this.pending.get(token);
    if (e === undefined) return; // a late reply to a message already settled
    // No responders: no stream listens (yet) — a leader election, or a server starting.
    if (m.headers?.code === 503) {
      this.soon(e);
      return;
    }
    let ack: { error?: { code?: number; err_code?: number; description?: string } };
    try {
      ack = m.json();
    } catch {
      this.soon(e);
      return;
    }
    if (ack.error) {
      if (TRANSIENT_CODES.has(ack.error.code ?? 0) || TRANSIENT_CODES.has(ack.error.err_code ?? 0)) {
        this.soon(e);
        return;
      }
      const code = ack.error.err_code ?? ack.error.code;
      e.batch.refused.push({ index: e.index, message: ack.error.description ?? 'refused', ...(code !== undefined ? { code } : {}) });
    }
    this.pending.delete(token);
    if (--e.batch.remaining === 0) e.batch.resolve(e.batch.refused);
  }

  /** Try this one again within a quarter of the timeout. */
  private soon(e: Entry): void {
    e.sentAt = Math.min(e.sentAt, performance.now() - this.timeoutMs * 0.75);
  }

  private sweep(): void {
    if (this.pending.size === 0) return;
    const now = performance.now();
    if (this.stoppedAt !== undefined && now - this.stoppedAt >= this.stopAfterMs) {
      this.failAll(
        new Error(
          `${this.who}: stopping, and NATS has not acknowledged ${this.pending.size} publishes to '${this.subject}' within ${this.stopAfterMs / 1000} s (is the server away?); they count as not written`,
        ),
      );
      return;
    }
    let resent = 0;
    for (const [token, e] of this.pending) {
      if (now - e.sentAt < this.timeoutMs) continue;
      e.sentAt = now;
      this.send(token, e);
      resent++;
    }
    if (resent === 0) return;
    this.status.retries += resent;
    if (now - this.lastRetryLine >= 10_000) {
      this.lastRetryLine = now;
      this.log.warn(
        `${this.who}: ${resent} publishes to '${this.subject}' unacknowledged after ${this.timeoutMs / 1000} s; sending them again (same Nats-Msg-Id: the stream drops what it already has)`,
      );
    }
  }

  private failAll(err: Error): void {
    const batches = new Set<Batch>();
    for (const e of this.pending.values()) batches.add(e.batch);
    this.pending.clear();
    for (const b of batches) b.reject(err);
  }
}
