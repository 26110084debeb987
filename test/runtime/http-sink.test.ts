/**
 * The `http` sink over real sockets: batches POSTed as NDJSON (with the sequence range over durable
 * streams), passing failures retried with backoff, permanent ones turned into dead letters with the
 * answer; a durable sink commits only what the receiver acknowledged. And the file sink's `mode`.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { readFileSync, writeFileSync, appendFileSync, renameSync } from 'node:fs';
import { openSqliteStorage } from '../../src/storage/index.js';
import { tempDir } from '../helpers.js';
import { ndjson, post, receiver, startRun, until, type LiveRun, type Receiver } from './http-helpers.js';

const receivers: Receiver[] = [];
const runs: LiveRun[] = [];
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
  for (const r of runs.splice(0)) await r.stop().catch(() => {});
});

async function recv(answer?: Parameters<typeof receiver>[0]): Promise<Receiver> {
  const r = await receiver(answer);
  receivers.push(r);
  return r;
}

/** A runeset reading `in.ndjson` into `in` and writing it to an http sink (dead letters to dl.ndjson). */
function files(sink: string, opts: { durable?: boolean; events?: number } = {}): Record<string, string> {
  return {
    'in.ndjson': ndjson(opts.events ?? 10),
    'r.yaml': `version: 1
sanctum: { log_level: error }
streams:
  in: { durable: ${opts.durable ?? false} }
  dead-letters: { durable: ${opts.durable ?? false} }
sources:
  file: { type: file, path: in.ndjson, to: in }
sinks:
  out: ${sink}
  dl: { type: file, path: dl.ndjson, from: dead-letters }
`,
  };
}

