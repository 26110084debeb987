/**
 * The spell regression harness: a spell's expected behaviour written once as marble diagrams,
 * run deterministically on RxJS's TestScheduler. Framework-free: vitest and `sanctum test` share it.
 */
import { filter, map, share, type Observable, type Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { EventValue } from '../core/event.js';
import { DEFAULT_PORT } from '../core/event.js';
import { SpellError, type DeadLetter } from '../spellcraft/errors.js';
import { summon, type ErrorPolicy, type Spell, type SummonOptions } from '../spellcraft/spell.js';
import type { SpellLogEntry } from '../spellcraft/caster.js';
import path from 'node:path';
import { openMemoryStorage } from '../storage/index.js';
import { StateSession } from '../runtime/state-library.js';
import type { Clock } from '../core/clock.js';
import { expandProgressions, testDurationMs, useVirtualTime } from './virtual-time.js';
import { SanctumError } from '../core/errors.js';
import { parseDuration } from '../core/units.js';
import { suggest } from '../runes/suggest.js';

/**
 * What a dead letter, or the error of a `#`, must look like; only the fields given are checked.
 * `message` is a part of the message (Lua's own message for a spell's failure).
 */
export interface ErrorMatch {
  readonly code?: string;
  readonly line?: number;
  readonly hook?: string;
  readonly message?: string;
  readonly file?: string;
  readonly event?: EventValue;
}
/** What a dead letter must look like (see {@link ErrorMatch}). */
export type DeadLetterMatch = ErrorMatch;

/** The error an input's `#` raises: what `error: { message: input error }` matches. */
export const INPUT_ERROR_MESSAGE = 'input error';

/** One case: input marbles and values, and what must come out of each port and the dead letters. */
export interface SpellMarbleCase {
  readonly name: string;
  /** How many ms of spell time one frame is (default 1): `sanctum.now()`, ticks and timers follow the frames. */
  readonly frameMs?: number;
  /** The same as the YAML file's `frame`: a duration such as `'1s'` (a bare number is seconds). */
  readonly frame?: number | string;
  /** Call the spell's `tick(now, emit)` every this many ms of spell time. */
  readonly tickMs?: number;
  /** The same as the YAML file's `tick`: a duration such as `'1m'`. */
  readonly tick?: number | string;
  /** Runes for this case (merged over the suite's). */
  readonly runes?: Readonly<Record<string, EventValue>>;
  readonly onError?: ErrorPolicy;
  readonly instructionBudget?: number;
  readonly memoryLimit?: number;
  /**
   * Input marbles, e.g. `-a-b-|`. Values default to the letters themselves as strings. A `#` errors
   * the input with an Error whose message is `input error`.
   */
  readonly input: string;
  readonly values?: Readonly<Record<string, EventValue>>;
  /** Expected marbles on the default port. */
  readonly output: string;
  /** What the error of a `#` in the expected marbles must match; without it, any error does. */
  readonly error?: ErrorMatch;
  /** The expected subscription of the spell to its input, e.g. `^---!` (checked only when given). */
  readonly subscription?: string;
  /** When the spell's outputs are unsubscribed, e.g. `---!`: an early unsubscribe. */
  readonly unsubscribe?: string;
  /** Values of the output marbles (all ports). */
  readonly expect?: Readonly<Record<string, EventValue>>;
  /** Expected marbles on named ports. A port not listed must receive nothing. */
  readonly ports?: Readonly<Record<string, string>>;
  /** Expected marbles of dead letters; omitted means: none may occur. */
  readonly deadLetters?: string;
  readonly deadLetterValues?: Readonly<Record<string, DeadLetterMatch>>;
  /** The spell's durable state before the case runs (key → value). */
  readonly state?: Readonly<Record<string, EventValue>>;
  /** The state the case must leave, for the keys given (null: the key must be absent). */
  readonly expectState?: Readonly<Record<string, EventValue>>;
}

/** A suite: one spell, shared runes, many cases. */
export interface SpellMarbleSuite {
  /** The spell file (relative paths resolve against `baseDir`). */
  readonly spell: string;
  readonly baseDir?: string;
  readonly runes?: Readonly<Record<string, EventValue>>;
  /** Value fields the spell's `state.query` may use (as `spells.<name>.state.indexes` in a runeset). */
  readonly stateIndexes?: readonly string[];
  /** The same as the YAML file's `state: { indexes: [...] }`. */
  readonly state?: { readonly indexes?: readonly string[] };
  /** Every case's `frame` and `tick`, as in the YAML file (a case's own win). */
  readonly frame?: number | string;
  readonly tick?: number | string;
  readonly cases: readonly SpellMarbleCase[];
}

const SUITE_KEYS = ['spell', 'baseDir', 'runes', 'stateIndexes', 'state', 'frame', 'tick', 'cases'];
const CASE_KEYS = [
  'name',
  'frameMs',
  'frame',
  'tickMs',
  'tick',
  'runes',
  'onError',
  'instructionBudget',
  'memoryLimit',
  'input',
  'values',
  'output',
  'error',
  'subscription',
  'unsubscribe',
  'expect',
  'ports',
  'deadLetters',
  'deadLetterValues',
  'state',
  'expectState',
];
/** The YAML names whose TypeScript names are not just camelCase. */
const YAML_NAMES: Readonly<Record<string, string>> = { budget: 'instructionBudget and memoryLimit' };

/**
 * A suite written in TypeScript, checked and made plain: a key the harness does not know is an error
 * (with the key meant, so that a misspelled or YAML-spelled key is never silently ignored), the
 * YAML-shaped `state.indexes` joins `stateIndexes`, and the suite's `frame` and `tick` go to its cases.
 */
export function checkSuite(suite: SpellMarbleSuite): SpellMarbleSuite {
  const problems: string[] = [];
  const unknown = (where: string, o: object, known: readonly string[]) => {
    for (const k of Object.keys(o)) {
      if (known.includes(k)) continue;
      const meant =
        YAML_NAMES[k] ??
        suggest(k, known) ??
        suggest(
          k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()),
          known,
        );
      problems.push(`${where} has an unknown key '${k}'${meant ? `; did you mean ${YAML_NAMES[k] ?? `'${meant}'`}?` : ''}`);
    }
  };
  if (suite === null || typeof suite !== 'object') throw new SpellSuiteError([`the suite must be an object, got ${suite === null ? 'null' : typeof suite}`]);
  unknown('the suite', suite, SUITE_KEYS);
  if (suite.state !== undefined) unknown("the suite's state", suite.state ?? {}, ['indexes']);
  if (!Array.isArray(suite.cases) || suite.cases.length === 0) problems.push('the suite needs cases: a list of at least one case');
  const cases = Array.isArray(suite.cases) ? suite.cases : [];
  const duration = (where: string, v: unknown) => {
    if (v !== undefined && parseDuration(v) === undefined)
      problems.push(
        `${where} is ${JSON.stringify(v)}: write a duration as a whole number and a unit: ms, s, m, h or d (e.g. '250ms', '10s', '5m'); a bare number is seconds`,
      );
  };
  duration("the suite's frame", suite.frame);
  duration("the suite's tick", suite.tick);
  cases.forEach((c, i) => {
    const where = `case ${i + 1}${typeof c?.name === 'string' ? ` ('${c.name}')` : ''}`;
    unknown(where, c ?? {}, CASE_KEYS);
    duration(`${where}: frame`, c?.frame);
    duration(`${where}: tick`, c?.tick);
  });
  if (problems.length > 0) throw new SpellSuiteError(problems);
  // The suite's frame and tick reach each case that has none of its own; runCaseOn reads them.
  const frame = suite.frame;
  const tick = suite.tick;
  return {
    ...suite,
    stateIndexes: [...(suite.stateIndexes ?? []), ...(suite.state?.indexes ?? [])],
    cases: cases.map((c) => ({
      ...c,
      ...(c.frame === undefined && frame !== undefined ? { frame } : {}),
      ...(c.tick === undefined && tick !== undefined ? { tick } : {}),
    })),
  };
}

