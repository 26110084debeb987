/** scanEmits: literal ports of `emit` calls, past comments, strings and nested brackets. */
import { describe, expect, it } from 'vitest';
import { scanEmits } from '../../src/runes/lua-ports.js';

const ports = (src: string) => Object.fromEntries(scanEmits(src).literal);

describe('scanEmits', () => {
  it('finds double- and single-quoted ports, and the default port', () => {
    expect(ports(`emit(e, "alerts")\nemit(e, 'audit')\nemit(e)\nemit(e, "out")`)).toEqual({ alerts: [1], audit: [2], out: [3, 4] });
  });

  it('reads past nested calls, tables and indexing in the first argument', () => {
    const src = `emit(merge(e, { tags = { "a", "b" }, n = f(g(1), h[2]) }), "deep")\nemit({ x = (1 + 2) * 3 }, "math")`;
    expect(ports(src)).toEqual({ deep: [1], math: [2] });
  });

  it('spans lines and reports the line of the call', () => {
    expect(ports(`local x = 1\nemit(\n  { a = 1,\n    b = 2 },\n  "late"\n)`)).toEqual({ late: [2] });
  });

  it('ignores emits in comments and strings', () => {
    const src = [
      '-- emit(e, "line-comment")',
      '--[[ emit(e, "block-comment") ]]',
      '--[==[ emit(e, "level-comment") ]==]',
      'local s = "emit(e, \\"in-string\\")"',
      'local t = \'emit(e, "in-single")\'',
      'local u = [[emit(e, "in-long")]]',
      'emit(e, "real")',
    ].join('\n');
    expect(ports(src)).toEqual({ real: [7] });
  });

  it('accepts long-bracket port names and escapes in quoted ones', () => {
    expect(ports(`emit(e, [[long]])\nemit(e, "tab\\"q")`)).toEqual({ long: [1], 'tab"q': [2] });
  });

  it('counts computed ports apart, with their lines', () => {
    const scan = scanEmits(`local p = "x"\nemit(e, p)\nemit(e, "a" .. p)\nemit(e, "fixed")`);
    expect(Object.fromEntries(scan.literal)).toEqual({ fixed: [4] });
    expect(scan.computed).toEqual([2, 3]);
  });

  it('treats emit "x", emit { ... } and emit(e, nil) as the default port', () => {
    expect(ports(`emit "s"\nemit { a = 1 }\nemit(e, nil)`)).toEqual({ out: [1, 2, 3] });
  });

  it('ignores method calls and definitions named emit, and other names that contain it', () => {
    expect(ports(`obj:emit(e, "method")\nlocal function emit(a, b) end\nremit(e, "remit")\nemitter(e, "x")\nself.emit(e, "field")`)).toEqual({ field: [5] });
  });

  it('keeps line numbers right after multi-line strings and comments', () => {
    expect(ports(`--[[\n\n]]\nlocal s = [[\na\nb]]\nlocal t = "a\\\nb"\nemit(e, "here")`)).toEqual({ here: [9] });
  });

  it('survives unfinished source', () => {
    expect(ports('emit(e, "x"')).toEqual({ x: [1] });
    expect(ports('emit(')).toEqual({ out: [1] });
    expect(ports('local s = "unterminated\nemit(e, "y")')).toEqual({ y: [2] });
  });
});
