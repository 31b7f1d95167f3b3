/**
 * A small real HTTP(S) server whose answers a test scripts per request: the broken answers
 * vendors and clouds give in the field (HTML error pages from IIS or a proxy, JSON cut off
 * mid-body, pages far larger than asked, wrong types, 200 with an error body, silence).
 */
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

export interface Answer {
  status?: number;
  headers?: Record<string, string>;
  /** Body text, or a generator of chunks for huge answers. */
  body?: string | (() => Iterable<string>);
  /** Close the connection after this many bytes of `body` (truncated answer). */
  cutAfterBytes?: number;
  /** Never answer (the client's timeout must fire). */
  hang?: boolean;
  /** Destroy the socket without a word. */
  reset?: boolean;
}

export type Responder = (req: IncomingMessage, body: string) => Answer | Promise<Answer>;

export interface HostileServer {
  url: string;
  port: number;
  requests: Array<{ method: string; path: string; headers: IncomingMessage['headers']; body: string }>;
  respond: Responder;
  close(): Promise<void>;
}

export const HTML_503 = '<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body><h1>Service Unavailable</h1><p>HTTP Error 503. The service is unavailable.</p></body></html>';
export const HTML_200_LOGIN = '<html><head><title>Sign in</title></head><body><form action="/login">captive portal</form></body></html>';

/** `count` JSON items of `itemBytes` each, streamed: a page far larger than any page size asked for. */
export function hugeArray(count: number, itemBytes: number, wrap: (items: string) => [string, string] = () => ['{"array":[', ']}']): () => Iterable<string> {
  return function* () {
    const [open, close] = wrap('');
    yield open;
    const pad = 'x'.repeat(Math.max(0, itemBytes - 60));
    for (let i = 0; i < count; i++) yield `${i ? ',' : ''}{"id":"${String(i).padStart(8, '0')}-0000-0000-0000-000000000000","name":"${pad}"}`;
    yield close;
  };
}

export async function startHostileServer(respond: Responder, tls?: { key: string | Buffer; cert: string | Buffer }): Promise<HostileServer> {
  const sockets = new Set<Socket>();
  const state: HostileServer = {
    url: '',
    port: 0,
    requests: [],
    respond,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = Buffer.concat(chunks).toString('utf8');
      state.requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      const a = await state.respond(req, body);
      if (a.hang) return;
      if (a.reset) return req.socket.destroy();
      const parts = typeof a.body === 'function' ? a.body() : [a.body ?? ''];
      const headers = { 'content-type': 'application/json', ...a.headers };
      if (a.cutAfterBytes !== undefined) {
        // Promise a longer body than is sent, then hang up: a truncated answer.
        const text = [...parts].join('');
        res.writeHead(a.status ?? 200, { ...headers, 'content-length': String(Buffer.byteLength(text)) });
        res.write(text.slice(0, a.cutAfterBytes));
        setTimeout(() => req.socket.destroy(), 20);
        return;
      }
      res.writeHead(a.status ?? 200, headers);
      for (const p of parts) {
        if (!res.write(p)) await new Promise<void>((r) => res.once('drain', () => r()));
        if (res.destroyed) return;
      }
      res.end();
    })().catch(() => res.destroy());
  };
  const server: Server = tls ? createHttps({ key: tls.key, cert: tls.cert }, handler) : createHttp(handler);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  // TLS handshake failures are the point of some tests; they are not server errors.
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  state.port = (server.address() as AddressInfo).port;
  state.url = `${tls ? 'https' : 'http'}://127.0.0.1:${state.port}`;
  return state;
}
