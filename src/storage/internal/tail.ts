/** Tailing a stream: read pages, then wait for a wake-up (an append in this process) or a poll timer. */
import type { StoredEvent, TailOptions } from '../../core/storage.js';

/**
 * Wakes the tails of one store when streams get new events. Stores on the same file in one
 * process share wake-ups through {@link peerGroup}.
 */
export class Notifier {
  private readonly waiters = new Map<string, Set<() => void>>();
  private closed = false;

  /** Resolves when `stream` gets events, after `pollMs`, on abort, or on close, whichever is first. */
  wait(stream: string, pollMs: number, signal: AbortSignal | undefined): Promise<void> {
    if (this.closed || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let set = this.waiters.get(stream);
      if (set === undefined) this.waiters.set(stream, (set = new Set()));
      const waiters = set;
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        waiters.delete(done);
        if (waiters.size === 0 && this.waiters.get(stream) === waiters) this.waiters.delete(stream);
        resolve();
      };
      const timer = setTimeout(done, pollMs);
      signal?.addEventListener('abort', done, { once: true });
      waiters.add(done);
    });
  }

  notify(streams: Iterable<string>): void {
    for (const s of streams) {
      const set = this.waiters.get(s);
      if (set !== undefined) for (const w of [...set]) w();
    }
  }

  close(): void {
    this.closed = true;
    for (const set of [...this.waiters.values()]) for (const w of [...set]) w();
  }
}

const groups = new Map<string, Set<Notifier>>();

/** Joins the notifiers of every open store on `file` in this process; returns notify-all and leave. */
export function peerGroup(file: string, own: Notifier): { notify: (streams: Iterable<string>) => void; leave: () => void } {
  let set = groups.get(file);
  if (set === undefined) groups.set(file, (set = new Set()));
  const peers = set;
  peers.add(own);
  return {
    notify: (streams) => {
      const list = [...streams];
      if (list.length > 0) for (const n of peers) n.notify(list);
    },
    leave: () => {
      peers.delete(own);
      if (peers.size === 0 && groups.get(file) === peers) groups.delete(file);
    },
  };
}

const PAGE = 256;

/**
 * The async iterable behind `EventLog.tail`. `read` must throw for bad arguments before this is
 * called, so that `tail()` itself throws rather than its first `next()`.
 */
export async function* tailStream(
  read: (fromSeq: number, limit: number) => StoredEvent[],
  wait: (pollMs: number, signal: AbortSignal | undefined) => Promise<void>,
  isClosed: () => boolean,
  fromSeq: number,
  options: TailOptions,
): AsyncGenerator<StoredEvent, void, undefined> {
  const { follow = false, signal } = options;
  const pollMs = options.pollMs ?? 100;
  let next = Math.max(1, fromSeq);
  while (!signal?.aborted && !isClosed()) {
    let page: StoredEvent[];
    try {
      page = read(next, PAGE);
    } catch (e) {
      // A damaged event fails the read of its whole page: hand out the good events before it one
      // at a time, and fail on the damaged one itself, so a reader gets everything up to it.
      for (let i = 0; i < PAGE; i++) {
        const one = read(next, 1); // throws at the damaged event
        if (one.length === 0) throw e;
        next = one[0]!.seq + 1;
        yield one[0]!;
        if (signal?.aborted || isClosed()) return;
      }
      continue; // the whole page read one by one: the failure did not come back
    }
    for (const event of page) {
      next = event.seq + 1;
      yield event;
      if (signal?.aborted || isClosed()) return;
    }
    if (page.length === PAGE) continue;
    if (!follow) return;
    await wait(pollMs, signal);
  }
}
