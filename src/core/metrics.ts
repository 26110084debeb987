/** The metrics the durable path reports: an interface in the core, so storage need not know observe. */

/**
 * What the storage engine tells the metrics: call it once per commit (a batch), never per event.
 * `src/observe` implements it with Prometheus metrics; `NO_DURABLE_METRICS` does nothing.
 *
 * @example
 * const started = performance.now();
 * await log.append(stream, batch);
 * metrics.recordCommit(stream, (performance.now() - started) / 1000, batch.length);
 * metrics.setLag('totals', stream, log.head(stream) - consumer.position);
 */
export interface DurableMetrics {
  /** A durable commit of `batchSize` events to `stream` took `seconds`. */
  recordCommit(stream: string, seconds: number, batchSize: number): void;
  /** `consumer` (a pipeline) is `events` behind the head of `stream`. */
  setLag(consumer: string, stream: string, events: number): void;
}

/** The metrics of a run that collects none. */
export const NO_DURABLE_METRICS: DurableMetrics = Object.freeze({
  recordCommit() {},
  setLag() {},
});
