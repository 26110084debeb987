/**
 * A real nats-server for the tests and benchmarks: JetStream on, a temporary store, a free loopback
 * port. `stop()` kills it by PID; `start()` again brings it back on the same port and store (a
 * server that goes away and comes back). A missing binary fails loudly with how to install it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const INSTALL_HINT = 'install nats-server (apt-get install -y nats-server)';

/** Throws, with how to install it, when there is no nats-server on the PATH. */
export function requireNatsServer(): string {
  const found = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  const bin = found.stdout.trim();
  if (found.status !== 0 || bin === '') throw new Error(`nats-server is not on the PATH: ${INSTALL_HINT}`);
  return bin;
}

/** A free TCP port on 127.0.0.1 (the kernel's pick, released at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface NatsServer {
  readonly port: number;
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  /** The server's PID while it runs. */
  readonly pid: number | undefined;
  /** The server's stderr so far (its log). */
  readonly log: string;
  /** Starts it again (same port, same store) after `stop`; resolves once it is ready. */
  start(): Promise<void>;
  /** Kills it (SIGKILL by default) and waits until it exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Stops it and removes its store. */
  dispose(): Promise<void>;
}

export interface NatsServerOptions {
  /** Ask for this port (a restart on the same port); default: a free one. */
  readonly port?: number;
  /** How long to wait for "Server is ready" (ms); generous for a loaded machine. */
  readonly readyMs?: number;
}

/** Starts a nats-server with JetStream on a free loopback port and a temporary store. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const bin = requireNatsServer();
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(path.join(tmpdir(), 'sanctum-nats-'));
  const conf = path.join(dir, 'nats.conf');
  writeFileSync(
    conf,
    [
      `listen: 127.0.0.1:${port}`,
      // no monitoring port, no cluster: one server, nothing else listening
      'jetstream {',
      `  store_dir: ${JSON.stringify(path.join(dir, 'store'))}`,
      '  max_memory_store: 64MB',
      '  max_file_store: 2GB',
      '}',
      '',
    ].join('\n'),
  );
  let child: ChildProcess | undefined;
  let log = '';
  const readyMs = options.readyMs ?? 60_000;

  const start = () =>
    new Promise<void>((resolve, reject) => {
      const c = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
      child = c;
      let seen = '';
      const timer = setTimeout(() => {
        c.kill('SIGKILL');
        reject(new Error(`nats-server on port ${port} was not ready within ${readyMs} ms:\n${seen}`));
      }, readyMs);
      c.stderr!.setEncoding('utf8');
      c.stderr!.on('data', (d: string) => {
        log += d;
        seen += d;
        if (seen.includes('Server is ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      c.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      c.on('exit', (code, signal) => {
        if (child === c) child = undefined;
        clearTimeout(timer);
        reject(new Error(`nats-server exited (${signal ?? code}) before it was ready:\n${seen}`));
      });
    });

  const stop = (signal: NodeJS.Signals = 'SIGKILL') =>
    new Promise<void>((resolve) => {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return resolve();
      c.once('exit', () => resolve());
      c.kill(signal);
    });

  // A test process that ends without `dispose` (a failed beforeAll, a timeout) takes its server along.
  const onExit = () => child?.kill('SIGKILL');
  process.once('exit', onExit);
  await start();
  return {
    port,
    url: `nats://127.0.0.1:${port}`,
    get pid() {
      return child?.pid;
    },
    get log() {
      return log;
    },
    start,
    stop,
    async dispose() {
      process.off('exit', onExit);
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