const deadLetters = (dir: string) =>
  readFileSync(`${dir}/dl.ndjson`, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

async function runToEnd(f: Record<string, string>, dir?: string): Promise<LiveRun> {
  const run = await startRun(f, dir);
  runs.push(run);
  await run.done;
  return run;
}

describe('http sink: delivery', () => {
  it('POSTs NDJSON batches of batch_size with the token and headers; counts what was acknowledged', async () => {
    const r = await recv();
    process.env['SANCTUM_SINK_TOKEN'] = 'tok';
    const run = await runToEnd(
      files(`{ type: http, from: in, url: "${r.url}", batch_size: 1000, token: "\${SANCTUM_SINK_TOKEN}", headers: { X-Tenant: acme } }`, { events: 2500 }),
    );
    const report = await run.done;
    expect(report.written['out']).toBe(2500);
    expect(r.got.map((g) => g.lines.length)).toEqual([1000, 1000, 500]);
    expect(r.got.flatMap((g) => g.lines)).toEqual(Array.from({ length: 2500 }, (_, i) => ({ i })));
    const h = r.got[0]!.headers;
    expect(h['content-type']).toBe('application/x-ndjson');
    expect(h['authorization']).toBe('Bearer tok');
    expect(h['x-tenant']).toBe('acme');
    expect(h['sanctum-sink']).toBe('out');
    expect(h['sanctum-stream']).toBeUndefined(); // in memory: no sequence numbers
    expect(run.opened.sinks.find((s) => s.name === 'out')!.stats!.requests.get('200')).toBe(3);
  });

  it('over a durable stream: the sequence range in headers (line i is event first+i); a second run sends only what is new', async () => {
    const r = await recv();
    const f = files(`{ type: http, from: in, url: "${r.url}", batch_size: 400 }`, { durable: true, events: 1000 });
    const first = await runToEnd(f);
    const check = () => {
      for (const g of r.got) {
        const firstSeq = Number(g.headers['sanctum-first-seq']);
        const lastSeq = Number(g.headers['sanctum-last-seq']);
        expect(g.headers['sanctum-stream']).toBe('in');
        expect(lastSeq - firstSeq + 1).toBe(g.lines.length);
        expect(g.headers['idempotency-key']).toBe(`out/in/${firstSeq}-${lastSeq}`);
        g.lines.forEach((line, k) => {
          expect(line).toEqual({ i: firstSeq + k - 1 });
        });
      }
    };
    check();
    expect(r.got.flatMap((g) => g.lines)).toHaveLength(1000);
    expect(Math.max(...r.got.map((g) => g.lines.length))).toBeLessThanOrEqual(400);
    appendFileSync(`${first.dir}/in.ndjson`, ndjson(5, 1000));
    await runToEnd(f, first.dir);
    check();
    expect(r.got.flatMap((g) => g.lines)).toEqual(Array.from({ length: 1005 }, (_, i) => ({ i })));
  });
});

describe('http sink: failures', () => {
  it('retries 5xx with backoff (and follows Retry-After), then delivers once', async () => {
    const r = await recv((n) => (n === 0 ? { status: 503, headers: { 'retry-after': '0' } } : n === 1 ? { status: 500, body: 'oops' } : { status: 200 }));
    const t0 = Date.now();
    // With backoff 1s the first wait would be 0.5–1 s; the log says it was 0 ms: Retry-After was followed.
    const run = await runToEnd(files(`{ type: http, from: in, url: "${r.url}", backoff: 1s }`, { events: 3 }));
    expect(r.got).toHaveLength(3);
    expect(r.delivered).toHaveLength(1);
    expect(r.delivered[0]!.lines).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);
    expect(Date.now() - t0).toBeLessThan(20_000);
    const stats = run.opened.sinks.find((s) => s.name === 'out')!.stats!;
    expect(stats.retries).toBe(2);
    expect(Object.fromEntries(stats.requests)).toEqual({ '503': 1, '500': 1, '200': 1 });
    expect(run.logs.filter((l) => l.sink === 'out' && l.level === 'warn').map((l) => l.message)).toEqual([
      expect.stringMatching(/^http sink 'out': http:\/\/127\.0\.0\.1:\d+\/in: 503 Service Unavailable; retry 1 of 8 in 0 ms$/),
      expect.stringMatching(/: 500 Internal Server Error; retry 2 of 8 in \d+ ms$/),
    ]);
    expect((await run.done).written['out']).toBe(3);
  }, 60_000);

  it('a 4xx makes the batch dead letters at once (SINK_REJECTED, with the answer and each seq); the next batch goes on', async () => {
    const r = await recv((n) => (n === 0 ? { status: 422, body: '{"error":"schema"}' } : { status: 200 }));
    const run = await runToEnd(files(`{ type: http, from: in, url: "${r.url}", batch_size: 2 }`, { durable: true, events: 4 }));
    expect(r.got).toHaveLength(2);
    const dl = deadLetters(run.dir);
    expect(dl).toHaveLength(2);
    expect(dl[0]).toMatchObject({ code: 'SINK_REJECTED', sink: 'out', status: 422, response: '{"error":"schema"}', stream: 'in', seq: 1, event: { i: 0 } });
    expect(dl[1]).toMatchObject({ seq: 2, event: { i: 1 } });
    expect(String(dl[0]!['message'])).toMatch(/refused in 1\.\.2 for good: 422/);
    expect(r.delivered[0]!.lines).toEqual([{ i: 2 }, { i: 3 }]);
    expect((await run.done).written['out']).toBe(2);
    expect(run.logs.some((l) => l.level === 'error' && l.code === 'SINK_REJECTED')).toBe(true);
  });

  it('a receiver that answers 500 forever: retries used up, every event a dead letter, a log line and a count', async () => {
    const r = await recv(() => ({ status: 500, body: 'down' }));
    const run = await runToEnd(files(`{ type: http, from: in, url: "${r.url}", retries: 2, backoff: 10ms, batch_size: 5 }`, { events: 10 }));
    expect(r.got).toHaveLength(6); // 2 batches × (1 + 2 retries)
    const dl = deadLetters(run.dir);
    expect(dl.map((d) => d['event'])).toEqual(Array.from({ length: 10 }, (_, i) => ({ i })));
    expect(dl[0]).toMatchObject({ code: 'SINK_RETRIES_EXHAUSTED', status: 500, response: 'down' });
    expect(String(dl[0]!['message'])).toContain('2 retries used up');
    const stats = run.opened.sinks.find((s) => s.name === 'out')!.stats!;
    expect(stats).toMatchObject({ retries: 4, deadLettered: 10 });
    expect(run.logs.filter((l) => l.code === 'SINK_RETRIES_EXHAUSTED' && l.level === 'error')).toHaveLength(2);
    expect((await run.done).written['out']).toBe(0);
  });

  it('a receiver that never answers: each POST times out, then dead letters', async () => {
    const r = await recv(() => 'hang');
    const run = await runToEnd(files(`{ type: http, from: in, url: "${r.url}", retries: 1, backoff: 10ms, timeout: 200ms }`, { events: 2 }));
    const dl = deadLetters(run.dir);
    expect(dl).toHaveLength(2);
    expect(String(dl[0]!['message'])).toContain('no answer within 200 ms');
    expect(run.opened.sinks.find((s) => s.name === 'out')!.stats!.requests.get('timeout')).toBe(2);
  });

  it('a receiver that is not there: connection errors are retried, then dead letters', async () => {
    const gone = await receiver();
    await gone.close();
    const run = await runToEnd(files(`{ type: http, from: in, url: "${gone.url}", retries: 2, backoff: 10ms }`, { events: 1 }));
    const dl = deadLetters(run.dir);
    expect(dl).toHaveLength(1);
    expect(String(dl[0]!['message'])).toContain('ECONNREFUSED');
    expect(run.opened.sinks.find((s) => s.name === 'out')!.stats!.requests.get('error')).toBe(3);
  });

  it('a durable sink stopped while it retries commits nothing and loses nothing: the next run sends the batch', async () => {
    let up = false;
    const r = await recv(() => (up ? { status: 200 } : { status: 503 }));
    const yaml = `version: 1
sanctum: { log_level: error }
streams:
  in: { durable: true }
sources:
  web: { type: http, listen: "127.0.0.1:0", to: in }
sinks:
  out: { type: http, from: in, url: "${r.url}", backoff: 50ms, retries: 1000 }
`;
    const run = await startRun({ 'r.yaml': yaml });
    runs.push(run);
    expect((await post(run.url, ndjson(3))).status).toBe(200);
    await until(() => r.got.length >= 3, 'a few retries');
    const report = await run.stop();
    expect(report.unhandled).toBe(0);
    const storage = openSqliteStorage({ dir: `${run.dir}/.sanctum/r` });
    expect(storage.offsets.get('sink:out', 'in')).toBe(0);
    storage.close();
    up = true;
    const again = await startRun({ 'r.yaml': yaml }, run.dir);
    runs.push(again);
    await until(() => r.delivered.length === 1, 'the redelivery');
    expect(r.delivered[0]!.lines).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);
    expect(r.delivered[0]!.headers['sanctum-first-seq']).toBe('1');
  }, 60_000);
});