/** A suite given in TypeScript that is not valid: every problem. */
export class SpellSuiteError extends SanctumError {
  constructor(readonly problems: readonly string[]) {
    super('USAGE', `invalid spell suite:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'SpellSuiteError';
  }
}

export interface SpellCaseResult {
  readonly name: string;
  readonly passed: boolean;
  /** What differed, readable as it is. */
  readonly failures: readonly string[];
}

const NO_LOGS = (_: SpellLogEntry) => {};

/** An expected value (a dead letter, an error) matched on the fields it names (`message`: a substring). */
export class PartialMatch {
  constructor(readonly expected: ErrorMatch) {}
}

/** Runs one case against a spell file. Never throws for a behaviour mismatch: it reports it. */
export async function runSpellCase(
  spellFile: string,
  suiteRunes: Readonly<Record<string, EventValue>> | undefined,
  c: SpellMarbleCase,
  options: SummonOptions = {},
  stateIndexes: readonly string[] = [],
): Promise<SpellCaseResult> {
  let spell: Spell;
  // Each case gets a fresh in-memory store for the `state` library, seeded with the case's state.
  const storage = openMemoryStorage();
  const ns = options.name ?? path.basename(spellFile).replace(/\.lua$/, '');
  for (const [k, v] of Object.entries(c.state ?? {})) storage.state.put(ns, k, v);
  const sessions: StateSession[] = [];
  // The case's virtual clock, once it runs: TTLs count on it too.
  const time: { clock?: Clock } = {};
  try {
    spell = await summon(spellFile, {
      logger: NO_LOGS,
      caster: () => {
        const session = new StateSession(storage.state, ns, stateIndexes, { timers: storage.timers, now: () => time.clock?.now() ?? 0 });
        sessions.push(session);
        return session.casterOptions();
      },
      ...options,
      runes: { ...suiteRunes, ...c.runes },
      onError: c.onError ?? 'dead-letter',
      ...(c.instructionBudget !== undefined ? { instructionBudget: c.instructionBudget } : {}),
      ...(c.memoryLimit !== undefined ? { memoryLimit: c.memoryLimit } : {}),
    });
  } catch (e) {
    return { name: c.name, passed: false, failures: [`the spell did not summon: ${(e as Error).message}`] };
  }
  const result = runCaseOn(spell, c, time);
  if (c.expectState === undefined) return result;
  // The last session is the case's caster (the first belongs to summon's compile check).
  const session = sessions[sessions.length - 1]!;
  const failures = [...result.failures];
  for (const [k, want] of Object.entries(c.expectState)) {
    const got = session.get(k);
    if (!deepEqual(got ?? null, want)) failures.push(`state '${k}':\n  expected: ${JSON.stringify(want)}\n  actual:   ${JSON.stringify(got ?? null)}`);
  }
  return { name: c.name, passed: failures.length === 0, failures };
}

/**
 * Runs one case against a summoned spell (its runes are the spell's own), in virtual time: its
 * clock is set in `time` while the case runs.
 */
export function runCaseOn(spell: Spell, c: SpellMarbleCase, time: { clock?: Clock } = {}): SpellCaseResult {
  const failures: string[] = [];
  // The scheduler checks the expectations in the order they were declared: each declares its name here.
  const names: string[] = [];
  // A case passed here directly may give the YAML-shaped `frame` and `tick` (checkSuite turns a suite's into ms).
  const frameMs = c.frameMs ?? (c.frame !== undefined ? testDurationMs(c.frame, 1) : 1);
  const tickMs = c.tickMs ?? (c.tick !== undefined ? testDurationMs(c.tick, 0) : undefined);
  const toFrame = (ms: number) => ms / frameMs;
  const scheduler = new TestScheduler((actual, expected) => {
    const name = names.shift() ?? 'stream';
    const diff =
      name === SUBSCRIPTION
        ? compareSubscriptions(
            (actual as SubscriptionLog[]).map((l) => subscriptionInFrames(l, toFrame)),
            (expected as SubscriptionLog[]).map((l) => subscriptionInFrames(l, toFrame)),
          )
        : compareFrames(
            (actual as Frame[]).map((f) => ({ ...f, frame: toFrame(f.frame) })),
            (expected as Frame[]).map((f) => ({ ...f, frame: toFrame(f.frame) })),
          );
    if (diff) failures.push(`${name}:\n${diff}`);
  });
  c = {
    ...c,
    input: expandProgressions(c.input),
    output: expandProgressions(c.output),
    ...(c.deadLetters !== undefined ? { deadLetters: expandProgressions(c.deadLetters) } : {}),
    ...(c.ports ? { ports: Object.fromEntries(Object.entries(c.ports).map(([k, v]) => [k, expandProgressions(v)])) } : {}),
  };
  // Without `values` (or `expect`), a letter is its own value, as in RxJS (an input `a` is the event
  // "a"); with them, a letter they do not give would be `undefined`. A dead letter's letter needs a
  // matcher. Say which letter, rather than compare against nothing.
  const unnamed = [
    ...lettersWithout(c.input, c.values, 'input', 'values'),
    ...lettersWithout(c.output, c.expect, 'output', 'expect'),
    ...Object.entries(c.ports ?? {}).flatMap(([name, marbles]) => lettersWithout(marbles, c.expect, `port '${name}'`, 'expect')),
    ...lettersWithout(c.deadLetters, c.deadLetterValues ?? {}, 'dead_letters', 'dead_letter_values'),
  ];
  if (unnamed.length > 0) return { name: c.name, passed: false, failures: unnamed };
  const stray: string[] = [];
  const errorMatch = c.error === undefined ? undefined : new PartialMatch(c.error);
  try {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const virtual = useVirtualTime(scheduler, frameMs, [c.input, c.output, c.deadLetters, c.subscription, c.unsubscribe, ...Object.values(c.ports ?? {})]);
      time.clock = virtual.clock;
      const input = cold<EventValue>(c.input, c.values as Record<string, EventValue> | undefined, new Error(INPUT_ERROR_MESSAGE));
      const routed = input.pipe(
        spell.routed({ onError: c.onError ?? 'dead-letter', clock: virtual.clock, ...(tickMs !== undefined ? { tick: tickMs } : {}) }),
        share(),
      );
      const listed = new Set([DEFAULT_PORT, ...Object.keys(c.ports ?? {})]);
      const until = c.unsubscribe === undefined ? null : c.unsubscribe;
      const expect = (name: string, stream: Observable<unknown>, marbles: string, values: Record<string, unknown> | undefined) => {
        names.push(name);
        expectObservable(stream, until).toBe(marbles, values, errorMatch);
      };
      const port = (name: string): Observable<EventValue> =>
        routed.pipe(
          filter((o) => o.kind === 'event' && o.port === name),
          map((o) => (o.kind === 'event' ? o.event : null)),
        );
      // Dead letters first: the first subscription runs `init`, whose failure is a dead letter too.
      if (c.deadLetters !== undefined) {
        const matchers = Object.fromEntries(Object.entries(c.deadLetterValues ?? {}).map(([k, v]) => [k, new PartialMatch(v)]));
        const deadLetters = routed.pipe(
          filter((o) => o.kind === 'dead-letter'),
          map((o) => (o.kind === 'dead-letter' ? deadLetterFacts(o.deadLetter) : null)),
        );
        expect('dead letters', deadLetters, c.deadLetters, matchers);
      }
      expect(`port '${DEFAULT_PORT}'`, port(DEFAULT_PORT), c.output, c.expect as Record<string, EventValue> | undefined);
      for (const [name, marbles] of Object.entries(c.ports ?? {})) {
        expect(`port '${name}'`, port(name), marbles, c.expect as Record<string, EventValue> | undefined);
      }
      if (c.subscription !== undefined) {
        names.push(SUBSCRIPTION);
        expectSubscriptions(input.subscriptions).toBe(c.subscription);
      }
      // Subscribed last, at frame 0 like the expectations, so that it joins the same shared run; and
      // unsubscribed with them, so that `unsubscribe` ends the spell's subscription to its input.
      let watcher: Subscription | undefined;
      scheduler.schedule(() => {
        watcher = routed.subscribe({
          next: (o) => {
            if (o.kind === 'event' && !listed.has(o.port)) stray.push(`emitted ${JSON.stringify(o.event)} to port '${o.port}', which the case does not list`);
            if (o.kind === 'dead-letter' && c.deadLetters === undefined)
              stray.push(
                `unexpected dead letter: ${o.deadLetter.error.code} ${o.deadLetter.error.message} (event ${JSON.stringify(o.deadLetter.event ?? null)})`,
              );
          },
          error: () => {}, // the expectations check errors
        });
      });
      if (until !== null) {
        const { subscribedFrame, unsubscribedFrame } = TestScheduler.parseMarblesAsSubscriptions(until, true);
        if (subscribedFrame !== Infinity && subscribedFrame !== 0)
          throw new Error(`unsubscribe '${until}': the outputs are subscribed at frame 0, so '^' can only be at the start`);
        if (unsubscribedFrame === Infinity) throw new Error(`unsubscribe '${until}' has no '!': mark the frame of the unsubscription, as in '---!'`);
        scheduler.schedule(() => watcher?.unsubscribe(), unsubscribedFrame);
      }
    });
  } catch (e) {
    failures.push(`the case could not run: ${(e as Error).message}`);
  }
  failures.push(...stray);
  return { name: c.name, passed: failures.length === 0, failures };
}

const SUBSCRIPTION = 'subscription to the input';

/**
 * The letters of `marbles` that `values` gives no value for, each as a failure that says where to
 * give it (none when there is no `values`: each letter is then its own value). Read by RxJS's own
 * marble parser (time progressions, groups and all); a marble it cannot parse is left to the run,
 * which reports it.
 */
function lettersWithout(marbles: string | undefined, values: Readonly<Record<string, unknown>> | undefined, where: string, key: string): string[] {
  if (marbles === undefined || values === undefined) return [];
  const missing = new Set<string>();
  const probe = new Proxy(
    {},
    {
      get: (_, letter) => {
        if (typeof letter === 'string' && !Object.hasOwn(values, letter)) missing.add(letter);
        return undefined;
      },
    },
  );
  try {
    TestScheduler.parseMarbles(marbles, probe, undefined, false, true);
  } catch {
    return [];
  }
  return [...missing].map((letter) => `${where}: the letter '${letter}' has no value in \`${key}\`; give it one (${key}: { ${letter}: ... })`);
}

function subscriptionInFrames(l: SubscriptionLog, toFrame: (ms: number) => number): SubscriptionLog {
  return { subscribedFrame: toFrame(l.subscribedFrame), unsubscribedFrame: l.unsubscribedFrame === Infinity ? Infinity : toFrame(l.unsubscribedFrame) };
}

/** One subscription as TestScheduler logs it (frames; Infinity: never unsubscribed). */
export interface SubscriptionLog {
  readonly subscribedFrame: number;
  readonly unsubscribedFrame: number;
}

function deadLetterFacts(dl: DeadLetter): Record<string, EventValue> {
  const e = dl.error;
  return { code: e.code, line: e.line ?? null, hook: e.hook, message: e.luaMessage, file: e.file, event: dl.event === undefined ? null : dl.event };
}

export interface Frame {
  frame: number;
  notification: { kind: 'N' | 'E' | 'C'; value?: unknown; error?: unknown };
}

/** Compares recorded frames; returns a readable description of the differences, or ''. */
export function compareFrames(actual: Frame[], expected: Frame[]): string {
  const same = actual.length === expected.length && actual.every((a, i) => frameMatches(a, expected[i]!));
  if (same) return '';
  return `  expected:\n${describeFrames(expected)}\n  actual:\n${describeFrames(actual)}`;
}

function frameMatches(a: Frame, e: Frame): boolean {
  if (a.frame !== e.frame || a.notification.kind !== e.notification.kind) return false;
  if (a.notification.kind === 'N') return valueMatches(a.notification.value, e.notification.value);
  // An expected error matches any error unless it says what it expects.
  if (a.notification.kind === 'E' && e.notification.error instanceof PartialMatch) return factsMatch(errorFacts(a.notification.error), e.notification.error);
  return true;
}

function valueMatches(actual: unknown, expected: unknown): boolean {
  if (expected instanceof PartialMatch) return factsMatch(actual as Record<string, unknown>, expected);
  return deepEqual(actual, expected);
}

function factsMatch(facts: Record<string, unknown>, expected: PartialMatch): boolean {
  return Object.entries(expected.expected).every(([k, v]) =>
    k === 'message' ? typeof facts['message'] === 'string' && facts['message'].includes(String(v)) : deepEqual(facts[k], v),
  );
}

/** The fields an ErrorMatch checks, of any error: a SpellError's own, `code` and `message` of others. */
function errorFacts(error: unknown): Record<string, unknown> {
  if (error instanceof SpellError)
    return { code: error.code, line: error.line ?? null, hook: error.hook, message: error.luaMessage, file: error.file, event: error.event ?? null };
  const e = error as { code?: unknown; message?: unknown } | null | undefined;
  const message = typeof e?.message === 'string' ? e.message : typeof error === 'string' ? error : JSON.stringify(error);
  return { code: typeof e?.code === 'string' ? e.code : null, message };
}

function describeError(error: unknown): string {
  if (error instanceof PartialMatch) return `error matching ${JSON.stringify(error.expected)}`;
  if (error instanceof Error) return `error ${(error as { code?: string }).code ?? error.name}: ${error.message}`;
  return `error ${JSON.stringify(error)}`;
}

/** Compares subscription logs (frames of subscribe and unsubscribe); '' when they agree. */
export function compareSubscriptions(actual: SubscriptionLog[], expected: SubscriptionLog[]): string {
  const same =
    actual.length === expected.length &&
    actual.every((a, i) => a.subscribedFrame === expected[i]!.subscribedFrame && a.unsubscribedFrame === expected[i]!.unsubscribedFrame);
  if (same) return '';
  const describe = (logs: SubscriptionLog[]) =>
    logs.length === 0
      ? '    (never subscribed)'
      : logs
          .map(
            (l) =>
              `    subscribed at frame ${l.subscribedFrame}, ${l.unsubscribedFrame === Infinity ? 'never unsubscribed' : `unsubscribed at frame ${l.unsubscribedFrame}`}`,
          )
          .join('\n');
  return `  expected:\n${describe(expected)}\n  actual:\n${describe(actual)}`;
}

/** Structural equality of JSON values (key order ignored). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => deepEqual(v, bb[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function describeFrames(frames: Frame[]): string {
  if (frames.length === 0) return '    (nothing)';
  return frames
    .map((f) => {
      const n = f.notification;
      const what =
        n.kind === 'N'
          ? `next ${n.value instanceof PartialMatch ? `matching ${JSON.stringify(n.value.expected)}` : JSON.stringify(n.value)}`
          : n.kind === 'C'
            ? 'complete'
            : describeError(n.error);
      return `    frame ${f.frame}: ${what}`;
    })
    .join('\n');
}
