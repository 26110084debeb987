/**
 * The `nats` source: a core NATS subscription, or a JetStream stream read by a durable consumer.
 *
 * Into a durable Sanctum stream, a JetStream source is exactly once: each batch commits with the
 * JetStream stream sequence it reached as the source's position (`source:<name>`, keyed by the
 * JetStream stream), and only then is acknowledged to NATS. At start the durable consumer is set
 * to begin right after the committed sequence, so messages come in stream order, and a message at
 * or below what was committed or handed on — a redelivery — is dropped (and counted).
 *
 * A core subscription keeps nothing: what is published while Sanctum is not subscribed is gone, and
 * when the run cannot keep up its buffer is bounded and the excess dropped, counted and logged.
 */
import {
  jetstreamManager,
  jetstream,
  AckPolicy,
  DeliverPolicy,
  RetentionPolicy,
  JetStreamApiError,
  type ConsumerConfig,
  type JsMsg,
  type JetStreamManager,
  type StreamInfo,
} from '@nats-io/jetstream';
import { nanos, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { DEAD_LETTERS, type EventValue } from '../../core/event.js';
import { SanctumError } from '../../core/errors.js';
import type { RunesetNatsSource, RunesetSource } from '../../runes/runeset.js';
import type { Batch } from '../graph.js';
import { parseLine } from '../ndjson.js';
import type { SourceContext } from '../connector.js';
import { sourceConsumer } from '../positions.js';
import { Connectors, sleep, type ConnectorLog, type ConnectorStatus } from '../connectors.js';
import { linkNats } from './connect.js';

/** How long NATS waits for an acknowledgement before it delivers a message again. */
const ACK_WAIT_MS = 60_000;
/** JetStream API calls at start (stream info, consumer set-up) try again this long on timeouts. */
const SETUP_RETRY_MS = 1000;
/** At most one overflow line this often. */
const OVERFLOW_LOG_MS = 10_000;

/** The source position's input key for a JetStream stream. */
export function jetStreamInput(stream: string): string {
  return `nats:${stream}`;
}

/** Reads a `nats` source until `ctx.signal` aborts; resolves with the events read. */
export async function readNats(ctx: SourceContext, source: RunesetSource): Promise<number> {
  const src = source as RunesetNatsSource;
  const connectors = ctx.connectors ?? new Connectors({ info: () => {}, warn: ctx.onWarning });
  const status = connectors.open(sourceConsumer(src.name), 'nats');
  const who = `nats source '${src.name}'`;
  const link = await linkNats(src.connection, who, status, connectors.log, ctx.signal);
  if (link === undefined) return 0;
  try {
    return src.stream !== undefined
      ? await readJetStream(ctx, src, src.stream, link.nc, status, connectors.log, who)
      : await readCore(ctx, src, link.nc, status, connectors.log, who);
  } finally {
    await link.close();
  }
}

/** Messages waiting to be handed on, and a way to wait for them. */
class Inbox<M> {
  items: M[] = [];
  failure: Error | undefined;
  private waiter: (() => void) | undefined;

  push(m: M): void {
    this.items.push(m);
    this.wake();
  }

  fail(e: Error): void {
    this.failure ??= e;
    this.wake();
  }

  wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** Resolves when there are messages, a failure, or `signal` aborted. */
  wait(signal: AbortSignal): Promise<void> {
    if (this.items.length > 0 || this.failure || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.waiter = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }

  take(max: number): M[] {
    if (this.items.length <= max) {
      const all = this.items;
      this.items = [];
      return all;
    }
    return this.items.splice(0, max);
  }
}

/** Resolves once `stream` has room, or `signal` aborted. */
function room(ctx: SourceContext, stream: string): Promise<void> {
  const { signal } = ctx;
  if (signal.aborted || !ctx.graph.isFull(stream)) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    void ctx.graph.room(stream).then(done);
  });
}

const decoder = new TextDecoder();

