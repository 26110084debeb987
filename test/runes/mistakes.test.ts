/** One runeset per mistake: each is reported at its exact line and column, with a message that says what would be right. */
import { afterAll, describe, expect, it } from 'vitest';
import { PASS_SPELL, brief, load, removeTempDirs } from './helpers.js';
import { loadRuneset } from '../../src/runes/index.js';
import { tempDir } from '../helpers.js';

afterAll(removeTempDirs);

const ENRICH = { 'spells/enrich.lua': PASS_SPELL };

describe('runeset mistakes', () => {
  it('reports malformed YAML with its line and column, and nothing else', async () => {
    const r = await load(`version: 1
streams:
  orders: description: x
`);
    expect(r.runeset).toBeUndefined();
    expect(brief(r)).toEqual(['3:11 RUNESET_YAML Nested mappings are not allowed in compact mappings']);
  });

  it('reports only the first YAML error, with a hint for an unquoted ${…} in a flow mapping', async () => {
    const r = await load(`version: 1
streams: {}
sources:
  in: { type: file, path: \${IN}, to: dead-letters }
`);
    expect(brief(r)).toEqual(['4:28 RUNESET_YAML Unexpected flow-map-start at node end']);
    expect(r.diagnostics[0]!.hint).toMatch(
      /^inside \{ … \} or \[ … \], quote a value that uses \$\{…\}: "\$\{NAME\}"; the parser reported \d+ more errors after this one/,
    );
  });

  it('reports a duplicate key at the second one, naming the line of the first', async () => {
    const r = await load(`version: 1
streams:
  orders: {}
  alerts: {}
  orders: {}
`);
    expect(brief(r)).toEqual(["5:3 RUNESET_DUPLICATE_KEY duplicate key 'orders' in streams (first at line 3); YAML keeps only the last one"]);
  });

  it('reports an unknown key at the key, with the closest allowed key and the list of allowed keys', async () => {
    const r = await load(
      `version: 1
streams: {}
spells:
  enrich:
    fiel: spells/enrich.lua
`,
      ENRICH,
    );
    expect(brief(r)).toEqual([
      "4:3 RUNESET_MISSING_KEY spells.enrich is missing the required key 'file'",
      "5:5 RUNESET_UNKNOWN_KEY unknown key 'fiel' in spells.enrich; did you mean 'file'?",
    ]);
    expect(r.diagnostics[1]!.hint).toBe('allowed here: file, runes, on_error, budget, tick, window, state');
  });

  it('reports an unknown top-level key', async () => {
    const r = await load(`version: 1
streams: {}
pipeline: {}
`);
    expect(brief(r)).toEqual(["3:1 RUNESET_UNKNOWN_KEY unknown key 'pipeline' at the top level; did you mean 'pipelines'?"]);
    expect(r.diagnostics[0]!.hint).toBe('allowed here: version, sanctum, streams, spells, sources, sinks, pipelines');
  });

  it('reports a wrong type at the value, saying what it must be', async () => {
    const r = await load(
      `version: 1
streams: { orders: {} }
spells:
  enrich: { file: spells/enrich.lua }
pipelines:
  p:
    from: orders
    steps: enrich
`,
      ENRICH,
    );
    expect(brief(r)).toEqual(["8:12 RUNESET_WRONG_TYPE pipelines.p.steps must be a list, got a string ('enrich')"]);
  });

  it('reports a value that fits none of the shapes a key allows once', async () => {
    const r = await load(`version: 1
streams: { orders: {} }
sinks:
  out:
    type: stdout
    from: 42
`);
    expect(brief(r)).toEqual(['6:11 RUNESET_WRONG_TYPE sinks.out.from must be a string or a list, got a number (42)']);
    expect(r.diagnostics[0]!.hint).toBe('One stream name, or a list of stream names.');
  });

  it('reports a quoted number as a string and says why', async () => {
    const r = await load(
      `version: 1
streams: {}
spells:
  enrich:
    file: spells/enrich.lua
    budget: { instructions: "50000" }
`,
      ENRICH,
    );
    expect(brief(r)).toEqual(["6:29 RUNESET_WRONG_TYPE spells.enrich.budget.instructions must be a whole number, got a string ('50000')"]);
    expect(r.diagnostics[0]!.hint).toBe('it is quoted, so YAML reads it as a string: remove the quotes');
  });

  it('reports a value not among the allowed ones, listing them and the closest', async () => {
    const r = await load(
      `version: 1
sanctum:
  log_level: verbose
streams: {}
spells:
  enrich:
    file: spells/enrich.lua
    on_error: dead_letter
`,
      ENRICH,
    );
    expect(brief(r)).toEqual([
      "3:14 RUNESET_BAD_VALUE sanctum.log_level must be one of 'debug', 'info', 'warn', 'error', not 'verbose'",
      "8:15 RUNESET_BAD_VALUE spells.enrich.on_error must be one of 'dead-letter', 'skip', 'stop', not 'dead_letter'; did you mean 'dead-letter'?",
    ]);
  });

  it('reports a wrong version', async () => {
    const r = await load(`version: 2
streams: {}
`);
    expect(brief(r)).toEqual(['1:10 RUNESET_BAD_VALUE version must be 1, not 2']);
  });

  it('reports a missing required key at the mapping that lacks it, with what the key is for', async () => {
    const r = await load(`version: 1
streams: {}
sources:
  orders-in:
    to: orders
`);
    expect(brief(r)).toEqual([
      "4:3 RUNESET_MISSING_KEY sources.orders-in is missing the required key 'type'",
      "5:9 RUNESET_UNKNOWN_STREAM source 'orders-in' writes to stream 'orders', which is not declared under streams",
    ]);
    expect(r.diagnostics[0]!.hint).toBe(
      'type: Where the events are read from: `file` (the file at `path`), `stdin`, `http` (a server on `listen` that takes POSTed events), or `nats` (a NATS subject, or a JetStream stream).',
    );
  });

  it('reports a missing top-level key at the start of the document', async () => {
    const r = await load(`# my runeset
version: 1
`);
    expect(brief(r)).toEqual(["2:1 RUNESET_MISSING_KEY the runeset is missing the required key 'streams'"]);
  });

  it('reports a file source or sink without a path', async () => {
    const r = await load(`version: 1
streams: { orders: {} }
sources:
  orders-in: { type: file, to: orders }
sinks:
  orders-out:
    type: file
    from: orders
`);
    expect(brief(r)).toEqual([
      "4:3 RUNESET_MISSING_KEY sources.orders-in is missing the required key 'path' (needed when type is 'file')",
      "6:3 RUNESET_MISSING_KEY sinks.orders-out is missing the required key 'path' (needed when type is 'file')",
    ]);
  });

  it('reports a name that is not a valid name, at the key', async () => {
    const r = await load(`version: 1
streams:
  "new orders": {}
`);
    expect(brief(r)).toEqual([
      "3:3 RUNESET_BAD_VALUE 'new orders' is not a valid stream name: names start with a letter and contain only letters, digits, '_' and '-'",
    ]);
  });

  it('reports a memory budget that is not a size, or too small', async () => {
    const r = await load(
      `version: 1
streams: {}
spells:
  a:
    file: spells/enrich.lua
    budget: { memory: 64 megs }
  b:
    file: spells/enrich.lua
    budget: { memory: 1KiB }
  c:
    file: spells/enrich.lua
    budget: { memory: 1024, instructions: 10 }
`,
      ENRICH,
    );
    expect(brief(r)).toEqual([
      "6:23 RUNESET_BAD_VALUE spells.a.budget.memory '64 megs' is not valid: write a size as a whole number of bytes, or one with a unit: B, KB, MB, GB, KiB, MiB or GiB, in any case (e.g. 64MiB)",
      "9:23 RUNESET_BAD_VALUE spells.b.budget.memory must be at least 64KiB (65536 bytes), not '1KiB' (1024 bytes)",
      '12:23 RUNESET_BAD_VALUE spells.c.budget.memory must be at least 65536, not 1024',
      '12:43 RUNESET_BAD_VALUE spells.c.budget.instructions must be at least 1000, not 10',
    ]);
  });

  it('reports streams nobody declared, wherever they are used, with the closest declared name', async () => {
    const r = await load(
      `version: 1
streams:
  orders: {}
  alerts: {}
spells:
  enrich: { file: spells/enrich.lua }
sources:
  in: { type: stdin, to: ordres }
sinks:
  out: { type: stdout, from: [alerts, alerst] }
pipelines:
  p:
    from: [orders, odrers]
    steps:
      - spell: enrich
        ports: { audit: audits }
    to: enriched
    dead_letters: dead
`,
      ENRICH,
    );
    expect(brief(r)).toEqual([
      "8:26 RUNESET_UNKNOWN_STREAM source 'in' writes to stream 'ordres', which is not declared under streams; did you mean 'orders'?",
      "10:39 RUNESET_UNKNOWN_STREAM sink 'out' reads stream 'alerst', which is not declared under streams; did you mean 'alerts'?",
      "13:20 RUNESET_UNKNOWN_STREAM pipeline 'p' reads stream 'odrers', which is not declared under streams; did you mean 'orders'?",
      "16:18 warning RUNESET_PORT_UNUSED step 1 of pipeline 'p' wires port 'audit', but spells/enrich.lua never emits to it",
      "16:25 RUNESET_UNKNOWN_STREAM step 1 of pipeline 'p' wires port 'audit' to stream 'audits', which is not declared under streams",
      "17:9 RUNESET_UNKNOWN_STREAM pipeline 'p' writes to stream 'enriched', which is not declared under streams",
      "18:19 RUNESET_UNKNOWN_STREAM pipeline 'p' sends its dead letters to stream 'dead', which is not declared under streams",
    ]);
    expect(r.diagnostics[0]!.hint).toBe('declare it under streams, or use one of: orders, alerts, dead-letters');
  });

  it('reports a step that names a spell nobody declared', async () => {
    const r = await load(
      `version: 1
streams: { orders: {} }
spells:
  enrich: { file: spells/enrich.lua }
pipelines:
  p:
    from: orders
    steps:
      - enrich
      - spell: enrihc
`,
      ENRICH,
    );
    expect(brief(r)).toEqual([
      "10:16 RUNESET_UNKNOWN_SPELL step 2 of pipeline 'p' casts spell 'enrihc', which is not declared under spells; did you mean 'enrich'?",
    ]);
    expect(r.diagnostics[0]!.hint).toBe('declare it under spells, or use one of: enrich');
  });

  it('reports a port the spell emits to that the step does not wire, at the step', async () => {
    const classify = `local spell = {}
function spell.cast(order, emit)
  if order.total > 100 then
    emit({ id = order.id, why = string.format("%d", order.total) }, "alerts")
  end
  emit(order)
end
return spell
`;
    const r = await load(
      `version: 1
streams: { orders: {}, alerts: {} }
spells:
  classify: { file: spells/classify.lua }
pipelines:
  p:
    from: orders
    steps:
      - classify
`,
      { 'spells/classify.lua': classify },
    );
    expect(brief(r)).toEqual([
      "6:3 warning RUNESET_PORT_UNWIRED pipeline 'p' has no `to`, but spell 'classify' emits to the default port (spells/classify.lua:6); those events will be dead letters (SPELL_PORT_UNWIRED)",
      "9:9 RUNESET_PORT_UNWIRED spell 'classify' emits to port 'alerts' (spells/classify.lua:4), but step 1 of pipeline 'p' does not wire it",
    ]);
    expect(r.diagnostics[1]!.hint).toBe('write the step as `- spell: classify` with `ports: { alerts: <stream> }`');
  });

  it('warns about a wired port the spell never emits to, and still loads', async () => {
    const r = await load(
      `version: 1
streams: { orders: {}, alerts: {} }
spells:
  enrich: { file: spells/enrich.lua }
pipelines:
  p:
    from: orders
    steps:
      - spell: enrich
        ports:
          alerts: alerts
`,
      ENRICH,
    );
    expect(brief(r)).toEqual([
      "6:3 warning RUNESET_PORT_UNWIRED pipeline 'p' has no `to`, but spell 'enrich' emits to the default port (spells/enrich.lua:3); those events will be dead letters (SPELL_PORT_UNWIRED)",
      "11:11 warning RUNESET_PORT_UNUSED step 1 of pipeline 'p' wires port 'alerts', but spells/enrich.lua never emits to it",
    ]);
    expect(r.diagnostics.map((d) => d.severity)).toEqual(['warning', 'warning']);
    expect(r.runeset).toBeDefined();
  });

  it('reports the default port wired by name', async () => {
    const r = await load(
      `version: 1
streams: { orders: {}, more: {} }
spells:
  enrich: { file: spells/enrich.lua }
pipelines:
  p:
    from: orders
    steps:
      - spell: enrich
        ports: { out: more }
`,
      ENRICH,
    );
    expect(brief(r)).toEqual([
      "6:3 warning RUNESET_PORT_UNWIRED pipeline 'p' has no `to`, but spell 'enrich' emits to the default port (spells/enrich.lua:3); those events will be dead letters (SPELL_PORT_UNWIRED)",
      "10:18 RUNESET_BAD_VALUE step 1 of pipeline 'p' wires port 'out', the default port, which always goes to the next step",
    ]);
  });

  it('reports a cycle between streams at the pipeline that closes it', async () => {
    const r = await load(
      `version: 1
streams: { a: {}, b: {} }
spells:
  enrich: { file: spells/enrich.lua }
pipelines:
  forth:
    from: a
    steps: [enrich]
    to: b
  back:
    from: b
    steps: [enrich]
    to: a
`,
      ENRICH,
    );
    expect(brief(r)).toEqual([
      "13:9 RUNESET_CYCLE pipeline 'back' closes a stream cycle: b -> a -> b (through pipelines 'back', 'forth'); events would go round forever",
    ]);
  });

  it('reports a pipeline that reads the dead letters it writes', async () => {
    const r = await load(
      `version: 1
streams: { retried: {} }
spells:
  enrich: { file: spells/enrich.lua }
pipelines:
  retry:
    from: dead-letters
    steps: [enrich]
    to: retried
`,
      ENRICH,
    );
    expect(brief(r)).toEqual(["6:3 RUNESET_CYCLE pipeline 'retry' closes a stream cycle: dead-letters -> dead-letters; events would go round forever"]);
    expect(r.diagnostics[0]!.hint).toBe("its failed events go to 'dead-letters', which it reads: set its dead_letters to another stream");
  });

  it('reports a spell file that does not exist, at the file value, with a close file name', async () => {
    const r = await load(
      `version: 1
streams: {}
spells:
  enrich:
    file: spells/enrihc.lua
`,
      ENRICH,
    );
    expect(brief(r)).toEqual(["5:11 SPELL_NOT_FOUND spell file 'spells/enrihc.lua' does not exist; did you mean 'spells/enrich.lua'?"]);
    expect(r.diagnostics[0]!.hint).toBe(`paths are relative to the runeset's directory, ${r.file.replace(/\/runeset\.yaml$/, '')}`);
  });

  it('reports a spell with a Lua syntax error at its file value, with the Lua file, line and message', async () => {
    const r = await load(
      `version: 1
streams: {}
spells:
  broken:
    file: spells/x.lua
`,
      { 'spells/x.lua': 'local spell = {}\nfunction spell.cast(e, emit)\n  x = = 1\nend\nreturn spell\n' },
    );
    expect(brief(r)).toEqual(["5:11 SPELL_SYNTAX spell 'broken' does not summon: spells/x.lua:3: unexpected symbol near '='"]);
    expect(r.diagnostics[0]!.hint).toBe('line 3: x = = 1');
  });

  it('reports a spell that does not return a table with cast', async () => {
    const r = await load(
      `version: 1
streams: {}
spells:
  odd: { file: odd.lua }
`,
      { 'odd.lua': 'return { kast = function() end }\n' },
    );
    expect(brief(r)).toEqual([
      "4:16 SPELL_INVALID spell 'odd' does not summon: odd.lua: the spell's table has no `cast` function: define function spell.cast(event, emit)",
    ]);
  });

  it('does not summon spells when checkSpells is false', async () => {
    const r = await load(
      `version: 1
streams: {}
spells:
  broken: { file: x.lua }
`,
      { 'x.lua': 'this is not Lua\n' },
      { checkSpells: false },
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.runeset?.spells['broken']?.file.original).toBe('x.lua');
  });

  it('reports an unset environment variable at the reference', async () => {
    const r = await load(`version: 1
streams: {}
sources:
  in:
    type: file
    path: \${DATA_DIR}/orders.ndjson
    to: dead-letters
`);
    expect(brief(r)).toEqual(['6:11 RUNESET_ENV_UNSET environment variable DATA_DIR is not set']);
    expect(r.diagnostics[0]!.hint).toBe('set DATA_DIR, or give a default: ${DATA_DIR:-value}');
  });

  it('reports a runeset file that does not exist', async () => {
    const r = await load('version: 1\nstreams: {}\n');
    const missing = r.file.replace(/runeset\.yaml$/, 'nope.yaml');
    const { loadRuneset } = await import('../../src/runes/index.js');
    const result = await loadRuneset(missing);
    expect(result.diagnostics).toEqual([{ code: 'RUNESET_NOT_FOUND', severity: 'error', file: missing, line: 1, column: 1, message: 'no such runeset file' }]);
  });
});

