/** What the benchmarks share: `--name N` options, `--flag` switches, medians, event equality, and the machine they ran on. */
import { cpus, loadavg, totalmem } from 'node:os';
import type { EventValue } from '../src/core/event.js';

const args = process.argv.slice(2);

/** `--name N`, a whole number of at least 1, or the fallback; a bad value exits with a message. */
export function option(script: string, name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v < 1) {
    console.error(`${script}: --${name} needs a whole number of at least 1`);
    process.exit(2);
  }
  return v;
}

/** `--name VALUE`, any text, or the fallback. */
export function textOption(script: string, name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) {
    console.error(`${script}: --${name} needs a value`);
    process.exit(2);
  }
  return v;
}

/** True when `--name` is on the command line. */
export function flag(name: string): boolean {
  return args.includes(`--${name}`);
}

/** The machine a benchmark ran on, with its load at the start and now: for the report. */
export function machineInfo<E extends Record<string, string>>(loadAverageAtStart: number, extra = {} as E) {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memory: totalmem(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    ...extra,
    loadAverageAtStart,
    loadAverageAtEnd: loadavg()[0]!,
  };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Deep equality of JSON-shaped values, key order aside (util.isDeepStrictEqual is 3–4× slower). */
export function equal(x: EventValue | undefined, y: EventValue | undefined): boolean {
  if (x === y) return true;
  if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
  if (Array.isArray(x)) {
    if (!Array.isArray(y) || x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!equal(x[i], y[i])) return false;
    return true;
  }
  if (Array.isArray(y)) return false;
  const xo = x as Record<string, EventValue>,
    yo = y as Record<string, EventValue>;
  const keys = Object.keys(xo);
  if (keys.length !== Object.keys(yo).length) return false;
  for (const k of keys) if (!Object.hasOwn(yo, k) || !equal(xo[k], yo[k])) return false;
  return true;
}
