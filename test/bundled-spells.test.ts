import { describe, it, expect } from 'vitest';
import { readdirSync } from 'node:fs';

describe('the bundled spells', () => {
  it('every spell in spells/ has a spell test next to it', () => {
    const files = readdirSync('spells');
    const missing = files.filter((f) => f.endsWith('.lua') && !files.includes(f.replace(/\.lua$/, '.test.yaml')));
    expect(missing).toEqual([]);
  });
});
