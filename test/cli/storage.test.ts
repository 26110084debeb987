import { describe, it, expect } from 'vitest';
import { sanctum, lines } from './run-cli.js';
import { tempDir } from '../helpers.js';

const runeset = `version: 1
sanctum: { batch_size: 2 }
streams:
  orders: { durable: true, key: user }
  totals: { durable: true }
spells:
  total:
    file: running-total.lua
    runes: { key: user, report_over: 10 }
    state: { indexes: [total] }
sources:
  file: { type: file, path: orders.ndjson, to: orders }
pipelines:
  totals: { from: orders, steps: [total], to: totals }
`;

const orders = `${['{"user":"ada","amount":5}', '{"user":"bob","amount":3}', '{"user":"ada","amount":7}'].join('\n')}\n`;

function setup() {
  return tempDir({ 'r.yaml': runeset, 'orders.ndjson': orders, 'running-total.lua': '' });
}

describe('durable streams through the CLI', () => {
  it('run, then streams, tail, state; a second run reads nothing twice; append and replay', async () => {
    const dir = setup();
    const { readFileSync, writeFileSync } = await import('node:fs');
    writeFileSync(`${dir}/running-total.lua`, readFileSync('spells/running-total.lua'));

    const first = await sanctum(['run', 'r.yaml'], { cwd: dir });
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('3 events read');

    const streams = await sanctum(['streams', '--runeset', 'r.yaml', '--json'], { cwd: dir });
    expect(JSON.parse(streams.stdout)).toEqual([
      { name: 'orders', count: 3, firstSeq: 1, lastSeq: 3 },
      { name: 'totals', count: 4, firstSeq: 1, lastSeq: 4 },
    ]);

    const tail = await sanctum(['tail', 'totals', '--runeset', 'r.yaml'], { cwd: dir });
    expect(lines(tail.stdout)).toEqual([
      { key: 'ada', total: 5, count: 1 },
      { key: 'bob', total: 3, count: 1 },
      { key: 'ada', total: 12, count: 2 },
      { report: 'ada', total: 12, count: 2 },
    ]);
    const meta = await sanctum(['tail', 'orders', '--runeset', 'r.yaml', '--from', '-1', '--meta'], { cwd: dir });
    expect(lines(meta.stdout)).toEqual([expect.objectContaining({ seq: 3, key: 'ada', event: { user: 'ada', amount: 7 } })]);

    const state = await sanctum(['state', 'total', '--runeset', 'r.yaml'], { cwd: dir });
    expect(lines(state.stdout)).toEqual([
      { key: 'ada', value: { key: 'ada', total: 12, count: 2 } },
      { key: 'bob', value: { key: 'bob', total: 3, count: 1 } },
    ]);

    // The file was read exactly once: a second run appends nothing and casts nothing new.
    const second = await sanctum(['run', 'r.yaml'], { cwd: dir });
    expect(second.stderr).toContain('0 events read');
    const after = await sanctum(['tail', 'totals', '--runeset', 'r.yaml'], { cwd: dir });
    expect(lines(after.stdout).filter((e) => (e as { key?: string }).key)).toHaveLength(3);

    // New events appended from the CLI are cast by the next run, from where it left off.
    const append = await sanctum(['append', 'orders', '--runeset', 'r.yaml'], { cwd: dir, input: '{"user":"bob","amount":10}\nnot json\n' });
    expect(append.code).toBe(1);
    expect(append.stderr).toContain('stdin:2: invalid JSON');
    expect(append.stderr).toContain('appended 1 event to orders (seq 4..4)');
    await sanctum(['run', 'r.yaml'], { cwd: dir });
    const state2 = await sanctum(['state', 'total', '--runeset', 'r.yaml', '--prefix', 'b'], { cwd: dir });
    expect(lines(state2.stdout)).toEqual([{ key: 'bob', value: { key: 'bob', total: 13, count: 2 } }]);

    // Replay from seq 3: fresh state, outputs appended again after the earlier ones.
    const replay = await sanctum(['replay', 'r.yaml', 'totals', '--from', '3'], { cwd: dir });
    expect(replay.code).toBe(0);
    expect(replay.stderr).toContain("replayed 2 events of pipeline 'totals' from seq 3");
    const state3 = await sanctum(['state', 'total', '--runeset', 'r.yaml'], { cwd: dir });
    expect(lines(state3.stdout)).toEqual([
      { key: 'ada', value: { key: 'ada', total: 7, count: 1 } },
      { key: 'bob', value: { key: 'bob', total: 10, count: 1 } },
    ]);
  }, 60_000);

  it('state hides a value whose time to live has ended, as every read does', async () => {
    const dir = tempDir({
      'r.yaml': `version: 1
streams:
  in: { durable: true }
  out: { durable: true }
spells:
  brief: { file: brief.lua }
sources:
  file: { type: file, path: in.ndjson, to: in }
pipelines:
  p: { from: in, steps: [brief], to: out }
`,
      // One event, one batch: the expired value is still stored when the run ends (no later batch swept it).
      'brief.lua': 'local s = {}\nfunction s.cast(e) state.put("brief", 1, { ttl = 1 }) state.put("lasting", 2) end\nreturn s\n',
      'in.ndjson': '{"n":1}\n',
    });
    expect((await sanctum(['run', 'r.yaml'], { cwd: dir })).code).toBe(0);
    // The state command runs in a process started well after the 1 ms: the value has expired.
    const state = await sanctum(['state', 'brief', '--runeset', 'r.yaml'], { cwd: dir });
    expect(state.code).toBe(0);
    expect(lines(state.stdout)).toEqual([{ key: 'lasting', value: 2 }]);
  }, 60_000);

  it('a durable file source reads a file that got shorter since the last run again from its start, with a warning', async () => {
    const { writeFileSync } = await import('node:fs');
    const dir = tempDir({
      'r.yaml': `version: 1
streams:
  s: { durable: true }
sources:
  f: { type: file, path: in.ndjson, to: s }
sinks:
  o: { type: stdout, from: s }
`,
      'in.ndjson': '{"a":1}\n{"a":2}\n{"a":3}\n{"a":4}\n{"a":5}\n',
    });
    const first = await sanctum(['run', 'r.yaml'], { cwd: dir });
    expect(first.code).toBe(0);
    expect(lines(first.stdout)).toHaveLength(5);
    writeFileSync(`${dir}/in.ndjson`, '{"d":1}\n'); // rewritten in place: the same file, shorter
    const second = await sanctum(['run', 'r.yaml'], { cwd: dir });
    expect(second.stderr).toContain('INPUT_TRUNCATED');
    expect(second.code).toBe(0);
    expect(lines(second.stdout)).toEqual([{ d: 1 }]);
    // Its position is the new one: a third run reads nothing again.
    const third = await sanctum(['run', 'r.yaml'], { cwd: dir });
    expect(third.code).toBe(0);
    expect(lines(third.stdout)).toEqual([]);
    // Emptied: nothing to read, but its position is its start now, so what is written next is read.
    writeFileSync(`${dir}/in.ndjson`, '');
    const emptied = await sanctum(['run', 'r.yaml'], { cwd: dir });
    expect(emptied.code).toBe(0);
    expect(emptied.stderr).toContain('INPUT_TRUNCATED');
    writeFileSync(`${dir}/in.ndjson`, '{"e":1}\n{"e":2}\n');
    const refilled = await sanctum(['run', 'r.yaml'], { cwd: dir });
    expect(refilled.code).toBe(0);
    expect(lines(refilled.stdout)).toEqual([{ e: 1 }, { e: 2 }]);
  }, 60_000);

  it('refuses a foreign data file loudly, naming it', async () => {
    const dir = tempDir({ '.sanctum/sanctum.db': 'this is not a database, it is a text file that happens to be here' });
    const r = await sanctum(['streams', '--data-dir', '.sanctum'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\.sanctum\/sanctum\.db is not a Sanctum data file/);
  });

  it('cast gives spells an in-memory state', async () => {
    const r = await sanctum(['cast', 'spells/running-total.lua', '--rune', 'key=user', '--rune', 'report_over=1', '--state-index', 'total'], {
      input: '{"user":"a","amount":5}\n{"user":"a","amount":7}\n',
    });
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual([
      { key: 'a', total: 5, count: 1 },
      { key: 'a', total: 12, count: 2 },
      { report: 'a', total: 12, count: 2 },
    ]);
  });
});

describe('retention and concurrent runs', () => {
  it('retention.max_events keeps only the newest events', async () => {
    const lines = `${Array.from({ length: 10 }, (_, i) => JSON.stringify({ i })).join('\n')}\n`;
    const dir = tempDir({
      'r.yaml': 'version: 1\nstreams:\n  s: { durable: true, retention: { max_events: 3 } }\nsources:\n  f: { type: file, path: in.ndjson, to: s }\n',
      'in.ndjson': lines,
    });
    expect((await sanctum(['run', 'r.yaml', '-q'], { cwd: dir })).code).toBe(0);
    const streams = await sanctum(['streams', '--runeset', 'r.yaml', '--json'], { cwd: dir });
    expect(JSON.parse(streams.stdout)).toEqual([{ name: 's', count: 3, firstSeq: 8, lastSeq: 10 }]);
  });

  it('two runs of one runeset at once never apply an input twice: the loser stops with a conflict', async () => {
    const N = 20000;
    const lines = `${Array.from({ length: N }, (_, i) => JSON.stringify({ id: i })).join('\n')}\n`;
    const dir = tempDir({
      'r.yaml':
        'version: 1\nsanctum: { batch_size: 50 }\nstreams:\n  in: { durable: true }\n  out: { durable: true }\nspells:\n  id: { file: id.lua }\nsources:\n  f: { type: file, path: in.ndjson, to: in }\npipelines:\n  copy: { from: in, steps: [id], to: out }\n',
      'id.lua': 'return { cast = function(e) return e end }',
      'in.ndjson': lines,
    });
    const runs = await Promise.all([sanctum(['run', 'r.yaml', '-q'], { cwd: dir }), sanctum(['run', 'r.yaml', '-q'], { cwd: dir })]);
    for (const r of runs) if (r.code !== 0) expect(r.stderr).toMatch(/STORAGE_CONFLICT|another process|position in/);
    await sanctum(['run', 'r.yaml', '-q'], { cwd: dir }); // whatever is left
    const tail = await sanctum(['tail', 'out', '--runeset', 'r.yaml'], { cwd: dir });
    const ids = tail.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { id: number }).id);
    expect(ids.length).toBe(N);
    expect(new Set(ids).size).toBe(N);
    const inStream = JSON.parse((await sanctum(['streams', '--runeset', 'r.yaml', '--json'], { cwd: dir })).stdout) as { name: string; count: number }[];
    expect(inStream.find((s) => s.name === 'in')!.count).toBe(N);
  }, 60_000);
});
