/** castParallel(): a spell cast on worker threads, events partitioned by key, order kept per key. */
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Observable, type Observer, type OperatorFunction, type Subscriber } from 'rxjs';
import type { EventValue } from '../core/event.js';
import { SanctumError } from '../core/errors.js';
import type { SpellLogger } from '../spellcraft/caster.js';
import { deadLetterToJSON, type DeadLetter } from '../spellcraft/errors.js';
import { stderrLogger, type ErrorPolicy } from '../spellcraft/spell.js';
import { decode, encode, fromWire, partitionOf, type FromWorker, type ToWorker, type Transport, type WireError, type WorkerConfig, type WorkerSummonOptions } from './protocol.js';

/** Events per message to a worker when not told otherwise. */
export const DEFAULT_BATCH_SIZE = 1000;

export interface ParallelOptions {
  /** How many worker threads (each with its own Lua engine). Default: `os.availableParallelism()`. */
  readonly workers?: number;
  /**
   * The partition key of an event. Events with equal keys go to the same worker and come out in
   * input order; a spell that keeps state per key sees all of that key's events.
   */
  readonly key: (event: EventValue) => string | number;
  /** Summon options for every worker (runes, budgets, error policy). Sent to the workers, so plain data only. */
  readonly summon?: WorkerSummonOptions;
  /** Where `print` and `log.*` of the spell go. Default: one line each on stderr. */
  readonly logger?: SpellLogger;
  /** Where dead letters go. Default: one JSON line each on stderr. */
  readonly deadLetters?: Partial<Observer<DeadLetter>> | ((deadLetter: DeadLetter) => void);
  /**
   * Events per message to a worker (default 1000). A batch that is not full is sent once the
   * source pauses (on the next turn of the event loop), so a slow source is not held back.
   */
  readonly batchSize?: number;
  /** How batches cross threads (default `json`, measured faster; see bench/run.ts). */
  readonly transport?: Transport;
}

/**
 * Casts a spell on worker threads. Events are partitioned by `key` (hash of the key mod the
 * number of workers); each worker summons the spell once, in its own Lua engine, and casts
 * batches of events. Events with the same key come out in input order; across keys the order
 * is whatever the workers make it. Failed casts go to `deadLetters` (or follow
 * `summon.onError`). When the input completes every worker runs the spell's `finish`, then the
 * output completes. A worker that dies errors the stream; unsubscribing terminates the workers.
 *
 * The stream errors with a SpellError (`SPELL_NOT_FOUND`, `SPELL_SYNTAX`, `SPELL_INVALID`, …)
 * when the spell cannot be summoned.
 *
 * @example
 * const enriched$ = orders$.pipe(
 *   castParallel('spells/enrich.lua', { workers: 4, key: (e) => (e as { customer: string }).customer }),
 * );
 */
