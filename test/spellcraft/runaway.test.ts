/**
 * Spells that used to hang the process: a message handler run outside the instruction budget, and
 * single library calls that do unbounded work without allocating. They run in a child process
 * that is killed at a deadline, so a regression fails here instead of hanging the suite.
 */
import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const RUNNER = fileURLToPath(new URL('./fixtures/probe-runner.ts', import.meta.url));

interface Probe {
  name: string;
  source: string;
  events?: unknown[];
  options?: Record<string, unknown>;
}
interface Report {
  name: string;
  summon?: string;
  codes: string[];
  out: unknown[];
}

/**
 * Runs the probes in one child process; those that did not report by the deadline are absent. With
 * `afterFirstMs`, the process is also killed that long after its first report: the probes after it
 * get that long however slow the start-up was (on a loaded machine, starting tsx and summoning the
 * first spell takes seconds).
 */
function runProbes(probes: Probe[], deadlineMs: number, afterFirstMs?: number): Promise<Map<string, Report>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', RUNNER, JSON.stringify(probes)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
    let reported = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      if (afterFirstMs !== undefined && !reported && stdout.includes('\n')) {
        reported = true;
        clearTimeout(timer);
        timer = setTimeout(() => child.kill('SIGKILL'), afterFirstMs);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0 && signal !== 'SIGKILL') return reject(new Error(`the probe runner failed (${code}): ${stderr}`));
      const reports = new Map<string, Report>();
      for (const line of stdout.split('\n')) if (line) reports.set((JSON.parse(line) as Report).name, JSON.parse(line) as Report);
      resolve(reports);
    });
  });
}

/** A spell whose cast runs `body` (the event is `e`). */
const casting = (body: string) => `local s = {} function s.cast(e) ${body} end return s`;
const loop = 'function() while true do end end';
const BUDGET = { instructionBudget: 100_000 };

const probes: Probe[] = [
  // Item 1: the budget error is raised inside the count hook, where Lua runs message handlers
  // with hooks off.
  { name: 'xpcall handler loops (cast)', source: casting(`xpcall(${loop}, ${loop})`), options: BUDGET },
  {
    name: 'xpcall handler loops (init)',
    source: `local s = {} function s.init() xpcall(${loop}, ${loop}) end function s.cast(e) return e end return s`,
    options: BUDGET,
  },
  { name: 'xpcall handler loops (top level)', source: `xpcall(${loop}, ${loop}) return { cast = function(e) return e end }`, options: BUDGET },
  { name: 'xpcall handler calls pcall, then loops', source: casting(`xpcall(${loop}, function(m) pcall(${loop}) while true do end end)`), options: BUDGET },
  // The handler runs twice: for the error (metered, its __index loop hits the budget), then for
  // the budget error, a string, whose method lookup the spell has made loop too.
  {
    name: 'xpcall handler indexes error values whose __index loops',
    source: casting(
      `setmetatable(string, { __index = ${loop} }) xpcall(function() error(setmetatable({}, { __index = ${loop} })) end, function(e) return e.x end)`,
    ),
    options: BUDGET,
  },
  { name: 'xpcall handler loops inside a coroutine', source: casting(`coroutine.wrap(function() xpcall(${loop}, ${loop}) end)()`), options: BUDGET },
  {
    name: 'closing a coroutine stopped by the budget does not run its __close unmetered',
    source: `local s = {} local co
      function s.cast(e)
        if e.close then return { closed = coroutine.close(co) } end
        co = coroutine.create(function() local x <close> = setmetatable({}, { __close = ${loop} }) while true do end end)
        coroutine.resume(co)
      end return s`,
    events: [{}, { close: true }],
    options: BUDGET,
  },
  // load runs its reader protected, on the caller's instruction count: without a rethrow, the
  // count hook would always fire inside the reader, and load would swallow the budget error.
  { name: 'load swallowing the budget error raised in its reader', source: casting(`while true do load(${loop}) end`), options: BUDGET },
  // Item 2: one C call that allocates nothing and never returns.
  { name: 'string.rep("", maxinteger)', source: casting('return { n = #string.rep("", math.maxinteger) }') },
  { name: 'string.rep("", 1 << 40, "")', source: casting('return { n = #string.rep("", 1 << 40, "") }') },
  { name: 'table.move over 2^50 absent elements', source: casting('table.move({}, 1, 1 << 50, 2)') },
  {
    name: 'table.concat over 2^50 elements from a C __index',
    source: casting('return { n = #table.concat(setmetatable({}, { __index = table.concat }), "", 1, 1 << 50) }'),
  },
  {
    name: 'table.insert into a table whose __len is huge',
    source: casting('table.insert(setmetatable({}, { __len = function() return math.maxinteger - 1 end }), 1, "x")'),
  },
  {
    name: 'table.remove from a table whose __len is huge',
    source: casting('table.remove(setmetatable({}, { __len = function() return math.maxinteger - 1 end }), 1)'),
  },
  {
    name: 'table.insert into a plain table with a huge border',
    // Keys 2^49, 2^48, ..., 2, 1 (in that order): 50 elements, and a border (#t) of 2^49.
    source: casting('local t = {} for k = 49, 0, -1 do t[1 << k] = k end table.insert(t, 1, 0)'),
  },
  {
    name: 'table.sort of 2^30 absent elements with a C comparator',
    source: casting('table.sort(setmetatable({}, { __len = function() return 1 << 30 end }), rawequal)'),
  },
  // Not a hang before the guards: the guard's own soundness (C's sort must not see another length).
  {
    name: 'table.sort whose __len grows on the second call',
    source: casting(
      'local n = 0 table.sort(setmetatable({}, { __len = function() n = n + 1 return n == 1 and 2 or 1 << 30 end }), rawequal) return { calls = n }',
    ),
  },
  // A C reader returns pieces with no instruction in between: one numeral that only memory ends.
  {
    name: 'load with a C function as its reader',
    source: casting('local f, err = load(os.time) return { loaded = f ~= nil }'),
    options: { memoryLimit: 960 * 1024 * 1024 },
  },
];

