import { freePort } from '@edge/platform/testing';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { EssHub } from './ess-hub';
import { IdentityProvider, type UserState } from './idp';
import { SiteModel, type SiteShape } from './model';
import { errorBody, handleRest, type RestOptions } from './rest-api';
import { SimControl, SimError, resourceTypeOf } from './scenario';
import { Faults, SimStats, type SimContext } from './state';
import { windowsToken } from './windows-auth';

export interface MilestoneSimulatorOptions extends Partial<Omit<SiteShape, 'rsPorts'>> {
  host?: string;
  /** 0 (default) → a free port. */
  port?: number;
  /** Host name put in URLs (default: host). Use `localhost` with a certificate issued for it. */
  publicHost?: string;
  /** PEM key and certificate → HTTPS/WSS. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  username?: string;
  password?: string;
  extraUsers?: Array<{ username: string; password: string; state?: UserState }>;
  /** Windows (AD) account that logs in by NTLM only (`CORP\\svc-edge-win` by default). */
  windowsUsername?: string;
  windowsPassword?: string;
  /** Failed logins before the account locks (0 = never). */
  lockoutAfterFailures?: number;
  tokenLifetimeSec?: number;
  /** false → only the direct `/IDP/connect/token` path exists (the gateway path 404s). */
  gatewayTokenPath?: boolean;
  /** Answer every page with the whole collection, as servers that don't page do. */
  ignorePaging?: boolean;
  /** Honour `size` but answer every `page` with the first one. */
  ignorePage?: boolean;
  /** 2023 R2 style: coverage*, recordingFramerate as strings. */
  numbersAsStrings?: boolean;
  resumeWindowMs?: number;
  /** false → recording-server event types absent from /eventTypes and /stateGroups (forces the probe fallback). */
  rsEventTypesDiscoverable?: boolean;
  /** Each recording server gets a TCP listener on 127.0.0.1 as its web endpoint (the probe target). */
  rsListeners?: boolean;
  journalSize?: number;
  /** addSubscription refuses resource types outside the documented set (speakers, metadata, recordingServers). */
  strictSubscriptions?: boolean;
  /** Latency of each hardwareDriverSettings answer (lets concurrency build up measurably). */
  driverSettingsDelayMs?: number;
}

export interface MilestoneSimulator {
  /** `http(s)://host:port` — the gateway root, what a system's `base_url` is set to. */
  readonly url: string;
  readonly wsUrl: string;
  readonly port: number;
  readonly control: SimControl;
  /** Listing misbehaviour, switchable at run time (same as `POST /_sim/listing`). */
  readonly listing: { ignorePage: boolean; shrinkNextSyncs: number };
  readonly model: SiteModel;
  readonly username: string;
  readonly password: string;
  readonly windowsUsername: string;
  readonly windowsPassword: string;
  close(): Promise<void>;
}

const DEFAULTS = {
  seed: 1,
  recordingServers: 3,
  hardware: 24,
  version: '25.1.1804.0',
  disabledRatio: 0.03,
};

/** `23.3` and later (version strings like `23.2.0.1`, `25.1.1804.0`). */
export function hasEventsAndState(version: string): boolean {
  const [major, minor] = version.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 3);
}

const GUID_RE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendText(res: http.ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 1024 * 1024) throw new SimError(413, 'body too large');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function jsonBody(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readBody(req);
  if (!text.trim()) return {};
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {}
  throw new SimError(400, 'body must be a JSON object');
}

/** Recording servers keep their port across down/up: one outside the ephemeral range (see freePort). */
const freeLocalPort = freePort;

/** A recording server's web endpoint: accepts TCP connections while the server is "up". */
class RsListener {
  private server: net.Server | null = null;
  private readonly sockets = new Set<Socket>();
  constructor(readonly port: number) {}
  async open(): Promise<void> {
    if (this.server) return;
    const s = net.createServer((sock) => {
      this.sockets.add(sock);
      sock.on('close', () => this.sockets.delete(sock));
      sock.on('error', () => undefined);
      sock.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    });
    this.server = s;
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(this.port, '127.0.0.1', () => resolve());
    });
  }
  async close(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    for (const sock of this.sockets) sock.destroy();
    await new Promise<void>((r) => s.close(() => r()));
  }
}

/**
 * Starts an XProtect API Gateway simulator (HTTP(S) + WebSocket) with a generated site. See the
 * README for the control API under `/_sim/…` (also available in-process as `control`).
 */
