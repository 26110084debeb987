/** The SQLite adapter: event log, spell state and offsets in one file, `<dataDir>/sanctum.db`, through better-sqlite3. */
import fs from 'node:fs';
import path from 'node:path';
import type { Database as DatabaseType, Statement as StatementType, Transaction as TransactionType } from 'better-sqlite3';
import type { EventValue } from '../core/event.js';
import type {
  AppendItem,
  AppendResult,
  CommitBatch,
  CommitOptions,
  CommitResult,
  EventLog,
  NamespaceInfo,
  OffsetEntry,
  Offsets,
  QueryOptions,
  RangeOptions,
  RetentionPolicy,
  StateEntry,
  StateStore,
  Storage,
  StoredEvent,
  StoredJson,
  StreamInfo,
  TailOptions,
  TimerEntry,
  TimerStore,
} from '../core/storage.js';
import { StorageError, isStorageError, type StorageOperation } from './errors.js';
import { GroupCommit, type PendingAppend } from './internal/group-commit.js';
import { MAIN_AUTOCHECKPOINT_PAGES, startCheckpointer, type Checkpointer } from './internal/checkpointer.js';
import { compareKeys, keyInterval } from './internal/keys.js';
import { Notifier, peerGroup, tailStream } from './internal/tail.js';
import {
  checkAsOf,
  checkClearState,
  checkCount,
  checkField,
  checkInstant,
  checkKey,
  checkLimit,
  checkName,
  checkPositions,
  checkQuery,
  checkRetention,
  checkTimers,
  conflict,
  encodeItems,
  encodeValue,
  type EncodedItem,
  type QueryBounds,
} from './internal/validate.js';
import {
  openDatabase,
  classify,
  createDataFile,
  fieldExpr,
  indexName,
  isFatalDriverCode,
  prepareConnection,
  sqlString,
  type Synchronous,
} from './sqlite-schema.js';

/** Rows per multi-row INSERT of events (5 parameters each, far below SQLite's limit of 32766). */
const INSERT_CHUNK = 64;

/** How long after its first write a store starts its checkpoint worker. */
const CHECKPOINT_WORKER_AFTER_MS = 1000;

/** The file name inside the data directory. */
export const DATA_FILE = 'sanctum.db';

// SQLite reads a WAL-mode file in a directory it cannot write only when opened `immutable` (a URI
// parameter: the -shm file it would need cannot be created), and better-sqlite3 takes URI file
// names only when SQLITE_USE_URI=1 is set before its addon loads, at the first `new Database`.
// Every other file name we open is an absolute path, never `file:…`, so this changes nothing else.
process.env['SQLITE_USE_URI'] ??= '1';

export interface SqliteStorageOptions {
  /** The data directory; created when missing. The file is `<dir>/sanctum.db`. */
  readonly dir: string;
  /**
   * `FULL` (default): a commit is fsynced before it returns, so it survives power loss.
   * `NORMAL`: survives a crash of the process but may lose the last commits on power loss;
   * several times faster for small commits. Set on every connection this adapter opens.
   */
  readonly synchronous?: Synchronous;
  /** How long to wait for another connection's write lock, in ms (default 5000). */
  readonly busyTimeoutMs?: number;
  /**
   * `quick` (default): run SQLite's quick_check when opening, so a damaged file fails loudly at
   * once rather than at the first read of a bad page (about 1 ms per MB when cached).
   * `none`: skip it, for very large files.
   */
  readonly verify?: 'quick' | 'none';
  /** Create the file when it does not exist (default true). False: a missing file is an error. */
  readonly create?: boolean;
  /**
   * Open for reading only (default false): creates no directory and no data file (a missing one is
   * a `STORAGE_FAILED` "does not exist"; beside an existing one SQLite may create the -wal and -shm
   * files every connection shares), takes no write lock, and every write throws `STORAGE_FAILED`
   * saying the store is read-only. Reads a data directory this process cannot write, too (a
   * read-only mount, another user's files) — when no `-wal` file there holds commits not yet copied
   * into the data file; one that does is refused with a message saying so.
   */
  readonly readonly?: boolean;
  /**
   * Who copies the WAL into the data file: `worker` (default) a worker thread with its own
   * connection, so that no commit waits for a checkpoint; `inline` SQLite's automatic checkpoint, in
   * the commit that crosses 1000 pages. Read-only stores never checkpoint.
   */
  readonly checkpoint?: 'worker' | 'inline';
  /** Flush queued appends at once when this many events wait (default 4096). */
  readonly groupCommitMaxEvents?: number;
  /** The clock for event timestamps and age retention (default `Date.now`). */
  readonly now?: () => number;
}

/** The SQLite store: a {@link Storage} with its file and a way to see query plans. */
export interface SqliteStorage extends Storage {
  readonly path: string;
  readonly synchronous: Synchronous;
  /** Opened with `readonly: true`: every write throws. */
  readonly readonly: boolean;
  commitBatches(batches: readonly CommitBatch[], options?: CommitOptions): (CommitResult | Error)[];
  synced(): Promise<void>;
  /** The plan SQLite chooses for `state.query(ns, options)`, one line per step (EXPLAIN QUERY PLAN). */
  explainQuery(ns: string, options: QueryOptions): string[];
  /** Raw access for tools and tests. Writing through it bypasses every guarantee here. */
  readonly db: DatabaseType;
}

/**
 * Opens (creating when missing) the SQLite data file in `dir`. Throws a `StorageError` naming the
 * file when it is not a Sanctum data file (`STORAGE_FOREIGN`), is damaged (`STORAGE_CORRUPT`) or
 * cannot be opened (`STORAGE_FAILED`).
 *
 * @example
 * const storage = openSqliteStorage({ dir: '.sanctum', synchronous: 'FULL' });
 * await storage.log.append('orders', [{ event: { id: 1 } }]);
 * storage.close();
 */
export function openSqliteStorage(options: SqliteStorageOptions): SqliteStorage {
  return new SqliteStore(options);
}

interface Head {
  first: number;
  last: number;
  lastTs: number;
  readonly existed: boolean;
  touched: boolean;
}

type Stmt = StatementType<unknown[], unknown>;

/** A batch checked and encoded, ready to apply. */
interface CheckedBatch {
  readonly positions: ReturnType<typeof checkPositions>;
  readonly cleared: ReturnType<typeof checkClearState>;
  readonly changes: readonly { ns: string; key: string; json: string | null; expiresAt: number | null }[];
  readonly timers: ReturnType<typeof checkTimers>;
  readonly appends: readonly { stream: string; items: EncodedItem[] }[];
}

class SqliteStore implements SqliteStorage {
  readonly path: string;
  readonly synchronous: Synchronous;
  readonly readonly: boolean;
  readonly db: DatabaseType;
  readonly log: EventLog;
  readonly state: StateStore;
  readonly timers: TimerStore;
  readonly offsets: Offsets;

