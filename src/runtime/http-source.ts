/**
 * The `http` source: a server that takes events POSTed as NDJSON (or a JSON document) and answers
 * once they are in the stream — for a durable stream, once committed, with their sequence numbers.
 * Everything it holds is bounded: the body (`max_body`, 413), the requests in it at once (`queue`,
 * 503), the wait for room in a stream whose pipeline is behind (`max_wait`, 429), and the time a
 * client has to send its request (`timeout`, 408: slow clients cannot hold connections). A body
 * with a bad line is refused whole (400, naming the line): nothing of it is appended.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createHash, timingSafeEqual } from 'node:crypto';
import { urlOf } from '../core/address.js';
import { SanctumError, type ErrorCode } from '../core/errors.js';
import type { EventValue } from '../core/event.js';
import type { RunesetHttpSource, SourceFormat } from '../runes/runeset.js';
import { decodeDocument } from './formats.js';
import type { SourceContext } from './connector.js';
import { decodeNdjsonText, forEachLine } from './ndjson.js';

/** Seconds a client is told to wait (`Retry-After`) when the source is busy or stopping. */
const RETRY_AFTER_BUSY = 1;
const RETRY_AFTER_STOPPING = 5;
/** How long a stopping source lets its connections finish before it cuts them. */
const CLOSE_GRACE_MS = 2000;

/** An answer that is not a success: its status, its code, and what to say. */
interface Refusal {
  readonly status: number;
  readonly code: ErrorCode;
  readonly message: string;
  readonly line?: number;
  readonly retryAfter?: number;
  /** The body was not read: the connection closes after the answer. */
  readonly close?: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Serves the source until `ctx.signal` aborts; then it stops accepting (new requests are answered
 * 503), lets the requests in it finish, and resolves with the events it appended.
 */
export async function readHttp(ctx: SourceContext, src: RunesetHttpSource): Promise<number> {
  const stats = ctx.stats(src.name);
  const { graph } = ctx;
  const durable = ctx.appender !== undefined && graph.isDurable(src.to) ? new GroupCommit(ctx, src.to) : undefined;
  const expected = src.token === undefined ? undefined : digest(`Bearer ${src.token}`);
  const room = new Room(ctx, src.to);
  let inSource = 0;
  let stopping = false;
  let events = 0;
  let settle: (() => void) | undefined;

  const refuse = (res: ServerResponse, r: Refusal, started: number) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (r.retryAfter !== undefined) headers['retry-after'] = String(r.retryAfter);
    if (r.status === 401) headers['www-authenticate'] = 'Bearer';
    if (r.status === 405) headers['allow'] = 'POST';
    if (r.close || stopping) headers['connection'] = 'close';
    send(res, r.status, headers, { error: r.code, message: r.message, ...(r.line !== undefined ? { line: r.line } : {}) });
    stats.answered(r.status, (performance.now() - started) / 1000);
    ctx.log({
      level: 'warn',
      code: r.code,
      source: src.name,
      message: `http source '${src.name}': ${r.status}: ${r.message}`,
      fields: { status: r.status, ...(r.line !== undefined ? { line: r.line } : {}) },
    });
  };

