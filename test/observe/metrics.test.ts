import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sanctum } from '../cli/run-cli.js';
import { logLines, scrape, series, startRun, until, value, type LiveRun, type Sample } from './live-run.js';

const route = `local s = {}
function s.cast(e, emit)
  if e.kind == "alert" then emit(e, "alerts") return end
  if e.kind == "bad" then error("bad event " .. e.i) end
  if e.kind == "loop" then while true do end end
  if e.kind == "big" then local big = string.rep("x", 4 * 1024 * 1024) end
  if e.kind == "log" then
    print("hello", e.i)
    log.info("with fields", { i = e.i })
  end
  return e
end
return s
`;
const tag = `return { cast = function(e) e.tagged = true return e end }\n`;

const runeset = `version: 1
sanctum:
  metrics: { listen: "127.0.0.1:9", cast_sample: 1 }
streams:
  input: {}
  output: {}
  alerts: {}
  dead-letters: {}
spells:
  route: { file: route.lua, budget: { instructions: 100000, memory: 2MiB } }
  tag: { file: tag.lua }
sources:
  in: { type: stdin, to: input }
pipelines:
  main:
    from: input
    steps:
      - spell: route
        ports: { alerts: alerts }
      - tag
    to: output
sinks:
  out: { type: stdout, from: [output, alerts] }
`;

const events = [
  ...[1, 2, 3, 4, 5, 6].map((i) => ({ kind: 'ok', i })),
  { kind: 'log', i: 7 },
  { kind: 'log', i: 8 },
  ...[9, 10, 11].map((i) => ({ kind: 'alert', i })),
  { kind: 'bad', i: 12 },
  { kind: 'bad', i: 13 },
  { kind: 'loop', i: 14 },
  { kind: 'big', i: 15 },
];

