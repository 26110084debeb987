/**
 * Pipeline fusion: adjacent steps whose Lua states share an engine hand events on inside WASM
 * (src/spellcraft/caster.ts Handoff, bridge.wat `handoff`). Every test runs the same pipeline fused
 * and unfused and expects the same outputs, dead letters and stats: the hand-off is an
 * optimisation, never a change of meaning.
 */
import { describe, it, expect, vi, afterEach } from 'vitest';
import { summonSource, type EventValue, type SummonOptions } from '../../src/index.js';
import { DEFAULT_PORT } from '../../src/core/event.js';
import { PipelineCore, type Outputs } from '../../src/runtime/pipeline.js';
import type { StateSession } from '../../src/runtime/state-library.js';
import type { RunesetPipeline } from '../../src/runes/runeset.js';
import { LuaVM } from '../../src/spellcraft/lua-vm.js';

interface StepDef {
  source: string;
  ports?: Record<string, string>;
  options?: SummonOptions;
}

const session = { sweep() {}, size: 0 } as unknown as StateSession;

async function pipeline(defs: StepDef[], fusion: boolean, tap?: (i: number) => ((e: EventValue, port: string) => void) | undefined) {
  const steps = await Promise.all(
    defs.map(async (d, i) => {
      const spell = await summonSource(d.source, { name: `s${i + 1}`, ...d.options });
      const t = tap?.(i);
      if (t) spell.probes.emitted = t;
      return { spell, caster: spell.open(), session, ports: d.ports ?? {}, policy: 'dead-letter' as const };
    }),
  );
  const p = {
    name: 'p',
    from: ['in'],
    to: 'out',
    dead_letters: 'dead',
    steps: defs.map((d, i) => ({ spell: `s${i + 1}`, ports: d.ports ?? {} })),
  } as unknown as RunesetPipeline;
  const core = new PipelineCore(p, steps);
  core.fusion = fusion;
  core.init();
  return { core, steps };
}

/** Outputs as comparable data: dead letters without their traceback noise. */
function plain(out: Outputs): Record<string, unknown> {
  return Object.fromEntries([...out].map(([k, v]) => [k, JSON.parse(JSON.stringify(v))]));
}

/** Runs `batches` through the pipeline fused and unfused; returns both results and stats. */
async function both(defs: StepDef[], batches: EventValue[][]) {
  const runs = [];
  for (const fusion of [false, true]) {
    const { core, steps } = await pipeline(defs, fusion);
    const outs = batches.map((b) => {
      const r = core.process(b);
      return { out: plain(r.out), consumed: r.consumed };
    });
    runs.push({
      outs,
      stats: steps.map((s) =>
        JSON.parse(JSON.stringify({ ...s.spell.stats, emittedToPorts: [...s.spell.stats.emittedToPorts], failedByCode: [...s.spell.stats.failedByCode] })),
      ),
    });
    core.close();
  }
  return { unfused: runs[0]!, fused: runs[1]! };
}

// Describes a value as Lua sees it: types (integer or float), array marks, keys, bytes. (Keys are
// sorted: the order of pairs differs from one Lua state to another, fused or not.)
const DUMP = `
local function dump(v)
  local t = type(v)
  if t == "table" then
    local parts = {}
    for k, x in pairs(v) do parts[#parts + 1] = (type(k) == "string" and ("s:" .. k) or ("i:" .. math.type(k) .. tostring(k))) .. "=" .. dump(x) end
    table.sort(parts)
    return (sanctum.is_array(v) and "A" or "T") .. "{" .. table.concat(parts, ",") .. "}"
  elseif t == "number" then return math.type(v) .. ":" .. string.format("%.17g", v) .. (v == 0 and 1 / v < 0 and "-0" or "")
  elseif t == "string" then return "str" .. #v .. ":" .. v
  elseif v == sanctum.null then return "null"
  else return t .. ":" .. tostring(v) end
end
return { cast = function(e) return { dump = dump(e), e = e } end }
`;
const IDENTITY = `return { cast = function(e) return e end }`;

