/** Reads a byte stream as batches of complete lines, with their numbers and the byte offset reached. */
import type { Readable } from 'node:stream';

export interface LineBatch {
  readonly lines: readonly string[];
  /** The number of the first line of the batch (from `firstLine`). */
  readonly firstLine: number;
  /** Bytes consumed from the start of the stream, up to and including the last complete line's `\n`. */
  readonly endOffset: number;
  /** True for the last line of an input that did not end in `\n` (handed on with `final: 'emit'`). */
  readonly partial?: boolean;
  /** With `offsets: true`: the byte offset after each line (from the start of the stream). */
  readonly ends?: readonly number[];
}

const BOM = '\ufeff';

/**
 * Splits a stream into lines, a batch per chunk read. A last line without `\n` is handed on at the
 * end with `final: 'emit'`, or left unread with `final: 'hold'` (it may still be being written).
 */
export async function* readLineBatches(input: Readable, options: { final: 'emit' | 'hold'; firstLine?: number; offsets?: boolean }): AsyncGenerator<LineBatch> {
  let line = options.firstLine ?? 1;
  let offset = 0;
  let rest: Buffer | undefined;
  let first = line === 1;
  for await (const raw of input) {
    let chunk: Buffer = typeof raw === 'string' ? Buffer.from(raw) : (raw as Buffer);
    if (rest !== undefined) {
      chunk = Buffer.concat([rest, chunk]);
      rest = undefined;
    }
    const lastNl = chunk.lastIndexOf(10);
    if (lastNl === -1) {
      rest = chunk;
      continue;
    }
    const text = chunk.toString('utf8', 0, lastNl);
    if (lastNl + 1 < chunk.length) rest = chunk.subarray(lastNl + 1);
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!;
      if (l.length > 0 && l.charCodeAt(l.length - 1) === 13) lines[i] = l.slice(0, -1);
    }
    if (first) {
      first = false;
      if (lines[0]!.startsWith(BOM)) lines[0] = lines[0]!.slice(1);
    }
    let ends: number[] | undefined;
    if (options.offsets) {
      ends = [];
      for (let i = chunk.indexOf(10); i !== -1 && i <= lastNl; i = chunk.indexOf(10, i + 1)) ends.push(offset + i + 1);
    }
    offset += lastNl + 1;
    const batch: LineBatch = { lines, firstLine: line, endOffset: offset, ...(ends ? { ends } : {}) };
    line += lines.length;
    yield batch;
  }
  if (rest !== undefined && rest.length > 0 && options.final === 'emit') {
    let l = rest.toString('utf8');
    if (first && l.startsWith(BOM)) l = l.slice(1);
    if (l.endsWith('\r')) l = l.slice(0, -1);
    offset += rest.length;
    yield { lines: [l], firstLine: line, endOffset: offset, partial: true, ...(options.offsets ? { ends: [offset] } : {}) };
  }
}
