/** Observing a run: its metrics, its taps and the HTTP server that serves both, started together. */
import { parseListen, type ListenAddress } from './address.js';
import { SanctumMetrics } from './metrics.js';
import type { ObservedRun } from './observed.js';
import { serveObservatory } from './server.js';
import { TapHub } from './tap.js';

export interface ObservatoryOptions {
  /** `host:port`, `:port` or `port` (127.0.0.1 unless a host is named); port 0 picks a free one. */
  readonly listen: string | ListenAddress;
  /** Time one cast in this many. Default 16. */
  readonly castSample?: number;
  /** Serve `/tap`. Default true. */
  readonly tap?: boolean;
  /** Node's process metrics. Default true. */
  readonly defaultMetrics?: boolean;
  /** Shown at `/`. */
  readonly about?: Readonly<Record<string, unknown>>;
  /** `/readyz` fails while a durable consumer is more than this many events behind. Default 10000. */
  readonly readyLag?: number;
}

export interface Observatory {
  /** `http://host:port` as bound. */
  readonly url: string;
  readonly metrics: SanctumMetrics;
  readonly taps: TapHub | undefined;
  /** Ends the taps, stops the server and the cast timers. */
  close(): Promise<void>;
}

/**
 * Starts observing an opened runeset (before or while it runs).
 *
 * @example
 * const opened = await openRuneset(runeset);
 * const observatory = await startObservatory(opened, { listen: '127.0.0.1:0' });
 * console.log(`metrics at ${observatory.url}/metrics`);
 * await opened.run();
 * await observatory.close();
 */
export async function startObservatory(run: ObservedRun, options: ObservatoryOptions): Promise<Observatory> {
  const listen = typeof options.listen === 'string' ? parseListen(options.listen) : options.listen;
  if ('error' in listen) throw new Error(`metrics: ${listen.error}`);
  const taps = options.tap === false ? undefined : new TapHub(run);
  const metrics = new SanctumMetrics(run, {
    ...(options.castSample !== undefined ? { castSample: options.castSample } : {}),
    ...(options.defaultMetrics !== undefined ? { defaultMetrics: options.defaultMetrics } : {}),
    ...(taps ? { taps: () => taps.stats() } : {}),
  });
  let server;
  try {
    server = await serveObservatory({
      listen,
      metrics,
      ...(taps ? { taps } : {}),
      ...(options.about ? { about: options.about } : {}),
      ...(run.status ? { status: () => run.status!() } : {}),
      ...(options.readyLag !== undefined ? { readyLag: options.readyLag } : {}),
    });
  } catch (e) {
    metrics.detach();
    throw e;
  }
  const srv = server;
  return {
    url: srv.url,
    metrics,
    taps,
    async close() {
      await srv.close();
      metrics.detach();
    },
  };
}
