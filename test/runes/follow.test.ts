/** The runes of followed file sources (`follow`, `poll_interval`, `start_at`): defaults, and what `sanctum check` says of them. */
import { afterAll, describe, expect, it } from 'vitest';
import { brief, load, removeTempDirs } from './helpers.js';

afterAll(removeTempDirs);

const head = `version: 1
streams:
  in: {}
  keep: { durable: true }
sources:
`;

describe('followed file sources', () => {
  it('fills their defaults, reads them from the environment, and leaves other file sources as they were', async () => {
    const r = await load(
      `${head}  a: { type: file, path: "logs/*.log", to: keep, follow: true }
  b:
    type: file
    path: b.log
    to: in
    follow: \${FOLLOW}
    poll_interval: \${POLL}
    start_at: \${START}
  c: { type: file, path: b.log, to: in }
`,
      { 'logs/x.log': '', 'b.log': '' },
      { env: { FOLLOW: 'true', POLL: '250ms', START: 'end' } },
    );
    expect(brief(r)).toEqual([]);
    expect(r.runeset!.sources['a']).toMatchObject({ type: 'file', path: { original: 'logs/*.log' }, follow: { pollMs: 1000, startAt: 'beginning' } });
    expect(r.runeset!.sources['b']).toMatchObject({ follow: { pollMs: 250, startAt: 'end' } });
    expect(r.runeset!.sources['c']).not.toHaveProperty('follow');
  });

  it('refuses follow with loop, rate or format: json; poll_interval 0', async () => {
    const r = await load(
      `${head}  a: { type: file, path: a.log, to: in, follow: true, loop: true }
  b: { type: file, path: a.log, to: in, follow: true, rate: 10 }
  c: { type: file, path: a.log, to: in, follow: true, format: json }
  d: { type: file, path: a.log, to: in, follow: true, poll_interval: 0 }
`,
      { 'a.log': '' },
    );
    expect(brief(r)).toEqual([
      "6:55 RUNESET_BAD_VALUE source 'a' follows its file and has loop: a followed file never ends, so there is no end to loop from",
      "7:55 RUNESET_BAD_VALUE source 'b' follows its file and has rate: a followed file is read as it is written",
      "8:63 RUNESET_BAD_VALUE source 'c' follows its file and has format: json: a JSON document cannot be read before it is whole; follow reads line formats (ndjson, lines)",
      '9:70 RUNESET_BAD_VALUE sources.d.poll_interval must be at least 1, not 0',
    ]);
    expect(r.runeset).toBeUndefined();
  });

  it('warns of follow runes without follow, a glob without follow, follow on another type, and a followed path that matches nothing yet', async () => {
    const r = await load(
      `${head}  a: { type: file, path: a.log, to: in, poll_interval: 1s, start_at: end }
  b: { type: file, path: "*.log", to: in }
  c: { type: stdin, to: in, follow: true }
  d: { type: file, path: "logs/*.log", to: in, follow: true }
  e: { type: file, path: later.log, to: in, follow: true }
`,
      { 'a.log': '', '*.log': '' },
    );
    expect(brief(r)).toEqual([
      '6:41 warning RUNESET_BAD_VALUE sources.a.poll_interval has no effect without follow: true',
      '6:60 warning RUNESET_BAD_VALUE sources.a.start_at has no effect without follow: true',
      "7:26 warning RUNESET_BAD_VALUE sources.b.path '*.log' has glob characters, but only a followed source expands a glob: this one reads the file of that very name",
      '8:29 warning RUNESET_BAD_VALUE sources.c.follow has no effect on a stdin source',
      "9:26 warning INPUT_UNREADABLE source 'd' follows 'logs/*.log', which matches no file (yet); the run waits for one",
      "10:26 warning INPUT_UNREADABLE source 'e' follows 'later.log', which does not exist (yet); the run waits for it",
    ]);
    expect(r.runeset).toBeDefined(); // warnings only
  });
});
