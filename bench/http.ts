/**
 * HTTP ingest (issue 13): Sanctum's `http` source against a plain Node `http` server that reads the
 * same NDJSON bodies of 1000 events, parses each line with JSON.parse and counts them — the floor of
 * what any Node HTTP ingest does. Every row runs in this one process, one after another, against the
 * same client (bench/http-load.ts, a process of its own), so the ratios hold on a noisy machine; each
 * figure is the median of --runs runs.
 *
 *   npm run bench:http -- [--runs 3] [--seconds 4] [--connections 8] [--rate 5000] [--json]
 *
 * (a) plain Node http: parse and count                                    (the baseline)
 * (b) Sanctum → an in-memory stream (counted by a reader)                  target ≥ 0.5 × (a)
 * (c) Sanctum → an in-memory pipeline (a pass-through spell) → a stream    (the spell's cast on top)
 * (d) Sanctum → a durable stream (acknowledged after the fsync, FULL)      target ≥ 0.3 × (a)
 * (e) acknowledgement latency at --rate events/s (bodies of 100 events, paced), in memory and durable:
 *     target p99 ≤ 20 ms
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Readable, Writable } from 'node:stream';
import { loadRunesetOrThrow } from '../src/runes/index.js';
import { openRuneset } from '../src/runtime/run.js';
import { flag, machineInfo, option as optionOf } from './options.js';

const option = (name: string, fallback: number) => optionOf('bench/http', name, fallback);
const RUNS = option('runs', 3);
const SECONDS = option('seconds', 4);
const CONNECTIONS = option('connections', 8);
const RATE = option('rate', 5000);
const JSON_OUT = flag('json');
const EVENTS = 1000;
const PACED_EVENTS = 100;

const LOAD = fileURLToPath(new URL('./http-load.ts', import.meta.url));
const work = mkdtempSync(path.join(tmpdir(), 'sanctum-bench-http-'));
const loadAtStart = loadavg()[0]!;

/** An NDJSON body of `n` events of about 110 bytes each. */
function body(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++)
    s += `${JSON.stringify({ id: i, user: `u${i % 97}`, amount: ((i * 7) % 1000) / 10, ts: '2026-11-30T12:00:00.000Z', tags: ['web', 'eu'] })}\n`;
  return s;
}
const bodyFile = path.join(work, 'body.ndjson');
writeFileSync(bodyFile, body(EVENTS));
const pacedFile = path.join(work, 'paced.ndjson');
writeFileSync(pacedFile, body(PACED_EVENTS));

interface Load {
  ok: number;
  failed: number;
  requestsPerSecond: number;
  p50ms: number;
  p99ms: number;
  maxMs: number;
}

/** Runs the client against `url` (in a process of its own) while this process serves. */
async function drive(url: string, file: string, mode: 'closed' | 'paced', n: number): Promise<Load> {
  // Asynchronously: this process serves while the client runs.
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', LOAD, url, file, mode, String(n), String(SECONDS)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as Load) : reject(new Error(`the load client exited ${code}`))));
  });
}

interface Target {
  readonly url: string;
  /** Seconds from each request's arrival to its answer, as the server measured (Sanctum only). */
  readonly acks: number[];
  /** Events the server took (checked against what the client was told). */
  counted(): number;
  stop(): Promise<void>;
}

/** (a) The baseline: Node's http server, parse each line, count, answer. */
async function plainNode(): Promise<Target> {
  let counted = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let n = 0;
      for (const line of text.split('\n')) {
        if (line === '') continue;
        JSON.parse(line);
        n++;
      }
      counted += n;
      const answer = `{"accepted":${n}}\n`;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(answer.length) });
      res.end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    acks: [],
    counted: () => counted,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

