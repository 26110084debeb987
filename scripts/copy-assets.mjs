// Copies the non-TypeScript files the runtime reads (the Lua prelude) next to the compiled code.
import fs from 'node:fs';
for (const rel of ['spellcraft/prelude.lua']) {
  fs.mkdirSync(new URL(`../dist/${rel}/..`, import.meta.url), { recursive: true });
  fs.copyFileSync(new URL(`../src/${rel}`, import.meta.url), new URL(`../dist/${rel}`, import.meta.url));
}
