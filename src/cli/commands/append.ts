/**
 * `sanctum append <stream> [files…]`: NDJSON events into a durable stream. Each batch commits with
 * the byte offset its file reached, so a re-run on the same file (after a crash, say) resumes there.
 */
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type cliProgress from 'cli-progress';
import { newProgressBar } from '../progress.js';
import type { AppendItem, Storage } from '../../core/storage.js';
import { FILE_CHUNK_BYTES, parseLine, readNdjson } from '../../runtime/ndjson.js';
import { countLines, readLines } from '../../runtime/lines.js';
import { keyOf } from '../../runtime/durable.js';
import { EXIT } from '../exit-codes.js';
import { guarded } from '../guarded.js';
import { durableNames, openStorageForWriting, storageOptions, UsageError, type StorageFlags } from '../storage-options.js';
import { suggest } from '../../runes/suggest.js';

/** Lines per commit. */
const BATCH_LINES = 1000;
/** How much of the head of a file its record fingerprints (less when the file was shorter). */
const HEAD_BYTES = 4096;

interface AppendFlags extends StorageFlags {
  key?: string;
  progress: boolean;
  fromStart?: boolean;
  create?: boolean;
}

export function registerAppend(program: Command): void {
  storageOptions(
    program
      .command('append')
      .description(
        'Append NDJSON events to a durable stream; each is acknowledged only once durable. Run again on the same file, it goes on where the last run stopped.',
      )
      .argument('<stream>', 'the durable stream')
      .argument('[files...]', 'NDJSON files; none or - reads stdin')
      .option('--key <field>', "store this field of each event as its key (default: the stream's `key` rune)")
      .option('--from-start', 'append the files from their first line, even the lines an earlier run appended')
      .option(
        '--create',
        'without --runeset: start a new stream even when its name is a letter or so from one the data directory has (else refused as a misspelling)',
      )
      .option('--no-progress', 'no progress bar, even on a terminal'),
  )
    .addHelpText(
      'after',
      '\nPrints the sequence numbers given. Unreadable lines go to stderr with file:line and are not appended.\n' +
        'Each batch of a file is committed with the byte offset it reached, so running the command again on the same\n' +
        'file (after a crash, or after lines were added to it) appends only what was not committed yet; a file\n' +
        'rewritten or replaced since is appended from its start, with a warning. Standard input cannot resume:\n' +
        'feeding it again appends it again.\n' +
        'Exit codes: 0 all appended, 1 some lines were unreadable, 2 no such stream, file or data directory.\n',
    )
    .action((stream: string, files: string[], flags: AppendFlags) => guarded(() => append(stream, files, flags)));
}

async function append(stream: string, files: string[], flags: AppendFlags): Promise<number> {
  const inputs = files.length ? files : ['-'];
  // Open every file first: a missing one stops the command before anything is appended.
  const opened = inputs.map((f) => (f === '-' ? undefined : openInput(f)));
  const { storage, runeset, file } = await openStorageForWriting(flags).catch((e: unknown) => {
    for (const o of opened) if (o) closeSync(o.fd);
    throw e;
  });
  try {
    if (runeset && !runeset.streams[stream]?.durable) {
      throw new UsageError(`stream '${stream}' is not a durable stream of ${flags.runeset} (durable: ${durableNames(runeset)})`);
    }
    // Without a runeset to say which streams there are, a new name that is one edit or so from a
    // stream the data directory has is taken for a misspelling of it, unless --create says otherwise
    // (any other new name starts a stream, as ever). Refused before anything is appended.
    if (!runeset && flags.create !== true) {
      const known = storage.log.streams().map((s) => s.name);
      const meant = known.includes(stream) ? undefined : suggest(stream, known);
      if (meant !== undefined) {
        throw new UsageError(`stream '${stream}' is not in ${file}, but '${meant}' is: did you mean it? To start '${stream}' as a new stream, pass --create.`);
      }
    }
    const keyField = flags.key ?? runeset?.streams[stream]?.key;
    const bar = progressBar(opened, flags.progress);
    const totals = { first: 0, last: 0, appended: 0, bad: 0 };
    const commit = (items: AppendItem[], position?: { key: string; seq: number; expected: number }): void => {
      const r = storage.commitBatch({
        ...(position ? { consumer: { name: consumerOf(stream), stream: position.key, seq: position.seq, expected: position.expected } } : {}),
        appends: items.length ? [{ stream, items }] : [],
      });
      const a = r.appended[0];
      if (a) {
        totals.first ||= a.first;
        totals.last = a.last;
        totals.appended += items.length;
      }
    };
    const toItem = (source: string, line: () => number, text: string, problem?: { error: string; code?: string }): AppendItem | undefined => {
      const parsed = problem ?? parseLine(text);
      if ('error' in parsed) {
        totals.bad++;
        process.stderr.write(`${source}:${line()}: ${parsed.error}\n`);
        return undefined;
      }
      return { event: parsed.value, key: keyOf(parsed.value, keyField) };
    };
    for (let i = 0; i < inputs.length; i++) {
      const input = opened[i];
      if (input === undefined) await appendStdin(commit, toItem);
      else await appendFile(storage, stream, input, flags.fromStart === true, commit, toItem, bar);
    }
    bar?.stop();
    process.stderr.write(
      totals.appended
        ? `appended ${totals.appended} event${totals.appended === 1 ? '' : 's'} to ${stream} (seq ${totals.first}..${totals.last})\n`
        : `appended nothing to ${stream}\n`,
    );
    return totals.bad ? EXIT.FAILURES : EXIT.OK;
  } finally {
    for (const o of opened) if (o) closeSync(o.fd);
    storage.close();
  }
}

