/** docunomicon/reference/cli.md is generated from the CLI; this fails when the committed page is stale. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { GENERATE_COMMAND, REFERENCE_FILE, renderCliReference } from '../../scripts/gen-cli-docs.js';
import { buildProgram } from '../../src/cli/main.js';
import { EXIT_CODE_DOCS } from '../../src/cli/exit-codes.js';

describe('the CLI reference page', () => {
  it('is up to date with buildProgram()', async () => {
    const committed = readFileSync(REFERENCE_FILE, 'utf8');
    const fresh = renderCliReference(await buildProgram());
    if (committed !== fresh) {
      expect.fail(`docunomicon/reference/cli.md is stale: run \`${GENERATE_COMMAND}\` and commit the result`);
    }
  });

  it('lists every command, argument and option, and every exit code', async () => {
    const page = renderCliReference(await buildProgram());
    for (const c of (await buildProgram()).commands) {
      expect(page).toContain(`## sanctum ${c.name()}`);
      for (const a of c.registeredArguments) expect(page).toContain(a.name());
      for (const o of c.options) if (o.long !== '--help') expect(page).toContain(`\`${o.flags}\``);
    }
    for (const [code] of EXIT_CODE_DOCS) expect(page).toMatch(new RegExp(`^\\| ${code} \\|`, 'm'));
  });

  it('says how `sanctum run` and `sanctum test` behave in time: ticks and timers, the last tick at a graceful stop, `frame:`', async () => {
    const page = renderCliReference(await buildProgram());
    const section = (name: string) => page.slice(page.indexOf(`## sanctum ${name}\n`), page.indexOf('\n## ', page.indexOf(`## sanctum ${name}\n`) + 1));
    expect(section('run')).toMatch(
      /tick rune ticks every interval[\s\S]*due timers fire[\s\S]*graceful stop[\s\S]*ticks\s+each spell once more[\s\S]*before its finish/,
    );
    expect(section('test')).toMatch(/`frame: 1s`[\s\S]*virtual time[\s\S]*ticks \(`tick:`\) and timers fire at their instants[\s\S]*ticks once more/);
  });

  it('picks up a command added later with no change to the generator', async () => {
    const program = await buildProgram();
    program
      .command('banish')
      .description('Remove a spell | for good.')
      .argument('<spell>', 'the spell to remove')
      .option('--force', 'do not ask')
      .option('--mode <mode>', 'how', 'soft')
      .addHelpText('after', '\nExit codes: 0 gone.\n')
      .command('everything')
      .description('Nested too.');
    const page = renderCliReference(program);
    expect(page).toContain('| [`sanctum banish`](#sanctum-banish) | Remove a spell \\| for good. |');
    expect(page).toContain('```text\nsanctum banish [options] [command] <spell>\n```');
    expect(page).toContain('| `<spell>` | yes | the spell to remove |');
    expect(page).toContain('| `--mode <mode>` | how | `soft` |');
    expect(page).toContain('From `sanctum banish --help`:\n\n```text\nExit codes: 0 gone.\n```');
    expect(page).toContain('## sanctum banish everything');
  });

  it('leaves hidden commands out', async () => {
    const program = new Command('sanctum').description('x');
    program.command('secret', { hidden: true }).description('hidden');
    expect(renderCliReference(program)).not.toContain('secret');
  });
});
