/** The `sanctum` command line: one commander program, one file per command. */
import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { registerCast } from './commands/cast.js';
import { registerTest } from './commands/test.js';
import { registerRun } from './commands/run.js';
import { registerCheck } from './commands/check.js';
import { registerTop } from './commands/top.js';
import { registerTap } from './commands/tap.js';
import { registerStorage } from './commands/storage.js';
import { registerReplay } from './commands/replay.js';
import { EXIT } from './exit-codes.js';

const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };

/** Builds the program; the CLI reference page is generated from it. */
export function buildProgram(): Command {
  const program = new Command('sanctum')
    .description('Sanctum: Lua spells over energy streams.')
    .version(pkg.version)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerRun(program);
  registerCheck(program);
  registerCast(program);
  registerTest(program);
  registerTop(program);
  registerTap(program);
  registerStorage(program);
  registerReplay(program);
  return program;
}

/** Runs the CLI with process.argv-style arguments. Sets process.exitCode. */
export async function runCli(argv: readonly string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv as string[]);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? EXIT.OK : EXIT.INVALID;
      return;
    }
    process.stderr.write(`sanctum: ${(e as Error).stack ?? e}\n`);
    process.exitCode = EXIT.INVALID;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runCli(process.argv);
