/** Runeset tests: feed marbles into named streams of a runeset, check what arrives on others. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
import { parseDocument } from 'yaml';
import { TestScheduler } from 'rxjs/testing';
import { DEAD_LETTERS, type EventValue } from '../core/event.js';
import { loadRunesetOrThrow } from '../runes/index.js';
import type { Runeset } from '../runes/runeset.js';
import { summonSpells, wire } from '../runtime/run.js';
import { openMemoryStorage } from '../storage/index.js';
import { PartialMatch, compareFrames, type Frame, type SpellCaseResult } from './marbles.js';
import { SpellTestFileError } from './spell-test-file.js';
import { schedulerClock } from '../core/clock.js';
import { expandProgressions, testDurationMs, useVirtualTime } from './virtual-time.js';

const schema = createRequire(import.meta.url)('../../schema/runeset-test.schema.json') as object;
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

export interface RunesetTestCase {
  readonly name: string;
  /** How much time one frame is: `1s` (a bare number is seconds; default 1 ms). */
  readonly frame?: number | string;
  readonly inputs: Readonly<Record<string, string>>;
  readonly values?: Readonly<Record<string, EventValue>>;
  readonly streams: Readonly<Record<string, string>>;
  readonly expect?: Readonly<Record<string, EventValue>>;
}

export interface RunesetTestResult {
  readonly file: string;
  readonly runeset: string;
  readonly results: readonly SpellCaseResult[];
}

/** Runs every case of a runeset-test YAML file. Each case gets fresh spells (fresh Lua state). */
export async function runRunesetTestFile(file: string): Promise<RunesetTestResult> {
  const doc = parseDocument(readFileSync(file, 'utf8'));
  if (doc.errors.length)
    throw new SpellTestFileError(
      file,
      doc.errors.map((e) => e.message.split('\n')[0]!),
    );
  const data = doc.toJS() as { runeset: string; env?: Record<string, string>; frame?: number | string; cases: RunesetTestCase[] };
  if (!validate(data))
    throw new SpellTestFileError(
      file,
      (validate.errors ?? []).map((e) => `${e.instancePath || '(top)'} ${e.message}`),
    );
  const runesetFile = path.resolve(path.dirname(file), data.runeset);
  const runeset = await loadRunesetOrThrow(runesetFile, { env: data.env ?? {} });
  const results: SpellCaseResult[] = [];
  for (const c of data.cases) results.push(await runRunesetCase(runeset, data.frame === undefined || c.frame !== undefined ? c : { ...c, frame: data.frame }));
  return { file, runeset: data.runeset, results };
}

/** Runs one case on a loaded runeset. */
export async function runRunesetCase(runeset: Runeset, c: RunesetTestCase): Promise<SpellCaseResult> {
  const failures: string[] = [];
  for (const s of [...Object.keys(c.inputs), ...Object.keys(c.streams)]) {
    if (!(s in runeset.streams)) failures.push(`the runeset has no stream '${s}' (streams: ${Object.keys(runeset.streams).join(', ')})`);
  }
  if (failures.length) return { name: c.name, passed: false, failures };
  // Spells get `state` over a fresh in-memory store per case; durable pipelines run in memory here,
  // synchronously, so that their outputs land at the frame of their inputs.
  // Ticks and timers run on the scheduler's virtual time: a frame is `frame` of it.
  const frameMs = testDurationMs(c.frame, 1);
  const toFrame = (f: Frame) => ({ ...f, frame: f.frame / frameMs });
  const names = Object.keys(c.streams);
  let checked = 0;
  const scheduler = new TestScheduler((actual, expected) => {
    const name = names[checked++] ?? 'stream';
    const diff = compareFrames((actual as Frame[]).map(toFrame), (expected as Frame[]).map(toFrame));
    if (diff) failures.push(`stream '${name}':\n${diff}`);
  });
  const spells = await summonSpells(runeset, () => {});
  const { graph, consumers } = wire(runeset, spells, {
    storage: openMemoryStorage({ now: () => scheduler.now() }),
    withSources: false,
    sliceMs: Infinity,
    inMemory: true,
    clock: schedulerClock(scheduler),
  });
  const deadLetterStreams = new Set([DEAD_LETTERS, ...Object.values(runeset.pipelines).map((p) => p.dead_letters)]);
  const inputs = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, expandProgressions(v)]));
  const expected = Object.fromEntries(Object.entries(c.streams).map(([k, v]) => [k, expandProgressions(v)]));
  try {
    scheduler.run(({ cold, expectObservable }) => {
      useVirtualTime(scheduler, frameMs, [...Object.values(inputs), ...Object.values(expected)]);
      for (const name of names) {
        const values = deadLetterStreams.has(name)
          ? Object.fromEntries(Object.entries(c.expect ?? {}).map(([k, v]) => [k, new PartialMatch(v as never)]))
          : (c.expect as Record<string, EventValue> | undefined);
        expectObservable(graph.stream(name)).toBe(expected[name]!, values);
      }
      // After the expectations have subscribed (same frame), feed the inputs.
      scheduler.schedule(() => {
        for (const s of deadLetterStreams) {
          if (c.streams[s] !== undefined) continue;
          graph.stream(s).subscribe((dl) => failures.push(`unexpected dead letter on '${s}': ${JSON.stringify(dl)}`));
        }
        for (const [stream, marbles] of Object.entries(inputs)) {
          graph.addProducer(stream);
          cold<EventValue>(marbles, c.values as Record<string, EventValue> | undefined).subscribe({
            next: (e) => graph.next(stream, e),
            error: () => graph.producerDone(stream),
            complete: () => graph.producerDone(stream),
          });
        }
        graph.start();
      });
    });
  } catch (e) {
    failures.push(`the case could not run: ${(e as Error).message}`);
  } finally {
    for (const c of consumers) c.abort();
  }
  return { name: c.name, passed: failures.length === 0, failures };
}
