/** Listen addresses: `host:port`, `:port` or `port`, on 127.0.0.1 unless a host is named. */

/** Where the metrics server listens when `--metrics` is given without an address. */
export const DEFAULT_LISTEN = '127.0.0.1:9598';
/** Where `sanctum top` and `sanctum tap` look by default. */
export const DEFAULT_URL = `http://${DEFAULT_LISTEN}`;

export { parseListen, urlOf, isLoopback, type ListenAddress } from '../core/address.js';