  /** `expectsContinue`: the client waits for 100 Continue before it sends the body (Expect: 100-continue). */
  const handle = async (req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): Promise<void> => {
    const started = performance.now();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (path !== src.path)
      return refuse(res, { status: 404, code: 'INPUT_REFUSED', message: `no such path: ${path} (POST to ${src.path})`, close: true }, started);
    if (req.method !== 'POST')
      return refuse(
        res,
        { status: 405, code: 'INPUT_REFUSED', message: `${req.method ?? '?'} is not allowed: POST events to ${src.path}`, close: true },
        started,
      );
    if (expected !== undefined && !authorized(req.headers.authorization, expected)) {
      return refuse(
        res,
        { status: 401, code: 'SOURCE_UNAUTHORIZED', message: 'missing or wrong bearer token (Authorization: Bearer <token>)', close: true },
        started,
      );
    }
    if (stopping)
      return refuse(
        res,
        { status: 503, code: 'SOURCE_BUSY', message: 'the run is stopping; send it to the next one', retryAfter: RETRY_AFTER_STOPPING, close: true },
        started,
      );
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > src.maxBody) return refuse(res, tooLarge(declared, src.maxBody), started);
    if (inSource >= src.queue) {
      return refuse(
        res,
        {
          status: 503,
          code: 'SOURCE_BUSY',
          message: `${src.queue} requests are already in the source (queue); nothing of this one was appended`,
          retryAfter: RETRY_AFTER_BUSY,
          close: true,
        },
        started,
      );
    }
    inSource++;
    try {
      // Only now, past every refusal that needs no body: a refused client never sends it (and reads
      // the answer, rather than a connection cut under a body it is still sending).
      if (expectsContinue) res.writeContinue();
      const body = await readBody(req, src.maxBody);
      if (body === 'aborted') return; // the client went away: nothing to answer, nothing appended
      if (body === 'too-large') return refuse(res, tooLarge(undefined, src.maxBody), started);
      const decoded = decodeBody(body, formatOf(src.format, req.headers['content-type']), src.name, durable !== undefined);
      if ('refusal' in decoded) return refuse(res, decoded.refusal, started);
      const batch = decoded.events;
      if (!(await room.wait(src.maxWaitMs))) {
        return refuse(
          res,
          {
            status: 429,
            code: 'SOURCE_BUSY',
            message: `the pipeline reading '${src.to}' is behind (waited ${src.maxWaitMs} ms for room); nothing of this request was appended`,
            retryAfter: RETRY_AFTER_BUSY,
          },
          started,
        );
      }
      let answer: Record<string, unknown>;
      if (batch.length === 0) answer = { accepted: 0 };
      else if (durable) {
        const range = await durable.write(batch, decoded.texts);
        answer = { accepted: batch.length, stream: src.to, first: range.first, last: range.last };
      } else {
        graph.write(src.to, batch);
        answer = { accepted: batch.length };
      }
      events += batch.length;
      stats.events += batch.length;
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (stopping) headers['connection'] = 'close';
      send(res, 200, headers, answer);
      stats.answered(200, (performance.now() - started) / 1000);
    } finally {
      inSource--;
      if (inSource === 0) settle?.();
    }
  };

  const server = createServer(
    {
      requestTimeout: src.timeoutMs,
      headersTimeout: Math.min(src.timeoutMs, 10_000),
      // How often Node looks for requests past their time: often enough for short timeouts.
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(src.timeoutMs / 4))),
      keepAliveTimeout: 5000,
    },
    (req, res) => onRequest(req, res, false),
  );
  // Expect: 100-continue (curl sends it with a large body): answered by `handle`, not by Node at once.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => onRequest(req, res, true));
  function onRequest(req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): void {
    handle(req, res, expectsContinue).catch((e: unknown) => {
      // A failed commit: not acknowledged (and the run stops: the appender reported it). A commit
      // whose fsync failed may still be in the file: the client may send it again.
      if (!res.headersSent) {
        send(
          res,
          500,
          { 'content-type': 'application/json', connection: 'close' },
          { error: (e as { code?: string }).code ?? 'STORAGE_FAILED', message: `not acknowledged: ${(e as Error).message}` },
        );
        stats.answered(500, 0);
      } else res.destroy();
    });
  }
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const timeout = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    const status = timeout ? 408 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const code: ErrorCode = timeout ? 'INPUT_TIMEOUT' : 'INPUT_REFUSED';
    const message = timeout
      ? `a client took longer than ${src.timeoutMs} ms to send its request; disconnected`
      : `a malformed HTTP request (${err.code ?? err.message}); disconnected`;
    // A client that only opened a connection and went away is not worth a line.
    if (err.code !== 'ECONNRESET') {
      stats.answered(status, 0);
      ctx.log({ level: 'warn', code, source: src.name, message: `http source '${src.name}': ${status}: ${message}`, fields: { status } });
    }
    // As Node's own handler does: answer unless an answer has begun, then let the socket go.
    const current = (socket as Socket & { _httpMessage?: { _headerSent?: boolean } })._httpMessage;
    if (socket.writable && !current?._headerSent) {
      socket.end(
        `HTTP/1.1 ${status} ${timeout ? 'Request Timeout' : status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`,
      );
    }
    setTimeout(() => socket.destroy(), 1000).unref();
  });

  await listen(server, src);
  const address = server.address() as AddressInfo;
  stats.url = `${urlOf({ host: src.listen.host, port: address.port })}${src.path}`;
  stats.state = 'open';
  ctx.log({ level: 'info', source: src.name, message: `http source '${src.name}' listening on ${stats.url}`, fields: { url: stats.url } });

  await new Promise<void>((resolve) => {
    if (ctx.signal.aborted) return resolve();
    ctx.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  // Stop accepting: no new connection, and requests on open ones are answered 503. Those in the
  // source finish (appended and answered, or refused whole).
  stopping = true;
  stats.state = 'ended';
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  if (inSource > 0) await new Promise<void>((resolve) => (settle = resolve));
  server.closeIdleConnections();
  const cut = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
  await closed;
  clearTimeout(cut);
  durable?.close();
  return events;
}

/** Listens, or throws SOURCE_LISTEN_FAILED saying why. */
function listen(server: Server, src: RunesetHttpSource): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      const why =
        e.code === 'EADDRINUSE'
          ? 'the address is in use'
          : e.code === 'EACCES'
            ? 'not allowed (ports below 1024 need privileges)'
            : e.code === 'EADDRNOTAVAIL'
              ? 'no such address on this machine'
              : e.message;
      reject(
        new SanctumError('SOURCE_LISTEN_FAILED', `http source '${src.name}' cannot listen on ${src.listen.host}:${src.listen.port}: ${why}`, { cause: e }),
      );
    };
    server.once('error', onError);
    server.listen(src.listen.port, src.listen.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Answers with a JSON body of known length (no chunked framing). */
function send(res: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}

function tooLarge(declared: number | undefined, max: number): Refusal {
  const size = declared !== undefined ? `the body is ${declared} bytes, over` : 'the body is over';
  return {
    status: 413,
    code: 'INPUT_TOO_LARGE',
    message: `${size} the source's max_body of ${max} bytes; nothing of it was appended (send smaller requests)`,
    close: true,
  };
}

/** The format a request is read in: a JSON content type reads as a document, unless the format is `lines`. */
function formatOf(format: SourceFormat, contentType: string | undefined): SourceFormat {
  if (format !== 'ndjson' || contentType === undefined) return format;
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return type === 'application/json' ? 'json' : format;
}

/** Reads a body of at most `max` bytes. */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | 'too-large' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (r: Buffer | 'too-large' | 'aborted') => {
      if (done) return;
      done = true;
      req.off('data', onData);
      resolve(r);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        // Stop holding it: the answer says 413 and the connection closes.
        chunks.length = 0;
        req.pause();
        finish('too-large');
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => finish(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.once('error', () => finish('aborted'));
    req.once('close', () => {
      if (!req.complete) finish('aborted');
    });
  });
}

