/**
 * The `nats` sink: each event a message on `subject`. With `stream`, through JetStream: a batch is
 * acknowledged once the stream stored every message, and each message carries `Nats-Msg-Id` =
 * `<durable stream>:<sequence>` (over durable streams), so a batch written again after a crash is
 * dropped by the server as a duplicate within the stream's duplicate window. Without `stream`,
 * core NATS: a batch is acknowledged once the server has read it (a flush), and subscribers that
 * are not listening miss it.
 */
import { jetstreamManager, JetStreamApiError } from '@nats-io/jetstream';
import { nuid } from '@nats-io/transport-node';
import type { EventValue } from '../../core/event.js';
import { SanctumError } from '../../core/errors.js';
import type { RunesetNatsSink, RunesetSink } from '../../runes/runeset.js';
import { Connectors, sleep, type ConnectorLog, type ConnectorStatus } from '../connectors.js';
import type { SinkBatchMeta, SinkContext, SinkDestination, SinkWriteResult } from '../connector.js';
import { sinkConsumer } from '../positions.js';
import { linkNats, type NatsLink } from './connect.js';
import { JetStreamPublisher, type Refusal } from './publisher.js';

/** True when `subject` is one that `pattern` (with `*` and `>` wildcards) matches. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

/** The message id of the event at `seq` of the durable stream `stream`: the same in every run. */
export function natsMsgId(stream: string, seq: number): string {
  return `${stream}:${seq}`;
}

/** The sequence number of the batch's `i`th event. */
function seqOf(meta: SinkBatchMeta, i: number): number {
  return meta.seqs?.[i] ?? meta.firstSeq! + i;
}

interface Ready {
  readonly link: NatsLink;
  readonly publisher?: JetStreamPublisher;
}

const encoder = new TextEncoder();
/** Room kept under the server's max_payload for the headers of a message. */
const HEADER_ROOM = 512;

/** Opens a `nats` sink's destination: it connects at once, and its writes wait for the connection. */
export function natsDestination(sink: RunesetSink, ctx: SinkContext): SinkDestination {
  const s = sink as RunesetNatsSink;
  const connectors = ctx.connectors ?? new Connectors({ info: () => {}, warn: () => {} });
  const status = connectors.open(sinkConsumer(s.name), 'nats');
  const log = connectors.log;
  const who = `nats sink '${s.name}'`;
  // Ids of events from in-memory streams, which have no sequence numbers: unique to this run.
  const runId = nuid.next();
  let counter = 0;
  let unreachable = false;

  const ready: Promise<Ready> = (async () => {
    const link = await linkNats(s.connection, who, status, log, ctx.signal);
    if (link === undefined) {
      unreachable = true;
      throw new Error(`${who}: the run stopped before NATS at ${s.connection.servers.join(', ')} could be reached; nothing was published`);
    }
    if (s.stream === undefined) return { link };
    try {
      await checkStream(link, s, s.stream, who);
    } catch (e) {
      await link.close();
      throw e;
    }
    const publisher = new JetStreamPublisher(link.nc, s.subject, s.stream, status, log, who);
    link.onReconnect(() => publisher.resendAll());
    if (ctx.signal.aborted) publisher.stop();
    else ctx.signal.addEventListener('abort', () => publisher.stop(), { once: true });
    return { link, publisher };
  })();
  // A stream that is not there fails the run at once, not at the first event.
  ready.catch((e: unknown) => {
    if (!unreachable) ctx.onFailure(s.name, e as Error);
  });

  return {
    inFlight: 4,
    async write(events: readonly EventValue[], meta: SinkBatchMeta): Promise<SinkWriteResult | void> {
      const { link, publisher } = await ready;
      const max = Math.max(1024, (link.nc.info?.max_payload ?? 1024 * 1024) - HEADER_ROOM);
      const payloads: Uint8Array[] = [];
      const ids: string[] = [];
      const at: number[] = [];
      const refused: Refusal[] = [];
      const durable = meta.stream !== undefined && meta.firstSeq !== undefined;
      for (let i = 0; i < events.length; i++) {
        const payload = encoder.encode(JSON.stringify(events[i]));
        if (payload.length > max) {
          refused.push({ index: i, message: `the event is ${payload.length} bytes; the server takes at most ${max + HEADER_ROOM} (max_payload)` });
          continue;
        }
        payloads.push(payload);
        ids.push(durable ? natsMsgId(meta.stream!, seqOf(meta, i)) : `${runId}:${s.name}:${++counter}`);
        at.push(i);
      }
      if (publisher) {
        const r = await publisher.publish(payloads, ids);
        for (const x of r) refused.push({ ...x, index: at[x.index]! });
      } else await publishCore(link, s, payloads, status, log, who, ctx.signal);
      if (refused.length === 0) return;
      return {
        deadLetters: refused.map((r) => ({
          code: 'NATS_FAILED',
          sink: s.name,
          subject: s.subject,
          message: `${who}: NATS refused the event: ${r.message}`,
          ...(r.code !== undefined ? { nats_code: r.code } : {}),
          ...(durable ? { stream: meta.stream!, seq: seqOf(meta, r.index) } : {}),
          event: events[r.index]!,
        })),
      };
    },
    async close(): Promise<void> {
      let r: Ready;
      try {
        r = await ready;
      } catch {
        return;
      }
      r.publisher?.close();
      await r.link.close();
    },
  };
}

