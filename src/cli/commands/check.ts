/** `sanctum check <runeset>`: validate a runeset and summon its spells, running nothing. */
import type { Command } from 'commander';
import { EXIT } from '../exit-codes.js';

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('Check a runeset: YAML, runes, references, cycles, and that every spell summons. Reports every problem at once.')
    .argument('<runeset>', 'the runeset file (.yaml)')
    .option('--json', 'print the diagnostics as JSON')
    .addHelpText('after', '\nEach problem is printed as file:line:column: message.\nExit codes: 0 the runeset is valid (warnings allowed), 2 it has errors.\n')
    .action(async (file: string, flags: { json?: boolean }) => {
      const { loadRuneset, formatDiagnostic } = await import('../../runes/index.js');
      const { runeset, diagnostics } = await loadRuneset(file);
      const errors = diagnostics.filter((d) => d.severity === 'error').length;
      const warnings = diagnostics.length - errors;
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ valid: runeset !== undefined, errors, warnings, diagnostics }, null, 2)}\n`);
      } else {
        for (const d of diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
        if (runeset) {
          const n = (o: object) => Object.keys(o).length;
          process.stdout.write(
            `${file}: ok — ${n(runeset.streams)} streams, ${n(runeset.spells)} spells, ${n(runeset.pipelines)} pipelines, ${n(runeset.sources)} sources, ${n(runeset.sinks)} sinks${warnings ? `, ${warnings} warning${warnings > 1 ? 's' : ''}` : ''}\n`,
          );
        } else {
          process.stderr.write(`${file}: ${errors} error${errors > 1 ? 's' : ''}${warnings ? `, ${warnings} warning${warnings > 1 ? 's' : ''}` : ''}\n`);
        }
      }
      process.exitCode = runeset ? EXIT.OK : EXIT.INVALID;
    });
}