type Commit = (items: AppendItem[], position?: { key: string; seq: number; expected: number }) => void;
type ToItem = (source: string, line: () => number, text: string, problem?: { error: string; code?: string }) => AppendItem | undefined;

/** Standard input: read once, committed in batches, with no position to resume from. */
async function appendStdin(commit: Commit, toItem: ToItem): Promise<void> {
  let batch: AppendItem[] = [];
  for await (const { source, line, text, problem } of readNdjson(['-'])) {
    const item = toItem(source, () => line, text, problem);
    if (item) batch.push(item);
    if (batch.length >= BATCH_LINES) {
      commit(batch);
      batch = [];
    }
  }
  if (batch.length) commit(batch);
}

interface Input {
  readonly name: string;
  readonly fd: number;
  readonly size: number;
  readonly dev: string;
  readonly ino: string;
  readonly regular: boolean;
}

function openInput(file: string): Input {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new UsageError(
      `cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}; nothing was appended`,
    );
  }
  const st = fstatSync(fd, { bigint: true });
  if (st.isDirectory()) {
    closeSync(fd);
    throw new UsageError(`cannot read ${file}: it is a directory; nothing was appended`);
  }
  return { name: file, fd, size: Number(st.size), dev: String(st.dev), ino: String(st.ino), regular: st.isFile() };
}

/**
 * Where a file's appends are recorded: a consumer position of `append:<stream>` whose "stream" is
 * the file's identity (device, inode, path, and a hash of its first bytes, to tell a file rewritten
 * in place) and whose seq is the byte offset committed, written in the same commit as the events.
 */
interface FileRecord {
  readonly key: string;
  readonly seq: number;
  readonly path: string;
  readonly dev: string;
  readonly ino: string;
  readonly head: number;
  readonly sha: string;
}

const consumerOf = (stream: string): string => `append:${stream}`;

function recordKey(r: Omit<FileRecord, 'key' | 'seq'>): string {
  return JSON.stringify({ file: r.path, dev: r.dev, ino: r.ino, head: r.head, sha: r.sha });
}

function records(storage: Storage, stream: string): FileRecord[] {
  return storage.offsets.list(consumerOf(stream)).flatMap((o) => {
    try {
      const k = JSON.parse(o.stream) as { file?: unknown; dev?: unknown; ino?: unknown; head?: unknown; sha?: unknown };
      if (typeof k.file !== 'string' || typeof k.dev !== 'string' || typeof k.ino !== 'string' || typeof k.head !== 'number' || typeof k.sha !== 'string')
        return [];
      return [{ key: o.stream, seq: o.seq, path: k.file, dev: k.dev, ino: k.ino, head: k.head, sha: k.sha }];
    } catch {
      return [];
    }
  });
}

/** The hash of the first `n` bytes of the file (undefined when it is shorter). */
function headHash(fd: number, n: number): string | undefined {
  const buf = Buffer.alloc(n);
  let got = 0;
  while (got < n) {
    const r = readSync(fd, buf, got, n - got, got);
    if (r === 0) return undefined;
    got += r;
  }
  return createHash('sha256').update(buf).digest('hex').slice(0, 32);
}

