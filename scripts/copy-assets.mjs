// Copies the non-TypeScript files the runtime reads (the Lua prelude, the bundled Lua modules) next to the compiled code,
// and writes the prelude compiled (dist/spellcraft/prelude.luac).
import fs from 'node:fs';
const lib = fs.readdirSync(new URL('../src/spellcraft/lib/', import.meta.url), { recursive: true }).filter((f) => String(f).endsWith('.lua'));
for (const rel of ['spellcraft/prelude.lua', ...lib.map((f) => `spellcraft/lib/${f}`)]) {
  fs.mkdirSync(new URL(`../dist/${rel}/..`, import.meta.url), { recursive: true });
  fs.copyFileSync(new URL(`../src/${rel}`, import.meta.url), new URL(`../dist/${rel}`, import.meta.url));
}
// The prelude compiled once here, not at every start (lua-vm.ts readShippedPrelude loads it when it matches).
const { compilePreludeChunk, preludeChunkFile, PRELUDE_CHUNK_FILE } = await import('../dist/spellcraft/lua-vm.js');
fs.writeFileSync(PRELUDE_CHUNK_FILE, preludeChunkFile(compilePreludeChunk()));
