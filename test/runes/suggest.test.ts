/** suggest: the closest known word to a typo, or nothing when none is close. */
import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance, suggest } from '../../src/runes/suggest.js';

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions, and swaps as one edit', () => {
    expect([
      editDistance('file', 'file'),
      editDistance('fiel', 'file'),
      editDistance('fle', 'file'),
      editDistance('files', 'file'),
      editDistance('fire', 'file'),
      editDistance('', 'ab'),
    ]).toEqual([0, 1, 1, 1, 1, 2]);
  });
});

describe('suggest', () => {
  it('finds the closest candidate, ignoring case', () => {
    expect(suggest('Pipeline', ['version', 'pipelines', 'spells'])).toBe('pipelines');
    expect(suggest('on_eror', ['file', 'runes', 'on_error', 'budget'])).toBe('on_error');
  });

  it('offers nothing when nothing is close, or the word is a candidate', () => {
    expect(suggest('zebra', ['file', 'runes'])).toBeUndefined();
    expect(suggest('ab', ['xy'])).toBeUndefined();
    expect(suggest('file', ['file'])).toBeUndefined();
  });

  it('breaks ties by candidate order', () => {
    expect(suggest('cat', ['bat', 'hat'])).toBe('bat');
  });

  it('phrases the suggestion for messages', () => {
    expect(didYouMean('fiel', ['file'])).toBe("; did you mean 'file'?");
    expect(didYouMean('zzz', ['file'])).toBe('');
  });
});
