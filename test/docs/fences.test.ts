/** The example convention itself: how test/docs/fences.ts sorts a page's blocks. */
import { describe, expect, it } from 'vitest';
import { classify, parseCommand, readFences } from './fences.js';

const page = (md: string) => classify(readFences('page.md', md));
const fence = (info: string, body: string) => `\`\`\`${info}\n${body}\n\`\`\`\n`;

describe('the docunomicon example convention', () => {
  it('takes file blocks, commands with their input and outputs, norun and text blocks', () => {
    const r = page(
      [
        fence('lua file=examples/a.lua', 'return {}'),
        'Some prose.\n',
        fence('ndjson input', '{"a":1}'),
        fence('sh exit=1', "sanctum cast examples/a.lua \\\n  --rune 'k=[1, 2]'"),
        fence('ndjson output', '{"a":1}'),
        fence('text stderr', 'oops'),
        fence('sh norun', 'npm install sanctum-streams'),
        fence('text', 'a-b|'),
        fence('ts file=examples/x.ts', 'export async function main() {}'),
        fence('json output', '1'),
      ].join('\n'),
    );
    expect(r.problems).toEqual([]);
    expect(r.notRun).toHaveLength(1);
    expect(r.examples.map((e) => e.kind)).toEqual(['file', 'command', 'file']);
    const cmd = r.examples[1]!;
    expect(cmd.kind === 'command' && cmd.argv).toEqual(['cast', 'examples/a.lua', '--rune', 'k=[1, 2]']);
    expect(cmd.kind === 'command' && cmd.exitCode).toBe(1);
    expect(cmd.kind === 'command' && cmd.stdin?.text).toBe('{"a":1}\n');
    expect(cmd.outputs.map((o) => o.lang)).toEqual(['ndjson', 'text']);
    expect(r.examples[2]!.outputs.map((o) => o.lang)).toEqual(['json']);
  });

  it.each([
    ['an unmarked lua block', fence('lua', 'return {}'), /a `lua` block that no test runs/],
    ['an unmarked ts block', fence('ts', 'const x = 1'), /a `ts` block that no test runs/],
    ['an unmarked yaml block', fence('yaml', 'a: 1'), /a `yaml` block that no test runs/],
    ['a block without a language', fence('', 'x'), /give the block a language/],
    ['a sh block that is not a sanctum command', fence('sh', 'npm test'), /starts with `sanctum`/],
    ['a pipe', fence('sh', 'sanctum cast a.lua | head'), /shell syntax '\|'/],
    ['two commands in one block', fence('sh', 'sanctum test\nsanctum test'), /one `sanctum` command/],
    ['an output with nothing to run', fence('ndjson output', '{}'), /must follow/],
    ['an output after a lua file (not runnable with an output)', fence('text', 'x') + fence('text output', 'y'), /must follow/],
    ['an input not followed by a command', fence('ndjson input', '{}') + fence('text', 'x'), /must be followed/],
    ['a bad lines= range', fence('yaml file=examples/a.test.yaml lines=9-3', 'a: 1'), /lines= must look like/],
  ])('reports %s', (_what, md, message) => {
    const r = page(md);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatch(/^page\.md:\d+: /);
    expect(r.problems[0]).toMatch(message);
  });

  it('reads quotes and line continuations in commands', () => {
    expect(parseCommand(`sanctum cast x.lua -r "a=b c" \\\n  -r 'd="e"'\n`)).toEqual({ argv: ['cast', 'x.lua', '-r', 'a=b c', '-r', 'd="e"'] });
    expect(parseCommand('# a comment\nsanctum test\n')).toEqual({ argv: ['test'] });
  });
});
