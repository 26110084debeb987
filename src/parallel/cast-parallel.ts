/** castParallel(): a spell cast on worker threads, events partitioned by key, order kept per key. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Observer, OperatorFunction, Subscriber } from 'rxjs';
import type { EventValue } from '../core/event.js';
import { SanctumError } from '../core/errors.js';
import type { SpellDefinition } from '../spellcraft/caster.js';
import { applyErrorPolicy, stderrDeadLetters, type ErrorPolicy, type PolicyTargets } from '../spellcraft/error-policy.js';
import { CallbackError, SpellError, type DeadLetter } from '../spellcraft/errors.js';
import { UpstreamSubscriber, operate, toNext } from '../spellcraft/operate.js';
import { stderrLogger, summon, type SummonOptions } from '../spellcraft/spell.js';
import { decode, encode, fromWire, partitionOf, toWireDefinition, type FromWorker, type ToWorker, type Transport } from './protocol.js';

/** Events per message to a worker when not told otherwise. */
export const DEFAULT_BATCH_SIZE = 1000;

export interface ParallelOptions {
  /** How many worker threads, each with its own Lua engine. Default: `os.availableParallelism()`. */
  readonly workers?: number;
  /**
   * The partition key of an event. Events with equal keys go to the same worker and come out in
   * input order, and a spell that keeps state per key sees all of that key's events. If it
   * throws, the stream errors with CALLBACK_FAILED (the thrown value as `cause`).
   */
  readonly key: (event: EventValue) => string | number;
  /**
   * How the spell is summoned (runes, budgets, error policy, logger). It is summoned once on the
   * main thread, so a broken spell fails before any worker casts, and the logger stays here:
   * what the spell logs in a worker is handed to it.
   */
  readonly summon?: SummonOptions;
  /**
   * Where dead letters go. Default: one JSON line each on stderr. A target that throws errors the
   * stream with CALLBACK_FAILED, once the other dead letters of the same batch are handed over.
   */
  readonly deadLetters?: Partial<Observer<DeadLetter>> | ((deadLetter: DeadLetter) => void);
  /**
   * Events per message to a worker (default 1000). A batch that is not full is sent as soon as
   * the source pauses (on the next turn of the event loop), so a slow source is not held back.
   */
  readonly batchSize?: number;
  /** How batches cross threads: `clone` (default) or `json`. See {@link Transport}. */
  readonly transport?: Transport;
}

/**
 * Casts a spell on worker threads. Events are partitioned by `key` (a hash of the key, mod the
 * number of workers); each worker runs the spell in its own Lua engine and casts whole batches.
 * Events with the same key come out in input order; across keys the order is whatever the
 * workers make it. Failed casts follow `summon.onError`: dead letters (the default) go to
 * `deadLetters` with the original event. When the input completes, every worker runs the
 * spell's `finish`, then the output completes. A worker that dies errors the stream;
 * unsubscribing terminates the workers, and stops a synchronous source at once. The error
 * policy means what it means on one thread (the same function applies it).
 *
 * The stream errors with the summon's SpellError (`SPELL_NOT_FOUND`, `SPELL_SYNTAX`, …) when
 * the spell cannot be summoned. Named ports are not wired across threads: `emit(e, "name")`
 * fails the cast with SPELL_PORT_UNWIRED.
 *
 * @example
 * const enriched$ = orders$.pipe(
 *   castParallel('spells/enrich.lua', { workers: 4, key: (e) => (e as { customer: string }).customer }),
 * );
 */
