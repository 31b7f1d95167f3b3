import WebSocket from 'ws';
import { z } from 'zod';
import type { Logger } from 'pino';
import { authError, describeError, permanent, retryable, type EdgeError } from '@edge/platform';
import { errorForStatus } from '../client/http';
import type { TlsOptions } from '../client/tls';

/** A command reply: echoes `commandId`, carries an HTTP-like `status` (§5.2). */
export const CommandReply = z.looseObject({
  commandId: z.union([z.number(), z.string()]),
  status: z.number(),
  sessionId: z.string().optional(),
  subscriptionId: z.string().optional(),
  states: z.array(z.unknown()).optional(),
  error: z.looseObject({ errorText: z.string().optional() }).optional(),
});
export type CommandReply = z.infer<typeof CommandReply>;

export interface EssConnectionOptions {
  url: string;
  token: string;
  tls: TlsOptions;
  /** getState answers reach many MB; the 1 MiB defaults of common clients close with 1009 (§7.4). */
  maxPayloadBytes: number;
  handshakeTimeoutMs: number;
  /** Liveness pings; suspended while a command is outstanding (a long getState may delay pongs). */
  pingIntervalMs: number;
  log: Logger;
}

interface Pending {
  resolve: (r: CommandReply) => void;
  reject: (e: unknown) => void;
  timer: NodeJS.Timeout;
  command: string;
}

/**
 * One connection to the Events and State WebSocket API (`/api/ws/events/v1`), authenticated
 * by the bearer header. Replies are matched by `commandId`; `{"events":[…]}` frames, which can
 * arrive before a pending reply, go to `onEvents`.
 */
export class EssConnection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private alive = true;
  private pinger: NodeJS.Timeout | null = null;
  private closeInfo: { code: number; reason: string } | null = null;
  /** Resolves once the socket is closed for any reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
  onEvents: (events: unknown[]) => void = () => undefined;
  framesReceived = 0;
  badFrames = 0;

  private constructor(
    private readonly ws: WebSocket,
    private readonly o: EssConnectionOptions,
  ) {
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString('utf8') };
        if (this.pinger) clearInterval(this.pinger);
        for (const [, p] of this.pending) {
          clearTimeout(p.timer);
          p.reject(retryable('ws_closed', `socket closed (${code}) while waiting for ${p.command}`));
        }
        this.pending.clear();
        resolve(this.closeInfo);
      });
    });
    ws.on('error', (e) => o.log.debug({ err: describeError(e) }, 'events socket error'));
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('pong', () => {
      this.alive = true;
    });
    this.pinger = setInterval(() => {
      if (this.pending.size > 0) {
        this.alive = true;
        return;
      }
      if (!this.alive) {
        o.log.warn('events socket missed its pong; dropping it');
        ws.terminate();
        return;
      }
      this.alive = false;
      try {
        ws.ping();
      } catch {}
    }, o.pingIntervalMs);
    this.pinger.unref();
  }

  /** Opens the socket; rejects with an EdgeError (401 → auth, 404 → permanent, 5xx → retryable). */
  static open(o: EssConnectionOptions): Promise<EssConnection> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(o.url, {
        headers: { Authorization: `Bearer ${o.token}` },
        maxPayload: o.maxPayloadBytes,
        handshakeTimeout: o.handshakeTimeoutMs,
        perMessageDeflate: false,
        ...(o.tls.ca ? { ca: o.tls.ca } : {}),
        rejectUnauthorized: o.tls.rejectUnauthorized,
      });
      let settled = false;
      const done = (e: EdgeError | null) => {
        if (settled) return;
        settled = true;
        if (e) {
          ws.removeAllListeners('open');
          try {
            ws.terminate();
          } catch {}
          reject(e);
        } else resolve(new EssConnection(ws, o));
      };
      ws.once('open', () => done(null));
      ws.once('unexpected-response', (_req, res) => {
        const status = res.statusCode ?? 0;
        res.resume();
        const path = new URL(o.url).pathname;
        if (status === 401) done(authError('ws_unauthorized', `events socket ${path}: 401 (token missing or expired)`));
        else if (status === 404) done(permanent('ws_not_found', `events socket ${path}: 404 (the path must end with /api/ws/events/v1)`));
        else done(errorForStatus(status, `ws_upgrade_${status}`, `events socket ${path}: upgrade answered ${status}`, res.headers));
      });
      ws.on('error', (e: NodeJS.ErrnoException) => {
        const code = e.code ?? '';
        if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ALTNAME/.test(code))
          done(permanent('tls_verify_failed', `events socket: TLS verification failed (${code}); set tls.ca_file or tls.insecure`));
        else done(retryable('ws_connect_failed', `events socket: ${code || e.message}`));
      });
    });
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  get closeReason(): { code: number; reason: string } | null {
    return this.closeInfo;
  }

  /** Sends a command with a fresh `commandId` and waits for the reply carrying it. */
  command(command: string, fields: Record<string, unknown>, timeoutMs: number): Promise<CommandReply> {
    if (!this.isOpen) return Promise.reject(retryable('ws_closed', `socket not open for ${command}`));
    const commandId = this.nextId++;
    return new Promise<CommandReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(commandId);
        reject(retryable('ws_command_timeout', `${command} got no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(commandId, { resolve, reject, timer, command });
      this.ws.send(JSON.stringify({ command, commandId, ...fields }), (err) => {
        if (!err) return;
        clearTimeout(timer);
        this.pending.delete(commandId);
        reject(retryable('ws_send_failed', `${command}: ${err.message}`));
      });
    });
  }

  private onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    this.framesReceived++;
    this.alive = true;
    const text = isBinary ? null : Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
    let frame: unknown;
    try {
      frame = text === null ? undefined : JSON.parse(text);
    } catch {
      frame = undefined;
    }
    if (frame === null || typeof frame !== 'object') {
      this.badFrames++;
      this.o.log.warn({ bytes: text?.length ?? 0 }, 'events socket sent a frame that is not a JSON object; ignored');
      return;
    }
    const f = frame as Record<string, unknown>;
    if (Array.isArray(f.events)) {
      this.onEvents(f.events);
      if (f.commandId === undefined) return;
    }
    const reply = CommandReply.safeParse(f);
    if (!reply.success) {
      this.badFrames++;
      this.o.log.warn('events socket sent a frame that is neither events nor a command reply; ignored');
      return;
    }
    const id = Number(reply.data.commandId);
    const p = this.pending.get(id);
    if (!p) {
      this.o.log.debug({ command_id: id }, 'reply for no pending command (late after timeout); ignored');
      return;
    }
    clearTimeout(p.timer);
    this.pending.delete(id);
    p.resolve(reply.data);
  }

  close(code = 1000, reason = 'closing'): void {
    try {
      this.ws.close(code, reason);
    } catch {}
    // Don't wait on a peer that never answers the close handshake.
    setTimeout(() => this.ws.terminate(), 2_000).unref();
  }

  terminate(): void {
    this.ws.terminate();
  }
}

/** Turns a non-2xx command reply into an EdgeError with a kind. */
export function replyError(command: string, r: CommandReply): EdgeError {
  const text = r.error?.errorText ?? `status ${r.status}`;
  return errorForStatus(r.status, `ws_${command}_${r.status}`, `${command}: ${text}`);
}
