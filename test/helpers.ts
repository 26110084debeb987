/** Test helpers: inline spells and collecting a spell's outputs and dead letters. */
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { from, lastValueFrom, toArray } from 'rxjs';
import { summonSource, type DeadLetter, type EventValue, type SummonOptions, type CastOptions, type SpellLogEntry } from '../src/index.js';

/** Writes files into a fresh temporary directory and returns its path. */
/** Polls until `check` holds, every `everyMs`, failing after `timeoutMs` (no fixed sleeps: a busy machine is slow). */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000, everyMs = 10): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function tempDir(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'sanctum-test-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

export interface CastResult {
  out: EventValue[];
  ports: Record<string, EventValue[]>;
  dead: DeadLetter[];
  logs: SpellLogEntry[];
}

/** Runs events through an inline spell and collects everything it produced. */
export async function castAll(
  source: string,
  events: EventValue[],
  options: SummonOptions = {},
  cast: Omit<CastOptions, 'deadLetters'> & { portNames?: string[] } = {},
): Promise<CastResult> {
  const logs: SpellLogEntry[] = [];
  const spell = await summonSource(source, { logger: (e) => logs.push(e), ...options });
  const dead: DeadLetter[] = [];
  const ports: Record<string, EventValue[]> = {};
  for (const p of cast.portNames ?? []) ports[p] = [];
  const portTargets = Object.fromEntries(Object.keys(ports).map((p) => [p, (e: EventValue) => ports[p]!.push(e)]));
  const out = await lastValueFrom(
    from(events).pipe(spell.operator({ onError: cast.onError, ports: portTargets, deadLetters: (d) => dead.push(d) }), toArray()),
  );
  return { out, ports, dead, logs };
}
