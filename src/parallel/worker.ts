/**
 * The worker side of castParallel: one Lua engine and one caster of the spell the main thread
 * summoned; batches in, batches out. It imports no RxJS (a worker starts ~55 ms sooner without).
 */
import { parentPort } from 'node:worker_threads';
import type { EventValue } from '../core/event.js';
import { DEFAULT_PORT } from '../core/event.js';
import { SpellCaster, type EmitSink, type SpellLogEntry } from '../spellcraft/caster.js';
import { SpellError } from '../spellcraft/errors.js';
import { LuaVM } from '../spellcraft/lua-vm.js';
import { decode, encode, toWire, type FromWorker, type ToWorker, type Transport, type WireError } from './protocol.js';

const port = parentPort!;
const post = (m: FromWorker) => port.postMessage(m);

// Log entries travel with the next message; the main thread hands them to the spell's logger.
let logs: SpellLogEntry[] = [];
function takeLogs(): SpellLogEntry[] | undefined {
  if (logs.length === 0) return undefined;
  const taken = logs;
  logs = [];
  return taken;
}

// Only the default port exists across threads: named ports fail the cast (SPELL_PORT_UNWIRED).
const acceptPort = (p: string) => p === DEFAULT_PORT;
let out: EventValue[] = [];
const sink: EmitSink = (ev) => {
  out.push(ev);
};

type BatchCast = (events: readonly EventValue[], sink: EmitSink, accept: (p: string) => boolean) => readonly SpellError[] | undefined;
let caster: SpellCaster | undefined;
let castBatch: BatchCast | undefined;
let transport: Transport = 'clone';
let stopAtFailure = false;

// The engine is created while the main thread summons; messages wait in the port meanwhile.
const vm = await LuaVM.shared();
port.on('message', (m: ToWorker) => {
  out = [];
  switch (m.t) {
    case 'spell':
      open(m);
      return;
    case 'batch': {
      const errors = castAll(decode(m.events));
      post({ t: 'batch', events: encode(out, transport), errors, logs: takeLogs() });
      return;
    }
    case 'finish': {
      const err = caster!.finish(sink, acceptPort);
      caster!.close();
      post({ t: 'finished', events: encode(out, transport), error: err ? toWire(err) : undefined, logs: takeLogs() });
      return;
    }
  }
});

function open(m: Extract<ToWorker, { t: 'spell' }>): void {
  transport = m.transport;
  stopAtFailure = m.stopAtFailure;
  try {
    caster = new SpellCaster(vm, { ...m.def, logger: (entry) => logs.push(entry) });
  } catch (e) {
    post({ t: 'fatal', error: e instanceof SpellError ? toWire(e) : undefined, message: String((e as Error)?.stack ?? e), logs: takeLogs() });
    return;
  }
  // The batch path when the caster has one (one call into Lua per batch), else one cast per event.
  castBatch = (caster as unknown as { castBatch?: BatchCast }).castBatch?.bind(caster);
  const initError = caster.init();
  post({ t: 'ready', initError: initError ? toWire(initError) : undefined, logs: takeLogs() });
}

/** Casts a batch; returns its failures, each with the failed event's index in the batch. */
function castAll(events: readonly EventValue[]): WireError[] | undefined {
  const c = caster!;
  if (stopAtFailure || !castBatch) {
    // One event at a time: under `stop` nothing after the failure is cast or emitted.
    let errors: WireError[] | undefined;
    for (let i = 0; i < events.length; i++) {
      const err = c.cast(events[i]!, sink, acceptPort);
      if (!err) continue;
      (errors ??= []).push(toWire(err, i));
      if (stopAtFailure) break;
    }
    return errors;
  }
  const failures = castBatch(events, sink, acceptPort);
  if (!failures || failures.length === 0) return undefined;
  // A failure carries the event it failed on; its place in the batch lets the main thread hand
  // back its own event rather than a copy, and spares sending the event back.
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