// Values made in Lua (floats holding integers, -0.0, holes, mixed keys, ...) next to the event's own.
const MAKER = `
return { cast = function(e)
  local k = e.k
  if k == "floats" then return { a = 4.0, b = -0.0, c = 0.5, d = 2^53, e = 2^60 * 1.0, f = 1e300, g = -2^63, h = 3, i = 2^63 } end
  if k == "holes" then return { 1, nil, 3 } end
  if k == "mixed" then return { 1, 2, x = 3 } end
  if k == "sparse" then return { [5] = "five" } end
  if k == "digits" then return { ["10"] = 1, ["2"] = 2, a = 3, ["0x"] = 4 } end
  if k == "marked" then return { list = sanctum.array(), empty = {}, nested = sanctum.array({ 1, { 2 } }) } end
  if k == "bigint" then return { n = math.maxinteger } end
  if k == "bigint2" then return { m = 2^53 + 1, ok = 2^62, min = math.mininteger, big = 1 << 53 } end
  if k == "bom" then return { s = "\\239\\187\\191bom", t = string.rep("x", 30) .. "\\239\\187\\191" } end
  if k == "bytes" then return { s = "a\\0b", u = "\\xC3\\xA9t\\xC3\\xA9 \\xF0\\x9F\\x8E\\x89", long = string.rep("\\xE2\\x82\\xAC", 100) } end
  if k == "proto" then return { __proto__ = { polluted = true }, constructor = "c" } end
  if k == "userdata" then return { n = sanctum.null, list = { sanctum.null, 1 } } end
  if k == "scalar" then return "just a string" end
  return e
end }
`;

const VARIED: EventValue[] = [
  { id: 1, value: 42, kind: 'k1' },
  { nested: { a: { b: { c: [1, 2, { d: 'deep' }] } } }, list: [], obj: {} },
  { big: 'x'.repeat(200_000), unicode: 'héllo wörld ✓ 🎉 日本語', keys: { ключ: 1, clé: 'é' } },
  { ints: [0, -1, 2 ** 31, 2 ** 53 - 1, -(2 ** 53) + 1], floats: [0.1, -2.5, 1e-300, 123456.789], neg0: -0 },
  { nul: null, arr: [null, 'a', null], t: true, f: false },
  { k: 'floats' },
  { k: 'holes' },
  { k: 'mixed' },
  { k: 'sparse' },
  { k: 'digits' },
  { k: 'marked' },
  { k: 'bigint' },
  { k: 'bigint2' },
  { k: 'bom' },
  { k: 'bytes' },
  { k: 'proto' },
  { k: 'userdata' },
  { k: 'scalar' },
  [1, 'two', { three: 3 }],
  'a string event',
  12.5,
];

afterEach(() => {
  vi.restoreAllMocks();
});