/**
 * A body as events, or the refusal that names what is wrong with it. `keepTexts`: with each NDJSON
 * event's line, for a durable stream to store (see ndjson.ts jsonText).
 */
function decodeBody(
  body: Buffer,
  format: SourceFormat,
  source: string,
  keepTexts: boolean,
): { events: EventValue[]; texts?: readonly (string | undefined)[] } | { refusal: Refusal } {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return { refusal: { status: 400, code: 'INPUT_INVALID_JSON', message: 'the body is not valid UTF-8; nothing of it was appended' } };
  }
  if (format === 'json') {
    if (text.trim() === '') return { events: [] };
    const doc = decodeDocument(text);
    if ('error' in doc) return { refusal: { status: 400, code: 'INPUT_INVALID_JSON', message: `${doc.error}; nothing of the body was appended` } };
    return { events: doc.events };
  }
  if (format === 'ndjson') {
    // The body came through the strict UTF-8 decoder above: no lone surrogate can be in it.
    const d = decodeNdjsonText(text, true, keepTexts);
    if ('error' in d)
      return { refusal: { status: 400, code: 'INPUT_INVALID_JSON', line: d.line, message: `line ${d.line}: ${d.error}; nothing of the body was appended` } };
    return d;
  }
  // `lines`: each line an event { message, source, line }, as the file source makes them; empty
  // lines are skipped, and no line is refused.
  const events: EventValue[] = [];
  forEachLine(text, (message, line) => {
    events.push({ message, source, line });
    return undefined;
  });
  return { events };
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Compares the Authorization header with the expected one in constant time (over digests, so lengths do not leak). */
function authorized(header: string | undefined, expected: Buffer): boolean {
  return header !== undefined && timingSafeEqual(digest(header), expected);
}

