/** `sanctum tap <stream|spell>`: print the live events of a running `sanctum run --metrics` as NDJSON. */
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_URL } from '../../observe/address.js';
import { EXIT } from '../exit-codes.js';

interface TapFlags {
  url: string;
  sample?: number;
  limit?: number;
  buffer?: number;
  meta?: boolean;
}

function parseSample(arg: string): number {
  const n = Number(arg);
  if (!(n > 0 && n <= 1)) throw new InvalidArgumentError(`expected a share of events in (0, 1], such as 0.1, got '${arg}'`);
  return n;
}

function parseWhole(arg: string): number {
  const n = Number(arg.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a whole number of at least 1, got '${arg}'`);
  return n;
}

export function registerTap(program: Command): void {
  program
    .command('tap')
    .description('Print the events flowing through a stream (or out of a spell) of a running `sanctum run --metrics`, as NDJSON.')
    .argument('<target>', 'a stream or spell name; stream:NAME or spell:NAME when both exist')
    .option('--url <url>', 'where the run serves its metrics', DEFAULT_URL)
    .option('--sample <share>', 'print this share of the events, at random (0.1: one in ten)', parseSample)
    .option('--limit <n>', 'stop after this many events', parseWhole)
    .option('--buffer <n>', 'events the run holds for this tap while it is not reading, before it drops some', parseWhole)
    .option('--meta', 'print each event with where it was seen: {"stream":…,"event":…} or {"spell":…,"port":…,"event":…}')
    .addHelpText(
      'after',
      '\nThe run never waits for a tap: when this command cannot keep up, events are dropped and counted, and it\nsays how many on stderr. It stops at --limit, when the run ends, or on Ctrl-C.\nExit codes: 0 done, 2 no such stream or spell, or the run could not be reached.\n',
    )
    .action(async (target: string, flags: TapFlags) => {
      process.exitCode = await tap(target, flags);
    });
}

async function tap(target: string, flags: TapFlags): Promise<number> {
  const url = new URL('/tap', flags.url);
  const m = /^(stream|spell):(.+)$/.exec(target);
  if (m) url.searchParams.set(m[1]!, m[2]!);
  else url.searchParams.set('target', target);
  if (flags.sample !== undefined) url.searchParams.set('sample', String(flags.sample));
  if (flags.limit !== undefined) url.searchParams.set('limit', String(flags.limit));
  if (flags.buffer !== undefined) url.searchParams.set('buffer', String(flags.buffer));

  const abort = new AbortController();
  const stop = () => abort.abort();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    let res: Response;
    try {
      res = await fetch(url, { signal: abort.signal });
    } catch (e) {
      if (abort.signal.aborted) return EXIT.OK;
      const err = e as Error & { cause?: { code?: string } };
      process.stderr.write(`sanctum tap: cannot reach ${flags.url}: ${err.cause?.code ?? err.message}\n(is \`sanctum run --metrics\` running there?)\n`);
      return EXIT.INVALID;
    }
    if (!res.ok || !res.body) {
      const body = (await res.json().catch(() => ({}))) as { error?: string };
      process.stderr.write(`sanctum tap: ${body.error ?? `${res.status} ${res.statusText}`}\n`);
      return EXIT.INVALID;
    }
    let pending = '';
    const decoder = new TextDecoder();
    try {
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        pending += decoder.decode(value, { stream: true });
        const lines = pending.split('\n');
        pending = lines.pop()!;
        let out = '';
        for (const line of lines) out += handleLine(line, flags);
        if (out && !process.stdout.write(out)) await new Promise((resolve) => process.stdout.once('drain', resolve));
      }
    } catch (e) {
      if (!abort.signal.aborted) throw e;
    }
    return EXIT.OK;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/** What to print for one line from the server: the event (or the whole line with --meta); notices on stderr. */
function handleLine(line: string, flags: TapFlags): string {
  if (line === '') return '';
  const msg = JSON.parse(line) as { event?: unknown; dropped?: number; end?: string; sent?: number };
  if ('event' in msg) return `${flags.meta ? line : JSON.stringify(msg.event)}\n`;
  if (msg.end !== undefined) {
    if (msg.end !== 'limit')
      process.stderr.write(`sanctum tap: ${msg.end === 'completed' ? 'the stream completed' : 'the run ended'} (${msg.sent} events, ${msg.dropped} dropped)\n`);
    else if (msg.dropped) process.stderr.write(`sanctum tap: ${msg.dropped} events dropped in all\n`);
    return '';
  }
  if (msg.dropped !== undefined) process.stderr.write(`sanctum tap: ${msg.dropped} events dropped: this tap could not keep up (the run never waits for it)\n`);
  return '';
}
