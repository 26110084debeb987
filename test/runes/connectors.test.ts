/** Runes of network sources and sinks (and `format`, `mode`): defaults, and the mistakes `sanctum check` reports where they are. */
import { afterAll, describe, expect, it } from 'vitest';
import { brief, load, removeTempDirs } from './helpers.js';

afterAll(removeTempDirs);

const head = `version: 1
streams:
  in: {}
  keep: { durable: true }
`;

describe('connector runes', () => {
  it('fills the defaults of an http source and sink, and a format everywhere', async () => {
    const r = await load(`${head}sources:
  web: { type: http, listen: ":8080", to: in }
  lines: { type: stdin, to: in, format: lines }
sinks:
  out: { type: http, from: in, url: "https://example.com/in" }
`);
    expect(brief(r)).toEqual([]);
    expect(r.runeset!.sources['web']).toEqual({
      name: 'web',
      type: 'http',
      to: 'in',
      format: 'ndjson',
      listen: { host: '127.0.0.1', port: 8080 },
      path: '/',
      maxBody: 1024 * 1024,
      queue: 64,
      maxWaitMs: 5000,
      timeoutMs: 30_000,
    });
    expect(r.runeset!.sources['lines']).toEqual({ name: 'lines', type: 'stdin', to: 'in', format: 'lines' });
    expect(r.runeset!.sinks['out']).toEqual({
      name: 'out',
      type: 'http',
      from: ['in'],
      url: 'https://example.com/in',
      headers: {},
      batchSize: 1000,
      timeoutMs: 10_000,
      retries: 8,
      backoffMs: 100,
      maxBackoffMs: 30_000,
    });
  });

  it('reads sizes, durations and numbers from the environment', async () => {
    const r = await load(
      `${head}sources:
  web:
    type: http
    listen: \${ADDR}
    to: in
    max_body: \${BODY}
    max_wait: \${WAIT}
    queue: \${QUEUE}
    token: \${TOKEN}
`,
      {},
      { env: { ADDR: '0.0.0.0:9000', BODY: '4MiB', WAIT: '250ms', QUEUE: '8', TOKEN: 't' } },
    );
    expect(r.runeset!.sources['web']).toMatchObject({
      listen: { host: '0.0.0.0', port: 9000 },
      maxBody: 4 * 1024 * 1024,
      maxWaitMs: 250,
      queue: 8,
      token: 't',
    });
    // A token on a non-loopback address: a warning (plain HTTP).
    expect(brief(r)).toEqual([expect.stringMatching(/^13:5 warning RUNESET_BAD_VALUE source 'web' takes a bearer token on 0\.0\.0\.0, over plain HTTP/)]);
  });

  it('reports the key an http source or sink needs, at the source or sink', async () => {
    const r = await load(`${head}sources:
  web: { type: http, to: in }
sinks:
  out: { type: http, from: in }
`);
    expect(brief(r)).toEqual([
      "6:3 RUNESET_MISSING_KEY sources.web is missing the required key 'listen' (needed when type is 'http')",
      "8:3 RUNESET_MISSING_KEY sinks.out is missing the required key 'url' (needed when type is 'http')",
    ]);
  });

  it('reports bad addresses, paths and URLs, a port the metrics server has, two sources on one port', async () => {
    const r = await load(`version: 1
sanctum:
  metrics: { listen: ":9598" }
streams:
  in: {}
sources:
  a: { type: http, listen: "127.0.0.1:9598", to: in }
  b: { type: http, listen: ":7000", path: events, to: in }
  c: { type: http, listen: "0.0.0.0:7000", to: in }
  d: { type: http, listen: "nowhere", to: in }
sinks:
  s: { type: http, from: in, url: "ftp://example.com/x" }
  t: { type: http, from: in, url: "not a url" }
`);
    expect(brief(r)).toEqual([
      "7:28 RUNESET_BAD_VALUE source 'a' listens on port 9598, where the metrics server (sanctum.metrics.listen) listens",
      "8:43 RUNESET_BAD_VALUE sources.b.path must be a URL path starting with '/' (no query, no spaces), not 'events'",
      "9:28 RUNESET_BAD_VALUE sources 'b' and 'c' both listen on port 7000",
      "10:28 RUNESET_BAD_VALUE sources.d.listen 'nowhere' is not valid: expected host:port, :port or port, such as 127.0.0.1:9598",
      "12:35 RUNESET_BAD_VALUE sinks.s.url must be an http:// or https:// URL, not 'ftp://example.com/x'",
      "13:35 RUNESET_BAD_VALUE sinks.t.url must be an http:// or https:// URL, not 'not a url'",
    ]);
  });

  it('warns of a token sent over plain HTTP off this machine, runes that do nothing for a type, and truncating a durable sink', async () => {
    const r = await load(
      `${head}sources:
  f: { type: file, path: in.ndjson, to: in, token: x, max_body: 1MiB }
sinks:
  h: { type: http, from: in, url: "http://example.com/in", token: t, mode: append }
  l: { type: http, from: in, url: "http://localhost:8080/in", token: t }
  o: { type: stdout, from: in, retries: 3 }
  k: { type: file, path: k.ndjson, from: keep, mode: truncate }
`,
      { 'in.ndjson': '' },
    );
    expect(brief(r)).toEqual([
      '6:45 warning RUNESET_BAD_VALUE sources.f.token has no effect on a file source',
      '6:55 warning RUNESET_BAD_VALUE sources.f.max_body has no effect on a file source',
      "8:60 warning RUNESET_BAD_VALUE sink 'h' sends a bearer token to example.com over plain HTTP: anyone on the network path can read it",
      '8:70 warning RUNESET_BAD_VALUE sinks.h.mode has no effect on an http sink',
      '10:32 warning RUNESET_BAD_VALUE sinks.o.retries has no effect on a stdout sink',
      "11:54 warning RUNESET_BAD_VALUE sink 'k' reads durable streams and truncates its file: a restart empties the file and goes on after what the last run wrote, so that is lost from the file",
    ]);
    expect(r.runeset).toBeDefined(); // warnings only
  });
});
