/**
 * Network sources and sinks (connectors) of a run: what each tells the log and the metrics about
 * its connection — lost, back, re-sent, dropped — counted in plain fields read at scrape time.
 */

/** One connector's connection and what it had to do about it. */
export class ConnectorStatus {
  /** True while it is connected to its server. */
  connected = false;
  /** Times the connection was lost. */
  disconnects = 0;
  /** Writes sent again because no acknowledgement came in time (or the server had no responder). */
  retries = 0;
  /** Messages delivered again that were already committed (or in flight), and were dropped. */
  redeliveriesDropped = 0;
  /** Messages dropped because the run could not keep up (core NATS has no flow control). */
  overflowDropped = 0;

  constructor(
    /** `source:<name>` or `sink:<name>`. */
    readonly name: string,
    /** The source or sink type (`nats`). */
    readonly type: string,
  ) {}
}

/** Where connectors write their log lines. */
export interface ConnectorLog {
  info(message: string): void;
  warn(message: string): void;
}

/** The connectors of a run, for the metrics, and their log. */
export class Connectors {
  constructor(
    readonly log: ConnectorLog,
    /** Every connector opened so far (the run's, shown by the metrics). */
    readonly list: ConnectorStatus[] = [],
  ) {}

  /** Registers a connector and returns its status to update. */
  open(name: string, type: string): ConnectorStatus {
    const status = new ConnectorStatus(name, type);
    this.list.push(status);
    return status;
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
