/**
 * A reader of the Prometheus text format (version 0.0.4), enough for `sanctum top`: samples with
 * their labels and values; comments and timestamps are skipped.
 */

export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/**
 * Parses an exposition into its samples. Lines it cannot read are skipped.
 *
 * @example
 * parsePromText('sanctum_stream_events_total{stream="orders"} 7\n');
 * // [{ name: 'sanctum_stream_events_total', labels: { stream: 'orders' }, value: 7 }]
 */
export function parsePromText(text: string): PromSample[] {
  const out: PromSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(?:\s+-?\d+)?$/.exec(line);
    if (!m) continue;
    const labels = m[2] ? parseLabels(m[2].slice(1, -1)) : {};
    if (labels === undefined) continue;
    out.push({ name: m[1]!, labels, value: parseValue(m[3]!) });
  }
  return out;
}

function parseValue(v: string): number {
  if (v === '+Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  return Number(v);
}

function parseLabels(body: string): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < body.length) {
    while (body[i] === ',' || body[i] === ' ') i++;
    if (i >= body.length) break;
    const eq = body.indexOf('=', i);
    if (eq < 0 || body[eq + 1] !== '"') return undefined;
    const key = body.slice(i, eq).trim();
    let value = '';
    let j = eq + 2;
    for (; j < body.length && body[j] !== '"'; j++) {
      if (body[j] === '\\' && j + 1 < body.length) {
        const c = body[++j];
        value += c === 'n' ? '\n' : c;
      } else {
        value += body[j];
      }
    }
    if (j >= body.length) return undefined;
    labels[key] = value;
    i = j + 1;
  }
  return labels;
}
