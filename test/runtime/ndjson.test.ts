/** parseLine, the one input decoder: what it refuses, with which code, and that it never recurses on data. */
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { PassThrough, Writable } from 'node:stream';
import { MAX_DEPTH, nestsDeeperThan } from '../../src/core/limits.js';
import { LineWriter, decodeLines, decodeNdjsonText, encodeNdjson, parseLine, readNdjson, readNdjsonBatches } from '../../src/runtime/ndjson.js';
import { castAll, tempDir } from '../helpers.js';
import type { EventValue } from '../../src/core/event.js';

const nested = (depth: number, inner = '') => '['.repeat(depth) + inner + ']'.repeat(depth);
const codeOf = (text: string) => {
  const r = parseLine(text);
  return 'code' in r ? r.code : 'ok';
};

describe('parseLine', () => {
  it('parses JSON lines into events', () => {
    expect(parseLine('{"id":1,"tags":["a"],"n":null}')).toEqual({ value: { id: 1, tags: ['a'], n: null } });
    expect(parseLine('42')).toEqual({ value: 42 });
    expect(parseLine(' "x" ')).toEqual({ value: 'x' });
  });

  it('refuses what is not JSON (INPUT_INVALID_JSON)', () => {
    expect(parseLine('not json')).toEqual({ code: 'INPUT_INVALID_JSON', error: expect.stringMatching(/^invalid JSON: /) });
    expect(codeOf('{"a":1')).toBe('INPUT_INVALID_JSON');
    expect(codeOf('NaN')).toBe('INPUT_INVALID_JSON');
  });

  describe('nesting (INPUT_TOO_DEEP)', () => {
    it(`allows ${MAX_DEPTH} levels of arrays and objects, the Lua bridge's limit, and refuses one more`, () => {
      expect(codeOf(nested(MAX_DEPTH))).toBe('ok');
      expect(codeOf(nested(MAX_DEPTH + 1))).toBe('INPUT_TOO_DEEP');
      const objects = (d: number) => `${'{"a":'.repeat(d)}1${'}'.repeat(d)}`;
      expect(codeOf(objects(MAX_DEPTH))).toBe('ok');
      expect(codeOf(objects(MAX_DEPTH + 1))).toBe('INPUT_TOO_DEEP');
    });

    it('agrees with the Lua bridge: the deepest line it takes, a spell takes and gives back; one more, neither does', async () => {
      const deepest = parseLine(nested(MAX_DEPTH));
      expect('value' in deepest).toBe(true);
      const pass = 'return { cast = function(e, emit) emit(e) end }';
      const ok = await castAll(pass, [(deepest as { value: EventValue }).value]);
      expect(ok.dead).toEqual([]);
      expect(JSON.stringify(ok.out[0])).toBe(nested(MAX_DEPTH));
      const tooDeep = await castAll(pass, [JSON.parse(nested(MAX_DEPTH + 1)) as EventValue]);
      expect(tooDeep.dead.map((d) => d.error.code)).toEqual(['SPELL_BAD_INPUT']);
    });

    it('refuses a 6,000-deep array (12 KB of valid JSON) with a message, not a RangeError', () => {
      const line = nested(6000);
      expect(line.length).toBe(12_000);
      expect(parseLine(line)).toEqual({
        code: 'INPUT_TOO_DEEP',
        error: `nested deeper than ${MAX_DEPTH} levels (arrays and objects); events may nest at most ${MAX_DEPTH}`,
      });
      expect(codeOf(nested(1_000_000))).toBe('INPUT_TOO_DEEP');
    });

    it('does not count brackets inside strings, escaped quotes included', () => {
      const s = JSON.stringify({ s: '['.repeat(5000), t: 'a\\"[{[{', u: '\\\\' });
      expect(codeOf(s)).toBe('ok');
      expect(codeOf(`[${JSON.stringify('"[[[')},${nested(MAX_DEPTH - 1)}]`)).toBe('ok');
      expect(codeOf(`[${JSON.stringify('x\\')},${nested(MAX_DEPTH)}]`)).toBe('INPUT_TOO_DEEP');
    });

    it('allows many brackets side by side (wide, not deep)', () => {
      const wide = JSON.stringify({ items: Array.from({ length: 5000 }, (_, i) => ({ i, tags: [i] })) });
      expect(codeOf(wide)).toBe('ok');
    });
  });

  describe('numbers', () => {
    it('refuses numbers beyond the range of a double (INPUT_NOT_FINITE), which JSON.parse makes Infinity', () => {
      expect(parseLine('{"x":1e400}')).toEqual({
        code: 'INPUT_NOT_FINITE',
        error: expect.stringContaining('the number 1e400 is beyond the range of a double'),
      });
      for (const n of ['-1e400', '1E+400', '2.5e309', `1${'0'.repeat(400)}`]) expect(codeOf(`[${n}]`), n).toBe('INPUT_NOT_FINITE');
      expect(codeOf('{"x":1.7976931348623157e308}')).toBe('ok');
      expect(codeOf('{"x":1e-400}')).toBe('ok'); // rounds to 0, as decimals round
    });

    it('refuses integers beyond ±2^53 that a double does not hold as written (INPUT_INEXACT_INTEGER)', () => {
      expect(parseLine('{"id":9007199254740993}')).toEqual({
        code: 'INPUT_INEXACT_INTEGER',
        error: 'the number 9007199254740993 cannot be represented exactly (integers are exact up to ±2^53); send it as a string',
      });
      // Powers of two: a double holds them, but JSON.stringify writes other digits (9223372036854776000).
      expect(codeOf('{"n":9223372036854775808}')).toBe('INPUT_INEXACT_INTEGER'); // 2^63
      expect(codeOf('{"n":18446744073709551616}')).toBe('INPUT_INEXACT_INTEGER'); // 2^64
      expect(codeOf('{"n":-9223372036854775808}')).toBe('INPUT_INEXACT_INTEGER'); // -2^63
      expect(codeOf('{"n":1152921504606846976}')).toBe('INPUT_INEXACT_INTEGER'); // 2^60
      expect(codeOf('[100000000000000000000000]')).toBe('INPUT_INEXACT_INTEGER'); // 1e23: written 1e+23
    });

    it('keeps integers a double holds and writes as given, and decimals', () => {
      for (const n of ['9007199254740991', '-9007199254740991', '9007199254740992', '9007199254740994', '10000000000000000', '123456789012345680000']) {
        expect(parseLine(`[${n}]`), n).toEqual({ value: [Number(n)] });
        expect(JSON.stringify(Number(n))).toBe(n);
      }
      expect(codeOf('[0.12345678901234567890123]')).toBe('ok');
      expect(codeOf('[12345678901234567890.5]')).toBe('ok');
    });

    it('finds a long integer wherever it sits in the line, next to shorter digit runs', () => {
      for (let pad = 0; pad < 24; pad++) {
        const line = `{"${'k'.repeat(pad)}":[123456789012345,1,9007199254740993]}`;
        expect(codeOf(line), `pad ${pad}`).toBe('INPUT_INEXACT_INTEGER');
        expect(codeOf(`[${'7'.repeat(pad)}0,9007199254740993]`), `run ${pad}`).toBe('INPUT_INEXACT_INTEGER');
        expect(codeOf(`{"${'k'.repeat(pad)}":[123456789012345,1e400]}`), `pad ${pad}`).toBe('INPUT_NOT_FINITE');
      }
    });

    it('looks only at numbers, not at digits inside strings', () => {
      expect(codeOf('{"id":"9007199254740993","x":"1e400"}')).toBe('ok');
      expect(codeOf('{"a":"\\"","id":9007199254740993}')).toBe('INPUT_INEXACT_INTEGER');
      expect(codeOf('{"k\\\\":"x","id":12345678901234567890}')).toBe('INPUT_INEXACT_INTEGER');
    });
  });

  describe('unicode (INPUT_BAD_UNICODE)', () => {
    it('refuses lone surrogates from \\u escapes, in values and keys', () => {
      expect(parseLine('{"s":"\\ud800"}')).toEqual({ code: 'INPUT_BAD_UNICODE', error: expect.stringContaining('lone UTF-16 surrogate') });
      expect(codeOf('{"s":"a\\uDC00b"}')).toBe('INPUT_BAD_UNICODE');
      expect(codeOf('{"\\udbff":1}')).toBe('INPUT_BAD_UNICODE');
      expect(codeOf('[[["x",{"y":"\\ude00"}]]]')).toBe('INPUT_BAD_UNICODE');
    });

    it('keeps surrogate pairs, other escapes, and an escaped backslash before "ud800"', () => {
      expect(parseLine('{"s":"\\ud83d\\ude00"}')).toEqual({ value: { s: '😀' } });
      expect(parseLine('{"s":"\\\\ud800"}')).toEqual({ value: { s: '\\ud800' } });
      expect(parseLine('{"s":"\\u00e9"}')).toEqual({ value: { s: 'é' } });
    });

    it('refuses a raw lone surrogate in the text (a string from TypeScript)', () => {
      expect(codeOf('"\ud800"')).toBe('INPUT_BAD_UNICODE');
    });
  });
});

