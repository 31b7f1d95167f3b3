import http from 'node:http';
import axios, { type AxiosInstance } from 'axios';
import WebSocket from 'ws';
import type { Logger } from 'pino';
import { z } from 'zod';
import { onGuardHttpsAgent, type OnGuardTlsOptions } from '../client/tls';

/**
 * A small client for classic ASP.NET SignalR 2 (protocol 1.5), which the OnGuard Web Event
 * Bridge speaks (§5.3); `@microsoft/signalr` only speaks the Core protocol. negotiate → connect
 * (WebSockets, or long polling as fallback) → start; hub invocations `{H,M,A,I}` answered by
 * `{I,R}` / `{I,E,H,D}`; pushes `{C,M:[{H,M,A}]}`; keep-alives `{}` watched against
 * `KeepAliveTimeout`. No automatic reconnect: the owner restarts the whole connection, since
 * events during a gap are lost anyway.
 */

export class HubError extends Error {
  constructor(
    message: string,
    /** True for a server HubException (`H: true`). */
    readonly isHubException: boolean,
    /** `D` (ErrorData): for OnGuard an OpenAccess error code such as `openaccess.general.invalidsessiontoken`. */
    readonly data: unknown,
  ) {
    super(message);
    this.name = 'HubError';
  }

  /**
   * The error data names `code` anywhere in it: Lenel's C# sample matches
   * `ErrorData.ToString().Contains("openaccess.general.invalidsessiontoken")`
   * (paulosouza881/EventSubscriber WebEventSubscriber.cs), so a code wrapped in an error body counts.
   */
  has(code: string): boolean {
    const d = this.data;
    const text = typeof d === 'string' ? d : d === undefined || d === null ? '' : JSON.stringify(d);
    return text.includes(code);
  }

  /** The error code in `data`, whether it is a string or an object with a code field. */
  get code(): string | null {
    const d = this.data;
    if (typeof d === 'string') return d;
    if (d && typeof d === 'object') {
      for (const k of ['ErrorCode', 'errorCode', 'code', 'Code', 'error_code']) {
        const v = (d as Record<string, unknown>)[k];
        if (typeof v === 'string') return v;
      }
    }
    return null;
  }
}

const Negotiate = z.looseObject({
  Url: z.string().optional(),
  ConnectionToken: z.string().min(1),
  ConnectionId: z.string().optional(),
  KeepAliveTimeout: z.number().nullable().optional(),
  DisconnectTimeout: z.number().nullable().optional(),
  TryWebSockets: z.boolean().optional(),
  ProtocolVersion: z.string().optional(),
  TransportConnectTimeout: z.number().nullable().optional(),
});

const Frame = z.looseObject({
  C: z.string().optional(),
  S: z.number().optional(),
  M: z.array(z.unknown()).optional(),
  G: z.string().optional(),
  T: z.number().optional(),
  /** `1` in a persistent response = disconnect; in a hub result = the HubException's ErrorData. */
  D: z.unknown().optional(),
  I: z.union([z.string(), z.number()]).optional(),
  R: z.unknown().optional(),
  E: z.string().optional(),
  H: z.boolean().optional(),
  P: z.unknown().optional(),
});

const HubMessage = z.looseObject({ H: z.string(), M: z.string(), A: z.array(z.unknown()).optional() });

export interface SignalRClientOptions {
  /** Endpoint URL, e.g. `https://og:8080/api/access/onguard/openaccess/eventbridge`. */
  url: string;
  /** Hub names (lower-cased in `connectionData`, as the classic clients do). */
  hubs: string[];
  transport: 'auto' | 'webSockets' | 'longPolling';
  tls?: OnGuardTlsOptions;
  connectTimeoutMs?: number;
  /** Largest WebSocket message or HTTP answer accepted (config `events.max_message`; default 16 MB). */
  maxMessageBytes?: number;
  log: Logger;
  onMessage(hub: string, method: string, args: unknown[]): void;
  /** Called once when the connection ends for any reason after `start()` resolved. */
  onClose(reason: Error): void;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

export class SignalRConnection {
  private readonly http: AxiosInstance;
  private readonly agent: http.Agent;
  private readonly connectionData: string;
  private token: string | null = null;
  private messageId: string | null = null;
  private groupsToken: string | null = null;
  private ws: WebSocket | null = null;
  private transportName: 'webSockets' | 'longPolling' | null = null;
  private invocationId = 0;
  private readonly pending = new Map<string, Pending>();
  private keepAliveMs = 20_000;
  private lastFrameAt = 0;
  private watchdog: NodeJS.Timeout | null = null;
  private closed = false;
  private started = false;
  private pollAbort = new AbortController();

