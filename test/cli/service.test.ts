/**
 * `sanctum run` as a service, through the real binary: an HTTP source keeps it running; /healthz
 * and /readyz; SIGTERM drains (the request in flight is answered, then exit 0); SIGHUP and --watch
 * reload spells (logged and counted), and a bad reload leaves the running version.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { logLines, scrape, startRun, until, value, type LiveRun } from '../observe/live-run.js';
import { ndjson, post, receiver, type Receiver } from '../runtime/http-helpers.js';
import { lines } from './run-cli.js';

const runs: LiveRun[] = [];
const receivers: Receiver[] = [];
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
  for (const r of runs.splice(0)) if (r.child.exitCode === null) r.child.kill('SIGKILL');
});

const tagger = (v: string) => `local s = {}
function s.cast(e, emit) e.v = "${v}" emit(e) end
return s
`;

const runeset = (extra = '') => `version: 1
sanctum: { log_level: info }
streams:
  in: { durable: true }
  out: {}
spells:
  tag: { file: tag.lua }
sources:
  web: { type: http, listen: "127.0.0.1:0", path: /events, to: in }
pipelines:
  p: { from: in, steps: [tag], to: out }
sinks:
  o: { type: stdout, from: out }
${extra}`;

/** The http source's URL, from its log line. */
async function sourceUrl(run: LiveRun): Promise<string> {
  await until(() => logLines(run.stderr).some((l) => l['source'] === 'web' && typeof l['url'] === 'string'), 'the source to listen');
  return logLines(run.stderr).find((l) => l['source'] === 'web' && typeof l['url'] === 'string')!['url'] as string;
}

async function start(files: Record<string, string>, args: string[] = []): Promise<{ run: LiveRun; url: string }> {
  const run = await startRun(files, args);
  runs.push(run);
  return { run, url: await sourceUrl(run) };
}

describe('sanctum run as a service', () => {
  it('keeps running on an HTTP source; /healthz and /readyz answer; SIGTERM answers the request in flight, then exits 0', async () => {
    const { run, url } = await start({ 'r.yaml': runeset(), 'tag.lua': tagger('1') });
    expect(await (await fetch(`${run.url}/healthz`)).json()).toEqual({ status: 'up' });
    const ready = await fetch(`${run.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, phase: 'running', sources: [{ name: 'web', state: 'open', url }] });
    expect((await post(url, ndjson(2))).json).toEqual({ accepted: 2, stream: 'in', first: 1, last: 2 });
    await until(() => lines(run.stdout).length === 2, 'the events out');
    // A request whose body is half sent when the signal comes: it is finished and answered.
    const { port } = new URL(url);
    const slow = connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve) => slow.on('connect', resolve));
    let answer = '';
    slow.on('data', (d) => (answer += d));
    const body = ndjson(3, 10);
    slow.write(`POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 4)}`);
    run.child.kill('SIGTERM');
    await until(() => run.stderr.includes('SIGTERM: stopping input'), 'the stop to begin');
    slow.write(body.slice(4));
    expect(await run.exited).toBe(0);
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(answer).toContain('"first":3,"last":5');
    slow.destroy();
    // The durable pipeline stopped after its batch in flight: what the last request committed is in
    // the log, and the next run casts it. Nothing acknowledged is lost.
    const next = await startRun({}, [], run.dir);
    runs.push(next);
    await until(() => lines(next.stdout).length === 3, 'the next run to cast the rest');
    next.child.kill('SIGTERM');
    expect(await next.exited).toBe(0);
    expect([...lines(run.stdout), ...lines(next.stdout)]).toEqual([0, 1, 10, 11, 12].map((i) => ({ i, v: '1' })));
  }, 60_000);

  it('/readyz answers 503 while a durable sink is more than ready_lag events behind', async () => {
    const stuck = await receiver(() => 'hang');
    receivers.push(stuck);
    const yaml = `version: 1
sanctum: { log_level: info, metrics: { listen: "127.0.0.1:0", ready_lag: 5 } }
streams:
  in: { durable: true }
sources:
  web: { type: http, listen: "127.0.0.1:0", path: /events, to: in }
sinks:
  out: { type: http, from: in, url: "${stuck.url}", timeout: 1h }
`;
    const { run, url } = await start({ 'r.yaml': yaml });
    expect((await fetch(`${run.url}/readyz`)).status).toBe(200);
    await post(url, ndjson(10));
    await until(async () => (await fetch(`${run.url}/readyz`)).status === 503, 'readyz to fail');
    const body = (await (await fetch(`${run.url}/readyz`)).json()) as { reasons: string[] };
    expect(body.reasons).toEqual(['sink:out is 10 events behind (more than 5)']);
  }, 60_000);

  it('SIGHUP reloads a changed spell (logged, counted); a broken one is refused and the old one goes on', async () => {
    const { run, url } = await start({ 'r.yaml': runeset(), 'tag.lua': tagger('1') });
    await post(url, ndjson(1));
    await until(() => lines(run.stdout).length === 1, 'the first event');
    writeFileSync(`${run.dir}/tag.lua`, tagger('2'));
    run.child.kill('SIGHUP');
    await until(() => logLines(run.stderr).some((l) => l['msg'] === 'reloaded 1 spell into 1 pipeline'), 'the reload');
    await post(url, ndjson(1, 1));
    await until(() => lines(run.stdout).length === 2, 'the second event');
    writeFileSync(`${run.dir}/tag.lua`, 'local s = {\n');
    run.child.kill('SIGHUP');
    await until(() => logLines(run.stderr).some((l) => l['code'] === 'RELOAD_REFUSED'), 'the refusal');
    const refusal = logLines(run.stderr).filter((l) => l['level'] === 'error');
    expect(refusal.map((l) => l['code'])).toEqual(['SPELL_SYNTAX', 'RELOAD_REFUSED']);
    expect(String(refusal[0]!['msg'])).toContain('tag.lua:2');
    expect(refusal[1]!['msg']).toBe('reload refused: the runeset has 1 error; the running version goes on');
    await post(url, ndjson(1, 2));
    await until(() => lines(run.stdout).length === 3, 'the third event');
    expect(lines(run.stdout)).toEqual([
      { i: 0, v: '1' },
      { i: 1, v: '2' },
      { i: 2, v: '2' },
    ]);
    const samples = await scrape(run.url);
    expect(value(samples, 'sanctum_reloads_total', { result: 'ok' })).toBe(1);
    expect(value(samples, 'sanctum_reloads_total', { result: 'failed' })).toBe(1);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  }, 60_000);

  it('--watch reloads when a spell file changes', async () => {
    const { run, url } = await start({ 'r.yaml': runeset(), 'tag.lua': tagger('1') }, ['--watch']);
    writeFileSync(`${run.dir}/tag.lua`, tagger('watched'));
    await until(() => logLines(run.stderr).some((l) => l['msg'] === 'reloaded 1 spell into 1 pipeline'), 'the reload');
    await post(url, ndjson(1));
    await until(() => lines(run.stdout).length === 1, 'an event');
    expect(lines(run.stdout)).toEqual([{ i: 0, v: 'watched' }]);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  }, 60_000);
});
