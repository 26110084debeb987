/** Where the storage commands find the data file: a runeset's data_dir, or --data-dir; opened for reading or for writing. */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { Runeset } from '../runes/index.js';
import type { SqliteStorage } from '../storage/index.js';

/** The data file's name in its directory (storage's DATA_FILE, without loading storage at start-up). */
const DATA_FILE = 'sanctum.db';

export interface StorageFlags {
  runeset?: string;
  dataDir?: string;
}

/** Adds --runeset and --data-dir to a command. */
export function storageOptions(cmd: Command): Command {
  return cmd
    .option('--runeset <file>', 'the runeset whose data directory (sanctum.data_dir) to use')
    .option('--data-dir <dir>', 'the data directory itself (default: the one data directory under .sanctum — .sanctum/<runeset name> — or .sanctum itself)');
}

export class UsageError extends Error {}

/** The data directory and file the flags point at (and the runeset, with --runeset). */
export interface DataLocation {
  readonly dir: string;
  /** `<dir>/sanctum.db`. */
  readonly file: string;
  readonly runeset?: Runeset;
}

async function locate(flags: StorageFlags): Promise<DataLocation> {
  if (flags.runeset && flags.dataDir) throw new UsageError('give --runeset or --data-dir, not both');
  if (flags.runeset) {
    // Loaded here, not at the top: `sanctum --help` and the other commands do not pay for it.
    const { loadRuneset, formatDiagnostic } = await import('../runes/index.js');
    const { runeset, diagnostics } = await loadRuneset(flags.runeset, { checkSpells: false });
    if (!runeset) throw new UsageError(`the runeset has errors:\n${diagnostics.map(formatDiagnostic).join('\n')}`);
    const dir = runeset.sanctum.data_dir.absolute;
    return { dir, file: path.join(dir, DATA_FILE), runeset };
  }
  const dir = flags.dataDir !== undefined ? path.resolve(flags.dataDir) : defaultDataDir();
  return { dir, file: path.join(dir, DATA_FILE) };
}

/**
 * Without flags: `.sanctum` when it holds a data file; otherwise the one runeset data directory
 * under it (`.sanctum/<runeset name>`, each runeset's default); several: the user must say which.
 */
function defaultDataDir(): string {
  const root = path.resolve('.sanctum');
  if (existsSync(path.join(root, DATA_FILE))) return root;
  let dirs: string[] = [];
  try {
    dirs = readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(path.join(root, d.name, DATA_FILE)))
      .map((d) => d.name)
      .sort();
  } catch {
    // no .sanctum here
  }
  if (dirs.length === 1) return path.join(root, dirs[0]!);
  if (dirs.length > 1) {
    throw new UsageError(`.sanctum holds the data of several runesets (${dirs.join(', ')}): say which with --runeset <file> or --data-dir .sanctum/<name>`);
  }
  return root;
}

/** Opens the storage the flags point at for writing, creating it when missing. */
export async function openStorageForWriting(flags: StorageFlags): Promise<DataLocation & { storage: SqliteStorage }> {
  const where = await locate(flags);
  const { openSqliteStorage } = await import('../storage/index.js');
  return { ...where, storage: openSqliteStorage({ dir: where.dir, ...(where.runeset ? { synchronous: where.runeset.sanctum.synchronous } : {}) }) };
}

/**
 * Opens the storage the flags point at for reading only: no data file is created, no write lock is
 * taken, and a directory this user cannot write is read all the same. `storage` is undefined
 * when there is no data file yet (nothing was ever made durable there).
 */
export async function openStorageForReading(flags: StorageFlags): Promise<DataLocation & { storage: SqliteStorage | undefined }> {
  const where = await locate(flags);
  if (!existsSync(where.file)) return { ...where, storage: undefined };
  const { openSqliteStorage } = await import('../storage/index.js');
  return { ...where, storage: openSqliteStorage({ dir: where.dir, readonly: true }) };
}

/** The durable streams of a runeset, for messages: `a, b`, or `none`. */
export function durableNames(runeset: Runeset): string {
  return (
    Object.values(runeset.streams)
      .filter((s) => s.durable)
      .map((s) => s.name)
      .join(', ') || 'none'
  );
}
