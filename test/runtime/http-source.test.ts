/**
 * The `http` source over real sockets: what it acknowledges is in the stream (durable: committed,
 * with its sequence numbers); a bad body is refused whole, naming its line; oversized, unauthorized,
 * slow and excess requests are refused with the right status, a log line and a count; a stopping
 * run finishes the requests in it and refuses new ones.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { connect } from 'node:net';
import { request } from 'node:http';
import { openSqliteStorage } from '../../src/storage/index.js';
import { ndjson, post, receiver, startRun, until, type LiveRun, type Receiver } from './http-helpers.js';

const runs: LiveRun[] = [];
const receivers: Receiver[] = [];
afterEach(async () => {
  // Receivers first: a run stopping waits for its sink's request in flight.
  for (const r of receivers.splice(0)) await r.close();
  for (const r of runs.splice(0)) await r.stop().catch(() => {});
});

async function start(source: string, opts: { durable?: boolean; streams?: string; extra?: string } = {}): Promise<LiveRun> {
  const run = await startRun({
    'r.yaml': `version: 1
sanctum: { log_level: error }
streams:
  in: { durable: ${opts.durable ?? false} }
${opts.streams ?? ''}sources:
  web: ${source}
${opts.extra ?? ''}`,
  });
  runs.push(run);
  return run;
}

const http = (extra = '') => `{ type: http, listen: "127.0.0.1:0", path: /events, to: in${extra} }`;

describe('http source: acknowledged means in the stream', () => {
  it('takes NDJSON into an in-memory stream and answers with the count', async () => {
    const run = await start(http());
    const seen: unknown[] = [];
    run.opened.graph.stream('in').subscribe((e) => seen.push(e));
    const r = await post(run.url, '{"a":1}\n\n{"a":2}\r\n{"a":3}');
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ accepted: 3 });
    expect(seen).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
    const report = await run.stop();
    expect(report.read).toBe(3);
  });

  it('into a durable stream answers after the commit, with the sequence numbers, and groups concurrent requests', async () => {
    const run = await start(http(), { durable: true });
    const first = await post(run.url, ndjson(3));
    expect(first.json).toEqual({ accepted: 3, stream: 'in', first: 1, last: 3 });
    // Concurrent requests: each gets its own range, the ranges tile the log, and each body is there in order.
    const answers = await Promise.all(Array.from({ length: 20 }, (_, k) => post(run.url, ndjson(5, 100 * k))));
    const ranges = answers.map((a) => a.json as { first: number; last: number });
    expect(ranges.every((r) => r.last - r.first === 4)).toBe(true);
    expect(ranges.map((r) => r.first).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, k) => 4 + 5 * k));
    await run.stop();
    const storage = openSqliteStorage({ dir: `${run.dir}/.sanctum/r` });
    try {
      for (let k = 0; k < 20; k++) {
        const stored = storage.log.read('in', ranges[k]!.first, 5).map((e) => e.event);
        expect(stored).toEqual(Array.from({ length: 5 }, (_, i) => ({ i: 100 * k + i })));
      }
    } finally {
      storage.close();
    }
  });

  it('reads a JSON array (Content-Type: application/json) and `format: json` bodies', async () => {
    const run = await start(http());
    const seen: unknown[] = [];
    run.opened.graph.stream('in').subscribe((e) => seen.push(e));
    expect((await post(run.url, '[{"a":1},{"a":2}]', { 'content-type': 'application/json; charset=utf-8' })).json).toEqual({ accepted: 2 });
    expect((await post(run.url, '{"one":true}', { 'content-type': 'application/json' })).json).toEqual({ accepted: 1 });
    expect(seen).toEqual([{ a: 1 }, { a: 2 }, { one: true }]);
  });

  it('`format: lines` makes each line { message, source, line }', async () => {
    const run = await start(http(', format: lines'));
    const seen: unknown[] = [];
    run.opened.graph.stream('in').subscribe((e) => seen.push(e));
    const r = await post(run.url, 'GET /a 200\n\nnot json {\n', { 'content-type': 'text/plain' });
    expect(r.json).toEqual({ accepted: 2 });
    expect(seen).toEqual([
      { message: 'GET /a 200', source: 'web', line: 1 },
      { message: 'not json {', source: 'web', line: 3 },
    ]);
  });

  it("`format: lines` drops a line's \\r, keeps a line of spaces, skips empty ones and counts them all", async () => {
    const run = await start(http(', format: lines'));
    const seen: unknown[] = [];
    run.opened.graph.stream('in').subscribe((e) => seen.push(e));
    const r = await post(run.url, 'a\r\n\r\n  \n\nlast', { 'content-type': 'text/plain' });
    expect(r.json).toEqual({ accepted: 3 });
    expect(seen).toEqual([
      { message: 'a', source: 'web', line: 1 },
      { message: '  ', source: 'web', line: 3 },
      { message: 'last', source: 'web', line: 5 },
    ]);
  });
});

describe('http source: bad input is refused whole, with a log line and a count', () => {
  it('400 names the bad line and appends nothing of the body (durable: nothing committed)', async () => {
    const run = await start(http(), { durable: true });
    const r = await post(run.url, '{"a":1}\n{"a":2}\n{"a":\n{"a":4}\n');
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ error: 'INPUT_INVALID_JSON', line: 3 });
    expect(String(r.json!['message'])).toMatch(/^line 3: invalid JSON/);
    // An integer JSON would round is refused too, naming its line.
    const big = await post(run.url, '{"a":1}\n{"n":12345678901234567890}\n');
    expect(big.json).toMatchObject({ error: 'INPUT_INVALID_JSON', line: 2 });
    const utf = await post(run.url, Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d, 0x0a]));
    expect(utf.status).toBe(400);
    expect(String(utf.json!['message'])).toContain('not valid UTF-8');
    expect((await post(run.url, '[1,', { 'content-type': 'application/json' })).status).toBe(400);
    const ok = await post(run.url, '{"a":5}\n');
    expect(ok.json).toEqual({ accepted: 1, stream: 'in', first: 1, last: 1 });
    expect(run.opened.sources[0]!.answers.get(400)).toBe(4);
    expect(run.logs.filter((l) => l.code === 'INPUT_INVALID_JSON' && l.level === 'warn').length).toBe(4);
    expect(run.logs.find((l) => l.code === 'INPUT_INVALID_JSON')!.message).toContain("http source 'web': 400: line 3");
  });

  it('400 names the line with an inexact integer, a lone surrogate escape or an infinite number among lines that have none', async () => {
    const run = await start(http(), { durable: true });
    const good = Array.from({ length: 40 }, (_, i) => JSON.stringify({ id: i, s: 'é' }));
    for (const [bad, words] of [
      ['{"big":9007199254740993}', 'cannot be represented exactly'],
      ['{"s":"\\udc00"}', 'lone UTF-16 surrogate'],
      ['{"x":1e999}', 'beyond the range of a double'],
    ] as const) {
      const lines = [...good];
      lines.splice(25, 0, bad);
      const r = await post(run.url, `${lines.join('\r\n')}\r\n`);
      expect(r.status).toBe(400);
      expect(r.json).toMatchObject({ error: 'INPUT_INVALID_JSON', line: 26 });
      expect(String(r.json!['message'])).toContain(words);
    }
    const ok = await post(run.url, `${good.join('\n')}\n`);
    expect(ok.json).toEqual({ accepted: 40, stream: 'in', first: 1, last: 40 });
  });

  it('413 over max_body, declared or streamed, and nothing appended', async () => {
    const run = await start(http(', max_body: 100'));
    const declared = await post(run.url, ndjson(20));
    expect(declared.status).toBe(413);
    expect(declared.json).toMatchObject({ error: 'INPUT_TOO_LARGE' });
    expect(declared.headers['connection']).toBe('close');
    // Chunked, with no length said up front: cut off as it passes the limit.
    const streamed = await new Promise<number>((resolve, reject) => {
      const req = request(run.url, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write(ndjson(5));
      req.write(ndjson(5));
      req.end(ndjson(5));
    });
    expect(streamed).toBe(413);
    expect(run.opened.graph.appended('in')).toBe(0);
    expect(run.logs.some((l) => l.message.includes("the body is over the source's max_body of 100 bytes"))).toBe(true);
    expect(run.opened.sources[0]!.answers.get(413)).toBe(2);
    expect((await post(run.url, ndjson(2))).status).toBe(200);
  });

  it('Expect: 100-continue: a body over max_body is refused before it is sent (no 100 Continue); one under it is asked for, and taken', async () => {
    const run = await start(http(', max_body: 100'));
    const ask = (body: string) =>
      new Promise<{ status: number; continued: boolean; text: string }>((resolve, reject) => {
        let continued = false;
        const req = request(run.url, { method: 'POST', headers: { expect: '100-continue', 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (d: string) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, continued, text }));
        });
        req.on('continue', () => {
          continued = true;
          req.end(body); // the body goes only once the server asked for it
        });
        req.on('error', reject);
        req.flushHeaders();
      });
    const big = await ask(ndjson(20));
    expect(big).toMatchObject({ status: 413, continued: false });
    expect(JSON.parse(big.text)).toMatchObject({
      error: 'INPUT_TOO_LARGE',
      message: expect.stringMatching(/^the body is \d+ bytes, over the source's max_body of 100 bytes/),
    });
    const small = await ask(ndjson(2));
    expect(small).toMatchObject({ status: 200, continued: true });
    expect(run.opened.graph.appended('in')).toBe(2);
  });

  it('401 without the bearer token; 404 on another path; 405 on GET', async () => {
    process.env['SANCTUM_TEST_TOKEN'] = 's3cret';
    const run = await start(http(', token: "${SANCTUM_TEST_TOKEN}"'));
    const none = await post(run.url, ndjson(1));
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    expect((await post(run.url, ndjson(1), { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await post(run.url, ndjson(1), { authorization: 'Bearer s3cret' })).json).toEqual({ accepted: 1 });
    expect((await post(run.url.replace('/events', '/other'), ndjson(1), { authorization: 'Bearer s3cret' })).status).toBe(404);
    const get = await post(run.url, '', { authorization: 'Bearer s3cret' }, 'GET');
    expect(get.status).toBe(405);
    expect(get.headers['allow']).toBe('POST');
    expect(run.logs.some((l) => l.code === 'SOURCE_UNAUTHORIZED')).toBe(true);
  });

  it('408 and a disconnect for a client too slow to send its request (slowloris); the others go on', async () => {
    const run = await start(http(', timeout: 1s'));
    const { port } = new URL(run.url);
    const t0 = Date.now();
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.write('POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"a":'));
      let got = '';
      socket.on('data', (d) => (got += d));
      socket.on('close', () => resolve(got));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect((await post(run.url, ndjson(1))).status).toBe(200);
    expect(run.opened.sources[0]!.answers.get(408)).toBe(1);
    expect(run.logs.some((l) => l.code === 'INPUT_TIMEOUT' && /took longer than 1000 ms/.test(l.message))).toBe(true);
    expect(run.opened.graph.appended('in')).toBe(1);
  });

  it('503 with Retry-After when `queue` requests are already in the source', async () => {
    const run = await start(http(', queue: 1'));
    const { port } = new URL(run.url);
    // One request that sends half its body and waits: it holds the only place in the queue.
    const holder = connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve) => holder.on('connect', resolve));
    holder.write('POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 16\r\n\r\n{"a":1}\n');
    let answered = '';
    holder.on('data', (d) => (answered += d));
    let busy;
    for (;;) {
      busy = await post(run.url, ndjson(1));
      if (busy.status === 503) break;
      // The holder's headers may not have been read yet: what got in was appended.
      expect(busy.status).toBe(200);
    }
    expect(busy.headers['retry-after']).toBe('1');
    expect(busy.json).toMatchObject({ error: 'SOURCE_BUSY' });
    holder.write('{"a":2}\n');
    await until(() => answered.includes('200'), 'the holder to be answered');
    holder.destroy();
    expect((await post(run.url, ndjson(1))).status).toBe(200);
  });

  it('429 with Retry-After when the pipeline is behind: what is held stays bounded, nothing of a refused request appended', async () => {
    // The sink's receiver never answers: its queue fills, then the source's stream has no room.
    const stuck = await receiver(() => 'hang');
    receivers.push(stuck);
    // Its dead letters (when the run stops) go to a file, not to the test's stderr.
    const run = await start(http(', max_wait: 100ms'), {
      extra: `sinks:\n  out: { type: http, from: in, url: "${stuck.url}", timeout: 1h }\n  dl: { type: file, path: dl.ndjson, from: dead-letters }\n`,
    });
    let accepted = 0;
    let refused;
    for (let k = 0; k < 100; k++) {
      const r = await post(run.url, ndjson(1000, 1000 * k));
      if (r.status === 429) {
        refused = r;
        break;
      }
      expect(r.status).toBe(200);
      accepted += (r.json as { accepted: number }).accepted;
    }
    expect(refused?.headers['retry-after']).toBe('1');
    expect(refused?.json).toMatchObject({ error: 'SOURCE_BUSY' });
    // Bounded: the stream's reader holds at most its bound (8192) plus a request, and one batch is in flight.
    expect(accepted).toBeLessThanOrEqual(8192 + 1000 + 4096);
    expect(run.opened.graph.appended('in')).toBe(accepted);
    expect(run.logs.some((l) => l.code === 'SOURCE_BUSY' && /is behind/.test(l.message))).toBe(true);
  }, 60_000);
});

describe('http source: listening and stopping', () => {
  it('a stopping run finishes the request in it, answers new ones 503, then ends', async () => {
    const run = await start(http(), { durable: true });
    const { port } = new URL(run.url);
    const slow = connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve) => slow.on('connect', resolve));
    let answer = '';
    slow.on('data', (d) => (answer += d));
    const body = ndjson(2);
    slow.write(`POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`);
    // A second keep-alive connection that sent a request before: it gets 503 after the stop.
    await until(async () => (await post(run.url, ndjson(1))).status === 200, 'a first request');
    const stopped = run.stop();
    slow.write(body.slice(5));
    const report = await stopped;
    await until(() => answer.includes('"accepted"'), 'the in-flight request to be answered');
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(answer).toContain('"accepted":2');
    expect(report.read).toBe(3);
    await expect(post(run.url, ndjson(1))).rejects.toThrow(/ECONNREFUSED/);
    slow.destroy();
  });

  it('a port in use stops the run with SOURCE_LISTEN_FAILED, saying where', async () => {
    const other = await receiver();
    receivers.push(other);
    const port = new URL(other.url).port;
    const { loadRunesetOrThrow, openRuneset } = await import('../../src/index.js');
    const { tempDir } = await import('../helpers.js');
    const dir = tempDir({ 'r.yaml': `version: 1\nstreams: { in: {} }\nsources:\n  web: { type: http, listen: "127.0.0.1:${port}", to: in }\n` });
    const opened = await openRuneset(await loadRunesetOrThrow(`${dir}/r.yaml`));
    await expect(opened.run({ log: () => {} })).rejects.toMatchObject({
      code: 'SOURCE_LISTEN_FAILED',
      message: `http source 'web' cannot listen on 127.0.0.1:${port}: the address is in use`,
    });
  });
});
