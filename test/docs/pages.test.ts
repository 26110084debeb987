/** The docunomicon's pages hold together: every error code is documented, and every link leads somewhere. */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES } from '../../src/core/errors.js';

const DOCS = fileURLToPath(new URL('../../docunomicon/', import.meta.url));

function pages(dir = DOCS): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === 'examples' ? [] : pages(full);
    return name.endsWith('.md') ? [full] : [];
  });
}

/** GitHub's anchors for a page's headings. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) inFence = !inFence;
    const m = !inFence && /^#{1,6} (.*)$/.exec(line);
    if (!m) continue;
    const slug = m[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, '')
      .replace(/ /g, '-');
    let unique = slug;
    for (let n = 1; out.has(unique); n++) unique = `${slug}-${n}`; // GitHub numbers repeated headings
    out.add(unique);
  }
  return out;
}

describe('docunomicon/errors.md', () => {
  const page = readFileSync(path.join(DOCS, 'errors.md'), 'utf8');
  it.each(Object.keys(ERROR_CODES))('documents %s', (code) => {
    expect(page, `add a "#### \`${code}\`" section to docunomicon/errors.md: what causes it and what to do`).toMatch(new RegExp(`^#{3,4} \`${code}\`$`, 'm'));
  });
});

describe.each(pages().map((p) => path.relative(DOCS, p)))('docunomicon/%s', (page) => {
  it('links only to files and headings that exist', () => {
    const text = readFileSync(path.join(DOCS, page), 'utf8').replace(/^```[\s\S]*?^```/gm, '');
    const broken: string[] = [];
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1]!;
      if (/^[a-z]+:/.test(target)) continue; // https:, mailto:
      const [file, hash] = target.split('#') as [string, string | undefined];
      const resolved = file === '' ? path.join(DOCS, page) : path.join(DOCS, path.dirname(page), file);
      if (!existsSync(resolved)) broken.push(`${target}: no such file`);
      else if (hash !== undefined && !anchors(readFileSync(resolved, 'utf8')).has(hash)) broken.push(`${target}: no such heading`);
    }
    expect(broken).toEqual([]);
  });
});
