/**
 * The `http` sink's destination: POSTs batches as NDJSON to a URL over kept-alive connections. A
 * POST that fails for a passing reason (a 5xx, 408 or 429 answer, a timeout, a connection error) is
 * sent again after an exponential, jittered wait; one refused for good (another 4xx) or out of
 * retries becomes dead letters, one per event, with the answer. Over durable streams each POST
 * carries its events' stream and sequence range (`Sanctum-Stream`, `Sanctum-First-Seq`,
 * `Sanctum-Last-Seq`, `Idempotency-Key`): line i of the body is event first+i, so a receiver drops
 * what a redelivery after a crash sends twice.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { ErrorCode } from '../core/errors.js';
import type { EventValue } from '../core/event.js';
import type { RunesetHttpSink } from '../runes/runeset.js';
import type { SinkBatchMeta, SinkContext, SinkDestination, SinkStats, SinkWriteResult } from './connector.js';
import { sleep } from './connectors.js';

/** Bytes of an answer kept for a dead letter or a log line. */
const ANSWER_KEPT = 2048;

/** The outcome of one POST. */
type Attempt =
  | { readonly ok: true }
  | { readonly ok: false; readonly retry: boolean; readonly status?: number; readonly answer?: string; readonly why: string; readonly retryAfterMs?: number };

/** A POST that was not delivered: its events become dead letters with this. */
interface Failure {
  readonly code: ErrorCode;
  readonly message: string;
  readonly status?: number;
  readonly answer?: string;
}

/** The error a durable sink's write rejects with when the run stops during a retry wait: nothing is committed, the batch is sent again by the next run. */
export class SinkStopped extends Error {
  override readonly name = 'AbortError';
}

/**
 * Opens an HTTP destination. `durable` says whether the sink is a durable consumer: then a stop
 * during retries leaves the batch to the next run (SinkStopped); otherwise (in memory) the run is
 * ending and what cannot be delivered now becomes dead letters.
 */
