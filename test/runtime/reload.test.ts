/**
 * Reloading a running runeset (`opened.reload`): new spells and runes swap in between batches with
 * their state and positions kept; a runeset with errors, a spell that does not summon or fails its
 * init, or a change of structure is refused and the running version goes on.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { writeFileSync, readFileSync } from 'node:fs';
import { loadRuneset } from '../../src/index.js';
import { SanctumMetrics, TapHub } from '../../src/observe/index.js';
import { openSqliteStorage } from '../../src/storage/index.js';
import { ndjson, post, startRun, until, type LiveRun } from './http-helpers.js';

const runs: LiveRun[] = [];
afterEach(async () => {
  for (const r of runs.splice(0)) await r.stop().catch(() => {});
});

/** A spell that tags each event with its version and a running count kept in `state`. */
const spell = (version: string) => `local s = {}
local tag
function s.init(runes) tag = runes.tag or "none" end
function s.cast(e, emit)
  local n = (state.get("n") or 0) + 1
  state.put("n", n)
  emit({ i = e.i, v = "${version}", tag = tag, n = n })
end
return s
`;

const yaml = (opts: { durable?: boolean; tag?: string; extraStream?: boolean } = {}) => `version: 1
sanctum: { log_level: error }
streams:
  in: { durable: ${opts.durable ?? false} }
  out: { durable: ${opts.durable ?? false} }
${opts.extraStream ? '  more: {}\n' : ''}spells:
  tagger: { file: tagger.lua, runes: { tag: ${opts.tag ?? 'first'} } }
sources:
  web: { type: http, listen: "127.0.0.1:0", to: in }
pipelines:
  p: { from: in, steps: [tagger], to: out }
`;

async function start(durable = false): Promise<{ run: LiveRun; seen: Record<string, unknown>[] }> {
  const run = await startRun({ 'r.yaml': yaml({ durable }), 'tagger.lua': spell('v1') });
  runs.push(run);
  const seen: Record<string, unknown>[] = [];
  run.opened.graph.stream('out').subscribe((e) => seen.push(e as Record<string, unknown>));
  return { run, seen };
}

const reload = async (run: LiveRun) => run.opened.reload(await loadRuneset(`${run.dir}/r.yaml`));

