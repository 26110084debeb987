/** The exit codes of every `sanctum` command: documented in the CLI reference. */
export const EXIT = {
  /** Everything worked. */
  OK: 0,
  /** It ran, but some events failed (dead letters, bad input lines) or some tests failed. */
  FAILURES: 1,
  /** It could not start: bad arguments, a spell or runeset that does not load. */
  INVALID: 2,
  /** `sanctum run` got a second SIGINT/SIGTERM and exited at once. */
  INTERRUPTED: 130,
} as const;

export const EXIT_CODE_DOCS: readonly [number, string][] = [
  [EXIT.OK, 'Everything worked.'],
  [EXIT.FAILURES, 'It ran, but some events failed (dead letters, unreadable input lines) or some tests failed.'],
  [EXIT.INVALID, 'It could not start: wrong arguments, or a spell or runeset that does not load.'],
  [EXIT.INTERRUPTED, '`sanctum run` got a second SIGINT or SIGTERM while stopping, and exited at once.'],
];
