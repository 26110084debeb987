/** The metrics of sources, sinks and reloads: read from their counters at scrape time, in the Prometheus text format. */
import { describe, expect, it } from 'vitest';
import { Subject } from 'rxjs';
import { SanctumMetrics, type ObservedRun, type ObservedSource } from '../../src/observe/index.js';
import { parseExposition, series } from './live-run.js';

describe('connector metrics', () => {
  it('counts requests by status, events, acknowledgement latency, sink retries and dead letters, reloads', async () => {
    const source: ObservedSource = {
      name: 'web',
      type: 'http',
      events: 3000,
      answers: new Map([
        [200, 3],
        [400, 1],
        [429, 2],
      ]),
      probes: {},
    };
    const reloads = { ok: 2, failed: 1 };
    const run: ObservedRun = {
      graph: { streamNames: [], appended: () => 0, deadLetters: 0, stream: () => new Subject<never>() },
      spells: new Map(),
      sources: [source],
      sinks: [
        {
          name: 'books',
          written: 900,
          stats: {
            requests: new Map([
              ['200', 9],
              ['503', 4],
              ['timeout', 1],
            ]),
            retries: 5,
            deadLettered: 100,
          },
        },
      ],
      reloads,
    };
    const metrics = new SanctumMetrics(run, { defaultMetrics: false });
    source.probes.ackTimer!.record(0.003);
    source.probes.ackTimer!.record(0.03);
    const samples = await parseExposition(await metrics.text());
    expect(series(samples, 'sanctum_source_events_total')).toEqual({ 'source=web': 3000 });
    expect(series(samples, 'sanctum_source_requests_total')).toEqual({ 'source=web,status=200': 3, 'source=web,status=400': 1, 'source=web,status=429': 2 });
    expect(series(samples, 'sanctum_source_ack_duration_seconds_count')).toEqual({ 'source=web': 2 });
    expect(series(samples, 'sanctum_source_ack_duration_seconds_bucket')['le=0.005,source=web']).toBe(1);
    expect(series(samples, 'sanctum_source_ack_duration_seconds_bucket')['le=0.05,source=web']).toBe(2);
    expect(series(samples, 'sanctum_sink_requests_total')).toEqual({ 'sink=books,status=200': 9, 'sink=books,status=503': 4, 'sink=books,status=timeout': 1 });
    expect(series(samples, 'sanctum_sink_retries_total')).toEqual({ 'sink=books': 5 });
    expect(series(samples, 'sanctum_sink_dead_letters_total')).toEqual({ 'sink=books': 100 });
    expect(series(samples, 'sanctum_reloads_total')).toEqual({ 'result=ok': 2, 'result=failed': 1 });
    // Counters read at scrape time: a later scrape sees what happened since.
    reloads.failed++;
    expect(series(await parseExposition(await metrics.text()), 'sanctum_reloads_total')['result=failed']).toBe(2);
    metrics.detach();
    expect(source.probes.ackTimer).toBeUndefined();
  });
});