describe('sanctum run --metrics', () => {
  let run: LiveRun;
  let samples: Sample[];
  let code: number | null;

  beforeAll(async () => {
    run = await startRun({ 'route.lua': route, 'tag.lua': tag, 'r.yaml': runeset });
    run.feed(events);
    await until(
      async () => value(await scrape(run.url), 'sanctum_stream_events_total', { stream: 'dead-letters' }) === 4 && run.stdout.split('\n').length > 11,
      'every event to go through',
    );
    samples = await scrape(run.url);
  });
  afterAll(async () => {
    if (run.child.exitCode === null) await run.stop();
  });

  it('binds 127.0.0.1 on the port the flag gives (0: a free one) and logs where', () => {
    expect(run.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(run.url).not.toBe('http://127.0.0.1:9');
    const line = logLines(run.stderr).find((l) => l['url'] === run.url)!;
    expect(line).toMatchObject({ level: 'info', metrics: `${run.url}/metrics`, tap: `${run.url}/tap` });
  });

  it('counts events in and out per spell and port', () => {
    expect(series(samples, 'sanctum_spell_events_in_total')).toEqual({ 'spell=route': 15, 'spell=tag': 8 });
    expect(series(samples, 'sanctum_spell_events_out_total')).toEqual({
      'port=alerts,spell=route': 3,
      'port=out,spell=route': 8,
      'port=out,spell=tag': 8,
    });
  });

  it('counts errors and dead letters by code, and budget and memory-cap hits', () => {
    const byCode = { 'code=SPELL_BUDGET_EXCEEDED,spell=route': 1, 'code=SPELL_MEMORY_EXCEEDED,spell=route': 1, 'code=SPELL_RUNTIME,spell=route': 2 };
    expect(series(samples, 'sanctum_spell_errors_total')).toEqual(byCode);
    expect(series(samples, 'sanctum_spell_dead_letters_total')).toEqual(byCode);
    expect(series(samples, 'sanctum_spell_budget_exceeded_total')).toEqual({ 'spell=route': 1, 'spell=tag': 0 });
    expect(series(samples, 'sanctum_spell_memory_exceeded_total')).toEqual({ 'spell=route': 1, 'spell=tag': 0 });
    expect(value(samples, 'sanctum_dead_letters_total')).toBe(4);
  });

  it('counts the events of every stream and sink', () => {
    expect(series(samples, 'sanctum_stream_events_total')).toEqual({ 'stream=input': 15, 'stream=output': 8, 'stream=alerts': 3, 'stream=dead-letters': 4 });
    expect(series(samples, 'sanctum_sink_events_total')).toEqual({ 'sink=out': 11, 'sink=stderr (dead-letters)': 4 });
  });

  it('times every cast when cast_sample is 1, as a histogram in seconds', () => {
    expect(value(samples, 'sanctum_spell_cast_duration_seconds_count', { spell: 'route' })).toBe(15);
    expect(value(samples, 'sanctum_spell_cast_duration_seconds_count', { spell: 'tag' })).toBe(8);
    const le = (s: Sample) => (s.labels['le'] === '+Inf' ? Infinity : Number(s.labels['le']));
    const buckets = samples
      .filter((s) => s.name === 'sanctum_spell_cast_duration_seconds_bucket' && s.labels['spell'] === 'route')
      .sort((a, b) => le(a) - le(b));
    expect(buckets.map((b) => b.labels['le'])).toEqual([
      '0.000005',
      '0.00001',
      '0.000025',
      '0.00005',
      '0.0001',
      '0.00025',
      '0.0005',
      '0.001',
      '0.0025',
      '0.005',
      '0.01',
      '0.025',
      '0.05',
      '0.1',
      '0.25',
      '1',
      '+Inf',
    ]);
    expect(buckets.at(-1)!.labels['le']).toBe('+Inf');
    expect(buckets.at(-1)!.value).toBe(15);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
    expect(value(samples, 'sanctum_spell_cast_duration_seconds_sum', { spell: 'route' })).toBeGreaterThan(0);
    expect(samples.find((s) => s.name === 'sanctum_spell_cast_duration_seconds_count')!.type).toBe('histogram');
  });

  it('reports the Lua memory in use and the process metrics', () => {
    expect(value(samples, 'sanctum_spell_lua_memory_bytes', { spell: 'route' })).toBeGreaterThan(1000);
    expect(value(samples, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(value(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(samples.some((s) => s.name.startsWith('nodejs_eventloop_lag'))).toBe(true);
  });

  it('sends spell log lines through the log, with the spell, file and line', () => {
    const lines = logLines(run.stderr);
    expect(lines.filter((l) => l['msg'] === 'hello\t7' || l['msg'] === 'hello\t8')).toEqual([
      expect.objectContaining({ level: 'info', spell: 'route', file: 'route.lua', line: 8 }),
      expect.objectContaining({ level: 'info', spell: 'route', file: 'route.lua', line: 8 }),
    ]);
    expect(lines.find((l) => l['msg'] === 'with fields')).toMatchObject({ level: 'info', spell: 'route', file: 'route.lua', line: 9, fields: { i: 7 } });
    for (const l of lines) expect(typeof l['time']).toBe('string');
  });

  it('logs each dead letter with its file, line, traceback, stream and a sequence field', () => {
    const dead = logLines(run.stderr).filter((l) => l['code'] === 'SPELL_RUNTIME');
    expect(dead).toHaveLength(2);
    expect(dead[0]).toMatchObject({
      level: 'warn',
      spell: 'route',
      pipeline: 'main',
      stream: 'input',
      sequence: null,
      hook: 'cast',
      file: 'route.lua',
      line: 4,
      msg: 'bad event 12',
    });
    expect(dead[0]!['traceback']).toContain('route.lua:4');
    expect(logLines(run.stderr).find((l) => l['code'] === 'SPELL_BUDGET_EXCEEDED')).toMatchObject({ level: 'warn', spell: 'route', stream: 'input' });
  });

  it('sanctum top --once prints the streams and spells with their counts', async () => {
    const r = await sanctum(['top', '--once', '--url', run.url, '--interval', '0.2']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^STREAM\s+EVENTS\s+EVENTS\/S\s+LAG\s+COMMIT$/m);
    expect(r.stdout).toMatch(/^input\s+15\s+0\.0\s+-\s+-$/m);
    expect(r.stdout).toMatch(/^dead-letters\s+4\s/m);
    expect(r.stdout).toMatch(/^route\s+15\s+0\.0\s+11\s+0\.0\s+4\s+0\.0\s+4\s/m);
    expect(r.stdout).toMatch(/^out\s+11\s+0\.0$/m);
  });

  it('stops on SIGTERM, closes the server and exits 0', async () => {
    code = await run.stop();
    expect(code).toBe(0);
    expect(run.stderr).toContain('sanctum: stopped: 15 events read');
    await expect(fetch(`${run.url}/metrics`)).rejects.toThrow();
  });
});

describe('sanctum top without a run', () => {
  it('says it cannot read the metrics and exits 2', async () => {
    const r = await sanctum(['top', '--once', '--url', 'http://127.0.0.1:9']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot read http://127.0.0.1:9/metrics');
  });
});
