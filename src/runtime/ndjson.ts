/** NDJSON in and out: line reading with positions, exact-number checks, buffered writing. */
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { EventValue } from '../core/event.js';

/** A line that could not become an event. */
export interface InputProblem {
  readonly source: string;
  readonly line: number;
  readonly message: string;
  readonly text: string;
}

/**
 * Parses one NDJSON line. Integer literals JSON.parse would round (beyond ±2^53) are refused, so no
 * event silently changes on the way in.
 */
export function parseLine(text: string): { value: EventValue } | { error: string } {
  let value: EventValue;
  try {
    value = JSON.parse(text) as EventValue;
  } catch (e) {
    return { error: `invalid JSON: ${(e as Error).message}` };
  }
  const inexact = /\d{16}/.test(text) ? findInexactInteger(text) : undefined;
  if (inexact !== undefined) {
    return { error: `the number ${inexact} cannot be represented exactly (integers are exact up to ±2^53); send it as a string` };
  }
  return { value };
}

/** Finds an integer literal outside strings whose value a double cannot hold exactly. */
function findInexactInteger(text: string): string | undefined {
  const re = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const tok = m[0];
    if (tok.startsWith('"') || /[.eE]/.test(tok)) continue;
    if (!Number.isSafeInteger(Number(tok)) && BigInt(tok) !== BigInt(Number(tok))) return tok;
  }
  return undefined;
}

/** Reads NDJSON lines from files (or stdin when none / `-`), in order. Blank lines are skipped. */
export async function* readNdjson(files: readonly string[], stdin: Readable = process.stdin): AsyncGenerator<{ source: string; line: number; text: string }> {
  const inputs = files.length ? files : ['-'];
  for (const file of inputs) {
    const stream = file === '-' ? stdin : createReadStream(file, { encoding: 'utf8' });
    const source = file === '-' ? 'stdin' : file;
    const rl = createInterface({ input: stream, crlfDelay: Infinity });
    let line = 0;
    for await (const text of rl) {
      line++;
      if (text.trim() === '') continue;
      yield { source, line, text };
    }
  }
}

/**
 * Collects output lines and writes them in large chunks, waiting when the stream is full. Lines
 * also go out on the next turn of the event loop, so a live, slow input is not held back.
 */
export class LineWriter {
  private buf: string[] = [];
  private size = 0;
  private scheduled = false;
  constructor(private readonly out: Writable, private readonly limit = 64 * 1024) {}
  write(line: string): void {
    this.buf.push(line);
    this.size += line.length + 1;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        if (this.buf.length) this.out.write(this.take());
      });
    }
  }
  private take(): string {
    const chunk = this.buf.join('\n') + '\n';
    this.buf = [];
    this.size = 0;
    return chunk;
  }
  get full(): boolean {
    return this.size >= this.limit;
  }
  async flush(): Promise<void> {
    if (this.buf.length === 0) return;
    if (!this.out.write(this.take())) await once(this.out, 'drain');
  }
}
