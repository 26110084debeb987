/**
 * Test hooks stay in tests (STYLE.md 14): production code reads no test-only environment variable,
 * takes no fault-injection option and never pauses to widen a window for a test. A test that needs a
 * fault or a probe wraps the port (test/storage/faults.ts; the crash test's split-commit decorator).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function sources(dir = SRC): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : /\.(ts|lua)$/.test(name) ? [p] : [];
  });
}

/** What a test hook looks like, and what to do instead. */
const HOOKS: readonly [RegExp, string][] = [
  [/SANCTUM_TEST/, 'an environment variable for tests'],
  [/\bbeforeCommit\b|\bStorageFaults\b|\bfaults\??:|\.faults\b/, 'a fault-injection option'],
  [/\bsplitCommit\b|\bonSplitWindow\b/, 'a test-only commit mode'],
  [/\bAtomics\.wait\b/, 'a pause that widens a window for a test'],
  [/failure injection|for tests only|test hook/i, 'an option documented as being for tests'],
];

/** Lines that look like a hook and are not, each with why: `file` → the pattern's description. */
const NOT_HOOKS: Readonly<Record<string, { what: string; why: string }>> = {
  'storage/internal/checkpointer.ts': {
    what: 'a pause that widens a window for a test',
    why: 'close() waits, bounded, for the checkpoint worker to close its connection, so the main connection closes last and removes the WAL',
  },
};

/** The only places src/ may touch the environment, each with why. */
const ENV_USES: Readonly<Record<string, string>> = {
  'runes/load.ts': "the default environment of a runeset's ${VAR} references",
  'storage/sqlite.ts': 'SQLITE_USE_URI, set for better-sqlite3 before it loads',
};

const files = sources().map((file) => ({ rel: path.relative(SRC, file).split(path.sep).join('/'), text: readFileSync(file, 'utf8') }));

describe('production code holds no test hooks', () => {
  it('reads src/ (a check that finds no file proves nothing)', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(files.map((f) => f.rel)).toContain('storage/sqlite.ts');
  });

  it.each(HOOKS)('has nothing like %s (%s)', (pattern, what) => {
    const found = files.flatMap(({ rel, text }) =>
      NOT_HOOKS[rel]?.what === what ? [] : text.split('\n').flatMap((line, i) => (pattern.test(line) ? [`src/${rel}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(found, `${what} in production code: wrap the port in the test instead (a storage decorator, test/storage/faults.ts)`).toEqual([]);
  });

  it('touches process.env only where it must', () => {
    const users = files.filter(({ text }) => /\bprocess\.env\b/.test(text)).map((f) => f.rel);
    expect(users.sort()).toEqual(Object.keys(ENV_USES).sort());
  });
});
