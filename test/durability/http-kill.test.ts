/**
 * Kill tests of the HTTP connectors (issue 13): `sanctum run` fed by an HTTP client through a
 * durable pipeline into an HTTP sink is SIGKILLed at random moments while both sides are busy,
 * restarted each time (10+ kills), then left to catch up. Every event the source acknowledged must
 * reach the receiver; duplicates at the receiver come only from redelivery after a kill (at most one
 * sink batch per kill) and are removed by the sequence range the sink sends. The negative control
 * (a sink that commits its position before the receiver acknowledged, fixtures/ack-before-send-run.ts)
 * must be caught losing events.
 */
import { describe, it, expect } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { openSqliteStorage } from '../../src/storage/index.js';
import { BIN } from '../cli/run-cli.js';
import { tempDir } from '../helpers.js';
import { post, receiver, type Receiver } from '../runtime/http-helpers.js';

const CONTROL = new URL('./fixtures/ack-before-send-run.ts', import.meta.url).pathname;
const TSX = import.meta.resolve('tsx');
/** Events per request, and the most events a durable sink sends again after a kill (one batch it read). */
const BODY = 50;
const SINK_BATCH = 1000;

const stamp = `local s = {}
function s.cast(e, emit) emit({ id = e.id, stamped = true }) end
return s
`;

const runeset = (url: string) => `version: 1
sanctum: { log_level: info, batch_size: 100 }
streams:
  in: { durable: true }
  out: { durable: true }
spells:
  stamp: { file: stamp.lua }
sources:
  web: { type: http, listen: "127.0.0.1:0", path: /events, to: in }
pipelines:
  p: { from: in, steps: [stamp], to: out }
sinks:
  recv: { type: http, from: out, url: "${url}", batch_size: 100, backoff: 10ms, max_backoff: 200ms, retries: 1000 }
`;

/** Reads positions and heads with another connection while a run writes (0 before the file exists). */
function progress(dir: string): { inLast: number; outLast: number; pipeline: number; sink: number } {
  try {
    const storage = openSqliteStorage({ dir: `${dir}/.sanctum/r`, create: false, verify: 'none' });
    try {
      return {
        inLast: storage.log.lastSeq('in'),
        outLast: storage.log.lastSeq('out'),
        pipeline: storage.offsets.get('pipeline:p', 'in'),
        sink: storage.offsets.get('sink:recv', 'out'),
      };
    } finally {
      storage.close();
    }
  } catch {
    return { inLast: 0, outLast: 0, pipeline: 0, sink: 0 };
  }
}

interface Run {
  readonly child: ChildProcess;
  readonly url: Promise<string>;
  readonly exited: Promise<string>;
}

/** Starts `sanctum run` (or the control's runner) as a node process of its own. */
function start(dir: string, control: boolean): Run {
  const args = control ? ['--import', TSX, CONTROL, 'r.yaml'] : [BIN, 'run', 'r.yaml', '--log-format', 'json', '--quiet'];
  const child = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const exited = new Promise<string>((resolve) => child.on('close', (code, signal) => resolve(signal ?? String(code))));
  const url = new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d) => {
      stderr += d;
      const m = /"source":"web"[^\n]*"url":"(http:\/\/127\.0\.0\.1:\d+\/events)"/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    void exited.then(() => reject(new Error(`the run ended before listening:\n${stderr}`)));
  });
  url.catch(() => {});
  return { child, url, exited };
}

/** The client: posts bodies of BODY new ids, two at a time, until told to stop or the run dies; records what was acknowledged. */
class Client {
  next = 1;
  readonly acked = new Set<number>();
  requests = 0;

  async feed(url: string, until: () => boolean): Promise<void> {
    const loop = async () => {
      while (!until()) {
        const first = this.next;
        this.next += BODY;
        let body = '';
        for (let i = first; i < first + BODY; i++) body += `{"id":${i}}\n`;
        let r;
        try {
          r = await post(url, body);
        } catch {
          return; // the run died: this body's ids are not acknowledged (stored or not)
        }
        this.requests++;
        if (r.status !== 200) throw new Error(`unexpected answer ${r.status}: ${r.body}`);
        const ack = r.json as { accepted: number; first: number; last: number };
        if (ack.accepted !== BODY || ack.last - ack.first + 1 !== BODY) throw new Error(`bad acknowledgement ${r.body}`);
        for (let i = first; i < first + BODY; i++) this.acked.add(i);
      }
    };
    await Promise.all([loop(), loop()]);
  }
}

