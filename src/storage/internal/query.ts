/** Value-query semantics in JavaScript (the memory adapter and StateBuffer): what matches, in which order. */
import type { EventValue } from '../../core/event.js';
import type { IndexValue } from '../../core/storage.js';
import { compareKeys } from './keys.js';
import type { QueryBounds } from './validate.js';

/** Index order: numbers (numerically) before strings (by code point), as SQLite orders them. */
export function compareIndexValues(a: IndexValue, b: IndexValue): number {
  if (typeof a === 'number') return typeof b === 'number' ? (a < b ? -1 : a > b ? 1 : 0) : -1;
  return typeof b === 'number' ? 1 : compareKeys(a, b);
}

/** The indexed value of `field` in `value`: a number or string at the top level of an object, else undefined. */
export function indexValue(value: EventValue, field: string): IndexValue | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const v = (value as { readonly [k: string]: EventValue })[field];
  return typeof v === 'number' || typeof v === 'string' ? v : undefined;
}

export function matchesBounds(v: IndexValue, b: QueryBounds): boolean {
  if (b.type !== 'any' && typeof v !== b.type) return false;
  if (b.eq !== undefined && compareIndexValues(v, b.eq) !== 0) return false;
  if (b.gt !== undefined && compareIndexValues(v, b.gt) <= 0) return false;
  if (b.gte !== undefined && compareIndexValues(v, b.gte) < 0) return false;
  if (b.lt !== undefined && compareIndexValues(v, b.lt) >= 0) return false;
  if (b.lte !== undefined && compareIndexValues(v, b.lte) > 0) return false;
  return true;
}
