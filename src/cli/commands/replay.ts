/** `sanctum replay <runeset> <pipeline> --from N`: re-run a durable pipeline over old events, into fresh state. */
import type { Command } from 'commander';
import { SanctumError } from '../../core/errors.js';
import { EXIT } from '../exit-codes.js';
import { newProgressBar } from '../progress.js';

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description("Re-run a durable pipeline from a sequence number into fresh state: its spells' state is cleared, and its outputs are appended again.")
    .argument('<runeset>', 'the runeset file (.yaml)')
    .argument('<pipeline>', 'the pipeline to replay (it must read durable streams)')
    .requiredOption('--from <seq>', 'the first sequence number of its input to cast again', (v) => Number(v))
    .option('--no-progress', 'no progress bar, even on a terminal')
    .addHelpText(
      'after',
      '\nStop `sanctum run` first: replay and a running consumer of the same pipeline would race.\nExit codes: 0 replayed, 2 bad arguments or runeset.\n',
    )
    .action(async (file: string, name: string, flags: { from: number; progress: boolean }) => {
      // Loaded here, not at the top: `sanctum --help` and the other commands do not pay for them.
      const [{ loadRuneset, formatDiagnostic }, { openSqliteStorage }, { replayPipeline }] = await Promise.all([
        import('../../runes/index.js'),
        import('../../storage/index.js'),
        import('../../runtime/replay.js'),
      ]);
      const { runeset, diagnostics } = await loadRuneset(file);
      for (const d of diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
      if (!runeset) {
        process.exitCode = EXIT.INVALID;
        return;
      }
      const storage = openSqliteStorage({ dir: runeset.sanctum.data_dir.absolute, synchronous: runeset.sanctum.synchronous });
      const bar = flags.progress && process.stderr.isTTY ? newProgressBar('replaying [{bar}] {percentage}% | seq {value}/{total}') : undefined;
      try {
        let started = false;
        const report = await replayPipeline(runeset, storage, name, flags.from, {
          onProgress: (seq, last) => {
            if (!started) bar?.start(last, flags.from - 1);
            started = true;
            bar?.update(seq);
          },
        });
        bar?.stop();
        const appended = Object.entries(report.appended)
          .map(([s, n]) => `${n} → ${s}`)
          .join(', ');
        process.stderr.write(
          `replayed ${report.events} events of pipeline '${name}' from seq ${flags.from}${appended ? `; appended ${appended}` : ''}; ${report.deadLetters} dead letters\n`,
        );
        process.exitCode = EXIT.OK;
      } catch (e) {
        bar?.stop();
        if (!(e instanceof SanctumError)) throw e;
        process.stderr.write(`sanctum replay: ${e.message}\n`);
        process.exitCode = EXIT.INVALID;
      } finally {
        storage.close();
      }
    });
}
