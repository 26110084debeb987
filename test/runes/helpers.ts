/** Test helpers for runesets: write a runeset and its spells to a fresh directory, load it. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadRuneset, type LoadRunesetOptions, type RunesetLoadResult } from '../../src/runes/index.js';

const created: string[] = [];

/** Removes the directories `writeRuneset` made; test files call it in `afterAll`. */
export function removeTempDirs(): void {
  for (const dir of created.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** A spell that passes each event on, on the default port. */
export const PASS_SPELL = 'local spell = {}\nfunction spell.cast(event, emit)\n  emit(event)\nend\nreturn spell\n';

/**
 * Writes `runeset.yaml` and any other files (paths relative to the directory) to a new temporary
 * directory; returns the runeset's path.
 */
export function writeRuneset(yaml: string, files: Readonly<Record<string, string>> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sanctum-runes-'));
  created.push(dir);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  const file = path.join(dir, 'runeset.yaml');
  fs.writeFileSync(file, yaml);
  return file;
}

/** Writes a runeset (and files) and loads it; `env` defaults to an empty environment. */
export async function load(
  yaml: string,
  files: Readonly<Record<string, string>> = {},
  options: LoadRunesetOptions = {},
): Promise<RunesetLoadResult & { file: string }> {
  const file = writeRuneset(yaml, files);
  const result = await loadRuneset(file, { env: {}, ...options });
  return { ...result, file };
}

/** The diagnostics of a load as `line:column code message` strings, easy to compare exactly. */
export function brief(result: RunesetLoadResult): string[] {
  return result.diagnostics.map((d) => `${d.line}:${d.column} ${d.severity === 'warning' ? 'warning ' : ''}${d.code} ${d.message}`);
}