describe('nestsDeeperThan', () => {
  it('answers without scanning when the text is short or has few brackets, and exactly otherwise', () => {
    expect(nestsDeeperThan('[[1]]', 1)).toBe(true);
    expect(nestsDeeperThan('[[1]]', 2)).toBe(false);
    expect(nestsDeeperThan('[1,[2],[3]]', 1)).toBe(true);
    expect(nestsDeeperThan('{"a":"[[[["}', 1)).toBe(false);
    expect(nestsDeeperThan('[[], [], []]', 1)).toBe(true);
    expect(nestsDeeperThan('[1], [2], [3]', 1)).toBe(false);
  });
});

describe('decodeNdjsonText', () => {
  it('decodes a text held whole as parseLine decodes each line: blank lines and \\r\\n endings, the first refusal at its number', () => {
    const good = Array.from({ length: 50 }, (_, i) => JSON.stringify({ id: i, at: 1_700_000_000_000 + i, s: 'é' }));
    // Each bad line in a text whose other lines have nothing to find: the text is searched once, and
    // the line is still refused with parseLine's code.
    for (const bad of ['{"big":9007199254740993}', '{"s":"\\ud800"}', '{"x":1e400}', '{"a":', nested(300), '{"n":18446744073709551616}']) {
      const lines = [...good];
      lines.splice(30, 0, bad);
      const want = parseLine(bad) as { error: string; code: string };
      expect(decodeNdjsonText(`${lines.join('\r\n')}\r\n`, true)).toEqual({ line: 31, error: want.error, code: want.code });
    }
    // Long digit runs, big exponents and escapes that are fine decode as written.
    const fine = '{"ok":9007199254740992,"e":1e300,"u":"\\u00e9","s":"12345678901234567890"}';
    expect(decodeNdjsonText(`${fine}\n\n  \n\r\n${good[0]}`, true)).toEqual({
      events: [parseLine(fine), parseLine(good[0]!)].map((p) => (p as { value: unknown }).value),
    });
    expect(decodeNdjsonText(`${good.join('\n')}\n`, true)).toEqual({ events: good.map((l) => JSON.parse(l)) });
    expect(decodeNdjsonText(`${good.join('\n')}\n`, true, true)).toEqual({ events: good.map((l) => JSON.parse(l)), texts: good });
    expect(decodeNdjsonText('', true)).toEqual({ events: [] });
    expect(decodeNdjsonText('\n\r\n \n', true, true)).toEqual({ events: [], texts: [] });
    // Not from a strict UTF-8 decode: a raw lone surrogate is refused.
    expect(decodeNdjsonText('{"a":1}\n{"s":"\ud800"}', false)).toMatchObject({ line: 2, code: 'INPUT_BAD_UNICODE' });
  });
});

