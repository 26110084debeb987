/** The storage commands: `sanctum streams`, `append`, `tail` and `state`. */
import { statSync } from 'node:fs';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import type { EventValue } from '../../core/event.js';
import type { AppendItem } from '../../core/storage.js';
import { LineWriter, parseLine, readNdjson } from '../../runtime/ndjson.js';
import { EXIT } from '../exit-codes.js';
import { parseCount } from '../options.js';
import { openStorageFromFlags, storageOptions, UsageError, type StorageFlags } from '../storage-options.js';

/** Runs a storage command: usage and storage errors become a message and exit code 2. */
async function guarded(body: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await body();
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith?.('STORAGE_')) {
      process.stderr.write(`sanctum: ${(e as Error).message}\n`);
      process.exitCode = EXIT.INVALID;
      return;
    }
    throw e;
  }
}

export function registerStorage(program: Command): void {
  storageOptions(
    program
      .command('streams')
      .description('List the durable streams in the data directory: events, first and last sequence numbers.')
      .option('--json', 'print JSON'),
  ).action((flags: StorageFlags & { json?: boolean }) =>
    guarded(async () => {
      const { storage } = await openStorageFromFlags(flags);
      try {
        const list = storage.log.streams();
        if (flags.json) process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        else if (list.length === 0) process.stdout.write('no durable streams yet\n');
        else {
          const rows = [['stream', 'events', 'first', 'last'], ...list.map((s) => [s.name, String(s.count), String(s.firstSeq), String(s.lastSeq)])];
          const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
          for (const r of rows) process.stdout.write(`${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}\n`);
        }
        return EXIT.OK;
      } finally {
        storage.close();
      }
    }),
  );

  storageOptions(
    program
      .command('append')
      .description('Append NDJSON events to a durable stream; each is acknowledged only once durable.')
      .argument('<stream>', 'the durable stream')
      .argument('[files...]', 'NDJSON files; none or - reads stdin')
      .option('--key <field>', 'store this field of each event as its key (default: the stream\'s `key` rune)')
      .option('--no-progress', 'no progress bar, even on a terminal'),
  )
    .addHelpText('after', '\nPrints the sequence numbers given. Unreadable lines go to stderr with file:line and are not appended.\nExit codes: 0 all appended, 1 some lines were unreadable, 2 no such stream or data file.\n')
    .action((stream: string, files: string[], flags: StorageFlags & { key?: string; progress: boolean }) =>
      guarded(async () => {
        const { storage, runeset } = await openStorageFromFlags(flags);
        try {
          if (runeset && !runeset.streams[stream]?.durable) {
            throw new UsageError(`stream '${stream}' is not a durable stream of ${flags.runeset} (durable: ${Object.values(runeset.streams).filter((s) => s.durable).map((s) => s.name).join(', ') || 'none'})`);
          }
          const keyField = flags.key ?? runeset?.streams[stream]?.key;
          const bar = progressBar(files, flags.progress);
          let batch: AppendItem[] = [];
          let first = 0;
          let last = 0;
          let appended = 0;
          let bad = 0;
          const flush = async () => {
            if (batch.length === 0) return;
            const r = await storage.log.append(stream, batch);
            first ||= r.first;
            last = r.last;
            appended += batch.length;
            batch = [];
          };
          for await (const { source, line, text, problem } of readNdjson(files)) {
            bar?.increment(Buffer.byteLength(text) + 1);
            const parsed = problem ?? parseLine(text);
            if ('error' in parsed) {
              bad++;
              process.stderr.write(`${source}:${line}: ${parsed.error}\n`);
              continue;
            }
            batch.push({ event: parsed.value, key: keyOf(parsed.value, keyField) });
            if (batch.length >= 1000) await flush();
          }
          await flush();
          bar?.stop();
          process.stderr.write(appended ? `appended ${appended} event${appended === 1 ? '' : 's'} to ${stream} (seq ${first}..${last})\n` : `appended nothing to ${stream}\n`);
          return bad ? EXIT.FAILURES : EXIT.OK;
        } finally {
          storage.close();
        }
      }),
    );

  storageOptions(
    program
      .command('tail')
      .description('Print the events of a durable stream as NDJSON, from a sequence number; --follow waits for more.')
      .argument('<stream>', 'the durable stream')
      .option('--from <seq>', 'the first sequence number (default 1; negative: that many from the end)', (v) => Number(v))
      .option('-f, --follow', 'keep printing new events as they are appended (Ctrl-C to stop)')
      .option('--limit <n>', 'print at most n events', parseCount)
      .option('--meta', 'print {"seq", "ts", "key", "event"} instead of the bare event'),
  ).action((stream: string, flags: StorageFlags & { from?: number; follow?: boolean; limit?: number; meta?: boolean }) =>
    guarded(async () => {
      const { storage } = await openStorageFromFlags(flags);
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const out = new LineWriter(process.stdout);
      try {
        if (flags.from !== undefined && !Number.isInteger(flags.from)) throw new UsageError('--from takes a whole number');
        let from = flags.from ?? 1;
        if (from <= 0) from = Math.max(1, storage.log.lastSeq(stream) + from + 1);
        let n = 0;
        for await (const e of storage.log.tail(stream, from, { follow: flags.follow === true, signal: stop.signal })) {
          out.write(JSON.stringify(flags.meta ? { seq: e.seq, ts: e.ts, key: e.key, event: e.event } : e.event));
          if (out.full) await out.flush();
          if (flags.limit !== undefined && ++n >= flags.limit) break;
        }
        await out.flush();
        return EXIT.OK;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        storage.close();
      }
    }),
  );

  storageOptions(
    program
      .command('state')
      .description("Print a spell's durable state as NDJSON {\"key\", \"value\"}, in key order.")
      .argument('<spell>', 'the spell (its name in the runeset)')
      .option('--prefix <prefix>', 'only keys that start with this')
      .option('--limit <n>', 'at most n keys', parseCount)
      .option('--reverse', 'in reverse key order'),
  ).action((spell: string, flags: StorageFlags & { prefix?: string; limit?: number; reverse?: boolean }) =>
    guarded(async () => {
      const { storage } = await openStorageFromFlags(flags);
      try {
        const known = storage.state.namespaces().map((n) => n.ns);
        if (!known.includes(spell)) {
          process.stderr.write(`sanctum: spell '${spell}' has no state here${known.length ? ` (spells with state: ${known.join(', ')})` : ''}\n`);
          return EXIT.FAILURES;
        }
        const out = new LineWriter(process.stdout);
        for (const row of storage.state.range(spell, { prefix: flags.prefix, limit: flags.limit, reverse: flags.reverse === true })) {
          out.write(JSON.stringify(row));
        }
        await out.flush();
        return EXIT.OK;
      } finally {
        storage.close();
      }
    }),
  );
}

function keyOf(event: EventValue, field: string | undefined): string | null {
  if (field === undefined || event === null || typeof event !== 'object' || Array.isArray(event)) return null;
  const v = (event as Record<string, EventValue>)[field];
  return v === undefined || v === null ? null : typeof v === 'string' ? v : JSON.stringify(v);
}

/** A progress bar over the input bytes, on a terminal only, for files of 1 MB or more. */
function progressBar(files: readonly string[], wanted: boolean): cliProgress.SingleBar | undefined {
  if (!wanted || !process.stderr.isTTY || files.length === 0 || files.includes('-')) return undefined;
  const total = files.reduce((n, f) => n + statSync(f).size, 0);
  if (total < 1 << 20) return undefined;
  const bar = new cliProgress.SingleBar({ format: 'appending [{bar}] {percentage}% | {value}/{total} bytes | {eta}s left', stream: process.stderr }, cliProgress.Presets.shades_classic);
  bar.start(total, 0);
  return bar;
}