  private readonly now: () => number;
  /** False for a version-1 file opened read-only (not upgraded): it has no timers and no expiries. */
  private readonly timed: boolean;
  private readonly notifier = new Notifier();
  private readonly peers: { notify: (streams: Iterable<string>) => void; leave: () => void };
  private readonly groupCommit: GroupCommit;
  private readonly tx: TransactionType<(fn: () => unknown) => unknown>;
  private readonly s: ReturnType<typeof prepareStatements>;
  /** `syncLater` commits: the -wal file (opened at the first sync, closed after the database) and the syncs in flight. */
  private walFd: number | undefined;
  private unsynced = false;
  private syncing: Promise<void> | undefined;
  private syncAgain: Promise<void> | undefined;
  private atNormal: StatementType | undefined;
  private atFull: StatementType | undefined;
  private readonly shaped = new Map<string, Stmt>();
  /** The parameters of one multi-row insert of events without keys (stream, first seq, ts, a text a row), reused. */
  private readonly leanArgs: unknown[] = new Array(3 + INSERT_CHUNK).fill(null);
  /** The same for a chunk with keys: a key and a text a row. */
  private readonly keyedArgs: unknown[] = new Array(3 + INSERT_CHUNK * 2).fill(null);
  private readonly stateArgs: unknown[] = new Array(INSERT_CHUNK * 4).fill(null);
  private closed = false;
  private failure: StorageError | undefined;
  /** Checkpoints go to a worker thread, started a while after the first write (see `wrote`). */
  private readonly checkpointWorker: boolean;
  private checkpointer: Checkpointer | undefined;
  private checkpointStart: NodeJS.Timeout | undefined;

  constructor(options: SqliteStorageOptions) {
    if (options === null || typeof options !== 'object' || typeof options.dir !== 'string' || options.dir === '') {
      throw new StorageError({ code: 'STORAGE_INVALID', operation: 'open', problem: 'was opened without a data directory: give { dir }' });
    }
    this.path = path.resolve(options.dir, DATA_FILE);
    this.synchronous = options.synchronous ?? 'FULL';
    if (this.synchronous !== 'FULL' && this.synchronous !== 'NORMAL') {
      throw new StorageError({
        code: 'STORAGE_INVALID',
        operation: 'open',
        file: this.path,
        problem: `was asked for synchronous=${String(this.synchronous)}; use 'FULL' or 'NORMAL'`,
      });
    }
    const verify = options.verify ?? 'quick';
    if (verify !== 'quick' && verify !== 'none') {
      throw new StorageError({
        code: 'STORAGE_INVALID',
        operation: 'open',
        file: this.path,
        problem: `was asked to verify '${String(verify)}'; use 'quick' or 'none'`,
      });
    }
    this.now = options.now ?? Date.now;
    this.readonly = options.readonly === true;
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;

    if (this.readonly) {
      if (!fs.existsSync(this.path)) throw new StorageError({ code: 'STORAGE_FAILED', operation: 'open', file: this.path, problem: 'does not exist' });
    } else {
      try {
        fs.mkdirSync(path.dirname(this.path), { recursive: true });
      } catch (e) {
        throw readOnlyError(e, this.path) ?? classify(e, this.path, 'open', 'could not be opened: its directory cannot be created');
      }
      checkCanWrite(this.path);
      if (!fs.existsSync(this.path)) {
        if (options.create === false) throw new StorageError({ code: 'STORAGE_FAILED', operation: 'open', file: this.path, problem: 'does not exist' });
        createDataFile(this.path);
      }
    }
    let db: DatabaseType | undefined;
    try {
      db = this.readonly ? openReadOnly(this.path, busyTimeoutMs) : openDatabase(this.path, { fileMustExist: true, timeout: busyTimeoutMs });
      const version = prepareConnection(db, this.path, { synchronous: this.synchronous, busyTimeoutMs, verify, readonly: this.readonly });
      this.timed = version >= 2;
      this.s = prepareStatements(db, this.timed);
    } catch (e) {
      try {
        db?.close();
      } catch {
        // already failing: the first error is the one to report
      }
      throw classify(e, this.path, 'open', 'could not be opened');
    }
    this.db = db;
    // Savepoints (each batch of a group commit) and multi-row statements keep the pages they change
    // in a sub-journal, to undo them alone: in memory, that is a few pages a batch; in a temporary
    // file, it was three writes of a page for every page the commit wrote.
    if (!this.readonly) db.pragma('temp_store = MEMORY');
    this.checkpointWorker = !this.readonly && options.checkpoint !== 'inline';
    this.tx = db.transaction((fn: () => unknown) => fn());
    this.peers = peerGroup(this.path, this.notifier);
    this.groupCommit = new GroupCommit((batch) => this.commitAppends(batch), Math.max(1, options.groupCommitMaxEvents ?? 4096));

    this.log = {
      append: (stream, items) => this.append(stream, items),
      read: (stream, fromSeq, limit) => this.read(stream, fromSeq, limit),
      readJson: (stream, fromSeq, limit) => this.readJson(stream, fromSeq, limit),
      lastSeq: (stream) => this.lastSeq(stream),
      streams: () => this.streams(),
      tail: (stream, fromSeq, opts) => this.tail(stream, fromSeq, opts),
      retain: (stream, policy) => this.retain(stream, policy),
      wait: (stream, afterSeq, opts) => this.wait(stream, afterSeq, opts),
    };
    this.state = {
      get: (ns, key, asOf) => this.stateGet(ns, key, asOf),
      range: (ns, opts) => this.stateRange(ns, opts),
      query: (ns, opts) => this.stateQuery(ns, opts),
      ensureIndex: (ns, field) => this.ensureIndex(ns, field),
      indexes: (ns) => this.indexes(ns),
      count: (ns, opts) => this.stateCount(ns, opts),
      namespaces: () => this.namespaces(),
      put: (ns, key, value) => this.statePut(ns, key, value),
      delete: (ns, key) => this.stateDelete(ns, key),
      expired: (ns, asOf, limit) => this.stateExpired(ns, asOf, limit),
    };
    this.timers = {
      get: (ns, key) => this.timerGet(ns, key),
      next: (ns) => this.timerNext(ns),
      due: (ns, at, limit) => this.timerDue(ns, at, limit),
      count: (ns) => this.timerCount(ns),
    };
    this.offsets = {
      get: (consumer, stream) => this.offsetGet(consumer, stream),
      list: (consumer) => this.offsetList(consumer),
    };
  }

  // ---- guards and the one write path ----

  private checkOpen(operation: StorageOperation): void {
    if (this.closed) throw new StorageError({ code: 'STORAGE_CLOSED', operation, file: this.path, problem: 'is closed; open it again to use it' });
  }

  private checkWritable(operation: StorageOperation): void {
    this.checkOpen(operation);
    if (this.readonly) {
      throw new StorageError({
        code: 'STORAGE_FAILED',
        operation,
        file: this.path,
        problem: `is open read-only: it takes no writes (${operation}); open it for writing, with write access to its directory`,
      });
    }
    if (this.failure !== undefined) {
      throw new StorageError(
        {
          code: 'STORAGE_FAILED',
          operation,
          file: this.path,
          problem: `takes no more writes after an earlier failure (${this.failure.problem}); close and reopen it to recover from the last committed state`,
          driverCode: this.failure.driverCode,
        },
        { cause: this.failure },
      );
    }
  }

