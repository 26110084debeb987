/** The worker side of castParallel: one Lua engine, one caster; batches in, batches out. */
import { parentPort, workerData } from 'node:worker_threads';
import type { EventValue } from '../core/event.js';
import { DEFAULT_PORT } from '../core/event.js';
import type { EmitSink, SpellCaster, SpellLogEntry } from '../spellcraft/caster.js';
import type { SpellError } from '../spellcraft/errors.js';
import { summon } from '../spellcraft/spell.js';
import { decode, encode, toWire, type FromWorker, type ToWorker, type WireError, type WorkerConfig } from './protocol.js';

const port = parentPort!;
const config = workerData as WorkerConfig;
const post = (m: FromWorker) => port.postMessage(m);

// Log entries travel with the next message; the main thread hands them to the user's logger.
let logs: SpellLogEntry[] = [];
function takeLogs(): SpellLogEntry[] | undefined {
  if (logs.length === 0) return undefined;
  const taken = logs;
  logs = [];
  return taken;
}

// Messages that arrive while the spell is summoned wait in the port: it starts on `on('message')`.
const caster = await open();
if (caster) serve(caster);

async function open(): Promise<SpellCaster | undefined> {
  try {
    const spell = await summon(config.file, { ...config.summon, logger: (entry) => logs.push(entry) });
    return spell.open();
  } catch (e) {
    // The main thread errors the stream and terminates every worker when it reads this. With no
    // listener on the port, this worker has nothing left to do and exits by itself.
    post({ t: 'fatal', error: toWire(e) });
    return undefined;
  }
}

type BatchCast = (events: readonly EventValue[], sink: EmitSink, accept: (p: string) => boolean) => readonly SpellError[] | undefined;

function serve(caster: SpellCaster): void {
  const initError = caster.init();
  post({ t: 'ready', initError: initError ? toWire(initError) : undefined, logs: takeLogs() });

  // Only the default port exists across threads: named ports fail the cast (SPELL_PORT_UNWIRED).
  const acceptPort = (p: string) => p === DEFAULT_PORT;
  let out: EventValue[] = [];
  const sink: EmitSink = (ev) => {
    out.push(ev);
  };
  // The batch path when the caster has one (one call into Lua per batch), else one cast per event.
  const castBatch = (caster as unknown as { castBatch?: BatchCast }).castBatch?.bind(caster);

  /** Casts a batch; returns its failures, each with the failed event's index in the batch. */
  function castAll(events: readonly EventValue[]): WireError[] | undefined {
    if (config.policy === 'stop' || !castBatch) {
      // One event at a time: under `stop` nothing after the failure is cast or emitted.
      let errors: WireError[] | undefined;
      for (let i = 0; i < events.length; i++) {
        const err = caster.cast(events[i]!, sink, acceptPort);
        if (!err) continue;
        (errors ??= []).push(toWire(err, i));
        if (config.policy === 'stop') break;
      }
      return errors;
    }
    const failures = castBatch(events, sink, acceptPort);
    if (!failures || failures.length === 0) return undefined;
    // A failure carries the event object it failed on; its place lets the main thread hand back
    // its own event rather than a copy (and spares sending the event back).
    const places = new Map<EventValue, number[]>();
    for (let i = events.length - 1; i >= 0; i--) {
      const list = places.get(events[i]!);
      if (list) list.push(i);
      else places.set(events[i]!, [i]);
    }
    return failures.map((f) => {
      const index = f.event === undefined ? undefined : places.get(f.event)?.pop();
      return index === undefined ? toWire(f) : toWire(f, index);
    });
  }

  port.on('message', (m: ToWorker) => {
    out = [];
    if (m.t === 'batch') {
      const errors = castAll(decode(m.events));
      post({ t: 'batch', events: encode(out, config.transport), errors, logs: takeLogs() });
      return;
    }
    const err = caster.finish(sink, acceptPort);
    caster.close();
    post({ t: 'finished', events: encode(out, config.transport), error: err ? toWire(err) : undefined, logs: takeLogs() });
  });
}
