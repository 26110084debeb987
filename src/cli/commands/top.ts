/** `sanctum top`: a live table of a running `sanctum run --metrics`'s streams and spells. */
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_URL } from '../../observe/address.js';
import { renderTop, scrapeOf, type Scrape } from '../../observe/top.js';
import { EXIT } from '../exit-codes.js';

interface TopFlags {
  url: string;
  interval: number;
  once?: boolean;
}

function parseInterval(arg: string): number {
  const n = Number(arg);
  if (!(n >= 0.1 && n <= 3600)) throw new InvalidArgumentError(`expected seconds between 0.1 and 3600, got '${arg}'`);
  return n;
}

export function registerTop(program: Command): void {
  program
    .command('top')
    .description('Show the streams and spells of a running `sanctum run --metrics`: events, rates, errors, lag.')
    .option('--url <url>', 'where the run serves its metrics', DEFAULT_URL)
    .option('--interval <seconds>', 'time between two scrapes', parseInterval, 2)
    .option('--once', 'print one table (after two scrapes, for the rates) and exit; the default when stdout is not a terminal')
    .addHelpText(
      'after',
      '\nRates are computed from two scrapes of /metrics. On a terminal it refreshes until q or Ctrl-C.\nExit codes: 0 done (or the run ended), 2 the metrics could not be read.\n',
    )
    .action(async (flags: TopFlags) => {
      process.exitCode = await top(flags);
    });
}

async function scrape(base: string): Promise<Scrape> {
  const res = await fetch(new URL('/metrics', base), { headers: { accept: 'text/plain' } });
  if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
  return scrapeOf(await res.text(), performance.now());
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function top(flags: TopFlags): Promise<number> {
  const base = flags.url;
  let prev: Scrape;
  try {
    prev = await scrape(base);
  } catch (e) {
    process.stderr.write(`sanctum top: cannot read ${new URL('/metrics', base).href}: ${reason(e)}\n(is \`sanctum run --metrics\` running there?)\n`);
    return EXIT.INVALID;
  }
  const live = !flags.once && process.stdout.isTTY === true;
  if (!live) {
    await sleep(flags.interval * 1000);
    let cur: Scrape;
    try {
      cur = await scrape(base);
    } catch {
      // The run ended between the scrapes: show what the first said.
      process.stdout.write(renderTop(undefined, prev, { url: base }));
      return EXIT.OK;
    }
    process.stdout.write(renderTop(prev, cur, { url: base }));
    return EXIT.OK;
  }

  let stopped = false;
  let wake: () => void = () => {};
  const stop = () => {
    stopped = true;
    wake();
  };
  const stdin = process.stdin;
  const onKey = (key: Buffer) => {
    const k = key.toString();
    if (k === 'q' || k === '\u0003') stop();
  };
  if (stdin.isTTY) {
    stdin.setRawMode(true);
    stdin.on('data', onKey);
    stdin.resume();
  }
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  let ended = '';
  const draw = (before: Scrape | undefined, now: Scrape) => {
    const view = renderTop(before, now, { url: base, clock: new Date().toLocaleTimeString() });
    // Home, draw (clearing the rest of each line), clear what is left of the previous frame.
    process.stdout.write(`\u001b[H${view.replace(/\n/g, '\u001b[K\n')}\u001b[J(q to quit)`);
  };
  // The alternate screen, as top does: the terminal is left as it was on exit.
  process.stdout.write('\u001b[?1049h');
  try {
    let cur = prev;
    draw(undefined, cur);
    while (!stopped) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, flags.interval * 1000);
      });
      if (stopped) break;
      let next: Scrape;
      try {
        next = await scrape(base);
      } catch (e) {
        ended = `sanctum top: the run is gone (${reason(e)})\n`;
        break;
      }
      draw(cur, next);
      cur = next;
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    if (stdin.isTTY) {
      stdin.off('data', onKey);
      stdin.setRawMode(false);
      stdin.pause();
    }
    process.stdout.write('\u001b[?1049l');
  }
  if (ended) process.stderr.write(ended);
  return EXIT.OK;
}

function reason(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  return err.cause?.code ?? err.cause?.message ?? err.message;
}
