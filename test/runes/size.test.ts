/** parseSize: bytes from `65536`, `512KiB`, `64MiB`, `1GB`. */
import { describe, expect, it } from 'vitest';
import { parseSize } from '../../src/runes/size.js';

describe('parseSize', () => {
  it('takes integers as bytes', () => {
    expect(parseSize(65536)).toBe(65536);
  });

  it('reads binary and decimal units', () => {
    expect([parseSize('512KiB'), parseSize('64MiB'), parseSize('1GiB'), parseSize('3KB'), parseSize('2MB'), parseSize('1GB'), parseSize('10B')]).toEqual([
      512 * 1024,
      64 * 1024 ** 2,
      1024 ** 3,
      3000,
      2_000_000,
      1_000_000_000,
      10,
    ]);
  });

  it('allows one space before the unit', () => {
    expect(parseSize('64 MiB')).toBe(64 * 1024 ** 2);
  });

  it('rejects anything else', () => {
    expect([parseSize('64'), parseSize('64mib'), parseSize('1.5GiB'), parseSize('-1KiB'), parseSize(1.5), parseSize(-1), parseSize(null), parseSize('64  MiB')]).toEqual(
      Array(8).fill(undefined),
    );
  });
});
