import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import { ControlError, noFaults, SimControl, type Faults } from './control';
import { oaError, parseBody, readBody, type Req } from './http-util';
import { handleRest } from './rest';
import { SignalRHub } from './signalr-hub';
import { DEFAULT_SITE, type SiteOptions } from './site';
import { DEFAULT_OPTIONS, SimState, type BridgeOptions, type EventShape, type SimOptions } from './state';
import { makeTls, type SimTls } from './tls';

export { SimControl, ControlError, type Faults } from './control';
export { SimState, DEFAULT_OPTIONS, EVENT_SPELLINGS, type DeviceTruth, type LedgerEntry, type SimOptions, type SimUser, type EventShape, type BridgeOptions } from './state';
export { DEFAULT_SITE, ipToLeInt, leIntToIp, type SiteOptions } from './site';
export { parseFilter, FilterError } from './filter';

export const OPENACCESS_BASE = '/api/access/onguard/openaccess';

export interface OnGuardSimulatorOptions extends Partial<Omit<SimOptions, 'site' | 'event' | 'bridge'>> {
  /** 0 (default) = a free port. */
  port?: number;
  host?: string;
  /** Serve HTTPS with a generated CA + server certificate; `machine-name` names only the PC name (OGSERVER) in it. */
  tls?: boolean | 'machine-name';
  site?: Partial<SiteOptions>;
  event?: Partial<Omit<EventShape, 'keys' | 'texts'>> & { keys?: Partial<EventShape['keys']>; texts?: Partial<EventShape['texts']> };
  bridge?: Partial<BridgeOptions>;
  /** Log each request to stderr. */
  verbose?: boolean;
}

export interface OnGuardSimulator {
  /** Server root (what goes in a system's `base_url`). */
  url: string;
  /** The OpenAccess root: `<url>/api/access/onguard/openaccess`. */
  apiUrl: string;
  port: number;
  /** CA PEM file when serving HTTPS. */
  caFile: string | null;
  caPem: string | null;
  /** SHA-256 fingerprint of the server certificate when serving HTTPS. */
  fingerprint256: string | null;
  /** Scenario control (the same as the `/_sim` HTTP routes). */
  control: SimControl;
  state: SimState;
  /** The first configured user and a licensed Application-Id, for tests and the demo. */
  credentials: { user_name: string; password: string; directory_id: string; application_id: string };
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts a simulated OnGuard OpenAccess server (REST + Web Event Bridge + `/_sim` control). */
export async function startOnGuardSimulator(opts: OnGuardSimulatorOptions = {}): Promise<OnGuardSimulator> {
  const o: SimOptions = {
    ...DEFAULT_OPTIONS,
    ...Object.fromEntries(Object.entries(opts).filter(([k, v]) => v !== undefined && !['port', 'host', 'tls', 'site', 'event', 'bridge', 'verbose'].includes(k))),
    users: (opts.users ?? DEFAULT_OPTIONS.users).map((u) => ({ ...u })),
    site: { ...DEFAULT_SITE, ...opts.site },
    event: {
      ...DEFAULT_OPTIONS.event,
      ...opts.event,
      keys: { ...DEFAULT_OPTIONS.event.keys, ...opts.event?.keys },
      texts: { ...DEFAULT_OPTIONS.event.texts, ...opts.event?.texts },
    },
    bridge: { ...DEFAULT_OPTIONS.bridge, ...opts.bridge },
  };
  const st = new SimState(o);
  const hub = new SignalRHub(st);
  const faults: Faults = noFaults();
  const control = new SimControl(st, hub, faults);
  const tls: SimTls | null = opts.tls ? makeTls('OGSERVER', opts.tls === 'machine-name') : null;
  const bridgePrefix = `${OPENACCESS_BASE}/eventbridge`;

  let active = 0;
  const handler = (raw: IncomingMessage, res: ServerResponse) => {
    const isControl = (raw.url ?? '').startsWith('/_sim');
    if (!isControl) {
      active++;
      if (active > (st.stats.max_concurrent_requests ?? 0)) st.stats.max_concurrent_requests = active;
      res.once('close', () => active--);
    }
    void (async () => {
      const url = new URL(raw.url ?? '/', 'http://sim');
      const path = url.pathname.replace(/\/+$/, '') || '/';
      try {
        if (opts.verbose) process.stderr.write(`${raw.method} ${raw.url}\n`);
        const text = await readBody(raw);
        const body = parseBody(text, raw.headers['content-type']);
        if (path.startsWith('/_sim')) {
          return await control.http({ method: raw.method ?? 'GET', path, query: url.searchParams, body: body ?? {}, rawBody: text, headers: raw.headers, raw }, res);
        }
        if (path !== OPENACCESS_BASE && !path.startsWith(`${OPENACCESS_BASE}/`)) return oaError(res, 404, 'openaccess.general.notfound', 'The requested resource does not exist.');
        if (faults.resetNext > 0) {
          faults.resetNext--;
          st.count('faults_reset');
          raw.socket.destroy();
          return;
        }
        if (faults.slowMs > 0 && (faults.slowCount === null || faults.slowCount > 0)) {
          if (faults.slowCount !== null) faults.slowCount--;
          st.count('faults_slow');
          await sleep(faults.slowMs);
        }
        if (faults.failNext > 0 && (!faults.failPath || faults.failPath.test(path))) {
          faults.failNext--;
          st.count(`faults_${faults.failStatus}`);
          if (faults.failStatus === 503) {
            // IIS answers 503 with an HTML page, not an OpenAccess body.
            res.writeHead(503, { 'content-type': 'text/html' });
            res.end('<html><head><title>Service Unavailable</title></head><body><h2>Service Unavailable</h2></body></html>');
            return;
          }
          return oaError(res, faults.failStatus, 'openaccess.general.unexpectederror', 'An unexpected error occurred.');
        }
        if (body === null) return oaError(res, 400, 'openaccess.general.invalidrequest', 'The request body is not valid JSON.');
        const req: Req = { method: raw.method ?? 'GET', path: path.slice(OPENACCESS_BASE.length) || '/', query: url.searchParams, body, rawBody: text, headers: raw.headers, raw };
        if (path.startsWith(bridgePrefix)) return await hub.handleHttp(path.slice(bridgePrefix.length), req, res);
        await handleRest(st, req, res, { empty401: faults.empty401 });
      } catch (e) {
        if (!res.headersSent) {
          if (e instanceof ControlError) oaError(res, e.status, 'openaccess.general.error', e.message);
          else oaError(res, 500, 'openaccess.general.unexpectederror', String((e as Error)?.message ?? e));
        } else res.destroy();
      }
    })();
  };

  const server: Server = tls ? createHttps({ key: tls.key, cert: tls.cert }, handler) : createHttp(handler);
  server.keepAliveTimeout = 30_000;
  server.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://sim').pathname.replace(/\/+$/, '');
    if (path === `${bridgePrefix}/connect`) return hub.handleUpgrade(req, socket, head);
    socket.destroy();
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `${tls ? 'https' : 'http'}://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  const u = o.users[0];
  return {
    url,
    apiUrl: `${url}${OPENACCESS_BASE}`,
    port,
    caFile: tls?.caFile ?? null,
    caPem: tls?.caPem ?? null,
    fingerprint256: tls?.fingerprint256 ?? null,
    control,
    state: st,
    credentials: { user_name: u.user_name, password: u.password, directory_id: u.directory_id, application_id: o.applicationIds[0] },
    close: async () => {
      hub.close();
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      if (tls) rmSync(tls.dir, { recursive: true, force: true });
    },
  };
}
