/** A closed stdout (`sanctum cast … | head -1`) ends the command quietly with exit code 0, as `yes | head` does. */
import { EXIT } from './exit-codes.js';

let installed = false;

/**
 * Call at the start of a command that writes to stdout. Node ignores SIGPIPE, so a reader that
 * goes away shows up as an EPIPE error on stdout: without this, a stack trace (or a misleading
 * "cannot read input"). Any other stdout error is thrown, as before.
 */
export function endQuietlyWhenStdoutCloses(): void {
  if (installed) return;
  installed = true;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(EXIT.OK);
    throw e;
  });
}
