// summon-errors.ts: a spell that cannot be used fails at summon, with a SpellError.
import { summon, summonSource, SpellError } from 'sanctum-streams';

async function failure(summoning: Promise<unknown>) {
  try {
    await summoning;
    return 'summoned';
  } catch (e) {
    if (!(e instanceof SpellError)) throw e;
    return { code: e.code, message: e.message, line: e.line ?? null, sourceLine: e.sourceLine ?? null };
  }
}

export async function main() {
  return [
    await failure(summon('examples/no-such-spell.lua')),
    await failure(summonSource('local spell = {}\nfunction spell.cast(e)\n  return e +\nend\nreturn spell\n', { name: 'typo' })),
    await failure(summonSource('return { init = function() end }', { name: 'no-cast' })),
  ];
}
