/**
 * An indexed binary min-heap of (instant, key), ordered by instant then by key (code point order):
 * the memory adapter's timers and expiries. Set, delete and the earliest entry cost O(log n); the k
 * earliest entries are read without changing the heap in O(k log k).
 */
import { compareKeys } from './keys.js';

interface Entry {
  readonly key: string;
  at: number;
}

export class TimerHeap {
  private readonly heap: Entry[] = [];
  /** key → its index in `heap`. */
  private readonly index = new Map<string, number>();

  get size(): number {
    return this.heap.length;
  }

  get(key: string): number | undefined {
    const i = this.index.get(key);
    return i === undefined ? undefined : this.heap[i]!.at;
  }

  /** Sets `key` to `at` (added, or moved). */
  set(key: string, at: number): void {
    const i = this.index.get(key);
    if (i === undefined) {
      this.heap.push({ key, at });
      this.index.set(key, this.heap.length - 1);
      this.up(this.heap.length - 1);
      return;
    }
    const e = this.heap[i]!;
    const before = e.at;
    e.at = at;
    if (at < before) this.up(i);
    else this.down(i);
  }

  /** Removes `key`; true when it was there. */
  delete(key: string): boolean {
    const i = this.index.get(key);
    if (i === undefined) return false;
    this.index.delete(key);
    const last = this.heap.pop()!;
    if (i < this.heap.length) {
      this.heap[i] = last;
      this.index.set(last.key, i);
      this.down(i);
      this.up(i);
    }
    return true;
  }

  clear(): void {
    this.heap.length = 0;
    this.index.clear();
  }

  /** The earliest instant, or undefined when empty. */
  peek(): number | undefined {
    return this.heap[0]?.at;
  }

  /**
   * The entries with `at <= maxAt`, earliest first, at most `limit`, without changing the heap: a
   * best-first walk from the root over a small frontier heap of candidate indexes.
   */
  smallest(maxAt: number, limit: number): { key: string; at: number }[] {
    const out: { key: string; at: number }[] = [];
    if (this.heap.length === 0 || limit === 0) return out;
    const frontier: number[] = [0];
    const less = (a: number, b: number) => this.less(a, b);
    while (frontier.length > 0 && (limit < 0 || out.length < limit)) {
      const i = popMin(frontier, less);
      const e = this.heap[i]!;
      if (e.at > maxAt) break;
      out.push({ key: e.key, at: e.at });
      for (const c of [2 * i + 1, 2 * i + 2]) if (c < this.heap.length) pushMin(frontier, c, less);
    }
    return out;
  }

  private less(a: number, b: number): boolean {
    const x = this.heap[a]!;
    const y = this.heap[b]!;
    return x.at < y.at || (x.at === y.at && compareKeys(x.key, y.key) < 0);
  }

  private swap(a: number, b: number): void {
    const h = this.heap;
    const t = h[a]!;
    h[a] = h[b]!;
    h[b] = t;
    this.index.set(h[a]!.key, a);
    this.index.set(h[b]!.key, b);
  }

  private up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) return;
      this.swap(i, p);
      i = p;
    }
  }

  private down(i: number): void {
    const n = this.heap.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(l, m)) m = l;
      if (r < n && this.less(r, m)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}

function pushMin(h: number[], v: number, less: (a: number, b: number) => boolean): void {
  h.push(v);
  let i = h.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (!less(h[i]!, h[p]!)) return;
    [h[i], h[p]] = [h[p]!, h[i]!];
    i = p;
  }
}

function popMin(h: number[], less: (a: number, b: number) => boolean): number {
  const top = h[0]!;
  const last = h.pop()!;
  if (h.length > 0) {
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && less(h[l]!, h[m]!)) m = l;
      if (r < h.length && less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
  return top;
}
