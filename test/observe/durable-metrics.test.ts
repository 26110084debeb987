import { describe, it, expect } from 'vitest';
import { startRun, scrape, value, until } from './live-run.js';

const files = {
  'r.yaml': `version: 1
sanctum: { batch_size: 10 }
streams:
  in: { durable: true }
  out: { durable: true }
spells:
  id: { file: id.lua }
sources:
  stdin: { type: stdin, to: in }
pipelines:
  copy: { from: in, steps: [id], to: out }
`,
  'id.lua': 'local s = {}\nfunction s.cast(e)\n  if e.bad then error("bad one") end\n  return { v = e.v }\nend\nreturn s\n',
};

describe('metrics of durable streams', () => {
  it('reports commit latency and batch size per stream, consumer lag, and durable dead letters with their sequence', async () => {
    const run = await startRun(files);
    try {
      run.feed([...Array.from({ length: 25 }, (_, i) => ({ v: i })), { bad: true }]);
      await until(async () => value(await scrape(run.url), 'sanctum_stream_commit_batch_size_count', { stream: 'out' }) !== undefined, 'a commit of out');
      await until(async () => (value(await scrape(run.url), 'sanctum_stream_commit_batch_size_sum', { stream: 'in' }) ?? 0) >= 26, 'all of in committed');
      await until(async () => (value(await scrape(run.url), 'sanctum_stream_commit_batch_size_sum', { stream: 'out' }) ?? 0) >= 25, 'all of out committed');
      const m = await scrape(run.url);
      expect(value(m, 'sanctum_stream_commit_batch_size_sum', { stream: 'in' })).toBe(26);
      expect(value(m, 'sanctum_stream_commit_batch_size_sum', { stream: 'out' })).toBe(25);
      expect(value(m, 'sanctum_stream_commit_duration_seconds_count', { stream: 'out' })).toBeGreaterThan(0);
      expect(value(m, 'sanctum_consumer_lag_events', { consumer: 'pipeline:copy', stream: 'in' })).toBe(0);
      expect(value(m, 'sanctum_dead_letters_total')).toBe(1);
      expect(run.stderr).toMatch(/"pipeline":"copy".*"stream":"in"|"stream":"in".*"pipeline":"copy"/);
      expect(run.stderr).toMatch(/"sequence":26/);
    } finally {
      await run.stop();
    }
  }, 60_000);
});