  /**
   * Runs `fn` in one IMMEDIATE transaction (the write lock is taken up front, so a reader never
   * has to upgrade and deadlock), then commits. Any failure rolls everything back and becomes a
   * StorageError; a disk or file failure also stops the store taking writes (after a failed fsync
   * the file's state is unknown: recover by reopening, never by retrying — PostgreSQL's fsyncgate).
   */
  private write<T>(operation: StorageOperation, doing: string, fn: () => T): T {
    this.checkWritable(operation);
    if (this.checkpointWorker && this.checkpointer === undefined && this.checkpointStart === undefined) this.startCheckpointsSoon();
    try {
      return this.tx.immediate(fn) as T;
    } catch (e) {
      const error = classify(e, this.path, operation, doing);
      if (isFatalDriverCode(error.driverCode)) this.fail(error);
      throw error;
    }
  }

  /**
   * A store that keeps writing gets its checkpoint worker a second after its first write: a store
   * opened for a few writes (a tool, `sanctum append` of a line, a test) never pays for a thread,
   * and until then SQLite checkpoints as usual.
   */
  private startCheckpointsSoon(): void {
    this.checkpointStart = setTimeout(() => {
      if (this.closed || this.failure !== undefined) return;
      this.db.pragma(`wal_autocheckpoint = ${MAIN_AUTOCHECKPOINT_PAGES}`);
      this.checkpointer = startCheckpointer(this.path, this.synchronous);
    }, CHECKPOINT_WORKER_AFTER_MS);
    this.checkpointStart.unref();
  }

  private fail(error: StorageError): void {
    this.failure ??= error;
    this.groupCommit.failAll(error);
    // A failed sync leaves its commits in the -wal, unacknowledged: nothing copies them on.
    this.checkpointer?.close();
    this.checkpointer = undefined;
  }

  private readGuard<T>(operation: StorageOperation, doing: string, fn: () => T): T {
    this.checkOpen(operation);
    try {
      return fn();
    } catch (e) {
      throw classify(e, this.path, operation, doing);
    }
  }

  // ---- event log ----

  private append(stream: string, items: readonly AppendItem[]): Promise<AppendResult> {
    let encoded: EncodedItem[];
    try {
      this.checkWritable('append');
      checkName('stream', stream, 'append', this.path);
      encoded = encodeItems(items, 'append', this.path);
    } catch (e) {
      return Promise.reject(e);
    }
    if (encoded.length === 0) {
      try {
        const last = this.lastSeq(stream);
        return Promise.resolve({ first: last + 1, last });
      } catch (e) {
        return Promise.reject(e);
      }
    }
    return this.groupCommit.enqueue(stream, encoded);
  }

  private commitAppends(batch: readonly PendingAppend[]): AppendResult[] {
    const heads = new Map<string, Head>();
    const results = this.write('append', `could not commit ${batch.length} append${batch.length === 1 ? '' : 's'}`, () => {
      const out = batch.map((p) => this.appendRows(heads, p.stream, p.items));
      this.saveHeads(heads);
      return out;
    });
    this.peers.notify(heads.keys());
    return results;
  }

  private loadHead(heads: Map<string, Head>, stream: string): Head {
    let head = heads.get(stream);
    if (head === undefined) {
      const row = this.s.streamHead.get(stream) as [number, number, number] | undefined;
      head =
        row === undefined
          ? { first: 1, last: 0, lastTs: 0, existed: false, touched: false }
          : { first: row[0], last: row[1], lastTs: row[2], existed: true, touched: false };
      heads.set(stream, head);
    }
    return head;
  }

  private appendRows(heads: Map<string, Head>, stream: string, items: readonly EncodedItem[]): AppendResult {
    const head = this.loadHead(heads, stream);
    const first = head.last + 1;
    if (items.length === 0) return { first, last: head.last };
    const ts = Math.max(Math.floor(this.now()), head.lastTs); // ts never decreases along a stream
    // Rows go INSERT_CHUNK at a time through one multi-row statement: a statement run costs about as
    // much as binding a whole row, so this halves the CPU of an append (measured: 645 → 272 ms for
    // 200k rows of ~50 B); the tail goes row by row. The stream, the first seq and the ts are bound
    // once per statement (a row's seq is the first plus its place), so a row binds only its text, and
    // its key when the chunk has keys: about 15% less CPU per row than binding all five.
    const keyless = this.leanArgs;
    const keyed = this.keyedArgs;
    let seq = head.last;
    let i = 0;
    for (; i + INSERT_CHUNK <= items.length; i += INSERT_CHUNK) {
      let hasKeys = false;
      for (let k = 0; k < INSERT_CHUNK; k++) {
        if (items[i + k]!.key !== null) {
          hasKeys = true;
          break;
        }
      }
      const args = hasKeys ? keyed : keyless;
      args[0] = stream;
      args[1] = seq + 1;
      args[2] = ts;
      if (hasKeys) {
        for (let k = 0, a = 3; k < INSERT_CHUNK; k++, a += 2) {
          const item = items[i + k]!;
          args[a] = item.key;
          args[a + 1] = item.json;
        }
        this.s.insertKeyedEvents.run(args);
      } else {
        for (let k = 0; k < INSERT_CHUNK; k++) args[k + 3] = items[i + k]!.json;
        this.s.insertEvents.run(args);
      }
      seq += INSERT_CHUNK;
    }
    for (; i < items.length; i++) {
      const item = items[i]!;
      this.s.insertEvent.run(stream, ++seq, ts, item.key, item.json);
    }
    // Hold no event text between appends.
    keyless.fill(null);
    keyed.fill(null);
    head.last = seq;
    head.lastTs = ts;
    head.touched = true;
    return { first, last: seq };
  }

  private saveHeads(heads: Map<string, Head>): void {
    for (const [stream, h] of heads) if (h.touched) this.s.upsertHead.run(stream, h.first, h.last, h.lastTs);
  }

  private read(stream: string, fromSeq: number, limit: number): StoredEvent[] {
    checkName('stream', stream, 'read', this.path);
    checkCount('a sequence number', fromSeq, 'read', this.path);
    const n = checkLimit(limit, 'read', this.path);
    if (n === 0) return [];
    const rows = this.readGuard(
      'read',
      `could not read stream '${stream}'`,
      () => this.s.readEvents.all(stream, fromSeq, n) as [number, number, string | null, string][],
    );
    const out: StoredEvent[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const [seq, ts, key, json] = rows[i]!; // i < rows.length
      out[i] = { stream, seq, ts, key, event: this.parse(json, `event ${seq} of stream '${stream}'`) };
    }
    return out;
  }

