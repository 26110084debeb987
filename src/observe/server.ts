/**
 * The observing HTTP server of a run: `/metrics` (Prometheus text format), `/tap` (NDJSON), and the
 * health checks `/healthz` (the process is up) and `/readyz` (its sources are open and its durable
 * consumers caught up within a bound). It binds where it is told, 127.0.0.1 unless a host is named.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { urlOf, type ListenAddress } from './address.js';
import type { SanctumMetrics } from './metrics.js';
import type { ObservedStatus } from './observed.js';
import type { TapClientOptions, TapHub } from './tap.js';

export interface ServeOptions {
  readonly listen: ListenAddress;
  readonly metrics: SanctumMetrics;
  /** Without it `/tap` answers 404 (taps are turned off). */
  readonly taps?: TapHub;
  /** Shown at `/`. */
  readonly about?: Readonly<Record<string, unknown>>;
  /** Where the run is: without it `/readyz` answers as `/healthz` does. */
  readonly status?: () => Promise<ObservedStatus>;
  /** `/readyz` fails while a durable consumer is more than this many events behind. Default 10000. */
  readonly readyLag?: number;
}

export interface ObserveServer {
  /** `http://host:port`, with the port actually bound. */
  readonly url: string;
  readonly address: ListenAddress;
  /** Ends every tap, stops listening and waits for the connections to close (at most ~1 s). */
  close(): Promise<void>;
}

/** Milliseconds a connection may take to finish after close() before it is cut. */
const CLOSE_GRACE_MS = 1000;

/**
 * Starts the server. Rejects when it cannot listen (the address is in use, say).
 *
 * @example
 * const server = await serveObservatory({ listen: { host: '127.0.0.1', port: 0 }, metrics });
 * console.log(`${server.url}/metrics`);
 */
export async function serveObservatory(options: ServeOptions): Promise<ObserveServer> {
  const { metrics, taps } = options;
  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) json(res, 500, { error: e instanceof Error ? e.message : String(e) });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET') return json(res, 405, { error: 'only GET' });
    switch (url.pathname) {
      case '/metrics': {
        const body = await metrics.text();
        res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
        res.end(body);
        return;
      }
      case '/tap':
        return tap(url, res);
      case '/healthz':
        return json(res, 200, { status: 'up' });
      case '/readyz':
        return ready(res);
      case '/':
        return json(res, 200, {
          ...options.about,
          endpoints: {
            metrics: '/metrics',
            tap: taps ? '/tap?stream=NAME|spell=NAME[&sample=0.1][&limit=100][&buffer=1000]' : null,
            healthz: '/healthz',
            readyz: '/readyz',
          },
        });
      default:
        return json(res, 404, { error: `no such endpoint: ${url.pathname} (try /metrics, /tap, /healthz or /readyz)` });
    }
  }

  /** 200 when the run takes input and keeps up; 503 with the reasons otherwise. */
  async function ready(res: ServerResponse): Promise<void> {
    if (!options.status) return json(res, 200, { ready: true });
    const s = await options.status();
    const bound = options.readyLag ?? 10_000;
    const reasons: string[] = [];
    if (s.phase !== 'running') reasons.push(`the run is ${s.phase}`);
    for (const src of s.sources) if (src.state === 'starting') reasons.push(`source '${src.name}' is not open yet`);
    for (const l of s.lag) if (l.events > bound) reasons.push(`${l.consumer} is ${l.events} events behind (more than ${bound})`);
    json(res, reasons.length ? 503 : 200, {
      ready: reasons.length === 0,
      ...(reasons.length ? { reasons } : {}),
      phase: s.phase,
      sources: s.sources,
      lag: s.lag,
    });
  }

  function tap(url: URL, res: ServerResponse): void {
    if (!taps) {
      json(res, 404, { error: 'taps are turned off for this run (sanctum.metrics.tap: false)' });
      return;
    }
    const q = url.searchParams;
    const stream = q.get('stream');
    const spell = q.get('spell');
    const name = stream ?? spell ?? q.get('target');
    if (name === null) {
      json(res, 400, { error: 'say what to tap: /tap?stream=NAME or /tap?spell=NAME' });
      return;
    }
    const resolved = taps.resolve(name, stream !== null ? 'stream' : spell !== null ? 'spell' : undefined);
    if ('error' in resolved) {
      json(res, resolved.status, { error: resolved.error });
      return;
    }
    const opts = tapOptions(q);
    if ('error' in opts) {
      json(res, 400, { error: opts.error });
      return;
    }
    // A client that goes away mid-write is the tap's 'close', not a failure of the run.
    res.on('error', () => {});
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    // Headers now: the client knows the tap is attached before the first event.
    res.flushHeaders();
    taps.open(resolved.target, res, opts);
  }

  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      reject(
        new Error(`cannot serve metrics on ${options.listen.host}:${options.listen.port}: ${e.code === 'EADDRINUSE' ? 'the address is in use' : e.message}`, {
          cause: e,
        }),
      );
    };
    server.once('error', onError);
    server.listen(options.listen.port, options.listen.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const address = { host: options.listen.host, port: bound.port };
  let closing: Promise<void> | undefined;
  return {
    url: urlOf(address),
    address,
    close() {
      closing ??= new Promise<void>((resolve) => {
        taps?.closeAll('shutdown');
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS).unref();
      });
      return closing;
    },
  };
}

function tapOptions(q: URLSearchParams): TapClientOptions | { error: string } {
  const num = (key: string) => (q.get(key) === null ? undefined : Number(q.get(key)));
  const sample = num('sample');
  const limit = num('limit');
  const buffer = num('buffer');
  if (sample !== undefined && !(sample > 0 && sample <= 1)) return { error: `sample must be a number in (0, 1], got '${q.get('sample')}'` };
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) return { error: `limit must be a whole number of at least 1, got '${q.get('limit')}'` };
  if (buffer !== undefined && !(Number.isInteger(buffer) && buffer >= 1))
    return { error: `buffer must be a whole number of at least 1, got '${q.get('buffer')}'` };
  return { ...(sample !== undefined ? { sample } : {}), ...(limit !== undefined ? { limit } : {}), ...(buffer !== undefined ? { buffer } : {}) };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(`${JSON.stringify(body)}\n`);
}