describe('file sink mode', () => {
  const yaml = (sink: string, durable: boolean) => `version: 1
streams:
  in: { durable: ${durable} }
sources:
  file: { type: file, path: in.ndjson, to: in }
sinks:
  out: ${sink}
`;
  const run2 = async (sink: string, durable: boolean) => {
    const dir = tempDir({ 'in.ndjson': ndjson(2), 'r.yaml': yaml(sink, durable) });
    writeFileSync(`${dir}/out.ndjson`, '{"old":true}\n');
    await runToEnd({}, dir);
    // A new file (another inode), read from its start.
    writeFileSync(`${dir}/in.next`, ndjson(2, 10));
    renameSync(`${dir}/in.next`, `${dir}/in.ndjson`);
    await runToEnd({}, dir);
    return readFileSync(`${dir}/out.ndjson`, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as unknown);
  };

  it('over in-memory streams truncates by default; `mode: append` keeps what the file holds', async () => {
    expect(await run2('{ type: file, path: out.ndjson, from: in }', false)).toEqual([{ i: 10 }, { i: 11 }]);
    expect(await run2('{ type: file, path: out.ndjson, from: in, mode: append }', false)).toEqual([{ old: true }, { i: 0 }, { i: 1 }, { i: 10 }, { i: 11 }]);
  });

  it('over durable streams appends by default; `mode: truncate` empties it each run', async () => {
    expect(await run2('{ type: file, path: out.ndjson, from: in }', true)).toEqual([{ old: true }, { i: 0 }, { i: 1 }, { i: 10 }, { i: 11 }]);
    expect(await run2('{ type: file, path: out.ndjson, from: in, mode: truncate }', true)).toEqual([{ i: 10 }, { i: 11 }]);
  });
});