describe('the texts of decoded lines', () => {
  it("keep each event's line as its JSON text (what a durable stream stores), without the whitespace JSON allows around it", () => {
    const text = ' {"a": 1.0} \n\t[1, 2]\t\r\n"\\u0041"\n';
    expect(decodeNdjsonText(text, true, true)).toEqual({ events: [{ a: 1 }, [1, 2], 'A'], texts: ['{"a": 1.0}', '[1, 2]', '"\\u0041"'] });
    const batch = decodeLines({ lines: [' {"a": 1.0} ', 'oops', '\t[1, 2]\t'], firstLine: 1, end: 99, refused: undefined }, 'in.ndjson', true);
    expect(batch.events).toEqual([{ a: 1 }, [1, 2]]);
    expect(batch.texts).toEqual(['{"a": 1.0}', '[1, 2]']);
    // Each text parses to its event.
    for (const d of [decodeNdjsonText(text, true, true) as { events: unknown[]; texts: string[] }, batch]) {
      expect(d.texts!.map((t) => JSON.parse(t!))).toEqual(d.events);
    }
  });

  it('leave out the text of a line with a carriage return in it (a reader of lines would break it there): that event is encoded', () => {
    const lines = ['{"a":\r1,"b":\r2}', '{"c": 3}'];
    expect(decodeNdjsonText(`${lines.join('\n')}\n`, true, true)).toEqual({ events: [{ a: 1, b: 2 }, { c: 3 }], texts: [undefined, '{"c": 3}'] });
    expect(decodeLines({ lines, firstLine: 1, end: 99, refused: undefined }, 'in.ndjson', true).texts).toEqual([undefined, '{"c": 3}']);
  });
});