let dirs = 0;
/** (b)–(d): `sanctum`'s http source into `in`, through the run as `sanctum run` opens it. */
async function sanctum(kind: 'stream' | 'pipeline' | 'durable'): Promise<Target> {
  const dir = path.join(work, `run-${dirs++}`);
  const pipeline = kind === 'pipeline';
  writeFileSync(path.join(work, 'pass.lua'), 'local s = {}\nfunction s.cast(e, emit) emit(e) end\nreturn s\n');
  const yaml = `version: 1
sanctum: { log_level: error, data_dir: ${dir} }
streams:
  in: { durable: ${kind === 'durable'} }
${pipeline ? '  out: {}\nspells:\n  pass: { file: pass.lua }\n' : ''}sources:
  web: { type: http, listen: "127.0.0.1:0", to: in, queue: 256 }
${pipeline ? 'pipelines:\n  p: { from: in, steps: [pass], to: out }\n' : ''}`;
  const file = path.join(work, `r${dirs}.yaml`);
  writeFileSync(file, yaml);
  const opened = await openRuneset(await loadRunesetOrThrow(file), { logger: () => {} });
  let counted = 0;
  // A reader of the end stream, batch by batch (what a sink's queue does).
  opened.graph.batches(pipeline ? 'out' : 'in').subscribe((b) => (counted += b.length));
  const stop = new AbortController();
  const nowhere = () => new Writable({ write: (_chunk, _encoding, callback) => callback() });
  const done = opened.run({ signal: stop.signal, log: () => {}, stdio: { stdin: Readable.from([]), stdout: nowhere(), stderr: nowhere() } });
  const source = opened.sources[0]!;
  const acks: number[] = [];
  source.probes.ackTimer = { record: (s) => acks.push(s) };
  while (source.url === undefined) await new Promise((r) => setTimeout(r, 5));
  return {
    url: source.url,
    acks,
    counted: () => counted,
    stop: async () => {
      stop.abort();
      await done;
    },
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Row {
  readonly name: string;
  readonly eventsPerSecond: number;
  readonly ratio?: number;
  readonly target?: string;
}

async function throughput(start: () => Promise<Target>): Promise<number> {
  const target = await start();
  try {
    const load = await drive(target.url, bodyFile, 'closed', CONNECTIONS);
    if (load.failed > 0) throw new Error(`${load.failed} requests failed`);
    // Every acknowledged event was counted (those of the warm-up too).
    if (target.counted() < load.ok * EVENTS) throw new Error(`counted ${target.counted()} < acknowledged ${load.ok * EVENTS}`);
    return load.requestsPerSecond * EVENTS;
  } finally {
    await target.stop();
  }
}

const variants: [string, () => Promise<Target>][] = [
  ['(a) plain Node http: parse and count', plainNode],
  ['(b) sanctum → in-memory stream', () => sanctum('stream')],
  ['(c) sanctum → in-memory pipeline (pass-through spell)', () => sanctum('pipeline')],
  ['(d) sanctum → durable stream (FULL)', () => sanctum('durable')],
];
const results = new Map<string, number[]>(variants.map(([name]) => [name, []]));
for (let run = 0; run < RUNS; run++) {
  for (const [name, start] of variants) results.get(name)!.push(await throughput(start));
}
const base = median(results.get(variants[0]![0])!);
const rows: Row[] = variants.map(([name]) => {
  const eps = median(results.get(name)!);
  return {
    name,
    eventsPerSecond: Math.round(eps),
    ratio: Number((eps / base).toFixed(2)),
    ...(name.startsWith('(b)') ? { target: '≥ 0.5' } : name.startsWith('(d)') ? { target: '≥ 0.3' } : {}),
  };
});

const latency: { name: string; p50ms: number; p99ms: number; maxMs: number; serverP50ms: number; serverP99ms: number; ok: number; failed: number }[] = [];
for (const [name, kind] of [
  ['(e) ack latency, in-memory stream', 'stream'],
  ['(e) ack latency, durable stream (FULL)', 'durable'],
] as const) {
  const target = await sanctum(kind);
  try {
    const load = await drive(target.url, pacedFile, 'paced', RATE / PACED_EVENTS);
    // The server's own share: from a request's arrival to its answer (what sanctum_source_ack_duration_seconds measures).
    const server = target.acks.sort((a, b) => a - b).slice(Math.floor(target.acks.length / 5)); // past the client's warm-up
    const sq = (p: number) => round(server[Math.min(server.length - 1, Math.floor(p * server.length))]! * 1000);
    latency.push({
      name: `${name} at ${RATE} events/s (${RATE / PACED_EVENTS} requests/s of ${PACED_EVENTS})`,
      p50ms: round(load.p50ms),
      p99ms: round(load.p99ms),
      maxMs: round(load.maxMs),
      serverP50ms: sq(0.5),
      serverP99ms: sq(0.99),
      ok: load.ok,
      failed: load.failed,
    });
  } finally {
    await target.stop();
  }
}
rmSync(work, { recursive: true, force: true });

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

const report = { rows, latency, options: { runs: RUNS, seconds: SECONDS, connections: CONNECTIONS, eventsPerBody: EVENTS }, machine: machineInfo(loadAtStart) };
if (JSON_OUT) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
else {
  for (const r of rows)
    console.log(`${r.name.padEnd(58)} ${String(r.eventsPerSecond).padStart(9)} events/s  ${r.ratio?.toFixed(2)}×${r.target ? `  (target ${r.target})` : ''}`);
  for (const l of latency)
    console.log(
      `${l.name}: p50 ${l.p50ms} ms, p99 ${l.p99ms} ms, max ${l.maxMs} ms at the client; p50 ${l.serverP50ms} ms, p99 ${l.serverP99ms} ms in the server (${l.ok} ok, ${l.failed} failed; target p99 ≤ 20 ms)`,
    );
  console.log(
    `machine: ${report.machine.cpus} × ${report.machine.cpuModel}, node ${report.machine.node}, load ${report.machine.loadAverageAtStart.toFixed(2)} → ${report.machine.loadAverageAtEnd.toFixed(2)}`,
  );
}
