/** Runs a command body: usage and storage errors become a message on stderr and exit code 2. */
import { EXIT } from './exit-codes.js';
import { UsageError } from './storage-options.js';

export async function guarded(body: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await body();
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith?.('STORAGE_')) {
      process.stderr.write(`sanctum: ${(e as Error).message}\n`);
      process.exitCode = EXIT.INVALID;
      return;
    }
    throw e;
  }
}
