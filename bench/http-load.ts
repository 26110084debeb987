/**
 * The HTTP benchmark's client, a process of its own (so the server under test has its thread to
 * itself): POSTs one NDJSON body over kept-alive connections and reports what it measured as JSON.
 *
 *   closed loop:  node --import tsx bench/http-load.ts <url> <body-file> closed <connections> <seconds>
 *   paced:        node --import tsx bench/http-load.ts <url> <body-file> paced <requests-per-second> <seconds>
 *
 * Closed: each connection sends its next request when the last is answered (throughput). Paced:
 * requests leave on a fixed schedule whatever the answers do (latency at a given load: no coordinated
 * omission, a late answer does not delay the next request).
 */
import { Agent, request } from 'node:http';
import { readFileSync } from 'node:fs';

const [url, bodyFile, mode, nArg, secondsArg] = process.argv.slice(2) as [string, string, 'closed' | 'paced', string, string];
const body = readFileSync(bodyFile);
const n = Number(nArg);
const seconds = Number(secondsArg);
const WARMUP_MS = 1000;
const agent = new Agent({ keepAlive: true, maxSockets: mode === 'closed' ? n : 256 });

/** One POST; resolves with its status. */
function postOnce(): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/x-ndjson', 'content-length': String(body.length) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

const start = performance.now();
const measureFrom = start + WARMUP_MS;
const end = measureFrom + seconds * 1000;
let ok = 0;
let failed = 0;
const latencies: number[] = [];

if (mode === 'closed') {
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        const status = await postOnce();
        if (t0 < measureFrom) continue;
        if (status === 200) ok++;
        else failed++;
      }
    }),
  );
} else {
  const interval = 1000 / n;
  const pending: Promise<void>[] = [];
  for (let k = 0; ; k++) {
    const due = start + k * interval;
    if (due >= end) break;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(
      postOnce().then((status) => {
        if (due < measureFrom) return;
        // Latency from when the request was due, not when it left: a stalled client counts too.
        latencies.push(performance.now() - due);
        if (status === 200) ok++;
        else failed++;
      }),
    );
  }
  await Promise.all(pending);
}

latencies.sort((a, b) => a - b);
const q = (p: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]! : NaN);
process.stdout.write(
  `${JSON.stringify({ ok, failed, seconds, requestsPerSecond: ok / seconds, p50ms: q(0.5), p99ms: q(0.99), maxMs: latencies.at(-1) ?? NaN })}\n`,
);
agent.destroy();