/**
 * Waiting for room in a stream, shared by the requests of a source: one waiter on the graph however
 * many requests wait (so a stalled pipeline does not pile up waiters), each request with its own
 * time limit.
 */
class Room {
  private shared: Promise<void> | undefined;
  constructor(
    private readonly ctx: SourceContext,
    private readonly stream: string,
  ) {}

  /** Resolves true once the stream has room, false after `ms` without. */
  async wait(ms: number): Promise<boolean> {
    const deadline = performance.now() + ms;
    while (this.ctx.graph.isFull(this.stream)) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      this.shared ??= this.ctx.graph.room(this.stream).then(() => {
        this.shared = undefined;
      });
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, left)));
      await Promise.race([this.shared, timedOut]);
      clearTimeout(timer);
    }
    return true;
  }
}

/**
 * Group commit of a source's requests into a durable stream: the requests read in one turn of the
 * event loop, and those that arrive while a commit is in flight, commit together — one fsync for
 * many requests — and each is answered with its own sequence numbers. (A commit blocks the thread
 * while it syncs, so a commit started at once would hold only the request that started it.)
 */
class GroupCommit {
  private waiting: {
    events: EventValue[];
    texts: readonly (string | undefined)[] | undefined;
    resolve: (r: { first: number; last: number }) => void;
    reject: (e: unknown) => void;
  }[] = [];
  private busy = false;
  private scheduled: NodeJS.Immediate | undefined;
  private closed = false;

  constructor(
    private readonly ctx: SourceContext,
    private readonly stream: string,
  ) {}

  /** Appends `events` (with their JSON texts as read, when there are) in the next group; resolves with their range once committed. */
  write(events: EventValue[], texts?: readonly (string | undefined)[]): Promise<{ first: number; last: number }> {
    if (this.closed) return Promise.reject(new SanctumError('SOURCE_BUSY', 'the source is closed'));
    return new Promise((resolve, reject) => {
      this.waiting.push({ events, texts, resolve, reject });
      this.schedule();
    });
  }

  /** Flushes after the I/O callbacks ready now have run (their requests join this commit). */
  private schedule(): void {
    if (this.busy || this.scheduled !== undefined) return;
    this.scheduled = setImmediate(() => {
      this.scheduled = undefined;
      this.flush();
    });
  }

  close(): void {
    this.closed = true;
  }

  private flush(): void {
    const group = this.waiting;
    this.waiting = [];
    this.busy = true;
    this.ctx
      .appender!.commitSource(
        undefined,
        group.map((w) => [this.stream, w.events, w.texts] as const),
      )
      .then(
        (result) => {
          // One range per non-empty write, in order (every write here has events).
          for (let i = 0; i < group.length; i++) {
            const r = result.appended[i]!;
            group[i]!.resolve({ first: r.first, last: r.last });
          }
        },
        (e: unknown) => {
          for (const w of group) w.reject(e);
        },
      )
      .finally(() => {
        this.busy = false;
        if (this.waiting.length > 0) this.schedule();
      });
  }
}
