/** The runes of `nats` sources and sinks: what loads, what it normalizes to, and what `check` says. */
import { afterAll, describe, expect, it } from 'vitest';
import { brief, load, removeTempDirs } from './helpers.js';

afterAll(removeTempDirs);

const head = `version: 1
streams:
  a: { durable: true }
  m: {}
`;

describe('nats runes', () => {
  it('normalizes a JetStream source and sink: servers split, the consumer named, credentials from the environment', async () => {
    const r = await load(
      `${head}sources:
  in: { type: nats, url: "nats://10.0.0.1:4222, nats://10.0.0.2:4222", stream: ORDERS, subject: "orders.>", to: a, user: "\${NATS_USER}", password: "\${NATS_PASSWORD}" }
sinks:
  out: { type: nats, subject: orders.done, stream: DONE, from: a }
`,
      {},
      { env: { NATS_USER: 'sanctum', NATS_PASSWORD: 's3cret' } },
    );
    expect(brief(r)).toEqual([]);
    expect(r.runeset!.sources['in']).toEqual({
      name: 'in',
      type: 'nats',
      to: 'a',
      connection: { servers: ['nats://10.0.0.1:4222', 'nats://10.0.0.2:4222'], user: 'sanctum', password: 's3cret' },
      subject: 'orders.>',
      stream: 'ORDERS',
      consumer: 'sanctum-in',
    });
    expect(r.runeset!.sinks['out']).toEqual({
      name: 'out',
      type: 'nats',
      from: ['a'],
      connection: { servers: ['nats://127.0.0.1:4222'] },
      subject: 'orders.done',
      stream: 'DONE',
    });
  });

  it('says what a nats source or sink lacks, and what cannot work', async () => {
    const r = await load(`${head}sources:
  none: { type: nats, to: m }
  web: { type: nats, url: "http://localhost:8222", subject: a.b, to: m }
  wild: { type: nats, subject: "a.>.b", to: m }
  both: { type: nats, subject: x, stream: X, queue_group: workers, to: a }
  dotted: { type: nats, stream: "X.Y", consumer: "c d", to: a }
  half: { type: nats, subject: x, user: me, to: m }
sinks:
  nosubject: { type: nats, from: m }
  star: { type: nats, subject: "out.*", from: m }
  mixed: { type: nats, subject: out, token: t, user: u, password: p, from: m }
`);
    expect(brief(r)).toEqual([
      "6:3 RUNESET_MISSING_KEY source 'none' (nats) needs a subject (a core NATS subscription) or a stream (a JetStream stream)",
      "7:27 RUNESET_BAD_VALUE sources.web.url: 'http://localhost:8222' is not a NATS address (nats:// or tls://, not http://)",
      "8:32 RUNESET_BAD_VALUE sources.wild.subject: subject 'a.>.b': '>' may only be the last token",
      '9:59 RUNESET_BAD_VALUE sources.both.queue_group is for core NATS subjects; a JetStream source reads through its durable consumer',
      "10:33 RUNESET_BAD_VALUE sources.dotted.stream: the JetStream stream name 'X.Y' may not hold white space, '.', '*', '>', '/' or '\\'",
      "10:50 RUNESET_BAD_VALUE sources.dotted.consumer: the consumer name 'c d' may not hold white space, '.', '*', '>', '/' or '\\'",
      '11:35 RUNESET_MISSING_KEY sources.half has user but no password',
      "13:3 RUNESET_MISSING_KEY sink 'nosubject' (nats) needs a subject to publish to",
      "14:32 RUNESET_BAD_VALUE sinks.star.subject: subject 'out.*' has a wildcard; a sink publishes to one subject",
      '15:45 RUNESET_BAD_VALUE sinks.mixed has both token and user: the server takes one or the other',
    ]);
    expect(r.runeset).toBeUndefined();
  });

  it('warns of runes that do nothing where they are, and of guarantees a runeset may not expect', async () => {
    const r = await load(
      `${head}sources:
  core: { type: nats, subject: "orders.>", consumer: mine, to: a }
  js: { type: nats, stream: ORDERS, to: m }
  file: { type: file, path: in.ndjson, subject: x, to: m }
sinks:
  out: { type: stdout, stream: X, from: m }
`,
      { 'in.ndjson': '' },
    );
    expect(brief(r)).toEqual([
      '6:44 warning RUNESET_BAD_VALUE sources.core.consumer has no effect on a core NATS subject',
      "6:64 warning RUNESET_BAD_VALUE source 'core' subscribes to a core NATS subject and writes to the durable stream 'a': core NATS keeps nothing, so what is published while Sanctum is down, and what a crash catches before its commit, is lost",
      "7:41 warning RUNESET_BAD_VALUE source 'js' reads the JetStream stream 'ORDERS' into 'm', which is not durable: a message is acknowledged once it is in 'm', so a crash loses what the pipelines had not finished",
      '8:40 warning RUNESET_BAD_VALUE sources.file.subject has no effect on a file source',
      '10:24 warning RUNESET_BAD_VALUE sinks.out.stream has no effect on a stdout sink',
    ]);
    expect(r.runeset).toBeDefined();
  });
});
