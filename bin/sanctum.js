#!/usr/bin/env node
// The `sanctum` command: runs the compiled CLI (built by `npm run build`, which `npm ci` runs).
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('sanctum: the CLI is not built yet. Run `npm run build` (npm ci does it for you).\n');
  process.exit(2);
}
const { runCli } = await import(main.href);
await runCli(process.argv);
