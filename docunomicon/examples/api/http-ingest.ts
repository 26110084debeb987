// http-ingest.ts: run examples/connectors/ingest.runeset.yaml, POST orders to it, see what its http sink delivers.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadRunesetOrThrow, openRuneset } from 'sanctum-streams';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function main() {
  // A stand-in for the books' API: it records each POST.
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  const books = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.end();
    });
  });
  await new Promise<void>((resolve) => books.listen(0, '127.0.0.1', resolve));

  const env = {
    ...process.env,
    INGEST_LISTEN: '127.0.0.1:0', // any free port: the source says which
    INGEST_DATA: mkdtempSync(path.join(tmpdir(), 'ingest-')),
    BOOKS_URL: `http://127.0.0.1:${(books.address() as AddressInfo).port}/orders`,
  };
  const opened = await openRuneset(await loadRunesetOrThrow('examples/connectors/ingest.runeset.yaml', { env }));
  const stop = new AbortController();
  const logged: string[] = [];
  const done = opened.run({ signal: stop.signal, log: (line) => logged.push(`${line.level}: ${line.code ?? ''}`) });
  const shop = opened.sources[0]!;
  while (shop.url === undefined) await sleep(10);

  // Two orders in one request: acknowledged once committed, with their sequence numbers.
  const orders = '{"id":"o-1","country":"DE","net_cents":1000}\n{"id":"o-2","country":"FR","net_cents":450}\n';
  const ok = await fetch(shop.url, { method: 'POST', body: orders });
  // A body with a bad line is refused whole: nothing of it is appended.
  const bad = await fetch(shop.url, { method: 'POST', body: '{"id":"o-3","country":"DE","net_cents":10}\n{"id":"o-4",\n' });

  while (received.length === 0) await sleep(10);
  stop.abort();
  await done;
  books.close();
  const post = received[0]!;
  const refused = (await bad.json()) as { error: string; line: number; message: string };
  return {
    acknowledged: { status: ok.status, body: await ok.json() },
    refused: { status: bad.status, error: refused.error, line: refused.line },
    logged,
    delivered: {
      range: [post.headers['sanctum-stream'], post.headers['sanctum-first-seq'], post.headers['sanctum-last-seq']],
      orders: post.body.trim().split('\n').map((line) => JSON.parse(line)),
    },
  };
}
