import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { describeError } from '../errors';

export interface Readiness {
  ok: boolean;
  checks: Record<string, boolean | string>;
}

export type RouteHandler = (body: unknown, req: IncomingMessage) => Promise<{ status?: number; body: unknown }>;

export interface HealthServerOptions {
  host: string;
  port: number;
  service: string;
  /** NATS connected and upstream usable. */
  ready: () => Promise<Readiness> | Readiness;
  /** JSON for GET /status. */
  status: () => Promise<unknown> | unknown;
  /** Extra routes, e.g. `POST /sync`. Key: "METHOD /path". */
  routes?: Record<string, RouteHandler>;
  /** When set, /status and extra routes need `Authorization: Bearer <token>`. /healthz and /readyz stay open. */
  token?: string;
  log: Logger;
}

export interface HealthServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;

/**
 * `Authorization: Bearer <token>` compared in constant time: both sides are hashed to the same
 * length first, so neither the content nor the length of the token leaks through timing.
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(header ?? ''), digest(`Bearer ${token}`));
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new Error('body too large');
    chunks.push(c as Buffer);
  }
  if (size === 0) return {};
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/** GET /healthz (alive), GET /readyz (NATS + upstream), GET /status (JSON), plus control routes. */
export async function startHealthServer(o: HealthServerOptions): Promise<HealthServer> {
  const started = Date.now();
  const server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0];
      try {
        if (req.method === 'GET' && path === '/healthz') return send(res, 200, { ok: true, service: o.service, uptime_s: (Date.now() - started) / 1000 });
        if (req.method === 'GET' && path === '/readyz') {
          const r = await o.ready();
          return send(res, r.ok ? 200 : 503, { ...r, service: o.service });
        }
        if (o.token && !bearerMatches(req.headers.authorization, o.token)) return send(res, 401, { error: 'unauthorized' });
        if (req.method === 'GET' && path === '/status') return send(res, 200, await o.status());
        const route = o.routes?.[`${req.method} ${path}`];
        if (route) {
          let body: unknown;
          try {
            body = await readBody(req);
          } catch (e) {
            return send(res, 400, { error: 'bad_request', message: describeError(e) });
          }
          const r = await route(body, req);
          return send(res, r.status ?? 200, r.body);
        }
        return send(res, 404, { error: 'not_found' });
      } catch (e) {
        // The reason goes to the log only; the client learns that it failed, and which request.
        const id = Math.random().toString(36).slice(2, 10);
        o.log.error({ err: describeError(e), path, error_id: id }, 'http handler failed');
        return send(res, 500, { error: 'internal', error_id: id });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  o.log.info({ host: o.host, port }, 'health server listening');
  return {
    server,
    port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
