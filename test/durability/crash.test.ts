/**
 * Crash tests that really kill processes (recipe R2 of shared/notes/storage.md): `sanctum run` on a
 * durable pipeline with a stateful spell is SIGKILLed at random moments, restarted each time, then
 * left to finish. Every input must come out exactly once and the state must be exact. The negative
 * control commits the input position in a separate transaction (a storage decorator in a test-side
 * runner, fixtures/split-commit-run.ts) and must be caught duplicating. The log port group-commits
 * the batches of the source, the pipeline and the durable sink that come in one turn (one
 * transaction, each batch its own unit); its negative control (fixtures/split-group-run.ts) commits a
 * group's effects and its positions in two transactions, and must be caught too.
 */
import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { openSqliteStorage } from '../../src/storage/index.js';
import { BIN } from '../cli/run-cli.js';
import { tempDir } from '../helpers.js';

// Twice what 16 kills use up on an idle machine (≈4,600 events in the positive test): a run that reached
// the end of the input would exit instead of being killed.
const N = 12_000;
const USERS = 13;

const spell = `local s = {}
function s.cast(e, emit)
  local t = state.get(e.user) or { total = 0, n = 0 }
  t.total = t.total + e.amount
  t.n = t.n + 1
  state.put(e.user, t)
  emit({ id = e.id, user = e.user, running = t.total })
end
return s
`;

const runeset = `version: 1
sanctum: { batch_size: 25, log_level: error }
streams:
  in: { durable: true }
  out: { durable: true }
spells:
  sum: { file: sum.lua }
sources:
  file: { type: file, path: in.ndjson, to: in }
pipelines:
  sum: { from: in, steps: [sum], to: out }
sinks:
  file: { type: file, from: out, path: out.ndjson }
`;

function setup(): string {
  const lines: string[] = [];
  for (let i = 1; i <= N; i++) lines.push(JSON.stringify({ id: i, user: `u${i % USERS}`, amount: (i * 7) % 100 }));
  return tempDir({ 'sum.lua': spell, 'r.yaml': runeset, 'in.ndjson': `${lines.join('\n')}\n` });
}

const CONTROLS = {
  split: new URL('./fixtures/split-commit-run.ts', import.meta.url).pathname,
  group: new URL('./fixtures/split-group-run.ts', import.meta.url).pathname,
};
type Control = keyof typeof CONTROLS | undefined;
/** tsx's loader by its full address: the runner's working directory is a temporary one. */
const TSX = import.meta.resolve('tsx');

/** The consumer's committed position, read by another connection (0 before the file exists). */
function position(dir: string): number {
  try {
    const storage = openSqliteStorage({ dir: `${dir}/.sanctum/r`, create: false, verify: 'none' });
    try {
      return storage.offsets.get('pipeline:sum', 'in');
    } finally {
      storage.close();
    }
  } catch {
    return 0;
  }
}

/**
 * Runs the runeset — `sanctum run`, or the negative control's split-commit runner — as a node process
 * of its own. With `killAfter`, SIGKILLs that process (never a wrapper) a random 0–25 ms after its
 * committed position has moved `killAfter` events past where it started: anywhere in the
 * cast–commit cycle, after real progress, however loaded the machine. Resolves with its exit code or signal.
 */
function run(dir: string, control: Control, killAfter?: number): Promise<string> {
  const args = control ? ['--import', TSX, CONTROLS[control], 'r.yaml'] : [BIN, 'run', 'r.yaml', '--quiet'];
  const start = position(dir);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'ignore', 'ignore'] });
    let timer: NodeJS.Timeout | undefined;
    let ended = false;
    const watch = () => {
      if (ended || timer) return;
      if (position(dir) - start >= killAfter!) timer = setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 25));
      else setTimeout(watch, 5);
    };
    if (killAfter !== undefined) watch();
    child.on('close', (code, signal) => {
      ended = true;
      if (timer) clearTimeout(timer);
      resolve(signal ?? String(code));
    });
  });
}

interface Verdict {
  outputs: number;
  /** Distinct ids the durable sink wrote to its file (at least once: a kill may write a batch twice). */
  sunk: number;
  distinct: number;
  stateExact: boolean;
  position: number;
}

function verdict(dir: string): Verdict {
  const storage = openSqliteStorage({ dir: `${dir}/.sanctum/r` });
  try {
    const out = storage.log.read('out', 1, N * 3).map((e) => e.event as { id: number });
    const expected = new Map<string, { total: number; n: number }>();
    for (let i = 1; i <= N; i++) {
      const u = `u${i % USERS}`;
      const t = expected.get(u) ?? { total: 0, n: 0 };
      t.total += (i * 7) % 100;
      t.n++;
      expected.set(u, t);
    }
    const stateExact = [...expected].every(([u, t]) => isDeepStrictEqual(storage.state.get('sum', u), t));
    const sunk = new Set(
      fs
        .readFileSync(`${dir}/out.ndjson`, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => (JSON.parse(l) as { id: number }).id),
    ).size;
    return { outputs: out.length, sunk, distinct: new Set(out.map((e) => e.id)).size, stateExact, position: storage.offsets.get('pipeline:sum', 'in') };
  } finally {
    storage.close();
  }
}

async function killRepeatedly(dir: string, control: Control, kills: number): Promise<string[]> {
  const ends: string[] = [];
  for (let k = 0; k < kills; k++) ends.push(await run(dir, control, 25 * (1 + Math.floor(Math.random() * 8))));
  ends.push(await run(dir, control));
  return ends;
}

describe('crash recovery (kill -9 under load)', () => {
  it('exactly-once: every input out once, state exact, after 15+ kills at random moments', async () => {
    const dir = setup();
    const ends = await killRepeatedly(dir, undefined, 16);
    expect(ends.filter((e) => e === 'SIGKILL').length).toBeGreaterThanOrEqual(15);
    expect(ends[ends.length - 1]).toBe('0');
    const v = verdict(dir);
    expect(v).toEqual({ outputs: N, sunk: N, distinct: N, stateExact: true, position: N });
  }, 600_000);

  it('negative control: committing the position separately is caught duplicating outputs', async () => {
    const dir = setup();
    const ends = await killRepeatedly(dir, 'split', 16);
    expect(ends.filter((e) => e === 'SIGKILL').length).toBeGreaterThanOrEqual(15);
    const v = verdict(dir);
    // Every input was processed (the last run finished), but kills between the two commits replayed
    // batches: more outputs than inputs, and state counted twice. The test above would fail.
    expect(v.distinct).toBe(N);
    expect(v.outputs).toBeGreaterThan(N);
    expect(v.stateExact).toBe(false);
  }, 600_000);

  it("negative control: a group commit that commits its batches' effects and positions apart is caught duplicating", async () => {
    const dir = setup();
    const ends = await killRepeatedly(dir, 'group', 16);
    expect(ends.filter((e) => e === 'SIGKILL').length).toBeGreaterThanOrEqual(15);
    const v = verdict(dir);
    expect(v.distinct).toBe(N);
    expect(v.outputs).toBeGreaterThan(N);
    expect(v.stateExact).toBe(false);
  }, 600_000);
});
