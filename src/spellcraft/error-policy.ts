/** The error policies (dead-letter, skip, stop): what a failed cast does, decided in one place for every operator. */
import type { SpellLogger, SpellLogEntry } from './caster.js';
import { CallbackError, deadLetterToJSON, type DeadLetter, type ErrorPolicy, type SpellError } from './errors.js';

export { ERROR_POLICIES, type ErrorPolicy } from './errors.js';

/** A policy and where it sends what it handles; made once per subscription, not per event. */
export interface PolicyTargets {
  readonly policy: ErrorPolicy;
  /** The spell's name, for a CallbackError. */
  readonly spell: string;
  /** Where `skip` warns that it skipped. */
  readonly logger: SpellLogger;
  /** Where `dead-letter` sends the failure with its event. */
  readonly deadLetter: (deadLetter: DeadLetter) => void;
}

/**
 * Applies the policy to a failed `init`, cast or `finish`. Returns undefined when the stream goes
 * on (the failure was dead-lettered or skipped), or the error the operator must end its stream
 * with: the SpellError itself under `stop`, or a CallbackError (CALLBACK_FAILED, the thrown value
 * as `cause`, the dead letter or log entry as `value`) when the deadLetters target or the logger
 * threw — so a failure is never lost on the way to where it was sent.
 *
 * Used by `spell.operator()`/`routed()` and by `castParallel`, so the policies mean the same on one
 * thread and on many.
 */
export function applyErrorPolicy(p: PolicyTargets, error: SpellError): SpellError | CallbackError | undefined {
  if (p.policy === 'stop') return error;
  if (p.policy === 'skip') {
    const entry: SpellLogEntry = {
      spell: error.spell,
      level: 'warn',
      message: `skipped a failed event: ${error.message}`,
      file: error.file,
      line: error.line,
      fields: { code: error.code },
    };
    try {
      p.logger(entry);
    } catch (e) {
      return new CallbackError({ spell: p.spell, callback: 'logger', value: entry }, e);
    }
    return undefined;
  }
  const deadLetter: DeadLetter = { error, event: error.event };
  try {
    p.deadLetter(deadLetter);
  } catch (e) {
    return new CallbackError({ spell: p.spell, callback: 'dead-letters', value: deadLetter }, e);
  }
  return undefined;
}

/** Where dead letters go when nobody said: one JSON line each on stderr. */
export function stderrDeadLetters(deadLetter: DeadLetter): void {
  process.stderr.write(`dead letter: ${JSON.stringify(deadLetterToJSON(deadLetter))}\n`);
}