describe('pipeline fusion (a spell hands its events to the next inside the engine)', () => {
  it('hands on without building JS objects of the intermediate events', async () => {
    const read = vi.spyOn(LuaVM.prototype, 'read');
    const events = Array.from({ length: 50 }, (_, i) => ({ id: i, value: i * 3, kind: `k${i}` }));
    const reads: number[] = [];
    for (const fusion of [false, true]) {
      const { core } = await pipeline([{ source: IDENTITY }, { source: IDENTITY }, { source: IDENTITY }], fusion);
      read.mockClear();
      const r = core.process(events);
      reads.push(read.mock.calls.length);
      expect(r.out.get('out')).toEqual(events);
      core.close();
    }
    // Unfused, every step reads each event (a record in one read: LuaVM.read describes it whole);
    // fused, only the last step does.
    expect(reads[0]).toBe(3 * 50);
    expect(reads[1]).toBe(50);
  });

  it('gives the same outputs as the unfused path on varied events', async () => {
    const { unfused, fused } = await both([{ source: MAKER }, { source: IDENTITY }, { source: DUMP }, { source: IDENTITY }], [VARIED, VARIED.slice(0, 5)]);
    expect(fused).toEqual(unfused);
    // The dump says what the third spell saw: a few of the conversion rules, held by both paths.
    const dumps = (fused.outs[0]!.out['out'] as { dump: string }[]).map((o) => o.dump);
    expect(dumps[5]).toContain('s:a=integer:4'); // a float holding an integer arrives an integer
    expect(dumps[5]).toContain('s:b=float:-0-0'); // -0.0 stays a float
    expect(dumps[6]).toMatch(/^T\{/); // holes: an object whose keys are strings
    expect(dumps[6]).toContain('s:1=');
    expect(dumps[10]).toContain('s:list=A{}');
    expect(dumps[10]).toContain('s:empty=T{}');
    expect(dumps.find((d) => d.includes('bom'))).toContain('s:s=str3:bom'); // the JS decoder drops a leading byte order mark
  });

  it('gives the same outputs with emits to named ports, several per cast, and failures mid-cast', async () => {
    const fan = `return { cast = function(e, emit)
      if e.n % 5 == 0 then emit({ side = e.n }, "side") end
      for i = 1, e.n % 3 do emit({ n = e.n, i = i }) end
      if e.n % 7 == 0 then error("seven") end
      if e.n % 11 == 0 then emit({ bad = function() end }) end
    end }`;
    const second = `return { cast = function(e, emit)
      if e.i == 2 and e.n % 4 == 0 then error("second fails") end
      emit(e); if e.n % 6 == 0 then emit({ again = e.n }, "side") end
    end }`;
    const events = Array.from({ length: 60 }, (_, n) => ({ n }));
    const defs = [{ source: fan, ports: { side: 'side1' } }, { source: second, ports: { side: 'side2' } }, { source: DUMP }];
    const { unfused, fused } = await both(defs, [events, events.slice(10, 20)]);
    expect(fused).toEqual(unfused);
    const dead = fused.outs[0]!.out['dead'] as { spell: string; code: string; event: EventValue }[];
    expect(dead.filter((d) => d.spell === 's1' && d.code === 'SPELL_RUNTIME')).toHaveLength(9);
    expect(dead.filter((d) => d.spell === 's1' && d.code === 'SPELL_BAD_OUTPUT')).toHaveLength(5);
    expect(dead.filter((d) => d.spell === 's2').map((d) => d.event)).toContainEqual({ n: 8, i: 2 });
  });

  it('a step that hands nothing on ends the batch there, as before', async () => {
    const drop = `return { cast = function(e, emit) if e.keep then emit(e) end end }`;
    const batches = [[{ keep: false }, { keep: false }], [{ keep: true, id: 1 }], []];
    const { unfused, fused } = await both([{ source: drop }, { source: IDENTITY }, { source: IDENTITY }], batches);
    expect(fused).toEqual(unfused);
    expect(fused.outs.map((o) => o.out)).toEqual([{}, { out: [{ keep: true, id: 1 }] }, {}]);
  });

  it('attributes a refused value to the step that emitted it', async () => {
    const bad = `return { cast = function(e)
      if e.k == "nan" then return { x = 0/0 } end
      if e.k == "fn" then return { f = print } end
      if e.k == "float-key" then return { [1.5] = 1 } end
      if e.k == "deep" then local t = {} for i = 1, 250 do t = { t } end return t end
      if e.k == "utf8" then return { s = "\\xff" } end
      if e.k == "huge" then return { n = math.maxinteger } end
      return e
    end }`;
    const events = ['nan', 'fn', 'float-key', 'deep', 'utf8', 'huge', 'fine'].map((k) => ({ k }));
    const { unfused, fused } = await both([{ source: IDENTITY }, { source: bad }, { source: IDENTITY }], [events]);
    expect(fused).toEqual(unfused);
    const dead = fused.outs[0]!.out['dead'] as { spell: string; code: string; event: EventValue; message: string }[];
    expect(dead.map((d) => [d.spell, d.code, d.event])).toEqual(events.slice(0, 6).map((e) => ['s2', 'SPELL_BAD_OUTPUT', e]));
    expect(fused.outs[0]!.out['out']).toEqual([{ k: 'fine' }]);
  });

  it('a dead letter of the receiving step carries the event as it was handed on, not as the spell changed it', async () => {
    const mutateThenFail = `return { cast = function(e) e.changed = true; e.nested.x = 1; if e.id % 2 == 0 then error("boom") end return e end }`;
    const events = Array.from({ length: 6 }, (_, id) => ({ id, nested: { y: 2 } }));
    const { unfused, fused } = await both([{ source: IDENTITY }, { source: mutateThenFail }], [events]);
    expect(fused).toEqual(unfused);
    const dead = fused.outs[0]!.out['dead'] as { spell: string; event: EventValue }[];
    expect(dead.map((d) => d.event)).toEqual([0, 2, 4].map((id) => ({ id, nested: { y: 2 } })));
  });

  it("a spell handed a huge event hits its own memory cap, not its predecessor's", async () => {
    const grow = `return { cast = function(e) local t = {} for i = 1, 20000 do t[i] = "item " .. i end return { id = e.id, items = t } end }`;
    const defs = [
      { source: grow, options: { memoryLimit: 64 * 1024 * 1024 } },
      { source: IDENTITY, options: { memoryLimit: 512 * 1024 } },
      { source: IDENTITY },
    ];
    const { unfused, fused } = await both(defs, [[{ id: 1 }, { id: 2 }]]);
    expect(fused).toEqual(unfused);
    const dead = fused.outs[0]!.out['dead'] as { spell: string; code: string }[];
    expect(dead.map((d) => [d.spell, d.code])).toEqual([
      ['s2', 'SPELL_MEMORY_EXCEEDED'],
      ['s2', 'SPELL_MEMORY_EXCEEDED'],
    ]);
  });

  it('a tap on a step sees every event it hands on, and the outputs stay the same', async () => {
    const seen: [number, EventValue, string][] = [];
    const events = Array.from({ length: 20 }, (_, id) => ({ id }));
    const tag = `return { cast = function(e, emit) e.tag = "t" .. e.id; emit(e); if e.id % 4 == 0 then emit({ side = e.id }, "side") end end }`;
    const defs = [{ source: tag, ports: { side: 'side' } }, { source: DUMP }];
    const tapped = await pipeline(defs, true, (i) => (e, port) => seen.push([i, e, port]));
    const r = tapped.core.process(events);
    const { core: plainCore } = await pipeline(defs, false);
    expect(plain(r.out)).toEqual(plain(plainCore.process(events).out));
    const first = seen.filter(([i]) => i === 0);
    expect(first.filter(([, , p]) => p === DEFAULT_PORT).map(([, e]) => e)).toEqual(events.map((e) => ({ ...e, tag: `t${e.id}` })));
    expect(first.filter(([, , p]) => p === 'side')).toHaveLength(5);
    expect(seen.filter(([i]) => i === 1)).toHaveLength(20);
  });

  it('bounds the first step as before (maxOutputs) and counts the same stats', async () => {
    const fan = `return { cast = function(e, emit) for i = 1, 3 do emit({ id = e.id, i = i }) end end }`;
    const events = Array.from({ length: 10 }, (_, id) => ({ id }));
    const results = [];
    for (const fusion of [false, true]) {
      const steps = await Promise.all(
        [fan, IDENTITY].map(async (src, i) => {
          const spell = await summonSource(src, { name: `s${i + 1}` });
          return { spell, caster: spell.open(), session, ports: {}, policy: 'dead-letter' as const };
        }),
      );
      const p = {
        name: 'p',
        from: ['in'],
        to: 'out',
        dead_letters: 'dead',
        steps: [
          { spell: 's1', ports: {} },
          { spell: 's2', ports: {} },
        ],
      } as unknown as RunesetPipeline;
      const core = new PipelineCore(p, steps, {}, 7);
      core.fusion = fusion;
      const r = core.process(events);
      results.push({ consumed: r.consumed, out: plain(r.out), stats: steps.map((s) => [s.spell.stats.casts, s.spell.stats.emitted]) });
      core.close();
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[1]!.consumed).toBe(3);
    expect(results[1]!.stats).toEqual([
      [3, 9],
      [9, 9],
    ]);
  });
});
