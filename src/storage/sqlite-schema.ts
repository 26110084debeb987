/** The SQLite file format: schema, format marker, creating a file atomically, and telling a foreign or damaged file apart. */
import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type DatabaseModule from 'better-sqlite3';
import type { Database as DatabaseType } from 'better-sqlite3';
import { StorageError, type StorageOperation } from './errors.js';

/**
 * Opens a better-sqlite3 connection. The native addon loads on the first call, not at import:
 * a run that keeps nothing durable never loads it.
 */
export function openDatabase(file: string, options?: DatabaseModule.Options): DatabaseType {
  const Database = createRequire(import.meta.url)('better-sqlite3') as typeof DatabaseModule;
  return new Database(file, options);
}

/** `meta.format` of every Sanctum data file. */
export const FORMAT = 'sanctum-storage';
/**
 * The newest format version this build writes and reads. Version 2 added spell timers (the `timers`
 * table) and state expiry (`state.expires_at`); a version-1 file is upgraded when opened for writing.
 */
export const FORMAT_VERSION = 2;
/** SQLite header field `application_id` ('SNCT'): tells our files apart before any table is read. */
export const APPLICATION_ID = 0x534e4354;

/*
 * Why these tables:
 * - events: WITHOUT ROWID on (stream, seq), so an append writes one B-tree, and reading a stream
 *   from a seq is one range scan in key order (measured ~1.3–2× the rowid table's append and
 *   page-read rates, same size).
 * - streams: the last seq (and last ts) of every stream, so seqs stay contiguous and are never
 *   reused after retention empties a stream, and `ts` never decreases along a stream. first_seq
 *   is kept too: retention deletes only oldest events, so a stream always holds first..last.
 * - state: (ns, key) WITHOUT ROWID: key order is BINARY = UTF-8 byte order, and a prefix is a range.
 * - value indexes: SQLite expression indexes, one per (ns, field), partial on that ns:
 *     CREATE INDEX state_ix_<hash> ON state(ns, json_extract(json, '$."field"'), key) WHERE ns = '<ns>'
 *   SQLite keeps them up to date itself inside the same transaction. Measured against a separate
 *   index table maintained from JS (200k upserts of ~150 B values, 1000 per transaction, and
 *   ~180-row range queries): upserts 120–155 k/s vs 41 k/s, queries 3.5 k/s vs 1.6 k/s. `ns` leads the
 *   index because the planner then matches `ns = '<ns>' AND expr > ?` to it (without the column,
 *   it preferred the primary key and sorted). json_extract gives booleans as 1/0 and objects as
 *   JSON text, so queries also filter on json_type: only numbers and strings match.
 * - state_indexes: which (ns, field) pairs have an index, and its name.
 * - offsets: the committed input seq of each (consumer, stream).
 * - state.expires_at: the instant a value's time to live ends (NULL: none), with a partial index
 *   (ns, expires_at, key) over the rows that have one, so a sweep finds the expired keys in
 *   O(log n + k) and rows without a TTL cost nothing there.
 * - timers: (ns, key) → due_at, WITHOUT ROWID on (ns, key) for set/cancel by key, and an index on
 *   (ns, due_at, key): the next due timer and the due ones in order are a seek, O(log n).
 */
const TIMERS_SCHEMA = `
CREATE TABLE timers (
  ns TEXT NOT NULL,
  key TEXT NOT NULL,
  due_at INTEGER NOT NULL,
  PRIMARY KEY (ns, key)
) WITHOUT ROWID;
CREATE INDEX timers_due ON timers (ns, due_at, key);
`;

/** From version 1 to 2: state expiry and timers. Runs in one transaction with the version bump. */
const UPGRADE_1_TO_2 = `
ALTER TABLE state ADD COLUMN expires_at INTEGER;
CREATE INDEX state_expiry ON state (ns, expires_at, key) WHERE expires_at IS NOT NULL;
${TIMERS_SCHEMA}`;

const SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE streams (
  name TEXT PRIMARY KEY,
  first_seq INTEGER NOT NULL,
  last_seq INTEGER NOT NULL,
  last_ts INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE events (
  stream TEXT NOT NULL,
  seq INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  key TEXT,
  json TEXT NOT NULL,
  PRIMARY KEY (stream, seq)
) WITHOUT ROWID;
CREATE TABLE state (
  ns TEXT NOT NULL,
  key TEXT NOT NULL,
  json TEXT NOT NULL,
  expires_at INTEGER,
  PRIMARY KEY (ns, key)
) WITHOUT ROWID;
CREATE INDEX state_expiry ON state (ns, expires_at, key) WHERE expires_at IS NOT NULL;
CREATE TABLE state_indexes (
  ns TEXT NOT NULL,
  field TEXT NOT NULL,
  name TEXT NOT NULL UNIQUE,
  PRIMARY KEY (ns, field)
) WITHOUT ROWID;
CREATE TABLE offsets (
  consumer TEXT NOT NULL,
  stream TEXT NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (consumer, stream)
) WITHOUT ROWID;
${TIMERS_SCHEMA}`;

const TABLES = ['meta', 'streams', 'events', 'state', 'state_indexes', 'offsets'];
/** Tables added by a format version, beyond those of version 1. */
const TABLES_SINCE: Readonly<Record<number, readonly string[]>> = { 2: ['timers'] };

export type Synchronous = 'FULL' | 'NORMAL';

/**
 * Creates a new data file at `file` atomically: the schema is written to a temporary file that is
 * then hard-linked into place. So `file` never exists without its schema, and an empty or
 * schema-less file there is damage, never "a new store". Two processes racing both succeed: the
 * first link wins and the other uses it.
 */
export function createDataFile(file: string): void {
  const tmp = `${file}.init-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const db = openDatabase(tmp);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma(`user_version = ${FORMAT_VERSION}`);
      db.transaction(() => {
        db.exec(SCHEMA);
        const put = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
        put.run('format', FORMAT);
        put.run('version', String(FORMAT_VERSION));
        put.run('created', new Date().toISOString());
      }).immediate();
    } finally {
      db.close(); // checkpoints and removes the -wal: the file is complete on its own
    }
    try {
      fs.linkSync(tmp, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    fsyncDir(path.dirname(file));
  } catch (e) {
    throw classify(e, file, 'open', 'could not be created');
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some file systems cannot fsync a directory; the link is then as durable as they make it.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Sets up a connection and checks that the file is a Sanctum data file this build can read.
 * `synchronous` is set on this connection explicitly: a later connection to a WAL file does not
 * inherit the setting of the one that created it (it falls back to NORMAL).
 */
export function prepareConnection(
  db: DatabaseType,
  file: string,
  options: { synchronous: Synchronous; busyTimeoutMs: number; verify: 'quick' | 'none'; readonly?: boolean },
): number {
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs))}`);
  let version = checkFormat(db, file); // before anything writes: never touch a foreign file
  if (!options.readonly && String(db.pragma('journal_mode', { simple: true })).toLowerCase() !== 'wal') db.pragma('journal_mode = WAL');
  if (!options.readonly && version < FORMAT_VERSION) version = upgrade(db, file);
  db.pragma(`synchronous = ${options.synchronous}`);
  const sync = Number(db.pragma('synchronous', { simple: true }));
  const want = options.synchronous === 'FULL' ? 2 : 1;
  if (sync !== want) {
    throw new StorageError({
      code: 'STORAGE_FAILED',
      operation: 'open',
      file,
      problem: `could not be set to synchronous=${options.synchronous} (SQLite reports ${sync})`,
    });
  }
  if (options.verify === 'quick') {
    const rows = db.pragma('quick_check(5)') as { quick_check: string }[];
    const problems = rows.map((r) => r.quick_check).filter((r) => r !== 'ok');
    if (problems.length > 0) {
      throw new StorageError({ code: 'STORAGE_CORRUPT', operation: 'open', file, problem: `is damaged: SQLite's quick_check found ${problems.join('; ')}` });
    }
  }
  return version;
}

/**
 * Upgrades a file of an older format version to this one, in one transaction (a crash leaves the
 * old version whole); another process upgrading at the same time finds it done. Returns the version.
 */
function upgrade(db: DatabaseType, file: string): number {
  try {
    return db
      .transaction((): number => {
        const version = Number(db.prepare("SELECT value FROM meta WHERE key = 'version'").pluck().get());
        if (version >= FORMAT_VERSION) return version;
        if (version === 1) db.exec(UPGRADE_1_TO_2);
        db.prepare("UPDATE meta SET value = ? WHERE key = 'version'").run(String(FORMAT_VERSION));
        db.pragma(`user_version = ${FORMAT_VERSION}`);
        return FORMAT_VERSION;
      })
      .immediate();
  } catch (e) {
    throw classify(e, file, 'open', `could not be upgraded to format version ${FORMAT_VERSION}`);
  }
}