  /**
   * The events' JSON text alone, one string a row (no row object, no parse: about half the cost of
   * `read`). The first seq and the rows are read in one read transaction, so a retention committed
   * by another connection in between cannot shift them apart.
   */
  private readJson(stream: string, fromSeq: number, limit: number): StoredJson {
    checkName('stream', stream, 'read', this.path);
    checkCount('a sequence number', fromSeq, 'read', this.path);
    const n = checkLimit(limit, 'read', this.path);
    if (n === 0) return { first: fromSeq, json: [] };
    return this.readGuard('read', `could not read stream '${stream}'`, () =>
      this.tx.deferred(() => {
        const first = this.s.firstSeqFrom.get(stream, fromSeq) as number | undefined;
        if (first === undefined) return { first: fromSeq, json: [] };
        return { first, json: this.s.readJson.all(stream, first, n) as string[] };
      }),
    ) as StoredJson;
  }

  private parse(json: string, what: string): EventValue {
    try {
      return JSON.parse(json) as EventValue;
    } catch (e) {
      throw new StorageError({ code: 'STORAGE_CORRUPT', operation: 'read', file: this.path, problem: `is damaged: ${what} is not valid JSON` }, { cause: e });
    }
  }

  private lastSeq(stream: string): number {
    checkName('stream', stream, 'read', this.path);
    return this.readGuard('read', `could not read stream '${stream}'`, () => (this.s.lastSeq.get(stream) as number | undefined) ?? 0);
  }

  private streams(): StreamInfo[] {
    const rows = this.readGuard('read', 'could not list streams', () => this.s.allStreams.all() as [string, number, number][]);
    return rows.map(([name, firstSeq, lastSeq]) => ({ name, firstSeq, lastSeq, count: lastSeq - firstSeq + 1 }));
  }

  private tail(stream: string, fromSeq: number, options: TailOptions = {}): AsyncIterable<StoredEvent> {
    checkName('stream', stream, 'read', this.path);
    checkCount('a sequence number', fromSeq, 'read', this.path);
    this.checkOpen('read');
    return tailStream(
      (from, limit) => this.read(stream, from, limit),
      (pollMs, signal) => this.notifier.wait(stream, pollMs, signal),
      () => this.closed,
      fromSeq,
      options,
    );
  }

  private wait(stream: string, afterSeq: number, options: { readonly pollMs?: number; readonly signal?: AbortSignal } = {}): Promise<void> {
    if (this.closed || this.lastSeq(stream) > afterSeq) return Promise.resolve();
    return this.notifier.wait(stream, options.pollMs ?? 100, options.signal);
  }

  private retain(stream: string, policy: RetentionPolicy): number {
    checkName('stream', stream, 'retain', this.path);
    const p = checkRetention(policy, this.path);
    return this.write('retain', `could not apply retention to stream '${stream}'`, () => {
      const row = this.s.streamHead.get(stream) as [number, number, number] | undefined;
      if (row === undefined) return 0;
      const [first, last] = row;
      let cut = first; // delete every seq < cut
      if (p.maxCount !== undefined) cut = Math.max(cut, last - p.maxCount + 1);
      if (p.maxAgeMs !== undefined) {
        // ts never decreases along a stream, so the old events are a prefix: find where it ends.
        const keep = this.s.firstYoungSeq.get(stream, first, this.now() - p.maxAgeMs) as number | undefined;
        cut = Math.max(cut, keep ?? last + 1);
      }
      if (cut <= first) return 0;
      const deleted = this.s.deleteBefore.run(stream, cut).changes;
      this.s.setFirst.run(cut, stream);
      return deleted;
    });
  }

  // ---- state ----

  private stateGet(ns: string, key: string, asOf?: number): EventValue | undefined {
    checkName('namespace', ns, 'read', this.path);
    checkKey(key, 'read', this.path);
    const at = checkAsOf(asOf, 'read', this.path);
    const json = this.readGuard(
      'read',
      `could not read state '${ns}'`,
      () => (at === undefined ? this.s.stateGet.get(ns, key) : this.s.stateGetAsOf.get(ns, key, at)) as string | undefined,
    );
    return json === undefined ? undefined : this.parse(json, `state key ${JSON.stringify(key)} of '${ns}'`);
  }

  private stateExpired(ns: string, asOf: number, limit: number): string[] {
    checkName('namespace', ns, 'read', this.path);
    const at = checkInstant('asOf', asOf, 'read', this.path);
    const n = checkLimit(limit, 'read', this.path);
    if (n === 0 || !this.timed) return [];
    return this.readGuard('read', `could not read the expiries of state '${ns}'`, () => this.s.stateExpired.all(ns, at, n) as string[]);
  }

  // ---- timers ----

  private timerGet(ns: string, key: string): number | undefined {
    checkName('namespace', ns, 'read', this.path);
    checkKey(key, 'read', this.path);
    if (!this.timed) return undefined;
    return this.readGuard('read', `could not read the timers of '${ns}'`, () => this.s.timerGet!.get(ns, key) as number | undefined);
  }

  private timerNext(ns: string): number | undefined {
    checkName('namespace', ns, 'read', this.path);
    if (!this.timed) return undefined;
    return this.readGuard('read', `could not read the timers of '${ns}'`, () => (this.s.timerNext!.get(ns) as number | null | undefined) ?? undefined);
  }