  constructor(private readonly o: SignalRClientOptions) {
    this.connectionData = JSON.stringify(o.hubs.map((h) => ({ name: h.toLowerCase() })));
    const secure = o.url.startsWith('https:');
    this.agent = secure
      ? onGuardHttpsAgent({ ...o.tls, connectTimeoutMs: o.connectTimeoutMs ?? 10_000, agent: { keepAlive: true, maxSockets: 4 } })
      : new http.Agent({ keepAlive: true, maxSockets: 4 });
    this.http = axios.create({
      baseURL: o.url.replace(/\/+$/, ''),
      httpAgent: secure ? undefined : this.agent,
      httpsAgent: secure ? this.agent : undefined,
      proxy: false,
      responseType: 'text',
      transformResponse: [(d: unknown) => d],
      validateStatus: () => true,
      maxRedirects: 0,
      maxContentLength: o.maxMessageBytes ?? 16 * 1024 * 1024,
    });
  }

  get transport(): 'webSockets' | 'longPolling' | null {
    return this.transportName;
  }

  private query(extra: Record<string, string> = {}): Record<string, string> {
    const q: Record<string, string> = { clientProtocol: '1.5', connectionData: this.connectionData, ...extra };
    if (this.token) q.connectionToken = this.token;
    if (this.transportName) q.transport = this.transportName;
    return q;
  }

  private async get(path: string, params: Record<string, string>, timeoutMs: number, method: 'GET' | 'POST' = 'GET', data?: string): Promise<unknown> {
    const r = await this.http.request<string>({
      method,
      url: path,
      params,
      timeout: timeoutMs,
      data,
      headers: data !== undefined ? { 'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8' } : undefined,
      signal: method === 'POST' && path === '/poll' ? this.pollAbort.signal : undefined,
    });
    if (r.status < 200 || r.status >= 300) throw new Error(`${path}: HTTP ${r.status}${typeof r.data === 'string' && r.data.length < 160 ? ` ${r.data.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim()}` : ''}`);
    const text = typeof r.data === 'string' ? r.data : '';
    if (text.trim() === '') return null;
    try {
      return JSON.parse(text);
    } catch {
      throw new Error(`${path}: answer is not JSON`);
    }
  }

  /** negotiate → connect → start. Rejects if any step fails (the owner retries with backoff). */
  async start(): Promise<void> {
    const timeout = this.o.connectTimeoutMs ?? 10_000;
    const n = Negotiate.parse(await this.get('/negotiate', this.query({ _: String(Date.now()) }), timeout));
    this.token = n.ConnectionToken;
    if (n.KeepAliveTimeout && n.KeepAliveTimeout > 0) this.keepAliveMs = n.KeepAliveTimeout * 1000;
    const wantWs = this.o.transport !== 'longPolling' && n.TryWebSockets !== false;
    let connected = false;
    if (wantWs) {
      try {
        await this.connectWebSocket(timeout);
        connected = true;
      } catch (e) {
        if (this.o.transport === 'webSockets') throw e;
        this.o.log.info({ err: (e as Error).message }, 'SignalR WebSocket transport failed; falling back to long polling');
      }
    }
    if (!connected) await this.connectLongPolling(timeout);
    const s = await this.get('/start', this.query(), timeout);
    const started = s && typeof s === 'object' ? (s as Record<string, unknown>).Response : undefined;
    if (started !== 'started') throw new Error(`/start answered ${JSON.stringify(s)}`);
    this.started = true;
    this.lastFrameAt = Date.now();
    if (this.transportName === 'webSockets') {
      this.watchdog = setInterval(() => {
        if (Date.now() - this.lastFrameAt > this.keepAliveMs) this.fail(new Error(`no keep-alive from the server for ${this.keepAliveMs} ms`));
      }, Math.max(250, Math.floor(this.keepAliveMs / 4)));
      this.watchdog.unref();
    } else void this.pollLoop();
  }