/** Checks that the file is a Sanctum data file this build reads; returns its format version. */
function checkFormat(db: DatabaseType, file: string): number {
  const tables = new Set(db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all() as string[]);
  const foreign = (problem: string): StorageError => new StorageError({ code: 'STORAGE_FOREIGN', operation: 'open', file, problem });
  const corrupt = (problem: string): StorageError => new StorageError({ code: 'STORAGE_CORRUPT', operation: 'open', file, problem });
  const appId = Number(db.pragma('application_id', { simple: true }));
  if (tables.size === 0) {
    // We create files with their schema in place (createDataFile), so this is damage, not a new store.
    throw corrupt(
      'is an empty SQLite database with no Sanctum tables: it was truncated or overwritten (a new store is never empty); move it away to start afresh',
    );
  }
  if (!tables.has('meta')) throw foreign('is a SQLite database but not a Sanctum data file (it has no meta table)');
  let meta: Map<string, string>;
  try {
    meta = new Map((db.prepare('SELECT key, value FROM meta').raw().all() as [string, string][]).map(([k, v]) => [k, v]));
  } catch (e) {
    throw classify(e, file, 'open', 'has a meta table that cannot be read');
  }
  const format = meta.get('format');
  if (format !== FORMAT)
    throw foreign(`is not a Sanctum data file (its meta format is ${format === undefined ? 'missing' : JSON.stringify(format)}, expected "${FORMAT}")`);
  const version = Number(meta.get('version'));
  if (!Number.isInteger(version) || version < 1) throw corrupt(`has an unreadable format version ${JSON.stringify(meta.get('version'))}`);
  if (version > FORMAT_VERSION) throw foreign(`was written by a newer Sanctum (format version ${version}; this one reads up to ${FORMAT_VERSION})`);
  if (appId !== APPLICATION_ID) {
    throw corrupt(`has a damaged header: its application id is 0x${appId.toString(16)}, a Sanctum data file has 0x${APPLICATION_ID.toString(16)}`);
  }
  const expected = [...TABLES, ...Object.entries(TABLES_SINCE).flatMap(([v, t]) => (Number(v) <= version ? t : []))];
  const missing = expected.filter((t) => !tables.has(t));
  if (missing.length > 0) throw corrupt(`lacks the table${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  return version;
}

/** SQLite result codes that mean the file or the disk failed: the store must not be written again before a reopen. */
export function isFatalDriverCode(code: string | undefined): boolean {
  return code !== undefined && /^SQLITE_(IOERR|CORRUPT|NOTADB|FULL|CANTOPEN|READONLY)/.test(code);
}

/** Wraps any error in a StorageError naming the file, with a problem phrase chosen from the SQLite code. */
export function classify(e: unknown, file: string, operation: StorageOperation, doing: string): StorageError {
  if (e instanceof StorageError) return e;
  const code = typeof (e as { code?: unknown })?.code === 'string' ? (e as { code: string }).code : undefined;
  const message = e instanceof Error ? e.message : String(e);
  const make = (c: StorageError['code'], problem: string): StorageError =>
    new StorageError({ code: c, operation, file, problem, driverCode: code }, { cause: e });
  if (code === 'SQLITE_NOTADB') return make('STORAGE_FOREIGN', `is not a Sanctum data file (${message})`);
  if (code?.startsWith('SQLITE_CORRUPT')) return make('STORAGE_CORRUPT', `is damaged (${message}); restore it from a backup`);
  if (code?.startsWith('SQLITE_BUSY') || code?.startsWith('SQLITE_LOCKED'))
    return make('STORAGE_FAILED', `${doing}: it stayed locked by another connection (${message})`);
  if (code === 'SQLITE_FULL') return make('STORAGE_FAILED', `${doing}: the disk is full (${message})`);
  if (code?.startsWith('SQLITE_IOERR')) return make('STORAGE_FAILED', `${doing}: disk I/O error (${code}: ${message})`);
  if (code?.startsWith('SQLITE_CANTOPEN')) return make('STORAGE_FAILED', `${doing}: it cannot be opened (${message})`);
  if (code?.startsWith('SQLITE_READONLY')) return make('STORAGE_FAILED', `${doing}: it is read-only (${message})`);
  return make('STORAGE_FAILED', `${doing} (${message})`);
}

/** Name of the value index on (ns, field): stable, and safe to spell in SQL whatever the names hold. */
export function indexName(ns: string, field: string): string {
  return `state_ix_${createHash('sha256').update(ns).update('\0').update(field).digest('hex').slice(0, 20)}`;
}

/** A string as an SQL literal. Names are checked to hold no NUL. */
export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** The indexed expression for a top-level field. Fields are identifiers (checked), so quoting is safe. */
export function fieldExpr(field: string): string {
  return `json_extract(json, '$."${field}"')`;
}
