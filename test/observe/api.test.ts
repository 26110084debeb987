/** Observing a run from TypeScript, as docunomicon/observability.md shows: log, observatory, port 0. */
import { describe, expect, it } from 'vitest';
import { PassThrough, Writable } from 'node:stream';
import { createRunLog, loadRunesetOrThrow, openRuneset, startObservatory } from '../../src/index.js';
import { parseListen } from '../../src/observe/index.js';
import { tempDir } from '../helpers.js';
import { logLines, scrape, series, value } from './live-run.js';

describe('startObservatory', () => {
  it('serves the metrics of a run opened from code, on a free port of 127.0.0.1', async () => {
    const dir = tempDir({
      'double.lua': 'return { cast = function(e) if e.n < 0 then error("negative") end return { n = e.n * 2 } end }\n',
      'in.ndjson': '{"n":1}\n{"n":2}\n{"n":-1}\n',
      'r.yaml': `version: 1
streams: { input: {}, output: {} }
spells: { double: { file: double.lua } }
sources: { in: { type: file, path: in.ndjson, to: input } }
pipelines: { p: { from: input, steps: [double], to: output } }
sinks: { out: { type: file, path: out.ndjson, from: output } }
`,
    });
    let text = '';
    const logs = new Writable({
      write: (c: Buffer, _e, done) => {
        text += c.toString();
        done();
      },
    });
    const runeset = await loadRunesetOrThrow(`${dir}/r.yaml`);
    const log = createRunLog({ level: 'info', format: 'json', destination: logs });
    const opened = await openRuneset(runeset, { logger: log.spellLine, onDeadLetter: log.deadLetter });
    const observatory = await startObservatory(opened, { listen: '127.0.0.1:0' });
    try {
      expect(observatory.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const report = await opened.run({ stdio: { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough() } });
      expect(report.deadLetters).toBe(1);
      const samples = await scrape(observatory.url);
      expect(series(samples, 'sanctum_spell_events_in_total')).toEqual({ 'spell=double': 3 });
      expect(series(samples, 'sanctum_spell_dead_letters_total')).toEqual({ 'code=SPELL_RUNTIME,spell=double': 1 });
      expect(value(samples, 'sanctum_sink_events_total', { sink: 'out' })).toBe(2);
      // The first cast is always timed (then one in 16).
      expect(value(samples, 'sanctum_spell_cast_duration_seconds_count', { spell: 'double' })).toBe(1);
      const index = (await (await fetch(observatory.url)).json()) as { endpoints: { metrics: string } };
      expect(index.endpoints.metrics).toBe('/metrics');
      expect((await fetch(`${observatory.url}/nope`)).status).toBe(404);
    } finally {
      await observatory.close();
      log.close();
    }
    expect(opened.spells.get('double')!.probes.castTimer).toBeUndefined();
    expect(logLines(text)).toEqual([
      expect.objectContaining({
        level: 'warn',
        spell: 'double',
        code: 'SPELL_RUNTIME',
        stream: 'input',
        file: expect.stringMatching(/\/double\.lua$/),
        line: 1,
        msg: 'negative',
      }),
    ]);
  });

  it('says so when the address is taken', async () => {
    const run = {
      graph: {
        streamNames: [],
        appended: () => 0,
        deadLetters: 0,
        stream: () => {
          throw new Error('no');
        },
      },
      spells: new Map(),
    };
    const a = await startObservatory(run, { listen: '127.0.0.1:0', defaultMetrics: false });
    try {
      await expect(startObservatory(run, { listen: `127.0.0.1:${new URL(a.url).port}`, defaultMetrics: false })).rejects.toThrow(/the address is in use/);
    } finally {
      await a.close();
    }
  });
});

describe('parseListen', () => {
  it('binds 127.0.0.1 unless a host is named', () => {
    expect(parseListen('9598')).toEqual({ host: '127.0.0.1', port: 9598 });
    expect(parseListen(':0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseListen('0.0.0.0:9598')).toEqual({ host: '0.0.0.0', port: 9598 });
    expect(parseListen('[::1]:9598')).toEqual({ host: '::1', port: 9598 });
    expect(parseListen('localhost:70000')).toEqual({ error: "expected host:port, :port or port (such as 127.0.0.1:9598), got 'localhost:70000'" });
    expect(parseListen('http://x:1')).toHaveProperty('error');
  });
});