/** Turns message payloads into events, and unreadable ones into dead letters. */
function decode(src: RunesetNatsSource, data: Uint8Array, subject: string, seq: number | undefined, events: EventValue[], letters: EventValue[]): void {
  const text = decoder.decode(data);
  const parsed = parseLine(text);
  if ('error' in parsed) {
    letters.push({
      code: 'INPUT_INVALID_JSON',
      source: src.name,
      subject,
      ...(seq !== undefined ? { stream: src.stream!, seq } : {}),
      message: parsed.error,
      text,
    });
  } else events.push(parsed.value);
}

/** Hands a batch on: committed into a durable stream (with `position`), or written to an in-memory one. */
async function handOn(
  ctx: SourceContext,
  src: RunesetNatsSource,
  events: EventValue[],
  letters: EventValue[],
  position: { stream: string; seq: number; expected: number } | undefined,
): Promise<void> {
  const durable = ctx.appender !== undefined && ctx.graph.isDurable(src.to) ? ctx.appender : undefined;
  if (durable) {
    const writes: [string, Batch][] = [[src.to, events]];
    if (ctx.graph.isDurable(DEAD_LETTERS)) {
      writes.push([DEAD_LETTERS, letters]);
      for (const l of letters) ctx.onDeadLetter(l);
    } else deadLetters(ctx, letters);
    await durable.commitSource(position ? { name: sourceConsumer(src.name), ...position } : undefined, writes);
  } else {
    deadLetters(ctx, letters);
    if (events.length) ctx.graph.write(src.to, events);
  }
}

function deadLetters(ctx: SourceContext, letters: EventValue[]): void {
  if (letters.length === 0) return;
  for (const l of letters) ctx.onDeadLetter(l);
  ctx.graph.write(DEAD_LETTERS, letters);
}

async function readCore(
  ctx: SourceContext,
  src: RunesetNatsSource,
  nc: NatsConnection,
  status: ConnectorStatus,
  log: ConnectorLog,
  who: string,
): Promise<number> {
  const batch = ctx.runeset.sanctum.batch_size;
  // Core NATS cannot be slowed down: while the run is behind, messages wait here, up to a bound.
  const bound = Math.max(10_000, 4 * batch);
  const inbox = new Inbox<Msg>();
  let lastLine = -Infinity;
  let droppedSinceLine = 0;
  const sub = nc.subscribe(src.subject!, {
    ...(src.queue !== undefined ? { queue: src.queue } : {}),
    callback: (err, m) => {
      if (err) return inbox.fail(err);
      if (inbox.items.length >= bound) {
        status.overflowDropped++;
        droppedSinceLine++;
        const now = performance.now();
        if (now - lastLine >= OVERFLOW_LOG_MS) {
          log.warn(
            `${who}: the run is behind and ${bound} messages already wait; dropped ${droppedSinceLine} message${droppedSinceLine > 1 ? 's' : ''} of '${src.subject!}' (core NATS has no flow control; read a JetStream stream to lose none)`,
          );
          lastLine = now;
          droppedSinceLine = 0;
        }
        return;
      }
      inbox.push(m);
    },
  });
  let n = 0;
  try {
    for (;;) {
      await inbox.wait(ctx.signal);
      if (inbox.failure)
        throw new SanctumError('NATS_FAILED', `${who}: NATS refused the subscription to '${src.subject!}': ${inbox.failure.message}`, { cause: inbox.failure });
      if (ctx.signal.aborted) sub.unsubscribe();
      // What was received before the end is still handed on.
      while (inbox.items.length > 0) {
        const msgs = inbox.take(batch);
        const events: EventValue[] = [];
        const letters: EventValue[] = [];
        for (let i = 0; i < msgs.length; i++) decode(src, msgs[i]!.data, msgs[i]!.subject, undefined, events, letters);
        await handOn(ctx, src, events, letters, undefined);
        n += events.length;
        await room(ctx, src.to);
      }
      if (ctx.signal.aborted) return n;
    }
  } finally {
    if (!sub.isClosed()) sub.unsubscribe();
  }
}

