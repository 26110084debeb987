/** `sanctum cast <spell.lua> [files…]`: run one spell over NDJSON events. */
import { createWriteStream } from 'node:fs';
import type { Command } from 'commander';
import type { EventValue } from '../../core/event.js';
import type { ErrorPolicy } from '../../spellcraft/spell.js';
import { SpellError, deadLetterToJSON, type DeadLetter } from '../../spellcraft/errors.js';
import { LineWriter, readNdjsonBatches, type InputProblem } from '../../runtime/ndjson.js';
import { EXIT } from '../exit-codes.js';
import { collectRune, parseCount, parsePolicy, parseSizeOption } from '../options.js';
import { endQuietlyWhenStdoutCloses } from '../stdout.js';

interface CastFlags {
  rune: Record<string, EventValue>;
  onError: ErrorPolicy;
  deadLetters?: string;
  withPorts?: boolean;
  budget?: number;
  memory?: number;
  stateIndex: string[];
}

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
  // Loaded here, not at the top: `sanctum --help` and the other commands do not pay for them.
  const [{ Subject }, { summon }, { openMemoryStorage }, { StateSession }] = await Promise.all([
    import('rxjs'),
    import('../../spellcraft/spell.js'),
    import('../../storage/index.js'),
    import('../../runtime/state-library.js'),
  ]);
  let spell;
  try {
    spell = await summon(spellFile, {
      runes: flags.rune,
      onError: flags.onError,
      ...(flags.budget !== undefined ? { instructionBudget: flags.budget } : {}),
      ...(flags.memory !== undefined ? { memoryLimit: flags.memory } : {}),
      // The `state` and `timers` libraries, in memory: a cast is one run, with nothing to resume.
      caster: () => {
        const memory = openMemoryStorage();
        return new StateSession(memory.state, 'cast', flags.stateIndex, { timers: memory.timers }).casterOptions();
      },
    });
  } catch (e) {
    if (!(e instanceof SpellError)) throw e;
    process.stderr.write(`${e.message}\n${e.sourceLine ? `  ${e.sourceLine}\n` : ''}`);
    return EXIT.INVALID;
  }
  const out = new LineWriter(process.stdout);
  const dlFile = flags.deadLetters ? createWriteStream(flags.deadLetters) : undefined;
  let failed = 0; // events that failed (not init or finish)
  let hookFailures = 0;
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
  const input = new Subject<EventValue>();
  const done = new Promise<void>((resolve) => {
    input.pipe(spell.routed()).subscribe({
      next: (o) => {
        if (o.kind === 'dead-letter') return reportDeadLetter(o.deadLetter);
        out.write(flags.withPorts ? JSON.stringify({ port: o.port, event: o.event }) : JSON.stringify(o.event));
      },
      error: (e: unknown) => {
        stopped = e;
        resolve();
      },
      complete: () => resolve(),
    });
  });
  const reportProblem = (p: InputProblem) => {
    failed++;
    process.stderr.write(`${p.source}:${p.line}: ${p.message}\n`);
    if (flags.onError === 'dead-letter') dlFile?.write(`${JSON.stringify({ code: p.code, file: p.source, line: p.line, message: p.message, text: p.text })}\n`);
    if (flags.onError === 'stop') stopped = inputStop = new Error(`${p.source}:${p.line}: ${p.message}`);
  };
  try {
    // A batch per chunk read; its events and refused lines are handled in line order.
    for await (const { events, problems } of readNdjsonBatches(files)) {
      let from = 0;
      for (let k = 0; k <= problems.length && !stopped; k++) {
        const upTo = k < problems.length ? problems[k]!.at : events.length;
        for (; from < upTo && !stopped; from++) {
          read++;
          input.next(events[from]!);
        }
        if (k < problems.length && !stopped) {
          read++;
          reportProblem(problems[k]!);
        }
      }
      if (stopped) break;
      if (out.full) await out.flush();
    }
  } catch (e) {
    process.stderr.write(`sanctum cast: cannot read input: ${(e as Error).message}\n`);
    return EXIT.INVALID;
  }
  // Stopped by a bad line, the input ends there: the spell finishes as at the end of the input.
  if (!stopped || stopped === inputStop) input.complete();
  await done;
  await out.flush();
  if (dlFile) await new Promise((r) => dlFile.end(r));
  if (stopped instanceof SpellError) {
    if (stopped.event !== undefined) failed++;
    else hookFailures++;
    process.stderr.write(`${stopped.message}\n${stopped.event !== undefined ? `  event: ${JSON.stringify(stopped.event)}\n` : ''}stopped (--on-error stop)\n`);
  }
  failed += spell.stats.skipped; // skipped events were logged by the spell's logger
  const summary = [
    failed > 0 || stopped ? `${failed} of ${read} events failed` : '',
    hookFailures > 0 ? `${hookFailures} init/finish failure${hookFailures > 1 ? 's' : ''}` : '',
  ].filter(Boolean);
  if (summary.length) process.stderr.write(`${summary.join('; ')}${stopped ? ' (stopped)' : ''}\n`);
  return failed > 0 || hookFailures > 0 || stopped ? EXIT.FAILURES : EXIT.OK;
}
