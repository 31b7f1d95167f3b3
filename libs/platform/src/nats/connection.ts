import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, type NatsConnection, type ConnectionOptions } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { EdgeConfig } from '../config/schema';
import { inboxPrefixFor } from './permissions';

export type { NatsConnection } from '@nats-io/transport-node';

const connected = new WeakMap<NatsConnection, boolean>();
const inboxPrefixes = new WeakMap<NatsConnection, string>();

/** The inbox prefix replies to this connection use (`_INBOX_<user>`, or `_INBOX`). */
export function inboxPrefixOf(nc: NatsConnection): string {
  return inboxPrefixes.get(nc) ?? '_INBOX';
}

/** Live connection state, kept by the status watcher of connectNats. */
export function isNatsConnected(nc: NatsConnection): boolean {
  return !nc.isClosed() && (connected.get(nc) ?? true);
}

export interface NatsConnectOptions {
  url: string;
  name: string;
  user?: string;
  password?: string;
  token?: string;
  credsFile?: string;
  caFile?: string;
  /**
   * Whose reply prefix to use when connecting without a user: the identity the server gives an
   * anonymous client (the local server maps one to the operator with `no_auth_user`).
   */
  anonymousAs?: string;
}

/**
 * Connection options of a service. EDGE_NATS_USER / EDGE_NATS_PASSWORD (set by `npm start` for
 * its local server: one user per process) take precedence over the config's credentials.
 */
export function natsOptionsFromConfig(
  cfg: EdgeConfig,
  name: string,
  url = cfg.nats.url ?? process.env.NATS_URL,
  env: NodeJS.ProcessEnv = process.env,
): NatsConnectOptions {
  if (!url) throw new Error('nats.url is not set (and NATS_URL is empty): nothing to connect to');
  const own = env.EDGE_NATS_USER && env.EDGE_NATS_PASSWORD;
  return {
    url,
    name,
    user: own ? env.EDGE_NATS_USER : cfg.nats.user,
    password: own ? env.EDGE_NATS_PASSWORD : cfg.nats.password,
    token: cfg.nats.token,
    credsFile: cfg.nats.creds_file,
    caFile: cfg.nats.ca_file,
  };
}

/**
 * Connects with reconnect forever (an edge box outlives any NATS restart) and logs every state
 * change. Waits for the first connection as long as it takes, retrying.
 */
export async function connectNats(opts: NatsConnectOptions, log: Logger): Promise<NatsConnection> {
  const o: ConnectionOptions = {
    servers: opts.url.split(',').map((s) => s.trim()),
    name: opts.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    reconnectJitter: 250,
    waitOnFirstConnect: true,
    pingInterval: 10_000,
    maxPingOut: 3,
    // Async stack traces cost an Error object per request (~17% CPU in the normalizer profile).
    noAsyncTraces: true,
    user: opts.user,
    pass: opts.password,
    token: opts.token,
    // Replies (requests, JetStream acks and deliveries, KV reads) arrive under the user's own
    // prefix, the only inbox its NATS permissions let it subscribe to.
    ...(opts.user || opts.anonymousAs ? { inboxPrefix: inboxPrefixFor(opts.user ?? opts.anonymousAs!) } : {}),
  };
  if (opts.credsFile) o.authenticator = credsAuthenticator(readFileSync(opts.credsFile));
  if (opts.caFile) o.tls = { caFile: opts.caFile };
  const nc = await connect(o);
  connected.set(nc, true);
  if (o.inboxPrefix) inboxPrefixes.set(nc, o.inboxPrefix);
  log.info({ server: nc.getServer() }, 'nats connected');
  void (async () => {
    for await (const s of nc.status()) {
      switch (s.type) {
        case 'disconnect':
          connected.set(nc, false);
          log.warn({ server: s.server }, 'nats disconnected');
          break;
        case 'reconnect':
          connected.set(nc, true);
          log.info({ server: s.server }, 'nats reconnected');
          break;
        case 'error':
          log.error({ err: String(s.error) }, 'nats error');
          break;
        case 'ldm':
          log.warn('nats server entering lame duck mode');
          break;
        default:
          break;
      }
    }
  })().catch(() => undefined);
  return nc;
}
