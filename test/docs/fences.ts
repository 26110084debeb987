/**
 * Reads the fenced code blocks of the docunomicon's pages and sorts them into examples, following
 * the convention described in docunomicon/README.md ("How the examples are checked").
 */

/** A fenced block: its language, its attributes and where it is. */
export interface Fence {
  readonly page: string;
  /** Line of the opening fence, from 1. */
  readonly line: number;
  readonly lang: string;
  readonly attrs: Readonly<Record<string, string | true>>;
  /** The text between the fences, with a final newline (as a file would have). */
  readonly text: string;
}

/** A block shown as a file: its text must equal the file (or the lines named). */
export interface FileExample {
  readonly kind: 'file';
  readonly fence: Fence;
  readonly file: string;
  readonly lines?: readonly [number, number];
  /** Blocks after it that show what running it gives (TypeScript files). */
  readonly outputs: Fence[];
}

/** A `sanctum …` command run from the examples' folder. */
export interface CommandExample {
  readonly kind: 'command';
  readonly fence: Fence;
  readonly argv: readonly string[];
  readonly exitCode: number;
  readonly stdin?: Fence;
  readonly outputs: Fence[];
}

export type Example = FileExample | CommandExample;

export interface PageExamples {
  readonly examples: Example[];
  /** Blocks explicitly marked `norun`. */
  readonly notRun: Fence[];
  /** Blocks that break the convention: the test fails on each, with its position. */
  readonly problems: string[];
}

/** Languages whose blocks are prose-like (marble diagrams, usage lines) and need no marking. */
const PROSE = new Set(['text']);

/** Splits a Markdown page into its fenced blocks (``` fences at the start of a line). */
export function readFences(page: string, markdown: string): Fence[] {
  const fences: Fence[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const [, ticks, info] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !new RegExp(`^${ticks}\\s*$`).test(lines[j]!); j++) body.push(lines[j]!);
    const words = info!.trim().split(/\s+/).filter(Boolean);
    const attrs: Record<string, string | true> = {};
    for (const w of words.slice(1)) {
      const eq = w.indexOf('=');
      if (eq > 0) attrs[w.slice(0, eq)] = w.slice(eq + 1);
      else attrs[w] = true;
    }
    fences.push({ page, line: i + 1, lang: words[0] ?? '', attrs, text: body.length ? `${body.join('\n')}\n` : '' });
    i = j;
  }
  return fences;
}

/** Sorts a page's blocks into examples, and lists every block that breaks the convention. */
export function classify(fences: readonly Fence[]): PageExamples {
  const examples: Example[] = [];
  const notRun: Fence[] = [];
  const problems: string[] = [];
  const at = (f: Fence) => `${f.page}:${f.line}`;
  let runnable: Example | undefined; // the example that following output blocks belong to
  let pendingInput: Fence | undefined;

  for (const f of fences) {
    const role = f.attrs['output'] ? 'output' : f.attrs['stderr'] ? 'stderr' : f.attrs['input'] ? 'input' : undefined;
    if (role === 'output' || role === 'stderr') {
      if (!runnable) problems.push(`${at(f)}: a \`${role}\` block must follow a \`sanctum\` command or a TypeScript example file`);
      else runnable.outputs.push(f);
      continue;
    }
    const input = pendingInput;
    pendingInput = undefined;
    runnable = undefined;
    const isCommand = !f.attrs['norun'] && f.attrs['file'] === undefined && (f.lang === 'sh' || f.lang === 'bash' || f.lang === 'shell');
    if (input && !isCommand) problems.push(`${at(input)}: an \`input\` block must be followed by the \`sanctum\` command it feeds`);
    if (role === 'input') {
      pendingInput = f;
      continue;
    }
    if (f.lang === '') {
      problems.push(`${at(f)}: give the block a language (\`text\` for plain text)`);
    } else if (f.attrs['norun']) {
      notRun.push(f);
    } else if (typeof f.attrs['file'] === 'string') {
      const lines = parseLines(f.attrs['lines']);
      if (lines === null) problems.push(`${at(f)}: lines= must look like lines=3-12`);
      const ex: FileExample = { kind: 'file', fence: f, file: f.attrs['file'], ...(lines ? { lines } : {}), outputs: [] };
      examples.push(ex);
      runnable = ex;
    } else if (isCommand) {
      const parsed = parseCommand(f.text);
      const exitCode = f.attrs['exit'] === undefined ? 0 : Number(f.attrs['exit']);
      if ('error' in parsed) problems.push(`${at(f)}: ${parsed.error} (mark the block \`norun\` if it is not meant to run)`);
      else if (!Number.isInteger(exitCode)) problems.push(`${at(f)}: exit= must be a whole number`);
      else {
        const ex: CommandExample = { kind: 'command', fence: f, argv: parsed.argv, exitCode, ...(input ? { stdin: input } : {}), outputs: [] };
        examples.push(ex);
        runnable = ex;
      }
    } else if (!PROSE.has(f.lang)) {
      problems.push(`${at(f)}: a \`${f.lang}\` block that no test runs: show a file with file=examples/…, write a \`sanctum\` command, or mark it \`norun\``);
    }
  }
  if (pendingInput) problems.push(`${at(pendingInput)}: an \`input\` block must be followed by the \`sanctum\` command it feeds`);
  return { examples, notRun, problems };
}

function parseLines(v: string | true | undefined): readonly [number, number] | undefined | null {
  if (v === undefined) return undefined;
  const m = typeof v === 'string' ? /^(\d+)-(\d+)$/.exec(v) : null;
  if (!m || Number(m[1]) < 1 || Number(m[2]) < Number(m[1])) return null;
  return [Number(m[1]), Number(m[2])];
}

/**
 * Parses one `sanctum …` command: words, '…' and "…" quotes, `\` line continuations and `#`
 * comment lines. No pipes, redirections or other commands: what the page shows is what runs.
 */
export function parseCommand(text: string): { argv: string[] } | { error: string } {
  const joined = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .trim();
  if (joined.includes('\n')) return { error: 'a runnable sh block holds one `sanctum` command' };
  const argv: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < joined.length; i++) {
    const c = joined[i]!;
    if (c === "'" || c === '"') {
      const end = joined.indexOf(c, i + 1);
      if (end < 0) return { error: 'an unclosed quote' };
      word = (word ?? '') + joined.slice(i + 1, end);
      i = end;
    } else if (/\s/.test(c)) {
      if (word !== undefined) argv.push(word);
      word = undefined;
    } else if ('|&;<>$`'.includes(c)) {
      return { error: `the shell syntax '${c}' is not supported in a runnable example` };
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) argv.push(word);
  if (argv[0] !== 'sanctum') return { error: 'a runnable sh block starts with `sanctum`' };
  return { argv: argv.slice(1) };
}
