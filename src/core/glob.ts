/** File globs (`logs/*.log`): `*`, `?` and `[...]` within one path segment, for followed file sources and their check. */
import { readdir } from 'node:fs/promises';
import path from 'node:path';

/** Whether a path holds glob characters (`*`, `?`, `[`): then it names every file it matches. */
export function hasGlob(p: string): boolean {
  return /[*?[]/.test(p);
}

/** What a glob matches now. */
export interface GlobMatch {
  /** The files (and links) it matches, absolute, sorted. */
  readonly files: readonly string[];
  /** The directories its last segment is matched in: where a new matching file would appear. */
  readonly dirs: readonly string[];
}

/**
 * The files an absolute glob matches now: each segment with glob characters is matched against
 * the entries of the directories the segments before it matched (`*` and `?` never match `/`, and
 * do not match a leading `.` — as in a shell). A path without glob characters matches itself when it
 * exists. Directories that cannot be read match nothing.
 *
 * @example
 * await expandGlob('/var/log/app/*.log'); // { files: ['/var/log/app/a.log', …], dirs: ['/var/log/app'] }
 */
export async function expandGlob(pattern: string): Promise<GlobMatch> {
  const abs = path.resolve(pattern);
  const { root } = path.parse(abs);
  const segments = abs
    .slice(root.length)
    .split(path.sep)
    .filter((s) => s !== '');
  let dirs = [root];
  for (let i = 0; i < segments.length - 1; i++) {
    const seg = segments[i]!;
    if (!hasGlob(seg)) {
      dirs = dirs.map((d) => path.join(d, seg));
      continue;
    }
    const re = segmentPattern(seg);
    const next: string[] = [];
    for (const d of dirs) for (const e of await entries(d)) if ((e.isDirectory() || e.isSymbolicLink()) && re.test(e.name)) next.push(path.join(d, e.name));
    dirs = next;
  }
  const last = segments[segments.length - 1] ?? '';
  const re = hasGlob(last) ? segmentPattern(last) : undefined;
  const files: string[] = [];
  const found: string[] = [];
  for (const d of dirs) {
    const list = await entries(d, true);
    if (list === undefined) continue;
    found.push(d);
    for (const e of list) if ((re ? re.test(e.name) : e.name === last) && !e.isDirectory()) files.push(path.join(d, e.name));
  }
  return { files: files.sort(), dirs: found };
}

async function entries(dir: string): Promise<import('node:fs').Dirent[]>;
async function entries(dir: string, orUndefined: true): Promise<import('node:fs').Dirent[] | undefined>;
async function entries(dir: string, orUndefined = false): Promise<import('node:fs').Dirent[] | undefined> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch {
    return orUndefined ? undefined : [];
  }
}

/** One glob segment as a regular expression over a name. */
function segmentPattern(seg: string): RegExp {
  let out = seg.startsWith('.') ? '' : '(?!\\.)';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      const close = seg.indexOf(']', i + 2);
      if (close === -1) {
        out += '\\[';
        continue;
      }
      let body = seg.slice(i + 1, close);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      out += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = close;
    } else out += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${out}$`, 's');
}
