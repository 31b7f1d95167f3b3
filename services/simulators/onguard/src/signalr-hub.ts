import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { parseFilter, type Predicate } from './filter';
import { sendJson, type Req } from './http-util';
import type { SimState, Subscription } from './state';

/**
 * The Web Event Bridge: a classic ASP.NET SignalR 2 endpoint (protocol 1.5) hosting hub
 * `Outbound` (reference §5.3). negotiate / connect (WebSockets or long polling) / start / send /
 * poll / abort; hub results `{I,R}`, HubExceptions `{I,E,H:true,D}`, pushes `{C,M:[{H,M,A}]}`,
 * keep-alive `{}`. Fault modes: close every connection, lose the message bus, go silent.
 */

interface Conn {
  id: string;
  token: string;
  transport: 'webSockets' | 'longPolling' | null;
  ws: WebSocket | null;
  queue: unknown[];
  waiter: { res: ServerResponse; timer: NodeJS.Timeout } | null;
  seq: number;
  subscriptionId: number | null;
  lastActivity: number;
  keepAlive: NodeJS.Timeout | null;
}

interface Invocation {
  H?: unknown;
  M?: unknown;
  A?: unknown;
  I?: unknown;
}

type HubReply = Record<string, unknown> | null;

export class SignalRHub {
  private readonly conns = new Map<string, Conn>();
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly filters = new Map<string, Predicate | null>();
  private downUntil = 0;
  private busLost = false;
  private silentUntil = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private hubExceptions: { code: string; count: number } | null = null;
  private readonly unlisten: () => void;

  constructor(private readonly st: SimState) {
    this.unlisten = st.onEvent((ev) => this.deliver(ev));
    const sweep = setInterval(() => this.sweep(), 5_000);
    sweep.unref();
    this.timers.add(sweep);
  }

  private get o() {
    return this.st.o.bridge;
  }

  private isDown(): boolean {
    return !this.o.enabled || Date.now() < this.downUntil;
  }

  private isSilent(): boolean {
    return Date.now() < this.silentUntil;
  }

  connectionCount(): number {
    return this.conns.size;
  }

  // ------------------------------------------------------------------ HTTP side

  async handleHttp(sub: string, req: Req, res: ServerResponse): Promise<void> {
    const op = sub.replace(/^\/+/, '').replace(/\/+$/, '');
    this.st.count(`bridge ${op || 'root'}`);
    if (this.isDown()) {
      res.writeHead(503, { 'content-type': 'text/html' });
      res.end('<html><body><h1>Service Unavailable</h1></body></html>');
      return;
    }
    if (op === 'negotiate') return this.negotiate(req, res);
    if (op === 'ping') return sendJson(res, 200, { Response: 'pong' });
    const conn = this.conns.get(req.query.get('connectionToken') ?? '');
    if (!conn) {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end('The connection id is in the incorrect format.');
      return;
    }
    conn.lastActivity = Date.now();
    const transport = req.query.get('transport');
    switch (op) {
      case 'connect':
        if (transport !== 'longPolling') return sendJson(res, 400, { Message: 'Use a WebSocket upgrade for transport=webSockets.' });
        conn.transport = 'longPolling';
        this.st.count('lp_connections');
        return sendJson(res, 200, { C: this.cursor(conn), S: 1, M: [] });
      case 'poll':
        return this.poll(conn, res);
      case 'start':
        if (!conn.transport) return sendJson(res, 400, { Message: 'The connection has not been started.' });
        return sendJson(res, 200, { Response: 'started' });
      case 'send': {
        const data = typeof req.body.data === 'string' ? req.body.data : '';
        const reply = this.invokeText(conn, data);
        if (reply === null) return; // silent: the request hangs until the client gives up
        return sendJson(res, 200, reply);
      }
      case 'abort':
        this.dropConn(conn);
        res.writeHead(200);
        res.end();
        return;
      default:
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('Not found');
    }
  }