async function until(check: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** What the receiver got, deduplicated by (stream, seq) from the sink's headers. */
function received(r: Receiver) {
  const bySeq = new Map<number, number>(); // seq → id
  let lines = 0;
  let conflicts = 0;
  for (const g of r.got) {
    const first = Number(g.headers['sanctum-first-seq']);
    g.lines.forEach((line, k) => {
      lines++;
      const id = (line as { id: number }).id;
      const seen = bySeq.get(first + k);
      if (seen !== undefined && seen !== id) conflicts++;
      bySeq.set(first + k, id);
    });
  }
  return { lines, bySeq, conflicts, ids: new Set(bySeq.values()) };
}

async function killRepeatedly(control: boolean, kills: number) {
  // The receiver takes a little time per batch, as a real one does: kills land while batches are in flight.
  const r = await receiver(() => ({ status: 200, delayMs: Math.floor(Math.random() * 15) }));
  const dir = tempDir({ 'stamp.lua': stamp, 'r.yaml': runeset(r.url) });
  const client = new Client();
  const ends: string[] = [];
  try {
    for (let k = 0; k < kills; k++) {
      const run = start(dir, control);
      const url = await run.url;
      const before = r.got.reduce((n, g) => n + g.lines.length, 0);
      const target = 200 + Math.floor(Math.random() * 1500);
      let dead = false;
      const feeding = client.feed(url, () => dead);
      // Kill once the receiver has seen real progress from this run, at a random moment after.
      await until(() => r.got.reduce((n, g) => n + g.lines.length, 0) - before >= target, 'progress before a kill');
      await new Promise((res) => setTimeout(res, Math.floor(Math.random() * 25)));
      run.child.kill('SIGKILL');
      ends.push(await run.exited);
      dead = true;
      await feeding;
    }
    // The last run: a little more input, then it catches up with everything and stops cleanly.
    const last = start(dir, control);
    const url = await last.url;
    let stopFeeding = false;
    const feeding = client.feed(url, () => stopFeeding);
    const requestsBefore = client.requests;
    await until(() => client.requests - requestsBefore >= 5, 'some acknowledged input');
    stopFeeding = true;
    await feeding;
    await until(() => {
      const p = progress(dir);
      return p.pipeline === p.inLast && p.outLast > 0 && p.sink === p.outLast;
    }, 'the pipeline and the sink to catch up');
    last.child.kill('SIGTERM');
    ends.push(await last.exited);
    return { r, dir, client, ends, final: progress(dir), got: received(r) };
  } finally {
    await r.close();
  }
}

describe('HTTP kill tests (kill -9 under load, source and sink over HTTP)', () => {
  it('every acknowledged event reaches the receiver; duplicates only from redelivery, removable by the sequence range', async () => {
    const kills = 12;
    const v = await killRepeatedly(false, kills);
    expect(v.ends.filter((e) => e === 'SIGKILL').length).toBeGreaterThanOrEqual(10);
    expect(v.ends[v.ends.length - 1]).toBe('0');
    // The source: every acknowledged id was committed (the pipeline is exactly-once: out = in).
    expect(v.final.inLast).toBe(v.final.outLast);
    // The receiver, deduplicated by sequence number: every event of `out`, once, no gaps.
    expect(v.got.conflicts).toBe(0);
    expect(v.got.bySeq.size).toBe(v.final.outLast);
    expect(Math.max(...v.got.bySeq.keys())).toBe(v.final.outLast);
    const missing = [...v.client.acked].filter((id) => !v.got.ids.has(id));
    expect(missing).toEqual([]);
    // No id appended twice (the client never resends), so one seq per id.
    expect(v.got.ids.size).toBe(v.got.bySeq.size);
    // Duplicates: only what a kill made the sink send again, at most one batch it had read per kill.
    const duplicates = v.got.lines - v.got.bySeq.size;
    expect(duplicates).toBeLessThanOrEqual(kills * SINK_BATCH);
  }, 900_000);

  it('negative control: a sink that commits its position before the receiver acknowledged is caught losing events', async () => {
    const v = await killRepeatedly(true, 12);
    expect(v.ends.filter((e) => e === 'SIGKILL').length).toBeGreaterThanOrEqual(10);
    // The log holds every acknowledged event, but the receiver misses some: the test above would fail.
    expect(v.final.inLast).toBe(v.final.outLast);
    const missingSeqs = v.final.outLast - v.got.bySeq.size;
    expect(missingSeqs).toBeGreaterThan(0);
    expect([...v.client.acked].filter((id) => !v.got.ids.has(id)).length).toBeGreaterThan(0);
  }, 900_000);
});
