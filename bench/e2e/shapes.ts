/**
 * The inputs and runesets bench/e2e.ts and bench/profile.ts share: the events {id, value, kind}, and
 * a runeset of a source into `in`, one pipeline of spells from bench/spells, sinks for `out` (and `hot`).
 */
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Kinds of event: `kind` is one of k0..k31. */
export const KINDS = 32;
const SPELLS = fileURLToPath(new URL('../spells/', import.meta.url));

/** Event `i` (from 1). */
export const event = (i: number) => ({ id: i, value: (i * 37 + 11) % 100, kind: `k${i % KINDS}` });

/** Events 1..n as NDJSON in `file`. */
export function writeEvents(file: string, n: number): void {
  const fd = openSync(file, 'w');
  for (let i = 1; i <= n; i += 10_000) {
    let chunk = '';
    for (let j = i; j < Math.min(n + 1, i + 10_000); j++) chunk += `${JSON.stringify(event(j))}\n`;
    writeFileSync(fd, chunk);
  }
  closeSync(fd);
}

export interface RunesetShape {
  steps: string[];
  /** Route hot events through route.lua's `hot` port to a second file. */
  route?: boolean;
  durable?: boolean;
  source?: 'file' | 'stdin';
  sink?: 'file' | 'stdout';
}

/** A runeset in `dir` reading `input` (a file source) or stdin: one pipeline of `steps`, sinks for `out` (and `hot`). */
export function runeset(dir: string, shape: RunesetShape, input: string): string {
  mkdirSync(dir, { recursive: true });
  const durable = shape.durable ? ' { durable: true }' : ' {}';
  const steps = shape.steps.map((s) => (s === 'route' ? '{ spell: route, ports: { hot: hot } }' : s));
  const spells = [...new Set(shape.steps)].map((s) => `  ${s}: { file: ${JSON.stringify(path.join(SPELLS, `${s}.lua`))} }`);
  const sink = (name: string, from: string) =>
    shape.sink === 'stdout' ? `  ${name}: { type: stdout, from: ${from} }` : `  ${name}: { type: file, from: ${from}, path: ${from}.ndjson }`;
  const text = [
    'version: 1',
    'sanctum: { log_level: error }',
    'streams:',
    `  in:${durable}`,
    `  out:${durable}`,
    ...(shape.route ? [`  hot:${durable}`] : []),
    'spells:',
    ...spells,
    'sources:',
    shape.source === 'stdin' ? '  input: { type: stdin, to: in }' : `  input: { type: file, path: ${JSON.stringify(input)}, to: in }`,
    'pipelines:',
    `  main: { from: in, steps: [${steps.join(', ')}], to: out }`,
    'sinks:',
    ...(shape.route && shape.sink === 'stdout' ? [sink('all', '[out, hot]')] : [sink('out-file', 'out'), ...(shape.route ? [sink('hot-file', 'hot')] : [])]),
    '',
  ].join('\n');
  const file = path.join(dir, 'bench.runeset.yaml');
  writeFileSync(file, text);
  return file;
}
