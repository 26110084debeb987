import { describe, it, expect } from 'vitest';
import path from 'node:path';
import { runSuite, loadSpellTestFile, SpellTestFileError, SpellSuiteError } from '../../src/testing.js';
import { tempDir } from '../helpers.js';

const spell = `local s = {}
function s.cast(e, emit)
  if e.bad then error("bad event") end
  if e.side then emit(e, "side") end
  emit({ v = e.v })
end
return s
`;

async function run(cases: unknown[]) {
  const dir = tempDir({ 'x.lua': spell });
  return runSuite('inline', { spell: path.join(dir, 'x.lua'), cases: cases as never });
}

describe('the spell regression harness', () => {
  it('passes a correct case', async () => {
    const r = await run([{ name: 'ok', input: 'a-b|', values: { a: { v: 1 }, b: { v: 2 } }, output: 'x-y|', expect: { x: { v: 1 }, y: { v: 2 } } }]);
    expect(r.results[0]).toEqual({ name: 'ok', passed: true, failures: [] });
  });

  it('fails a wrong value, naming the port and both sides', async () => {
    const r = await run([{ name: 'wrong', input: 'a|', values: { a: { v: 1 } }, output: 'x|', expect: { x: { v: 2 } } }]);
    expect(r.results[0]!.passed).toBe(false);
    expect(r.results[0]!.failures[0]).toContain("port 'out'");
    expect(r.results[0]!.failures[0]).toContain('frame 0: next {"v":2}');
    expect(r.results[0]!.failures[0]).toContain('frame 0: next {"v":1}');
  });

  it('fails wrong timing', async () => {
    const r = await run([{ name: 'late', input: 'a|', values: { a: { v: 1 } }, output: '-x|', expect: { x: { v: 1 } } }]);
    expect(r.results[0]!.passed).toBe(false);
  });

  it('fails when a port the case does not list receives events', async () => {
    const r = await run([{ name: 'stray', input: 'a|', values: { a: { v: 1, side: true } }, output: 'x|', expect: { x: { v: 1 } } }]);
    expect(r.results[0]!.failures.join()).toMatch(/port 'side', which the case does not list/);
  });

  it('checks named ports', async () => {
    const r = await run([
      {
        name: 'ports',
        input: 'a|',
        values: { a: { v: 1, side: true } },
        output: 'x|',
        ports: { side: 's|' },
        expect: { x: { v: 1 }, s: { v: 1, side: true } },
      },
    ]);
    expect(r.results[0]!.failures).toEqual([]);
  });

  it('fails a case whose marbles use a letter with no value, naming the letter and where to give it', async () => {
    const r = await run([
      {
        name: 'letters',
        input: 'a-b 10ms (cd)|',
        values: { a: { v: 1 }, c: { v: 3 } },
        output: 'x-w|',
        ports: { side: '-s|' },
        expect: { x: { v: 1 } },
      },
      { name: 'dead', input: 'a|', values: { a: { bad: true } }, output: '-|', deadLetters: 'e|' },
      { name: 'fine', input: 'a-#', values: { a: { v: 1 } }, output: 'x-#', expect: { x: { v: 1 } } },
    ]);
    expect(r.results[0]!.passed).toBe(false);
    expect(r.results[0]!.failures).toEqual([
      "input: the letter 'b' has no value in `values`; give it one (values: { b: ... })",
      "input: the letter 'd' has no value in `values`; give it one (values: { d: ... })",
      "output: the letter 'w' has no value in `expect`; give it one (expect: { w: ... })",
      "port 'side': the letter 's' has no value in `expect`; give it one (expect: { s: ... })",
    ]);
    expect(r.results[1]!.failures).toEqual(["dead_letters: the letter 'e' has no value in `dead_letter_values`; give it one (dead_letter_values: { e: ... })"]);
    // '#', '|', '-', groups and time progressions are not letters; a case that defines its letters runs.
    expect(r.results[2]).toEqual({ name: 'fine', passed: true, failures: [] });
    // Without `values` or `expect`, each letter is its own value, as in RxJS: the event "a", compared with "w".
    const own = await run([{ name: 'own', input: 'a|', output: 'w|' }]);
    expect(own.results[0]!.failures.join()).toContain('frame 0: next "w"');
  });

  it('fails on a dead letter the case does not expect', async () => {
    const r = await run([{ name: 'dl', input: 'a|', values: { a: { bad: true } }, output: '-|' }]);
    expect(r.results[0]!.failures.join()).toMatch(/unexpected dead letter: SPELL_RUNTIME/);
  });

  it('matches dead letters on the fields given, message as a substring', async () => {
    const ok = await run([
      {
        name: 'dl',
        input: 'a|',
        values: { a: { bad: true } },
        output: '-|',
        deadLetters: 'd|',
        deadLetterValues: { d: { code: 'SPELL_RUNTIME', line: 3, message: 'bad' } },
      },
    ]);
    expect(ok.results[0]!.failures).toEqual([]);
    const wrongLine = await run([
      { name: 'dl', input: 'a|', values: { a: { bad: true } }, output: '-|', deadLetters: 'd|', deadLetterValues: { d: { line: 4 } } },
    ]);
    expect(wrongLine.results[0]!.passed).toBe(false);
  });

  it('reports a spell that does not summon', async () => {
    const dir = tempDir({ 'bad.lua': 'return {' });
    const r = await runSuite('inline', { spell: path.join(dir, 'bad.lua'), cases: [{ name: 'x', input: '|', output: '|' }] });
    expect(r.results[0]!.failures[0]).toMatch(/did not summon: .*bad.lua:1:/);
  });

  it('reports every problem of an invalid spell-test file with line and column', () => {
    const dir = tempDir({ 'x.test.yaml': 'spell: x.lua\nframe: 5 parsecs\ncases:\n  - name: one\n    input: "a|"\n    outptu: "x|"\n    on_error: explode\n' });
    let err: SpellTestFileError | undefined;
    try {
      loadSpellTestFile(path.join(dir, 'x.test.yaml'));
    } catch (e) {
      err = e as SpellTestFileError;
    }
    expect(err).toBeInstanceOf(SpellTestFileError);
    expect(err!.problems).toEqual([
      'x.test.yaml:2:8: /frame is "5 parsecs": write a duration as a whole number and a unit: ms, s, m, h or d (e.g. 250ms, 10s, 5m); a bare number is seconds'.replace(
        'x.test.yaml',
        path.join(dir, 'x.test.yaml'),
      ),
      expect.stringMatching(/x\.test\.yaml:4:5: \/cases\/0 must have required property 'output'/),
      expect.stringMatching(/x\.test\.yaml:6:5: unknown key 'outptu'; did you mean 'output'\?/),
      expect.stringMatching(/x\.test\.yaml:7:15: \/cases\/0\/on_error must be equal to one of the allowed values: dead-letter, skip, stop/),
    ]);
  });
});

