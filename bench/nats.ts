/**
 * NATS in → a spell → NATS out, against a plain Node subscriber→publisher doing the same map
 * ({id, n} → {id, twice = n * 2}), in one process on one nats-server (JetStream on, loopback), so
 * that the ratios hold on a noisy machine. Each row is the median of several runs after a warm-up;
 * each run starts with its input backlog in place and ends when the output holds every event
 * (checked: every id once, mapped right).
 *
 *   npm run bench:nats -- [--runs 3] [--events 50000] [--json]
 *
 * JetStream (a backlog in a stream, out to another stream, every message acknowledged):
 * (j0) plain Node with the stock client: a durable consumer, `js.publish` 256 in flight, the input
 *      acknowledged once its batch's publishes are (what one writes with the official client)
 * (j1) plain Node with a raw pipelined publish (one reply inbox, 4096 in flight): the ceiling
 * (j2) Sanctum, exactly once: nats source → durable stream → spell → durable stream → nats sink
 * (j3) Sanctum over in-memory streams: nats source → spell → nats sink
 * Core NATS (a producer publishing in windows of 10,000 it waits to see out):
 * (c0) plain Node: subscribe, map, publish
 * (c1) Sanctum: nats source → spell → nats sink, in-memory streams
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { connect, createInbox, headers } from '@nats-io/transport-node';
import { AckPolicy, jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { loadRunesetOrThrow } from '../src/runes/index.js';
import { openRuneset } from '../src/runtime/run.js';
import { startNatsServer } from '../test/nats/server.js';
import { flag, machineInfo, option as optionOf } from './options.js';

const option = (name: string, fallback: number) => optionOf('bench/nats', name, fallback);
const RUNS = option('runs', 3);
const N = option('events', 50_000);
const JSON_OUT = flag('json');
const WINDOW = 10_000;

const loadAtStart = loadavg()[0]!;
const started = performance.now();
const work = mkdtempSync(path.join(tmpdir(), 'sanctum-bench-nats-'));
const server = await startNatsServer();
const nc = await connect({ servers: server.url });
const jsm = await jetstreamManager(nc);
const js = jetstream(nc);
const encoder = new TextEncoder();
let runNo = 0;

const SPELL = `local s = {}
function s.cast(e, emit) emit({ id = e.id, twice = e.n * 2 }) end
return s
`;

interface Row {
  id: string;
  label: string;
  rate: number;
  runs: number[];
  ok: boolean;
}
const rows: Row[] = [];
const failures: string[] = [];
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Runs `once` after a warm-up, RUNS times; the row's rate is the median. */
async function measure(id: string, label: string, once: () => Promise<{ ms: number; check?: string }>): Promise<void> {
  if (!JSON_OUT) process.stderr.write(`  running ${id} ${label}\n`);
  await once();
  const rates: number[] = [];
  let problem: string | undefined;
  for (let r = 0; r < RUNS; r++) {
    const { ms, check } = await once();
    rates.push((N / ms) * 1000);
    problem ??= check;
  }
  if (problem) failures.push(`${id}: ${problem}`);
  rows.push({ id, label, rate: median(rates), runs: rates, ok: problem === undefined });
}

/** A fresh input stream with the backlog, and an empty output stream. */
async function streams(): Promise<{ tag: string }> {
  const tag = `r${++runNo}`;
  await jsm.streams.add({ name: `IN_${tag}`, subjects: [`in.${tag}`] });
  await jsm.streams.add({ name: `OUT_${tag}`, subjects: [`out.${tag}`] });
  const inbox = createInbox();
  let acked = 0;
  let wake: (() => void) | undefined;
  const sub = nc.subscribe(`${inbox}.*`, {
    callback: () => {
      ++acked;
      wake?.();
    },
  });
  for (let i = 1; i <= N; i++) {
    nc.publish(`in.${tag}`, encoder.encode(JSON.stringify({ id: i, n: i })), { reply: `${inbox}.${i}` });
    if (i - acked > 4096) await new Promise<void>((r) => (wake = r));
  }
  while (acked < N) await new Promise<void>((r) => (wake = r));
  sub.unsubscribe();
  return { tag };
}