describe('decodeLines', () => {
  it('turns a batch into events and problems in line order, skipping blank lines', () => {
    const batch = decodeLines(
      { lines: ['{"a":1}', '', 'oops', '  ', '{"b":2}', nested(300), '{"c":3}'], firstLine: 10, end: 999, refused: undefined },
      'in.ndjson',
    );
    expect(batch.events).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }]);
    expect(batch.texts).toBeUndefined(); // only when asked for (into a durable stream)
    expect(batch.problems).toEqual([
      { code: 'INPUT_INVALID_JSON', source: 'in.ndjson', line: 12, message: expect.stringMatching(/^invalid JSON/), text: 'oops', at: 1 },
      { code: 'INPUT_TOO_DEEP', source: 'in.ndjson', line: 15, message: expect.any(String), text: nested(300), at: 2 },
    ]);
    expect(batch).toMatchObject({ lines: 5, end: 999, lastLine: 16 });
  });

  it('searches a chunk once for long numbers and \\u escapes, and still refuses each line that has one, at its number', async () => {
    // Lines read from a stream come with the text they were split from; the per-line checks run
    // only when that text has a long digit run, a big exponent or a `\u` escape somewhere.
    const good = Array.from({ length: 300 }, (_, i) => JSON.stringify({ id: i, at: 1_700_000_000_000 + i, s: 'é' }));
    const lines = [...good];
    lines.splice(100, 0, '{"big":9007199254740993}');
    lines.splice(200, 0, '{"s":"\\ud800"}');
    lines.splice(250, 0, '{"x":1e400}');
    lines.splice(260, 0, '{"ok":9007199254740992,"e":1e300,"u":"\\u00e9"}');
    const input = new PassThrough();
    input.end(`${lines.join('\r\n')}\r\n`);
    const events: EventValue[] = [];
    const problems: { line: number; code: string }[] = [];
    for await (const b of readNdjsonBatches(['-'], { stdin: input })) {
      events.push(...b.events);
      for (const p of b.problems) problems.push({ line: p.line, code: p.code });
    }
    expect(problems).toEqual([
      { line: 101, code: 'INPUT_INEXACT_INTEGER' },
      { line: 201, code: 'INPUT_BAD_UNICODE' },
      { line: 251, code: 'INPUT_NOT_FINITE' },
    ]);
    expect(events).toHaveLength(301);
    expect(events[257]).toEqual({ ok: 9007199254740992, e: 1e300, u: 'é' });
    // A chunk of plain lines: no check finds anything, and every event is as written.
    const plain = new PassThrough();
    plain.end(`${good.join('\n')}\n`);
    const back: string[] = [];
    for await (const b of readNdjsonBatches(['-'], { stdin: plain })) for (const e of b.events) back.push(JSON.stringify(e));
    expect(back).toEqual(good);
  });

  it("reports the reader's refusals with their code", () => {
    const batch = decodeLines(
      { lines: ['{"a":"\ufffd"}'], firstLine: 1, end: 9, refused: new Map([[0, { code: 'INPUT_BAD_UNICODE', message: 'the line is not valid UTF-8' }]]) },
      'stdin',
    );
    expect(batch.events).toEqual([]);
    expect(batch.problems).toEqual([
      { code: 'INPUT_BAD_UNICODE', source: 'stdin', line: 1, message: 'the line is not valid UTF-8', text: '{"a":"\ufffd"}', at: 0 },
    ]);
  });
});

