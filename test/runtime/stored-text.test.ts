/**
 * A durable stream stores an event read from NDJSON as the text of its line (without the whitespace
 * around it), not encoded again: the http, file and followed-file sources hand their lines on with
 * their events. What is stored always parses to the event the stream's readers got; a file sink
 * reading the stream writes that text as it is.
 */
import { afterEach, describe, it, expect } from 'vitest';
import fs from 'node:fs';
import { openSqliteStorage } from '../../src/storage/index.js';
import { post, startRun, until, type LiveRun } from './http-helpers.js';

const runs: LiveRun[] = [];
afterEach(async () => {
  for (const r of runs.splice(0)) await r.stop().catch(() => {});
});

/** Lines as a sender may write them: spaces, `1.0`, an escape, an event of another shape, whitespace around. */
const LINES = [' {"id": 1, "amount": 1.0} ', '{"id":2,"name":"\\u0041da"}', '\t[3, {"x" : "y"}]'];
const TEXTS = ['{"id": 1, "amount": 1.0}', '{"id":2,"name":"\\u0041da"}', '[3, {"x" : "y"}]'];
const EVENTS = [{ id: 1, amount: 1 }, { id: 2, name: 'Ada' }, [3, { x: 'y' }]];

function stored(dir: string, stream: string): { json: readonly string[]; events: unknown[] } {
  const storage = openSqliteStorage({ dir, readonly: true });
  try {
    return { json: storage.log.readJson!(stream, 1, 100).json, events: storage.log.read(stream, 1, 100).map((e) => e.event) };
  } finally {
    storage.close();
  }
}

describe('a durable stream stores the text each event was read as', () => {
  it('http: the lines of a body, trimmed; the readers got the events they parse to', async () => {
    const run = await startRun({
      'r.yaml': `version: 1
sanctum: { log_level: error }
streams:
  in: { durable: true }
sources:
  web: { type: http, listen: "127.0.0.1:0", to: in }
`,
    });
    runs.push(run);
    const seen: unknown[] = [];
    run.opened.graph.stream('in').subscribe((e) => seen.push(e));
    const r = await post(run.url, `${LINES.join('\n')}\n`);
    expect(r.json).toMatchObject({ accepted: 3, first: 1, last: 3 });
    await run.stop();
    expect(seen).toEqual(EVENTS);
    expect(stored(`${run.dir}/.sanctum/r`, 'in')).toEqual({ json: TEXTS, events: EVENTS });
  });

  it('file (read whole, paced, followed): the lines, trimmed; a file sink reading the stream writes them as they are', async () => {
    // A BOM first, CRLF endings, a line with a carriage return inside (encoded instead: a reader of
    // lines would break it there), and a last line without its newline.
    const body = `\ufeff${LINES.join('\r\n')}\n{"d":\r4}\n{"e": 5.0}`;
    const texts = [...TEXTS, '{"d":4}', '{"e": 5.0}'];
    const events = [...EVENTS, { d: 4 }, { e: 5 }];
    const run = await startRun({
      'in.ndjson': body,
      'paced.ndjson': body,
      'live.ndjson': `${LINES.join('\n')}\n`,
      'r.yaml': `version: 1
sanctum: { log_level: error }
streams:
  in: { durable: true }
  paced: { durable: true }
  live: { durable: true }
sources:
  file: { type: file, path: in.ndjson, to: in }
  slow: { type: file, path: paced.ndjson, to: paced, rate: 1000 }
  tail: { type: file, path: live.ndjson, follow: true, to: live }
sinks:
  out: { type: file, from: in, path: out.ndjson }
`,
    });
    runs.push(run);
    const out = `${run.dir}/out.ndjson`;
    await until(() => fs.existsSync(out) && fs.readFileSync(out, 'utf8').split('\n').length > texts.length, 'the sink to write every event');
    await until(() => stored(`${run.dir}/.sanctum/r`, 'live').json.length === 3, 'the followed file read');
    await until(() => stored(`${run.dir}/.sanctum/r`, 'paced').json.length === 5, 'the paced file read');
    await run.stop();
    expect(fs.readFileSync(out, 'utf8')).toBe(`${texts.join('\n')}\n`);
    expect(stored(`${run.dir}/.sanctum/r`, 'in')).toEqual({ json: texts, events });
    expect(stored(`${run.dir}/.sanctum/r`, 'paced')).toEqual({ json: texts, events });
    expect(stored(`${run.dir}/.sanctum/r`, 'live')).toEqual({ json: TEXTS, events: EVENTS });
  });

  it('a file that is one line without its newline, after a BOM, is read (followed: once it is let go)', async () => {
    const run = await startRun({
      'one.ndjson': '\ufeff{"a": 1.0}',
      'live.ndjson': '\ufeff{"a": 1.0}',
      'r.yaml': `version: 1
sanctum: { log_level: error }
streams:
  one: { durable: true }
  live: { durable: true }
sources:
  file: { type: file, path: one.ndjson, to: one }
  tail: { type: file, path: live.ndjson, follow: true, to: live }
`,
    });
    runs.push(run);
    await until(() => stored(`${run.dir}/.sanctum/r`, 'one').json.length === 1, 'the file read');
    // Renamed away and quiet (5 s): the followed file's last line is whole, and read.
    fs.renameSync(`${run.dir}/live.ndjson`, `${run.dir}/live.ndjson.1`);
    await until(() => stored(`${run.dir}/.sanctum/r`, 'live').json.length === 1, 'the last line read');
    await run.stop();
    expect(stored(`${run.dir}/.sanctum/r`, 'one')).toEqual({ json: ['{"a": 1.0}'], events: [{ a: 1 }] });
    expect(stored(`${run.dir}/.sanctum/r`, 'live')).toEqual({ json: ['{"a": 1.0}'], events: [{ a: 1 }] });
  });

  it('events a spell makes are stored as JSON.stringify writes them', async () => {
    const run = await startRun({
      'in.ndjson': `${LINES.join('\n')}\n`,
      'pass.lua': 'local s = {}\nfunction s.cast(e, emit) emit(e) end\nreturn s\n',
      'r.yaml': `version: 1
sanctum: { log_level: error }
streams:
  in: { durable: true }
  out: { durable: true }
spells:
  pass: { file: pass.lua }
sources:
  file: { type: file, path: in.ndjson, to: in }
pipelines:
  p: { from: in, steps: [pass], to: out }
`,
    });
    runs.push(run);
    await run.done;
    const out = stored(`${run.dir}/.sanctum/r`, 'out');
    expect(out.events).toEqual(EVENTS);
    // Encoded: no text of the input (its spaces, `1.0`, the escape) is left.
    expect(out.json).toEqual(out.json.map((t) => JSON.stringify(JSON.parse(t))));
  });
});
