/**
 * `sanctum top`'s view: tables of streams, spells and sinks with totals and rates, computed from
 * two scrapes of `/metrics`. Pure functions of the scrapes, so they are tested on fixed text.
 */
import { formatBytes } from '../core/units.js';
import { parsePromText, type PromSample } from './prom-text.js';

/** One scrape: when, and what it said. */
export interface Scrape {
  /** Milliseconds (any clock, as long as both scrapes use the same one). */
  readonly at: number;
  readonly samples: readonly PromSample[];
}

export function scrapeOf(text: string, at: number): Scrape {
  return { at, samples: parsePromText(text) };
}

export interface RenderOptions {
  /** Shown in the header. */
  readonly url?: string;
  /** Shown in the header, e.g. a time of day. */
  readonly clock?: string;
}

/** Sum of a metric's samples whose labels match `where`, or undefined when there are none. */
function sum(s: Scrape | undefined, name: string, where: Record<string, string> = {}): number | undefined {
  if (!s) return undefined;
  let total: number | undefined;
  for (const x of s.samples) {
    if (x.name !== name) continue;
    let ok = true;
    for (const k in where) if (x.labels[k] !== where[k]) ok = false;
    if (ok) total = (total ?? 0) + x.value;
  }
  return total;
}

function max(s: Scrape, name: string, where: Record<string, string>): number | undefined {
  let m: number | undefined;
  for (const x of s.samples) {
    if (x.name !== name) continue;
    let ok = true;
    for (const k in where) if (x.labels[k] !== where[k]) ok = false;
    if (ok) m = Math.max(m ?? -Infinity, x.value);
  }
  return m;
}

/** The values of one label over a metric's samples, in order of first appearance. */
function labelValues(s: Scrape, name: string, label: string): string[] {
  const seen = new Set<string>();
  for (const x of s.samples) if (x.name === name && x.labels[label] !== undefined) seen.add(x.labels[label]);
  return [...seen];
}

/** Per-second rate of a counter between the scrapes; undefined without a previous scrape or after a reset. */
function rate(prev: Scrape | undefined, cur: Scrape, name: string, where: Record<string, string> = {}): number | undefined {
  const a = sum(prev, name, where);
  const b = sum(cur, name, where);
  if (!prev || a === undefined || b === undefined || b < a) return undefined;
  const dt = (cur.at - prev.at) / 1000;
  return dt > 0 ? (b - a) / dt : undefined;
}

/** Mean of a histogram's observations between the scrapes (or since the start without a previous one). */
function meanBetween(prev: Scrape | undefined, cur: Scrape, name: string, where: Record<string, string>): number | undefined {
  const s1 = sum(cur, `${name}_sum`, where);
  const c1 = sum(cur, `${name}_count`, where);
  if (s1 === undefined || c1 === undefined) return undefined;
  const s0 = sum(prev, `${name}_sum`, where) ?? 0;
  const c0 = sum(prev, `${name}_count`, where) ?? 0;
  const dc = c1 - c0;
  return dc > 0 ? (s1 - s0) / dc : undefined;
}

const DASH = '-';

/** 1234 → "1234", 123456 → "123.5k", 12345678 → "12.3M". */
export function formatCount(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return DASH;
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toFixed(1)}G`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (a >= 1e5) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

/** Events per second: one decimal below 100. */
export function formatRate(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return DASH;
  return n < 100 ? n.toFixed(1) : formatCount(n);
}

/** Bytes as every size Sanctum prints is written (core/units.ts formatBytes); a dash when unknown. */
export function formatSize(n: number | undefined): string {
  return n === undefined || !Number.isFinite(n) ? DASH : formatBytes(n);
}

/** Seconds as µs or ms, whichever reads best. */
export function formatSeconds(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return DASH;
  if (s < 0.001) return `${(s * 1e6).toFixed(1)}µs`;
  if (s < 1) return `${(s * 1e3).toFixed(1)}ms`;
  return `${s.toFixed(2)}s`;
}

/** Lays rows out in columns: the first left-aligned, the others right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/**
 * Renders the view: a header with the process's CPU, memory and event loop lag, then a table of
 * streams, one of spells and one of sinks. Rates need `prev`; without it they show `-`.
 */
export function renderTop(prev: Scrape | undefined, cur: Scrape, options: RenderOptions = {}): string {
  const out: string[] = [];
  const cpu = rate(prev, cur, 'process_cpu_seconds_total');
  const head = [
    `sanctum top${options.url ? ` — ${options.url}` : ''}${options.clock ? ` — ${options.clock}` : ''}`,
    `cpu ${cpu === undefined ? DASH : `${(cpu * 100).toFixed(0)}%`}  rss ${formatSize(sum(cur, 'process_resident_memory_bytes'))}  event loop lag ${formatSeconds(sum(cur, 'nodejs_eventloop_lag_seconds'))}  dead letters ${formatCount(sum(cur, 'sanctum_dead_letters_total'))}`,
  ];
  out.push(...head, '');

  const streams = labelValues(cur, 'sanctum_stream_events_total', 'stream');
  out.push(
    table(
      ['STREAM', 'EVENTS', 'EVENTS/S', 'LAG', 'COMMIT'],
      streams.map((stream) => [
        stream,
        formatCount(sum(cur, 'sanctum_stream_events_total', { stream })),
        formatRate(rate(prev, cur, 'sanctum_stream_events_total', { stream })),
        formatCount(max(cur, 'sanctum_consumer_lag_events', { stream })),
        formatSeconds(meanBetween(prev, cur, 'sanctum_stream_commit_duration_seconds', { stream })),
      ]),
    ),
    '',
  );

  const spells = labelValues(cur, 'sanctum_spell_events_in_total', 'spell');
  out.push(
    table(
      ['SPELL', 'IN', 'IN/S', 'OUT', 'OUT/S', 'ERRORS', 'ERR/S', 'DEAD', 'CAST', 'LUA MEM'],
      spells.map((spell) => {
        const w = { spell };
        return [
          spell,
          formatCount(sum(cur, 'sanctum_spell_events_in_total', w)),
          formatRate(rate(prev, cur, 'sanctum_spell_events_in_total', w)),
          formatCount(sum(cur, 'sanctum_spell_events_out_total', w)),
          formatRate(rate(prev, cur, 'sanctum_spell_events_out_total', w)),
          formatCount(sum(cur, 'sanctum_spell_errors_total', w) ?? 0),
          formatRate(rate(prev, cur, 'sanctum_spell_errors_total', w) ?? (prev ? 0 : undefined)),
          formatCount(sum(cur, 'sanctum_spell_dead_letters_total', w) ?? 0),
          formatSeconds(meanBetween(prev, cur, 'sanctum_spell_cast_duration_seconds', w)),
          formatSize(sum(cur, 'sanctum_spell_lua_memory_bytes', w)),
        ];
      }),
    ),
  );

  const sinks = labelValues(cur, 'sanctum_sink_events_total', 'sink');
  if (sinks.length) {
    out.push(
      '',
      table(
        ['SINK', 'WRITTEN', 'EVENTS/S'],
        sinks.map((sink) => [
          sink,
          formatCount(sum(cur, 'sanctum_sink_events_total', { sink })),
          formatRate(rate(prev, cur, 'sanctum_sink_events_total', { sink })),
        ]),
      ),
    );
  }
  return `${out.join('\n')}\n`;
}
