import { describe, it, expect } from 'vitest';
import { PassThrough } from 'node:stream';
import { lastValueFrom, toArray, filter } from 'rxjs';
import { loadRunesetOrThrow, openRuneset, summon, type EventValue } from '../../src/index.js';
import { tempDir } from '../helpers.js';

const files = {
  'tag.lua': 'local s = {} local tag function s.init(r) tag = r.tag end function s.cast(e) return { v = e.v, tag = tag } end return s',
  'split.lua': 'local s = {} function s.cast(e, emit) if e.v % 2 == 0 then emit(e, "even") else emit(e) end end return s',
  'count.lua': 'local s = {} local n = 0 function s.cast(e) n = n + 1 end function s.finish(emit) emit({ n = n }) end return s',
  'r.yaml': `version: 1
streams:
  a: {}
  b: {}
  merged: {}
  odd: {}
  even: {}
  counts: {}
spells:
  tag-a: { file: tag.lua, runes: { tag: a } }
  tag-b: { file: tag.lua, runes: { tag: b } }
  split: { file: split.lua }
  count: { file: count.lua }
pipelines:
  from-a: { from: a, steps: [tag-a], to: merged }
  from-b: { from: b, steps: [tag-b], to: merged }
  split:
    from: merged
    steps:
      - spell: split
        ports: { even: even }
    to: odd
  count: { from: [odd, even], steps: [count], to: counts }
`,
};

describe('runesets from TypeScript', () => {
  it('wires streams: fan-in, ports, multi-stream pipelines, completion after every producer', async () => {
    const dir = tempDir(files);
    const runeset = await loadRunesetOrThrow(`${dir}/r.yaml`);
    const opened = await openRuneset(runeset);
    const odd = lastValueFrom(opened.graph.stream('odd').pipe(toArray()));
    const even = lastValueFrom(opened.graph.stream('even').pipe(toArray()));
    const counts = lastValueFrom(opened.graph.stream('counts').pipe(toArray()));
    // No sources: feed the input streams from code, as an external producer would.
    opened.graph.addProducer('a');
    opened.graph.addProducer('b');
    const report = opened.run({ stdio: { stdout: new PassThrough(), stderr: new PassThrough() } });
    for (const v of [1, 2, 3]) opened.graph.next('a', { v });
    opened.graph.next('b', { v: 4 });
    opened.graph.producerDone('a');
    opened.graph.next('b', { v: 5 });
    opened.graph.producerDone('b');
    expect(await odd).toEqual([
      { v: 1, tag: 'a' },
      { v: 3, tag: 'a' },
      { v: 5, tag: 'b' },
    ]);
    expect(await even).toEqual([
      { v: 2, tag: 'a' },
      { v: 4, tag: 'b' },
    ]);
    expect(await counts).toEqual([{ n: 5 }]);
    expect((await report).deadLetters).toBe(0);
  });

  it('mixes a runeset stream with a spell and RxJS operators in user code', async () => {
    const dir = tempDir(files);
    const opened = await openRuneset(await loadRunesetOrThrow(`${dir}/r.yaml`));
    const tag = await summon(`${dir}/tag.lua`, { runes: { tag: 'mine' } });
    const mine = lastValueFrom(
      opened.graph.stream('odd').pipe(
        filter((e) => (e as { v: number }).v > 1),
        tag,
        toArray(),
      ),
    );
    opened.graph.addProducer('a');
    opened.graph.addProducer('b');
    const done = opened.run({ stdio: { stdout: new PassThrough(), stderr: new PassThrough() } });
    for (const v of [1, 3, 5]) opened.graph.next('a', { v } as EventValue);
    opened.graph.producerDone('a');
    opened.graph.producerDone('b');
    await done;
    expect(await mine).toEqual([
      { v: 3, tag: 'mine' },
      { v: 5, tag: 'mine' },
    ]);
  });
});
