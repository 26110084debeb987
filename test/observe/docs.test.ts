/** docunomicon/observability.md says what the code does: its metric table, its runesets, its `top` table. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { Subject } from 'rxjs';
import { parse as parseYaml } from 'yaml';
import { renderTop, SanctumMetrics, scrapeOf, type ObservedRun } from '../../src/observe/index.js';
import { validateRunesetData } from '../../src/runes/schema.js';
import { first, second } from './fixtures.js';

const PAGE = readFileSync(new URL('../../docunomicon/observability.md', import.meta.url), 'utf8');

/** The fenced blocks of the page: info string and text. */
const blocks = [...PAGE.matchAll(/^```(.*)\n([\s\S]*?)^```$/gm)].map((m) => ({ info: m[1]!.trim(), text: m[2]! }));

describe('docunomicon/observability.md', () => {
  it('lists every metric Sanctum registers, with its type and labels, and no other', () => {
    const run: ObservedRun = { graph: { streamNames: [], appended: () => 0, deadLetters: 0, stream: () => new Subject<never>() }, spells: new Map() };
    const metrics = new SanctumMetrics(run, { defaultMetrics: false, taps: () => [] });
    const registered = metrics.registry
      .getMetricsAsArray()
      .map((m) => {
        const x = m as unknown as { name: string; type: string; labelNames: readonly string[] };
        return `${x.name} | ${x.type} | ${[...x.labelNames].join(', ')}`;
      })
      .sort();
    const documented = [...PAGE.matchAll(/^\| `(sanctum_[a-z_]+)` \| (\w+) \|([^|]*)\|/gm)]
      .map(([, name, type, labels]) => `${name} | ${type} | ${labels!.replace(/`/g, '').trim()}`)
      .sort();
    expect(documented).toEqual(registered);
  });

  it('shows runeset runes that the schema accepts', () => {
    const runesets = blocks.filter((b) => b.info.startsWith('yaml') && b.text.startsWith('version: 1'));
    expect(runesets.length).toBeGreaterThanOrEqual(2);
    for (const b of runesets) expect(validateRunesetData(parseYaml(b.text)), b.text).toEqual([]);
  });

  it('shows the table sanctum top renders', () => {
    const shown = blocks.find((b) => b.info === 'text' && b.text.startsWith('sanctum top — '))!;
    expect(renderTop(scrapeOf(first, 10_000), scrapeOf(second, 12_000), { url: 'http://127.0.0.1:9598', clock: '14:02:03' })).toBe(shown.text);
  });

  it('marks every block that needs a live run norun', () => {
    for (const b of blocks) {
      if (/^(sh|ts|json|yaml)\b/.test(b.info)) expect(b.info, b.text).toMatch(/\bnorun\b/);
    }
  });
});