  private negotiate(req: Req, res: ServerResponse): void {
    this.st.count('negotiations');
    const conn: Conn = {
      id: randomUUID(),
      token: randomBytes(48).toString('base64'),
      transport: null,
      ws: null,
      queue: [],
      waiter: null,
      seq: 0,
      subscriptionId: null,
      lastActivity: Date.now(),
      keepAlive: null,
    };
    this.conns.set(conn.token, conn);
    const url = new URL(req.raw.url ?? '/', 'http://x').pathname.replace(/\/negotiate\/?$/, '');
    sendJson(res, 200, {
      Url: url,
      ConnectionToken: conn.token,
      ConnectionId: conn.id,
      KeepAliveTimeout: this.o.keepAliveSeconds,
      DisconnectTimeout: 30.0,
      ConnectionTimeout: 110.0,
      TryWebSockets: this.o.webSockets,
      ProtocolVersion: '1.5',
      TransportConnectTimeout: 5.0,
      LongPollDelay: 0.0,
    });
  }

  private cursor(conn: Conn): string {
    return `d-${conn.id.slice(0, 8)},${conn.seq}`;
  }

  private poll(conn: Conn, res: ServerResponse): void {
    this.st.count('lp_polls');
    if (conn.waiter) {
      // A second poll replaces the first (the client gave up on it).
      clearTimeout(conn.waiter.timer);
      sendJson(conn.waiter.res, 200, { C: this.cursor(conn), M: [] });
      conn.waiter = null;
    }
    if (conn.queue.length > 0 && !this.isSilent()) return this.flush(conn, res);
    const timer = setTimeout(() => {
      if (conn.waiter?.res !== res) return;
      conn.waiter = null;
      sendJson(res, 200, { C: this.cursor(conn), M: [] });
    }, this.o.longPollTimeoutMs);
    timer.unref();
    conn.waiter = { res, timer };
    res.on('close', () => {
      if (conn.waiter?.res === res) {
        clearTimeout(conn.waiter.timer);
        conn.waiter = null;
      }
    });
  }

  private flush(conn: Conn, res: ServerResponse): void {
    const msgs = conn.queue.splice(0);
    conn.seq += msgs.length;
    sendJson(res, 200, { C: this.cursor(conn), M: msgs });
  }

