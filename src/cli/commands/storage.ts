/**
 * The storage commands: `sanctum streams`, `append`, `tail` and `state`. The three that only read
 * open the data file read-only: they create no data file, and work on a directory they cannot write.
 */
import type { Command } from 'commander';
import { LineWriter } from '../../runtime/ndjson.js';
import { EXIT } from '../exit-codes.js';
import { guarded } from '../guarded.js';
import { parseCount } from '../options.js';
import { endQuietlyWhenStdoutCloses } from '../stdout.js';
import { durableNames, openStorageForReading, storageOptions, UsageError, type StorageFlags } from '../storage-options.js';
import { registerAppend } from './append.js';

export function registerStorage(program: Command): void {
  storageOptions(
    program
      .command('streams')
      .description('List the durable streams in the data directory: events, first and last sequence numbers.')
      .option('--json', 'print JSON'),
  )
    .addHelpText(
      'after',
      '\nReads only: creates no data file. With no data file yet, it says "no durable streams yet" (--json: []).\nExit codes: 0 listed, 2 the data file cannot be read.\n',
    )
    .action((flags: StorageFlags & { json?: boolean }) =>
      guarded(async () => {
        endQuietlyWhenStdoutCloses();
        const { storage, file } = await openStorageForReading(flags);
        try {
          const list = storage?.log.streams() ?? [];
          if (flags.json) process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
          else if (list.length === 0) process.stdout.write(`no durable streams yet${storage ? '' : ` (no data file at ${file})`}\n`);
          else {
            const rows = [['stream', 'events', 'first', 'last'], ...list.map((s) => [s.name, String(s.count), String(s.firstSeq), String(s.lastSeq)])];
            const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
            for (const r of rows) process.stdout.write(`${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}\n`);
          }
          return EXIT.OK;
        } finally {
          storage?.close();
        }
      }),
    );

  registerAppend(program);

  storageOptions(
    program
      .command('tail')
      .description('Print the events of a durable stream as NDJSON, from a sequence number; --follow waits for more.')
      .argument('<stream>', 'the durable stream')
      .option('--from <seq>', 'the first sequence number (default 1; negative: that many from the end)', (v) => Number(v))
      .option('-f, --follow', 'keep printing new events as they are appended (Ctrl-C to stop)')
      .option('--limit <n>', 'print at most n events', parseCount)
      .option('--meta', 'print {"seq", "ts", "key", "event"} instead of the bare event'),
  )
    .addHelpText(
      'after',
      '\nA stream is known once an event was appended to it, or when --runeset declares it durable (then --follow\n' +
        'waits for its first events). Reads only: creates no data file.\n' +
        'Exit codes: 0 printed, 2 no such stream (the message lists them) or the data file cannot be read.\n',
    )
    .action((stream: string, flags: StorageFlags & { from?: number; follow?: boolean; limit?: number; meta?: boolean }) =>
      guarded(async () => {
        endQuietlyWhenStdoutCloses();
        if (flags.from !== undefined && !Number.isInteger(flags.from)) throw new UsageError('--from takes a whole number');
        const { storage, runeset, file } = await openStorageForReading(flags);
        const declared = runeset?.streams[stream];
        if (declared && !declared.durable) {
          storage?.close();
          throw new UsageError(
            `stream '${stream}' is not durable in ${flags.runeset}: only durable streams are kept to tail (durable: ${durableNames(runeset!)})`,
          );
        }
        if (!storage) throw new UsageError(`no durable stream '${stream}': there are no durable streams yet (no data file at ${file})`);
        const stop = new AbortController();
        const onSignal = () => stop.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        const out = new LineWriter(process.stdout);
        try {
          const known = storage.log.streams();
          if (!declared && !known.some((s) => s.name === stream)) {
            throw new UsageError(`no durable stream '${stream}' in ${file} (streams: ${known.map((s) => s.name).join(', ') || 'none yet'})`);
          }
          let from = flags.from ?? 1;
          if (from <= 0) from = Math.max(1, storage.log.lastSeq(stream) + from + 1);
          let n = 0;
          try {
            for await (const e of storage.log.tail(stream, from, { follow: flags.follow === true, signal: stop.signal })) {
              out.write(JSON.stringify(flags.meta ? { seq: e.seq, ts: e.ts, key: e.key, event: e.event } : e.event));
              if (out.full) await out.flush();
              if (flags.limit !== undefined && ++n >= flags.limit) break;
            }
          } finally {
            await out.flush(); // every good event before a damaged one is printed before the error
          }
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
      .description('Print a spell\'s durable state as NDJSON {"key", "value"}, in key order.')
      .argument('<spell>', 'the spell (its name in the runeset)')
      .option('--prefix <prefix>', 'only keys that start with this')
      .option('--limit <n>', 'at most n keys', parseCount)
      .option('--reverse', 'in reverse key order'),
  )
    .addHelpText(
      'after',
      "\nValues whose time to live has ended (by this machine's clock) are not printed: no read sees them.\nReads only: creates no data file.\nExit codes: 0 printed, 1 the spell has no state here, 2 the data file cannot be read.\n",
    )
    .action((spell: string, flags: StorageFlags & { prefix?: string; limit?: number; reverse?: boolean }) =>
      guarded(async () => {
        endQuietlyWhenStdoutCloses();
        const { storage, file } = await openStorageForReading(flags);
        try {
          const known = storage?.state.namespaces().map((n) => n.ns) ?? [];
          if (!storage || !known.includes(spell)) {
            process.stderr.write(
              `sanctum: spell '${spell}' has no state here${storage ? (known.length ? ` (spells with state: ${known.join(', ')})` : '') : ` (no data file at ${file})`}\n`,
            );
            return EXIT.FAILURES;
          }
          const out = new LineWriter(process.stdout);
          // As every read: a value whose time to live has ended (by this machine's clock) is gone.
          const asOf = Date.now();
          for (const row of storage.state.range(spell, { prefix: flags.prefix, limit: flags.limit, reverse: flags.reverse === true, asOf })) {
            out.write(JSON.stringify(row));
          }
          await out.flush();
          return EXIT.OK;
        } finally {
          storage?.close();
        }
      }),
    );
}
