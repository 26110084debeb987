/**
 * Followed files (`follow: true`) through the real `sanctum run`: lines appended while it runs,
 * rename rotation and copytruncate (every line once), a glob picking up a new file, bad lines as
 * dead letters, `start_at: end`, and SIGTERM draining (exit 0; the next run goes on from the commit).
 * Every wait polls the run's output, log or metrics; none sleeps a fixed time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, copyFileSync, mkdirSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { logLines, scrape, series, startRun, until, value, type LiveRun } from '../observe/live-run.js';
import { lines } from '../cli/run-cli.js';

const runs: LiveRun[] = [];
afterEach(() => {
  for (const r of runs.splice(0)) if (r.child.exitCode === null) r.child.kill('SIGKILL');
});

/** A runeset following `path` into `in`, printed to stdout. */
const runeset = (source: string, durable = true) => `version: 1
sanctum: { log_level: info }
streams:
  in: { durable: ${durable} }
sources:
  f: { type: file, to: in, follow: true, ${source} }
sinks:
  out: { type: stdout, from: in }
`;

const ndjson = (from: number, n: number, file = 'a') => Array.from({ length: n }, (_, i) => `{"file":"${file}","i":${from + i}}\n`).join('');

async function start(files: Record<string, string>, dir?: string): Promise<LiveRun> {
  const run = await startRun(files, [], dir);
  runs.push(run);
  return run;
}

const out = (run: LiveRun) => lines(run.stdout) as { file: string; i: number }[];
const logged = (run: LiveRun, code: string) => logLines(run.stderr).filter((l) => l['code'] === code);

