#!/usr/bin/env node
// The `sanctum` command: runs the compiled CLI (built by `npm run build`, which `npm ci` runs).
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('sanctum: the CLI is not built yet. Run `npm run build` (npm ci does it for you).\n');
  process.exit(2);
}
// `sanctum run` stops cleanly on SIGINT/SIGTERM from its first moment: hold them until it takes them.
if (process.argv[2] === 'run') (await import(new URL('../dist/cli/early-signals.js', import.meta.url).href)).holdStopSignals();
const { runCli } = await import(main.href);
await runCli(process.argv);