describe('reload', () => {
  it('swaps a changed spell and its runes in between batches; state goes on', async () => {
    const { run, seen } = await start();
    await post(run.url, ndjson(2));
    await until(() => seen.length === 2, 'the first events');
    writeFileSync(`${run.dir}/tagger.lua`, spell('v2'));
    writeFileSync(`${run.dir}/r.yaml`, yaml({ tag: 'second' }));
    const r = await reload(run);
    expect(r).toEqual({ ok: true, message: 'reloaded 1 spell into 1 pipeline' });
    await post(run.url, ndjson(2, 2));
    await until(() => seen.length === 4, 'the events after the reload');
    expect(seen).toEqual([
      { i: 0, v: 'v1', tag: 'first', n: 1 },
      { i: 1, v: 'v1', tag: 'first', n: 2 },
      { i: 2, v: 'v2', tag: 'second', n: 3 },
      { i: 3, v: 'v2', tag: 'second', n: 4 },
    ]);
    expect(run.opened.reloads).toEqual({ ok: 1, failed: 0 });
    // The spell's counters go on across the reload (the metrics read them).
    expect(run.opened.spells.get('tagger')!.stats.casts).toBe(4);
  });

  it("hands the metrics' cast timer and a tap on to the new spell; the tap, ended, leaves nothing behind", async () => {
    const { run, seen } = await start();
    const metrics = new SanctumMetrics(run.opened, { defaultMetrics: false });
    const timer = run.opened.spells.get('tagger')!.probes.castTimer;
    expect(timer).toBeDefined();
    const lines: string[] = [];
    const taps = new TapHub(run.opened);
    const client = taps.open(
      { kind: 'spell', name: 'tagger' },
      {
        write: (l) => {
          lines.push(l);
          return true;
        },
        end: (l) => {
          if (l) lines.push(l);
        },
        on: () => undefined,
      },
    );
    writeFileSync(`${run.dir}/tagger.lua`, spell('v2'));
    expect((await reload(run)).ok).toBe(true);
    const now = run.opened.spells.get('tagger')!;
    expect(now.probes.castTimer).toBe(timer);
    await post(run.url, ndjson(1));
    await until(() => seen.length === 1, 'an event');
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([{ spell: 'tagger', port: 'out', event: { i: 0, v: 'v2', tag: 'first', n: 1 } }]);
    client.end('limit');
    expect(now.probes.emitted).toBeUndefined();
    metrics.detach();
    expect(now.probes.castTimer).toBeUndefined();
  });

  it('refuses a runeset with errors, a spell that does not summon or fails its init, and structural changes; the old version goes on', async () => {
    const { run, seen } = await start();
    // Errors in the runeset: its diagnostics come back.
    writeFileSync(`${run.dir}/r.yaml`, yaml().replace('to: out', 'to: nowhere'));
    const bad = await reload(run);
    expect(bad.ok).toBe(false);
    expect(bad.message).toBe('the runeset has 1 error; the running version goes on');
    expect(bad.diagnostics!.map((d) => d.code)).toEqual(['RUNESET_UNKNOWN_STREAM']);
    // A new stream: a restart is needed.
    writeFileSync(`${run.dir}/r.yaml`, yaml({ extraStream: true }));
    expect((await reload(run)).message).toBe(
      'restart to apply: streams changed (a reload swaps spells — their files, runes, on_error and budget — and keeps everything else)',
    );
    writeFileSync(`${run.dir}/r.yaml`, yaml());
    // A spell that does not summon (checked by loadRuneset, and again by reload for a Runeset given directly).
    const good = (await loadRuneset(`${run.dir}/r.yaml`)).runeset!;
    writeFileSync(`${run.dir}/tagger.lua`, 'local s = {\nreturn s\n');
    const broken = await run.opened.reload(good);
    expect(broken.ok).toBe(false);
    expect(broken.message).toMatch(/^a spell does not summon: .*tagger\.lua:2/);
    // An init that fails.
    writeFileSync(`${run.dir}/tagger.lua`, 'local s = {}\nfunction s.init() error("no config") end\nfunction s.cast(e) return e end\nreturn s\n');
    const init = await run.opened.reload(good);
    expect(init.message).toMatch(/^spell 'tagger' fails its init: .*no config; the running version goes on$/);
    expect(run.opened.reloads).toEqual({ ok: 0, failed: 4 });
    await post(run.url, ndjson(1));
    await until(() => seen.length === 1, 'an event through the old spell');
    expect(seen[0]).toEqual({ i: 0, v: 'v1', tag: 'first', n: 1 });
  });

  it('over durable streams keeps the pipeline position: nothing cast twice or skipped', async () => {
    const { run } = await start(true);
    for (let k = 0; k < 5; k++) await post(run.url, ndjson(100, 100 * k));
    writeFileSync(`${run.dir}/tagger.lua`, spell('v2'));
    const reloading = reload(run);
    for (let k = 5; k < 10; k++) await post(run.url, ndjson(100, 100 * k));
    expect((await reloading).ok).toBe(true);
    for (let k = 10; k < 15; k++) await post(run.url, ndjson(100, 100 * k));
    // Every event posted is committed to `in`; a stop does not wait for the pipeline to drain its
    // durable backlog (the next run would), so wait until it has cast them all.
    const castSoFar = () => {
      const s = openSqliteStorage({ dir: `${run.dir}/.sanctum/r`, create: false, verify: 'none' });
      try {
        return s.offsets.get('pipeline:p', 'in');
      } finally {
        s.close();
      }
    };
    await until(() => castSoFar() === 1500, 'the pipeline through all 1,500 events', 60_000);
    await run.stop();
    const storage = openSqliteStorage({ dir: `${run.dir}/.sanctum/r` });
    try {
      const out = storage.log.read('out', 1, 5000).map((e) => e.event as { i: number; v: string; n: number });
      expect(out.map((e) => e.i)).toEqual(Array.from({ length: 1500 }, (_, i) => i));
      expect(out.map((e) => e.n)).toEqual(Array.from({ length: 1500 }, (_, i) => i + 1));
      // v1 up to some batch, v2 after it: one switch, between two batches.
      const switched = out.findIndex((e) => e.v === 'v2');
      expect(switched).toBeGreaterThan(0);
      expect(out.slice(switched).every((e) => e.v === 'v2')).toBe(true);
      expect(storage.offsets.get('pipeline:p', 'in')).toBe(1500);
    } finally {
      storage.close();
    }
    expect(readFileSync(`${run.dir}/tagger.lua`, 'utf8')).toContain('v2');
  });
});