  private timerDue(ns: string, at: number, limit: number): TimerEntry[] {
    checkName('namespace', ns, 'read', this.path);
    const upTo = checkInstant('the instant', at, 'read', this.path);
    const n = checkLimit(limit, 'read', this.path);
    if (n === 0 || !this.timed) return [];
    const rows = this.readGuard('read', `could not read the timers of '${ns}'`, () => this.s.timerDue!.all(ns, upTo, n) as [string, number][]);
    const out: TimerEntry[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = { key: rows[i]![0], at: rows[i]![1] };
    return out;
  }

  private timerCount(ns: string): number {
    checkName('namespace', ns, 'read', this.path);
    if (!this.timed) return 0;
    return this.readGuard('read', `could not count the timers of '${ns}'`, () => this.s.timerCount!.get(ns) as number);
  }

  private stateRange(ns: string, options: RangeOptions = {}): StateEntry[] {
    checkName('namespace', ns, 'read', this.path);
    const { lower, upper, limit, reverse } = this.checkRange(options);
    const asOf = this.timed ? checkAsOf(options.asOf, 'read', this.path) : undefined;
    if (limit === 0 || (lower !== undefined && upper !== undefined && compareKeys(lower, upper) >= 0)) return [];
    const shape = `range:${lower !== undefined ? 'l' : ''}${upper !== undefined ? 'u' : ''}${reverse ? 'r' : ''}${asOf !== undefined ? 'x' : ''}`;
    const stmt = this.shapedStatement(
      shape,
      () =>
        `SELECT key, json FROM state WHERE ns = ?${lower !== undefined ? ' AND key >= ?' : ''}${upper !== undefined ? ' AND key < ?' : ''}${asOf !== undefined ? ` AND ${LIVE}` : ''} ORDER BY key${reverse ? ' DESC' : ''} LIMIT ?`,
    );
    const params: unknown[] = [ns];
    if (lower !== undefined) params.push(lower);
    if (upper !== undefined) params.push(upper);
    if (asOf !== undefined) params.push(asOf);
    params.push(limit);
    return this.entries(
      ns,
      this.readGuard('read', `could not read state '${ns}'`, () => stmt.all(...params) as [string, string][]),
    );
  }

  private checkRange(options: RangeOptions): { lower?: string; upper?: string; limit: number; reverse: boolean } {
    if (options === null || typeof options !== 'object')
      throw new StorageError({ code: 'STORAGE_INVALID', operation: 'read', file: this.path, problem: 'was given a range that is not an object' });
    if (options.from !== undefined) checkKey(options.from, 'read', this.path);
    if (options.to !== undefined) checkKey(options.to, 'read', this.path);
    if (options.prefix !== undefined) checkKey(options.prefix, 'read', this.path);
    return { ...keyInterval(options), limit: checkLimit(options.limit, 'read', this.path), reverse: options.reverse === true };
  }

  private entries(ns: string, rows: [string, string][]): StateEntry[] {
    const out: StateEntry[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const [key, json] = rows[i]!; // i < rows.length
      out[i] = { key, value: this.parse(json, `state key ${JSON.stringify(key)} of '${ns}'`) };
    }
    return out;
  }

  private shapedStatement(shape: string, sql: () => string): Stmt {
    let stmt = this.shaped.get(shape);
    if (stmt === undefined) {
      stmt = this.db.prepare(sql()).raw() as Stmt;
      this.shaped.set(shape, stmt);
    }
    return stmt;
  }

  /**
   * The SQL of a value query. `ns` is spelled as a literal so the planner can match the partial
   * index `WHERE ns = '<ns>'` when preparing (with `ns = ?` it would have to re-plan on every bind).
   * Open ends get type-wide bounds (numbers sort below all text, text below all blobs), so a
   * numeric `gt` never walks the strings of the index.
   */
  private querySql(ns: string, field: string, b: QueryBounds, reverse: boolean, asOf?: number): { sql: string; params: unknown[]; shape: string } {
    const ex = fieldExpr(field);
    const conds = [`ns = ${sqlString(ns)}`];
    const params: unknown[] = [];
    const bound = (op: string, v: unknown): void => {
      conds.push(`${ex} ${op} ?`);
      params.push(v);
    };
    // eq as `>= v AND <= v`: SQLite's planner skips an expression index for `expr = ?` here
    // (it prefers the primary key prefix and sorts) but uses it for the range.
    if (b.eq !== undefined) {
      bound('>=', b.eq);
      bound('<=', b.eq);
    }
    if (b.gt !== undefined) bound('>', b.gt);
    if (b.gte !== undefined) bound('>=', b.gte);
    if (b.lt !== undefined) bound('<', b.lt);
    if (b.lte !== undefined) bound('<=', b.lte);
    if (b.eq === undefined) {
      if (b.gt === undefined && b.gte === undefined) {
        if (b.type === 'string') conds.push(`${ex} >= ''`);
        else bound('>=', -Infinity);
      }
      if (b.lt === undefined && b.lte === undefined) conds.push(b.type === 'number' ? `${ex} < ''` : `${ex} < x''`);
    }
    const types = b.type === 'number' ? "('integer', 'real')" : b.type === 'string' ? "('text')" : "('integer', 'real', 'text')";
    conds.push(`json_type(json, '$."${field}"') IN ${types}`);
    if (asOf !== undefined) {
      conds.push(LIVE);
      params.push(asOf);
    }
    const dir = reverse ? ' DESC' : '';
    const sql = `SELECT key, json FROM state WHERE ${conds.join(' AND ')} ORDER BY ${ex}${dir}, key${dir} LIMIT ?`;
    const shape = `query:${ns}\0${field}\0${b.type}:${['eq', 'gt', 'gte', 'lt', 'lte'].filter((k) => b[k as keyof QueryBounds] !== undefined).join(',')}:${reverse ? 'r' : ''}${asOf !== undefined ? 'x' : ''}`;
    return { sql, params, shape };
  }

  private stateQuery(ns: string, options: QueryOptions): StateEntry[] {
    checkName('namespace', ns, 'read', this.path);
    const bounds = checkQuery(options, this.path);
    const limit = checkLimit(options.limit, 'read', this.path);
    const asOf = this.timed ? checkAsOf(options.asOf, 'read', this.path) : undefined;
    if (limit === 0) return [];
    const q = this.querySql(ns, options.index, bounds, options.reverse === true, asOf);
    const stmt = this.shapedStatement(q.shape, () => q.sql);
    return this.entries(
      ns,
      this.readGuard('read', `could not query state '${ns}'`, () => stmt.all(...q.params, limit) as [string, string][]),
    );
  }

  explainQuery(ns: string, options: QueryOptions): string[] {
    checkName('namespace', ns, 'read', this.path);
    const bounds = checkQuery(options, this.path);
    const q = this.querySql(ns, options.index, bounds, options.reverse === true);
    return this.readGuard('read', 'could not explain a query', () =>
      (this.db.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...q.params, -1) as { detail: string }[]).map((r) => r.detail),
    );
  }

  private ensureIndex(ns: string, field: string): void {
    checkName('namespace', ns, 'index', this.path);
    checkField(field, 'index', this.path);
    if (this.readGuard('index', 'could not read its indexes', () => this.s.indexNamed.get(ns, field)) !== undefined) return;
    const name = indexName(ns, field);
    this.write('index', `could not create the index on '${field}' of '${ns}'`, () => {
      this.db.exec(`CREATE INDEX IF NOT EXISTS ${name} ON state (ns, ${fieldExpr(field)}, key) WHERE ns = ${sqlString(ns)}`);
      this.s.indexAdd.run(ns, field, name);
    });
  }

  private indexes(ns: string): string[] {
    checkName('namespace', ns, 'read', this.path);
    return this.readGuard('read', 'could not read its indexes', () => this.s.indexesOf.all(ns) as string[]);
  }

  private stateCount(ns: string, options: { readonly prefix?: string } = {}): number {
    checkName('namespace', ns, 'read', this.path);
    const { lower, upper } = this.checkRange({ prefix: options?.prefix });
    const shape = `count:${lower !== undefined ? 'l' : ''}${upper !== undefined ? 'u' : ''}`;
    const stmt = this.shapedStatement(
      shape,
      () => `SELECT count(*) FROM state WHERE ns = ?${lower !== undefined ? ' AND key >= ?' : ''}${upper !== undefined ? ' AND key < ?' : ''}`,
    );
    const params: unknown[] = [ns];
    if (lower !== undefined) params.push(lower);
    if (upper !== undefined) params.push(upper);
    return this.readGuard('read', `could not count state '${ns}'`, () => (stmt.get(...params) as [number])[0]);
  }

  private namespaces(): NamespaceInfo[] {
    return this.readGuard('read', 'could not list state namespaces', () => {
      const byNs = new Map<string, { count: number; indexes: string[] }>();
      for (const [ns, count] of this.s.nsCounts.all() as [string, number][]) byNs.set(ns, { count, indexes: [] });
      for (const [ns, field] of this.s.allIndexes.all() as [string, string][]) {
        let info = byNs.get(ns);
        if (info === undefined) byNs.set(ns, (info = { count: 0, indexes: [] }));
        info.indexes.push(field);
      }
      return [...byNs].sort(([a], [b]) => compareKeys(a, b)).map(([ns, i]) => ({ ns, count: i.count, indexes: i.indexes }));
    });
  }

