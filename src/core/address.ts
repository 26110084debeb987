/** Listen addresses (`host:port`, `:port` or `port`, on 127.0.0.1 unless a host is named): one grammar for every server Sanctum runs. */

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * Parses a listen address. Without a host it binds 127.0.0.1 (this machine only): serving other
 * machines takes an explicit `0.0.0.0:PORT`. Returns an error message when it does not parse.
 *
 * @example
 * parseListen('9598');            // { host: '127.0.0.1', port: 9598 }
 * parseListen('0.0.0.0:9598');    // { host: '0.0.0.0', port: 9598 }
 * parseListen('[::1]:0');         // { host: '::1', port: 0 }: a free port
 */
export function parseListen(text: string): ListenAddress | { error: string } {
  const m = /^(?:(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)?:)?([0-9]{1,5})$/.exec(text.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) return { error: `expected host:port, :port or port (such as 127.0.0.1:9598), got '${text}'` };
  const host = m[1] === undefined ? '127.0.0.1' : m[1].replace(/^\[(.*)\]$/, '$1');
  return { host, port };
}

/** `http://host:port`, with IPv6 hosts in brackets. */
export function urlOf(address: ListenAddress): string {
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `http://${host}:${address.port}`;
}

/** True for a host only this machine reaches: `localhost`, 127.0.0.0/8, `::1`. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