/** The stream must exist and capture the subject: else every publish would fail. */
async function checkStream(link: NatsLink, s: RunesetNatsSink, stream: string, who: string): Promise<void> {
  const jsm = await jetstreamManager(link.nc, { checkAPI: false });
  let subjects: string[];
  for (let attempt = 0; ; attempt++) {
    try {
      subjects = (await jsm.streams.info(stream)).config.subjects ?? [];
      break;
    } catch (e) {
      if (e instanceof JetStreamApiError && e.code === 10059) {
        throw new SanctumError(
          'NATS_STREAM_NOT_FOUND',
          `${who}: the JetStream stream '${stream}' does not exist on ${s.connection.servers.join(', ')}; create it (capturing '${s.subject}'), or fix sinks.${s.name}.stream`,
          { cause: e },
        );
      }
      if (e instanceof JetStreamApiError || attempt >= 30)
        throw new SanctumError('NATS_FAILED', `${who}: cannot read the JetStream stream '${stream}': ${(e as Error).message}`, { cause: e });
      await sleep(1000, new AbortController().signal);
    }
  }
  if (!subjects.some((p) => subjectMatches(p, s.subject))) {
    throw new SanctumError(
      'NATS_STREAM_NOT_FOUND',
      `${who}: the JetStream stream '${stream}' does not capture '${s.subject}' (its subjects: ${subjects.join(', ') || 'none'}); add the subject to the stream, or fix sinks.${s.name}.subject`,
    );
  }
}

/** Core NATS: publish, then a flush — the server has read them. Sent again while it does not answer. */
async function publishCore(
  link: NatsLink,
  s: RunesetNatsSink,
  payloads: readonly Uint8Array[],
  status: ConnectorStatus,
  log: ConnectorLog,
  who: string,
  signal: AbortSignal,
): Promise<void> {
  const started = performance.now();
  for (let attempt = 0; ; attempt++) {
    try {
      for (let i = 0; i < payloads.length; i++) link.nc.publish(s.subject, payloads[i]);
      await withTimeout(link.nc.flush(), 5000);
      return;
    } catch (e) {
      if (signal.aborted && performance.now() - started > 10_000)
        throw new Error(
          `${who}: stopping, and NATS has not taken ${payloads.length} messages for '${s.subject}' (is the server away?): ${(e as Error).message}`,
        );
      status.retries++;
      if (attempt === 0) log.warn(`${who}: NATS did not take ${payloads.length} messages for '${s.subject}' (${(e as Error).message}); sending them again`);
      await sleep(1000, new AbortController().signal);
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${ms / 1000} s`)), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}