describe('a runeset with several mistakes', () => {
  it('reports all of them in one pass, in file order', async () => {
    const r = await load(
      `version: 1
streams:
  orders: {}
  alerts: {}
spells:
  enrich:
    file: spells/enrich.lua
    on_eror: skip
  broken:
    file: spells/broken.lua
sources:
  in: { type: file, path: "\${IN}", to: ordrs }
sinks:
  out: { type: printer, from: alerts }
pipelines:
  p:
    from: orders
    steps: [enrich, classify]
    to: orders
`,
      { ...ENRICH, 'spells/broken.lua': 'return {\n' },
    );
    expect(r.runeset).toBeUndefined();
    expect(brief(r)).toEqual([
      "8:5 RUNESET_UNKNOWN_KEY unknown key 'on_eror' in spells.enrich; did you mean 'on_error'?",
      "10:11 SPELL_SYNTAX spell 'broken' does not summon: spells/broken.lua:2: unexpected symbol near <eof>",
      '12:28 RUNESET_ENV_UNSET environment variable IN is not set',
      "12:40 RUNESET_UNKNOWN_STREAM source 'in' writes to stream 'ordrs', which is not declared under streams; did you mean 'orders'?",
      "14:16 RUNESET_BAD_VALUE sinks.out.type must be one of 'stdout', 'stderr', 'file', 'http', 'nats', not 'printer'",
      "18:21 RUNESET_UNKNOWN_SPELL step 2 of pipeline 'p' casts spell 'classify', which is not declared under spells",
      "19:9 RUNESET_CYCLE pipeline 'p' closes a stream cycle: orders -> orders; events would go round forever",
    ]);
  });
});

