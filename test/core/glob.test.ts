/** File globs of followed sources: what `*`, `?` and `[...]` match, where new files would appear. */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { expandGlob, hasGlob } from '../../src/core/glob.js';
import { tempDir } from '../helpers.js';

describe('expandGlob', () => {
  const dir = tempDir({
    'logs/a.log': '',
    'logs/b.log': '',
    'logs/.hidden.log': '',
    'logs/a.log.1': '',
    'logs/c1.txt': '',
    'logs/c2.txt': '',
    'logs/sub/x.log': '',
    'other/d.log': '',
    'other/sub/y.log': '',
  });
  const rel = (m: { files: readonly string[]; dirs: readonly string[] }) => ({
    files: m.files.map((f) => path.relative(dir, f)),
    dirs: m.dirs.map((d) => path.relative(dir, d)),
  });

  it('matches a segment: * and ? never a leading dot or a slash; [..] and [!..] a class', async () => {
    expect(rel(await expandGlob(`${dir}/logs/*.log`))).toEqual({ files: ['logs/a.log', 'logs/b.log'], dirs: ['logs'] });
    expect(rel(await expandGlob(`${dir}/logs/?.log*`))).toEqual({ files: ['logs/a.log', 'logs/a.log.1', 'logs/b.log'], dirs: ['logs'] });
    expect(rel(await expandGlob(`${dir}/logs/c[12].txt`)).files).toEqual(['logs/c1.txt', 'logs/c2.txt']);
    expect(rel(await expandGlob(`${dir}/logs/c[!1].txt`)).files).toEqual(['logs/c2.txt']);
    expect(rel(await expandGlob(`${dir}/logs/.*.log`)).files).toEqual(['logs/.hidden.log']);
  });

  it('expands directory segments, and names the directories a new file would appear in', async () => {
    expect(rel(await expandGlob(`${dir}/*/sub/*.log`))).toEqual({ files: ['logs/sub/x.log', 'other/sub/y.log'], dirs: ['logs/sub', 'other/sub'] });
    expect(rel(await expandGlob(`${dir}/*/d.log`))).toEqual({ files: ['other/d.log'], dirs: ['logs', 'other'] });
  });

  it('a path without glob characters matches itself when it exists; a missing directory matches nothing', async () => {
    expect(rel(await expandGlob(`${dir}/logs/a.log`))).toEqual({ files: ['logs/a.log'], dirs: ['logs'] });
    expect(rel(await expandGlob(`${dir}/logs/none.log`))).toEqual({ files: [], dirs: ['logs'] });
    expect(rel(await expandGlob(`${dir}/nowhere/*.log`))).toEqual({ files: [], dirs: [] });
    expect(hasGlob('logs/*.log')).toBe(true);
    expect(hasGlob('logs/app.log')).toBe(false);
  });
});