  private connectWebSocket(timeoutMs: number): Promise<void> {
    this.transportName = 'webSockets';
    const u = new URL(`${this.o.url.replace(/\/+$/, '')}/connect`);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    for (const [k, v] of Object.entries(this.query({ tid: String(Math.floor(Math.random() * 11)) }))) u.searchParams.set(k, v);
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(u.toString(), {
        handshakeTimeout: timeoutMs,
        // The same checks as every other call (CA, machine name, pin): through the same agent.
        ...(u.protocol === 'wss:' ? { agent: this.agent } : {}),
        maxPayload: this.o.maxMessageBytes ?? 16 * 1024 * 1024,
      });
      let initialised = false;
      const timer = setTimeout(() => {
        if (!initialised) {
          ws.terminate();
          reject(new Error('SignalR WebSocket: no init message'));
        }
      }, timeoutMs);
      ws.on('message', (data) => {
        const text = data.toString();
        if (!initialised) {
          initialised = true;
          clearTimeout(timer);
          this.ws = ws;
          this.handleText(text);
          resolve();
          return;
        }
        this.handleText(text);
      });
      ws.on('error', (e) => {
        if (!initialised) {
          clearTimeout(timer);
          this.transportName = null;
          reject(e);
        } else this.fail(e);
      });
      ws.on('close', (code) => {
        if (!initialised) {
          clearTimeout(timer);
          this.transportName = null;
          reject(new Error(`SignalR WebSocket closed during connect (${code})`));
        } else this.fail(new Error(`SignalR WebSocket closed (${code})`));
      });
    });
  }

  private async connectLongPolling(timeoutMs: number): Promise<void> {
    this.transportName = 'longPolling';
    const init = await this.get('/connect', this.query(), timeoutMs, 'POST', '');
    this.handleFrame(init);
  }

  private async pollLoop(): Promise<void> {
    while (!this.closed) {
      try {
        const params = this.query(this.messageId ? { messageId: this.messageId, ...(this.groupsToken ? { groupsToken: this.groupsToken } : {}) } : {});
        // The server holds a poll up to its long-poll timeout (110 s on ASP.NET); allow more.
        const frame = await this.get('/poll', params, 5 * 60_000, 'POST', '');
        if (this.closed) return;
        this.lastFrameAt = Date.now();
        this.handleFrame(frame);
      } catch (e) {
        if (!this.closed) this.fail(e instanceof Error ? e : new Error(String(e)));
        return;
      }
    }
  }

  private handleText(text: string): void {
    this.lastFrameAt = Date.now();
    if (text === '' || text === '{}') return;
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      this.o.log.warn({ size: text.length }, 'SignalR: frame is not JSON; ignored');
      return;
    }
    this.handleFrame(v);
  }

  private handleFrame(v: unknown): void {
    if (v === null || v === undefined) return;
    const f = Frame.safeParse(v);
    if (!f.success) {
      this.o.log.warn('SignalR: unexpected frame shape; ignored');
      return;
    }
    const fr = f.data;
    if (fr.C) this.messageId = fr.C;
    if (fr.G) this.groupsToken = fr.G;
    if (fr.I !== undefined && fr.P === undefined) {
      const p = this.pending.get(String(fr.I));
      if (p) {
        this.pending.delete(String(fr.I));
        clearTimeout(p.timer);
        if (fr.E !== undefined) p.reject(new HubError(fr.E, fr.H === true, fr.D));
        else p.resolve(fr.R);
      }
    }
    for (const m of fr.M ?? []) {
      const hm = HubMessage.safeParse(m);
      if (hm.success) {
        try {
          this.o.onMessage(hm.data.H, hm.data.M, hm.data.A ?? []);
        } catch (e) {
          this.o.log.warn({ err: (e as Error).message, method: hm.data.M }, 'SignalR: hub callback handler failed');
        }
      }
    }
    if (fr.D === 1 && fr.I === undefined) this.fail(new Error('server asked the client to disconnect'));
  }

  /** Invokes a hub method; resolves with `R`, rejects with HubError or on timeout / loss. */
  async invoke(hub: string, method: string, args: unknown[], timeoutMs: number): Promise<unknown> {
    if (this.closed || !this.started) throw new Error('SignalR connection is not open');
    const id = String(this.invocationId++);
    const payload = JSON.stringify({ H: hub.toLowerCase(), M: method, A: args, I: Number(id) });
    const result = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`hub call ${method} got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      this.pending.set(id, { resolve, reject, timer });
    });
    if (this.transportName === 'webSockets' && this.ws) {
      this.ws.send(payload, (e) => {
        if (e) this.fail(e);
      });
    } else {
      // Long polling: POST send; the answer may come back in this response or through a poll.
      void this.get('/send', this.query(), timeoutMs, 'POST', `data=${encodeURIComponent(payload)}`)
        .then((frame) => this.handleFrame(frame))
        .catch((e: Error) => {
          const p = this.pending.get(id);
          if (p) {
            this.pending.delete(id);
            clearTimeout(p.timer);
            p.reject(e);
          }
        });
    }
    return result;
  }

  private fail(reason: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.cleanup(reason);
    if (this.started) this.o.onClose(reason);
  }

  private cleanup(reason: Error): void {
    if (this.watchdog) clearInterval(this.watchdog);
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(reason);
      this.pending.delete(id);
    }
    this.pollAbort.abort();
    if (this.ws) {
      this.ws.removeAllListeners();
      this.ws.on('error', () => undefined);
      this.ws.terminate();
    }
    this.ws = null;
  }

  /** Closes the connection (tells the server with `abort`, best effort). Does not call onClose. */
  async stop(): Promise<void> {
    if (this.closed) {
      this.agent.destroy();
      return;
    }
    this.closed = true;
    const hadToken = this.token !== null && this.transportName !== null;
    this.cleanup(new Error('connection stopped'));
    if (hadToken) await this.get('/abort', this.query(), 3_000, 'POST', '').catch(() => undefined);
    this.agent.destroy();
  }
}
