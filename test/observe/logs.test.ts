import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createRunLog, RateLimiter } from '../../src/observe/index.js';
import { sanctum } from '../cli/run-cli.js';
import { tempDir } from '../helpers.js';
import { logLines } from './live-run.js';

/** A destination that keeps what is written. */
function capture(): Writable & { text: () => string } {
  let text = '';
  const w = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  }) as Writable & { text: () => string };
  w.text = () => text;
  return w;
}

const runtimeError = (spell: string, code = 'SPELL_RUNTIME', line = 4) => ({
  error: {
    code,
    spell,
    file: `${spell}.lua`,
    line,
    luaMessage: 'attempt to index a nil value',
    hook: 'cast',
    traceback: `stack traceback:\n\t${spell}.lua:${line}: in function 'spell.cast'`,
  },
});

describe('the run log', () => {
  it('writes spell lines as JSON with the spell, file, line and fields, at the level asked', () => {
    const out = capture();
    const log = createRunLog({ level: 'info', format: 'json', destination: out });
    log.spellLine({ spell: 'enrich', level: 'info', message: 'hello', file: 'spells/enrich.lua', line: 4, fields: { order: 'o-1' } });
    log.spellLine({ spell: 'enrich', level: 'debug', message: 'not shown', file: 'spells/enrich.lua', line: 5 });
    const [line, ...rest] = logLines(out.text());
    expect(rest).toEqual([]);
    expect(line).toEqual({
      level: 'info',
      time: expect.any(String),
      pid: process.pid,
      spell: 'enrich',
      file: 'spells/enrich.lua',
      line: 4,
      fields: { order: 'o-1' },
      msg: 'hello',
    });
    expect(new Date(line!['time'] as string).getTime()).not.toBeNaN();
  });

  it('writes pretty lines as [spell] file:line: message', () => {
    const out = capture();
    const log = createRunLog({ level: 'debug', format: 'pretty', destination: out });
    log.spellLine({ spell: 'enrich', level: 'debug', message: 'hello', file: 'spells/enrich.lua', line: 4 });
    expect(out.text()).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] DEBUG: \[enrich\] spells\/enrich\.lua:4: hello\n$/);
  });

  it('logs a dead letter with its code, pipeline, stream, sequence, file, line and traceback', () => {
    const out = capture();
    const log = createRunLog({ level: 'info', format: 'json', destination: out });
    log.deadLetter(runtimeError('enrich'), 'orders-pipeline', 'orders');
    log.deadLetter(runtimeError('other'), 'p', undefined, 41);
    expect(logLines(out.text())).toEqual([
      {
        level: 'warn',
        time: expect.any(String),
        pid: process.pid,
        spell: 'enrich',
        code: 'SPELL_RUNTIME',
        pipeline: 'orders-pipeline',
        stream: 'orders',
        sequence: null,
        hook: 'cast',
        file: 'enrich.lua',
        line: 4,
        traceback: "stack traceback:\n\tenrich.lua:4: in function 'spell.cast'",
        msg: 'attempt to index a nil value',
      },
      expect.objectContaining({ spell: 'other', stream: null, sequence: 41 }),
    ]);
  });

  it('rate-limits repeated errors per spell and code without losing their count', () => {
    const out = capture();
    let now = 0;
    const log = createRunLog({ level: 'info', format: 'json', destination: out, rateLimit: { burst: 3, intervalMs: 10_000, now: () => now } });
    for (let i = 0; i < 100; i++) log.deadLetter(runtimeError('enrich'), 'p', 's');
    for (let i = 0; i < 4; i++) log.deadLetter(runtimeError('enrich', 'SPELL_BUDGET_EXCEEDED', 9), 'p', 's');
    for (let i = 0; i < 2; i++) log.deadLetter(runtimeError('total'), 'p', 's');
    expect(log.suppressed()).toBe(97 + 1);
    now = 12_000;
    // The next line of a kind whose interval is over says first how many were left out.
    log.deadLetter(runtimeError('enrich'), 'p', 's');
    log.close();
    const lines = logLines(out.text());
    const summaries = lines.filter((l) => 'suppressed' in l);
    expect(summaries).toEqual([
      expect.objectContaining({
        level: 'warn',
        spell: 'enrich',
        code: 'SPELL_RUNTIME',
        pipeline: 'p',
        suppressed: 97,
        msg: '… 97 more like this in the last 12s',
      }),
      expect.objectContaining({ spell: 'enrich', code: 'SPELL_BUDGET_EXCEEDED', suppressed: 1 }),
    ]);
    const shown = (spell: string, code: string) => lines.filter((l) => l['spell'] === spell && l['code'] === code && !('suppressed' in l)).length;
    expect(shown('enrich', 'SPELL_RUNTIME')).toBe(3 + 1);
    expect(shown('enrich', 'SPELL_BUDGET_EXCEEDED')).toBe(3);
    expect(shown('total', 'SPELL_RUNTIME')).toBe(2);
    // Every failure is in a line or in a summary's count.
    expect(shown('enrich', 'SPELL_RUNTIME') + 97).toBe(101);
  });

  it('rate-limits warn and error lines of a spell per call site; info lines never', () => {
    const out = capture();
    const log = createRunLog({ level: 'info', format: 'json', destination: out, rateLimit: { burst: 2, now: () => 0 } });
    for (let i = 0; i < 10; i++) {
      log.spellLine({ spell: 's', level: 'error', message: `oops ${i}`, file: 's.lua', line: 3 });
      log.spellLine({ spell: 's', level: 'error', message: `other ${i}`, file: 's.lua', line: 7 });
      log.spellLine({ spell: 's', level: 'info', message: `fine ${i}`, file: 's.lua', line: 5 });
    }
    log.close();
    const lines = logLines(out.text());
    expect(lines.filter((l) => l['line'] === 3 && !('suppressed' in l)).map((l) => l['msg'])).toEqual(['oops 0', 'oops 1']);
    expect(lines.filter((l) => l['line'] === 5)).toHaveLength(10);
    expect(lines.filter((l) => 'suppressed' in l)).toEqual([
      expect.objectContaining({ level: 'error', spell: 's', file: 's.lua', line: 3, suppressed: 8 }),
      expect.objectContaining({ level: 'error', spell: 's', file: 's.lua', line: 7, suppressed: 8 }),
    ]);
  });

  it('writes the summary of a burst that stopped when its interval ends', () => {
    let now = 0;
    const summaries: number[] = [];
    const limiter = new RateLimiter({ burst: 1, intervalMs: 1000, now: () => now, onSummary: (_f, n) => summaries.push(n) });
    for (let i = 0; i < 5; i++) limiter.allow('k', {});
    limiter.flush();
    expect(summaries).toEqual([]);
    now = 1000;
    limiter.flush();
    expect(summaries).toEqual([4]);
    expect(limiter.allow('k', {})).toBe(true);
    limiter.stop();
  });
});