/** True for failures of a JetStream API call that a later try may not have: timeouts, no responders, a lost connection. */
function transient(e: unknown): boolean {
  if (e instanceof JetStreamApiError || e instanceof SanctumError) return false;
  const name = (e as Error)?.name ?? '';
  const message = (e as Error)?.message ?? '';
  return (
    /Timeout|NoResponders|JetStreamNotEnabled|ConnectionError|Closed/i.test(name) || /timeout|no responders|not enabled|disconnect|connection/i.test(message)
  );
}

/** Runs a JetStream API call, trying again (and saying so) while it fails for a passing reason. */
async function retrying<T>(what: string, who: string, log: ConnectorLog, signal: AbortSignal, call: () => Promise<T>): Promise<T | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (e) {
      if (!transient(e) || signal.aborted) {
        if (signal.aborted) return undefined;
        throw e;
      }
      if (attempt === 1 || attempt % 30 === 0) log.warn(`${who}: ${what} failed (${(e as Error).message}); trying again`);
      await sleep(SETUP_RETRY_MS, signal);
    }
  }
}

async function deleteConsumer(jsm: JetStreamManager, stream: string, name: string): Promise<void> {
  try {
    await jsm.consumers.delete(stream, name);
  } catch (e) {
    if (!(e instanceof JetStreamApiError && e.code === 10014)) throw e; // 10014: consumer not found
  }
}