  private statePut(ns: string, key: string, value: EventValue): void {
    checkName('namespace', ns, 'put', this.path);
    checkKey(key, 'put', this.path);
    const json = encodeValue(value, 'put', this.path);
    this.write('put', `could not write state '${ns}'`, () => this.s.stateUpsert.run(ns, key, json));
  }

  private stateDelete(ns: string, key: string): boolean {
    checkName('namespace', ns, 'delete', this.path);
    checkKey(key, 'delete', this.path);
    return this.write('delete', `could not delete from state '${ns}'`, () => this.s.stateDelete.run(ns, key).changes > 0);
  }

  // ---- offsets ----

  private offsetGet(consumer: string, stream: string): number {
    checkName('consumer', consumer, 'read', this.path);
    checkName('stream', stream, 'read', this.path);
    return this.readGuard('read', 'could not read offsets', () => (this.s.offsetGet.get(consumer, stream) as number | undefined) ?? 0);
  }

  private offsetList(consumer?: string): OffsetEntry[] {
    if (consumer !== undefined) checkName('consumer', consumer, 'read', this.path);
    const rows = this.readGuard(
      'read',
      'could not read offsets',
      () => (consumer === undefined ? this.s.offsetsAll.all() : this.s.offsetsOf.all(consumer)) as [string, string, number][],
    );
    return rows.map(([c, stream, seq]) => ({ consumer: c, stream, seq }));
  }

  // ---- the exactly-once unit ----

  commitBatch(batch: CommitBatch): CommitResult {
    this.checkWritable('commit');
    const checked = this.checkBatch(batch);
    const touched = new Set<string>();
    const result = this.write('commit', 'could not commit the batch', () => this.applyBatch(checked, touched));
    this.peers.notify(touched);
    return result;
  }

  commitBatches(batches: readonly CommitBatch[], options?: CommitOptions): (CommitResult | Error)[] {
    if (options?.syncLater !== true || this.synchronous !== 'FULL') return this.commitNow(batches);
    // Written at NORMAL (SQLite does not sync the -wal at the commit), FULL again for every other
    // commit; `synced()` syncs the -wal from libuv's thread pool. A commit at FULL syncs it too.
    this.checkWritable('commit');
    this.atNormal ??= this.db.prepare('PRAGMA synchronous = NORMAL');
    this.atFull ??= this.db.prepare('PRAGMA synchronous = FULL');
    this.atNormal.run();
    try {
      return this.commitNow(batches);
    } finally {
      this.unsynced = true;
      this.backToFull();
    }
  }

  /** FULL again after a `syncLater` commit; a store that cannot be set back takes no more writes. */
  private backToFull(): void {
    try {
      this.atFull!.run();
    } catch (e) {
      this.fail(classify(e, this.path, 'commit', 'could not set synchronous back to FULL'));
    }
  }

  synced(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (!this.unsynced) return this.syncing ?? Promise.resolve();
    if (this.syncAgain !== undefined) return this.syncAgain;
    if (this.syncing === undefined) return this.startSync();
    // The sync in flight may have started before the commits since: one more after it, for all of them.
    this.syncAgain ??= this.syncing.then(() => {
      this.syncAgain = undefined;
      return this.startSync();
    });
    return this.syncAgain;
  }

  /** One fdatasync of the -wal file, covering every commit made before it starts. */
  private startSync(): Promise<void> {
    this.unsynced = false;
    if (this.closed) return this.failure === undefined ? Promise.resolve() : Promise.reject(this.failure); // close() synced it
    let fd: number;
    try {
      fd = this.wal();
    } catch (e) {
      return Promise.reject(this.syncFailed(e));
    }
    let done!: (e: NodeJS.ErrnoException | null) => void;
    const sync = new Promise<void>((resolve, reject) => {
      done = (e) => {
        if (this.syncing === sync) this.syncing = undefined;
        if (e) reject(this.syncFailed(e));
        else resolve();
      };
    });
    this.syncing = sync;
    fs.fdatasync(fd, done);
    return sync;
  }

  /** The -wal file's descriptor, opened once (SQLite keeps the file while this connection is open). */
  private wal(): number {
    this.walFd ??= fs.openSync(`${this.path}-wal`, 'r');
    return this.walFd;
  }

  /** A failed sync: what is written may not be on disk, so nothing more is acknowledged or written (R5). */
  private syncFailed(cause: unknown): StorageError {
    const error = new StorageError(
      {
        code: 'STORAGE_FAILED',
        operation: 'commit',
        file: this.path,
        problem: `could not sync its -wal file to disk (${(cause as Error).message}); the commits since the last sync may be lost, so none of them is acknowledged and the store takes no more writes: fix the disk, then run again to go on from what is on disk`,
      },
      { cause },
    );
    this.fail(error);
    return error;
  }

  private commitNow(batches: readonly CommitBatch[]): (CommitResult | Error)[] {
    this.checkWritable('commit');
    const checked = batches.map((b) => {
      try {
        return this.checkBatch(b);
      } catch (e) {
        return e as Error;
      }
    });
    const touched = new Set<string>();
    const results = this.write('commit', `could not commit ${batches.length} batch${batches.length === 1 ? '' : 'es'}`, () =>
      checked.map((c): CommitResult | Error => {
        if (c instanceof Error) return c;
        const streams = new Set<string>();
        try {
          // Nested in the open transaction, this is a SAVEPOINT: a failed fence undoes this batch alone.
          const r = this.tx(() => this.applyBatch(c, streams)) as CommitResult;
          for (const s of streams) touched.add(s);
          return r;
        } catch (e) {
          if (isStorageError(e, 'STORAGE_CONFLICT')) return e;
          throw e; // anything else fails the transaction: nothing of any batch is stored
        }
      }),
    );
    this.peers.notify(touched);
    return results;
  }

  /** Checks and encodes everything of a batch before any transaction: a bad value never starts one. */
  private checkBatch(batch: CommitBatch): CheckedBatch {
    if (batch === null || typeof batch !== 'object') {
      throw new StorageError({ code: 'STORAGE_INVALID', operation: 'commit', file: this.path, problem: 'was given a batch that is not an object' });
    }
    return {
      positions: checkPositions(batch, this.path),
      cleared: checkClearState(batch, this.path),
      changes: (batch.state ?? []).map((ch) => ({
        ns: checkName('namespace', ch.ns, 'commit', this.path),
        key: checkKey(ch.key, 'commit', this.path),
        json: ch.value === null ? null : encodeValue(ch.value, 'commit', this.path),
        expiresAt: ch.expiresAt === undefined || ch.value === null ? null : checkInstant('an expiry', ch.expiresAt, 'commit', this.path),
      })),
      timers: checkTimers(batch, this.path),
      appends: (batch.appends ?? []).map((a) => ({
        stream: checkName('stream', a.stream, 'commit', this.path),
        items: encodeItems(a.items, 'commit', this.path),
      })),
    };
  }

