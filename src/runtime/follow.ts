/**
 * Followed files (`follow: true`), like `tail -F`: every file `path` names (one path, or a glob) is
 * read as it grows, until the run stops. Each file is known by its identity — device and inode —
 * not its name: a file renamed away (rename rotation) is read to its end, then let go, and the new
 * file at the path is read from its start; a file that gets shorter (copytruncate) is read again
 * from its start. Into a durable stream each file's position (the key `follow:<path>#<dev>:<ino>`,
 * the byte offset after its last complete line: see packPosition) is committed when the file is
 * first seen and then with each batch, so a restart resumes every file exactly where the last commit left it —
 * files rotated meanwhile found again by inode in their directory. A last line without its `\n` is
 * never read while the file may still grow.
 */
import { readSync, watch, type FSWatcher } from 'node:fs';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { isUtf8 } from 'node:buffer';
import path from 'node:path';
import { expandGlob, hasGlob } from '../core/glob.js';
import { DEAD_LETTERS, type EventValue } from '../core/event.js';
import { isStorageError } from '../storage/index.js';
import type { RunesetSource } from '../runes/runeset.js';
import { sourceConsumer, sourceDeadLetter, type FollowStats, type SourceContext, type SourceStats } from './connector.js';
import type { SourceWrite } from './durable.js';
import { countLines, DEFAULT_MAX_LINE_BYTES, readLines, withoutBom, type LineBatch, type LineRefusal } from './lines.js';
import { decodeLines, FILE_CHUNK_BYTES, type EventBatch, type InputProblem } from './ndjson.js';
import { decodeTextLines } from './formats.js';

type FileSource = Extract<RunesetSource, { type: 'file' }>;

/** Knobs of a followed source that are not runes (tests, benchmarks). */
export interface FollowOptions {
  /**
   * How long a file renamed away or removed stays open after it last grew, for writes still landing
   * in it (a program that reopens its log a moment after the rename). Default 5 s.
   */
  readonly rotateWaitMs?: number;
  /** Listen to file-system notices (inotify) besides polling. Default true; false: polling alone. */
  readonly watch?: boolean;
}

const ROTATE_WAIT_MS = 5000;
/** Bytes before the read position kept to see a file rewritten under it (truncated, then grown past it again). */
const TAIL_BYTES = 16;
/** Chunks read in a row before the file's size is looked at again (for `bytes behind`). */
const CHUNKS_PER_STAT = 64;
const NEWLINE = 0x0a;

/**
 * Reads a file source with `follow: true` until `ctx.signal` aborts; resolves with the events read.
 * A failed commit rejects (the run stops; a restart resumes from the last commit).
 */
export async function readFollowed(ctx: SourceContext, src: FileSource, options: FollowOptions = {}): Promise<number> {
  const follower = new Follower(ctx, src, options);
  return follower.run();
}

