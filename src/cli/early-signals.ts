/**
 * SIGINT and SIGTERM that reach `sanctum run` before it takes them over (while Node loads the CLI
 * and the runeset): held, not fatal, so a stop at any moment ends the run with its exit code rather
 * than by the signal. `bin/sanctum.js` holds them first thing; the run command takes what was held.
 */
let held: NodeJS.Signals | undefined;
const hold = (sig: NodeJS.Signals): void => {
  held ??= sig;
};

/** From now on, SIGINT and SIGTERM are remembered instead of ending the process. */
export function holdStopSignals(): void {
  process.on('SIGINT', hold);
  process.on('SIGTERM', hold);
}

/** Stops holding; returns the first signal held, if any arrived. */
export function takeHeldSignal(): NodeJS.Signals | undefined {
  process.off('SIGINT', hold);
  process.off('SIGTERM', hold);
  const sig = held;
  held = undefined;
  return sig;
}
