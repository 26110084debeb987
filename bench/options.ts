/** Command-line options shared by the benchmarks: `--name N` whole numbers and `--flag` switches. */

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
