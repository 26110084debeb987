/**
 * Commit failures injected from the test side (R5: the k-th commit fails), with no hook in the adapters:
 * a clock and a decorator of the Storage port.
 *
 * Both adapters stamp appended events with their clock inside the write transaction, so a clock that
 * throws fails that transaction from within, and the adapter must roll back all of it. A batch to be
 * failed is committed with one more append, to {@link FAULT_STREAM}, after its own: the clock throws
 * at that append's stamp, once the batch's positions, state and own appends are written, just before
 * the commit. A group commit of appends fails at the stamp of its last append, the others written:
 * the decorator counts the appends made through it since the last group commit (an append the store
 * refuses at once, a bad name or value, must not share a group with one that is to fail).
 *
 * @example
 * const faults = new CommitFaults(({ kind, index }) => { if (kind === 'batch' && index === 4) throw new Error('fsync failed'); });
 * const storage = faults.wrap(openSqliteStorage({ dir, now: faults.now }));
 */
import type { CommitBatch, CommitResult, EventLog, Storage } from '../../src/core/storage.js';

/** A transaction the plan is asked about: a `commitBatch`, or a group commit of `log.append`s. */
export interface Write {
  readonly kind: 'append' | 'batch';
  /** Counts the writes the plan was asked about, from 1. */
  readonly index: number;
}

/** Decides whether a write fails: throwing fails it, and the store's error carries what it threw as its cause. */
export type FaultPlan = (write: Write) => void;

/** The stream of the append that carries a batch's fault. A store that let it through would show it. */
export const FAULT_STREAM = 'sanctum-test-fault';

export class CommitFaults {
  /** The clock to open the store with. */
  readonly now: () => number;
  private writes = 0;
  /** While a batch commits: the error its fault append's stamp throws, and the stamps before that one. */
  private batch: { fault: unknown; stampsBefore: number } | undefined;
  /** While the store applies retention, whose age limit reads the clock outside any append. */
  private retaining = false;
  /** Appends queued since the last group commit: the next one commits them all. */
  private queued = 0;
  /** The current group commit's verdict, from its first stamp to the end of that synchronous flush. */
  private flush: { failing: boolean; fault: unknown; stampsBefore: number } | undefined;

  constructor(
    private readonly plan: FaultPlan,
    private readonly clock: () => number = Date.now,
  ) {
    this.now = () => this.stamp();
  }

  /** The store with `commitBatch` (and retention) going through the fault plan; everything else as it is. */
  wrap<S extends Storage>(storage: S): S {
    const log: EventLog = {
      append: (stream, items) => {
        this.flush = undefined; // a flush this call makes (enough events wait) is a transaction of its own
        if (Array.isArray(items) && items.length > 0) this.queued++;
        return storage.log.append(stream, items);
      },
      read: (stream, fromSeq, limit) => storage.log.read(stream, fromSeq, limit),
      readJson: (stream, fromSeq, limit) => storage.log.readJson!(stream, fromSeq, limit),
      lastSeq: (stream) => storage.log.lastSeq(stream),
      streams: () => storage.log.streams(),
      tail: (stream, fromSeq, options) => storage.log.tail(stream, fromSeq, options),
      wait: (stream, afterSeq, options) => storage.log.wait(stream, afterSeq, options),
      retain: (stream, policy) => {
        this.retaining = true;
        try {
          return storage.log.retain(stream, policy);
        } finally {
          this.retaining = false;
        }
      },
    };
    const commitBatch = (batch: CommitBatch): CommitResult => this.commitBatch(storage, batch);
    const close = (): void => {
      this.flush = undefined; // close flushes what waits: a transaction of its own
      storage.close();
    };
    return new Proxy(storage, {
      get(target, key) {
        if (key === 'log') return log;
        if (key === 'commitBatch') return commitBatch;
        if (key === 'close') return close;
        // Every commit goes through the fault plan: no group commit that would go around it.
        if (key === 'commitBatches') return undefined;
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  private commitBatch(storage: Storage, batch: CommitBatch): CommitResult {
    let fault: unknown;
    let failing = false;
    try {
      this.plan({ kind: 'batch', index: ++this.writes });
    } catch (e) {
      fault = e;
      failing = true;
    }
    if (!failing) {
      this.batch = { fault: undefined, stampsBefore: Infinity };
      try {
        return storage.commitBatch(batch);
      } finally {
        this.batch = undefined;
      }
    }
    const own = batch.appends ?? [];
    this.batch = { fault, stampsBefore: own.filter((a) => a.items.length > 0).length };
    try {
      storage.commitBatch({ ...batch, appends: [...own, { stream: FAULT_STREAM, items: [{ event: null }] }] });
    } finally {
      this.batch = undefined;
    }
    throw new Error(`the store committed a batch whose transaction failed (it reached no stamp of '${FAULT_STREAM}', or ignored the failure)`);
  }

  private stamp(): number {
    if (this.batch !== undefined) {
      if (this.batch.stampsBefore-- <= 0) throw this.batch.fault;
      return this.clock();
    }
    if (this.retaining) return this.clock();
    // Neither a batch nor retention: a group commit of appends, which runs in one go (one
    // transaction), one stamp per append; its first stamp asks the plan, and the verdict holds
    // until the flush is over.
    if (this.flush === undefined) {
      const flush = { failing: false, fault: undefined as unknown, stampsBefore: Math.max(0, this.queued - 1) };
      this.flush = flush;
      this.queued = 0;
      queueMicrotask(() => (this.flush = undefined));
      try {
        this.plan({ kind: 'append', index: ++this.writes });
      } catch (e) {
        flush.failing = true;
        flush.fault = e;
      }
    }
    if (this.flush.failing && this.flush.stampsBefore-- <= 0) throw this.flush.fault;
    return this.clock();
  }
}

/** Opens a store through `open`, with the plan's clock and decorator when a plan is given (over `now`, if any). */
export function openWithFaults<S extends Storage>(
  open: (now: (() => number) | undefined) => S,
  options: { readonly now?: () => number; readonly faults?: FaultPlan },
): S {
  if (options.faults === undefined) return open(options.now);
  const faults = new CommitFaults(options.faults, options.now);
  return faults.wrap(open(faults.now));
}
