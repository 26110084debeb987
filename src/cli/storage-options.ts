/** Where the storage commands find the data file: a runeset's data_dir, or --data-dir. */
import path from 'node:path';
import type { Command } from 'commander';
import type { Storage } from '../core/storage.js';
import type { Runeset } from '../runes/index.js';

export interface StorageFlags {
  runeset?: string;
  dataDir?: string;
}

/** Adds --runeset and --data-dir to a command. */
export function storageOptions(cmd: Command): Command {
  return cmd
    .option('--runeset <file>', 'the runeset whose data directory (sanctum.data_dir) to use')
    .option('--data-dir <dir>', 'the data directory itself (default: .sanctum)');
}

export class UsageError extends Error {}

/** Opens the storage the flags point at; with --runeset, also returns the runeset. */
export async function openStorageFromFlags(flags: StorageFlags): Promise<{ storage: Storage; runeset?: Runeset; dir: string }> {
  if (flags.runeset && flags.dataDir) throw new UsageError('give --runeset or --data-dir, not both');
  // Loaded here, not at the top: `sanctum --help` and the other commands do not pay for them.
  const { openSqliteStorage } = await import('../storage/index.js');
  if (flags.runeset) {
    const { loadRuneset, formatDiagnostic } = await import('../runes/index.js');
    const { runeset, diagnostics } = await loadRuneset(flags.runeset, { checkSpells: false });
    if (!runeset) throw new UsageError(`the runeset has errors:\n${diagnostics.map(formatDiagnostic).join('\n')}`);
    const dir = runeset.sanctum.data_dir.absolute;
    return { storage: openSqliteStorage({ dir, synchronous: runeset.sanctum.synchronous }), runeset, dir };
  }
  const dir = path.resolve(flags.dataDir ?? '.sanctum');
  return { storage: openSqliteStorage({ dir }), dir };
}