export function castParallel(spellFile: string, options: ParallelOptions): OperatorFunction<EventValue, EventValue> {
  const workers = Math.max(1, Math.floor(options.workers ?? availableParallelism()));
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? DEFAULT_BATCH_SIZE));
  const transport = options.transport ?? 'json';
  const policy: ErrorPolicy = options.summon?.onError ?? 'dead-letter';
  const logger = options.logger ?? stderrLogger;
  const deadLetter = toNext(options.deadLetters ?? defaultDeadLetters);
  const config: WorkerConfig = { file: spellFile, summon: options.summon ?? {}, policy, transport };
  const keyOf = options.key;

  return (source) =>
    new Observable<EventValue>((subscriber) => {
      const pool: Lane[] = [];
      let closed = false;
      let inputDone = false;
      let finished = 0;
      let initReported = false;
      let flushScheduled: ReturnType<typeof setImmediate> | undefined;

      const teardown = () => {
        if (closed) return;
        closed = true;
        if (flushScheduled !== undefined) clearImmediate(flushScheduled);
        for (const lane of pool) void lane.worker.terminate();
      };
      const fail = (err: unknown) => {
        if (closed) return;
        teardown();
        subscriber.error(err);
      };

      /** Applies the error policy; false when the stream has been stopped. */
      const failed = (err: WireError, event?: EventValue): boolean => {
        const error = fromWire(err, event);
        if (policy === 'stop') {
          fail(error);
          return false;
        }
        if (policy === 'skip') {
          logger({ spell: error.spell, level: 'warn', message: `skipped a failed event: ${error.message}`, file: error.file, line: error.line, fields: { code: error.code } });
          return true;
        }
        deadLetter({ error, event: error.event });
        return true;
      };

      const onMessage = (lane: Lane, m: FromWorker) => {
        if (closed) return;
        if (m.logs) for (const entry of m.logs) logger(entry);
        switch (m.t) {
          case 'fatal':
            fail(fromWire(m.error));
            return;
          case 'ready':
            // Every worker runs the same init: report a failure once, not once per worker.
            if (m.initError && !initReported) {
              initReported = true;
              failed(m.initError);
            }
            return;
          case 'batch': {
            const batch = lane.inFlight.shift()!;
            if (m.errors) {
              for (const err of m.errors) if (!failed(err, err.index >= 0 ? batch[err.index] : undefined)) break;
            }
            emitAll(subscriber, decode(m.events));
            if (closed) return;
            if (m.errors && policy === 'stop') return;
            return;
          }
          case 'finished':
            emitAll(subscriber, decode(m.events));
            if (m.error && !failed(m.error)) return;
            if (closed) return;
            if (++finished === pool.length) {
              teardown();
              subscriber.complete();
            }
            return;
        }
      };

      const { url, execArgv } = workerEntry();
      for (let i = 0; i < workers; i++) {
        const worker = new Worker(url, { workerData: config, ...(execArgv ? { execArgv } : {}) });
        const lane: Lane = { worker, buffer: [], inFlight: [] };
        pool.push(lane);
        worker.on('message', (m: FromWorker) => onMessage(lane, m));
        worker.on('error', (e) => fail(new SanctumError('LUA_VM_FAILED', `castParallel: worker ${i + 1} of ${workers} failed: ${e.message}`, { cause: e })));
        worker.on('exit', (code) => fail(new SanctumError('LUA_VM_FAILED', `castParallel: worker ${i + 1} of ${workers} exited (code ${code}) before the stream completed`)));
      }

      const send = (lane: Lane) => {
        const batch = lane.buffer;
        lane.buffer = [];
        lane.inFlight.push(batch);
        const m: ToWorker = { t: 'batch', events: encode(batch, transport) };
        lane.worker.postMessage(m);
      };
      const flush = () => {
        flushScheduled = undefined;
        if (closed) return;
        for (const lane of pool) if (lane.buffer.length > 0) send(lane);
      };

      const inner = source.subscribe({
        next(event) {
          if (closed) return;
          let key: string | number;
          try {
            key = keyOf(event);
          } catch (e) {
            fail(e);
            return;
          }
          if (typeof key !== 'string' && typeof key !== 'number') {
            fail(new SanctumError('USAGE', `castParallel: key() must return a string or a number, got ${key === null ? 'null' : typeof key}`));
            return;
          }
          const lane = pool[partitionOf(key, pool.length)]!;
          lane.buffer.push(event);
          if (lane.buffer.length >= batchSize) send(lane);
          else flushScheduled ??= setImmediate(flush);
        },
        error(e) {
          fail(e);
        },
        complete() {
          if (closed) return;
          inputDone = true;
          if (flushScheduled !== undefined) clearImmediate(flushScheduled);
          flush();
          for (const lane of pool) lane.worker.postMessage({ t: 'finish' } satisfies ToWorker);
        },
      });

      return () => {
        inner.unsubscribe();
        teardown();
        void inputDone;
      };
    });
}

/** One worker and the events on their way to it. */
interface Lane {
  readonly worker: Worker;
  /** Events not sent yet. */
  buffer: EventValue[];
  /** Batches sent and not answered yet, oldest first: dead letters point back into them. */
  readonly inFlight: EventValue[][];
}

function emitAll(subscriber: Subscriber<EventValue>, events: readonly EventValue[]): void {
  for (let i = 0; i < events.length && !subscriber.closed; i++) subscriber.next(events[i]!);
}

function toNext<T>(target: Partial<Observer<T>> | ((v: T) => void)): (v: T) => void {
  if (typeof target === 'function') return target;
  return (v) => target.next?.(v);
}

function defaultDeadLetters(dl: DeadLetter): void {
  process.stderr.write(`dead letter: ${JSON.stringify(deadLetterToJSON(dl))}\n`);
}

/**
 * The worker's entry file. Compiled, it is `worker.js` next to this file. From source (vitest,
 * tsx) it is `worker.ts`, which the worker can only load through tsx: the worker inherits the
 * parent's loader flags when they include tsx, else it is started with `--import tsx`.
 */
function workerEntry(): { url: URL; execArgv?: string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  const url = new URL(fromSource ? './worker.ts' : './worker.js', import.meta.url);
  if (!fromSource || process.execArgv.some((a) => a.includes('tsx'))) return { url };
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return { url, execArgv: ['--import', tsx] };
}