describe('a suite written in TypeScript', () => {
  it('takes the YAML shapes of state indexes, frame and tick', async () => {
    const dir = tempDir({
      'q.lua':
        'local s = {}\nfunction s.cast(e, emit)\n  state.put(e.k, { n = e.n })\n  emit({ top = #state.query({ index = "n", gt = 1 }), now = sanctum.now() })\nend\nreturn s\n',
    });
    const r = await runSuite('inline', {
      spell: path.join(dir, 'q.lua'),
      state: { indexes: ['n'] },
      frame: '1s',
      cases: [
        {
          name: 'indexed, one frame a second',
          input: 'a-b|',
          values: { a: { k: 'a', n: 2 }, b: { k: 'b', n: 3 } },
          output: 'x-y|',
          expect: { x: { top: 1, now: 0 }, y: { top: 2, now: 2000 } },
        },
        { name: 'its own frame', frame: 10, input: '-a|', values: { a: { k: 'a', n: 2 } }, output: '-x|', expect: { x: { top: 1, now: 10000 } } },
      ],
    });
    expect(r.results.map((c) => c.failures)).toEqual([[], []]);
  });

  it('refuses a key it does not know, naming the key meant (YAML spellings included)', async () => {
    const dir = tempDir({ 'x.lua': spell });
    const suite = {
      spell: path.join(dir, 'x.lua'),
      stateIndex: ['n'],
      state: { index: ['n'] },
      frame: '5 parsecs',
      cases: [{ name: 'one', input: 'a|', output: '-|', dead_letters: '-|', budget: { instructions: 1000 } }],
    };
    await expect(runSuite('inline', suite as never)).rejects.toThrow(SpellSuiteError);
    await expect(runSuite('inline', suite as never)).rejects.toMatchObject({
      problems: [
        "the suite has an unknown key 'stateIndex'; did you mean 'stateIndexes'?",
        "the suite's state has an unknown key 'index'; did you mean 'indexes'?",
        "the suite's frame is \"5 parsecs\": write a duration as a whole number and a unit: ms, s, m, h or d (e.g. '250ms', '10s', '5m'); a bare number is seconds",
        "case 1 ('one') has an unknown key 'dead_letters'; did you mean 'deadLetters'?",
        "case 1 ('one') has an unknown key 'budget'; did you mean instructionBudget and memoryLimit?",
      ],
    });
  });
});

