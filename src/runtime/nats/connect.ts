/**
 * Connecting a `nats` source or sink: until the server answers (a clear line while it does not),
 * then reconnecting for ever, each loss and return a log line and a count in the connector's status.
 */
import { AuthorizationError, connect, type NatsConnection } from '@nats-io/transport-node';
import { SanctumError } from '../../core/errors.js';
import type { RunesetNatsConnection } from '../../runes/runeset.js';
import { sleep, type ConnectorLog, type ConnectorStatus } from '../connectors.js';

/** How often to try again while no server answers. */
const RETRY_MS = 1000;

export interface NatsLink {
  readonly nc: NatsConnection;
  /** Called after each reconnection (a publisher sends its unacknowledged messages again). */
  onReconnect(listener: () => void): void;
  /** Drains what is buffered, then closes. */
  close(): Promise<void>;
}

/**
 * Connects to the first server of `conn` that answers, trying again every second (and saying so)
 * while none does. Resolves with undefined when `signal` aborts first. A refused authentication
 * rejects (`NATS_FAILED`): trying again will not help.
 */
export async function linkNats(
  conn: RunesetNatsConnection,
  who: string,
  status: ConnectorStatus,
  log: ConnectorLog,
  signal: AbortSignal,
): Promise<NatsLink | undefined> {
  const where = conn.servers.join(', ');
  let attempts = 0;
  let nc: NatsConnection | undefined;
  while (!signal.aborted) {
    try {
      nc = await connect({
        servers: [...conn.servers],
        name: `sanctum ${who}`,
        ...(conn.user !== undefined ? { user: conn.user } : {}),
        ...(conn.password !== undefined ? { pass: conn.password } : {}),
        ...(conn.token !== undefined ? { token: conn.token } : {}),
        // Once connected, never give up: a server that goes away and comes back is picked up again.
        maxReconnectAttempts: -1,
        reconnectTimeWait: RETRY_MS,
        // A server that vanished without closing its sockets is noticed within ~10 s, not 2 min.
        pingInterval: 5000,
        maxPingOut: 2,
        timeout: 5000,
      });
      break;
    } catch (e) {
      if (e instanceof AuthorizationError || /authoriz|authentic/i.test((e as Error).message)) {
        throw new SanctumError('NATS_FAILED', `${who}: ${where} refused the credentials (${(e as Error).message}); check user and password, or token`, {
          cause: e,
        });
      }
      attempts++;
      // The first failure, then one line a minute: the state is clear, the log is not flooded.
      if (attempts === 1 || attempts % 60 === 0)
        log.warn(`${who}: cannot reach NATS at ${where} (${(e as Error).message}); trying again every ${RETRY_MS / 1000} s`);
      await sleep(RETRY_MS, signal);
    }
  }
  if (nc === undefined) return undefined;
  if (attempts > 0) log.info(`${who}: connected to NATS at ${nc.getServer()} after ${attempts} failed attempt${attempts > 1 ? 's' : ''}`);
  status.connected = true;
  const listeners: (() => void)[] = [];
  const c = nc;
  void (async () => {
    for await (const s of c.status()) {
      switch (s.type) {
        case 'disconnect':
          status.connected = false;
          status.disconnects++;
          log.warn(`${who}: lost the connection to NATS at ${s.server}; reconnecting (unacknowledged work is sent again, nothing committed is lost)`);
          break;
        case 'reconnect':
          status.connected = true;
          log.info(`${who}: reconnected to NATS at ${s.server}`);
          for (const l of listeners) l();
          break;
        case 'slowConsumer':
          log.warn(`${who}: NATS dropped messages for a slow consumer (${s.pending} pending)`);
          break;
        case 'error':
          log.warn(`${who}: NATS reported ${s.error.message}`);
          break;
        default:
          break;
      }
    }
  })();
  return {
    nc,
    onReconnect: (l) => listeners.push(l),
    close: async () => {
      status.connected = false;
      if (c.isClosed()) return;
      try {
        await c.drain();
      } catch {
        await c.close();
      }
    },
  };
}
