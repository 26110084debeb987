/** Durable storage adapters: SQLite (one file) and memory, behind the interfaces of `core/storage`. */
export { openSqliteStorage, DATA_FILE } from './sqlite.js';
export type { SqliteStorage, SqliteStorageOptions } from './sqlite.js';
export { openMemoryStorage } from './memory.js';
export type { MemoryStorageOptions } from './memory.js';
export { StateBuffer } from './state-buffer.js';
export { TimerBuffer } from './timer-buffer.js';
export { StorageError, isStorageError } from './errors.js';
export type { StorageErrorCode, StorageErrorFields, StorageOperation } from './errors.js';
export { FORMAT, FORMAT_VERSION } from './sqlite-schema.js';
export type { Synchronous } from './sqlite-schema.js';
export type {
  AppendItem,
  AppendResult,
  CommitBatch,
  CommitKind,
  CommitResult,
  ConsumerPosition,
  EventLog,
  IndexValue,
  NamespaceInfo,
  OffsetEntry,
  Offsets,
  QueryOptions,
  RangeOptions,
  RetentionPolicy,
  StateChange,
  StateEntry,
  StateStore,
  Storage,
  StorageFaults,
  StoredEvent,
  StreamAppend,
  StreamInfo,
  TailOptions,
  TimerChange,
  TimerEntry,
  TimerStore,
} from '../core/storage.js';
export { storageLogPort } from './log-port.js';
export type { StorageLogPortOptions } from './log-port.js';
