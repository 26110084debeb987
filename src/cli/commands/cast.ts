/** `sanctum cast <spell.lua> [files…]`: run one spell over NDJSON events. */
import { createWriteStream } from 'node:fs';
import type { Command } from 'commander';
import type { EventValue } from '../../core/event.js';
import type { ErrorPolicy } from '../../spellcraft/spell.js';
import { SpellError, deadLetterToJSON, type DeadLetter } from '../../spellcraft/errors.js';
import type { EmitSink, SpellCaster } from '../../spellcraft/caster.js';
import type { PolicyTargets } from '../../spellcraft/error-policy.js';
import { systemClock } from '../../core/clock.js';
import { DueWork } from '../../spellcraft/due-work.js';
import { LineWriter, readNdjsonBatches, type InputProblem } from '../../runtime/ndjson.js';
import { EXIT } from '../exit-codes.js';
import { collectRune, parseCount, parseDurationOption, parsePolicy, parseSizeOption } from '../options.js';
import { endQuietlyWhenStdoutCloses } from '../stdout.js';

interface CastFlags {
  rune: Record<string, EventValue>;
  onError: ErrorPolicy;
  deadLetters?: string;
  withPorts?: boolean;
  budget?: number;
  memory?: number;
  stateIndex: string[];
  tick?: number;
}

/**
 * Outputs after which one call into Lua stops and the rest of the run is cast with the next: what a
 * call holds stays bounded whatever the spell's fan-out.
 */
const MAX_OUTPUTS_PER_CALL = 16_384;

