/**
 * Input formats of sources (the `format` rune): `ndjson` (a JSON event a line), `lines` (each line
 * of text an event `{ message, source, line }`, for a spell to parse) and `json` (one document: an
 * array is its events, anything else one event). File, stdin and HTTP sources share them.
 */
import type { EventValue } from '../core/event.js';
import type { LineBatch } from './lines.js';
import { parseLine, type EventBatch, type InputProblem } from './ndjson.js';

/**
 * Decodes a whole `json` document: an array is its events, anything else one event. The same exact-
 * number rule as NDJSON applies (an integer a double cannot hold is refused).
 */
export function decodeDocument(text: string): { events: EventValue[] } | { error: string } {
  const parsed = parseLine(text);
  if ('error' in parsed) return parsed;
  return { events: Array.isArray(parsed.value) ? (parsed.value as EventValue[]) : [parsed.value] };
}

/**
 * The `lines` format: each line of text an event `{ message, source, line }` (empty lines skipped;
 * lines that are not UTF-8 or too long are problems, as for NDJSON). With `file` (a followed file
 * source, which reads several files in turn), the event says which: `{ message, source, file, line }`.
 */
export function decodeTextLines(batch: LineBatch, source: string, where: string, file?: string): EventBatch {
  const events: EventValue[] = [];
  const problems: (InputProblem & { at: number })[] = [];
  let read = 0;
  for (let i = 0; i < batch.lines.length; i++) {
    const text = batch.lines[i]!;
    const refusal = batch.refused?.get(i);
    if (refusal === undefined && text.length === 0) continue;
    read++;
    if (refusal) problems.push({ code: refusal.code, source: where, line: batch.firstLine + i, message: refusal.message, text, at: events.length });
    else events.push(file === undefined ? { message: text, source, line: batch.firstLine + i } : { message: text, source, file, line: batch.firstLine + i });
  }
  return { events, problems, lines: read, end: batch.end, lastLine: batch.firstLine + batch.lines.length - 1 };
}
