/**
 * The nats source and sink against a real nats-server (no mocks): JetStream in and out with
 * exactly-once into Sanctum and ids out, restarts, retention policies, core subjects, streams that
 * are missing, and a server that goes away and comes back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, RetentionPolicy, type JetStreamManager } from '@nats-io/jetstream';
import { loadRuneset } from '../../src/runes/index.js';
import { openRuneset, type OpenedRuneset, type RunReport } from '../../src/runtime/run.js';
import { SanctumMetrics } from '../../src/observe/index.js';
import { tempDir } from '../helpers.js';
import { Readable } from 'node:stream';
import { readNats } from '../../src/runtime/nats/source.js';
import { Connectors } from '../../src/runtime/connectors.js';
import { SourceStats, type SourceContext } from '../../src/runtime/sources.js';
import type { StreamGraph } from '../../src/runtime/graph.js';
import { startNatsServer, type NatsServer } from './server.js';

let server: NatsServer;
let nc: NatsConnection;
let jsm: JetStreamManager;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
  jsm = await jetstreamManager(nc);
}, 120_000);

afterAll(async () => {
  await nc?.close();
  await server?.dispose();
});

const double = `local s = {}
function s.cast(e, emit) emit({ id = e.id, twice = e.n * 2 }) end
return s
`;

/** Writes a runeset (and the spell) into a fresh directory; returns the runeset's path. */
function runesetFile(yaml: string): string {
  const dir = tempDir({ 'double.lua': double });
  const file = path.join(dir, 'r.yaml');
  writeFileSync(file, yaml);
  return file;
}

const pipeline = (source: string, sink: string, durable = true) => `version: 1
sanctum: { batch_size: 100, log_level: error }
streams:
  a: { durable: ${durable} }
  b: { durable: ${durable} }
  dead-letters: { durable: ${durable} }
spells:
  double: { file: double.lua }
sources:
  in: ${source}
sinks:
  out: ${sink}
  dead: { type: file, path: dead.ndjson, from: dead-letters }
pipelines:
  p: { from: a, steps: [double], to: b }
`;

interface Running {
  readonly opened: OpenedRuneset;
  readonly logs: string[];
  /** Stops the run and resolves with its report. */
  stop(): Promise<RunReport>;
  readonly done: Promise<RunReport>;
}

async function start(file: string): Promise<Running> {
  const { runeset, diagnostics } = await loadRuneset(file);
  if (!runeset) throw new Error(diagnostics.map((d) => d.message).join('\n'));
  const opened = await openRuneset(runeset, { logger: () => {} });
  const logs: string[] = [];
  const stop = new AbortController();
  const done = opened.run({ signal: stop.signal, onWarning: (m) => logs.push(`warn: ${m}`), onInfo: (m) => logs.push(`info: ${m}`) });
  return {
    opened,
    logs,
    done,
    stop: () => {
      stop.abort();
      return done;
    },
  };
}

