// The plain-Node baselines of bench/e2e.ts: the work of a Sanctum pipeline written by hand, file to file.
//
//   node bench/e2e/plain.mjs STEPS IN OUT [HOT] [--sqlite DB]
//
// Reads NDJSON from IN (JSON.parse per line), applies STEPS (a comma list of enrich, tag, bucket,
// count: the JS twins of bench/spells/*.lua), writes each result with JSON.stringify to OUT, or to HOT
// when a HOT file is given and the result is hot. With --sqlite it also does what a durable pipeline
// stores: each input event and each output as a row of an event-log-shaped table, 1000 input events
// (and their outputs) per transaction, WAL, synchronous=FULL. Plain JavaScript, so nothing is compiled
// at start-up that Sanctum's build does not also have compiled.
import { createReadStream, createWriteStream } from 'node:fs';

const STEPS = {
  enrich: () => (e) => ({ id: e.id, value: e.value * 2, kind: e.kind, hot: e.value > 50 }),
  tag: () => (e) => {
    e.tag = `${e.kind}/${e.id % 10}`;
    return e;
  },
  bucket: () => (e) => {
    e.bucket = Math.floor(e.value / 10);
    return e;
  },
  count: () => {
    const counts = new Map();
    return (e) => {
      const n = (counts.get(e.kind) ?? 0) + 1;
      counts.set(e.kind, n);
      return { id: e.id, kind: e.kind, count: n };
    };
  },
};

const args = process.argv.slice(2);
const sqliteAt = args.indexOf('--sqlite');
const dbFile = sqliteAt >= 0 ? args.splice(sqliteAt, 2)[1] : undefined;
const [steps, input, output, hotOutput] = args;
if (!steps || !input || !output) {
  process.stderr.write('usage: node bench/e2e/plain.mjs STEPS IN OUT [HOT] [--sqlite DB]\n');
  process.exit(2);
}
const fns = steps.split(',').map((s) => {
  if (!STEPS[s]) throw new Error(`unknown step ${s}`);
  return STEPS[s]();
});
const apply = (e) => {
  for (const f of fns) e = f(e);
  return e;
};

/** Buffers lines and writes them in large chunks, waiting when the stream asks to. */
function writer(file) {
  const stream = createWriteStream(file);
  let buf = [];
  let size = 0;
  return {
    write(line) {
      buf.push(line);
      size += line.length;
    },
    get full() {
      return size > 1 << 16;
    },
    async flush() {
      if (buf.length === 0) return;
      const ok = stream.write(`${buf.join('\n')}\n`);
      buf = [];
      size = 0;
      if (!ok) await new Promise((r) => stream.once('drain', r));
    },
    end: () => new Promise((r) => stream.end(r)),
  };
}

let db, insert, tx;
if (dbFile) {
  const { default: Database } = await import('better-sqlite3');
  db = new Database(dbFile);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(
    'CREATE TABLE events (stream TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL, key TEXT, json TEXT NOT NULL, PRIMARY KEY (stream, seq)) WITHOUT ROWID',
  );
  insert = db.prepare('INSERT INTO events (stream, seq, ts, key, json) VALUES (?, ?, ?, ?, ?)');
  tx = db.transaction((rows) => {
    const ts = Date.now();
    for (const r of rows) insert.run(r[0], r[1], ts, null, r[2]);
  });
}
const seq = { in: 0, out: 0, hot: 0 };
let rows = [];

const out = writer(output);
const hot = hotOutput ? writer(hotOutput) : out;
let rest = '';
async function handle(lines) {
  for (const line of lines) {
    if (line === '') continue;
    const result = apply(JSON.parse(line));
    const text = JSON.stringify(result);
    const to = hotOutput && result.hot ? hot : out;
    to.write(text);
    if (db) {
      rows.push(['in', ++seq.in, line]);
      const stream = to === hot && hotOutput ? 'hot' : 'out';
      rows.push([stream, ++seq[stream], text]);
      if (seq.in % 1000 === 0) {
        tx.immediate(rows);
        rows = [];
      }
    }
  }
  if (out.full) await out.flush();
  if (hot.full) await hot.flush();
}
for await (const chunk of createReadStream(input, { encoding: 'utf8', highWaterMark: 1 << 16 })) {
  const lines = (rest + chunk).split('\n');
  rest = lines.pop();
  await handle(lines);
}
await handle([rest]);
if (db) {
  if (rows.length) tx.immediate(rows);
  db.close();
}
await out.flush();
await out.end();
if (hot !== out) {
  await hot.flush();
  await hot.end();
}
