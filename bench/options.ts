/** What the benchmarks share: `--name N` options, `--flag` switches, and the machine they ran on. */
import { cpus, loadavg, totalmem } from 'node:os';

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
