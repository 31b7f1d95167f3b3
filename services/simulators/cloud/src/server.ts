import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import {
  CLOUD_PATHS,
  HealthEventsRequest,
  HeartbeatRequest,
  InventoryRequest,
  type CloudErrorResponse,
  type IngestResponse,
} from '@edge/contracts';
import { applyFaults, describeFaults, noFaults, type ActiveFaults, type FaultSpec } from './faults';
import { CloudStore, type Retain } from './store';
import { issuesToItems } from './validate';

export interface CloudSimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Bearer token the ingest API accepts. */
  token?: string;
  /** Serve HTTPS with this key/cert (PEM). */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Largest body accepted before 413 (default 16 MiB); the `max_body_bytes` fault lowers it. */
  maxBodyBytes?: number;
  /** 'ids' keeps only ids and ordering fields of events and devices (benchmarks). */
  retain?: Retain;
  /** One line per notable event (startup, faults); default silent. */
  log?: (line: string) => void;
}

export interface CloudSimulator {
  readonly url: string;
  readonly port: number;
  readonly store: CloudStore;
  readonly faults: {
    set(spec: FaultSpec): void;
    clear(): void;
    current(): ReturnType<typeof describeFaults>;
  };
  /** Forgets everything received (faults stay). */
  reset(): void;
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY = 16 * 1024 * 1024;

class BodyTooLarge extends Error {}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function error(res: ServerResponse, status: number, code: string, message: string, extra: Partial<CloudErrorResponse> = {}, headers: Record<string, string> = {}) {
  sendJson(res, status, { error: code, message, ...extra } satisfies CloudErrorResponse, headers);
}

async function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > max) throw new BodyTooLarge();
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function retryAfterHeader(v: number | string | undefined): Record<string, string> {
  return v === undefined ? {} : { 'retry-after': String(v) };
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer (.+)$/.exec(header ?? '');
  if (!m) return false;
  const a = createHash('sha256').update(m[1]).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

const INGEST_PATHS = new Set<string>(Object.values(CLOUD_PATHS));

/**
 * The integrator cloud ingest API of ARCHITECTURE §4.4 as a real HTTP(S) server: bearer token,
 * Idempotency-Key, zod validation of every body (400 with `items`), item-level dedupe, and
 * fault injection through `/_sim/faults`. Read what it holds through `/_sim/*`.
 */
export async function startCloudSimulator(opts: CloudSimulatorOptions = {}): Promise<CloudSimulator> {
  const token = opts.token ?? 'sim-token';
  const host = opts.host ?? '127.0.0.1';
  const log = opts.log ?? (() => undefined);
  const store = new CloudStore(opts.retain ?? 'full');
  let faults: ActiveFaults = noFaults();
  const sockets = new Set<Socket>();
  let refusedUntil = 0;
  let reopenTimer: NodeJS.Timeout | null = null;
  let closed = false;

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    void handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) error(res, 500, 'internal', String((e as Error)?.message ?? e));
      else res.destroy();
    });
  };
  const server: Server = opts.tls ? createHttpsServer({ key: opts.tls.key, cert: opts.tls.cert }, handler) : createHttpServer(handler);
  server.keepAliveTimeout = 30_000;
  const onConnection = (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  // Raw TCP sockets (also under TLS): destroying one drops the connection for the `refuse` fault.
  server.on('connection', onConnection);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    const path = url.pathname;
    if (path.startsWith('/_sim/')) return control(req, res, url);
    if (!INGEST_PATHS.has(path)) return error(res, 404, 'not_found', `no route ${req.method} ${path}`);
    if (req.method !== 'POST') return error(res, 405, 'method_not_allowed', `${path} takes POST`);
    store.inFlight++;
    let status = 0;
    let items = 0;
    const key = typeof req.headers['idempotency-key'] === 'string' ? req.headers['idempotency-key'] : null;
    try {
      const r = await ingest(req, res, path, key);
      status = r.status;
      items = r.items;
    } finally {
      store.inFlight--;
      store.record({ at: Date.now(), method: req.method ?? '', path, status, items, idempotency_key: key });
    }
  }

  /** Returns the status sent (0 for a reset connection) and the item count of the body. */
  async function ingest(req: IncomingMessage, res: ServerResponse, path: string, key: string | null): Promise<{ status: number; items: number }> {
    const now = Date.now();
    if (faults.down && faults.down.until > now) {
      error(res, 503, 'unavailable', 'the cloud is down (simulated)', {}, retryAfterHeader(faults.down.retry_after));
      return { status: 503, items: 0 };
    }
    if (faults.reset_next > 0) {
      faults.reset_next--;
      store.inc('faults_reset');
      req.socket.destroy();
      return { status: 0, items: 0 };
    }
    if (faults.latency_ms > 0) await sleep(faults.latency_ms);
    const fail = faults.fail_next;
    if (fail && fail.remaining > 0 && (!fail.path || fail.path === path)) {
      fail.remaining--;
      if (fail.remaining === 0) faults.fail_next = null;
      store.inc('faults_failed');
      error(res, fail.status, 'injected', `simulated ${fail.status}`, {}, retryAfterHeader(fail.retry_after));
      return { status: fail.status, items: 0 };
    }
    if (faults.reject_token) {
      error(res, faults.reject_token, faults.reject_token === 401 ? 'unauthorized' : 'forbidden', 'token rejected (simulated)');
      return { status: faults.reject_token, items: 0 };
    }
    if (!tokenMatches(req.headers.authorization, token)) {
      error(res, 401, 'unauthorized', 'missing or invalid bearer token');
      return { status: 401, items: 0 };
    }
    let raw: Buffer;
    const max = Math.min(opts.maxBodyBytes ?? DEFAULT_MAX_BODY, faults.max_body_bytes ?? Infinity);
    try {
      raw = await readBody(req, max);
    } catch (e) {
      if (!(e instanceof BodyTooLarge)) throw e;
      // Answer, then close: the rest of the body is not read.
      error(res, 413, 'payload_too_large', `body larger than ${max} bytes`, {}, { connection: 'close' });
      return { status: 413, items: 0 };
    }
    if (!key) {
      error(res, 400, 'missing_idempotency_key', 'every POST needs an Idempotency-Key header');
      return { status: 400, items: 0 };
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      error(res, 400, 'invalid_json', 'body is not JSON');
      return { status: 400, items: 0 };
    }
    const bodyHash = createHash('sha256').update(raw).digest('base64url');
    if (store.keys.get(key) === bodyHash) {
      store.inc('idempotent_repeats');
      error(res, 409, 'duplicate', 'already received (same Idempotency-Key and body)');
      return { status: 409, items: 0 };
    }
    if (path === CLOUD_PATHS.heartbeat) {
      const p = HeartbeatRequest.safeParse(body);
      if (!p.success) {
        const { other } = issuesToItems(body, p.error);
        error(res, 400, 'invalid_body', other.join('; '));
        return { status: 400, items: 0 };
      }
      store.addHeartbeat(p.data);
      store.keys.set(key, bodyHash);
      sendJson(res, 200, { accepted: 1, duplicates: 0 } satisfies IngestResponse);
      return { status: 200, items: 1 };
    }
    const schema: z.ZodType<unknown> = path === CLOUD_PATHS.inventory ? InventoryRequest : HealthEventsRequest;
    const p = schema.safeParse(body);
    if (!p.success) {
      const { items, other } = issuesToItems(body, p.error);
      store.inc('rejected_items', items.length);
      error(res, 400, 'invalid_body', other.length ? other.join('; ') : `${items.length} invalid item(s)`, { items });
      return { status: 400, items: countItems(body) };
    }
    const rejected = rejectedItems(path, p.data);
    if (rejected.length > 0) {
      store.inc('rejected_items', rejected.length);
      error(res, 422, 'rejected_items', `${rejected.length} item(s) refused`, { items: rejected });
      return { status: 422, items: countItems(body) };
    }
    const result = path === CLOUD_PATHS.inventory ? store.addInventory(p.data as InventoryRequest) : store.addEvents((p.data as HealthEventsRequest).events);
    store.keys.set(key, bodyHash);
    sendJson(res, 200, result satisfies IngestResponse);
    return { status: 200, items: countItems(body) };
  }

  function countItems(body: unknown): number {
    const b = body as Record<string, unknown[] | undefined>;
    return (Array.isArray(b?.events) ? b.events.length : 0) + (Array.isArray(b?.devices) ? b.devices.length : 0) + (Array.isArray(b?.removed) ? b.removed.length : 0);
  }

  function rejectedItems(path: string, data: unknown): NonNullable<CloudErrorResponse['items']> {
    if (faults.reject_ids.size === 0) return [];
    const ids: string[] =
      path === CLOUD_PATHS.inventory
        ? [...(data as InventoryRequest).devices.map((d) => d.id), ...((data as InventoryRequest).removed ?? []).map((r) => r.id)]
        : (data as HealthEventsRequest).events.map((e) => e.event_id);
    return ids.flatMap((id, index) => (faults.reject_ids.has(id) ? [{ index, id, issues: ['refused by the cloud (simulated reject_ids)'] }] : []));
  }

  async function control(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const route = `${req.method} ${url.pathname}`;
    const limit = Math.max(1, Math.min(100_000, Number(url.searchParams.get('limit')) || 100_000));
    switch (route) {
      case 'GET /_sim/stats':
        return sendJson(res, 200, store.stats());
      case 'GET /_sim/devices': {
        const all = store.deviceList();
        return sendJson(res, 200, { count: all.length, devices: all.slice(0, limit) });
      }
      case 'GET /_sim/events': {
        const device = url.searchParams.get('device_id');
        const all = device ? store.events.filter((e) => e.device_id === device) : store.events;
        return sendJson(res, 200, { count: all.length, events: all.slice(0, limit) });
      }
      case 'GET /_sim/removed':
        return sendJson(res, 200, { count: store.removed.size, removed: [...store.removed.values()] });
      case 'GET /_sim/syncs':
        return sendJson(res, 200, { syncs: store.syncList() });
      case 'GET /_sim/heartbeats':
        return sendJson(res, 200, { count: store.heartbeats.length, heartbeats: store.heartbeats.slice(-limit) });
      case 'GET /_sim/requests':
        return sendJson(res, 200, { requests: store.requests.slice(-limit) });
      case 'GET /_sim/faults':
        return sendJson(res, 200, describeFaults(faults));
      case 'POST /_sim/faults': {
        let spec: unknown;
        try {
          spec = JSON.parse((await readBody(req, 1024 * 1024)).toString('utf8') || '{}');
          setFaults(spec as FaultSpec);
        } catch (e) {
          return error(res, 400, 'invalid_faults', e instanceof z.ZodError ? e.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : String((e as Error).message));
        }
        return sendJson(res, 200, describeFaults(faults));
      }
      case 'DELETE /_sim/faults':
        clearFaults();
        return sendJson(res, 200, describeFaults(faults));
      case 'POST /_sim/reset':
        store.clear();
        return sendJson(res, 200, { ok: true });
      default:
        return error(res, 404, 'not_found', `no route ${route}`);
    }
  }

  function setFaults(spec: FaultSpec): void {
    faults = applyFaults(faults, spec);
    log(`faults set: ${JSON.stringify(describeFaults(faults))}`);
    if (faults.down && faults.down.mode === 'refuse') refuse(faults.down.until);
  }

  function clearFaults(): void {
    faults = noFaults();
    if (refusedUntil > Date.now()) reopen();
    log('faults cleared');
  }

  /** Stops listening and drops open connections until `until`: clients see refused/reset connections. */
  function refuse(until: number): void {
    refusedUntil = until;
    server.close();
    for (const s of sockets) s.destroy();
    if (reopenTimer) clearTimeout(reopenTimer);
    reopenTimer = setTimeout(reopen, Math.max(0, until - Date.now()));
  }

  function reopen(): void {
    if (reopenTimer) clearTimeout(reopenTimer);
    reopenTimer = null;
    refusedUntil = 0;
    if (faults.down?.mode === 'refuse') faults.down = null;
    if (closed || server.listening) return;
    server.listen(port, host);
    log('listening again');
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  server.on('error', (e) => log(`server error: ${e.message}`));
  const url = `${opts.tls ? 'https' : 'http'}://${host}:${port}`;
  log(`cloud simulator listening on ${url}`);

  return {
    url,
    port,
    store,
    faults: { set: setFaults, clear: clearFaults, current: () => describeFaults(faults) },
    reset: () => store.clear(),
    close: async () => {
      closed = true;
      if (reopenTimer) clearTimeout(reopenTimer);
      for (const s of sockets) s.destroy();
      if (server.listening) await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
