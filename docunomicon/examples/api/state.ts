// state.ts: a spell's state in a SQLite file, kept from one summon (one process) to the next.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { from, lastValueFrom, toArray } from 'rxjs';
import { openSqliteStorage, spellState, summon, type EventValue } from 'sanctum-streams';

/** One run: the store opened over the same file, the spell summoned again, a few scores through it. */
async function run(dir: string, scores: EventValue[]) {
  const storage = openSqliteStorage({ dir });
  try {
    const leaderboard = await summon('examples/durable/leaderboard.lua', {
      state: spellState({ storage, indexes: ['total'] }), // its finish queries the index on `total`
    });
    const out = await lastValueFrom(from(scores).pipe(leaderboard, toArray()));
    return out.filter((e) => typeof e === 'object' && e !== null && 'rank' in e); // the top three, from finish
  } finally {
    storage.close(); // the state committed as the input completed
  }
}

export async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'leaderboard-'));
  try {
    const first = await run(dir, [{ player: 'ada', points: 30 }, { player: 'bo', points: 20 }]);
    const second = await run(dir, [{ player: 'bo', points: 25 }, { player: 'cy', points: 10 }]);
    return { first, second };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