  /** Applies a checked batch inside the open transaction; adds the streams it appended to `touched`. */
  /**
   * State changes in their order. Runs of upserts go INSERT_CHUNK at a time through one multi-row
   * statement (as appendRows does for events: a statement run costs about as much as binding a row);
   * a delete ends a run, so a key's writes and deletes keep their order.
   */
  private applyStateChanges(changes: CheckedBatch['changes']): void {
    const many = this.s.stateUpserts;
    const args = this.stateArgs;
    let n = 0; // rows in args
    for (let i = 0; i < changes.length; i++) {
      const ch = changes[i]!;
      if (ch.json === null) {
        this.flushState(args, n);
        n = 0;
        this.s.stateDelete.run(ch.ns, ch.key);
        continue;
      }
      if (many === undefined) {
        if (ch.expiresAt === null) this.s.stateUpsert.run(ch.ns, ch.key, ch.json);
        else this.s.stateUpsertExpiring.run(ch.ns, ch.key, ch.json, ch.expiresAt);
        continue;
      }
      const a = n * 4;
      args[a] = ch.ns;
      args[a + 1] = ch.key;
      args[a + 2] = ch.json;
      args[a + 3] = ch.expiresAt;
      if (++n === INSERT_CHUNK) {
        many.run(args);
        n = 0;
      }
    }
    this.flushState(args, n);
    if (many !== undefined) args.fill(null); // holds no state text between commits
  }

  /** The first `n` rows of `args`, one upsert each (the tail of a run shorter than a chunk). */
  private flushState(args: unknown[], n: number): void {
    for (let k = 0; k < n; k++) {
      const a = k * 4;
      this.s.stateUpsertExpiring.run(args[a], args[a + 1], args[a + 2], args[a + 3]);
    }
  }

  private applyBatch({ positions, cleared, changes, timers, appends }: CheckedBatch, touched: Set<string>): CommitResult {
    const heads = new Map<string, Head>();
    for (const p of positions) {
      if (p.expected === undefined) continue;
      const current = (this.s.offsetGet.get(p.name, p.stream) as number | undefined) ?? 0;
      if (current !== p.expected) throw conflict(p, current, this.path);
    }
    for (const ns of cleared) {
      this.s.stateClear.run(ns);
      this.s.timerClear?.run(ns);
    }
    for (const p of positions) this.s.offsetPut.run(p.name, p.stream, p.seq);
    this.applyStateChanges(changes);
    for (const t of timers) {
      if (t.at === null) this.s.timerDelete!.run(t.ns, t.key);
      else this.s.timerUpsert!.run(t.ns, t.key, t.at);
    }
    const appended = appends.map((a) => ({ stream: a.stream, ...this.appendRows(heads, a.stream, a.items) }));
    this.saveHeads(heads);
    for (const [s, h] of heads) if (h.touched) touched.add(s);
    return { appended };
  }

  close(): void {
    if (this.closed) return;
    this.groupCommit.flush(); // queued appends commit (or reject) before the file closes
    this.closed = true;
    this.notifier.close();
    this.peers.leave();
    clearTimeout(this.checkpointStart);
    this.checkpointer?.close();
    // Commits not yet synced are synced now: closing syncs the -wal only when this is the last
    // connection. The syncs still asked for then resolve (startSync: closed).
    if ((this.unsynced || this.syncing !== undefined) && this.failure === undefined) {
      try {
        fs.fdatasyncSync(this.wal());
        this.unsynced = false;
      } catch (e) {
        this.syncFailed(e);
      }
    }
    try {
      this.db.close();
    } catch (e) {
      throw classify(e, this.path, 'close', 'could not be closed');
    } finally {
      const fd = this.walFd;
      this.walFd = undefined;
      // A sync in flight keeps its descriptor until it ends (a number closed now could be reused by another file).
      if (fd !== undefined) void (this.syncAgain ?? this.syncing ?? Promise.resolve()).catch(() => {}).finally(() => fs.close(fd, () => {}));
    }
  }
}

/** Errno codes that mean "this user or this mount may not write here". */
const NO_WRITE = new Set(['EACCES', 'EPERM', 'EROFS']);

/** A StorageError saying the data file is read-only, when `e` is a permission or read-only-mount error. */
function readOnlyError(e: unknown, file: string): StorageError | undefined {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === undefined || !NO_WRITE.has(code)) return undefined;
  const where = (e as NodeJS.ErrnoException).path ?? path.dirname(file);
  return new StorageError(
    {
      code: 'STORAGE_FAILED',
      operation: 'open',
      file,
      problem: `is read-only: ${where} cannot be written (${code}); writing needs write access to the data directory and its files (reading does not)`,
      driverCode: code,
    },
    { cause: e },
  );
}

/**
 * Before opening for writing: the directory (SQLite creates the -wal and -shm files there) and the
 * files that exist must be writable, or SQLite would open the file read-only without a word and
 * fail at the first write with a less helpful message.
 */
function checkCanWrite(file: string): void {
  for (const p of [path.dirname(file), file, `${file}-wal`, `${file}-shm`]) {
    try {
      fs.accessSync(p, fs.constants.W_OK);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw readOnlyError(e, file) ?? classify(e, file, 'open', 'could not be opened');
    }
  }
}

/**
 * Opens the file for reading only. A reader of a WAL-mode file needs its -shm file, which it
 * cannot create in a directory it may not write: then, when no -wal file holds commits not yet
 * copied into the data file (a clean shutdown leaves none), the data file alone is the whole
 * store, and SQLite reads it as `immutable` (no locks, no -shm).
 */
function openReadOnly(file: string, timeout: number): DatabaseType {
  const db = openDatabase(file, { readonly: true, fileMustExist: true, timeout });
  let failure: unknown;
  try {
    db.prepare('SELECT count(*) FROM sqlite_schema').pluck().get();
    return db;
  } catch (e) {
    failure = e;
    db.close();
  }
  const code = (failure as { code?: string }).code ?? '';
  if (!/^SQLITE_(READONLY|CANTOPEN)/.test(code)) throw failure;
  let walBytes = 0;
  try {
    walBytes = fs.statSync(`${file}-wal`).size;
  } catch {
    // no -wal file: the data file holds every commit
  }
  if (walBytes > 32) {
    // a WAL header alone is 32 bytes: more means frames
    throw new StorageError(
      {
        code: 'STORAGE_FAILED',
        operation: 'open',
        file,
        problem: `cannot be read: its directory is read-only, and its -wal file holds commits not yet copied into it, which SQLite reads only with a -shm file it cannot create there; open it once with write access (any command that writes) to fold them in`,
        driverCode: code,
      },
      { cause: failure },
    );
  }
  try {
    return openDatabase(`file:${encodeURI(file).replaceAll('?', '%3f').replaceAll('#', '%23')}?immutable=1`, { readonly: true, fileMustExist: true, timeout });
  } catch (e) {
    throw new StorageError(
      {
        code: 'STORAGE_FAILED',
        operation: 'open',
        file,
        problem: `cannot be read: its directory is read-only and SQLite could not open it as immutable (${(e as Error).message}; URI file names need SQLITE_USE_URI=1 before better-sqlite3 loads)`,
        driverCode: code,
      },
      { cause: failure },
    );
  }
}