export function castParallel(spellFile: string, options: ParallelOptions): OperatorFunction<EventValue, EventValue> {
  const workers = options.workers ?? availableParallelism();
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(workers) || workers < 1) throw usage(`workers must be a whole number of at least 1, got ${workers}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw usage(`batchSize must be a whole number of at least 1, got ${batchSize}`);
  if (typeof options.key !== 'function') throw usage('key must be a function of the event that returns a string or a number');
  const transport = options.transport ?? 'clone';
  const policy: ErrorPolicy = options.summon?.onError ?? 'dead-letter';
  const deadLetter = options.deadLetters === undefined ? stderrDeadLetters : toNext(options.deadLetters);
  const keyOf = options.key;

  const spellName = options.summon?.name ?? path.basename(spellFile).replace(/\.lua$/, '');
  const logger = options.summon?.logger ?? stderrLogger;
  const targets: PolicyTargets = { policy, spell: spellName, logger, deadLetter };

  return operate<EventValue, EventValue>((source, destination) => {
    const lanes: Lane[] = [];
    let def: SpellDefinition | undefined;
    let closed = false;
    let finished = 0;
    let initReported = false;
    let flushScheduled: ReturnType<typeof setImmediate> | undefined;

    // The workers outlive the input (they finish after it completes), so they end with the
    // output's subscription, not the input's.
    destination.add(() => {
      closed = true;
      if (flushScheduled !== undefined) clearImmediate(flushScheduled);
      for (const lane of lanes) void lane.worker.terminate();
    });
    /** Errors the output (which ends the workers and the input's subscription). */
    const fail = (err: unknown) => {
      if (!closed) destination.error(err);
    };
    /** Applies the error policy to a failed cast; false when that ended the stream. */
    const failed = (error: SpellError): boolean => {
      const end = applyErrorPolicy(targets, error);
      if (end === undefined) return true;
      fail(end);
      return false;
    };

    // -- to the workers ---------------------------------------------------------------------

    /** Posts a batch; events that cannot cross threads fail here as SPELL_BAD_INPUT. */
    const postBatch = (lane: Lane, batch: EventValue[]) => {
      try {
        lane.worker.postMessage({ t: 'batch', events: encode(batch, transport) } satisfies ToWorker);
      } catch {
        // Something in the batch cannot be cloned (a function, a symbol) or stringified (a
        // BigInt, a cycle): find it, fail it, send the rest.
        const sendable: EventValue[] = [];
        for (const ev of batch) {
          try {
            if (transport === 'json') JSON.stringify(ev);
            else structuredClone(ev);
            sendable.push(ev);
          } catch (e) {
            if (!failed(badInput(def!, ev, e))) return;
          }
        }
        if (sendable.length === 0) return;
        lane.worker.postMessage({ t: 'batch', events: encode(sendable, transport) } satisfies ToWorker);
        batch = sendable;
      }
      lane.inFlight.push(batch);
    };
    /** Until the spell is summoned and sent, messages wait in the lane's outbox. */
    const post = (lane: Lane, m: EventValue[] | 'finish') => {
      if (!def) lane.outbox.push(m);
      else if (m === 'finish') lane.worker.postMessage({ t: 'finish' } satisfies ToWorker);
      else postBatch(lane, m);
    };
    const send = (lane: Lane) => {
      const batch = lane.buffer;
      lane.buffer = [];
      post(lane, batch);
    };
    const flush = () => {
      flushScheduled = undefined;
      if (closed) return;
      for (const lane of lanes) if (lane.buffer.length > 0) send(lane);
    };

    // -- from the workers -------------------------------------------------------------------

    const onMessage = (lane: Lane, m: FromWorker) => {
      if (closed) return;
      if (m.logs) {
        for (const entry of m.logs) {
          try {
            logger(entry);
          } catch (e) {
            fail(new CallbackError({ spell: spellName, callback: 'logger', value: entry }, e));
            return;
          }
        }
      }
      switch (m.t) {
        case 'fatal':
          fail(m.error ? fromWire(m.error) : new SanctumError('WORKER_FAILED', `castParallel: a worker could not open the spell: ${m.message}`));
          return;
        case 'ready':
          // Every worker runs the same init: report its failure once, not once per worker.
          if (m.initError && !initReported) {
            initReported = true;
            failed(fromWire(m.initError));
          }
          return;
        case 'batch': {
          const batch = lane.inFlight.shift()!;
          // Outputs first: under `stop` the worker cast nothing after the failure, so these are
          // the outputs of the events before it, as on one thread.
          emitAll(destination, decode(m.events));
          // A deadLetters target that throws ends the stream, once the batch's other dead
          // letters have been handed over (as a spell's other outputs are, on one thread).
          let callbackFailure: CallbackError | undefined;
          for (const err of m.errors ?? []) {
            if (closed) return;
            const end = applyErrorPolicy(targets, fromWire(err, err.index >= 0 ? batch[err.index] : undefined));
            if (end === undefined) continue;
            if (!(end instanceof CallbackError)) return fail(end);
            callbackFailure ??= end;
          }
          if (callbackFailure !== undefined) fail(callbackFailure);
          return;
        }
        case 'finished':
          emitAll(destination, decode(m.events));
          if (closed || (m.error && !failed(fromWire(m.error)))) return;
          if (++finished === lanes.length) destination.complete();
          return;
      }
    };

    // -- start ------------------------------------------------------------------------------

    const entry = workerEntry();
    for (let i = 0; i < workers; i++) {
      const worker = new Worker(entry.entry, { eval: entry.eval });
      const lane: Lane = { worker, buffer: [], outbox: [], inFlight: [] };
      lanes.push(lane);
      const which = `castParallel: worker ${i + 1} of ${workers}`;
      // An exception here would be thrown from an event emitter, out of every pipe: end the stream with it.
      worker.on('message', (m: FromWorker) => {
        try {
          onMessage(lane, m);
        } catch (e) {
          fail(e);
        }
      });
      worker.on('error', (e) => fail(new SanctumError('WORKER_FAILED', `${which} failed: ${e.message}`, { cause: e })));
      worker.on('exit', (code) => fail(new SanctumError('WORKER_FAILED', `${which} exited (code ${code}) before the stream completed`)));
    }

    // Summoned here, once: a broken spell errors the stream with the summon's own SpellError,
    // and the workers receive the compiled-and-checked definition (no file reads per worker).
    summon(spellFile, options.summon)
      .then((spell) => {
        if (closed) return;
        const probe = spell.open();
        def = probe.def;
        probe.close();
        const m: ToWorker = { t: 'spell', def: toWireDefinition(def), transport, stopAtFailure: policy === 'stop' };
        for (const lane of lanes) {
          lane.worker.postMessage(m);
          const waiting = lane.outbox.splice(0);
          for (const w of waiting) if (!closed) post(lane, w);
        }
      })
      .catch(fail);

    source.subscribe(
      new UpstreamSubscriber<EventValue>(destination, {
        next(event) {
          let key: string | number;
          try {
            key = keyOf(event);
          } catch (e) {
            throw new CallbackError({ spell: spellName, callback: 'key', value: event }, e);
          }
          if (typeof key !== 'string' && typeof key !== 'number') {
            throw usage(`key() must return a string or a number, got ${key === null ? 'null' : typeof key}`);
          }
          const lane = lanes[partitionOf(key, lanes.length)]!;
          lane.buffer.push(event);
          if (lane.buffer.length >= batchSize) send(lane);
          else flushScheduled ??= setImmediate(flush);
        },
        complete() {
          // The output completes when every worker has finished.
          if (flushScheduled !== undefined) clearImmediate(flushScheduled);
          flush();
          for (const lane of lanes) post(lane, 'finish');
        },
      }),
    );
  });
}

/** One worker and the events on their way to it. */
interface Lane {
  readonly worker: Worker;
  /** Events not sent yet (the batch being filled). */
  buffer: EventValue[];
  /** Batches (and the final `finish`) waiting for the spell to be summoned. */
  readonly outbox: (EventValue[] | 'finish')[];
  /** Batches sent and not answered yet, oldest first: dead letters point back into them. */
  readonly inFlight: EventValue[][];
}

function emitAll(destination: Subscriber<EventValue>, events: readonly EventValue[]): void {
  for (let i = 0; i < events.length && !destination.closed; i++) destination.next(events[i]!);
}

function badInput(def: SpellDefinition, event: EventValue, e: unknown): SpellError {
  return new SpellError({
    code: 'SPELL_BAD_INPUT',
    spell: def.name,
    file: def.file,
    luaMessage: `the event cannot be sent to a worker thread: ${(e as Error)?.message ?? e}`,
    hook: 'cast',
    event,
  });
}

function usage(message: string): SanctumError {
  return new SanctumError('USAGE', `castParallel: ${message}`);
}

/**
 * How to start a worker. Compiled, the entry is `worker.js` next to this file. From source
 * (vitest, tsx) it is `worker.ts`, which Node cannot load by itself, and on Node 20 a worker
 * ignores loader flags (`--import tsx` in `execArgv`, nodejs/node#47747): so the worker starts
 * from a bootstrap that registers tsx's loader in the worker, then imports `worker.ts`.
 */
function workerEntry(): { entry: URL | string; eval: boolean } {
  if (!import.meta.url.endsWith('.ts')) return { entry: new URL('./worker.js', import.meta.url), eval: false };
  const worker = new URL('./worker.ts', import.meta.url).href;
  const bootstrap =
    `import(${JSON.stringify(tsxEsmApi())}).then((tsx) => { tsx.register(); return import(${JSON.stringify(worker)}); })` +
    '.catch((e) => { setImmediate(() => { throw e; }); });';
  return { entry: bootstrap, eval: true };
}

/** The file URL of tsx's ESM API (`tsx/esm/api`, import condition), read from its package.json. */
function tsxEsmApi(): string {
  const require = createRequire(import.meta.url);
  const pkgFile = require.resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  return pathToFileURL(path.join(path.dirname(pkgFile), pkg.exports['./esm/api']!.import.default)).href;
}
