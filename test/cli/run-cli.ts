/** Runs the real `sanctum` binary (bin/sanctum.js over dist/, as a user would) and captures its output. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The command under test. SANCTUM_BIN points the CLI tests at another build (an older checkout, to
 * see a new test fail before its fix).
 */
export const BIN = process.env['SANCTUM_BIN'] ?? fileURLToPath(new URL('../../bin/sanctum.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function sanctum(
  args: string[],
  options: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; uid?: number; gid?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: { ...process.env, ...options.env }, uid: options.uid, gid: options.gid });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    // Generous: a busy 2-core machine (load 8) can be ten times slower than an idle one.
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

export const lines = (s: string) =>
  s
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as unknown);
