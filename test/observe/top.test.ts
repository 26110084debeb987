import { describe, expect, it } from 'vitest';
import { Subject } from 'rxjs';
import {
  parsePromText,
  renderTop,
  SanctumMetrics,
  scrapeOf,
  formatCount,
  formatSeconds,
  type ObservedRun,
  type ObservedSpell,
} from '../../src/observe/index.js';
import { parseExposition } from './live-run.js';
import { first, second } from './fixtures.js';

describe('sanctum top', () => {
  it('renders streams, spells and sinks with rates from two scrapes', () => {
    const view = renderTop(scrapeOf(first, 10_000), scrapeOf(second, 12_000), { url: 'http://127.0.0.1:9598' });
    expect(view).toBe(
      [
        'sanctum top — http://127.0.0.1:9598',
        'cpu 80%  rss 100 MiB  event loop lag 2.1ms  dead letters 40',
        '',
        'STREAM        EVENTS  EVENTS/S  LAG  COMMIT',
        'orders          3000      1000    -       -',
        'enriched        2870       985   75   2.0ms',
        'dead-letters      40      15.0    -       -',
        '',
        'SPELL       IN  IN/S   OUT  OUT/S  ERRORS  ERR/S  DEAD   CAST  LUA MEM',
        'validate  3000  1000  2870    985      40   15.0    40  3.2µs   50 KiB',
        'enrich    2870   985  2920    985       0    0.0     0      -    2 MiB',
        '',
        'SINK     WRITTEN  EVENTS/S',
        'console     2950      1000',
        '',
      ].join('\n'),
    );
  });

  it('shows - for rates before a second scrape', () => {
    const view = renderTop(undefined, scrapeOf(first, 0));
    expect(view).toMatch(/^orders\s+1000\s+-\s+-\s+-$/m);
    expect(view).toMatch(/^validate\s+1000\s+-\s+900\s+-\s+10\s+-\s+10\s+16\.7µs\s+50 KiB$/m);
  });

  it('formats counts and durations compactly', () => {
    expect([formatCount(999), formatCount(123_456), formatCount(12_345_678), formatCount(undefined)]).toEqual(['999', '123.5k', '12.3M', '-']);
    expect([formatSeconds(0.0000042), formatSeconds(0.0123), formatSeconds(2)]).toEqual(['4.2µs', '12.3ms', '2.00s']);
  });
});

describe('parsePromText', () => {
  it('reads what a Prometheus parser reads from a real exposition', async () => {
    const subject = new Subject<never>();
    const spell: ObservedSpell = {
      name: 'enrich',
      stats: {
        casts: 5,
        emitted: 4,
        emittedToPorts: new Map([['alerts', 1]]),
        failedByCode: new Map([['SPELL_RUNTIME', 1]]),
        deadLetteredByCode: new Map([['SPELL_RUNTIME', 1]]),
      },
      probes: {},
      memoryUsed: () => 4096,
    };
    const run: ObservedRun = {
      graph: { streamNames: ['orders', 'dead-letters'], appended: (s) => s.length, deadLetters: 1, stream: () => subject },
      spells: new Map([['enrich', spell]]),
    };
    const metrics = new SanctumMetrics(run, { castSample: 1 });
    spell.probes.castTimer!.record(0.00002);
    metrics.recordCommit('orders', 0.003, 64);
    metrics.setLag('totals', 'orders', 12);
    const text = await metrics.text();
    const ours = parsePromText(text).filter((s) => !Number.isNaN(s.value));
    const theirs = await parseExposition(text);
    const key = (s: { name: string; labels: Record<string, string>; value: number }) =>
      `${s.name}${JSON.stringify(Object.entries(s.labels).sort())} ${s.value}`;
    expect(ours.map(key).sort()).toEqual(theirs.map(key).sort());
    expect(ours.find((s) => s.name === 'sanctum_stream_commit_batch_size_sum')).toEqual({
      name: 'sanctum_stream_commit_batch_size_sum',
      labels: { stream: 'orders' },
      value: 64,
    });
    expect(ours.find((s) => s.name === 'sanctum_consumer_lag_events')).toEqual({
      name: 'sanctum_consumer_lag_events',
      labels: { consumer: 'totals', stream: 'orders' },
      value: 12,
    });
    expect(ours.filter((s) => s.name === 'sanctum_spell_events_out_total')).toEqual([
      { name: 'sanctum_spell_events_out_total', labels: { spell: 'enrich', port: 'alerts' }, value: 1 },
      { name: 'sanctum_spell_events_out_total', labels: { spell: 'enrich', port: 'out' }, value: 3 },
    ]);
    metrics.detach();
    expect(spell.probes.castTimer).toBeUndefined();
  });

  it('unescapes label values and reads +Inf and NaN', () => {
    expect(parsePromText('m{a="x\\"y\\\\z\\n",b=""} +Inf\nn NaN 1700000000000\n# c\n')).toEqual([
      { name: 'm', labels: { a: 'x"y\\z\n', b: '' }, value: Infinity },
      { name: 'n', labels: {}, value: NaN },
    ]);
  });
});
