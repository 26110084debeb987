/** The `sanctum` command line: one commander program, one file per command. */
import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { EXIT } from './exit-codes.js';
import { endQuietlyWhenStdoutCloses } from './stdout.js';

const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };

type Register = (program: Command) => void;

/**
 * Each command's module and the commands it registers, in the order `sanctum --help` lists them.
 * Loaded when needed: `sanctum cast …` loads the cast module alone, not those of run, test or top.
 */
const COMMANDS: readonly { names: readonly string[]; load: () => Promise<Register> }[] = [
  { names: ['run'], load: async () => (await import('./commands/run.js')).registerRun },
  { names: ['check'], load: async () => (await import('./commands/check.js')).registerCheck },
  { names: ['cast'], load: async () => (await import('./commands/cast.js')).registerCast },
  { names: ['test'], load: async () => (await import('./commands/test.js')).registerTest },
  { names: ['top'], load: async () => (await import('./commands/top.js')).registerTop },
  { names: ['tap'], load: async () => (await import('./commands/tap.js')).registerTap },
  { names: ['streams', 'append', 'tail', 'state'], load: async () => (await import('./commands/storage.js')).registerStorage },
  { names: ['replay'], load: async () => (await import('./commands/replay.js')).registerReplay },
];

/** Builds the program with every command; the CLI reference page is generated from it. */
export async function buildProgram(): Promise<Command> {
  return programWith(COMMANDS);
}

async function programWith(commands: typeof COMMANDS): Promise<Command> {
  const registers = await Promise.all(commands.map((c) => c.load()));
  const program = new Command('sanctum')
    .description('Sanctum: Lua spells over energy streams.')
    .version(pkg.version)
    .showHelpAfterError('(run with --help for usage)')
    // Help and the version: `sanctum streams --help | head` ends quietly when the reader goes away,
    // as every command that writes to stdout does (the commands inherit this from the program).
    .configureOutput({
      writeOut: (text) => {
        endQuietlyWhenStdoutCloses();
        process.stdout.write(text);
      },
    })
    .exitOverride();
  for (const register of registers) register(program);
  return program;
}

/** The commands `argv` needs: the one it names, or all of them (`--help`, `help`, an unknown name). */
function commandsFor(argv: readonly string[]): typeof COMMANDS {
  const named = COMMANDS.find((c) => c.names.includes(argv[2] ?? ''));
  return named ? [named] : COMMANDS;
}

/** Runs the CLI with process.argv-style arguments. Sets process.exitCode. */
export async function runCli(argv: readonly string[]): Promise<void> {
  const program = await programWith(commandsFor(argv));
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
