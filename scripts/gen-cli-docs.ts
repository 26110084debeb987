// Generates docunomicon/reference/cli.md from the CLI itself: buildProgram() and EXIT_CODE_DOCS (`npx tsx scripts/gen-cli-docs.ts`).
import type { EventEmitter } from 'node:events';
import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Argument, Command, Option } from 'commander';
import { buildProgram } from '../src/cli/main.js';
import { EXIT_CODE_DOCS } from '../src/cli/exit-codes.js';

/** The command that regenerates the page; the staleness test prints it. */
export const GENERATE_COMMAND = 'npx tsx scripts/gen-cli-docs.ts';
export const REFERENCE_FILE = fileURLToPath(new URL('../docunomicon/reference/cli.md', import.meta.url));

/** The reference page for a program: the one `buildProgram()` returns, or another. */
export function renderCliReference(program: Command): string {
  const help = program.createHelp();
  const commands = visibleCommands(program);
  const out: string[] = [
    `<!-- Generated from buildProgram() in src/cli/main.ts by \`${GENERATE_COMMAND}\`: do not edit; change the CLI and run it again. -->`,
    '',
    '# CLI reference',
    '',
    sentence(program.description()),
    '',
    `Every \`${program.name()}\` command with its arguments and options, as \`--help\` shows them; every command also takes \`-h, --help\`. [The guide](../README.md) explains what they are for.`,
    '',
    '```text',
    help.commandUsage(program).trimEnd(),
    '```',
    '',
  ];
  const globals = help.visibleOptions(program).filter((o) => !isHelp(o));
  if (globals.length) out.push('Options of `sanctum` itself:', '', ...optionTable(globals));
  out.push('## Commands', '', '| Command | What it does |', '| --- | --- |');
  for (const c of allCommands(commands)) out.push(`| [\`${fullName(c)}\`](#${anchor(fullName(c))}) | ${cell(c.description())} |`);
  out.push('');
  for (const c of allCommands(commands)) out.push(...renderCommand(c));
  out.push('## Exit codes', '', 'Every command exits with one of these codes:', '', '| Code | Meaning |', '| --- | --- |');
  for (const [code, meaning] of EXIT_CODE_DOCS) out.push(`| ${code} | ${cell(meaning)} |`);
  out.push('');
  return out.join('\n');
}

function renderCommand(c: Command): string[] {
  const help = c.createHelp();
  const out = [`## ${fullName(c)}`, '', sentence(c.description()), '', '```text', help.commandUsage(c).trimEnd(), '```', ''];
  if (c.aliases().length)
    out.push(
      `Also: ${c
        .aliases()
        .map((a) => `\`${a}\``)
        .join(', ')}.`,
      '',
    );
  const args = help.visibleArguments(c);
  if (args.length) {
    out.push('| Argument | Required | Description |', '| --- | --- | --- |');
    for (const a of args) out.push(`| \`${argumentTerm(a)}\` | ${a.required ? 'yes' : 'no'} | ${cell(argumentText(a))} |`);
    out.push('');
  }
  const options = help.visibleOptions(c).filter((o) => !isHelp(o));
  if (options.length) out.push(...optionTable(options));
  const after = helpText(c);
  if (after) out.push(`From \`${fullName(c)} --help\`:`, '', '```text', after, '```', '');
  return out;
}

function optionTable(options: readonly Option[]): string[] {
  const rows = ['| Option | Description | Default |', '| --- | --- | --- |'];
  for (const o of options) {
    const parts = [o.description];
    if (o.argChoices?.length) parts.push(`one of ${o.argChoices.map((v) => `\`${v}\``).join(', ')}`);
    if (o.envVar) parts.push(`environment variable \`${o.envVar}\``);
    if (o.mandatory) parts.push('required');
    rows.push(`| \`${o.flags}\` | ${cell(parts.filter(Boolean).join('; '))} | ${defaultOf(o)} |`);
  }
  rows.push('');
  return rows;
}

function defaultOf(o: Option): string {
  if (o.defaultValueDescription) return `\`${cell(o.defaultValueDescription)}\``;
  return valueText(o.defaultValue);
}

function valueText(v: unknown): string {
  if (v === undefined) return '';
  return `\`${cell(typeof v === 'string' ? v : JSON.stringify(v))}\``;
}

function isHelp(o: Option): boolean {
  return o.long === '--help';
}

function argumentTerm(a: Argument): string {
  const name = `${a.name()}${a.variadic ? '...' : ''}`;
  return a.required ? `<${name}>` : `[${name}]`;
}

function argumentText(a: Argument): string {
  const parts = [a.description];
  if (a.argChoices?.length) parts.push(`one of ${a.argChoices.map((v) => `\`${v}\``).join(', ')}`);
  if (a.defaultValue !== undefined) parts.push(`default ${a.defaultValueDescription ? `\`${a.defaultValueDescription}\`` : valueText(a.defaultValue)}`);
  return parts.filter(Boolean).join('; ');
}

/** The text a command adds to its --help (addHelpText), captured without printing it. */
function helpText(c: Command): string {
  let text = '';
  const context = { error: false, command: c, write: (s: string) => void (text += s) };
  // addHelpText() registers listeners for these events (a commander Command is an EventEmitter).
  for (const event of ['beforeHelp', 'afterHelp']) (c as unknown as EventEmitter).emit(event, context);
  return text.replace(/^\n+|\s+$/g, '');
}

/** Subcommands, without hidden ones and commander's implicit `help` command. */
function visibleCommands(c: Command): Command[] {
  return c.commands.filter((s) => !(s as unknown as { _hidden?: boolean })._hidden);
}

/** Commands and their subcommands, depth first, in the order they were added. */
function allCommands(commands: readonly Command[]): Command[] {
  return commands.flatMap((c) => [c, ...allCommands(visibleCommands(c))]);
}

function fullName(c: Command): string {
  const names: string[] = [];
  for (let x: Command | null = c; x; x = x.parent) names.unshift(x.name());
  return names.join(' ');
}

/** GitHub's heading anchors: lower case, spaces to dashes, punctuation dropped. */
function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replace(/ /g, '-');
}

function sentence(s: string): string {
  const t = s.trim().replace(/\*/g, '\\*');
  return t === '' || /[.!?:]$/.test(t) ? t : `${t}.`;
}

/** Text safe inside a table cell. */
function cell(s: string): string {
  return s.replace(/[|*]/g, '\\$&').replace(/\n+/g, ' ');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(REFERENCE_FILE, renderCliReference(await buildProgram()));
  process.stdout.write(`wrote ${REFERENCE_FILE}\n`);
}