/** Waits (polling, generously) until `check` holds. */
async function until(what: string, check: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function publish(subject: string, from: number, to: number, extra: string[] = []): Promise<void> {
  const js = jetstream(nc);
  const acks: Promise<unknown>[] = [];
  for (let i = from; i <= to; i++) acks.push(js.publish(subject, JSON.stringify({ id: i, n: i })));
  for (const text of extra) acks.push(js.publish(subject, text));
  await Promise.all(acks);
}

async function streamMessages(stream: string): Promise<{ data: { id: number; twice: number }[]; ids: string[] }> {
  const total = (await jsm.streams.info(stream)).state.messages;
  const consumer = await jetstream(nc).consumers.get(stream);
  const data: { id: number; twice: number }[] = [];
  const ids: string[] = [];
  while (data.length < total) {
    for await (const m of await consumer.fetch({ max_messages: Math.min(1000, total - data.length), expires: 5000 })) {
      data.push(m.json());
      ids.push(m.headers?.get('Nats-Msg-Id') ?? '');
    }
  }
  return { data, ids };
}

const count = async (stream: string) => (await jsm.streams.info(stream)).state.messages;

describe('nats source and sink over JetStream', () => {
  it('maps every input to one output, each with the id b:<seq>; an unreadable message is a dead letter', async () => {
    await jsm.streams.add({ name: 'IN1', subjects: ['in1'] });
    await jsm.streams.add({ name: 'OUT1', subjects: ['out1'] });
    await publish('in1', 1, 500, ['not json']);
    const file = runesetFile(
      pipeline(`{ type: nats, url: "${server.url}", stream: IN1, to: a }`, `{ type: nats, url: "${server.url}", stream: OUT1, subject: out1, from: b }`),
    );
    const r = await start(file);
    await until('500 outputs', async () => (await count('OUT1')) >= 500);
    const report = await r.stop();
    expect(report.read).toBe(500);
    expect(report.written['out']).toBe(500);
    const out = await streamMessages('OUT1');
    expect(out.data.map((e) => e.id)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(out.data.every((e) => e.twice === e.id * 2)).toBe(true);
    expect(out.ids).toEqual(Array.from({ length: 500 }, (_, i) => `b:${i + 1}`));
    expect(report.deadLetters).toBe(1);
    // Everything read was acknowledged: the durable consumer has nothing pending.
    const info = await jsm.consumers.info('IN1', 'sanctum-in');
    expect(info.ack_floor.stream_seq).toBe(501);
    expect(info.num_pending + info.num_ack_pending).toBe(0);
  });

  it('a restart reads only what came after the committed sequence, even when the consumer forgot its acknowledgements', async () => {
    await jsm.streams.add({ name: 'IN2', subjects: ['in2'] });
    await jsm.streams.add({ name: 'OUT2', subjects: ['out2'] });
    await publish('in2', 1, 300);
    const file = runesetFile(
      pipeline(`{ type: nats, url: "${server.url}", stream: IN2, to: a }`, `{ type: nats, url: "${server.url}", stream: OUT2, subject: out2, from: b }`),
    );
    let r = await start(file);
    await until('300 outputs', async () => (await count('OUT2')) >= 300);
    await r.stop();
    // The JetStream consumer is deleted (its acknowledgements with it): Sanctum's position is the truth.
    await jsm.consumers.delete('IN2', 'sanctum-in');
    await publish('in2', 301, 400);
    r = await start(file);
    await until('400 outputs', async () => (await count('OUT2')) >= 400);
    const report = await r.stop();
    expect(report.read).toBe(100);
    const out = await streamMessages('OUT2');
    expect(out.data.map((e) => e.id)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
  });

  it.each([
    ['an interest', RetentionPolicy.Interest],
    ['a work-queue', RetentionPolicy.Workqueue],
  ])('on %s stream, a restart keeps the messages that came while Sanctum was stopped', async (_name, retention) => {
    const tag = `R${retention}`;
    await jsm.streams.add({ name: `IN_${tag}`, subjects: [`in.${tag}`], retention });
    await jsm.streams.add({ name: `OUT_${tag}`, subjects: [`out.${tag}`] });
    const file = runesetFile(
      pipeline(
        `{ type: nats, url: "${server.url}", stream: IN_${tag}, to: a }`,
        `{ type: nats, url: "${server.url}", stream: OUT_${tag}, subject: out.${tag}, from: b }`,
      ),
    );
    let r = await start(file);
    await until('the durable consumer', async () => (await jsm.consumers.info(`IN_${tag}`, 'sanctum-in').catch(() => undefined)) !== undefined);
    await publish(`in.${tag}`, 1, 200);
    await until('200 outputs', async () => (await count(`OUT_${tag}`)) >= 200);
    await r.stop();
    await publish(`in.${tag}`, 201, 300);
    r = await start(file);
    await until('300 outputs', async () => (await count(`OUT_${tag}`)) >= 300, 30_000);
    const report = await r.stop();
    expect(report.read).toBe(100);
    // Acknowledged after the commit, so both policies have removed every message now.
    expect(await count(`IN_${tag}`)).toBe(0);
  });

  it('a stream that does not exist stops the run with NATS_STREAM_NOT_FOUND, for a source and for a sink', async () => {
    await jsm.streams.add({ name: 'IN3', subjects: ['in3'] });
    const r1 = await start(runesetFile(pipeline(`{ type: nats, url: "${server.url}", stream: NOPE, to: a }`, `{ type: stdout, from: b }`)));
    await expect(r1.done).rejects.toMatchObject({
      code: 'NATS_STREAM_NOT_FOUND',
      message: expect.stringContaining("the JetStream stream 'NOPE' does not exist"),
    });
    const r2 = await start(
      runesetFile(
        pipeline(`{ type: nats, url: "${server.url}", stream: IN3, to: a }`, `{ type: nats, url: "${server.url}", stream: IN3, subject: elsewhere, from: b }`),
      ),
    );
    await expect(r2.done).rejects.toMatchObject({ code: 'NATS_STREAM_NOT_FOUND', message: expect.stringContaining("does not capture 'elsewhere'") });
    const r3 = await start(runesetFile(pipeline(`{ type: nats, url: "${server.url}", stream: IN3, subject: elsewhere, to: a }`, `{ type: stdout, from: b }`)));
    await expect(r3.done).rejects.toMatchObject({
      code: 'NATS_FAILED',
      message: expect.stringContaining("nats source 'in': cannot set up the durable consumer 'sanctum-in' on 'IN3'"),
    });
  });

  it('an event the server will not take (over max_payload) is a dead letter; the others are published', async () => {
    await jsm.streams.add({ name: 'OUT5', subjects: ['out5'] });
    const dir = tempDir({
      'in.ndjson': `${[JSON.stringify({ id: 1, n: 1 }), JSON.stringify({ id: 2, n: 2, big: 'x'.repeat(1_100_000) }), JSON.stringify({ id: 3, n: 3 })].join('\n')}\n`,
      'r.yaml': `version: 1
sanctum: { log_level: error }
streams:
  a: { durable: true }
  dead-letters: { durable: true }
sources:
  in: { type: file, path: in.ndjson, to: a }
sinks:
  out: { type: nats, url: "${server.url}", stream: OUT5, subject: out5, from: a }
  dead: { type: file, path: dead.ndjson, from: dead-letters }
`,
    });
    const r = await start(path.join(dir, 'r.yaml'));
    // The dead letter is committed to the durable dead-letters stream, then written by the file sink
    // (a durable consumer); a stop leaves a sink's backlog to the next run, so wait for the file.
    const deadFile = path.join(dir, 'dead.ndjson');
    await until(
      '2 outputs and a dead letter in dead.ndjson',
      async () => (await count('OUT5')) >= 2 && existsSync(deadFile) && readFileSync(deadFile, 'utf8').endsWith('\n'),
    );
    const report = await r.stop();
    expect(report.written['out']).toBe(2);
    const dead = JSON.parse(readFileSync(path.join(dir, 'dead.ndjson'), 'utf8').trim()) as Record<string, unknown>;
    expect(dead).toMatchObject({
      code: 'NATS_FAILED',
      sink: 'out',
      subject: 'out5',
      stream: 'a',
      seq: 2,
      message: expect.stringContaining('the server takes at most'),
    });
    expect((await streamMessages('OUT5')).ids).toEqual(['a:1', 'a:3']);
  });
});

describe('nats source and sink over core subjects', () => {
  it('subscribes, maps and publishes; a subscriber of the output subject gets every event', async () => {
    const file = runesetFile(
      pipeline(`{ type: nats, url: "${server.url}", subject: "core.in.>", to: a }`, `{ type: nats, url: "${server.url}", subject: core.out, from: b }`, false),
    );
    const got: { id: number; twice: number }[] = [];
    const sub = nc.subscribe('core.out', { callback: (_e, m) => void got.push(m.json()) });
    const r = await start(file);
    // Core NATS keeps nothing for a subscriber that is not there yet: probe until it is.
    await until('the subscription', async () => {
      nc.publish('core.in.probe', JSON.stringify({ id: 0, n: 0 }));
      await nc.flush();
      return got.length > 0;
    });
    for (let i = 1; i <= 300; i++) nc.publish(`core.in.${i % 3}`, JSON.stringify({ id: i, n: i }));
    await nc.flush();
    await until('300 outputs', () => new Set(got.filter((e) => e.id > 0).map((e) => e.id)).size >= 300);
    await r.stop();
    sub.unsubscribe();
    expect(got.filter((e) => e.id > 0).map((e) => e.id)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
  });
});

describe('a core subscription faster than the run', () => {
  it('holds a bounded buffer and drops the excess, each drop counted and logged: nothing lost silently', async () => {
    // A stream that never has room: the subscription's buffer fills, then the excess is dropped.
    let written = 0;
    let flood = 0;
    const graph = {
      isDurable: () => false,
      isFull: () => true,
      room: () => new Promise<void>(() => {}),
      write: (_stream: string, batch: readonly { id: number }[]) => {
        written += batch.length;
        flood += batch.filter((e) => e.id > 0).length;
      },
    } as unknown as StreamGraph;
    const { runeset } = await loadRuneset(
      runesetFile(pipeline(`{ type: nats, url: "${server.url}", subject: flood, to: a }`, '{ type: stdout, from: b }', false)),
    );
    const logs: string[] = [];
    const stop = new AbortController();
    const connectors = new Connectors({ info: (m) => logs.push(`info: ${m}`), warn: (m) => logs.push(`warn: ${m}`) });
    const ctx: SourceContext = {
      graph,
      runeset: runeset!,
      stdin: Readable.from([]),
      signal: stop.signal,
      appender: undefined,
      position: async () => 0,
      onWarning: (m) => logs.push(`warn: ${m}`),
      onDeadLetter: () => {},
      connectors,
      stats: () => new SourceStats('in', 'nats'),
      log: (e) => logs.push(`${e.level}: ${e.message}`),
    };
    const reading = readNats(ctx, runeset!.sources['in']!);
    let probes = 0;
    await until('the subscription', async () => {
      probes++;
      nc.publish('flood', JSON.stringify({ id: 0 }));
      await nc.flush();
      return written > 0;
    });
    const status = connectors.list[0]!;
    const sent = 30_000;
    for (let i = 1; i <= sent; i++) nc.publish('flood', JSON.stringify({ id: i }));
    await nc.flush();
    const bound = 10_000;
    await until('the buffer full and the rest dropped', () => status.overflowDropped >= sent - bound);
    await nc.flush();
    stop.abort();
    const read = await reading;
    // What came before the stream was full, then the buffer (handed on at the end); the rest of the
    // flood was dropped and counted. Every message of the flood is one or the other.
    expect(read).toBe(written);
    expect(read).toBeLessThanOrEqual(bound + probes);
    expect(flood + status.overflowDropped).toBe(sent);
    expect(logs.join('\n')).toMatch(
      /warn: nats source 'in': the run is behind and 10000 messages already wait; dropped 1 message of 'flood' \(core NATS has no flow control/,
    );
  });
});

describe('a NATS server that goes away and comes back', () => {
  it('logs it, counts it, and loses nothing', async () => {
    await jsm.streams.add({ name: 'IN4', subjects: ['in4'] });
    await jsm.streams.add({ name: 'OUT4', subjects: ['out4'] });
    await publish('in4', 1, 200);
    const file = runesetFile(
      pipeline(`{ type: nats, url: "${server.url}", stream: IN4, to: a }`, `{ type: nats, url: "${server.url}", stream: OUT4, subject: out4, from: b }`),
    );
    const r = await start(file);
    const metrics = new SanctumMetrics(r.opened, { defaultMetrics: false });
    await until('200 outputs', async () => (await count('OUT4')) >= 200);
    await server.stop('SIGKILL');
    await until('the lost connection', () => r.opened.connectors.every((c) => !c.connected));
    const down = await metrics.text();
    expect(down).toMatch(/sanctum_connector_connected\{connector="source:in",type="nats"\} 0/);
    expect(down).toMatch(/sanctum_connector_disconnects_total\{connector="sink:out",type="nats"\} [1-9]/);
    expect(r.logs.join('\n')).toMatch(/warn: nats source 'in': lost the connection to NATS at 127\.0\.0\.1:\d+; reconnecting/);
    await server.start();
    await until('the connections back', () => r.opened.connectors.every((c) => c.connected), 60_000);
    expect(r.logs.join('\n')).toMatch(/info: nats sink 'out': reconnected to NATS/);
    await publish('in4', 201, 400);
    await until('400 outputs', async () => (await count('OUT4')) >= 400, 60_000);
    const report = await r.stop();
    expect(report.read).toBe(400);
    const out = await streamMessages('OUT4');
    expect(new Set(out.data.map((e) => e.id)).size).toBe(400);
    expect(out.data.length).toBe(400);
    expect(await metrics.text()).toMatch(/sanctum_connector_connected\{connector="sink:out",type="nats"\} 0/); // closed at the end
  }, 180_000);

  it('a run stopped while the server is away ends within seconds, and the next run publishes what was left, once', async () => {
    await jsm.streams.add({ name: 'OUT6', subjects: ['out6'] });
    const n = 150;
    const dir = tempDir({
      'in.ndjson': `${Array.from({ length: n }, (_, i) => JSON.stringify({ id: i + 1 })).join('\n')}\n`,
      'r.yaml': `version: 1
sanctum: { log_level: error }
streams:
  a: { durable: true }
sources:
  in: { type: file, path: in.ndjson, rate: 50, to: a }
sinks:
  out: { type: nats, url: "${server.url}", stream: OUT6, subject: out6, from: a }
`,
    });
    let r = await start(path.join(dir, 'r.yaml'));
    await until('some outputs', async () => (await count('OUT6')) >= 10);
    await server.stop('SIGKILL');
    const sink = r.opened.sinks.find((x) => x.name === 'out')!;
    await until(
      'the sink waiting for acknowledgements',
      () => r.opened.connectors.every((c) => !c.connected) && r.opened.graph.appended('a') > sink.written + 2,
    );
    const stopping = performance.now();
    await expect(r.stop()).rejects.toThrow(/nats sink 'out': stopping, and NATS has not acknowledged \d+ publishes to 'out6' within 10 s/);
    expect(performance.now() - stopping).toBeLessThan(30_000);
    await server.start();
    r = await start(path.join(dir, 'r.yaml'));
    await until('every output', async () => (await count('OUT6').catch(() => 0)) >= n, 60_000);
    await r.stop();
    const out = await streamMessages('OUT6');
    expect(out.data.map((e) => e.id)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(out.ids).toEqual(Array.from({ length: n }, (_, i) => `a:${i + 1}`));
  }, 180_000);
});
