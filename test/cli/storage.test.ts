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

const orders = ['{"user":"ada","amount":5}', '{"user":"bob","amount":3}', '{"user":"ada","amount":7}'].join('\n') + '\n';

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
    expect(append.stderr).toContain('appended 1 events to orders (seq 4..4)');
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

  it('refuses a foreign data file loudly, naming it', async () => {
    const dir = tempDir({ '.sanctum/sanctum.db': 'this is not a database, it is a text file that happens to be here' });
    const r = await sanctum(['streams', '--data-dir', '.sanctum'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\.sanctum\/sanctum\.db is not a Sanctum data file/);
  });

  it('cast gives spells an in-memory state', async () => {
    const r = await sanctum(['cast', 'spells/running-total.lua', '--rune', 'key=user', '--rune', 'report_over=1', '--state-index', 'total'], { input: '{"user":"a","amount":5}\n{"user":"a","amount":7}\n' });
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual([
      { key: 'a', total: 5, count: 1 },
      { key: 'a', total: 12, count: 2 },
      { report: 'a', total: 12, count: 2 },
    ]);
  });
});
