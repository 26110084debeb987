/** The prelude ships compiled (dist/spellcraft/prelude.luac): a start loads it instead of compiling prelude.lua. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compilePreludeChunk, LuaPool, preludeChunkFile, preludeChunkKey, preludeChunkOrigin, readShippedPrelude } from '../../src/spellcraft/lua-vm.js';
import { tempDir } from '../helpers.js';

const DIST_CHUNK = fileURLToPath(new URL('../../dist/spellcraft/prelude.luac', import.meta.url));
const DIST_VM = new URL('../../dist/spellcraft/lua-vm.js', import.meta.url).href;

describe('the shipped prelude chunk', { timeout: 60_000 }, () => {
  it('the build writes it from src/spellcraft/prelude.lua and this Lua build (run `npm run build` after editing the prelude)', () => {
    expect(existsSync(DIST_CHUNK), DIST_CHUNK).toBe(true);
    const shipped = readShippedPrelude(DIST_CHUNK);
    expect(shipped, 'dist/spellcraft/prelude.luac is stale: npm run build').toBeDefined();
    expect(Buffer.from(shipped!).equals(Buffer.from(compilePreludeChunk()))).toBe(true);
  });

  it('the built runtime loads it rather than compiling the prelude', async () => {
    const dist = (await import(DIST_VM)) as typeof import('../../src/spellcraft/lua-vm.js');
    const state = new dist.LuaPool().openState(1 << 20);
    state.close();
    expect(dist.preludeChunkOrigin()).toBe('shipped');
  });

  it('run from src/ (no chunk beside it) the prelude is compiled', () => {
    new LuaPool().openState(1 << 20).close();
    expect(preludeChunkOrigin()).toBe('compiled');
  });

  it('a chunk made from another prelude or Lua build, a damaged one, or none is refused', () => {
    const chunk = compilePreludeChunk();
    const dir = tempDir();
    const file = (name: string, bytes: Uint8Array) => {
      const p = path.join(dir, name);
      writeFileSync(p, bytes);
      return p;
    };
    const good = file('good.luac', preludeChunkFile(chunk));
    expect(Buffer.from(readShippedPrelude(good)!).equals(Buffer.from(chunk))).toBe(true); // the control

    const [source, build] = preludeChunkKey().split('.');
    expect(readShippedPrelude(file('other-prelude.luac', preludeChunkFile(chunk, `${'0'.repeat(64)}.${build}`)))).toBeUndefined();
    expect(readShippedPrelude(file('other-build.luac', preludeChunkFile(chunk, `${source}.${'0'.repeat(64)}`)))).toBeUndefined();
    const damaged = Buffer.from(readFileSync(good));
    damaged[damaged.length - 5]! ^= 0xff;
    expect(readShippedPrelude(file('damaged.luac', damaged))).toBeUndefined();
    expect(readShippedPrelude(file('no-header.luac', chunk))).toBeUndefined();
    expect(readShippedPrelude(path.join(dir, 'missing.luac'))).toBeUndefined();
  });
});