/** Where to start a file, and the record its commits move. */
function plan(storage: Storage, stream: string, input: Input, fromStart: boolean): { key: string; start: number; expected: number } {
  const abs = path.resolve(input.name);
  const all = records(storage, stream);
  const same = all.filter((r) => r.dev === input.dev && r.ino === input.ino);
  const match = same.find((r) => r.seq <= input.size && headHash(input.fd, r.head) === r.sha);
  if (match) {
    if (fromStart)
      process.stderr.write(`${input.name}: appending it again from its start (--from-start), though an earlier run appended it up to byte ${match.seq}\n`);
    else if (match.seq > 0 && match.seq === input.size)
      process.stderr.write(`${input.name}: an earlier run appended all of it (${input.size} bytes); nothing new (--from-start appends it all again)\n`);
    else if (match.seq > 0)
      process.stderr.write(
        `${input.name}: an earlier run appended it up to byte ${match.seq} of ${input.size}; going on from there (--from-start appends it all again)\n`,
      );
    return { key: match.key, start: fromStart ? 0 : match.seq, expected: match.seq };
  }
  if (same.length)
    process.stderr.write(
      `warning: ${input.name} was rewritten since an earlier run appended it (its first bytes changed, or it is shorter): appending it from its start\n`,
    );
  else if (all.some((r) => r.path === abs))
    process.stderr.write(`warning: ${input.name} is not the file an earlier run appended from this path (it was replaced): appending it from its start\n`);
  const head = Math.min(HEAD_BYTES, input.size);
  const key = recordKey({ path: abs, dev: input.dev, ino: input.ino, head, sha: headHash(input.fd, head)! });
  return { key, start: 0, expected: storage.offsets.get(consumerOf(stream), key) };
}

/**
 * A file from where its record says, in batches committed with the byte offset just past their
 * last line. A file that is not a regular file (a pipe, a device) cannot resume: it is read once,
 * like standard input.
 */
async function appendFile(
  storage: Storage,
  stream: string,
  input: Input,
  fromStart: boolean,
  commit: Commit,
  toItem: ToItem,
  bar: cliProgress.SingleBar | undefined,
): Promise<void> {
  const position = input.regular ? plan(storage, stream, input, fromStart) : undefined;
  if (!input.regular) process.stderr.write(`${input.name}: not a regular file, so a re-run cannot resume it: running the command again appends it again\n`);
  const start = position?.start ?? 0;
  bar?.increment(start);
  let expected = position?.expected ?? 0;
  // Line numbers for messages: lines before `start` are counted only when one is needed.
  let base: number | undefined;
  let reached = start;
  const stream_ = createReadStream('', { fd: input.fd, start, autoClose: false, highWaterMark: FILE_CHUNK_BYTES });
  // The one line reader of every input path: a BOM at the file's start skipped, CRLF, invalid UTF-8
  // and over-long lines refused with their line. Each batch commits with the offset it reached.
  for await (const b of readLines(stream_, { final: 'emit', startOffset: start })) {
    bar?.increment(b.end - reached);
    reached = b.end;
    const batch: AppendItem[] = [];
    for (let i = 0; i < b.lines.length; i++) {
      const text = b.lines[i]!;
      const refusal = b.refused?.get(i);
      const lineNo = () => (base ??= countLines(input.fd, start)) + b.firstLine + i;
      if (refusal) {
        toItem(input.name, lineNo, text, { error: refusal.message, code: refusal.code });
        continue;
      }
      if (text.trim() === '') continue;
      const item = toItem(input.name, lineNo, text);
      if (item) batch.push(item);
    }
    if (position) {
      if (b.end === expected && batch.length === 0) continue;
      commit(batch, { key: position.key, seq: b.end, expected });
      expected = b.end;
    } else if (batch.length) commit(batch);
  }
}

/** A progress bar over the input bytes, on a terminal only, for files of 1 MB or more. */
function progressBar(inputs: readonly (Input | undefined)[], wanted: boolean): cliProgress.SingleBar | undefined {
  if (!wanted || !process.stderr.isTTY || inputs.length === 0 || inputs.some((i) => i === undefined || !i.regular)) return undefined;
  const total = inputs.reduce((n, i) => n + (i?.size ?? 0), 0);
  if (total < 1 << 20) return undefined;
  const bar = newProgressBar('appending [{bar}] {percentage}% | {value}/{total} bytes | {eta}s left');
  bar.start(total, 0);
  return bar;
}
