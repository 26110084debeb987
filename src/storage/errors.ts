/** StorageError: what the storage could not do, on which file, with the driver's error as `cause`. */
import { SanctumError } from '../core/errors.js';

export type StorageErrorCode = 'STORAGE_FAILED' | 'STORAGE_CORRUPT' | 'STORAGE_FOREIGN' | 'STORAGE_INVALID' | 'STORAGE_CONFLICT' | 'STORAGE_CLOSED';

/** What was being done when storage failed. */
export type StorageOperation = 'open' | 'append' | 'commit' | 'read' | 'retain' | 'put' | 'delete' | 'index' | 'close';

export interface StorageErrorFields {
  readonly code: StorageErrorCode;
  readonly operation: StorageOperation;
  /** What went wrong, phrased to follow the subject: `is not a Sanctum data file (file is not a database)`. */
  readonly problem: string;
  /** The data file, when the store has one. */
  readonly file?: string;
  /** The driver's own error code (`SQLITE_NOTADB`, `SQLITE_IOERR_FSYNC`, …), when there is one. */
  readonly driverCode?: string;
}

/**
 * A storage failure. The message is derived from the fields: `<file> <problem>`, for example
 * `/srv/.sanctum/sanctum.db is not a Sanctum data file (file is not a database)`.
 */
export class StorageError extends SanctumError implements StorageErrorFields {
  declare readonly code: StorageErrorCode;
  readonly operation: StorageOperation;
  readonly problem: string;
  readonly file?: string;
  readonly driverCode?: string;

  constructor(fields: StorageErrorFields, options?: { cause?: unknown }) {
    super(fields.code, `${fields.file ?? 'the in-memory store'} ${fields.problem}`, options);
    this.name = 'StorageError';
    this.operation = fields.operation;
    this.problem = fields.problem;
    this.file = fields.file;
    this.driverCode = fields.driverCode;
  }

  override toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { code: this.code, message: this.message, operation: this.operation };
    if (this.file !== undefined) out['file'] = this.file;
    if (this.driverCode !== undefined) out['driverCode'] = this.driverCode;
    return out;
  }
}

/** True for a StorageError (optionally with the given code). */
export function isStorageError(e: unknown, code?: StorageErrorCode): e is StorageError {
  return e instanceof StorageError && (code === undefined || e.code === code);
}
