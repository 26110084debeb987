/** The event model: events are immutable JSON-shaped values. */

/** Any value JSON can say. Integers within ±2^53 stay integers in Lua; other numbers are floats. */
export type EventValue = null | boolean | number | string | readonly EventValue[] | { readonly [key: string]: EventValue };

/** An event on an energy stream. Most events are objects; any JSON value is allowed. */
export type SanctumEvent = EventValue;

/** The port an event goes to when a spell calls `emit(event)` without naming one. */
export const DEFAULT_PORT = 'out';

/**
 * The stream a run's failed events go to when a pipeline names no `dead_letters` stream; it exists in
 * every runeset, declared or not. The runeset schema's default for `dead_letters` is this name
 * (test/runes/dead-letters.test.ts checks).
 */
export const DEAD_LETTERS = 'dead-letters';