describe('a followed file', () => {
  it('reads lines appended while it runs; a last line without its newline waits for it', async () => {
    const run = await start({ 'r.yaml': runeset('path: app.log'), 'app.log': ndjson(0, 2) });
    await until(() => out(run).length === 2, 'the lines there at the start');
    appendFileSync(`${run.dir}/app.log`, `${ndjson(2, 2)}{"file":"a","i":`);
    await until(() => out(run).length === 4, 'the appended lines');
    // The half-written line is not read (nor dead-lettered) until its newline comes.
    expect(value(await scrape(run.url), 'sanctum_dead_letters_total')).toBe(0);
    appendFileSync(`${run.dir}/app.log`, '4}\n');
    await until(() => out(run).length === 5, 'the completed line');
    expect(out(run).map((e) => e.i)).toEqual([0, 1, 2, 3, 4]);
    const samples = await scrape(run.url);
    expect(value(samples, 'sanctum_source_files_open', { source: 'f' })).toBe(1);
    expect(value(samples, 'sanctum_source_bytes_behind', { source: 'f' })).toBe(0);
    expect(value(samples, 'sanctum_source_events_total', { source: 'f' })).toBe(5);
    expect(await run.stop()).toBe(0);
  }, 60_000);

  it('rename rotation: the old file is read to its end (late writes included), then the new one from its start; every line once', async () => {
    const run = await start({ 'r.yaml': runeset('path: app.log'), 'app.log': ndjson(0, 3) });
    await until(() => out(run).length === 3, 'the first lines');
    // A writer appends, the log is renamed away, the writer still writes to the old file (it has
    // not reopened yet), ends it with a line without newline, and then writes to a new file.
    appendFileSync(`${run.dir}/app.log`, ndjson(3, 2));
    renameSync(`${run.dir}/app.log`, `${run.dir}/app.log.1`);
    appendFileSync(`${run.dir}/app.log.1`, `${ndjson(5, 2)}{"file":"a","i":7}`);
    writeFileSync(`${run.dir}/app.log`, ndjson(0, 3, 'b'));
    await until(() => out(run).length === 11, 'the old file, its last line (once it is let go), and the new file', 30_000);
    const seen = out(run);
    expect(seen.filter((e) => e.file === 'a').map((e) => e.i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(seen.filter((e) => e.file === 'b').map((e) => e.i)).toEqual([0, 1, 2]);
    // The old file's lines written before the rename come before the new file's.
    expect(seen.findIndex((e) => e.file === 'b')).toBeGreaterThan(seen.findIndex((e) => e.i === 4 && e.file === 'a'));
    // Let go once it has been quiet for the rotate wait: one file open again.
    await until(async () => value(await scrape(run.url), 'sanctum_source_files_open', { source: 'f' }) === 1, 'the old file to be let go', 30_000);
    expect(series(await scrape(run.url), 'sanctum_source_rotations_total')).toEqual({ 'kind=rename,source=f': 1, 'kind=truncate,source=f': 0 });
    appendFileSync(`${run.dir}/app.log`, ndjson(3, 1, 'b'));
    await until(() => out(run).length === 12, 'a line appended to the new file');
    expect(
      logLines(run.stderr)
        .map((l) => l['msg'])
        .filter((m) => String(m).startsWith("file source 'f'")),
    ).toEqual([
      "file source 'f' follows app.log",
      "file source 'f': app.log was renamed away or removed (rotated); reading it to its end",
      "file source 'f' follows app.log (a new file, from its start)",
    ]);
    expect(await run.stop()).toBe(0);
  }, 90_000);

  it('copytruncate: the emptied file is read again from its start; every line written around the rotation once', async () => {
    const run = await start({ 'r.yaml': runeset('path: app.log'), 'app.log': ndjson(0, 4) });
    await until(() => out(run).length === 4, 'the first lines');
    // copytruncate: copy, then empty the file in place (same inode); the writer goes on at offset 0.
    copyFileSync(`${run.dir}/app.log`, `${run.dir}/app.log.1`);
    truncateSync(`${run.dir}/app.log`, 0);
    await until(() => logged(run, 'INPUT_TRUNCATED').length === 1, 'the truncation to be seen');
    appendFileSync(`${run.dir}/app.log`, ndjson(4, 3));
    await until(() => out(run).length === 7, 'the lines after the truncation');
    expect(out(run).map((e) => e.i)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(logged(run, 'INPUT_TRUNCATED')[0]!['level']).toBe('warn');
    expect(series(await scrape(run.url), 'sanctum_source_rotations_total')).toEqual({ 'kind=rename,source=f': 0, 'kind=truncate,source=f': 1 });
    expect(await run.stop()).toBe(0);
  }, 60_000);

  it('a file truncated and written past the read position before the reader looks is still seen rewritten', async () => {
    const run = await start({ 'r.yaml': runeset('path: app.log'), 'app.log': ndjson(0, 2) });
    await until(() => out(run).length === 2, 'the first lines');
    // Both in one go, before any notice is handled: the file is longer than where the reader is, so
    // only the bytes before that position can tell it was rewritten.
    truncateSync(`${run.dir}/app.log`, 0);
    appendFileSync(`${run.dir}/app.log`, ndjson(100, 5, 'b'));
    await until(() => out(run).length === 7, 'the rewritten file, from its start');
    expect(out(run).slice(2)).toEqual([100, 101, 102, 103, 104].map((i) => ({ file: 'b', i })));
    expect(logged(run, 'INPUT_TRUNCATED')).toHaveLength(1);
    expect(await run.stop()).toBe(0);
  }, 60_000);

  it('a glob picks up files that come to match it, each its own position; a bad line is a dead letter naming its file and line', async () => {
    const files = { 'r.yaml': runeset('path: "logs/*.log", format: lines'), 'logs/a.log': 'one\ntwo\n' };
    const run = await start(files);
    await until(() => out(run).length === 2, 'the first file');
    writeFileSync(`${run.dir}/logs/b.log`, 'three\n');
    writeFileSync(`${run.dir}/logs/c.txt`, 'not matched\n');
    appendFileSync(`${run.dir}/logs/a.log`, 'four\n');
    await until(() => out(run).length === 4, 'the new file and the appended line');
    const got = lines(run.stdout) as { message: string; source: string; file: string; line: number }[];
    expect(got.map((e) => `${e.file}:${e.line}:${e.message}`).sort()).toEqual([
      'logs/a.log:1:one',
      'logs/a.log:2:two',
      'logs/a.log:3:four',
      'logs/b.log:1:three',
    ]);
    expect(got.every((e) => e.source === 'f')).toBe(true);
    expect(value(await scrape(run.url), 'sanctum_source_files_open', { source: 'f' })).toBe(2);
    expect(await run.stop()).toBe(0);

    // NDJSON: a line that is not JSON is a dead letter with its file and line; the others go on.
    mkdirSync(`${run.dir}/j`);
    writeFileSync(`${run.dir}/j/x.ndjson`, '{"i":1}\n{"i":\n{"i":3}\n');
    writeFileSync(`${run.dir}/r.yaml`, runeset('path: "j/*.ndjson"'));
    const next = await start({}, run.dir);
    await until(() => lines(next.stdout).length === 2 && next.stderr.includes('INPUT_INVALID_JSON'), 'the events and the dead letter');
    expect(lines(next.stdout)).toEqual([{ i: 1 }, { i: 3 }]);
    // Nothing reads dead-letters here: they are printed on stderr (and the run exits 1).
    expect(next.stderr).toContain('dead letter (f) INPUT_INVALID_JSON: j/x.ndjson:2: invalid JSON');
    expect(next.stderr).toContain('  line: {"i":\n');
    expect(value(await scrape(next.url), 'sanctum_dead_letters_total')).toBe(1);
    expect(await next.stop()).toBe(1); // the dead letter had no home: exit 1, as for any run
  }, 60_000);

  it('waits for a file that is not there yet (a warning), and start_at: end reads only what is written from then on', async () => {
    const run = await start({ 'r.yaml': runeset('path: later.log, poll_interval: 100ms', false), 'old.log': ndjson(0, 3) });
    await until(() => logged(run, 'INPUT_UNREADABLE').length === 1, 'the warning');
    expect(String(logged(run, 'INPUT_UNREADABLE')[0]!['msg'])).toContain('no file matches later.log yet; waiting for one');
    writeFileSync(`${run.dir}/later.log`, ndjson(0, 2));
    await until(() => out(run).length === 2, 'the file once it appears (read from its start)');
    expect(await run.stop()).toBe(0);

    writeFileSync(`${run.dir}/r.yaml`, runeset('path: old.log, start_at: end', false));
    appendFileSync(`${run.dir}/old.log`, '{"file":"a","i":3'); // a line being written: read whole once it ends
    const next = await start({}, run.dir);
    await until(() => logLines(next.stderr).some((l) => l['msg'] === "file source 'f' follows old.log"), 'the source to start');
    appendFileSync(`${run.dir}/old.log`, `}\n${ndjson(4, 1)}`);
    await until(() => out(next).length === 2, 'the lines written after the start');
    expect(out(next).map((e) => e.i)).toEqual([3, 4]);
    expect(await next.stop()).toBe(0);
  }, 60_000);

  it('SIGTERM drains: exit 0 with what was read committed; the next run reads only what came after, and what came while it was down', async () => {
    const run = await start({ 'r.yaml': runeset('path: app.log'), 'app.log': ndjson(0, 3) });
    await until(() => out(run).length === 3, 'the first lines');
    appendFileSync(`${run.dir}/app.log`, `${ndjson(3, 2)}{"file":"a","i":5`);
    await until(() => out(run).length === 5, 'the appended lines');
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.stderr).toContain('stopped: 5 events read');
    // While no run reads it: the half line ends, more lines come, and the file is rotated.
    appendFileSync(`${run.dir}/app.log`, `}\n${ndjson(6, 1)}`);
    renameSync(`${run.dir}/app.log`, `${run.dir}/app.log.1`);
    writeFileSync(`${run.dir}/app.log`, ndjson(0, 2, 'b'));
    const next = await start({}, run.dir);
    await until(() => out(next).length === 4, 'the rest of the old file, then the new one');
    expect(out(next)).toEqual([
      { file: 'a', i: 5 },
      { file: 'a', i: 6 },
      { file: 'b', i: 0 },
      { file: 'b', i: 1 },
    ]);
    expect(await next.stop()).toBe(0);
  }, 60_000);

  it('a file rotated away while no run reads it, before any of it was read, is found by the next run: its position was committed when it was first seen', async () => {
    const run = await start({ 'r.yaml': runeset('path: app.log'), 'app.log': '' });
    await until(() => logLines(run.stderr).some((l) => l['msg'] === "file source 'f' follows app.log"), 'the empty file to be followed');
    expect(await run.stop()).toBe(0);
    // While no run reads it: the file gets its first lines, and is rotated.
    appendFileSync(`${run.dir}/app.log`, ndjson(0, 3));
    renameSync(`${run.dir}/app.log`, `${run.dir}/app.log.1`);
    writeFileSync(`${run.dir}/app.log`, ndjson(0, 2, 'b'));
    const next = await start({}, run.dir);
    await until(() => out(next).length === 5, 'the rotated file, then the new one', 30_000);
    expect(out(next)).toEqual([...[0, 1, 2].map((i) => ({ file: 'a', i })), ...[0, 1].map((i) => ({ file: 'b', i }))]);
    expect(await next.stop()).toBe(0);
  }, 60_000);

  it('files rotated away twice while no run reads them are read one after the other, oldest first, then the file at the path', async () => {
    const run = await start({ 'r.yaml': runeset('path: app.log'), 'app.log': ndjson(0, 2) });
    await until(() => out(run).length === 2, 'the first lines');
    renameSync(`${run.dir}/app.log`, `${run.dir}/app.log.1`);
    writeFileSync(`${run.dir}/app.log`, ndjson(0, 2, 'b'));
    // The old file keeps growing, so the run does not let it go: both files have a position when it is killed.
    let next = 2;
    const writer = setInterval(() => appendFileSync(`${run.dir}/app.log.1`, ndjson(next++, 1)), 200);
    try {
      await until(() => out(run).some((e) => e.file === 'b'), 'the new file to be read');
      run.child.kill('SIGKILL');
      await run.exited;
    } finally {
      clearInterval(writer);
    }
    // While no run reads them: both get many lines (several reads each), the newer is rotated too.
    appendFileSync(`${run.dir}/app.log.1`, ndjson(1000, 12_000));
    appendFileSync(`${run.dir}/app.log`, ndjson(1000, 12_000, 'b'));
    renameSync(`${run.dir}/app.log`, `${run.dir}/app.log.2`);
    writeFileSync(`${run.dir}/app.log`, ndjson(0, 2, 'c'));
    const again = await start({}, run.dir);
    await until(() => out(again).some((e) => e.file === 'c' && e.i === 1), 'the file at the path', 60_000);
    const late = out(again).filter((e) => e.i >= 1000 || e.file === 'c');
    expect(late.map((e) => `${e.file}${e.i}`)).toEqual([
      ...Array.from({ length: 12_000 }, (_, k) => `a${1000 + k}`),
      ...Array.from({ length: 12_000 }, (_, k) => `b${1000 + k}`),
      'c0',
      'c1',
    ]);
    expect(await again.stop()).toBe(0);
  }, 120_000);
});