async function readJetStream(
  ctx: SourceContext,
  src: RunesetNatsSource,
  stream: string,
  nc: NatsConnection,
  status: ConnectorStatus,
  log: ConnectorLog,
  who: string,
): Promise<number> {
  const { signal } = ctx;
  const batch = ctx.runeset.sanctum.batch_size;
  const jsm = await jetstreamManager(nc, { checkAPI: false });
  let info: StreamInfo | undefined;
  try {
    info = await retrying('reading the stream info', who, log, signal, () => jsm.streams.info(stream));
  } catch (e) {
    if (e instanceof JetStreamApiError && e.code === 10059) {
      throw new SanctumError(
        'NATS_STREAM_NOT_FOUND',
        `${who}: the JetStream stream '${stream}' does not exist on ${src.connection.servers.join(', ')}; create it, or fix sources.${src.name}.stream`,
        { cause: e },
      );
    }
    throw new SanctumError('NATS_FAILED', `${who}: cannot read the JetStream stream '${stream}': ${(e as Error).message}`, { cause: e });
  }
  if (info === undefined) return 0;

  // Into a durable stream, where this source committed is the truth; into an in-memory one, where
  // its durable consumer acknowledged.
  const durable = ctx.appender !== undefined && ctx.graph.isDurable(src.to);
  const input = jetStreamInput(stream);
  let start: number;
  if (durable) start = (await ctx.position(sourceConsumer(src.name), input)) + 1;
  else {
    const existing = await jsm.consumers.info(stream, src.consumer).catch((e: unknown) => {
      if (e instanceof JetStreamApiError && e.code === 10014) return undefined;
      throw e;
    });
    start = existing ? existing.ack_floor.stream_seq + 1 : 1;
  }
  if (info.state.messages > 0 && info.state.first_seq > start && start > 1) {
    log.warn(
      `${who}: the stream '${stream}' no longer holds sequences ${start} to ${info.state.first_seq - 1} (its limits removed them before they were read); reading from ${info.state.first_seq}`,
    );
  }

  // The durable consumer begins right after the committed sequence, whatever it acknowledged
  // before: messages then come in stream order, so a position is enough to drop redeliveries.
  const retention = info.config.retention;
  const workqueue = retention === RetentionPolicy.Workqueue;
  const config: Partial<ConsumerConfig> = {
    durable_name: src.consumer,
    // One acknowledgement per batch (AckAll) — a work queue insists on one per message.
    ack_policy: workqueue ? AckPolicy.Explicit : AckPolicy.All,
    ack_wait: nanos(ACK_WAIT_MS),
    // What NATS hands over unacknowledged: the memory bound of this source.
    max_ack_pending: Math.max(1000, 4 * batch),
    ...(src.subject !== undefined ? { filter_subject: src.subject } : {}),
    // A work queue deletes what was acknowledged and accepts only "deliver all".
    ...(workqueue || start <= 1 ? { deliver_policy: DeliverPolicy.All } : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: start }),
  };
  const set = await retrying('setting up the durable consumer', who, log, signal, async () => {
    try {
      return await setUp();
    } catch (e) {
      if (e instanceof JetStreamApiError)
        throw new SanctumError('NATS_FAILED', `${who}: cannot set up the durable consumer '${src.consumer}' on '${stream}': ${e.message}`, { cause: e });
      throw e;
    }
  });
  if (!set) return 0;

  async function setUp(): Promise<boolean> {
    // On an interest stream, messages no consumer wants are deleted with the last consumer that
    // wanted them: a guard holds that interest while the consumer is made again.
    const guard = `${src.consumer}-restart`;
    const interest = retention === RetentionPolicy.Interest;
    if (interest) {
      await deleteConsumer(jsm, stream, guard);
      await jsm.consumers.add(stream, { ...config, durable_name: guard });
    }
    await deleteConsumer(jsm, stream, src.consumer);
    await jsm.consumers.add(stream, config);
    if (interest) await deleteConsumer(jsm, stream, guard);
    return true;
  }

  const consumer = await jetstream(nc).consumers.get(stream, src.consumer);
  const inbox = new Inbox<JsMsg>();
  const messages = await consumer.consume({ max_messages: Math.max(100, Math.min(batch, 1000) * 2), callback: (m) => inbox.push(m) });
  void (async () => {
    let lastMissed = -Infinity;
    for await (const s of messages.status()) {
      // Deleted under the run (by someone else): stop; a restart sets it up again. Not found for a
      // while (a server restarting) is waited out by the client, then counts as gone.
      if (s.type === 'consumer_deleted' || (s.type === 'consumer_not_found' && s.count >= 30)) {
        inbox.fail(
          new SanctumError(
            'NATS_FAILED',
            `${who}: the durable consumer '${src.consumer}' of '${stream}' is gone (${s.type.replace(/_/g, ' ')}); restart the run to set it up again`,
          ),
        );
      } else if (s.type === 'consumer_not_found' && s.count === 1) {
        log.warn(`${who}: the JetStream consumer '${src.consumer}' of '${stream}' is not found; asking again`);
      } else if (s.type === 'heartbeats_missed' && performance.now() - lastMissed > OVERFLOW_LOG_MS) {
        lastMissed = performance.now();
        log.warn(`${who}: no heartbeat from the JetStream consumer '${src.consumer}' (${s.count} missed); it asks again`);
      }
    }
  })();

  let handed = start - 1; // the highest sequence committed or handed on
  let committed = start - 1;
  let n = 0;
  try {
    for (;;) {
      await inbox.wait(signal);
      if (inbox.failure) throw inbox.failure;
      // Stopping: what is not committed stays unacknowledged, and comes again next run.
      if (signal.aborted) return n;
      const msgs = inbox.take(batch);
      const events: EventValue[] = [];
      const letters: EventValue[] = [];
      for (let i = 0; i < msgs.length; i++) {
        const m = msgs[i]!;
        const seq = m.seq;
        if (seq <= handed) {
          status.redeliveriesDropped++;
          continue;
        }
        handed = seq;
        decode(src, m.data, m.subject, seq, events, letters);
      }
      if (events.length > 0 || letters.length > 0 || handed > committed) {
        await handOn(ctx, src, events, letters, durable ? { stream: input, seq: handed, expected: committed } : undefined);
        committed = handed;
      }
      // Acknowledged only now that it is committed: a crash before this redelivers, and the
      // position drops it.
      if (workqueue) for (const m of msgs) m.ack();
      else msgs[msgs.length - 1]!.ack();
      n += events.length;
      await room(ctx, src.to);
    }
  } finally {
    await messages.close().catch(() => {});
  }
}
