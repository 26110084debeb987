/**
 * Replay: re-run a durable pipeline from a chosen sequence number into fresh state — a new spell
 * version over old events. Its spells' state is cleared, its input position moved back, and it
 * consumes the log again with the same consumer loop as a run; its outputs are appended to its
 * output streams after the earlier ones.
 */
import { Writable } from 'node:stream';
import type { Storage } from '../core/storage.js';
import type { Runeset } from '../runes/runeset.js';
import { SanctumError } from '../core/errors.js';
import { stateNamespace } from './durable.js';
import { levelFilter, summonSpells, wire } from './run.js';

export interface ReplayOptions {
  /** Called after each batch with the sequence number reached and the last one to reach. */
  readonly onProgress?: (seq: number, last: number) => void;
}

export interface ReplayReport {
  readonly pipeline: string;
  readonly from: number;
  readonly events: number;
  readonly deadLetters: number;
  /** Events appended to each output stream. */
  readonly appended: Readonly<Record<string, number>>;
}

export async function replayPipeline(runeset: Runeset, storage: Storage, name: string, fromSeq: number, options: ReplayOptions = {}): Promise<ReplayReport> {
  const p = runeset.pipelines[name];
  if (!p) throw new SanctumError('USAGE', `no pipeline '${name}' in the runeset (pipelines: ${Object.keys(runeset.pipelines).join(', ')})`);
  const notDurable = p.from.filter((s) => !runeset.streams[s]?.durable);
  if (notDurable.length)
    throw new SanctumError(
      'USAGE',
      `pipeline '${name}' reads ${notDurable.join(', ')}, which ${notDurable.length > 1 ? 'are' : 'is'} not durable: only pipelines over durable streams can be replayed`,
    );
  if (!Number.isInteger(fromSeq) || fromSeq < 1) throw new SanctumError('USAGE', `--from must be a sequence number of at least 1, got ${fromSeq}`);

  // A position past the end would skip, forever, the events appended later below it.
  const inputs = p.from.map((s) => ({ stream: s, last: storage.log.lastSeq(s), at: storage.offsets.get(`pipeline:${p.name}`, s) }));
  const past = inputs.filter((i) => fromSeq > i.last + 1);
  if (past.length) {
    const where = past.map((i) => `stream '${i.stream}' (its last seq is ${i.last})`).join(' and ');
    throw new SanctumError(
      'USAGE',
      `--from ${fromSeq} is past the end of ${where}: give --from ${Math.min(...past.map((i) => i.last + 1))} or less; nothing was changed`,
    );
  }

  const before = Object.fromEntries(Object.values(runeset.streams).map((s) => [s.name, storage.log.lastSeq(s.name)]));
  // Fresh state for every spell of the pipeline, and the input position moved back: one transaction,
  // fenced on the positions just read (a `sanctum run` of the pipeline committing meanwhile is a conflict).
  storage.commitBatch({
    clearState: [...new Set(p.steps.map((step) => stateNamespace(step.spell)))],
    positions: inputs.map((i) => ({ name: `pipeline:${p.name}`, stream: i.stream, seq: fromSeq - 1, expected: i.at })),
  });

  // Only this pipeline, over the same log: the run's consumer loop, with no sources and no sinks.
  const only: Runeset = { ...runeset, sources: {}, sinks: {}, pipelines: { [name]: p } };
  const spells = await summonSpells(only, levelFilter(runeset.sanctum.log_level));
  const last = Math.max(...p.from.map((s) => storage.log.lastSeq(s)));
  const progress = options.onProgress;
  const wiring = wire(only, spells, {
    storage,
    withSources: false,
    sliceMs: 50,
    ...(progress ? { onCommit: (_p: string, _s: string, seq: number) => progress(seq, last) } : {}),
  });
  const report = await wiring.run({ stdio: { stdout: devNull(), stderr: devNull() } }, []);
  const appended = Object.fromEntries(
    Object.values(runeset.streams)
      .map((s) => [s.name, storage.log.lastSeq(s.name) - (before[s.name] ?? 0)] as const)
      .filter(([, n]) => n > 0),
  );
  return { pipeline: name, from: fromSeq, events: report.cast[name] ?? 0, deadLetters: report.deadLetters, appended };
}

function devNull(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}
