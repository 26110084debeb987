/** castParallel and its worker threads: a dying worker errors the stream; teardown ends them all. */
import path from 'node:path';
import type { Worker as NodeWorker } from 'node:worker_threads';
import { concat, from, lastValueFrom, NEVER, take, toArray } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { castParallel } from '../../src/parallel/index.js';
import type { EventValue } from '../../src/index.js';
import { tempDir } from '../helpers.js';

// Every Worker castParallel creates, so a test can watch it or kill it.
const created = vi.hoisted(() => [] as { worker: NodeWorker; exit: Promise<number> }[]);
vi.mock('node:worker_threads', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:worker_threads')>();
  class Watched extends original.Worker {
    constructor(...args: ConstructorParameters<typeof original.Worker>) {
      super(...args);
      created.push({ worker: this, exit: new Promise((resolve) => this.once('exit', resolve)) });
    }
  }
  return { ...original, Worker: Watched };
});

const dir = tempDir({ 'tag.lua': 'local spell = {}\nfunction spell.cast(e, emit)\n  emit({ id = e.id })\nend\nreturn spell\n' });
const tag = path.join(dir, 'tag.lua');
const events = Array.from({ length: 20 }, (_, id) => ({ id }));
const key = (e: EventValue) => (e as { id: number }).id;

describe('castParallel workers', () => {
  it('errors the stream with WORKER_FAILED when a worker dies', async () => {
    created.length = 0;
    const seen: EventValue[] = [];
    const result = new Promise((resolve) => {
      concat(from(events), NEVER)
        .pipe(castParallel(tag, { workers: 2, key, batchSize: 5 }))
        .subscribe({
          next: (e) => {
            seen.push(e);
            // Once output flows, kill one worker from outside.
            if (seen.length === 1) void created[1]!.worker.terminate();
          },
          error: resolve,
          complete: () => resolve('completed'),
        });
    });
    const err = await result;
    expect(err).toMatchObject({ code: 'WORKER_FAILED' });
    expect((err as Error).message).toMatch(/worker 2 of 2 exited \(code 1\) before the stream completed/);
    // The other worker is terminated too.
    expect(await created[0]!.exit).toBe(1);
  });

  it('terminates every worker when the subscriber unsubscribes', async () => {
    created.length = 0;
    const out = await lastValueFrom(concat(from(events), NEVER).pipe(castParallel(tag, { workers: 3, key, batchSize: 2 }), take(4), toArray()));
    expect(out).toHaveLength(4);
    expect(created).toHaveLength(3);
    expect(await Promise.all(created.map((c) => c.exit))).toEqual([1, 1, 1]);
  });

  it('terminates every worker once the stream completes', async () => {
    created.length = 0;
    const out = await lastValueFrom(from(events).pipe(castParallel(tag, { workers: 2, key }), toArray()));
    expect(out).toHaveLength(20);
    expect(await Promise.all(created.map((c) => c.exit))).toEqual([1, 1]);
  });
});