  // ------------------------------------------------------------------ WebSocket side

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const reject = (status: number, text: string) => {
      socket.write(`HTTP/1.1 ${status} ${text}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      socket.destroy();
    };
    if (this.isDown()) return reject(503, 'Service Unavailable');
    if (!this.o.webSockets) return reject(400, 'Bad Request');
    const conn = this.conns.get(url.searchParams.get('connectionToken') ?? '');
    if (!conn || url.searchParams.get('transport') !== 'webSockets') return reject(400, 'Bad Request');
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      conn.ws = ws;
      conn.transport = 'webSockets';
      this.st.count('ws_connections');
      ws.send(JSON.stringify({ C: this.cursor(conn), S: 1, M: [] }));
      const ka = setInterval(() => {
        if (!this.isSilent() && ws.readyState === ws.OPEN) ws.send('{}');
      }, Math.max(200, (this.o.keepAliveSeconds * 1000) / 3));
      ka.unref();
      conn.keepAlive = ka;
      ws.on('message', (data) => {
        conn.lastActivity = Date.now();
        const reply = this.invokeText(conn, data.toString());
        if (reply !== null && ws.readyState === ws.OPEN) ws.send(JSON.stringify(reply));
      });
      ws.on('close', () => this.dropConn(conn));
      ws.on('error', () => this.dropConn(conn));
    });
  }

  // ------------------------------------------------------------------ hub

  private invokeText(conn: Conn, text: string): HubReply {
    let inv: Invocation;
    try {
      inv = JSON.parse(text) as Invocation;
    } catch {
      return { E: 'The request could not be parsed.' };
    }
    if (inv === null || typeof inv !== 'object') return { E: 'The request could not be parsed.' };
    return this.invoke(conn, inv);
  }

  private hubException(I: string, code: string, message: string): HubReply {
    const D = this.o.errorData === 'wrapped' ? { error: { code, message }, version: '1.0' } : code;
    return { I, E: message, H: true, D };
  }

  /** Validates the `connectionInfo` argument ({SessionToken, ApplicationId}, PascalCase). */
  private checkInfo(I: string, info: unknown): { reply: HubReply } | { user: import('./state').SimUser } {
    const ci = (info ?? {}) as Record<string, unknown>;
    const app = typeof ci.ApplicationId === 'string' ? ci.ApplicationId : '';
    if (!this.st.licensed || !this.st.o.applicationIds.includes(app))
      return { reply: this.hubException(I, 'openaccess.general.invalidapplicationid', 'You are not licensed for OpenAccess.') };
    const s = this.st.session(typeof ci.SessionToken === 'string' ? ci.SessionToken : undefined, true);
    if (!s) return { reply: this.hubException(I, 'openaccess.general.invalidsessiontoken', 'The session token is invalid or has expired.') };
    return { user: s.user };
  }

  private invoke(conn: Conn, inv: Invocation): HubReply {
    const I = String(inv.I ?? '0');
    this.st.count('hub_invocations');
    if (this.isSilent()) return null;
    const hub = String(inv.H ?? '');
    if (hub.toLowerCase() !== 'outbound') return { I, E: `'${hub}' Hub could not be resolved.` };
    const method = String(inv.M ?? '');
    const args = Array.isArray(inv.A) ? inv.A : [];
    const m = method.toLowerCase();
    if (this.hubExceptions && this.hubExceptions.count > 0 && m !== 'stopsubscription') {
      this.hubExceptions.count--;
      const code = this.hubExceptions.code;
      if (this.hubExceptions.count <= 0) this.hubExceptions = null;
      return this.hubException(I, code, code === 'system.not_found' ? 'The subscription was not found.' : 'The request failed.');
    }
    switch (m) {
      case 'createsubscription': {
        const c = this.checkInfo(I, args[0]);
        if ('reply' in c) return c.reply;
        const body = (args[1] ?? {}) as Record<string, unknown>;
        if (typeof body.filter === 'string') {
          try {
            parseFilter(body.filter);
          } catch (e) {
            return { I, E: `Invalid filter: ${(e as Error).message}` };
          }
        }
        const sub = this.st.createSubscription(c.user, body);
        if (!sub) return this.hubException(I, 'openaccess.general.unexpectederror', 'The maximum number of event subscriptions has been reached.');
        conn.subscriptionId = sub.id;
        this.later(() => !this.busLost && this.push(conn, 'OnConnectionToMessageBusEstablished', []));
        return { I, R: subscriptionJson(sub) };
      }
      case 'modifysubscription': {
        const c = this.checkInfo(I, args[0]);
        if ('reply' in c) return c.reply;
        const body = (args[1] ?? {}) as Record<string, unknown>;
        const sub = this.st.subscriptions.get(Number(body.id));
        if (!sub || !sub.is_enabled) return this.hubException(I, 'system.not_found', 'The subscription was not found.');
        if (typeof body.description === 'string') sub.description = body.description;
        if (typeof body.filter === 'string') sub.filter = body.filter;
        sub.last_updated_date = this.st.localIso(new Date());
        conn.subscriptionId = sub.id;
        this.later(() => !this.busLost && this.push(conn, 'OnConnectionToMessageBusEstablished', []));
        return { I, R: subscriptionJson(sub) };
      }
      case 'connectionheartbeat': {
        const c = this.checkInfo(I, args[0]);
        if ('reply' in c) return c.reply;
        this.st.count('heartbeats');
        const body = (args[1] ?? {}) as Record<string, unknown>;
        const sub = this.st.subscriptions.get(Number(body.id ?? conn.subscriptionId));
        if (!sub || !sub.is_enabled) return this.hubException(I, 'system.not_found', 'The subscription was not found.');
        return { I };
      }
      case 'stopsubscription':
        conn.subscriptionId = null;
        return { I };
      default:
        return { I, E: `'${method}' method could not be resolved.` };
    }
  }

  private later(fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, 5);
    t.unref();
    this.timers.add(t);
  }

  /** Sends a hub callback to one connection (frame on WS, queued for the next poll on LP). */
  push(conn: Conn, method: string, args: unknown[]): void {
    const msg = { H: 'Outbound', M: method, A: args };
    if (conn.transport === 'webSockets' && conn.ws && conn.ws.readyState === conn.ws.OPEN) {
      conn.seq++;
      conn.ws.send(JSON.stringify({ C: this.cursor(conn), M: [msg] }));
      return;
    }
    if (conn.transport === 'longPolling') {
      conn.queue.push(msg);
      if (conn.queue.length > 10_000) conn.queue.splice(0, conn.queue.length - 10_000);
      if (conn.waiter && !this.isSilent()) {
        const w = conn.waiter;
        conn.waiter = null;
        clearTimeout(w.timer);
        this.flush(conn, w.res);
      }
    }
  }

  private filterOf(sub: Subscription): Predicate | null {
    if (!this.filters.has(sub.filter)) {
      try {
        this.filters.set(sub.filter, parseFilter(sub.filter));
      } catch {
        this.filters.set(sub.filter, null);
      }
    }
    return this.filters.get(sub.filter) ?? null;
  }

  private deliver(ev: Record<string, unknown>): void {
    if (this.busLost || this.isSilent() || this.isDown()) {
      this.st.count('events_lost_in_gap');
      return;
    }
    for (const conn of this.conns.values()) {
      if (conn.subscriptionId === null) continue;
      const sub = this.st.subscriptions.get(conn.subscriptionId);
      if (!sub || !sub.is_enabled) continue;
      const pred = this.filterOf(sub);
      if (!pred || !pred(ev)) continue;
      this.push(conn, 'OnBusinessEventReceived', [ev]);
      this.st.count('events_delivered');
    }
  }

  private dropConn(conn: Conn): void {
    if (!this.conns.has(conn.token)) return;
    this.conns.delete(conn.token);
    if (conn.keepAlive) clearInterval(conn.keepAlive);
    if (conn.waiter) {
      clearTimeout(conn.waiter.timer);
      conn.waiter.res.destroy();
      conn.waiter = null;
    }
    if (conn.ws && conn.ws.readyState <= conn.ws.OPEN) conn.ws.terminate();
  }

  /** Long-polling connections nobody polls any more are forgotten (DisconnectTimeout). */
  private sweep(): void {
    const cutoff = Date.now() - Math.max(30_000, this.o.longPollTimeoutMs * 2);
    for (const c of this.conns.values()) if (c.transport !== 'webSockets' && !c.waiter && c.lastActivity < cutoff) this.dropConn(c);
  }

  // ------------------------------------------------------------------ fault control

  /**
   * `close`: every connection is cut and new ones are refused for `downMs`.
   * `bus-lost`: connections stay, the lost callback is pushed, events are dropped for `downMs`,
   * then `OnConnectionToMessageBusEstablished`. `silent`: no pushes, keep-alives or hub answers for `downMs`.
   */
  drop(mode: 'close' | 'bus-lost' | 'silent', downMs: number): { connections: number } {
    const n = this.conns.size;
    this.st.count(`bridge_drops_${mode}`);
    if (mode === 'close') {
      this.downUntil = Date.now() + downMs;
      for (const c of [...this.conns.values()]) this.dropConn(c);
    } else if (mode === 'bus-lost') {
      this.busLost = true;
      for (const c of this.conns.values()) this.push(c, this.o.busLostCallback, []);
      const t = setTimeout(() => this.restoreBus(), downMs);
      t.unref();
      this.timers.add(t);
    } else {
      this.silentUntil = Date.now() + downMs;
    }
    return { connections: n };
  }

  private restoreBus(): void {
    if (!this.busLost) return;
    this.busLost = false;
    for (const c of this.conns.values()) this.push(c, 'OnConnectionToMessageBusEstablished', []);
  }

  restore(): void {
    this.downUntil = 0;
    this.silentUntil = 0;
    this.restoreBus();
  }

  failInvocations(code: string, count: number): void {
    // `system.not_found` means the subscription is gone: an operator deleted (disabled) it.
    if (code === 'system.not_found') for (const c of this.conns.values()) if (c.subscriptionId !== null) this.st.subscriptions.get(c.subscriptionId)!.is_enabled = false;
    this.hubExceptions = { code, count };
  }

  /** Pushes `OnExceptionRaised` (a string, often JSON with Message/ErrorCode) to every connection. */
  raiseException(message: string, errorCode: string): void {
    for (const c of this.conns.values()) this.push(c, 'OnExceptionRaised', [JSON.stringify({ Message: message, ErrorCode: errorCode })]);
  }

  close(): void {
    this.unlisten();
    for (const t of this.timers) clearTimeout(t);
    for (const c of [...this.conns.values()]) this.dropConn(c);
    this.wss.close();
  }
}

export function subscriptionJson(s: Subscription): Record<string, unknown> {
  const { is_enabled: _e, ...rest } = s;
  return { ...rest, version: '1.0' };
}
