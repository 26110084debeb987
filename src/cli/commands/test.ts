/** `sanctum test [paths…]`: run spell-test files (`*.test.yaml`) and report each case. */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import type { SpellCaseResult } from '../../testing/marbles.js';

interface FileResult {
  readonly file: string;
  readonly results: readonly SpellCaseResult[];
}

/** A test file is a runeset test when it names a runeset, else a spell test. */
async function runTestFile(file: string): Promise<FileResult> {
  const [{ parse }, { runSpellTestFile }, { runRunesetTestFile }] = await Promise.all([
    import('yaml'),
    import('../../testing/spell-test-file.js'),
    import('../../testing/runeset-test.js'),
  ]);
  let kind: unknown;
  try {
    kind = (parse(readFileSync(file, 'utf8')) as Record<string, unknown> | null)?.['runeset'];
  } catch {
    kind = undefined; // the spell-test loader reports the YAML error with its position
  }
  return kind !== undefined ? runRunesetTestFile(file) : runSpellTestFile(file);
}
import { EXIT } from '../exit-codes.js';
import { endQuietlyWhenStdoutCloses } from '../stdout.js';

interface TestFlags {
  json?: boolean;
}

export function registerTest(program: Command): void {
  program
    .command('test')
    .description('Run spell tests and runeset tests: every *.test.yaml under the given paths (default: the current directory).')
    .argument('[paths...]', 'test files or directories to search')
    .option('--json', 'print the results as one JSON document')
    .addHelpText(
      'after',
      "\nTime: `frame: 1s` in a test file or a case says how long one frame of its diagrams is (default 1 ms). Cases run on\nvirtual time: sanctum.now() is the frame's instant, ticks (`tick:`) and timers fire at their instants, and what\nthey emit is expected at those frames; when a case's input completes, the spell ticks once more, the due timers\nfire, then finish runs. A day of spell time takes milliseconds.\nExit codes: 0 all cases passed, 1 some failed, 2 a test file is invalid or none was found.\n",
    )
    .action(async (paths: string[], flags: TestFlags) => {
      endQuietlyWhenStdoutCloses();
      process.exitCode = await test(paths, flags);
    });
}

/** Finds `*.test.yaml` files, skipping node_modules and dot-directories. */
export function findTestFiles(paths: readonly string[]): string[] {
  const found: string[] = [];
  const walk = (p: string) => {
    const st = statSync(p);
    if (st.isFile()) {
      found.push(p);
      return;
    }
    for (const name of readdirSync(p).sort()) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const full = path.join(p, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.test.yaml') || name.endsWith('.test.yml')) found.push(full);
    }
  };
  for (const p of paths.length ? paths : ['.']) walk(p);
  return found;
}

async function test(paths: string[], flags: TestFlags): Promise<number> {
  // Loaded here, not at the top: `sanctum --help` and the other commands do not pay for them.
  const [{ SpellTestFileError }, { RunesetError }] = await Promise.all([import('../../testing/spell-test-file.js'), import('../../runes/index.js')]);
  let files: string[];
  try {
    files = findTestFiles(paths);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file or directory' : err.code === 'EACCES' ? 'permission denied' : err.message;
    process.stderr.write(`sanctum test: cannot read ${err.path ?? 'the test paths'}: ${why}\n`);
    return EXIT.INVALID;
  }
  if (files.length === 0) {
    process.stderr.write(`sanctum test: no *.test.yaml files under ${paths.length ? paths.join(', ') : 'the current directory'}\n`);
    return EXIT.INVALID;
  }
  const results: FileResult[] = [];
  const invalid: string[] = [];
  for (const file of files) {
    try {
      const r = await runTestFile(file);
      results.push(r);
      if (!flags.json) printFile(r);
    } catch (e) {
      if (!(e instanceof SpellTestFileError) && !(e instanceof RunesetError)) throw e;
      invalid.push(e.message);
      if (!flags.json) process.stdout.write(`✗ ${e.message}\n`);
    }
  }
  const cases = results.flatMap((r) => r.results);
  const passed = cases.filter((c) => c.passed).length;
  const failed = cases.length - passed;
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ passed, failed, invalid, files: results }, null, 2)}\n`);
  } else {
    process.stdout.write(`\n${passed} passed, ${failed} failed${invalid.length ? `, ${invalid.length} invalid files` : ''}\n`);
  }
  if (invalid.length) return EXIT.INVALID;
  return failed ? EXIT.FAILURES : EXIT.OK;
}

function printFile(r: FileResult): void {
  process.stdout.write(`${r.file}\n`);
  for (const c of r.results) {
    process.stdout.write(`  ${c.passed ? '✓' : '✗'} ${c.name}\n`);
    for (const f of c.failures) process.stdout.write(`${f.replace(/^/gm, '      ')}\n`);
  }
}