export function registerCast(program: Command): void {
  program
    .command('cast')
    .description('Cast a spell on NDJSON events from files or stdin; write what it emits to stdout as NDJSON.')
    .argument('<spell>', 'the spell file (.lua)')
    .argument('[files...]', 'NDJSON input files; none or - reads stdin')
    .option('-r, --rune <key=value>', "a rune for the spell's init (repeatable; JSON values, a.b=1 nests)", collectRune, {})
    .option('--on-error <policy>', 'what a failed event does: dead-letter, skip or stop', parsePolicy, 'dead-letter')
    .option('--dead-letters <file>', 'also write dead letters to this file as NDJSON')
    .option('--with-ports', 'write {"port": …, "event": …} for every output instead of the bare event')
    .option('--budget <instructions>', 'Lua instructions one call may run (default 10000000)', parseCount)
    .option('--memory <size>', "the spell's memory cap, e.g. 64MiB (default 64MiB)", parseSizeOption)
    .option(
      '--state-index <field>',
      'a value field state.query may use (repeatable); state lives in memory for this cast',
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .option(
      '--tick <duration>',
      "call the spell's tick(now, emit) this often (250ms, 1s, 5m; a bare number is seconds), between batches and once more at the end",
      parseDurationOption,
    )
    .addHelpText(
      'after',
      '\nFailures go to stderr as `file:line: message` with the event, and the cast goes on.\nExit codes: 0 all events cast, 1 some failed, 2 the spell did not load.\n',
    )
    .action(async (spellFile: string, files: string[], flags: CastFlags) => {
      endQuietlyWhenStdoutCloses();
      process.exitCode = await cast(spellFile, files, flags);
    });
}

async function cast(spellFile: string, files: string[], flags: CastFlags): Promise<number> {
  // Loaded here, not at the top: `sanctum --help` and the other commands do not pay for them. A
  // caster of the spell's definition, without the RxJS operator around it (nor RxJS to load).
  const [{ readSpell, defineSpell }, { applyErrorPolicy }, { openMemoryStorage }, { StateSession }] = await Promise.all([
    import('../../spellcraft/definition.js'),
    import('../../spellcraft/error-policy.js'),
    import('../../storage/memory.js'),
    import('../../runtime/state-library.js'),
  ]);
  // The `state` and `timers` libraries, in memory: a cast is one run, with nothing to resume.
  const casterOptions = () => {
    const memory = openMemoryStorage();
    return new StateSession(memory.state, 'cast', flags.stateIndex, { timers: memory.timers }).casterOptions();
  };
  let caster: SpellCaster;
  try {
    const read = await readSpell(spellFile);
    // The caster that compiled the spell to check it is the one that casts.
    ({ caster } = await defineSpell(
      read.source,
      {
        name: read.name,
        displayPath: read.displayPath,
        runes: flags.rune,
        ...(flags.budget !== undefined ? { instructionBudget: flags.budget } : {}),
        ...(flags.memory !== undefined ? { memoryLimit: flags.memory } : {}),
      },
      read.modules,
      casterOptions(),
      true,
    ));
  } catch (e) {
    if (!(e instanceof SpellError)) throw e;
    process.stderr.write(`${e.message}\n${e.sourceLine ? `  ${e.sourceLine}\n` : ''}`);
    return EXIT.INVALID;
  }
  const spell = caster.def;
  const policy = flags.onError;
  const out = new LineWriter(process.stdout);
  const dlFile = flags.deadLetters ? createWriteStream(flags.deadLetters) : undefined;
  let failed = 0; // events that failed (not init or finish)
  let hookFailures = 0;
  let skipped = 0; // failures the skip policy logged (events and hooks alike)
  let read = 0;
  let stopped: unknown;
  let inputStop: Error | undefined;
  const reportDeadLetter = (dl: DeadLetter) => {
    if (dl.event !== undefined) failed++;
    else hookFailures++;
    const e = dl.error;
    process.stderr.write(`${e.message}\n${dl.event !== undefined ? `  event: ${JSON.stringify(dl.event)}\n` : `  in ${e.hook}\n`}`);
    dlFile?.write(`${JSON.stringify(deadLetterToJSON(dl))}\n`);
  };
  const targets: PolicyTargets = { policy, spell: spell.name, logger: spell.logger, deadLetter: reportDeadLetter };
  /** Applies the policy to a failure; false when it stops the cast. */
  const fail = (err: SpellError): boolean => {
    const end = applyErrorPolicy(targets, err);
    if (end !== undefined) {
      stopped = end;
      return false;
    }
    if (policy === 'skip') skipped++;
    return true;
  };
  const sink: EmitSink = flags.withPorts ? (event, port) => out.write(JSON.stringify({ port, event })) : (event) => out.write(JSON.stringify(event));

  /**
   * Casts a run of events (the lines of a chunk between two refused ones) with one call into Lua,
   * or a few when the outputs are many; false when the policy stopped the cast. Under `stop`, one
   * call per event: nothing after the failing event is cast.
   */
  const castRun = (events: readonly EventValue[]): boolean => {
    if (policy === 'stop') {
      for (let i = 0; i < events.length; i++) {
        read++;
        const err = caster.cast(events[i]!, sink);
        if (err !== undefined && !fail(err)) return false;
      }
      return true;
    }
    for (let from = 0; from < events.length; ) {
      const r = caster.castPrefix(from === 0 ? events : events.slice(from), sink, undefined, MAX_OUTPUTS_PER_CALL);
      read += r.consumed;
      from += r.consumed;
      for (const f of r.failures) if (!fail(f)) return false;
    }
    return true;
  };
  const reportProblem = (p: InputProblem) => {
    read++;
    failed++;
    process.stderr.write(`${p.source}:${p.line}: ${p.message}\n`);
    if (policy === 'dead-letter') dlFile?.write(`${JSON.stringify({ code: p.code, file: p.source, line: p.line, message: p.message, text: p.text })}\n`);
    if (policy === 'stop') stopped = inputStop = new Error(`${p.source}:${p.line}: ${p.message}`);
  };

  // Time: `--tick` and the spell's timers, between batches, and while the input is idle (a wake-up).
  const due = new DueWork(caster, systemClock, flags.tick);
  if (flags.tick !== undefined && !due.ticks) process.stderr.write(`sanctum cast: --tick: ${spell.file} defines no spell.tick, so nothing ticks\n`);
  const timed = due.timed;
  const reading = new AbortController();
  /** Runs the tick (when due, or with `final`) and the due timers; false when the policy stopped the cast. */
  const runDue = (final: boolean): boolean => due.run(final, sink, (err) => err === undefined || fail(err));
  const arm = (): void =>
    due.arm(() => {
      if (stopped) return;
      if (runDue(false)) arm();
      else reading.abort(); // stopped while waiting for input: stop waiting
    });

  try {
    const initErr = caster.init();
    if (initErr === undefined || fail(initErr)) {
      due.start();
      if (timed) arm();
      // A batch per chunk read; its events and refused lines are handled in line order.
      batches: for await (const { events, problems } of readNdjsonBatches(files, timed ? { signal: reading.signal } : {})) {
        if (stopped) break;
        if (due.isDue() && !runDue(false)) break;
        let from = 0;
        for (const p of problems) {
          if (p.at > from && !castRun(from === 0 && p.at === events.length ? events : events.slice(from, p.at))) break batches;
          from = p.at;
          reportProblem(p);
          if (stopped) break batches;
        }
        if (from < events.length && !castRun(from === 0 ? events : events.slice(from))) break;
        if (timed) arm();
        if (out.full) await out.flush();
      }
      // Stopped by a bad line, the input ends there: the spell finishes as at the end of the input.
      // A graceful end: the last tick, and the timers due now, before finish.
      if (!stopped || stopped === inputStop) {
        if (!timed || runDue(true)) {
          const err = caster.finish(sink);
          if (err !== undefined) fail(err);
        }
      }
    }
  } catch (e) {
    process.stderr.write(`sanctum cast: cannot read input: ${(e as Error).message}\n`);
    return EXIT.INVALID;
  } finally {
    due.cancel();
    caster.close();
  }
  await out.flush();
  if (dlFile) await new Promise((r) => dlFile.end(r));
  if (stopped instanceof SpellError) {
    if (stopped.event !== undefined) failed++;
    else hookFailures++;
    process.stderr.write(`${stopped.message}\n${stopped.event !== undefined ? `  event: ${JSON.stringify(stopped.event)}\n` : ''}stopped (--on-error stop)\n`);
  }
  failed += skipped; // skipped failures were logged by the spell's logger
  const summary = [
    failed > 0 || stopped ? `${failed} of ${read} events failed` : '',
    hookFailures > 0 ? `${hookFailures} init/finish failure${hookFailures > 1 ? 's' : ''}` : '',
  ].filter(Boolean);
  if (summary.length) process.stderr.write(`${summary.join('; ')}${stopped ? ' (stopped)' : ''}\n`);
  return failed > 0 || hookFailures > 0 || stopped ? EXIT.FAILURES : EXIT.OK;
}