describe('sanctum run logs', () => {
  it('keeps the count of an error in a hot loop: five lines, then one summary', async () => {
    const dir = tempDir({
      'bad.lua': 'return { cast = function(e) error("bad " .. e.i) end }\n',
      'in.ndjson': Array.from({ length: 200 }, (_, i) => JSON.stringify({ i })).join('\n'),
      'r.yaml': `version: 1
streams: { input: {}, out: {} }
spells: { bad: { file: bad.lua } }
sources: { in: { type: file, path: in.ndjson, to: input } }
pipelines: { p: { from: input, steps: [bad], to: out } }
sinks: { dl: { type: file, path: dl.ndjson, from: dead-letters } }
`,
    });
    const r = await sanctum(['run', `${dir}/r.yaml`, '--log-format', 'json'], { cwd: dir });
    expect(r.code).toBe(0);
    const lines = logLines(r.stderr).filter((l) => l['code'] === 'SPELL_RUNTIME');
    expect(lines.filter((l) => !('suppressed' in l)).map((l) => l['msg'])).toEqual(['bad 0', 'bad 1', 'bad 2', 'bad 3', 'bad 4']);
    expect(lines.filter((l) => 'suppressed' in l)).toEqual([expect.objectContaining({ level: 'warn', spell: 'bad', suppressed: 195 })]);
    expect(lines[0]).toMatchObject({ spell: 'bad', file: 'bad.lua', line: 1, stream: 'input', pipeline: 'p' });
    expect(r.stderr).toContain('200 dead letters');
  });

  it('takes its level and format from the runeset, and --log-level over it', async () => {
    const dir = tempDir({
      'talk.lua': 'return { cast = function(e) log.debug("debugging", { i = e.i }) return e end }\n',
      'r.yaml': `version: 1
sanctum: { log_level: debug, log_format: json }
streams: { input: {}, out: {} }
spells: { talk: { file: talk.lua } }
sources: { in: { type: stdin, to: input } }
pipelines: { p: { from: input, steps: [talk], to: out } }
sinks: { o: { type: stdout, from: out } }
`,
    });
    const r = await sanctum(['run', `${dir}/r.yaml`], { cwd: dir, input: '{"i":1}\n' });
    expect(logLines(r.stderr).find((l) => l['msg'] === 'debugging')).toMatchObject({
      level: 'debug',
      spell: 'talk',
      file: 'talk.lua',
      line: 1,
      fields: { i: 1 },
    });
    const quiet = await sanctum(['run', `${dir}/r.yaml`, '--log-level', 'info'], { cwd: dir, input: '{"i":1}\n' });
    expect(logLines(quiet.stderr).find((l) => l['msg'] === 'debugging')).toBeUndefined();
  });
});