describe('runaway spells end (in a child process, killed at a deadline)', () => {
  it('every probe reports, with the budget error where the work had no end', { timeout: 180_000 }, async () => {
    const reports = await runProbes(probes, 150_000);
    const missing = probes.filter((p) => !reports.has(p.name)).map((p) => p.name);
    expect(missing, 'probes that never returned').toEqual([]);
    const get = (name: string) => reports.get(name)!;
    for (const name of [
      'xpcall handler loops (cast)',
      'xpcall handler calls pcall, then loops',
      'xpcall handler indexes error values whose __index loops',
      'xpcall handler loops inside a coroutine',
      'load swallowing the budget error raised in its reader',
    ]) {
      expect(get(name).codes, name).toEqual(['SPELL_BUDGET_EXCEEDED']);
    }
    expect(get('xpcall handler loops (init)').codes).toEqual(['SPELL_BUDGET_EXCEEDED', 'SPELL_INIT_FAILED']);
    expect(get('xpcall handler loops (top level)').summon).toBe('SPELL_BUDGET_EXCEEDED');
    const closed = get('closing a coroutine stopped by the budget does not run its __close unmetered');
    expect(closed.codes).toEqual(['SPELL_BUDGET_EXCEEDED']);
    expect(closed.out).toEqual([{ closed: false }]);

    expect(get('string.rep("", maxinteger)').out).toEqual([{ n: 0 }]);
    expect(get('string.rep("", 1 << 40, "")').out).toEqual([{ n: 0 }]);
    for (const name of [
      'table.move over 2^50 absent elements',
      'table.concat over 2^50 elements from a C __index',
      'table.insert into a table whose __len is huge',
      'table.remove from a table whose __len is huge',
      'table.insert into a plain table with a huge border',
      'table.sort of 2^30 absent elements with a C comparator',
    ]) {
      expect(get(name).codes, name).toEqual(['SPELL_BUDGET_EXCEEDED']);
    }
    // The length is asked once (then fixed behind a proxy): a __len that grows later is not seen.
    expect(get('table.sort whose __len grows on the second call').out).toEqual([{ calls: 1 }]);
    expect(get('load with a C function as its reader').codes).toEqual(['SPELL_BUDGET_EXCEEDED']);
  });

  it('negative control: a probe that never returns is reported missing', { timeout: 90_000 }, async () => {
    // A backtracking pattern (docunomicon/limits.md): one string.find the budget cannot stop.
    const hang: Probe = { name: 'backtracking pattern', source: casting('string.find(string.rep("a", 40), string.rep("a?", 40) .. string.rep("a", 40))') };
    const quick: Probe = { name: 'quick', source: casting('return e') };
    // The hanging probe gets 5 s once the quick one reported (an 8 s deadline from the spawn left the
    // quick one itself 3 s to start on a loaded machine, where starting took them).
    const reports = await runProbes([quick, hang], 60_000, 5_000);
    expect(reports.has('quick')).toBe(true);
    expect(reports.has('backtracking pattern')).toBe(false);
  });
});