describe('init failures in spell tests', () => {
  it('the init failure is a dead letter the case can expect', async () => {
    const dir = tempDir({ 'x.lua': 'local s = {}\nfunction s.init(r)\n  error("no config")\nend\nfunction s.cast(e) return e end\nreturn s\n' });
    const r = await runSuite('inline', {
      spell: path.join(dir, 'x.lua'),
      cases: [
        {
          name: 'init',
          input: 'a---|',
          values: { a: {} },
          output: '----|',
          deadLetters: '(ib)|',
          deadLetterValues: { i: { hook: 'init', line: 3 }, b: { code: 'SPELL_INIT_FAILED' } },
        },
      ],
    });
    expect(r.results[0]!.failures).toEqual([]);
  });
});

describe('spells with state in spell tests', () => {
  const counter = 'local s = {} function s.cast(e) local n = (state.get(e.k) or 0) + 1 state.put(e.k, n) return { k = e.k, n = n } end return s';

  it('seeds the state, and checks what the case leaves', async () => {
    const dir = tempDir({ 'c.lua': counter });
    const ok = await runSuite('inline', {
      spell: path.join(dir, 'c.lua'),
      cases: [
        { name: 's', input: 'a|', values: { a: { k: 'x' } }, output: 'v|', expect: { v: { k: 'x', n: 8 } }, state: { x: 7 }, expectState: { x: 8, y: null } },
      ],
    });
    expect(ok.results[0]!.failures).toEqual([]);
    const bad = await runSuite('inline', {
      spell: path.join(dir, 'c.lua'),
      cases: [{ name: 's', input: 'a|', values: { a: { k: 'x' } }, output: 'v|', expect: { v: { k: 'x', n: 1 } }, expectState: { x: 2 } }],
    });
    expect(bad.results[0]!.failures).toEqual([expect.stringContaining("state 'x':\n  expected: 2\n  actual:   1")]);
  });

  it('gives each case a fresh store', async () => {
    const dir = tempDir({ 'c.lua': counter });
    const r = await runSuite('inline', {
      spell: path.join(dir, 'c.lua'),
      cases: [1, 2].map((i) => ({ name: `case ${i}`, input: 'a|', values: { a: { k: 'x' } }, output: 'v|', expect: { v: { k: 'x', n: 1 } } })),
    });
    expect(r.results.map((c) => c.passed)).toEqual([true, true]);
  });
});