export async function startMilestoneSimulator(opts: MilestoneSimulatorOptions = {}): Promise<MilestoneSimulator> {
  const hardware = opts.hardware ?? DEFAULTS.hardware;
  const rsCount = opts.recordingServers ?? DEFAULTS.recordingServers;
  const listeners: RsListener[] = [];
  if (opts.rsListeners !== false) for (let i = 0; i < rsCount; i++) listeners.push(new RsListener(await freeLocalPort()));
  await Promise.all(listeners.map((l) => l.open()));
  const model = new SiteModel({
    seed: opts.seed ?? DEFAULTS.seed,
    recordingServers: rsCount,
    hardware,
    cameras: opts.cameras ?? hardware * 2,
    microphones: opts.microphones ?? Math.floor(hardware / 4),
    speakers: opts.speakers ?? Math.floor(hardware / 10),
    metadata: opts.metadata ?? Math.floor(hardware / 10),
    inputs: opts.inputs ?? Math.floor(hardware / 5),
    outputs: opts.outputs ?? Math.floor(hardware / 5),
    disabledRatio: opts.disabledRatio ?? DEFAULTS.disabledRatio,
    version: opts.version ?? DEFAULTS.version,
    rsPorts: listeners.map((l) => l.port),
  });
  const listenerOf = new Map(model.recordingServers.map((rs, i) => [rs.id, listeners[i]]));
  const stats = new SimStats();
  const faults = new Faults();
  faults.strictSubscriptions = opts.strictSubscriptions ?? false;
  const ctx: SimContext = { model, stats, faults };
  let baseUrl = '';
  const idp = new IdentityProvider({ lifetimeSec: opts.tokenLifetimeSec ?? 3600, lockoutAfterFailures: opts.lockoutAfterFailures ?? 0, issuer: () => `${baseUrl}/IDP` });
  const username = opts.username ?? 'svc-edge';
  const password = opts.password ?? 'S1m-Passw0rd!';
  idp.addUser(username, password);
  for (const u of opts.extraUsers ?? []) idp.addUser(u.username, u.password, u.state);
  const windowsUsername = opts.windowsUsername ?? 'CORP\\svc-edge-win';
  const windowsPassword = opts.windowsPassword ?? 'W1n-Passw0rd!';
  idp.addWindowsUser(windowsUsername, windowsPassword);
  const hub = new EssHub(ctx, idp, { resumeWindowMs: opts.resumeWindowMs ?? 30_000, journalSize: opts.journalSize ?? 100_000 });
  const control = new SimControl({
    model,
    hub,
    idp,
    faults,
    stats,
    setRecordingServerReachable: async (id, up) => {
      const l = listenerOf.get(id);
      if (l) await (up ? l.open() : l.close()).catch(() => undefined);
    },
  });
  const restOptions: RestOptions = {
    ignorePaging: opts.ignorePaging ?? false,
    ignorePage: opts.ignorePage ?? false,
    shrinkNextSyncs: 0,
    shrinking: false,
    numbersAsStrings: opts.numbersAsStrings ?? false,
    rsEventTypesDiscoverable: opts.rsEventTypesDiscoverable ?? true,
    driverSettingsDelayMs: opts.driverSettingsDelayMs ?? 0,
  };
  const gatewayTokenPath = opts.gatewayTokenPath ?? true;

  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://sim');
      const path = url.pathname;
      const lower = path.toLowerCase().replace(/\/+$/, '');
      const method = req.method ?? 'GET';
      stats.count(`${method} ${path.replace(GUID_RE, '{id}')}`);
      try {
        if (lower.startsWith('/_sim')) return await controlRoute(req, res, method, path.slice('/_sim'.length), url.searchParams);
        if (method === 'GET' && (lower === '/api/.well-known/uris' || lower === '/.well-known/uris'))
          return sendJson(res, 200, { ProductVersion: model.shape.version, ApiGateways: [`${baseUrl}/api/`], IdentityProvider: `${baseUrl}/IDP` });
        if (method === 'GET' && lower === '/idp/.well-known/openid-configuration')
          return sendJson(res, 200, {
            issuer: `${baseUrl}/IDP`,
            token_endpoint: `${baseUrl}/IDP/connect/token`,
            grant_types_supported: ['password', 'windows_credentials', 'refresh_token'],
            scopes_supported: ['openid', 'profile', 'managementserver', 'offline_access'],
          });
        if (lower === '/idp/connect/token' || (gatewayTokenPath && lower === '/api/idp/connect/token')) {
          if (method !== 'POST') return sendText(res, 405, 'Method Not Allowed');
          stats.tokenRequests++;
          const f = faults.take('token', path);
          if (f) return sendText(res, f.status, f.status === 503 ? 'Service Unavailable' : 'Internal Server Error', f.status === 503 || f.status === 429 ? { 'retry-after': '1' } : {});
          const form = new URLSearchParams(await readBody(req));
          const a = form.get('grant_type') === 'windows_credentials' ? windowsToken(req, form, idp, lower.startsWith('/api/')) : idp.grant(form);
          if (a.status !== 200) stats.tokenRefusals++;
          if (a.status === 200 && form.get('grant_type') === 'windows_credentials') stats.windowsTokens++;
          for (const [k, v] of Object.entries('headers' in a ? (a.headers ?? {}) : {})) res.setHeader(k, v);
          const html = 'html' in a ? a.html : undefined;
          if (typeof html === 'string') {
            res.writeHead(a.status, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(html) });
            return void res.end(html);
          }
          return sendJson(res, a.status, a.body, { 'cache-control': 'no-store' });
        }
        if (lower.startsWith('/api/rest/v1')) {
          const f = faults.take('rest', path.slice('/api/rest/v1'.length));
          if (f) return sendText(res, f.status, f.status === 503 ? 'Service Unavailable' : 'Internal Server Error', f.status === 503 || f.status === 429 ? { 'retry-after': '1' } : {});
          if (faults.expireAfterRequests !== null && --faults.expireAfterRequests <= 0) {
            faults.expireAfterRequests = null;
            idp.expireAll();
          }
          const auth = idp.check(req.headers.authorization);
          if (auth !== 'ok') {
            stats.restUnauthorized++;
            const why = auth === 'expired' ? 'the token is expired.' : auth === 'missing' ? 'no token was provided.' : 'the token is invalid.';
            return sendJson(res, 401, errorBody(401, `Token validation failed: ${why}`));
          }
          if (method !== 'GET') return sendJson(res, 405, errorBody(405, `Method ${method} is not supported by the simulator`));
          const segments = path.slice('/api/rest/v1'.length).split('/').filter(Boolean).map(decodeURIComponent);
          const a = handleRest(ctx, restOptions, segments, url.searchParams);
          if (a.delayMs) await new Promise((r) => setTimeout(r, a.delayMs));
          try {
            return a.text ? sendText(res, a.status, String(a.body)) : sendJson(res, a.status, a.body);
          } finally {
            a.onDone?.();
          }
        }
        return sendText(res, 404, 'Not Found');
      } catch (e) {
        if (e instanceof SimError) return sendJson(res, e.status, { ok: false, error: e.message });
        return sendText(res, 500, `Internal Server Error: ${(e as Error).message}`);
      }
    })();
  };

  async function controlRoute(req: http.IncomingMessage, res: http.ServerResponse, method: string, sub: string, q: URLSearchParams): Promise<void> {
    const seg = sub.split('/').filter(Boolean).map(decodeURIComponent);
    const ok = (body: Record<string, unknown> = {}) => sendJson(res, 200, { ok: true, ...body });
    if (method === 'GET') {
      if (seg[0] === 'devices' && seg.length === 1) return sendJson(res, 200, { devices: control.devices() });
      if (seg[0] === 'devices' && seg.length === 3) return sendJson(res, 200, control.device(seg[1], seg[2]));
      if (seg[0] === 'ledger') return sendJson(res, 200, { entries: control.ledger(Number(q.get('since') ?? 0)) });
      if (seg[0] === 'stats') return sendJson(res, 200, control.stats());
      throw new SimError(404, `no control route GET /_sim${sub}`);
    }
    if (method !== 'POST') throw new SimError(405, 'control routes take GET or POST');
    const body = await jsonBody(req);
    const num = (k: string, d?: number) => {
      const v = body[k];
      if (v === undefined) return d;
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new SimError(400, `"${k}" must be a number`);
      return v;
    };
    // /_sim/devices/<type>/<id>/<action> or /_sim/<type>/<id>/<action>
    const devPath = seg[0] === 'devices' ? seg.slice(1) : seg;
    if (devPath.length === 3) {
      const [type, id, action] = devPath;
      const rt = resourceTypeOf(type);
      if (action === 'comm-error' || action === 'down') return ok({ changes: control.commError(rt, id) });
      if (action === 'comm-restored' || action === 'restored' || action === 'up') return ok({ changes: control.commRestored(rt, id) });
      if (action === 'restart') return ok({ renewed: control.restartRecordingServer(id) });
      if (action === 'touch') return ok({ lastModified: control.touchHardware(id) });
      if (action === 'flap') return ok({ changes: await control.flap(rt, id, { times: num('times'), intervalMs: num('interval_ms') }) });
      throw new SimError(404, `unknown action "${action}"`);
    }
    switch (seg[0]) {
      case 'flap':
        return ok({ changes: await control.flap(String(body.type ?? 'cameras'), String(body.id ?? ''), { times: num('times'), intervalMs: num('interval_ms') }) });
      case 'drop-sockets':
        return ok({ dropped: control.dropSockets() });
      case 'refuse-resume':
        control.refuseResume(num('count', 1));
        return ok();
      case 'expire-tokens':
        return ok(control.expireTokens({ afterRequests: num('after_requests') }));
      case 'fail-requests':
        control.failRequests({
          status: num('status', 500)!,
          count: num('count', 1),
          pathPrefix: typeof body.path_prefix === 'string' ? body.path_prefix : undefined,
          scope: ['rest', 'token', 'ws', 'all'].includes(String(body.scope)) ? (body.scope as 'rest') : 'rest',
        });
        return ok();
      case 'listing':
        // {"ignore_page": bool, "shrink_syncs": n}: paging misbehaviour and shrunk listings (lost rights).
        if (typeof body.ignore_page === 'boolean') restOptions.ignorePage = body.ignore_page;
        if (body.shrink_syncs !== undefined) restOptions.shrinkNextSyncs = Math.max(0, num('shrink_syncs', 0)!);
        return ok({ ignore_page: restOptions.ignorePage, shrink_syncs: restOptions.shrinkNextSyncs });
      case 'fail-add-subscription':
        control.failAddSubscription(num('count', 1));
        return ok();
      case 'strict-subscriptions':
        control.strictSubscriptions(body.on !== false);
        return ok();
      case 'slow-get-state':
        control.slowGetState(num('ms', 0)!);
        return ok();
      case 'random-changes':
        return ok({
          changes: await control.randomChanges({
            count: num('count', 1)!,
            types: Array.isArray(body.types) ? body.types.map(String) : undefined,
            intervalMs: num('interval_ms'),
          }),
        });
      case 'users':
        if (!seg[1]) throw new SimError(400, 'POST /_sim/users/<username> {"state":"ok|lockedOut|changePassword"}');
        control.setUserState(seg[1], String(body.state ?? 'ok') as UserState);
        return ok();
      case 'token-lifetime':
        control.setTokenLifetime(num('seconds', 3600)!);
        return ok();
      case 'resume-window':
        control.setResumeWindow(num('ms', 30_000)!);
        return ok();
      default:
        throw new SimError(404, `no control route POST /_sim${sub}`);
    }
  }

  const server = opts.tls ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }, handler) : http.createServer(handler);
  server.keepAliveTimeout = 30_000;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024, perMessageDeflate: false });
  server.on('upgrade', (req, socket: Socket, head) => {
    const reject = (status: number, text: string) => {
      stats.wsUpgradesRejected++;
      socket.write(`HTTP/1.1 ${status} ${text}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      socket.destroy();
    };
    const path = new URL(req.url ?? '/', 'http://sim').pathname.toLowerCase().replace(/\/+$/, '');
    if (path !== '/api/ws/events/v1') return reject(404, 'Not Found');
    // The Events and State WebSocket API exists from XProtect 2023 R3 (Milestone's protocol samples, ESS README).
    if (!hasEventsAndState(model.shape.version)) return reject(404, 'Not Found');
    const f = faults.take('ws', path);
    if (f) return reject(f.status, f.status === 503 ? 'Service Unavailable' : 'Internal Server Error');
    const auth = idp.check(req.headers.authorization);
    if (auth === 'expired' || auth === 'invalid') return reject(401, 'Unauthorized');
    stats.wsUpgrades++;
    wss.handleUpgrade(req, socket, head, (ws) => hub.attach(ws, auth === 'ok'));
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const scheme = opts.tls ? 'https' : 'http';
  const publicHost = opts.publicHost ?? host;
  baseUrl = `${scheme}://${publicHost}:${port}`;
  let closed: Promise<void> | null = null;
  return {
    url: baseUrl,
    wsUrl: `${opts.tls ? 'wss' : 'ws'}://${publicHost}:${port}/api/ws/events/v1`,
    port,
    control,
    listing: restOptions,
    model,
    username,
    password,
    windowsUsername,
    windowsPassword,
    close: () =>
      (closed ??= (async () => {
        hub.close();
        wss.close();
        for (const s of sockets) s.destroy();
        await new Promise<void>((r) => server.close(() => r()));
        await Promise.all(listeners.map((l) => l.close()));
      })()),
  };
}