describe('readNdjson and readNdjsonBatches', () => {
  const content = `\ufeff{"a":1}\r\n\n{"x":1e400}\n${nested(6000)}\n{"b":2}`;

  it('read files and stdin in order, line by line, with numbers, BOM and CRLF handled and the last line read', async () => {
    const dir = tempDir({ 'in.ndjson': content });
    const stdin = new PassThrough();
    stdin.end('{"c":3}\n');
    const got = [];
    for await (const l of readNdjson([`${dir}/in.ndjson`, '-'], stdin)) got.push({ ...l, text: l.text.slice(0, 12) });
    expect(got).toEqual([
      { source: `${dir}/in.ndjson`, line: 1, text: '{"a":1}' },
      { source: `${dir}/in.ndjson`, line: 3, text: '{"x":1e400}' },
      { source: `${dir}/in.ndjson`, line: 4, text: '[[[[[[[[[[[[' },
      { source: `${dir}/in.ndjson`, line: 5, text: '{"b":2}' },
      { source: 'stdin', line: 1, text: '{"c":3}' },
    ]);
  });

  it('give a line the reader refused with its problem (readNdjson) or as a problem (batches)', async () => {
    const dir = tempDir();
    writeFileSync(`${dir}/in.ndjson`, Buffer.concat([Buffer.from('{"a":1}\n"'), Buffer.of(0xc3), Buffer.from('"\n')]));
    const lines = [];
    for await (const l of readNdjson([`${dir}/in.ndjson`])) lines.push(l);
    expect(lines[1]).toMatchObject({ line: 2, problem: { code: 'INPUT_BAD_UNICODE' } });
    const batches = [];
    for await (const b of readNdjsonBatches([`${dir}/in.ndjson`])) batches.push(b);
    expect(batches.flatMap((b) => b.problems.map((p) => [p.line, p.code]))).toEqual([[2, 'INPUT_BAD_UNICODE']]);
  });

  it('readNdjsonBatches decodes every chunk once: events and coded problems with file:line', async () => {
    const dir = tempDir({ 'in.ndjson': content });
    const batches = [];
    for await (const b of readNdjsonBatches([`${dir}/in.ndjson`], { chunkBytes: 16 })) batches.push(b);
    expect(batches.flatMap((b) => b.events)).toEqual([{ a: 1 }, { b: 2 }]);
    expect(batches.flatMap((b) => b.problems.map((p) => `${p.source}:${p.line} ${p.code}`))).toEqual([
      `${dir}/in.ndjson:3 INPUT_NOT_FINITE`,
      `${dir}/in.ndjson:4 INPUT_TOO_DEEP`,
    ]);
    expect(batches.at(-1)!.end).toBe(Buffer.byteLength(content));
  });
});

describe('NDJSON out: encodeNdjson and LineWriter', () => {
  const events: EventValue[] = [{ a: 1 }, { s: 'café ☕ 😀' }, { long: 'x'.repeat(5000) }, [1, 'two', null], 'text', 3.5, { lone: '\ud800' }];
  const expected = events.map((e) => `${JSON.stringify(e)}\n`).join('');

  it('encodeNdjson: one line per event, UTF-8, however big the batch (the buffer grows)', () => {
    expect(encodeNdjson(events).toString('utf8')).toBe(expected);
    const many = Array.from({ length: 3000 }, (_, i) => ({ i, s: 'é'.repeat(i % 50) }));
    expect(encodeNdjson(many).toString('utf8')).toBe(many.map((e) => `${JSON.stringify(e)}\n`).join(''));
    expect(encodeNdjson([]).length).toBe(0);
  });

  it('LineWriter: what the stream got is every line in order, never overwritten after it was handed on', async () => {
    // The stream keeps the buffers it is given, not copies: a writer that reused a region it had
    // already written would change what the stream holds.
    const got: Buffer[] = [];
    let waits = 0;
    const out = new Writable({
      highWaterMark: 256,
      write(chunk: Buffer, _enc, done) {
        got.push(chunk);
        setImmediate(done);
      },
    });
    out.on('drain', () => waits++);
    const w = new LineWriter(out, 1024); // small: lines overflow it, and it fills many times
    const lines: string[] = [];
    for (let round = 0; round < 40; round++) {
      for (const e of events) {
        const line = JSON.stringify({ round, e });
        lines.push(line);
        w.write(line);
      }
      if (round % 3 === 0) await new Promise((r) => setImmediate(r)); // the writer's own flush on the next turn
      if (w.full) await w.flush();
    }
    await w.flush();
    await new Promise<void>((r) => out.end(r));
    expect(Buffer.concat(got).toString('utf8')).toBe(lines.map((l) => `${l}\n`).join(''));
    expect(waits).toBeGreaterThan(0); // it did wait for the stream
  });
});