/** Wakes readers waiting for a change: a file-system notice, the poll timer, a stop. */
class Pulse {
  private gen = 0;
  private waiters: (() => void)[] = [];
  get generation(): number {
    return this.gen;
  }
  fire(): void {
    this.gen++;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
  /** Resolves once fired after generation `seen` (at once if it was already). */
  wait(seen: number): Promise<void> {
    if (this.gen !== seen) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

/** Why a file's read ended. */
type Ending = 'stopped' | 'truncated' | 'finished';

/** One followed file: an open descriptor, where it is read to, and where its position is committed. */
interface Tailer {
  /** `dev:ino`. */
  readonly identity: string;
  /** The key of its committed position. */
  readonly key: string;
  readonly fh: FileHandle;
  /** Where it was last seen (absolute), and as messages name it. */
  file: string;
  display: string;
  /** Renamed away or removed: read to its end, then let go. */
  detached: boolean;
  /** When it last grew (or was detached), ms. */
  lastGrowth: number;
  /** The read position, and the last size seen. */
  pos: number;
  size: number;
  /** The number of the line at `pos`. */
  line: number;
  /** The committed position (durable, as packPosition makes it; 0 for none): the fence of the next commit. */
  committed: number;
  /** The last bytes read before `pos`, to see a file rewritten under the reader. */
  readonly tail: Buffer;
  tailLength: number;
  /** The chunk read last, and its offset: where the bytes before a batch's end usually are. */
  lastChunk: Buffer | undefined;
  lastChunkAt: number;
  ending: Ending;
  /** Resolves once it was read to its end after it was detached (or it ended): the file after it may start. */
  readonly drained: Promise<void>;
  drain: () => void;
  /** Files it must wait for (rotated before it appeared). */
  readonly after: readonly Promise<void>[];
}

class Follower {
  private readonly tailers = new Map<string, Tailer>();
  private readonly running = new Set<Promise<void>>();
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly unwatchable = new Set<string>();
  private readonly pulse = new Pulse();
  private readonly stats: SourceStats;
  private readonly counters: FollowStats;
  private readonly pattern: string;
  private readonly glob: boolean;
  private readonly durable: boolean;
  private readonly deadDurable: boolean;
  private readonly consumer: string;
  private readonly rotateWaitMs: number;
  private rescan = true;
  private read = 0;
  private fatal: unknown;
  private waitingLogged = false;

  constructor(
    private readonly ctx: SourceContext,
    private readonly src: FileSource,
    private readonly options: FollowOptions,
  ) {
    this.stats = ctx.stats(src.name);
    const tailers = this.tailers;
    const counters: FollowStats = {
      rotations: 0,
      truncations: 0,
      get filesOpen() {
        return tailers.size;
      },
      get bytesBehind() {
        let n = 0;
        for (const t of tailers.values()) n += Math.max(0, t.size - t.pos);
        return n;
      },
    };
    this.counters = counters;
    this.stats.followed = counters;
    this.pattern = src.path.absolute;
    this.glob = hasGlob(src.path.original);
    this.durable = ctx.appender !== undefined && ctx.graph.isDurable(src.to);
    this.deadDurable = this.durable && ctx.graph.isDurable(DEAD_LETTERS);
    this.consumer = sourceConsumer(src.name);
    this.rotateWaitMs = options.rotateWaitMs ?? ROTATE_WAIT_MS;
  }

  async run(): Promise<number> {
    const { signal } = this.ctx;
    const wake = () => this.pulse.fire();
    signal.addEventListener('abort', wake, { once: true });
    // The poll: the files are looked at this often whatever notices say. It also keeps the process
    // alive while every reader waits.
    const poll = setInterval(() => {
      this.rescan = true;
      this.pulse.fire();
    }, this.src.follow!.pollMs);
    try {
      if (!signal.aborted) await this.start();
      while (!signal.aborted && this.fatal === undefined) {
        const seen = this.pulse.generation;
        if (this.rescan) {
          this.rescan = false;
          await this.scan();
        }
        await this.pulse.wait(seen);
      }
      while (this.running.size) await Promise.all(this.running);
    } catch (e) {
      this.fatal ??= e;
    } finally {
      clearInterval(poll);
      signal.removeEventListener('abort', wake);
      for (const w of this.watchers.values()) w.close();
      this.watchers.clear();
      // A storage failure stops the run; the readers stop with it (the run aborts the signal).
      while (this.running.size) await Promise.allSettled(this.running);
    }
    if (this.fatal !== undefined) throw this.fatal;
    return this.read;
  }

  /** The files there at the start: those rotated away with a committed position, then the matching ones. */
  private async start(): Promise<void> {
    const { files, dirs } = await this.expand();
    this.watch(dirs);
    const matched = await this.identities(files);
    const recovered: Promise<void>[] = [];
    if (this.durable) {
      // Oldest first, each after the one before: a file rotated twice while no run read it is read
      // before the one rotated after it, as the lines were written.
      for (const r of await this.rotatedAway(dirs, new Set(matched.map((m) => m.identity)))) {
        const t = await this.open(r.file, r.identity, 'recovered', [...recovered]);
        if (t) recovered.push(t.drained);
      }
    }
    for (const m of matched) await this.open(m.file, m.identity, 'initial', recovered);
    if (this.tailers.size === 0) this.waiting();
    else {
      const n = matched.length;
      this.log(
        'info',
        `file source '${this.src.name}' follows ${this.glob ? `${n} file${n === 1 ? '' : 's'} matching ${this.src.path.original}` : this.src.path.original}`,
      );
    }
  }

  /**
   * Files in the watched directories that no longer match but that an earlier run followed and
   * committed a position in: rotated (or moved) while no run read them. They are read to their end
   * first, oldest first. A compressed one (`.gz`, …) is not text any more: left alone.
   */
  private async rotatedAway(dirs: readonly string[], matched: ReadonlySet<string>): Promise<{ file: string; identity: string; mtime: number }[]> {
    const out: { file: string; identity: string; mtime: number }[] = [];
    for (const dir of dirs) {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        continue;
      }
      for (const name of names) {
        if (/\.(gz|bz2|xz|zst|lz4|zip|z)$/i.test(name)) continue;
        const file = path.join(dir, name);
        let st;
        try {
          st = await stat(file, { bigint: true });
        } catch {
          continue;
        }
        if (!st.isFile()) continue;
        const identity = `${st.dev}:${st.ino}`;
        if (matched.has(identity)) continue;
        if ((await this.ctx.position(this.consumer, this.keyOf(identity))) > 0) out.push({ file, identity, mtime: Number(st.mtimeMs) });
      }
    }
    return out.sort((a, b) => a.mtime - b.mtime);
  }

  /** Looks at the path again: new files are followed, files no longer there are detached. */
  private async scan(): Promise<void> {
    const { files, dirs } = await this.expand();
    this.watch(dirs);
    const matched = await this.identities(files);
    const seen = new Set(matched.map((m) => m.identity));
    for (const t of this.tailers.values()) {
      if (t.detached || seen.has(t.identity)) continue;
      t.detached = true;
      t.lastGrowth = Date.now();
      this.counters.rotations++;
      this.log('info', `file source '${this.src.name}': ${t.display} was renamed away or removed (rotated); reading it to its end`);
    }
    for (const m of matched) {
      const t = this.tailers.get(m.identity);
      if (t) {
        // Renamed to another matching name, or back: the same file, read on.
        if (t.file !== m.file) {
          t.file = m.file;
          t.display = this.displayOf(m.file);
        }
        if (t.detached) t.detached = false;
        continue;
      }
      // A new file: after those rotated away before it, from its start.
      const before = [...this.tailers.values()].filter((x) => x.detached).map((x) => x.drained);
      const opened = await this.open(m.file, m.identity, 'new', before);
      if (opened) this.log('info', `file source '${this.src.name}' follows ${opened.display} (a new file, from its start)`);
    }
    if (this.tailers.size === 0) this.waiting();
  }

  private waiting(): void {
    if (this.waitingLogged) return;
    this.waitingLogged = true;
    this.log(
      'warn',
      `file source '${this.src.name}': no file matches ${this.src.path.original} yet; waiting for one (looking every ${this.src.follow!.pollMs} ms)`,
      'INPUT_UNREADABLE',
    );
  }

  private async expand(): Promise<{ files: readonly string[]; dirs: readonly string[] }> {
    return expandGlob(this.pattern);
  }

  private async identities(files: readonly string[]): Promise<{ file: string; identity: string }[]> {
    const out: { file: string; identity: string }[] = [];
    for (const file of files) {
      try {
        const st = await stat(file, { bigint: true });
        if (st.isFile()) out.push({ file, identity: `${st.dev}:${st.ino}` });
      } catch {
        // gone since the directory was read
      }
    }
    return out;
  }

  /** Watches the directories where matching files appear (inotify on Linux); polling covers the rest. */
  private watch(dirs: readonly string[]): void {
    if (this.options.watch === false) return;
    for (const [dir, w] of this.watchers) {
      if (dirs.includes(dir)) continue;
      w.close();
      this.watchers.delete(dir);
    }
    for (const dir of dirs) {
      if (this.watchers.has(dir)) continue;
      try {
        const w = watch(dir, { persistent: false }, (event, name) => {
          if (event === 'rename') this.rescan = true;
          else if (name && !this.concerns(dir, String(name))) return;
          this.pulse.fire();
        });
        w.on('error', () => {
          w.close();
          this.watchers.delete(dir);
          this.rescan = true;
        });
        this.watchers.set(dir, w);
        this.unwatchable.delete(dir);
      } catch (e) {
        if (this.unwatchable.has(dir)) continue;
        this.unwatchable.add(dir);
        this.log('warn', `file source '${this.src.name}': cannot watch ${dir} (${(e as Error).message}); looking every ${this.src.follow!.pollMs} ms instead`);
      }
    }
  }

  /** Whether a change notice for `name` in `dir` may concern a file read now. */
  private concerns(dir: string, name: string): boolean {
    for (const t of this.tailers.values()) if (t.detached || (path.dirname(t.file) === dir && path.basename(t.file) === name)) return true;
    return false;
  }

  /** Where a followed file's position is committed: `follow:<path as written, absolute>#<dev>:<ino>`. */
  private keyOf(identity: string): string {
    return `follow:${this.pattern}#${identity}`;
  }

  private displayOf(file: string): string {
    if (!this.glob) return this.src.path.original;
    const rel = path.relative(this.ctx.runeset.dir, file);
    return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
  }

  /**
   * Opens a file and starts reading it. `initial`: there at the start (a durable source resumes its
   * committed position, or starts where `start_at` says); `recovered`: rotated away while no run
   * read it (resumes its position, detached); `new`: appeared during the run (from its start).
   */
  private async open(file: string, scanned: string, kind: 'initial' | 'recovered' | 'new', after: readonly Promise<void>[]): Promise<Tailer | undefined> {
    let fh: FileHandle;
    try {
      fh = await open(file, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // gone since the scan
      this.unreadable(this.displayOf(file), e);
      return undefined;
    }
    let tailer: Tailer | undefined;
    try {
      const st = await fh.stat({ bigint: true });
      // The file at that name may have been replaced since the scan: the descriptor's identity is the truth.
      const identity = `${st.dev}:${st.ino}`;
      if (identity !== scanned && this.tailers.has(identity)) {
        await fh.close();
        this.rescan = true;
        return undefined;
      }
      const size = Number(st.size);
      let drain!: () => void;
      const drained = new Promise<void>((resolve) => (drain = resolve));
      const t: Tailer = {
        identity,
        key: this.keyOf(identity),
        fh,
        file,
        display: this.displayOf(file),
        detached: kind === 'recovered',
        lastGrowth: Date.now(),
        pos: 0,
        size,
        line: 1,
        committed: 0,
        tail: Buffer.alloc(TAIL_BYTES),
        tailLength: 0,
        lastChunk: undefined,
        lastChunkAt: 0,
        ending: 'stopped',
        drained,
        drain,
        after,
      };
      tailer = t;
      if (!(await this.place(t, kind))) {
        t.drain();
        await fh.close();
        return undefined;
      }
      this.tailers.set(identity, t);
      const reading = this.follow(t).catch((e: unknown) => {
        this.fatal ??= e;
        this.pulse.fire();
      });
      this.running.add(reading);
      void reading.finally(() => this.running.delete(reading));
      return t;
    } catch (e) {
      tailer?.drain();
      await fh.close().catch(() => undefined);
      if (isStorageError(e)) throw e;
      this.unreadable(this.displayOf(file), e);
      return undefined;
    }
  }

  /**
   * Where a file is read from, and the number of the line there. Into a durable stream the file's
   * position is committed at once (registered): a restart finds it even if it is rotated away before
   * anything of it is read. False for a file found rotated away whose position does not fit it (its
   * inode now belongs to another file): it is not read, and the position is dropped.
   */
  private async place(t: Tailer, kind: 'initial' | 'recovered' | 'new'): Promise<boolean> {
    let pos = 0;
    let known = false;
    if (this.durable) {
      t.committed = await this.ctx.position(this.consumer, t.key);
      const stored = t.committed > 0 ? unpackPosition(t.committed) : undefined;
      // A source that read the file before without follow committed the bare offset under `file:`
      // (a last line without `\n` included, when it was a whole event).
      const unfollowed = stored === undefined && kind !== 'recovered' ? await this.ctx.position(this.consumer, `file:${this.pattern}#${t.identity}`) : 0;
      const from = stored?.offset ?? (unfollowed > 0 ? unfollowed : undefined);
      let rewritten: string | undefined;
      if (from !== undefined && from > t.size) rewritten = `it is shorter (${t.size} bytes) than where the last run left it (byte ${from})`;
      else if (from !== undefined && from > 0) {
        await this.readTail(t, from);
        if (stored !== undefined && fingerprint(t.tail.subarray(0, t.tailLength)) !== stored.check)
          rewritten = `the bytes before where the last run left it (byte ${from}) are not those it read`;
      }
      if (rewritten !== undefined) {
        t.tailLength = 0;
        if (kind === 'recovered') {
          await this.forget(t);
          return false;
        }
        this.counters.truncations++;
        this.log(
          'warn',
          `file source '${this.src.name}': ${t.display} was rewritten since the last run (${rewritten}); reading it again from its start`,
          'INPUT_TRUNCATED',
        );
      } else if (from !== undefined) {
        pos = from;
        known = true;
      }
    }
    if (!known && kind === 'initial' && this.src.follow!.startAt === 'end' && t.size > 0) {
      pos = await lineStartBefore(t.fh, t.size);
      if (pos > 0) await this.readTail(t, pos);
    }
    if (this.durable) {
      const seq = packPosition(pos, t.tail.subarray(0, t.tailLength));
      if (t.committed !== seq) await this.commitAt(t, seq, [], []);
    }
    t.pos = pos;
    t.line = pos > 0 ? countLines(t.fh.fd, pos) + 1 : 1;
    return true;
  }

  /** Reads a file until it is let go (rotated away and quiet), the run stops, or reading it fails. */
  private async follow(t: Tailer): Promise<void> {
    try {
      await Promise.all(t.after);
      const decode =
        this.src.format === 'lines'
          ? (b: LineBatch) => decodeTextLines(b, this.src.name, t.display, t.display)
          : (b: LineBatch) => decodeLines(b, t.display, this.durable);
      for (;;) {
        if (this.ctx.signal.aborted || this.fatal !== undefined) break;
        const lines = readLines(this.chunks(t), { final: 'hold', startOffset: t.pos, startLine: t.line });
        let r = await lines.next();
        while (!r.done) {
          await this.deliver(t, r.value, decode(r.value));
          await this.ctx.graph.room(this.src.to);
          r = await lines.next();
        }
        const end = r.value;
        if (t.ending === 'truncated') {
          this.counters.truncations++;
          this.log(
            'warn',
            `file source '${this.src.name}': ${t.display} got shorter (truncated, as copytruncate does); reading it again from its start — lines written to it after the last read and before it was truncated are lost`,
            'INPUT_TRUNCATED',
          );
          if (this.durable) await this.commitAt(t, packPosition(0, EMPTY), [], []);
          t.pos = 0;
          t.line = 1;
          t.tailLength = 0;
          continue;
        }
        if (t.ending === 'finished') {
          // Let go: its last line, even without its `\n`, is a line now; then its position is dropped.
          if (end.held > 0) await this.lastLine(t, end.end, end.held, end.nextLine, decode);
          if (this.durable) await this.forget(t);
        }
        break;
      }
    } catch (e) {
      if (isStorageError(e)) throw e;
      if (!this.ctx.signal.aborted) this.unreadable(t.display, e);
    } finally {
      t.drain();
      this.tailers.delete(t.identity);
      await t.fh.close().catch(() => undefined);
    }
  }

  /**
   * The file's bytes from `t.pos` on, as they are written: at its end it waits for a change. Ends
   * (with `t.ending`) when the run stops, the file got shorter, or it was rotated away and has been
   * quiet for the rotate wait.
   */
  private async *chunks(t: Tailer): AsyncGenerator<Buffer> {
    const { signal } = this.ctx;
    let pos = t.pos;
    let sinceStat = 0;
    let woken = false; // the next read follows a wait: check that the file was not rewritten meanwhile
    for (;;) {
      if (signal.aborted || this.fatal !== undefined) {
        t.ending = 'stopped';
        return;
      }
      const seen = this.pulse.generation;
      if (woken && pos > 0 && t.tailLength > 0 && !(await this.sameTail(t, pos))) {
        t.ending = 'truncated';
        return;
      }
      woken = false;
      const want = t.size > pos ? Math.min(FILE_CHUNK_BYTES, t.size - pos) : FILE_CHUNK_BYTES;
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await t.fh.read(buf, 0, want, pos);
      // The bytes before the read are checked again after it: a file truncated and written past
      // `pos` between the last look and this read would otherwise hand on the middle of a line.
      // (Rewritten after the read, what was read is the old file's, and reading again from the
      // start is right too.) One small read a chunk.
      if (bytesRead > 0 && pos > 0 && t.tailLength > 0 && !(await this.sameTail(t, pos))) {
        t.ending = 'truncated';
        return;
      }
      if (bytesRead > 0) {
        pos += bytesRead;
        t.pos = pos;
        if (pos > t.size) t.size = pos;
        this.keepTail(t, buf, bytesRead);
        t.lastChunk = buf;
        t.lastChunkAt = pos - bytesRead;
        if (t.detached) t.lastGrowth = Date.now();
        if (++sinceStat >= CHUNKS_PER_STAT) {
          sinceStat = 0;
          t.size = Math.max(pos, Number((await t.fh.stat()).size));
        }
        yield bytesRead === want ? buf : buf.subarray(0, bytesRead);
        continue;
      }
      // At the end of what is there: did it shrink, grow meanwhile, or is it done with?
      const size = Number((await t.fh.stat()).size);
      t.size = size;
      if (size < pos) {
        t.ending = 'truncated';
        return;
      }
      if (size > pos) continue;
      if (t.detached) {
        t.drain();
        if (Date.now() - t.lastGrowth >= this.rotateWaitMs) {
          t.ending = 'finished';
          return;
        }
      }
      await this.pulse.wait(seen);
      woken = true;
    }
  }

  /** Decodes and hands on a batch: into a durable stream, committed with the offset it reached. */
  private async deliver(t: Tailer, batch: LineBatch, decoded: EventBatch): Promise<void> {
    const events = decoded.events as EventValue[];
    const letters = decoded.problems.map((p) => this.letterOf(t.display, p));
    this.read += events.length;
    this.stats.events += events.length;
    if (this.durable) await this.commit(t, batch.end, events, letters, decoded.texts);
    else {
      for (const l of letters) sourceDeadLetter(this.ctx, l);
      if (events.length) this.ctx.graph.write(this.src.to, events);
    }
  }

  /** Commits a batch of a file with the byte offset it reached (and a check of the bytes before it), fenced by the last commit. */
  private async commit(t: Tailer, offset: number, events: EventValue[], letters: EventValue[], texts?: readonly (string | undefined)[]): Promise<void> {
    await this.commitAt(t, packPosition(offset, this.bytesBefore(t, offset)), events, letters, texts);
  }

  /** The (up to 16) bytes before `end`: from the chunk read last, where a batch ends; else read. */
  private bytesBefore(t: Tailer, end: number): Buffer {
    const n = Math.min(TAIL_BYTES, end);
    const c = t.lastChunk;
    if (c !== undefined && end - n >= t.lastChunkAt && end <= t.lastChunkAt + c.length) return c.subarray(end - n - t.lastChunkAt, end - t.lastChunkAt);
    const buf = Buffer.allocUnsafe(n);
    return buf.subarray(0, readSync(t.fh.fd, buf, 0, n, end - n));
  }

  /** Drops a file's position (committed as 0): the source is done with it. */
  private async forget(t: Tailer): Promise<void> {
    await this.commitAt(t, 0, [], []);
  }

  private async commitAt(t: Tailer, seq: number, events: EventValue[], letters: EventValue[], texts?: readonly (string | undefined)[]): Promise<void> {
    const position = { name: this.consumer, stream: t.key, seq, expected: t.committed };
    const writes: SourceWrite[] = [[this.src.to, events, texts]];
    if (this.deadDurable) {
      writes.push([DEAD_LETTERS, letters]);
      for (const l of letters) this.ctx.onDeadLetter(l);
    } else for (const l of letters) sourceDeadLetter(this.ctx, l);
    await this.ctx.appender!.commitSource(position, writes);
    t.committed = seq;
  }

  /** The last line of a file let go, without its `\n`: a line now, read like the others. */
  private async lastLine(t: Tailer, at: number, bytes: number, line: number, decode: (b: LineBatch) => EventBatch): Promise<void> {
    let text = '';
    let refusal: LineRefusal | undefined;
    if (bytes > DEFAULT_MAX_LINE_BYTES)
      refusal = { code: 'INPUT_LINE_TOO_LONG', message: `the line is longer than ${DEFAULT_MAX_LINE_BYTES} bytes (at least ${bytes}); it was skipped` };
    else {
      const buf = Buffer.alloc(bytes);
      const { bytesRead } = await t.fh.read(buf, 0, bytes, at);
      const got = buf.subarray(0, bytesRead);
      text = withoutBom(got.toString('utf8'), at);
      if (!isUtf8(got))
        refusal = { code: 'INPUT_BAD_UNICODE', message: 'the line is not valid UTF-8; NDJSON is UTF-8 text: convert the file (iconv -f <encoding> -t UTF-8)' };
      if (text.endsWith('\r')) text = text.slice(0, -1);
    }
    const batch: LineBatch = { lines: [text], firstLine: line, end: at + bytes, refused: refusal ? new Map([[0, refusal]]) : undefined };
    await this.deliver(t, batch, decode(batch));
  }

  private keepTail(t: Tailer, buf: Buffer, got: number): void {
    if (got >= TAIL_BYTES) {
      buf.copy(t.tail, 0, got - TAIL_BYTES, got);
      t.tailLength = TAIL_BYTES;
      return;
    }
    const keep = Math.min(t.tailLength, TAIL_BYTES - got);
    t.tail.copy(t.tail, 0, t.tailLength - keep, t.tailLength);
    buf.copy(t.tail, keep, 0, got);
    t.tailLength = keep + got;
  }

  /** Reads the bytes before `pos` into the tailer's tail. */
  private async readTail(t: Tailer, pos: number): Promise<void> {
    const n = Math.min(TAIL_BYTES, pos);
    const { bytesRead } = await t.fh.read(t.tail, 0, n, pos - n);
    t.tailLength = bytesRead;
  }

  /** Whether the bytes before `pos` are still those read: false when the file was rewritten under the reader. */
  private async sameTail(t: Tailer, pos: number): Promise<boolean> {
    const n = t.tailLength;
    const now = Buffer.allocUnsafe(n);
    const { bytesRead } = await t.fh.read(now, 0, n, pos - n);
    return bytesRead === n && now.equals(t.tail.subarray(0, n));
  }

  private letterOf(file: string, p: InputProblem): EventValue {
    return { code: p.code, source: this.src.name, file, line: p.line, message: p.message, text: p.text };
  }

  /** A file that cannot be opened or read: a dead letter (the run logs and counts it); the others go on. */
  private unreadable(file: string, e: unknown): void {
    sourceDeadLetter(this.ctx, { code: 'INPUT_UNREADABLE', source: this.src.name, file, message: (e as Error).message });
  }

  private log(level: 'info' | 'warn', message: string, code?: string): void {
    this.ctx.log({ level, message, source: this.src.name, ...(code ? { code } : {}) });
  }
}

/**
 * A followed file's position as committed: the byte offset + 1 (so that 0 keeps meaning "no
 * position": a file registered at offset 0 is found after a restart, one let go is not) in the low
 * 40 bits, and above them a 13-bit check of the 16 bytes before the offset — so that a restart tells
 * a file truncated and written past the offset while no run read it from one that only grew.
 * Offsets go up to 1 TiB.
 */
export function packPosition(offset: number, before: Buffer): number {
  if (offset + 1 >= OFFSET_SPAN) throw new Error(`a followed file is read up to ${OFFSET_SPAN - 2} bytes (1 TiB); this one is longer`);
  return fingerprint(before) * OFFSET_SPAN + offset + 1;
}

/** The offset and check of a committed position (not 0). */
export function unpackPosition(seq: number): { offset: number; check: number } {
  return { offset: (seq % OFFSET_SPAN) - 1, check: Math.floor(seq / OFFSET_SPAN) };
}

const OFFSET_SPAN = 2 ** 40;
const EMPTY = Buffer.alloc(0);

/** FNV-1a of the bytes, in 13 bits. */
function fingerprint(bytes: Buffer): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193) >>> 0;
  return h & 0x1fff;
}

/** The offset just after the last `\n` before `end` (0 when there is none): where a line starts. */
async function lineStartBefore(fh: FileHandle, end: number): Promise<number> {
  const buf = Buffer.allocUnsafe(FILE_CHUNK_BYTES);
  for (let to = end; to > 0; ) {
    const from = Math.max(0, to - buf.length);
    const { bytesRead } = await fh.read(buf, 0, to - from, from);
    const nl = buf.subarray(0, bytesRead).lastIndexOf(NEWLINE);
    if (nl !== -1) return from + nl + 1;
    to = from;
  }
  return 0;
}
