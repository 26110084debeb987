/** Progress bars on stderr; cli-progress is loaded on first use, as only a long append or replay on a terminal draws one. */
import { createRequire } from 'node:module';
import type cliProgress from 'cli-progress';

/** A progress bar on stderr with this format (cli-progress placeholders: {bar}, {value}, {total}…). */
export function newProgressBar(format: string): cliProgress.SingleBar {
  const { SingleBar, Presets } = createRequire(import.meta.url)('cli-progress') as typeof cliProgress;
  return new SingleBar({ format, stream: process.stderr }, Presets.shades_classic);
}