describe('durability mistakes', () => {
  it('refuses a pipeline that reads durable and in-memory streams, and warns about runes that do nothing', async () => {
    const dir = tempDir({
      'id.lua': 'return { cast = function(e) return e end }',
      'r.yaml': `version: 1
streams:
  a: { durable: true }
  b: { retention: { max_events: 10 } }
  c: {}
spells:
  id: { file: id.lua }
pipelines:
  p: { from: [a, b], steps: [id], to: c }
`,
    });
    const r = await loadRuneset(`${dir}/r.yaml`);
    expect(r.runeset).toBeUndefined();
    expect(r.diagnostics.map((d) => `${d.line}:${d.column} ${d.severity} ${d.message}`)).toEqual([
      '4:8 warning streams.b.retention has no effect: the stream is not durable',
      "9:14 error pipeline 'p' reads durable and in-memory streams (b is not durable); an exactly-once pipeline must read only durable streams",
    ]);
  });

  it('refuses a retention max_age of zero (it would delete every event before it is read) or not a duration, saying how to write one', async () => {
    const r = await load(`version: 1
streams:
  a: { durable: true, retention: { max_age: "0s" } }
  b: { durable: true, retention: { max_age: "7 days" } }
  c: { durable: true, retention: { max_age: 7d } }
`);
    const how = 'write a duration above zero as a whole number and a unit: ms, s, m, h or d (e.g. 90s, 15m, 12h, 7d); a bare number is seconds';
    expect(brief(r)).toEqual([
      `3:45 RUNESET_BAD_VALUE streams.a.retention.max_age '0s' is not valid: ${how}`,
      `4:45 RUNESET_BAD_VALUE streams.b.retention.max_age '7 days' is not valid: ${how}`,
    ]);
  });
});

describe('shared state', () => {
  it('warns when a stateful spell is cast by two pipelines', async () => {
    const dir = tempDir({
      'count.lua': 'return { cast = function(e) state.put("n", (state.get("n") or 0) + 1) end }',
      'r.yaml': `version: 1
streams:
  a: {}
  b: {}
spells:
  count: { file: count.lua }
pipelines:
  one: { from: a, steps: [count] }
  two: { from: b, steps: [count] }
`,
    });
    const r = await loadRuneset(`${dir}/r.yaml`);
    expect(r.runeset).toBeDefined();
    expect(r.diagnostics.map((d) => `${d.line}:${d.column} ${d.severity} ${d.message}`)).toEqual([
      "6:3 warning spell 'count' uses state and is cast by 2 steps (one, two); they share one state, and their batches may overwrite each other's changes",
    ]);
  });
});