export function httpDestination(sink: RunesetHttpSink, ctx: SinkContext, durable: boolean): SinkDestination {
  const url = new URL(sink.url);
  const secure = url.protocol === 'https:';
  const agent = secure ? new HttpsAgent({ keepAlive: true, maxSockets: 2 }) : new HttpAgent({ keepAlive: true, maxSockets: 2 });
  const send = secure ? httpsRequest : httpRequest;
  // Where it posts, as dead letters and logs show it: never the credentials of the URL.
  const shown = `${url.origin}${url.pathname}`;
  const stats: SinkStats = { requests: new Map(), retries: 0, deadLettered: 0 };
  const base: Record<string, string> = { ...lowerKeys(sink.headers), 'content-type': 'application/x-ndjson', 'sanctum-sink': sink.name };
  if (sink.token !== undefined) base['authorization'] = `Bearer ${sink.token}`;

  const count = (key: string) => stats.requests.set(key, (stats.requests.get(key) ?? 0) + 1);

  /** One POST: resolves with what happened, never rejects. */
  const post = (body: Buffer, headers: Record<string, string>): Promise<Attempt> =>
    new Promise((resolve) => {
      let settled = false;
      const done = (a: Attempt) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(a);
      };
      const req = send(url, { method: 'POST', agent, headers: { ...headers, 'content-length': String(body.length) } }, (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        const kept: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < ANSWER_KEPT) kept.push(chunk.subarray(0, ANSWER_KEPT - size));
          size += chunk.length;
        });
        res.on('error', (e) => done({ ok: false, retry: true, why: `the answer broke off: ${e.message}` }));
        res.on('end', () => {
          count(String(status));
          if (status >= 200 && status < 300) return done({ ok: true });
          const answer = Buffer.concat(kept).toString('utf8');
          const retry = status >= 500 || status === 408 || status === 429;
          const after = retryAfter(res.headers['retry-after']);
          done({
            ok: false,
            retry,
            status,
            answer,
            why: `${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`,
            ...(after !== undefined ? { retryAfterMs: after } : {}),
          });
        });
      });
      const timer = setTimeout(() => {
        count('timeout');
        req.destroy(new Error(`no answer within ${sink.timeoutMs} ms`));
      }, sink.timeoutMs);
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (!settled && !/^no answer within/.test(e.message)) count('error');
        done({ ok: false, retry: true, why: e.code ? `${e.code}: ${e.message}` : e.message });
      });
      req.end(body);
    });

  /** POSTs a body until it is delivered, refused for good, or out of retries. */
  const deliver = async (body: Buffer, headers: Record<string, string>, range: string): Promise<Failure | undefined> => {
    for (let attempt = 0; ; attempt++) {
      const a = await post(body, headers);
      if (a.ok) return undefined;
      if (!a.retry) {
        return {
          code: 'SINK_REJECTED',
          message: `${shown} refused ${range} for good: ${a.why}${a.answer ? `: ${a.answer}` : ''}`,
          ...(a.status !== undefined ? { status: a.status } : {}),
          ...(a.answer !== undefined ? { answer: a.answer } : {}),
        };
      }
      const stopping = ctx.signal.aborted;
      if (stopping && durable) throw new SinkStopped(`sink '${sink.name}' stopped while retrying`);
      if (attempt >= sink.retries || stopping) {
        const why = stopping ? 'the run is stopping' : `${sink.retries} retries used up`;
        return {
          code: 'SINK_RETRIES_EXHAUSTED',
          message: `${shown} did not take ${range} (${why}); last: ${a.why}${a.answer ? `: ${a.answer}` : ''}`,
          ...(a.status !== undefined ? { status: a.status } : {}),
          ...(a.answer !== undefined ? { answer: a.answer } : {}),
        };
      }
      stats.retries++;
      const wait = Math.min(sink.maxBackoffMs, a.retryAfterMs ?? jittered(sink.backoffMs, attempt));
      ctx.log({
        level: 'warn',
        sink: sink.name,
        message: `http sink '${sink.name}': ${shown}: ${a.why}; retry ${attempt + 1} of ${sink.retries} in ${Math.round(wait)} ms`,
        fields: { ...(a.status !== undefined ? { status: a.status } : {}), attempt: attempt + 1 },
      });
      await sleep(wait, ctx.signal);
    }
  };

  return {
    inFlight: 1,
    stats,
    async write(events: readonly EventValue[], meta: SinkBatchMeta): Promise<SinkWriteResult | void> {
      let letters: EventValue[] | undefined;
      for (const part of parts(events, meta, sink.batchSize)) {
        const headers = { ...base };
        let range = `${part.events.length} events`;
        if (meta.stream !== undefined && part.first !== undefined) {
          const last = part.first + part.events.length - 1;
          headers['sanctum-stream'] = meta.stream;
          headers['sanctum-first-seq'] = String(part.first);
          headers['sanctum-last-seq'] = String(last);
          headers['idempotency-key'] = `${sink.name}/${meta.stream}/${part.first}-${last}`;
          range = `${meta.stream} ${part.first}..${last}`;
        }
        let body = '';
        for (let i = 0; i < part.events.length; i++) body += `${JSON.stringify(part.events[i])}\n`;
        const failure = await deliver(Buffer.from(body), headers, range);
        if (failure === undefined) continue;
        letters ??= [];
        for (let i = 0; i < part.events.length; i++) {
          letters.push({
            code: failure.code,
            sink: sink.name,
            url: shown,
            message: failure.message,
            ...(failure.status !== undefined ? { status: failure.status } : {}),
            ...(failure.answer !== undefined ? { response: failure.answer } : {}),
            ...(meta.stream !== undefined ? { stream: meta.stream } : {}),
            ...(part.first !== undefined ? { seq: part.first + i } : {}),
            event: part.events[i]!,
          });
        }
        stats.deadLettered += part.events.length;
        ctx.log({
          level: 'error',
          code: failure.code,
          sink: sink.name,
          message: `http sink '${sink.name}': ${failure.message}; its ${part.events.length} events are dead letters`,
          fields: { ...(failure.status !== undefined ? { status: failure.status } : {}), events: part.events.length },
        });
      }
      return letters ? { deadLetters: letters } : undefined;
    },
    async close() {
      agent.destroy();
    },
  };
}

/** A batch cut into POSTs of at most `max` events, each over consecutive sequence numbers (when it has them). */
function* parts(events: readonly EventValue[], meta: SinkBatchMeta, max: number): Generator<{ events: readonly EventValue[]; first?: number }> {
  const seqs = meta.seqs;
  if (seqs === undefined || seqs.length !== events.length) {
    if (events.length <= max) yield { events };
    else for (let i = 0; i < events.length; i += max) yield { events: events.slice(i, i + max) };
    return;
  }
  let start = 0;
  for (let i = 1; i <= events.length; i++) {
    if (i === events.length || i - start >= max || seqs[i] !== seqs[i - 1]! + 1) {
      yield { events: start === 0 && i === events.length ? events : events.slice(start, i), first: seqs[start]! };
      start = i;
    }
  }
}

/** The wait before retry `attempt` (from 0): base × 2^attempt, drawn between half and all of it. */
function jittered(base: number, attempt: number): number {
  const full = base * 2 ** Math.min(attempt, 30);
  return full / 2 + Math.random() * (full / 2);
}

/** `Retry-After` in ms: seconds, or an HTTP date. */
function retryAfter(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const s = Number(header);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function lowerKeys(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v;
  return out;
}
