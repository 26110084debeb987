// inline.ts: summon a spell from source text, with a smaller budget, and read its stats.
import { from, lastValueFrom, toArray } from 'rxjs';
import { summonSource } from 'sanctum-streams';

const source = `
local spell = {}
function spell.cast(e)
  while e.spin do end -- never ends for { spin = true }
  return { ok = e.id }
end
return spell
`;

export async function main() {
  const spell = await summonSource(source, {
    name: 'spinner',
    instructionBudget: 100_000, // Lua instructions per call (default 10,000,000)
    memoryLimit: 8 * 1024 * 1024, // bytes of Lua heap (default 64 MiB)
  });
  const codes: string[] = [];
  const out = await lastValueFrom(
    from([{ id: 1 }, { id: 2, spin: true }, { id: 3 }]).pipe(
      spell.operator({ deadLetters: (dl) => codes.push(`${dl.error.code} at ${dl.error.file}:${dl.error.line}`) }),
      toArray(),
    ),
  );
  const { casts, emitted, failed, deadLettered } = spell.stats;
  return { out, codes, stats: { casts, emitted, failed, deadLettered } };
}