describe('subscriptions, early unsubscribe and errors in spell tests', () => {
  const ab = { a: { v: 1 }, b: { v: 2 }, c: { v: 3 } };
  const xy = { x: { v: 1 }, y: { v: 2 }, z: { v: 3 } };

  it('checks the subscription of the spell to its input', async () => {
    const ok = await run([{ name: 's', input: 'a-b|', values: ab, output: 'x-y|', expect: xy, subscription: '^--!' }]);
    expect(ok.results[0]!.failures).toEqual([]);
    const wrong = await run([{ name: 's', input: 'a-b|', values: ab, output: 'x-y|', expect: xy, subscription: '^---!' }]);
    expect(wrong.results[0]!.failures).toEqual([
      'subscription to the input:\n  expected:\n    subscribed at frame 0, unsubscribed at frame 4\n  actual:\n    subscribed at frame 0, unsubscribed at frame 3',
    ]);
  });

  it('a never-ending input is never unsubscribed', async () => {
    const ok = await run([{ name: 'never', input: '-a--', values: ab, output: '-x--', expect: xy, subscription: '^' }]);
    expect(ok.results[0]!.failures).toEqual([]);
    const wrong = await run([{ name: 'never', input: '-a--', values: ab, output: '-x--', expect: xy, subscription: '^--!' }]);
    expect(wrong.results[0]!.failures[0]).toContain('subscribed at frame 0, never unsubscribed');
  });

  it('unsubscribes early: the outputs end there, and so does the subscription to the input', async () => {
    const ok = await run([{ name: 'u', input: 'a-b-c|', values: ab, output: 'x-', expect: xy, unsubscribe: '--!', subscription: '^-!' }]);
    expect(ok.results[0]!.failures).toEqual([]);
    // The same case with the events after the unsubscription expected fails.
    const late = await run([{ name: 'u', input: 'a-b-c|', values: ab, output: 'x-y-z|', expect: xy, unsubscribe: '--!' }]);
    expect(late.results[0]!.failures[0]).toMatch(/^port 'out':/);
  });

  it('an unsubscribe without its ! is an error of the case', async () => {
    const r = await run([{ name: 'u', input: 'a|', values: ab, output: 'x|', expect: xy, unsubscribe: '--' }]);
    expect(r.results[0]!.failures).toEqual([expect.stringMatching(/could not run: unsubscribe '--' has no '!'/)]);
  });

  it('matches the error of a # on the fields given', async () => {
    const bad = { a: { v: 1 }, b: { bad: true } };
    const ok = await run([
      {
        name: 'e',
        onError: 'stop',
        input: 'ab|',
        values: bad,
        output: 'x#',
        expect: xy,
        error: { code: 'SPELL_RUNTIME', line: 3, hook: 'cast', message: 'bad event', event: { bad: true } },
      },
    ]);
    expect(ok.results[0]!.failures).toEqual([]);
    const wrong = await run([{ name: 'e', onError: 'stop', input: 'ab|', values: bad, output: 'x#', expect: xy, error: { code: 'SPELL_BUDGET_EXCEEDED' } }]);
    expect(wrong.results[0]!.failures[0]).toContain('frame 1: error matching {"code":"SPELL_BUDGET_EXCEEDED"}');
    expect(wrong.results[0]!.failures[0]).toContain('frame 1: error SPELL_RUNTIME: ');
    // Without `error`, any error matches a #.
    const any = await run([{ name: 'e', onError: 'stop', input: 'ab|', values: bad, output: 'x#', expect: xy }]);
    expect(any.results[0]!.failures).toEqual([]);
  });

  it("an input's # errors with 'input error', which passes through the spell", async () => {
    const ok = await run([
      {
        name: 'up',
        input: 'a-#',
        values: ab,
        output: 'x-#',
        expect: xy,
        error: { message: 'input error', code: null as unknown as string },
        subscription: '^-!',
      },
    ]);
    expect(ok.results[0]!.failures).toEqual([]);
    const wrong = await run([{ name: 'up', input: 'a-#', values: ab, output: 'x-#', expect: xy, error: { code: 'SPELL_RUNTIME' } }]);
    expect(wrong.results[0]!.passed).toBe(false);
  });

  it('reads subscription, unsubscribe and error from a YAML file', async () => {
    const dir = tempDir({
      'x.lua': spell,
      'x.test.yaml': [
        'spell: x.lua',
        'cases:',
        '  - name: early unsubscribe',
        '    input:        "a-b-|"',
        '    values:       { a: { v: 1 }, b: { v: 2 } }',
        '    output:       "x-"',
        '    expect:       { x: { v: 1 } }',
        '    unsubscribe:  "--!"',
        '    subscription: "^-!"',
        '  - name: stop matches its error',
        '    on_error: stop',
        '    input:  "a|"',
        '    values: { a: { bad: true } }',
        '    output: "#"',
        '    error:  { code: SPELL_RUNTIME, message: bad event }',
        '',
      ].join('\n'),
    });
    const suite = loadSpellTestFile(path.join(dir, 'x.test.yaml'));
    expect(suite.cases[0]).toMatchObject({ unsubscribe: '--!', subscription: '^-!' });
    expect(suite.cases[1]).toMatchObject({ error: { code: 'SPELL_RUNTIME', message: 'bad event' } });
    const r = await runSuite('inline', suite);
    expect(r.results.map((c) => c.failures)).toEqual([[], []]);
  });

  it('rejects an error matcher with an unknown field', () => {
    const dir = tempDir({ 'x.test.yaml': 'spell: x.lua\ncases:\n  - name: one\n    input: "a|"\n    output: "#"\n    error: { kode: X }\n' });
    expect(() => loadSpellTestFile(path.join(dir, 'x.test.yaml'))).toThrow(/unknown key 'kode'/);
  });
});
