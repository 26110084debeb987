/**
 * Kill tests over real NATS: `sanctum run` reads a JetStream work-queue stream (a backlog) into a
 * durable stream, a spell maps it into another, and a nats sink publishes that to a JetStream
 * stream. The node process itself is SIGKILLed at random moments after real progress, at least ten
 * times, then left to catch up and stopped. Every input must be in Sanctum exactly once (a work
 * queue deletes what was acknowledged: acknowledging before the commit would lose it), and every
 * output must reach the output stream, carrying `Nats-Msg-Id` = `b:<seq>`, so that what a kill
 * made the sink write again is dropped by the server. Two negative controls (a test-side runner,
 * fixtures/faulty-run.ts) must be caught: acknowledging before the commit loses inputs, and
 * publishing without the id stores duplicates.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, RetentionPolicy, type JetStreamManager } from '@nats-io/jetstream';
import { openSqliteStorage } from '../../src/storage/index.js';
import { BIN } from '../cli/run-cli.js';
import { tempDir } from '../helpers.js';
import { startNatsServer, type NatsServer } from './server.js';

// Three times what 12 kills use up on an idle run (≈1,900 inputs): a run that reached the end of the
// input would be stopped instead of killed.
const N = 6000;
const KILLS = 12;

const spell = `local s = {}
function s.cast(e, emit) emit({ id = e.id, twice = e.n * 2 }) end
return s
`;

const runeset = (url: string, tag: string) => `version: 1
sanctum: { batch_size: 25, log_level: error }
streams:
  a: { durable: true }
  b: { durable: true }
spells:
  double: { file: double.lua }
sources:
  in: { type: nats, url: "${url}", stream: IN_${tag}, to: a }
sinks:
  out: { type: nats, url: "${url}", stream: OUT_${tag}, subject: out.${tag}, from: b }
pipelines:
  p: { from: a, steps: [double], to: b }
`;

const FAULTY = new URL('./fixtures/faulty-run.ts', import.meta.url).pathname;
const TSX = import.meta.resolve('tsx');

let server: NatsServer;
let nc: NatsConnection;
let jsm: JetStreamManager;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  jsm = await jetstreamManager(nc);
}, 120_000);

afterAll(async () => {
  await nc?.close();
  await server?.dispose();
});

/** A fresh pair of JetStream streams and a directory with the runeset; the input backlog published. */
async function setup(tag: string): Promise<string> {
  await jsm.streams.add({ name: `IN_${tag}`, subjects: [`in.${tag}`], retention: RetentionPolicy.Workqueue });
  await jsm.streams.add({ name: `OUT_${tag}`, subjects: [`out.${tag}`] });
  const js = jetstream(nc);
  const acks: Promise<unknown>[] = [];
  for (let i = 1; i <= N; i++) {
    acks.push(js.publish(`in.${tag}`, JSON.stringify({ id: i, n: i }), { msgID: `in-${i}` }));
    if (acks.length >= 200) await Promise.all(acks.splice(0));
  }
  await Promise.all(acks);
  return tempDir({ 'double.lua': spell, 'r.yaml': runeset(server.url, tag) });
}

/** Committed positions, read by another connection (0 before the data file exists). */
function positions(dir: string, tag: string): { source: number; pipeline: number; sink: number; a: number; b: number } {
  try {
    const storage = openSqliteStorage({ dir: `${dir}/.sanctum/r`, create: false, verify: 'none' });
    try {
      return {
        source: storage.offsets.get('source:in', `nats:IN_${tag}`),
        pipeline: storage.offsets.get('pipeline:p', 'a'),
        sink: storage.offsets.get('sink:out', 'b'),
        a: storage.log.lastSeq('a'),
        b: storage.log.lastSeq('b'),
      };
    } finally {
      storage.close();
    }
  } catch {
    return { source: 0, pipeline: 0, sink: 0, a: 0, b: 0 };
  }
}

/**
 * One run as its own node process (never a wrapper). With `killAfter`, SIGKILLed a random 0–25 ms
 * after the source's committed position moved that far; without, SIGTERMed once everything read
 * is through the pipeline and the sink. Either way, a run that makes no progress for 10 s once it
 * says it runs (a control that lost the rest of its input) is SIGTERMed, and one that does not end
 * 30 s after SIGTERM is SIGKILLed and reported as 'HUNG'. Resolves with its exit code or signal.
 */
function run(dir: string, tag: string, control: string | undefined, killAfter?: number): Promise<string> {
  const args = control ? ['--import', TSX, FAULTY, control, 'r.yaml'] : [BIN, 'run', 'r.yaml', '--quiet', '--log-level', 'debug', '--log-format', 'json'];
  const start = positions(dir, tag).source;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NATS_URL: server.url } });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    let ended = false;
    let hung = false;
    let timer: NodeJS.Timeout | undefined;
    let last = -1;
    let idleSince = performance.now();
    const watch = () => {
      if (ended || timer) return;
      const p = positions(dir, tag);
      const progress = p.source + p.pipeline + p.sink;
      // Idle counts from when the run says it runs: on a loaded machine the start (tsx, the NATS
      // connections) can take more than 10 s, and a start SIGTERMed as idle was no kill.
      const running = stderr.includes('"msg":"running ');
      if (progress !== last || !running) {
        last = progress;
        idleSince = performance.now();
      }
      // Nothing has moved for 10 s (a control that lost the rest of its input has nothing to read):
      // the run is stopped instead of killed.
      const idle = performance.now() - idleSince > 10_000;
      if (killAfter !== undefined && !idle) {
        if (p.source - start >= killAfter) timer = setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 25));
        else setTimeout(watch, 5);
        return;
      }
      // A run is stopped only once it says it runs (it takes SIGTERM from then on).
      // Stopped once everything read went through the pipeline and the sink: a stop ends after the
      // batch in flight and leaves a durable backlog to the next run.
      const through = p.a > 0 && p.pipeline === p.a && p.sink === p.b && p.b === p.a;
      const caughtUp = running && through && (p.source >= N || performance.now() - idleSince > 3000);
      if (caughtUp || idle) {
        child.kill('SIGTERM');
        // A run that does not end after SIGTERM is a failure of its own: say so, and end it.
        timer = setTimeout(() => {
          hung = true;
          child.kill('SIGKILL');
        }, 30_000);
      } else setTimeout(watch, 50);
    };
    setTimeout(watch, 5);
    child.on('close', (code, signal) => {
      ended = true;
      if (timer) clearTimeout(timer);
      if (hung || (signal !== 'SIGKILL' && code !== 0)) process.stderr.write(`run ended ${hung ? 'HUNG after SIGTERM' : (signal ?? code)}: ${stderr}\n`);
      resolve(hung ? 'HUNG' : (signal ?? String(code)));
    });
  });
}

