/** Observability: the run's log, its Prometheus metrics, live taps, and what `sanctum top` shows. */
export { DEFAULT_LISTEN, DEFAULT_URL, parseListen, urlOf } from './address.js';
export type { ListenAddress } from './address.js';
export { createLogger, createRunLog, resolveFormat } from './logger.js';
export type { Logger, LogFormat, LogLevel, LoggerOptions, RunLog, RunLogOptions, SpellLogLine, DeadLetterLine, LogDestination } from './logger.js';
export { RateLimiter } from './rate-limit.js';
export type { RateLimitOptions } from './rate-limit.js';
export {
  SanctumMetrics,
  BucketTimer,
  CAST_DURATION_BUCKETS,
  COMMIT_DURATION_BUCKETS,
  COMMIT_BATCH_BUCKETS,
  ACK_DURATION_BUCKETS,
  DEFAULT_CAST_SAMPLE,
} from './metrics.js';
export type { SanctumMetricsOptions, TapStats } from './metrics.js';
export { TapHub, TapClient, DEFAULT_TAP_BUFFER } from './tap.js';
export type { TapTarget, TapClientOptions, TapOutput, TapEnd, TapResolution } from './tap.js';
export { serveObservatory } from './server.js';
export type { ServeOptions, ObserveServer } from './server.js';
export { startObservatory } from './observatory.js';
export type { Observatory, ObservatoryOptions } from './observatory.js';
export { parsePromText } from './prom-text.js';
export type { PromSample } from './prom-text.js';
export { renderTop, scrapeOf, table, formatCount, formatRate, formatSize, formatSeconds } from './top.js';
export type { Scrape, RenderOptions } from './top.js';
export type {
  ObservedRun,
  ObservedSpell,
  ObservedGraph,
  ObservedSink,
  ObservedSource,
  ObservedStatus,
  ObservedConnector,
  ObservedSpellStats,
  ObservedCastTimer,
} from './observed.js';