async function dropStreams(tag: string): Promise<void> {
  await jsm.streams.delete(`IN_${tag}`);
  await jsm.streams.delete(`OUT_${tag}`);
}

/** Waits until the output stream holds N messages, then checks them. */
async function outputComplete(tag: string, t0: number): Promise<{ ms: number; check?: string }> {
  for (;;) {
    const n = (await jsm.streams.info(`OUT_${tag}`)).state.messages;
    if (n >= N) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const ms = performance.now() - t0;
  return { ms, check: await checkStream(tag) };
}

async function checkStream(tag: string): Promise<string | undefined> {
  const total = (await jsm.streams.info(`OUT_${tag}`)).state.messages;
  if (total !== N) return `${total} outputs for ${N} inputs`;
  const seen = new Uint8Array(N + 1);
  const consumer = await js.consumers.get(`OUT_${tag}`);
  let got = 0;
  while (got < N) {
    for await (const m of await consumer.fetch({ max_messages: Math.min(5000, N - got), expires: 5000 })) {
      const e = m.json<{ id: number; twice: number }>();
      if (e.twice !== e.id * 2 || seen[e.id]) return `wrong or repeated output ${JSON.stringify(e)}`;
      seen[e.id] = 1;
      got++;
    }
  }
  return undefined;
}

const map = (data: Uint8Array): Uint8Array => {
  const e = JSON.parse(new TextDecoder().decode(data)) as { id: number; n: number };
  return encoder.encode(JSON.stringify({ id: e.id, twice: e.n * 2 }));
};

// (j0) the stock client
async function plainStock(): Promise<{ ms: number; check?: string }> {
  const { tag } = await streams();
  const t0 = performance.now();
  await jsm.consumers.add(`IN_${tag}`, { durable_name: 'plain', ack_policy: AckPolicy.All });
  const consumer = await js.consumers.get(`IN_${tag}`, 'plain');
  let done = 0;
  while (done < N) {
    const batch: JsMsg[] = [];
    for await (const m of await consumer.fetch({ max_messages: 1000, expires: 2000 })) batch.push(m);
    const acks: Promise<unknown>[] = [];
    for (const m of batch) {
      acks.push(js.publish(`out.${tag}`, map(m.data), { msgID: `IN:${m.seq}` }));
      if (acks.length >= 256) await Promise.all(acks.splice(0));
    }
    await Promise.all(acks);
    batch[batch.length - 1]?.ack();
    done += batch.length;
  }
  const r = await outputComplete(tag, t0);
  await dropStreams(tag);
  return r;
}

// (j1) a raw pipelined publish
async function plainPipelined(): Promise<{ ms: number; check?: string }> {
  const { tag } = await streams();
  const t0 = performance.now();
  await jsm.consumers.add(`IN_${tag}`, { durable_name: 'plain', ack_policy: AckPolicy.All });
  const consumer = await js.consumers.get(`IN_${tag}`, 'plain');
  const inbox = createInbox();
  let acked = 0;
  let sent = 0;
  let wake: (() => void) | undefined;
  const sub = nc.subscribe(`${inbox}.*`, {
    callback: () => {
      ++acked;
      wake?.();
    },
  });
  while (sent < N) {
    const batch: JsMsg[] = [];
    for await (const m of await consumer.fetch({ max_messages: 1000, expires: 2000 })) batch.push(m);
    for (const m of batch) {
      const h = headers();
      h.set('Nats-Msg-Id', `IN:${m.seq}`);
      nc.publish(`out.${tag}`, map(m.data), { reply: `${inbox}.${++sent}`, headers: h });
      while (sent - acked > 4096) await new Promise<void>((r) => (wake = r));
    }
    const upTo = sent;
    while (acked < upTo) await new Promise<void>((r) => (wake = r));
    batch[batch.length - 1]?.ack();
  }
  sub.unsubscribe();
  const r = await outputComplete(tag, t0);
  await dropStreams(tag);
  return r;
}

/** Sanctum in process: the runeset runs until the output is complete, then stops. */
async function sanctum(durable: boolean): Promise<{ ms: number; check?: string }> {
  const { tag } = await streams();
  const dir = mkdtempSync(path.join(work, 'run-'));
  writeFileSync(path.join(dir, 'double.lua'), SPELL);
  writeFileSync(
    path.join(dir, 'r.yaml'),
    `version: 1
sanctum: { log_level: error }
streams:
  a: { durable: ${durable} }
  b: { durable: ${durable} }
spells:
  double: { file: double.lua }
sources:
  in: { type: nats, url: "${server.url}", stream: IN_${tag}, to: a }
sinks:
  out: { type: nats, url: "${server.url}", stream: OUT_${tag}, subject: out.${tag}, from: b }
pipelines:
  p: { from: a, steps: [double], to: b }
`,
  );
  const runeset = await loadRunesetOrThrow(path.join(dir, 'r.yaml'));
  const opened = await openRuneset(runeset, { logger: () => {} });
  const stop = new AbortController();
  const t0 = performance.now();
  const done = opened.run({ signal: stop.signal, onWarning: (m) => failures.push(m) });
  const r = await outputComplete(tag, t0);
  stop.abort();
  await done;
  await dropStreams(tag);
  rmSync(dir, { recursive: true, force: true });
  return r;
}

/** Core NATS: a producer publishes in windows it waits to see come out; the output is counted. */
async function core(subscriberToPublisher: (tag: string) => Promise<() => Promise<void>>): Promise<{ ms: number; check?: string }> {
  const tag = `c${++runNo}`;
  const seen = new Uint8Array(N + 1);
  let out = 0;
  let bad: string | undefined;
  let wake: (() => void) | undefined;
  const sub = nc.subscribe(`core.out.${tag}`, {
    callback: (_e, m) => {
      const e = m.json<{ id: number; twice: number }>();
      if (e.id === 0) return;
      if (e.twice !== e.id * 2 || seen[e.id]) bad ??= `wrong or repeated output ${JSON.stringify(e)}`;
      seen[e.id] = 1;
      out++;
      wake?.();
    },
  });
  const stop = await subscriberToPublisher(tag);
  // Wait until the subscription of the system under test is in place: probe events (id 0).
  let probed = false;
  const probe = nc.subscribe(`core.out.${tag}`, { max: 1, callback: () => void (probed = true) });
  while (!probed) {
    nc.publish(`core.in.${tag}`, encoder.encode(JSON.stringify({ id: 0, n: 0 })));
    await nc.flush();
    await new Promise((r) => setTimeout(r, 10));
  }
  probe.unsubscribe();
  const t0 = performance.now();
  const deadline = t0 + 120_000;
  for (let i = 1; i <= N; i++) {
    nc.publish(`core.in.${tag}`, encoder.encode(JSON.stringify({ id: i, n: i })));
    if (i - out >= WINDOW) {
      await nc.flush();
      while (i - out >= WINDOW / 2 && performance.now() < deadline)
        await Promise.race([new Promise<void>((r) => (wake = r)), new Promise((r) => setTimeout(r, 1000))]);
    }
  }
  await nc.flush();
  while (out < N && performance.now() < deadline) await Promise.race([new Promise<void>((r) => (wake = r)), new Promise((r) => setTimeout(r, 1000))]);
  const ms = performance.now() - t0;
  sub.unsubscribe();
  await stop();
  return { ms, ...(out < N ? { check: `${N - out} of ${N} events never came out` } : bad ? { check: bad } : {}) };
}

async function plainCore(tag: string): Promise<() => Promise<void>> {
  const c = await connect({ servers: server.url });
  c.subscribe(`core.in.${tag}`, { callback: (_e, m) => c.publish(`core.out.${tag}`, map(m.data)) });
  await c.flush();
  return () => c.close();
}

async function sanctumCore(tag: string): Promise<() => Promise<void>> {
  const dir = mkdtempSync(path.join(work, 'core-'));
  writeFileSync(path.join(dir, 'double.lua'), SPELL);
  writeFileSync(
    path.join(dir, 'r.yaml'),
    `version: 1
sanctum: { log_level: error }
streams: { a: {}, b: {} }
spells:
  double: { file: double.lua }
sources:
  in: { type: nats, url: "${server.url}", subject: core.in.${tag}, to: a }
sinks:
  out: { type: nats, url: "${server.url}", subject: core.out.${tag}, from: b }
pipelines:
  p: { from: a, steps: [double], to: b }
`,
  );
  const opened = await openRuneset(await loadRunesetOrThrow(path.join(dir, 'r.yaml')), { logger: () => {} });
  const stop = new AbortController();
  const done = opened.run({ signal: stop.signal, onWarning: (m) => failures.push(m) });
  return async () => {
    stop.abort();
    await done;
    rmSync(dir, { recursive: true, force: true });
  };
}

try {
  await measure('j0', 'plain Node, stock js.publish (256 in flight)', plainStock);
  await measure('j1', 'plain Node, raw pipelined publish (4096 in flight)', plainPipelined);
  await measure('j2', 'Sanctum, exactly once (durable streams)', () => sanctum(true));
  await measure('j3', 'Sanctum, in-memory streams', () => sanctum(false));
  await measure('c0', 'plain Node, core subscribe → publish', () => core(plainCore));
  await measure('c1', 'Sanctum, core subject → spell → core subject', () => core(sanctumCore));
} finally {
  await nc.close();
  await server.dispose();
  rmSync(work, { recursive: true, force: true });
}

const rate = (id: string) => rows.find((r) => r.id === id)?.rate ?? NaN;
const ratios = {
  'j2/j0 exactly-once vs plain Node': rate('j2') / rate('j0'),
  'j3/j0 in-memory vs plain Node': rate('j3') / rate('j0'),
  'j2/j1 exactly-once vs the ceiling': rate('j2') / rate('j1'),
  'c1/c0 core vs plain Node': rate('c1') / rate('c0'),
};
const targets = { 'j2/j0 ≥ 0.5': ratios['j2/j0 exactly-once vs plain Node'] >= 0.5, 'c1/c0 ≥ 0.5': ratios['c1/c0 core vs plain Node'] >= 0.5 };
const machine = machineInfo(loadAtStart, { natsServer: 'nats-server (Debian), one node, loopback' });
const seconds = (performance.now() - started) / 1000;
if (JSON_OUT) {
  console.log(
    JSON.stringify({ date: new Date().toISOString(), machine, config: { events: N, runs: RUNS }, rows, ratios, targets, failures, seconds }, null, 2),
  );
} else {
  const fmt = (n: number) => (n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(1));
  console.log(`Sanctum NATS bench — ${new Date().toISOString()}`);
  console.log(
    `machine: ${machine.cpus} cpus (${machine.cpuModel}), node ${machine.node}; 1-min load ${machine.loadAverageAtStart.toFixed(2)} at start, ${machine.loadAverageAtEnd.toFixed(2)} at end`,
  );
  console.log(`${N.toLocaleString('en-US')} events {id, n} → {id, twice} per run; median of ${RUNS} runs after a warm-up; outputs checked`);
  console.log('');
  for (const r of rows)
    console.log(`${r.id}  ${r.label.padEnd(52)} ${fmt(r.rate).padStart(8)} events/s  ${r.ok ? 'ok' : 'FAILED'}  (${r.runs.map(fmt).join(' ')})`);
  console.log('');
  for (const [k, v] of Object.entries(ratios)) console.log(`  ${k.padEnd(36)} ${v.toFixed(2)}×`);
  for (const [k, ok] of Object.entries(targets)) console.log(`target ${k}: ${ok ? 'met' : 'MISSED'}`);
  for (const f of failures) console.log(`FAILED ${f}`);
  console.log(`${failures.length ? 'FAILED' : 'all outputs checked'} — ${seconds.toFixed(1)} s`);
}
if (failures.length) process.exitCode = 1;