/** Runs until everything is through: the last run goes on until the sink caught up. */
async function finish(dir: string, tag: string, control: string | undefined): Promise<string> {
  let end = '';
  for (let i = 0; i < 3; i++) {
    end = await run(dir, tag, control);
    const p = positions(dir, tag);
    if (p.pipeline === p.a && p.sink === p.b) break;
  }
  return end;
}

interface Verdict {
  /** Events in the durable stream a, and how many distinct inputs among them. */
  inSanctum: number;
  distinctInSanctum: number;
  /** Messages in the output stream, distinct inputs among them, and whether each carries b:<seq>. */
  outputs: number;
  distinctOutputs: number;
  idsAreSequences: boolean;
  /** Outputs once duplicates are removed by their Nats-Msg-Id. */
  outputsById: number;
  /** Inputs left in the work queue (not acknowledged). */
  leftInQueue: number;
}

async function verdict(dir: string, tag: string): Promise<Verdict> {
  const storage = openSqliteStorage({ dir: `${dir}/.sanctum/r` });
  let a: { id: number }[];
  try {
    a = storage.log.read('a', 1, N * 3).map((e) => e.event as { id: number });
  } finally {
    storage.close();
  }
  const js = jetstream(nc);
  const consumer = await js.consumers.get(`OUT_${tag}`);
  const total = (await jsm.streams.info(`OUT_${tag}`)).state.messages;
  const ids: string[] = [];
  const outputs: { id: number; twice: number }[] = [];
  while (outputs.length < total) {
    const batch = await consumer.fetch({ max_messages: Math.min(1000, total - outputs.length), expires: 5000 });
    for await (const m of batch) {
      outputs.push(m.json());
      ids.push(m.headers?.get('Nats-Msg-Id') ?? '');
    }
  }
  return {
    inSanctum: a.length,
    distinctInSanctum: new Set(a.map((e) => e.id)).size,
    outputs: outputs.length,
    distinctOutputs: new Set(outputs.filter((o) => o.twice === o.id * 2).map((o) => o.id)).size,
    idsAreSequences: ids.every((id) => /^b:\d+$/.test(id)),
    outputsById: new Set(ids).size,
    leftInQueue: (await jsm.streams.info(`IN_${tag}`)).state.messages,
  };
}

async function killRepeatedly(dir: string, tag: string, control: string | undefined): Promise<string[]> {
  const ends: string[] = [];
  for (let k = 0; k < KILLS; k++) ends.push(await run(dir, tag, control, 25 * (1 + Math.floor(Math.random() * 6))));
  ends.push(await finish(dir, tag, control));
  return ends;
}

describe('kill -9 with a JetStream source and a nats sink', () => {
  it('loses nothing: every input in Sanctum exactly once, every output published once by its id, after 10+ kills', async () => {
    const dir = await setup('ok');
    const ends = await killRepeatedly(dir, 'ok', undefined);
    expect(ends.filter((e) => e === 'SIGKILL').length).toBeGreaterThanOrEqual(10);
    expect(ends).not.toContain('HUNG');
    expect(ends[ends.length - 1]).toBe('0');
    const v = await verdict(dir, 'ok');
    expect(v).toEqual({ inSanctum: N, distinctInSanctum: N, outputs: N, distinctOutputs: N, idsAreSequences: true, outputsById: N, leftInQueue: 0 });
  }, 900_000);

  it('negative control: acknowledging to JetStream before the commit is caught losing inputs', async () => {
    const dir = await setup('early');
    const ends = await killRepeatedly(dir, 'early', 'ack-early');
    // Once the kills have lost the rest of the input, the runs find nothing to read and are stopped.
    expect(ends.filter((e) => e === 'SIGKILL').length).toBeGreaterThanOrEqual(1);
    const v = await verdict(dir, 'early');
    // The work queue deleted what was acknowledged; the kills came before some commits.
    expect(v.leftInQueue).toBe(0);
    expect(v.distinctInSanctum).toBeLessThan(N);
  }, 900_000);

  it('negative control: publishing without Nats-Msg-Id is caught storing duplicates', async () => {
    const dir = await setup('noid');
    const ends = await killRepeatedly(dir, 'noid', 'no-msg-id');
    expect(ends.filter((e) => e === 'SIGKILL').length).toBeGreaterThanOrEqual(10);
    const v = await verdict(dir, 'noid');
    expect(v.distinctInSanctum).toBe(N);
    expect(v.distinctOutputs).toBe(N);
    expect(v.outputs).toBeGreaterThan(N);
  }, 900_000);
});
