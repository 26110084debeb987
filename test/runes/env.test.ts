/** Environment references in runesets: `${VAR}`, `${VAR:-default}`, `$${` and where problems are reported. */
import { afterAll, describe, expect, it } from 'vitest';
import { expandEnv } from '../../src/runes/index.js';
import { brief, load, removeTempDirs } from './helpers.js';

afterAll(removeTempDirs);

describe('expandEnv', () => {
  it('fills a set variable', () => {
    expect(expandEnv('${HOME}/x', { HOME: '/home/me' })).toEqual({ value: '/home/me/x', problems: [] });
  });

  it('uses the default when the variable is unset or empty, and the value otherwise', () => {
    expect(expandEnv('${A:-one}-${B:-two}-${C:-three}', { B: '', C: 'set' }).value).toBe('one-two-set');
  });

  it('allows an empty default, and a default with colons and dashes', () => {
    expect(expandEnv('[${A:-}] ${B:-http://x:80/a-b}', {}).value).toBe('[] http://x:80/a-b');
  });

  it('keeps an empty value when there is no default', () => {
    expect(expandEnv('[${A}]', { A: '' })).toEqual({ value: '[]', problems: [] });
  });

  it('reads $${ as a literal ${', () => {
    expect(expandEnv('$${A} costs $5 and $${B:-x}', { A: 'no' })).toEqual({ value: '${A} costs $5 and ${B:-x}', problems: [] });
  });

  it('reports an unset variable with no default, at its index', () => {
    const { value, problems } = expandEnv('a ${X} b ${Y:-y}', {});
    expect(value).toBe('a ${X} b y');
    expect(problems).toEqual([
      { code: 'RUNESET_ENV_UNSET', index: 2, text: '${X}', message: 'environment variable X is not set', hint: 'set X, or give a default: ${X:-value}' },
    ]);
  });

  it('reports malformed and unterminated references', () => {
    expect(expandEnv('${1X} ${A B} ${}', {}).problems.map((p) => [p.code, p.index, p.message])).toEqual([
      ['RUNESET_ENV_SYNTAX', 0, "malformed environment reference '${1X}'"],
      ['RUNESET_ENV_SYNTAX', 6, "malformed environment reference '${A B}'"],
      ['RUNESET_ENV_SYNTAX', 13, "malformed environment reference '${}'"],
    ]);
    expect(expandEnv('x ${A', {}).problems.map((p) => [p.code, p.index, p.message])).toEqual([['RUNESET_ENV_SYNTAX', 2, "unterminated '${' (no closing '}')"]]);
  });
});

describe('environment references in a runeset', () => {
  const RUNESET = `version: \${VERSION:-1}
sanctum:
  data_dir: "\${STATE:-.sanctum}/\${USER_NAME}"
  log_level: \${LEVEL:-info}
streams:
  \${STREAM:-orders}: { description: "costs $\${PRICE}" }
spells:
  s:
    file: s.lua
    runes:
      limit: \${LIMIT:-10}
      quoted: "\${LIMIT:-10}"
      flag: \${FLAG:-true}
      name: \${NAME:-007x}
    budget:
      memory: \${MEMORY:-1MiB}
`;
  const FILES = { 's.lua': 'return { cast = function(e, emit) emit(e) end }\n' };

  it('fills values and keys, types unquoted values again, keeps quoted ones strings, and keeps $${ literal', async () => {
    const r = await load(RUNESET, FILES, { env: { USER_NAME: 'ada', LIMIT: '25' } });
    expect(r.diagnostics).toEqual([]);
    const rs = r.runeset!;
    expect(rs.sanctum.data_dir.original).toBe('.sanctum/ada');
    expect(rs.sanctum.log_level).toBe('info');
    expect(rs.streams['orders']).toEqual({ name: 'orders', description: 'costs ${PRICE}', implicit: false, durable: false });
    expect(rs.spells['s']!.runes).toEqual({ limit: 25, quoted: '25', flag: true, name: '007x' });
    expect(rs.spells['s']!.budget.memory).toBe(1024 * 1024);
  });

  it('reports each unset variable at its own reference, and nothing else about those values', async () => {
    const r = await load(RUNESET, FILES, { env: { STREAM: 'x y' } });
    expect(brief(r)).toEqual([
      '3:33 RUNESET_ENV_UNSET environment variable USER_NAME is not set',
      "6:3 RUNESET_BAD_VALUE 'x y' is not a valid stream name: names start with a letter and contain only letters, digits, '_' and '-'",
    ]);
  });

  it('points at the second of two identical references when the second is the one', async () => {
    const r = await load(`version: 1
streams:
  a: { description: "\${A:-x} then \${B} and \${B}" }
`);
    expect(brief(r)).toEqual(['3:35 RUNESET_ENV_UNSET environment variable B is not set', '3:44 RUNESET_ENV_UNSET environment variable B is not set']);
  });

  it('reports a malformed reference where it is written', async () => {
    const r = await load(`version: 1
streams:
  a:
    description: >
      folded text with \${BAD NAME}
`);
    expect(brief(r)).toEqual(["5:24 RUNESET_ENV_SYNTAX malformed environment reference '${BAD NAME}'"]);
  });
});
