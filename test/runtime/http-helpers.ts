/** Real sockets for the HTTP connector tests: a recording receiver, a client, and a run opened in-process. */
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, Readable } from 'node:stream';
import { loadRunesetOrThrow, openRuneset, type OpenedRuneset, type RunReport } from '../../src/index.js';
import type { RunLogEntry } from '../../src/core/run-log.js';
import { tempDir, until } from '../helpers.js';

/** What a receiver got: one entry per request. */
export interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly lines: unknown[];
}

/** How the receiver answers request number `n` (from 0): a status, or `hang` (never answers). */
export type Answer = { status: number; body?: string; headers?: Record<string, string>; delayMs?: number } | 'hang';

export interface Receiver {
  readonly url: string;
  readonly got: Received[];
  /** Requests it answered 2xx. */
  readonly delivered: Received[];
  close(): Promise<void>;
}

/** A real HTTP server that records what it gets and answers as `answer` says (200 by default). */
export async function receiver(answer: (n: number, req: IncomingMessage) => Answer = () => ({ status: 200 })): Promise<Receiver> {
  const got: Received[] = [];
  const delivered: Received[] = [];
  const hanging: ServerResponse[] = [];
  let n = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const rec: Received = {
        headers: req.headers,
        body,
        lines: body
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => JSON.parse(l) as unknown),
      };
      got.push(rec);
      const a = answer(n++, req);
      if (a === 'hang') {
        hanging.push(res);
        return;
      }
      const send = () => {
        if (a.status >= 200 && a.status < 300) delivered.push(rec);
        res.writeHead(a.status, { 'content-type': 'text/plain', ...a.headers });
        res.end(a.body ?? '');
      };
      if (a.delayMs) setTimeout(send, a.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/in`,
    got,
    delivered,
    close: () =>
      new Promise<void>((resolve) => {
        for (const r of hanging) r.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface Answered {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly json: Record<string, unknown> | undefined;
}

/** POSTs a body with Node's own client; resolves with the answer (rejects on a connection error). */
export function post(url: string, body: string | Buffer, headers: Record<string, string> = {}, method = 'POST'): Promise<Answered> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { 'content-type': 'application/x-ndjson', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: Record<string, unknown> | undefined;
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** NDJSON of `n` events `{ i }` from `from`. */
export function ndjson(n: number, from = 0): string {
  let s = '';
  for (let i = 0; i < n; i++) s += `{"i":${from + i}}\n`;
  return s;
}

export interface LiveRun {
  readonly opened: OpenedRuneset;
  readonly dir: string;
  readonly logs: RunLogEntry[];
  /** What the run wrote on its stdout and stderr (sinks, unread dead letters). */
  readonly out: { stdout: string; stderr: string };
  /** The URL of the first http source, once it listens. */
  readonly url: string;
  /** Aborts the run and waits for its report. */
  stop(): Promise<RunReport>;
  readonly done: Promise<RunReport>;
}

export { until };

/** Opens `files['r.yaml']` in a temporary directory (or `dir`) and runs it until stopped. */
export async function startRun(files: Record<string, string>, dir = tempDir(files)): Promise<LiveRun> {
  const runeset = await loadRunesetOrThrow(`${dir}/r.yaml`);
  const opened = await openRuneset(runeset, { logger: () => {} });
  const stop = new AbortController();
  const logs: RunLogEntry[] = [];
  const out = { stdout: '', stderr: '' };
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (d) => (out.stdout += d));
  stderr.on('data', (d) => (out.stderr += d));
  const done = opened.run({ signal: stop.signal, log: (e) => logs.push(e), onWarning: () => {}, stdio: { stdin: Readable.from([]), stdout, stderr } });
  done.catch(() => {});
  const http = opened.sources.find((s) => s.type === 'http');
  if (http)
    await Promise.race([
      until(() => http.url !== undefined, 'the http source to listen'),
      done.then(() => Promise.reject(new Error('the run ended before its source listened'))),
    ]);
  return {
    opened,
    dir,
    logs,
    out,
    url: http?.url ?? '',
    done,
    stop: () => {
      stop.abort();
      return done;
    },
  };
}
