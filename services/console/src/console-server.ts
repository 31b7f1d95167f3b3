import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { DeviceStatus, DeviceType, type DevicesCommandRequest } from '@edge/contracts';
import { describeError } from '@edge/platform';
import type { SiteReader, SiteView } from './site-reader';
import { INDEX_HTML } from './ui-bundle';

export interface ConsoleOptions {
  host: string;
  port: number;
  /** `http.token`: required for actions, and for everything when bound beyond loopback. */
  token?: string;
  reader: SiteReader;
  /** The page's script; asked for on first use (building it costs a second of CPU). */
  uiScript: () => Promise<string>;
  surveyDir: string;
  /** How often the view is refreshed for live clients. */
  refreshMs: number;
  log: Logger;
  status(): Record<string, unknown>;
  /** /readyz: NATS connected (the page reads everything through it). */
  ready(): { ok: boolean; checks: Record<string, boolean | string> };
}

export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || host.startsWith('127.');
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

function tokenOf(req: IncomingMessage, url: URL): string | null {
  const h = req.headers.authorization;
  if (h?.startsWith('Bearer ')) return h.slice(7);
  return url.searchParams.get('token');
}

function same(a: string | null, b: string): boolean {
  if (a === null) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const c of req) {
    text += String(c);
    if (text.length > 16_384) throw new Error('body too large');
  }
  const v = text ? (JSON.parse(text) as unknown) : {};
  return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
}

/** `?status=&type=&system=&name=&limit=` → a cmd.devices request (at most 500 per answer: NATS max_payload). */
function devicesQuery(url: URL): DevicesCommandRequest {
  const p = url.searchParams;
  const status = DeviceStatus.safeParse(p.get('status'));
  const type = DeviceType.safeParse(p.get('type'));
  const limit = Math.min(500, Math.max(1, Number(p.get('limit') ?? 500) || 500));
  return { status: status.success ? status.data : undefined, type: type.success ? type.data : undefined, system: p.get('system') || undefined, name: p.get('name') || undefined, limit };
}

/**
 * The status page: `/` and `/app.js`, `/api/view` (the site snapshot), `/api/devices`,
 * `/api/live` (Server-Sent Events: a new view whenever it changes), the actions `POST /api/sync`
 * and `POST /api/dlq/replay` (token), the survey reports under `/surveys/`, and `/healthz`,
 * `/readyz`, `/status` like every service.
 */
export async function startConsoleServer(o: ConsoleOptions): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  if (!isLoopback(o.host) && !o.token) throw new Error(`the console binds ${o.host} only with http.token set (loopback needs none)`);
  const clients = new Set<ServerResponse>();
  let last = '';
  let current: SiteView | null = null;
  let script: Promise<string> | null = null;
  const refresh = async () => {
    if (clients.size === 0) return;
    try {
      current = await o.reader.view();
      const { at: _at, ...rest } = current;
      const key = JSON.stringify(rest);
      if (key === last) return;
      last = key;
      const frame = `event: view\ndata: ${JSON.stringify(current)}\n\n`;
      for (const c of clients) c.write(frame);
    } catch (e) {
      o.log.warn({ err: describeError(e) }, 'view refresh failed');
    }
  };
  let refreshing = false;
  const timer = setInterval(() => {
    if (refreshing) return;
    refreshing = true;
    void refresh().finally(() => (refreshing = false));
  }, o.refreshMs);
  timer.unref();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://console');
    const path = url.pathname;
    if (req.method === 'GET' && path === '/healthz') return send(res, 200, { ok: true, service: 'console' });
    if (req.method === 'GET' && path === '/readyz') {
      const r = o.ready();
      return send(res, r.ok ? 200 : 503, { ...r, service: 'console' });
    }
    const authorized = o.token ? same(tokenOf(req, url), o.token) : false;
    // Beyond loopback, reading needs the token too (the page passes it on).
    if (!isLoopback(o.host) && !authorized && path !== '/' && path !== '/app.js') return send(res, 401, { error: 'unauthorized' });
    if (req.method === 'GET' && path === '/') return send(res, 200, INDEX_HTML, 'text/html; charset=utf-8');
    if (req.method === 'GET' && path === '/app.js') {
      script ??= o.uiScript();
      script.catch(() => (script = null));
      return send(res, 200, await script, 'text/javascript; charset=utf-8');
    }
    if (req.method === 'GET' && path === '/status') return send(res, 200, o.status());
    if (req.method === 'GET' && path === '/api/view') return send(res, 200, (current = await o.reader.view()));
    if (req.method === 'GET' && path === '/api/devices') return send(res, 200, await o.reader.devices(devicesQuery(url)));
    if (req.method === 'GET' && path === '/api/live') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(`retry: 2000\n\n`);
      if (current) res.write(`event: view\ndata: ${JSON.stringify(current)}\n\n`);
      clients.add(res);
      req.on('close', () => clients.delete(res));
      last = '';
      return;
    }
    const m = /^\/surveys\/([A-Za-z0-9_-]+)\.(html|json)$/.exec(path);
    if (req.method === 'GET' && m) {
      const file = join(o.surveyDir, `${m[1]}.${m[2]}`);
      if (!existsSync(file)) return send(res, 404, { error: 'no survey of this system yet: run edge survey' });
      res.setHeader('content-disposition', `${url.searchParams.has('download') ? 'attachment' : 'inline'}; filename="survey-${m[1]}.${m[2]}"`);
      return send(res, 200, readFileSync(file, 'utf8'), m[2] === 'html' ? 'text/html; charset=utf-8' : 'application/json');
    }
    if (req.method === 'POST' && (path === '/api/sync' || path === '/api/dlq/replay')) {
      if (!o.token) return send(res, 403, { error: 'actions are off: set http.token in the edge config' });
      if (!authorized) return send(res, 401, { error: 'the token is missing or wrong' });
      const b = await body(req);
      if (path === '/api/sync') return send(res, 202, { replies: await o.reader.sync(typeof b.system === 'string' ? b.system : undefined) });
      return send(res, 200, await o.reader.replayDlq());
    }
    return send(res, 404, { error: 'not_found' });
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      o.log.warn({ err: describeError(e), url: req.url }, 'console request failed');
      if (!res.headersSent) send(res, 502, { error: describeError(e) });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: async () => {
      clearInterval(timer);
      for (const c of clients) c.end();
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
    },
  };
}
