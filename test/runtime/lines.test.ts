/** readLines: complete lines in batches, whatever the chunk boundaries, with numbers and byte offsets. */
import { describe, expect, it } from 'vitest';
import { createReadStream, writeFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { readLines, type LineBatch, type LinesEnd, type ReadLinesOptions } from '../../src/runtime/lines.js';
import { tempDir } from '../helpers.js';

async function* chunksOf(...parts: (string | Buffer | Uint8Array)[]): AsyncGenerator<Uint8Array | string> {
  for (const p of parts) yield p;
}

async function read(input: AsyncIterable<Uint8Array | string>, options?: ReadLinesOptions): Promise<{ batches: LineBatch[]; end: LinesEnd }> {
  const it = readLines(input, options);
  const batches: LineBatch[] = [];
  for (;;) {
    const r = await it.next();
    if (r.done) return { batches, end: r.value };
    batches.push(r.value);
  }
}

/** Every line with its number, and every refusal as `number: code`. */
function flatten(batches: LineBatch[]): { lines: [number, string][]; refused: string[] } {
  const lines: [number, string][] = [];
  const refused: string[] = [];
  for (const b of batches) {
    b.lines.forEach((text, i) => {
      lines.push([b.firstLine + i, text]);
    });
    for (const [i, r] of b.refused ?? []) refused.push(`${b.firstLine + i}: ${r.code}`);
  }
  return { lines, refused };
}

/** Splits bytes into chunks at the given cut points. */
function cutAt(bytes: Buffer, ...cuts: number[]): Buffer[] {
  const out: Buffer[] = [];
  let from = 0;
  for (const c of [...cuts, bytes.length]) {
    out.push(bytes.subarray(from, c));
    from = c;
  }
  return out;
}

describe('readLines', () => {
  const text = '{"a":"żółw 😀"}\n{"b":"€"}\n';
  const bytes = Buffer.from(text);

  it('gives the same lines for a chunk boundary at every byte, multi-byte characters included', async () => {
    const expected = {
      lines: [
        [1, '{"a":"żółw 😀"}'],
        [2, '{"b":"€"}'],
      ],
      refused: [],
    };
    for (let cut = 0; cut <= bytes.length; cut++) {
      const { batches, end } = await read(chunksOf(...cutAt(bytes, cut)));
      expect(flatten(batches), `cut at byte ${cut}`).toEqual(expected);
      expect(end).toEqual({ end: bytes.length, nextLine: 3, held: 0 });
    }
    // And one byte per chunk.
    const { batches } = await read(chunksOf(...Array.from(bytes, (b) => Buffer.of(b))));
    expect(flatten(batches)).toEqual(expected);
  });

  it('yields one batch per chunk that ends a line, with the byte offset after its last line', async () => {
    const { batches } = await read(chunksOf('{"a":1}\n{"b"', ':2}\n{"c":3}\n', '{"d":4}\n'));
    expect(batches.map((b) => ({ lines: b.lines, firstLine: b.firstLine, end: b.end }))).toEqual([
      { lines: ['{"a":1}'], firstLine: 1, end: 8 },
      { lines: ['{"b":2}', '{"c":3}'], firstLine: 2, end: 24 },
      { lines: ['{"d":4}'], firstLine: 4, end: 32 },
    ]);
  });

  it('skips a UTF-8 BOM at the start, even split across chunks, and counts its bytes in offsets', async () => {
    const withBom = Buffer.concat([Buffer.of(0xef, 0xbb, 0xbf), Buffer.from('{"a":1}\n{"b":2}\n')]);
    for (let cut = 0; cut <= 4; cut++) {
      const { batches, end } = await read(chunksOf(...cutAt(withBom, cut)));
      expect(flatten(batches).lines, `cut at byte ${cut}`).toEqual([
        [1, '{"a":1}'],
        [2, '{"b":2}'],
      ]);
      expect(end.end).toBe(withBom.length);
    }
  });

  it('keeps a BOM that is not at the start of the input (a resumed read), and one on a later line', async () => {
    const bom = '\ufeff';
    const resumed = await read(chunksOf(`${bom}{"a":1}\n`), { startOffset: 100, startLine: 7 });
    expect(flatten(resumed.batches).lines).toEqual([[7, `${bom}{"a":1}`]]);
    expect(resumed.end).toEqual({ end: 100 + Buffer.byteLength(`${bom}{"a":1}\n`), nextLine: 8, held: 0 });
    const later = await read(chunksOf(`{"a":1}\n${bom}{"b":2}\n`));
    expect(flatten(later.batches).lines[1]).toEqual([2, `${bom}{"b":2}`]);
  });

  it('takes CRLF line ends, and keeps a lone CR inside a line', async () => {
    const { batches } = await read(chunksOf('{"a":1}\r\n{"b":"x\ry"}\r', '\n\r\n'));
    expect(flatten(batches).lines).toEqual([
      [1, '{"a":1}'],
      [2, '{"b":"x\ry"}'],
      [3, ''],
    ]);
  });

  it('keeps blank lines, so line numbers stay true', async () => {
    const { batches } = await read(chunksOf('\n\n{"a":1}\n  \n{"b":2}\n'));
    expect(flatten(batches).lines).toEqual([
      [1, ''],
      [2, ''],
      [3, '{"a":1}'],
      [4, '  '],
      [5, '{"b":2}'],
    ]);
  });

  describe('a last line without a newline', () => {
    const input = () => chunksOf('{"a":1}\n{"b":', '2}');

    it("is emitted with final: 'emit' (the default), its offset the end of the input", async () => {
      const { batches, end } = await read(input());
      expect(flatten(batches).lines).toEqual([
        [1, '{"a":1}'],
        [2, '{"b":2}'],
      ]);
      expect(batches.at(-1)!.end).toBe(15);
      expect(end).toEqual({ end: 15, nextLine: 3, held: 0 });
    });

    it("is held back with final: 'hold', and read whole when reading resumes at the last batch's end", async () => {
      const { batches, end } = await read(input(), { final: 'hold' });
      expect(flatten(batches).lines).toEqual([[1, '{"a":1}']]);
      expect(end).toEqual({ end: 8, nextLine: 2, held: 7 });
      // The writer finishes the line; the source reads again from where it got to.
      const file = Buffer.from('{"a":1}\n{"b":2}\n{"c":');
      const again = await read(chunksOf(file.subarray(end.end)), { final: 'hold', startOffset: end.end, startLine: end.nextLine });
      expect(flatten(again.batches).lines).toEqual([[2, '{"b":2}']]);
      expect(again.end).toEqual({ end: 16, nextLine: 3, held: 5 });
    });

    it('is emitted with its CR removed, and with a BOM when it is the only line', async () => {
      const { batches } = await read(chunksOf(Buffer.of(0xef, 0xbb), Buffer.from('\xbf{"a":1}\r', 'latin1')));
      expect(flatten(batches).lines).toEqual([[1, '{"a":1}']]);
    });
  });

  it('refuses a line that is not UTF-8 (INPUT_BAD_UNICODE), keeping the lines around it', async () => {
    const bad = Buffer.concat([Buffer.from('{"a":1}\n{"b":"'), Buffer.of(0xff, 0xfe), Buffer.from('"}\n{"c":3}\n')]);
    const { batches } = await read(chunksOf(bad));
    expect(flatten(batches)).toEqual({
      lines: [
        [1, '{"a":1}'],
        [2, '{"b":"\ufffd\ufffd"}'],
        [3, '{"c":3}'],
      ],
      refused: ['2: INPUT_BAD_UNICODE'],
    });
    expect(batches[0]!.refused!.get(1)!.message).toMatch(/^the line is not valid UTF-8 \(byte 0xff at byte 7 of the line\)/);
  });

  it('refuses CESU-8 surrogates and overlong forms, which are not UTF-8', async () => {
    const lines = [Buffer.of(0x22, 0xed, 0xa0, 0x80, 0x22), Buffer.of(0x22, 0xc0, 0xaf, 0x22), Buffer.from('"ok"')];
    const { batches } = await read(chunksOf(Buffer.concat(lines.flatMap((l) => [l, Buffer.of(0x0a)]))));
    expect(flatten(batches).refused).toEqual(['1: INPUT_BAD_UNICODE', '2: INPUT_BAD_UNICODE']);
  });

  it('refuses a line longer than maxLineBytes (INPUT_LINE_TOO_LONG) without holding it, within a chunk and across chunks', async () => {
    const { batches, end } = await read(chunksOf('{"a":1}\n0123456789', '0123456789\n{"b":2}\n', '01234567890123\n{"c":3}'), { maxLineBytes: 12 });
    expect(flatten(batches)).toEqual({
      lines: [
        [1, '{"a":1}'],
        [2, '01234567890123456789'],
        [3, '{"b":2}'],
        [4, '01234567890123'],
        [5, '{"c":3}'],
      ],
      refused: ['2: INPUT_LINE_TOO_LONG', '4: INPUT_LINE_TOO_LONG'],
    });
    expect(batches[1]!.refused!.get(0)!.message).toBe('the line is longer than 12 bytes (at least 20); it was skipped');
    expect(end.end).toBe(8 + 21 + 8 + 15 + 7);
  });

  it('keeps only the first KiB of a too-long line', async () => {
    const long = 'x'.repeat(5000);
    const { batches } = await read(chunksOf(long.slice(0, 2000), long.slice(2000), '\n'), { maxLineBytes: 1000 });
    expect(flatten(batches).lines).toEqual([[1, 'x'.repeat(1024)]]);
    expect(flatten(batches).refused).toEqual(['1: INPUT_LINE_TOO_LONG']);
  });

  it('splits a chunk bigger than its decode piece (64 KiB) the same, lines longer than a piece included', async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => (i === 1234 ? `"${'ż'.repeat(60_000)}"` : JSON.stringify({ i, pad: 'x'.repeat(i % 200) })));
    const text = `${lines.join('\r\n')}\r\n`;
    expect(Buffer.byteLength(text)).toBeGreaterThan(4 * 64 * 1024);
    const { batches } = await read(chunksOf(text));
    expect(batches).toHaveLength(1);
    expect(batches[0]!.lines).toEqual(lines);
    const unterminated = await read(chunksOf(lines.join('\n')));
    expect(unterminated.batches.flatMap((b) => b.lines)).toEqual(lines);
  });

  it('reads a file stream in its chunks and a PassThrough fed piece by piece', async () => {
    const dir = tempDir();
    const lines = Array.from({ length: 10_000 }, (_, i) => JSON.stringify({ i, s: 'ż'.repeat(i % 7) }));
    writeFileSync(`${dir}/in.ndjson`, `${lines.join('\n')}\n`);
    const { batches, end } = await read(createReadStream(`${dir}/in.ndjson`, { highWaterMark: 4096 }));
    expect(batches.length).toBeGreaterThan(10);
    expect(flatten(batches).lines.map(([, t]) => t)).toEqual(lines);
    expect(end.end).toBe(Buffer.byteLength(`${lines.join('\n')}\n`));

    const pass = new PassThrough();
    const reading = read(pass);
    pass.write('{"a":');
    pass.write('1}\n{"b":2}');
    pass.end('\n');
    expect(flatten((await reading).batches).lines).toEqual([
      [1, '{"a":1}'],
      [2, '{"b":2}'],
    ]);
  });

  it('stops when its signal aborts, even while waiting for input, and says where it got to', async () => {
    const pass = new PassThrough();
    const stop = new AbortController();
    const it = readLines(pass, { signal: stop.signal });
    pass.write('{"a":1}\n{"b"');
    const first = await it.next();
    expect(first.value).toMatchObject({ lines: ['{"a":1}'], end: 8 });
    const waiting = it.next();
    stop.abort();
    expect(await waiting).toEqual({ done: true, value: { end: 8, nextLine: 2, held: 4 } });
    expect(pass.destroyed).toBe(true);
  });

  it('stops without destroying an input given as a stream iterator that keeps it open (stdin)', async () => {
    const pass = new PassThrough();
    const stop = new AbortController();
    const it = readLines(pass.iterator({ destroyOnReturn: false }), { signal: stop.signal });
    const waiting = it.next();
    stop.abort();
    expect(await waiting).toEqual({ done: true, value: { end: 0, nextLine: 1, held: 0 } });
    expect(pass.destroyed).toBe(false);
  });

  it('passes on a read error', async () => {
    await expect(read(createReadStream('/nonexistent/in.ndjson'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('closes the input when the consumer stops early', async () => {
    const pass = new PassThrough();
    pass.write('{"a":1}\n');
    for await (const batch of readLines(pass)) {
      expect(batch.lines).toEqual(['{"a":1}']);
      break;
    }
    expect(pass.destroyed).toBe(true);
  });
});
