/**
 * Quick numbers for the SQLite store (not a test): append rates with group commit at FULL and
 * NORMAL against raw batched better-sqlite3 inserts in the same run, commitBatch, reads, and value
 * queries with and without the index. Run: npx tsx test/storage/measure.ts [events]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStorage, type SqliteStorage } from '../../src/storage/sqlite.js';

const N = Number(process.argv[2] ?? 100_000);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sanctum-measure-'));
let dirs = 0;
const freshDir = (): string => path.join(root, String(dirs++));
const event = (i: number) => ({ id: i, user: `user-${i % 1000}@example.com`, amount: ((i * 7) % 1000) / 4, tags: ['a', 'b', 'c'], note: 'x'.repeat(100) });
const EVENT_BYTES = JSON.stringify(event(12345)).length;

const rows: [string, string][] = [];
function report(name: string, count: number, ms: number, unit = 'events/s'): void {
  const rate = Math.round((count / ms) * 1000);
  rows.push([name, `${rate.toLocaleString('en-US')} ${unit}`]);
  console.log(`${name.padEnd(66)} ${rate.toLocaleString('en-US').padStart(11)} ${unit}`);
}

async function timeIt(fn: () => unknown | Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function appendWithWriters(sync: 'FULL' | 'NORMAL', writers: number): Promise<void> {
  const s = openSqliteStorage({ dir: freshDir(), synchronous: sync });
  let next = 0;
  const ms = await timeIt(() =>
    Promise.all(
      Array.from({ length: writers }, async () => {
        while (next < N) {
          const i = next++;
          await s.log.append('orders', [{ event: event(i) }]);
        }
      }),
    ),
  );
  if (s.log.lastSeq('orders') !== N) throw new Error('lost appends');
  report(`append() 1 event per call, ${writers} concurrent writers, ${sync}`, N, ms);
  s.close();
}

async function appendAllAtOnce(sync: 'FULL' | 'NORMAL'): Promise<void> {
  const s = openSqliteStorage({ dir: freshDir(), synchronous: sync });
  const ms = await timeIt(async () => {
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < N; i++) pending.push(s.log.append('orders', [{ event: event(i) }]));
    await Promise.all(pending);
  });
  report(`append() 1 event per call, all ${N} in flight (flush every 4096), ${sync}`, N, ms);
  s.close();
}

async function appendSequential(sync: 'FULL' | 'NORMAL', count: number): Promise<void> {
  const s = openSqliteStorage({ dir: freshDir(), synchronous: sync });
  const ms = await timeIt(async () => {
    for (let i = 0; i < count; i++) await s.log.append('orders', [{ event: event(i) }]);
  });
  report(`append() 1 event, awaited one by one (no grouping), ${sync}`, count, ms);
  s.close();
}

function rawInserts(sync: 'FULL' | 'NORMAL', perTx: number): void {
  const dir = freshDir();
  fs.mkdirSync(dir, { recursive: true });
  const db = new Database(path.join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${sync}`);
  db.exec(
    'CREATE TABLE events (stream TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL, key TEXT, json TEXT NOT NULL, PRIMARY KEY (stream, seq)) WITHOUT ROWID',
  );
  const insert = db.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?)');
  const tx = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) insert.run('orders', i + 1, Date.now(), null, JSON.stringify(event(i)));
  });
  const t = performance.now();
  for (let i = 0; i < N; i += perTx) tx(i, Math.min(N, i + perTx));
  report(`raw better-sqlite3 INSERT, ${perTx} per transaction, ${sync}`, N, performance.now() - t);
  db.close();
}

function commitBatches(sync: 'FULL' | 'NORMAL', perBatch: number): void {
  const s = openSqliteStorage({ dir: freshDir(), synchronous: sync });
  const t = performance.now();
  for (let i = 0; i < N; i += perBatch) {
    s.commitBatch({
      consumer: { name: 'spell', stream: 'in', seq: i + perBatch },
      state: [{ ns: 'spell', key: 'count', value: i + perBatch }],
      appends: [{ stream: 'out', items: Array.from({ length: perBatch }, (_, j) => ({ event: event(i + j) })) }],
    });
  }
  report(`commitBatch(offset + 1 state key + ${perBatch} events), ${sync}`, N, performance.now() - t);
  s.close();
}

async function reads(): Promise<void> {
  const s = openSqliteStorage({ dir: freshDir(), synchronous: 'NORMAL' });
  for (let i = 0; i < N; i += 1000)
    s.commitBatch({ appends: [{ stream: 'orders', items: Array.from({ length: 1000 }, (_, j) => ({ event: event(i + j) })) }] });
  let t = performance.now();
  let got = 0;
  for (let from = 1; from <= N; from += 256) got += s.log.read('orders', from, 256).length;
  report('read() in pages of 256 (parsed events)', got, performance.now() - t);
  t = performance.now();
  let tailed = 0;
  for await (const _ of s.log.tail('orders', 1)) tailed++;
  report('tail() to the end (parsed events)', tailed, performance.now() - t);
  s.close();
}

function queries(): void {
  const KEYS = 100_000;
  const measure = (s: SqliteStorage, label: string): void => {
    const Q = label === 'no index' ? 200 : 5000;
    let found = 0;
    const t = performance.now();
    for (let q = 0; q < Q; q++) {
      const a = (q * 7919) % 9_900;
      found += s.state.query('shop', { index: 'price', gte: a, lt: a + 100 }).length;
    }
    report(
      `state.query(price in [a, a+100)) ~${Math.round(found / Q)} rows of ${KEYS.toLocaleString('en-US')}, ${label}`,
      Q,
      performance.now() - t,
      'queries/s',
    );
    const t2 = performance.now();
    for (let q = 0; q < Q; q++) s.state.query('shop', { index: 'price', eq: q % 10_000 });
    report(`state.query(price eq v) ~10 rows, ${label}`, Q, performance.now() - t2, 'queries/s');
  };
  for (const indexed of [false, true]) {
    const s = openSqliteStorage({ dir: freshDir(), synchronous: 'NORMAL' });
    if (indexed) s.state.ensureIndex('shop', 'price');
    s.commitBatch({ state: Array.from({ length: 10_000 }, (_, i) => ({ ns: 'other', key: `k${i}`, value: { price: i } })) });
    const t = performance.now();
    for (let i = 0; i < KEYS; i += 1000) {
      s.commitBatch({
        state: Array.from({ length: 1000 }, (_, j) => ({
          ns: 'shop',
          key: `sku:${i + j}`,
          value: { price: (i + j) % 10_000, name: `item ${i + j}`, stock: j },
        })),
      });
    }
    report(`state upserts, 1000 per commitBatch, ${indexed ? 'with' : 'without'} the price index`, KEYS, performance.now() - t, 'keys/s');
    measure(s, indexed ? 'with ensureIndex' : 'no index');
    if (indexed) console.log(`  plan: ${s.explainQuery('shop', { index: 'price', gte: 1, lt: 2 }).join(' | ')}`);
    s.close();
  }
}

console.log(
  `Node ${process.version}, ${os.cpus().length} cores, ${N.toLocaleString('en-US')} events of ${EVENT_BYTES} B of JSON, WAL, data in ${os.tmpdir()}\n`,
);
for (const sync of ['FULL', 'NORMAL'] as const) {
  await appendSequential(sync, sync === 'FULL' ? 5_000 : 20_000);
  await appendWithWriters(sync, 64);
  await appendAllAtOnce(sync);
  rawInserts(sync, 100);
  rawInserts(sync, 1000);
  commitBatches(sync, 100);
}
await reads();
queries();
fs.rmSync(root, { recursive: true, force: true });
