import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { Subject } from 'rxjs';
import { BIN, sanctum } from '../cli/run-cli.js';
import { TapHub, type ObservedRun, type ObservedSpell, type TapOutput } from '../../src/observe/index.js';
import type { EventValue } from '../../src/index.js';
import { scrape, startRun, until, value, type LiveRun } from './live-run.js';

const pass = `return { cast = function(e, emit) if e.copy then emit(e, "copies") end emit(e) end }\n`;
const runeset = (sink: string) => `version: 1
streams:
  input: {}
  output: {}
  copies: {}
spells:
  pass: { file: pass.lua }
sources:
  in: { type: stdin, to: input }
pipelines:
  main:
    from: input
    steps:
      - spell: pass
        ports: { copies: copies }
    to: output
sinks:
  out: ${sink}
`;

/** Reads a streaming NDJSON response to its end. */
async function readAll(res: Response): Promise<Record<string, unknown>[]> {
  const text = await res.text();
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('sanctum run --metrics: /tap', () => {
  let run: LiveRun;
  beforeAll(async () => {
    run = await startRun({ 'pass.lua': pass, 'r.yaml': runeset('{ type: stdout, from: [output, copies] }') });
  });
  afterAll(async () => {
    if (run.child.exitCode === null) await run.stop();
  });

  it('sends a sample of a stream, stops at the limit and says why', async () => {
    const res = await fetch(`${run.url}/tap?stream=input&sample=0.5&limit=20`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    const lines = readAll(res);
    run.feed(Array.from({ length: 1000 }, (_, i) => ({ i })));
    const got = await lines;
    const events = got.filter((l) => 'event' in l);
    expect(events).toHaveLength(20);
    for (const l of events) expect(l['stream']).toBe('input');
    const is = events.map((l) => (l['event'] as { i: number }).i);
    expect(is).toEqual([...is].sort((a, b) => a - b));
    // Sampled: 20 of the first events, not the first 20 (that would happen with odds 2^-20).
    expect(is.at(-1)).toBeGreaterThan(19);
    expect(got.at(-1)).toEqual({ end: 'limit', sent: 20, dropped: 0 });
    await until(() => run.stdout.split('\n').filter(Boolean).length >= 1000, 'the run to pass every event');
    const samples = await scrape(run.url);
    expect(value(samples, 'sanctum_tap_clients', { target: 'stream:input' })).toBe(0);
    expect(value(samples, 'sanctum_tap_events_sent_total', { target: 'stream:input' })).toBe(20);
    expect(value(samples, 'sanctum_tap_events_dropped_total', { target: 'stream:input' })).toBe(0);
  });

  it("taps a spell's outputs with their ports", async () => {
    const res = await fetch(`${run.url}/tap?spell=pass&limit=3`);
    const lines = readAll(res);
    run.feed([{ n: 1 }, { n: 2, copy: true }]);
    expect(await lines).toEqual([
      { spell: 'pass', port: 'out', event: { n: 1 } },
      { spell: 'pass', port: 'copies', event: { n: 2, copy: true } },
      { spell: 'pass', port: 'out', event: { n: 2, copy: true } },
      { end: 'limit', sent: 3, dropped: 0 },
    ]);
  });

  it('answers 404 with the names it knows, and 400 for bad options', async () => {
    const res = await fetch(`${run.url}/tap?target=nope`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: string }).error).toBe(
      "no stream or spell named 'nope' (streams: input, output, copies, dead-letters; spells: pass)",
    );
    const bad = await fetch(`${run.url}/tap?stream=input&sample=2`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toContain('sample must be a number in (0, 1]');
  });

  it('sanctum tap prints the events as NDJSON and stops at --limit', async () => {
    const child = spawn(process.execPath, [BIN, 'tap', 'output', '--url', run.url, '--limit', '5']);
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const code = new Promise<number | null>((resolve) => child.on('close', resolve));
    await until(async () => value(await scrape(run.url), 'sanctum_tap_clients', { target: 'stream:output' }) === 1, 'the tap to attach');
    run.feed(Array.from({ length: 10 }, (_, i) => ({ k: i })));
    expect(await code).toBe(0);
    expect(
      stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual([0, 1, 2, 3, 4].map((k) => ({ k })));
  });

  it('sanctum tap exits 2 on an unknown name', async () => {
    const r = await sanctum(['tap', 'nope', '--url', run.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("sanctum tap: no stream or spell named 'nope'");
  });
});

describe('a slow tap client', () => {
  it('does not block the pipeline: its events are dropped, counted and reported', async () => {
    const run = await startRun({ 'pass.lua': pass, 'r.yaml': runeset('{ type: file, path: out.ndjson, from: output }') });
    try {
      // A client that connects and then reads nothing.
      const res = await new Promise<http.IncomingMessage>((resolve) => http.get(`${run.url}/tap?stream=input&buffer=10`, resolve));
      res.pause();
      const N = 20_000;
      const pad = 'x'.repeat(1000);
      run.feed(Array.from({ length: N }, (_, i) => ({ i, pad })));
      // Every event goes through while the client reads nothing.
      await until(
        async () => value(await scrape(run.url), 'sanctum_stream_events_total', { stream: 'output' }) === N,
        'the pipeline to pass every event',
        20_000,
      );
      const samples = await scrape(run.url);
      const sent = value(samples, 'sanctum_tap_events_sent_total', { target: 'stream:input' })!;
      const dropped = value(samples, 'sanctum_tap_events_dropped_total', { target: 'stream:input' })!;
      expect(dropped).toBeGreaterThan(0);
      expect(sent + dropped).toBe(N);
      // Now it reads: it gets what was sent, then how many were dropped, then the end when the run stops.
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      const closed = new Promise((resolve) => res.on('close', resolve));
      res.resume();
      await until(() => body.includes('{"dropped":'), 'the client to catch up and be told of the drops');
      expect(await run.stop()).toBe(0);
      await closed;
      const lines = body
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, number>);
      const events = lines.filter((l) => 'event' in l);
      const notices = lines.filter((l) => 'dropped' in l && !('end' in l));
      expect(events).toHaveLength(sent);
      expect(notices.reduce((n, l) => n + l['dropped']!, 0)).toBe(dropped);
      expect(lines.at(-1)).toEqual({ end: 'completed', sent, dropped });
      expect(readFileSync(`${run.dir}/out.ndjson`, 'utf8').split('\n').filter(Boolean)).toHaveLength(N);
    } finally {
      if (run.child.exitCode === null) await run.stop();
    }
  }, 60_000);
});

describe('TapHub', () => {
  const subject = new Subject<EventValue>();
  const probes: ObservedSpell['probes'] = {};
  const spell: ObservedSpell = {
    name: 's',
    stats: { casts: 0, emitted: 0, emittedToPorts: new Map(), failedByCode: new Map(), deadLetteredByCode: new Map() },
    probes,
    memoryUsed: () => 0,
  };
  const run: ObservedRun = {
    graph: { streamNames: ['a', 's'], appended: () => 0, deadLetters: 0, stream: () => subject.asObservable() },
    spells: new Map([['s', spell]]),
  };
  const output = () => {
    const written: string[] = [];
    const out: TapOutput & { written: string[]; ended?: string } = {
      written,
      write: (c) => {
        written.push(c);
        return true;
      },
      end: (c) => {
        out.ended = c ?? '';
      },
      on: () => out,
    };
    return out;
  };

  it('subscribes only while a client taps, and unsets the spell probe after the last', () => {
    const hub = new TapHub(run);
    expect(subject.observed).toBe(false);
    const c1 = hub.open({ kind: 'stream', name: 'a' }, output());
    const c2 = hub.open({ kind: 'stream', name: 'a' }, output());
    expect(subject.observed).toBe(true);
    c1.end('shutdown');
    expect(subject.observed).toBe(true);
    c2.end('shutdown');
    expect(subject.observed).toBe(false);
    expect(probes.emitted).toBeUndefined();
    const c3 = hub.open({ kind: 'spell', name: 's' }, output());
    expect(probes.emitted).toBeTypeOf('function');
    c3.end('shutdown');
    expect(probes.emitted).toBeUndefined();
  });

  it('tells a stream and a spell of the same name apart only when asked', () => {
    const hub = new TapHub(run);
    expect(hub.resolve('s')).toEqual({ status: 400, error: "both a stream and a spell are named 's': say stream:s or spell:s" });
    expect(hub.resolve('spell:s')).toEqual({ target: { kind: 'spell', name: 's' } });
    expect(hub.resolve('s', 'stream')).toEqual({ target: { kind: 'stream', name: 's' } });
  });

  it('queues up to its buffer while the output is full, then drops and reports the count', () => {
    const hub = new TapHub(run);
    let full = true;
    let drain: () => void = () => {};
    const written: string[] = [];
    const out: TapOutput = {
      write: (c) => {
        written.push(c);
        return !full;
      },
      end: (c) => void written.push(c ?? ''),
      on: (event, fn) => {
        if (event === 'drain') drain = fn;
        return out;
      },
    };
    const client = hub.open({ kind: 'stream', name: 'a' }, out, { buffer: 2 });
    for (let i = 0; i < 6; i++) subject.next({ i });
    // One written (which filled the output), two queued, three dropped.
    expect(written).toEqual(['{"stream":"a","event":{"i":0}}\n']);
    expect([client.sent, client.dropped]).toEqual([3, 3]);
    full = false;
    drain();
    expect(written.slice(1)).toEqual(['{"stream":"a","event":{"i":1}}\n', '{"stream":"a","event":{"i":2}}\n', '{"dropped":3}\n']);
    subject.next({ i: 6 });
    expect(written.at(-1)).toBe('{"stream":"a","event":{"i":6}}\n');
    client.end('shutdown');
    expect(written.at(-1)).toBe('{"end":"shutdown","sent":4,"dropped":3}\n');
    expect(subject.observed).toBe(false);
  });
});
