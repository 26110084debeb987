/** The `format` rune of file and stdin sources: `lines` (each line `{ message, source, line }`) and `json` (one document). */
import { describe, it, expect } from 'vitest';
import { sanctum, lines } from '../cli/run-cli.js';
import { tempDir } from '../helpers.js';

const runeset = (source: string, durable = false) => `version: 1
streams:
  in: { durable: ${durable} }
sources:
  src: ${source}
sinks:
  out: { type: stdout, from: in }
`;

describe('source formats', () => {
  it('`lines`: each line of text an event { message, source, line }; empty lines skipped, numbering kept', async () => {
    const dir = tempDir({ 'app.log': 'started\n\n  GET /a 200\r\nnot json {\n', 'r.yaml': runeset('{ type: file, path: app.log, to: in, format: lines }') });
    const r = await sanctum(['run', `${dir}/r.yaml`, '--quiet']);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual([
      { message: 'started', source: 'src', line: 1 },
      { message: '  GET /a 200', source: 'src', line: 3 },
      { message: 'not json {', source: 'src', line: 4 },
    ]);
  });

  it('`lines` from stdin', async () => {
    const dir = tempDir({ 'r.yaml': runeset('{ type: stdin, to: in, format: lines }') });
    const r = await sanctum(['run', `${dir}/r.yaml`, '--quiet'], { input: 'a\nb' });
    expect(lines(r.stdout)).toEqual([
      { message: 'a', source: 'src', line: 1 },
      { message: 'b', source: 'src', line: 2 },
    ]);
  });

  it('`json`: an array is its events, another value one event; a bad document one dead letter', async () => {
    const dir = tempDir({
      'a.json': '[\n  {"id": 1},\n  {"id": 2}\n]\n',
      'b.json': '{"id": 3, "nested": {"x": [1, 2]}}',
      'c.json': '[{"id": 4},',
      'r.yaml': `version: 1
streams:
  in: {}
sources:
  a: { type: file, path: a.json, to: in, format: json }
  b: { type: file, path: b.json, to: in, format: json }
  c: { type: file, path: c.json, to: in, format: json }
sinks:
  out: { type: stdout, from: in }
`,
    });
    const r = await sanctum(['run', `${dir}/r.yaml`]);
    expect(r.code).toBe(1); // the bad document is a dead letter nobody reads
    expect((lines(r.stdout) as { id: number }[]).map((e) => e.id).sort()).toEqual([1, 2, 3]);
    expect(r.stderr).toMatch(/dead letter \(c\) INPUT_INVALID_JSON: c\.json: invalid JSON/);
  });

  it('`json` into a durable stream: read once, then not again', async () => {
    const dir = tempDir({ 'a.json': '[{"id":1},{"id":2}]', 'r.yaml': runeset('{ type: file, path: a.json, to: in, format: json }', true) });
    const first = await sanctum(['run', `${dir}/r.yaml`, '--quiet']);
    expect(lines(first.stdout)).toEqual([{ id: 1 }, { id: 2 }]);
    const second = await sanctum(['run', `${dir}/r.yaml`, '--quiet']);
    expect(second.code).toBe(0);
    expect(lines(second.stdout)).toEqual([]);
  });
});