/** The SQL condition of a state row still alive at the instant bound to `?`. */
const LIVE = '(expires_at IS NULL OR expires_at > ?)';

/**
 * The multi-row insert of INSERT_CHUNK events: the stream, the first seq and the ts are parameters
 * once, and each row adds its place to the seq; a row is `(place, json)`, or `(place, key, json)`.
 */
function insertChunk(keyed: boolean): string {
  const rows = Array.from({ length: INSERT_CHUNK }, (_, k) => (keyed ? `(${k}, ?, ?)` : `(${k}, ?)`)).join(', ');
  const [key, json] = keyed ? ['v.column2', 'v.column3'] : ['NULL', 'v.column2'];
  return `INSERT INTO events (stream, seq, ts, key, json) SELECT p.stream, p.seq + v.column1, p.ts, ${key}, ${json} FROM (SELECT ? AS stream, ? AS seq, ? AS ts) AS p, (VALUES ${rows}) AS v`;
}

/**
 * The prepared statements. `timed`: the file has timers and expiries (format version 2); a
 * version-1 file opened read-only has neither, and its reads ignore `asOf`.
 */
function prepareStatements(db: DatabaseType, timed: boolean) {
  const raw = (sql: string): Stmt => db.prepare(sql).raw() as Stmt;
  const pluck = (sql: string): Stmt => db.prepare(sql).pluck() as Stmt;
  const run = (sql: string): Stmt => db.prepare(sql) as Stmt;
  const ifTimed = (make: () => Stmt): Stmt | undefined => (timed ? make() : undefined);
  const upsert = (expiry: string) =>
    timed
      ? run(
          `INSERT INTO state (ns, key, json, expires_at) VALUES (?, ?, ?, ${expiry}) ON CONFLICT (ns, key) DO UPDATE SET json = excluded.json, expires_at = excluded.expires_at`,
        )
      : run('INSERT INTO state (ns, key, json) VALUES (?, ?, ?) ON CONFLICT (ns, key) DO UPDATE SET json = excluded.json');
  return {
    stateGetAsOf: timed
      ? pluck(`SELECT json FROM state WHERE ns = ? AND key = ? AND ${LIVE}`)
      : pluck('SELECT json FROM state WHERE ns = ? AND key = ? AND ? IS NOT NULL'),
    stateUpsertExpiring: upsert('?'),
    /** INSERT_CHUNK upserts in one statement; rows apply in order, so a key written twice keeps the last. */
    stateUpserts: ifTimed(() =>
      run(
        `INSERT INTO state (ns, key, json, expires_at) VALUES ${new Array(INSERT_CHUNK).fill('(?, ?, ?, ?)').join(', ')} ON CONFLICT (ns, key) DO UPDATE SET json = excluded.json, expires_at = excluded.expires_at`,
      ),
    ),
    stateExpired: timed
      ? pluck('SELECT key FROM state WHERE ns = ? AND expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at, key LIMIT ?')
      : pluck('SELECT NULL WHERE 0 AND ? AND ? AND ?'),
    timerGet: ifTimed(() => pluck('SELECT due_at FROM timers WHERE ns = ? AND key = ?')),
    timerNext: ifTimed(() => pluck('SELECT min(due_at) FROM timers WHERE ns = ?')),
    timerDue: ifTimed(() => raw('SELECT key, due_at FROM timers WHERE ns = ? AND due_at <= ? ORDER BY due_at, key LIMIT ?')),
    timerCount: ifTimed(() => pluck('SELECT count(*) FROM timers WHERE ns = ?')),
    timerUpsert: ifTimed(() => run('INSERT INTO timers (ns, key, due_at) VALUES (?, ?, ?) ON CONFLICT (ns, key) DO UPDATE SET due_at = excluded.due_at')),
    timerDelete: ifTimed(() => run('DELETE FROM timers WHERE ns = ? AND key = ?')),
    timerClear: ifTimed(() => run('DELETE FROM timers WHERE ns = ?')),
    streamHead: raw('SELECT first_seq, last_seq, last_ts FROM streams WHERE name = ?'),
    upsertHead: run(
      'INSERT INTO streams (name, first_seq, last_seq, last_ts) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET last_seq = excluded.last_seq, last_ts = excluded.last_ts',
    ),
    setFirst: run('UPDATE streams SET first_seq = ? WHERE name = ?'),
    lastSeq: pluck('SELECT last_seq FROM streams WHERE name = ?'),
    allStreams: raw('SELECT name, first_seq, last_seq FROM streams ORDER BY name'),
    insertEvent: run('INSERT INTO events (stream, seq, ts, key, json) VALUES (?, ?, ?, ?, ?)'),
    /** INSERT_CHUNK events without keys: the stream, first seq and ts once, then each row's text. */
    insertEvents: run(insertChunk(false)),
    /** INSERT_CHUNK events with keys: the stream, first seq and ts once, then each row's key and text. */
    insertKeyedEvents: run(insertChunk(true)),
    readEvents: raw('SELECT seq, ts, key, json FROM events WHERE stream = ? AND seq >= ? ORDER BY seq LIMIT ?'),
    readJson: pluck('SELECT json FROM events WHERE stream = ? AND seq >= ? ORDER BY seq LIMIT ?'),
    firstSeqFrom: pluck('SELECT seq FROM events WHERE stream = ? AND seq >= ? ORDER BY seq LIMIT 1'),
    firstYoungSeq: pluck('SELECT seq FROM events WHERE stream = ? AND seq >= ? AND ts >= ? ORDER BY seq LIMIT 1'),
    deleteBefore: run('DELETE FROM events WHERE stream = ? AND seq < ?'),
    stateGet: pluck('SELECT json FROM state WHERE ns = ? AND key = ?'),
    stateUpsert: upsert('NULL'),
    stateDelete: run('DELETE FROM state WHERE ns = ? AND key = ?'),
    stateClear: run('DELETE FROM state WHERE ns = ?'),
    nsCounts: raw('SELECT ns, count(*) FROM state GROUP BY ns'),
    indexNamed: pluck('SELECT name FROM state_indexes WHERE ns = ? AND field = ?'),
    indexAdd: run('INSERT OR IGNORE INTO state_indexes (ns, field, name) VALUES (?, ?, ?)'),
    indexesOf: pluck('SELECT field FROM state_indexes WHERE ns = ? ORDER BY field'),
    allIndexes: raw('SELECT ns, field FROM state_indexes ORDER BY ns, field'),
    offsetGet: pluck('SELECT seq FROM offsets WHERE consumer = ? AND stream = ?'),
    offsetPut: run('INSERT INTO offsets (consumer, stream, seq) VALUES (?, ?, ?) ON CONFLICT (consumer, stream) DO UPDATE SET seq = excluded.seq'),
    offsetsAll: raw('SELECT consumer, stream, seq FROM offsets ORDER BY consumer, stream'),
    offsetsOf: raw('SELECT consumer, stream, seq FROM offsets WHERE consumer = ? ORDER BY stream'),
  };
}
