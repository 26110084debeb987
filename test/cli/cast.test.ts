import { describe, it, expect } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { sanctum, lines } from './run-cli.js';
import { tempDir } from '../helpers.js';

const enrich = `local spell = {}
local threshold
function spell.init(runes) threshold = runes.threshold or 50 end
function spell.cast(e, emit)
  if e.value == nil then error("event has no value") end
  local out = { id = e.id, value = e.value * 2, hot = e.value > threshold }
  if out.hot then emit(out, "hot") end
  emit(out)
end
return spell
`;

describe('sanctum cast', () => {
  it('casts NDJSON from stdin to NDJSON on stdout', async () => {
    const dir = tempDir({ 'enrich.lua': enrich });
    const r = await sanctum(['cast', `${dir}/enrich.lua`], { input: '{"id":1,"value":10}\n\n{"id":2,"value":60}\n' });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(lines(r.stdout)).toEqual([
      { id: 1, value: 20, hot: false },
      { id: 2, value: 120, hot: true },
      { id: 2, value: 120, hot: true },
    ]);
  });

  it('reads files, takes runes, and tags ports on request', async () => {
    const dir = tempDir({ 'enrich.lua': enrich, 'in.ndjson': '{"id":1,"value":10}\n', 'in2.ndjson': '{"id":2,"value":3}\n' });
    const r = await sanctum(['cast', `${dir}/enrich.lua`, `${dir}/in.ndjson`, `${dir}/in2.ndjson`, '--rune', 'threshold=5', '--with-ports']);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual([
      { port: 'hot', event: { id: 1, value: 20, hot: true } },
      { port: 'out', event: { id: 1, value: 20, hot: true } },
      { port: 'out', event: { id: 2, value: 6, hot: false } },
    ]);
  });

  it('reports failures on stderr as file:line: message plus the event, goes on, and exits 1', async () => {
    const dir = tempDir({ 'spells/enrich.lua': enrich });
    const r = await sanctum(['cast', 'spells/enrich.lua', '--dead-letters', 'dead.ndjson'], { cwd: dir, input: '{"id":1}\nnot json\n{"id":3,"value":1}\n' });
    expect(r.code).toBe(1);
    expect(lines(r.stdout)).toEqual([{ id: 3, value: 2, hot: false }]);
    expect(r.stderr).toContain('spells/enrich.lua:5: event has no value\n  event: {"id":1}\n');
    expect(r.stderr).toContain('stdin:2: invalid JSON');
    expect(r.stderr).toContain('2 of 3 events failed');
    const dead = lines(readFileSync(`${dir}/dead.ndjson`, 'utf8'));
    expect(dead).toEqual([
      expect.objectContaining({ code: 'SPELL_RUNTIME', file: 'spells/enrich.lua', line: 5, message: 'event has no value', event: { id: 1 } }),
      { code: 'INPUT_INVALID_JSON', file: 'stdin', line: 2, message: expect.stringMatching(/^invalid JSON/), text: 'not json' },
    ]);
  });

  it('stops at the first failure with --on-error stop', async () => {
    const dir = tempDir({ 'enrich.lua': enrich });
    const r = await sanctum(['cast', `${dir}/enrich.lua`, '--on-error', 'stop'], { input: '{"id":1,"value":1}\n{"id":2}\n{"id":3,"value":1}\n' });
    expect(r.code).toBe(1);
    expect(lines(r.stdout)).toEqual([{ id: 1, value: 2, hot: false }]);
    expect(r.stderr).toContain('stopped');
    expect(r.stderr).toContain('1 of 2 events failed (stopped)');
  });

  it('exits 2 with file:line: message for a malformed spell', async () => {
    const dir = tempDir({ 'spells/bad.lua': 'local s = {}\nfunction s.cast(e)\n  return e +\nend\nreturn s\n' });
    const r = await sanctum(['cast', 'spells/bad.lua'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^spells\/bad\.lua:4: unexpected symbol near 'end'\n/);
    expect(r.stdout).toBe('');
  });

  it('exits 2 for a missing spell', async () => {
    const r = await sanctum(['cast', 'no/such/spell.lua']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no/such/spell.lua: no such spell file');
  });

  it('survives looping, memory-hungry and escaping spells, event by event', async () => {
    const dir = tempDir({
      'wild.lua': `local s = {}
function s.cast(e)
  if e.kind == "loop" then while true do end end
  if e.kind == "mem" then local t = {} for i = 1, 1e9 do t[i] = {} end end
  if e.kind == "exit" then os.exit(7) end
  if e.kind == "io" then io.write("pwned") end
  return { ok = e.kind }
end
return s
`,
    });
    const input = ['loop', 'mem', 'exit', 'io', 'fine'].map((kind) => JSON.stringify({ kind })).join('\n');
    const r = await sanctum(['cast', `${dir}/wild.lua`, '--budget', '1000000', '--memory', '8MiB'], { input });
    expect(r.code).toBe(1);
    expect(lines(r.stdout)).toEqual([{ ok: 'fine' }]);
    expect(r.stderr).toContain('instruction budget exceeded');
    expect(r.stderr).toContain('not enough memory');
    expect(r.stderr).toContain("attempt to call a nil value (field 'exit')");
    expect(r.stderr).toContain("attempt to index a nil value (global 'io')");
    expect(r.stderr).toContain('4 of 5 events failed');
  });

  it('refuses bad flag values with a clear message', async () => {
    const r = await sanctum(['cast', 'x.lua', '--on-error', 'explode']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("option '--on-error <policy>' argument 'explode' is invalid. expected one of dead-letter, skip, stop");
  });
});

describe('sanctum cast, a chunk of events per call into Lua', () => {
  // Counts the casts in order (n), fails events without a value, logs each cast, and emits the count from finish.
  const counting = `local spell = {}
local n = 0
function spell.cast(e)
  print("cast " .. tostring(e.id))
  if e.value == nil then error("event has no value") end
  n = n + 1
  return { id = e.id, n = n }
end
function spell.finish(emit) emit({ finished = n }) end
return spell
`;
  const input = ['{"id":1,"value":1}', '{"id":2}', 'not json', '{"id":4,"value":1}', '{"id":5}', '{"id":6,"value":1}'].join('\n') + '\n';

  it('casts the events around a bad line in line order, and reports failures and bad lines in line order', async () => {
    const dir = tempDir({ 'counting.lua': counting, 'in.ndjson': input });
    const r = await sanctum(['cast', 'counting.lua', 'in.ndjson', '--dead-letters', 'dead.ndjson'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(lines(r.stdout)).toEqual([{ id: 1, n: 1 }, { id: 4, n: 2 }, { id: 6, n: 3 }, { finished: 3 }]);
    const dead = lines(readFileSync(`${dir}/dead.ndjson`, 'utf8')) as { code: string; line?: number; event?: { id: number } }[];
    expect(dead.map((d) => (d.event ? `event ${d.event.id} ${d.code}` : `line ${d.line} ${d.code}`))).toEqual([
      'event 2 SPELL_RUNTIME',
      'line 3 INPUT_INVALID_JSON',
      'event 5 SPELL_RUNTIME',
    ]);
    const at = (text: string) => r.stderr.indexOf(text);
    expect(at('  event: {"id":2}')).toBeGreaterThan(-1);
    expect(at('in.ndjson:3: invalid JSON')).toBeGreaterThan(at('  event: {"id":2}'));
    expect(at('  event: {"id":5}')).toBeGreaterThan(at('in.ndjson:3: invalid JSON'));
    expect(r.stderr).toContain('3 of 6 events failed');
  });

  it('--on-error stop in the middle of a chunk: nothing after the failing event is cast or written, and no finish', async () => {
    const dir = tempDir({ 'counting.lua': counting, 'in.ndjson': input });
    const r = await sanctum(['cast', 'counting.lua', 'in.ndjson', '--on-error', 'stop'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(lines(r.stdout)).toEqual([{ id: 1, n: 1 }]);
    expect(r.stderr).toContain('cast 2');
    expect(r.stderr).not.toContain('cast 4');
    expect(r.stderr).toContain('counting.lua:5: event has no value\n  event: {"id":2}\nstopped (--on-error stop)\n');
    expect(r.stderr).toContain('1 of 2 events failed (stopped)');
  });

  it('--on-error skip counts each skipped event and each bad line, and casts the rest', async () => {
    const dir = tempDir({ 'counting.lua': counting, 'in.ndjson': input });
    const r = await sanctum(['cast', 'counting.lua', 'in.ndjson', '--on-error', 'skip', '--dead-letters', 'dead.ndjson'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(lines(r.stdout)).toEqual([{ id: 1, n: 1 }, { id: 4, n: 2 }, { id: 6, n: 3 }, { finished: 3 }]);
    expect(r.stderr.match(/skipped a failed event/g)).toHaveLength(2);
    expect(r.stderr).toContain('in.ndjson:3: invalid JSON');
    expect(r.stderr).toContain('3 of 6 events failed\n');
    expect(readFileSync(`${dir}/dead.ndjson`, 'utf8')).toBe('');
  });

  it('keeps the order of a fan-out larger than one call holds', async () => {
    const fan = 'local s = {}\nfunction s.cast(e, emit) for i = 1, 20 do emit({ id = e.id, i = i }) end end\nreturn s\n';
    const events = Array.from({ length: 3000 }, (_, id) => JSON.stringify({ id })).join('\n');
    const dir = tempDir({ 'fan.lua': fan, 'in.ndjson': events });
    const r = await sanctum(['cast', 'fan.lua', 'in.ndjson'], { cwd: dir });
    expect(r.code).toBe(0);
    const out = lines(r.stdout) as { id: number; i: number }[];
    expect(out).toHaveLength(60_000);
    expect(out.every((o, k) => o.id === Math.floor(k / 20) && o.i === (k % 20) + 1)).toBe(true);
  });

  it('a failed init fails every event as a dead letter, and says so once for init', async () => {
    const dir = tempDir({ 'bad-init.lua': 'local s = {}\nfunction s.init() error("no") end\nfunction s.cast(e) return e end\nreturn s\n' });
    const r = await sanctum(['cast', `${dir}/bad-init.lua`], { input: '{"a":1}\n{"a":2}\n' });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.match(/init failed, so the spell cannot cast/g)).toHaveLength(2);
    expect(r.stderr).toContain('2 of 2 events failed; 1 init/finish failure\n');
  });
});

describe('hostile input lines, on cast and append', () => {
  // Issue 10: a 6,000-deep array (12 KB of valid JSON) killed `cast` with a RangeError and aborted
  // `append`'s batch; 1e400 and 2^63 were stored changed; a BOM lost the first event.
  const deep = '['.repeat(6000) + ']'.repeat(6000);
  const input = `${['\ufeff{"id":1,"value":1}', deep, '{"x":1e400}', '{"big":9223372036854775808}', '{"s":"\\ud800"}', '{"id":2,"value":2}'].join('\r\n')}\n`;

  it('cast: each bad line is a coded dead letter with file:line, the good lines around it are cast, exit 1, no stack trace', async () => {
    const dir = tempDir({ 'enrich.lua': enrich, 'in.ndjson': input });
    const r = await sanctum(['cast', 'enrich.lua', 'in.ndjson', '--dead-letters', 'dead.ndjson'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(lines(r.stdout)).toEqual([
      { id: 1, value: 2, hot: false },
      { id: 2, value: 4, hot: false },
    ]);
    expect(r.stderr).toContain('in.ndjson:2: nested deeper than 200 levels (arrays and objects); events may nest at most 200\n');
    expect(r.stderr).toContain('in.ndjson:3: the number 1e400 is beyond the range of a double');
    expect(r.stderr).toContain('in.ndjson:4: the number 9223372036854775808 cannot be represented exactly');
    expect(r.stderr).toContain('in.ndjson:5: a string holds a lone UTF-16 surrogate');
    expect(r.stderr).toContain('4 of 6 events failed');
    expect(r.stderr).not.toMatch(/RangeError|\n\s+at /);
    const dead = lines(readFileSync(`${dir}/dead.ndjson`, 'utf8')) as { code: string; file: string; line: number; text: string }[];
    expect(dead.map((d) => `${d.file}:${d.line} ${d.code}`)).toEqual([
      'in.ndjson:2 INPUT_TOO_DEEP',
      'in.ndjson:3 INPUT_NOT_FINITE',
      'in.ndjson:4 INPUT_INEXACT_INTEGER',
      'in.ndjson:5 INPUT_BAD_UNICODE',
    ]);
    expect(dead[0]!.text).toBe(deep);
  });

  it('cast --on-error stop stops at a bad line, after casting the lines before it', async () => {
    const dir = tempDir({ 'enrich.lua': enrich });
    const r = await sanctum(['cast', `${dir}/enrich.lua`, '--on-error', 'stop'], { input });
    expect(r.code).toBe(1);
    expect(lines(r.stdout)).toEqual([{ id: 1, value: 2, hot: false }]);
    expect(r.stderr).toContain('1 of 2 events failed (stopped)');
  });

  it('append: the good lines are appended unchanged, each bad one reported with its line, exit 1', async () => {
    const dir = tempDir({ 'in.ndjson': input });
    const r = await sanctum(['append', 'orders', 'in.ndjson', '--data-dir', '.sanctum'], { cwd: dir });
    expect(r.stderr).toContain('in.ndjson:2: nested deeper than 200 levels');
    expect(r.stderr).toContain('in.ndjson:3: the number 1e400');
    expect(r.stderr).toContain('in.ndjson:4: the number 9223372036854775808');
    expect(r.stderr).toContain('in.ndjson:5: a string holds a lone UTF-16 surrogate');
    expect(r.stderr).toContain('appended 2 events to orders (seq 1..2)');
    expect(r.stderr).not.toMatch(/RangeError|\n\s+at /);
    expect(r.code).toBe(1);
    const tail = await sanctum(['tail', 'orders', '--data-dir', '.sanctum'], { cwd: dir });
    expect(tail.stdout).toBe('{"id":1,"value":1}\n{"id":2,"value":2}\n');
  });

  it('append refuses a line that is not UTF-8 instead of storing it changed', async () => {
    const dir = tempDir();
    writeFileSync(`${dir}/in.ndjson`, Buffer.concat([Buffer.from('{"a":1}\n{"name":"caf'), Buffer.of(0xe9), Buffer.from('"}\n{"a":2}')]));
    const r = await sanctum(['append', 'orders', 'in.ndjson', '--data-dir', '.sanctum'], { cwd: dir });
    expect(r.stderr).toContain('in.ndjson:2: the line is not valid UTF-8 (byte 0xe9 at byte 13 of the line)');
    expect(r.code).toBe(1);
    const tail = await sanctum(['tail', 'orders', '--data-dir', '.sanctum'], { cwd: dir });
    expect(tail.stdout).toBe('{"a":1}\n{"a":2}\n');
  });
});

describe('sanctum test', () => {
  it('runs the bundled spell tests and exits 0', async () => {
    const r = await sanctum(['test', 'spells']);
    expect(r.stdout).toMatch(/\d+ passed, 0 failed/);
    expect(r.code).toBe(0);
  });

  it('reports a failing case with its diff and exits 1', async () => {
    const dir = tempDir({
      'id.lua': 'return { cast = function(e) return e end }',
      'id.test.yaml':
        'spell: id.lua\ncases:\n  - name: wrong on purpose\n    input: "a|"\n    values: { a: { v: 1 } }\n    output: "x|"\n    expect: { x: { v: 2 } }\n',
    });
    const r = await sanctum(['test', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✗ wrong on purpose');
    expect(r.stdout).toContain('frame 0: next {"v":1}');
    expect(r.stdout).toContain('0 passed, 1 failed');
  });

  it('prints JSON with --json', async () => {
    const r = await sanctum(['test', 'spells/counting-loop.test.yaml', '--json']);
    const doc = JSON.parse(r.stdout) as { passed: number; failed: number };
    expect(doc.failed).toBe(0);
    expect(doc.passed).toBeGreaterThan(0);
  });

  it('exits 2 when no test file is found', async () => {
    const r = await sanctum(['test', tempDir()]);
    expect(r.code).toBe(2);
  });
});

describe('sanctum --help', () => {
  it.each([[[]], [['cast']], [['test']]])('shows help for %j', async (cmd) => {
    const r = await sanctum([...cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: sanctum');
  });
});
