/**
 * The runesets of docunomicon/nats.md, run as the page says (`sanctum run`, from docunomicon/, on a
 * copy of the examples) against a real nats-server: what is published in comes out as the page says.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { BIN } from '../cli/run-cli.js';
import { startNatsServer, type NatsServer } from './server.js';

const EXAMPLES = fileURLToPath(new URL('../../docunomicon/examples', import.meta.url));

let server: NatsServer;
let nc: NatsConnection;
let jsm: JetStreamManager;
let sandbox: string;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  jsm = await jetstreamManager(nc);
  sandbox = mkdtempSync(path.join(tmpdir(), 'sanctum-nats-docs-'));
  cpSync(EXAMPLES, path.join(sandbox, 'examples'), { recursive: true, filter: (src) => path.basename(src) !== '.sanctum' });
}, 120_000);

afterAll(async () => {
  await nc?.close();
  await server?.dispose();
  if (sandbox) rmSync(sandbox, { recursive: true, force: true });
});

/** `sanctum run <runeset>` with NATS_URL set; resolves once `ready` holds, then stops it with SIGTERM. */
function runUntil(runeset: string, ready: () => Promise<boolean>, onStarted: () => Promise<void>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'run', runeset, '--log-level', 'info', '--log-format', 'json'], {
      cwd: sandbox,
      env: { ...process.env, NATS_URL: server.url },
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
    const deadline = performance.now() + 90_000;
    void (async () => {
      await onStarted();
      while (!(await ready()) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      child.kill('SIGTERM');
    })();
  });
}

const orders = readFileSync(path.join(EXAMPLES, 'orders.ndjson'), 'utf8').trim().split('\n');

describe('docunomicon/nats.md', () => {
  it('examples/nats/orders.runeset.yaml enriches the orders of ORDERS into ENRICHED, each with its id', async () => {
    await jsm.streams.add({ name: 'ORDERS', subjects: ['orders.new'] });
    await jsm.streams.add({ name: 'ENRICHED', subjects: ['orders.enriched'] });
    const js = jetstream(nc);
    for (const o of orders) await js.publish('orders.new', o);
    const r = await runUntil(
      'examples/nats/orders.runeset.yaml',
      async () => (await jsm.streams.info('ENRICHED')).state.messages >= orders.length,
      async () => {},
    );
    expect(r.code, r.stderr).toBe(0);
    const out: { id: string; vat_cents: number; gross_cents: number }[] = [];
    const ids: string[] = [];
    for await (const m of await (await js.consumers.get('ENRICHED')).fetch({ max_messages: orders.length, expires: 5000 })) {
      out.push(m.json());
      ids.push(m.headers?.get('Nats-Msg-Id') ?? '');
    }
    expect(out.map((o) => [o.id, o.vat_cents, o.gross_cents])).toEqual([
      ['o-1', 190, 1190],
      ['o-2', 90, 540],
      ['o-3', 0, 2599],
    ]);
    expect(ids).toEqual(['enriched:1', 'enriched:2', 'enriched:3']);
  });

  it('examples/nats/live.runeset.yaml passes the paid orders of shop.orders.> on to shop.paid', async () => {
    const got: { id: string; status: string }[] = [];
    const sub = nc.subscribe('shop.paid', { callback: (_e, m) => void got.push(m.json()) });
    let subscribed = false;
    const r = await runUntil(
      'examples/nats/live.runeset.yaml',
      async () => got.filter((o) => o.id !== 'probe').length >= 2,
      async () => {
        // Core NATS keeps nothing: probe until the run's subscription is there, then publish.
        while (!subscribed) {
          nc.publish('shop.orders.probe', JSON.stringify({ id: 'probe', status: 'paid' }));
          await nc.flush();
          await new Promise((res) => setTimeout(res, 50));
          subscribed = got.length > 0;
        }
        for (const o of orders) nc.publish('shop.orders.web', o);
        await nc.flush();
      },
    );
    sub.unsubscribe();
    expect(r.code, r.stderr).toBe(0);
    expect(got.filter((o) => o.id !== 'probe').map((o) => o.id)).toEqual(['o-1', 'o-3']);
  });
});
