import type { Logger } from 'pino';
import { backoffDelay, Counters } from '@edge/platform';
import type { EventsConfig } from '../config';
import { OA_CODES, OpenAccessError } from '../client/errors';
import type { OpenAccessClient } from '../client/openaccess-client';
import { HubError, SignalRConnection } from './signalr-client';
import type { SubscriptionKeeper } from './subscription-keeper';

/** A HubException whose error data names `code` (anywhere in it). */
function hubSays(e: unknown, code: string): boolean {
  return e instanceof HubError && e.has(code);
}

export type BridgeState = 'stopped' | 'connecting' | 'subscribed' | 'bus_lost' | 'reconnecting' | 'auth_blocked' | 'disabled';

export interface EventBridgeOptions {
  client: OpenAccessClient;
  /** `<OpenAccess root>/eventbridge`. */
  url: string;
  cfg: EventsConfig;
  tls?: import('../client/tls').OnGuardTlsOptions;
  log: Logger;
  /** One `OnBusinessEventReceived` dictionary. */
  onEvent(event: Record<string, unknown>): void;
  /** Subscribed (again) after a connect, reconnect or message-bus recovery: events in between are gone. */
  onConnected(reason: string): void;
  /** About to connect: events from now until attached are a gap. */
  onSubscribing?(): void;
  /** Attached, before `onConnected`: a chance to mark where the live stream starts. */
  onSubscribed?(): Promise<void>;
}

/**
 * The OnGuard Web Event Bridge subscriber (§5.3), after the Lenel samples: connect, then
 * `ModifySubscription(connectionInfo, subscription)` on hub `Outbound` with the subscription the
 * keeper holds (created once), `ConnectionHeartbeat`
 * every 10 s (a failed heartbeat = a lost connection), one re-login on the HubException
 * `invalidsessiontoken`, a new subscription on `system.not_found`, both spellings of the
 * message-bus-lost callback, `OnExceptionRaised` logged. Any loss restarts the connection with
 * backoff; the owner reconciles after each (re)subscription.
 */
export class EventBridge {
  readonly counters = new Counters();
  private st: BridgeState = 'stopped';
  private conn: SignalRConnection | null = null;
  private stopped = true;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private lostReason: Error | null = null;
  private keeper: SubscriptionKeeper | null = null;
  private lastError: string | null = null;
  private connectedAt: number | null = null;
  private everConnected = false;
  private busLostTimer: NodeJS.Timeout | null = null;
  private readonly unknownCallbacks = new Set<string>();
  private lastToken: string | null = null;

  constructor(private readonly o: EventBridgeOptions) {}

  state(): { state: BridgeState; transport: string | null; subscription_id: string | null; connected_at: string | null; last_error: string | null } {
    return {
      state: this.st,
      transport: this.conn?.transport ?? null,
      subscription_id: this.keeper?.id ?? null,
      connected_at: this.connectedAt ? new Date(this.connectedAt).toISOString() : null,
      last_error: this.lastError,
    };
  }

  /** Starts the connect/subscribe loop; `keeper` owns the subscription on the server. */
  start(keeper: SubscriptionKeeper): void {
    if (!this.stopped) return;
    this.keeper = keeper;
    this.stopped = false;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    const c = this.conn;
    if (c) {
      await c.invoke(this.o.cfg.hub, 'StopSubscription', [], 2_000).catch(() => undefined);
      await c.stop();
    }
    await this.loop?.catch(() => undefined);
    // A clean stop removes the subscription (and its broker queue) from the server.
    await this.keeper?.remove();
    this.st = 'stopped';
  }

  private connectionInfo(token: string): Record<string, string> {
    // PascalCase, as the samples send it (§5.3).
    return { SessionToken: token, ApplicationId: this.o.client.applicationId };
  }

  /**
   * Attaches this connection to the kept subscription with `ModifySubscription`; only when the
   * server says it does not exist is a new one created (never one per reconnect).
   */
  private async attach(conn: SignalRConnection): Promise<void> {
    const keeper = this.keeper!;
    await keeper.current();
    try {
      keeper.adopt(await this.call(conn, 'ModifySubscription', (t) => [this.connectionInfo(t), keeper.arg()]));
    } catch (e) {
      if (!hubSays(e, OA_CODES.notFound)) throw e;
      this.counters.inc('subscriptions_recreated');
      this.o.log.warn({ subscription_id: keeper.id }, 'event bridge: the kept subscription does not exist on the server; creating a new one');
      keeper.forget();
      await keeper.current();
      keeper.adopt(await this.call(conn, 'ModifySubscription', (t) => [this.connectionInfo(t), keeper.arg()]));
    }
  }

  /** A hub call with the session: one re-login and resend on `invalidsessiontoken`. */
  private async call(conn: SignalRConnection, method: string, args: (token: string) => unknown[]): Promise<unknown> {
    let token = await this.o.client.sessionToken();
    this.lastToken = token;
    try {
      return await conn.invoke(this.o.cfg.hub, method, args(token), this.o.cfg.invoke_timeout);
    } catch (e) {
      if (!hubSays(e, OA_CODES.session)) throw this.translate(e);
      this.counters.inc('relogins');
      this.o.log.info({ method }, 'event bridge: session token refused; logging in again');
      token = await this.o.client.reauthenticate(token);
      this.lastToken = token;
      try {
        return await conn.invoke(this.o.cfg.hub, method, args(token), this.o.cfg.invoke_timeout);
      } catch (e2) {
        throw this.translate(e2);
      }
    }
  }

  private translate(e: unknown): unknown {
    if (hubSays(e, OA_CODES.licence)) {
      const refused = new OpenAccessError('auth', 'onguard_licence', `event bridge refused the Application-Id: ${(e as Error).message}`, { licence: true });
      // Pauses REST calls too, and this loop waits for the pause before reconnecting.
      this.o.client.refused(refused);
      return refused;
    }
    return e;
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      const blocked = this.o.client.blockedUntilMs;
      if (blocked > 0) {
        this.st = 'auth_blocked';
        await this.pause(blocked - Date.now() + 100);
        continue;
      }
      this.st = this.everConnected ? 'reconnecting' : 'connecting';
      this.lostReason = null;
      const conn = new SignalRConnection({
        url: this.o.url,
        hubs: [this.o.cfg.hub],
        transport: this.o.cfg.transport,
        tls: this.o.tls,
        maxMessageBytes: this.o.cfg.max_message,
        log: this.o.log,
        onMessage: (hub, method, args) => this.onMessage(method, args),
        onClose: (reason) => {
          this.lostReason = reason;
          this.wake?.();
        },
      });
      this.conn = conn;
      this.o.onSubscribing?.();
      try {
        await conn.start();
        await this.attach(conn);
        this.st = 'subscribed';
        this.connectedAt = Date.now();
        this.lastError = null;
        attempt = 0;
        this.counters.inc(this.everConnected ? 'reconnects' : 'connects');
        this.o.log.info({ transport: conn.transport, subscription_id: this.keeper?.id ?? null }, this.everConnected ? 'event bridge re-subscribed' : 'event bridge subscribed');
        await this.o.onSubscribed?.().catch(() => undefined);
        const reason = this.everConnected ? 'event bridge reconnected' : 'event bridge connected';
        this.everConnected = true;
        this.o.onConnected(reason);
        await this.heartbeats(conn);
      } catch (e) {
        this.lastError = e instanceof Error ? e.message : String(e);
        this.counters.inc('failures');
        if (hubSays(e, OA_CODES.notFound)) {
          // The subscription was deleted on the server: the next connect creates a new one.
          this.keeper?.forget();
          this.o.log.warn('event bridge: subscription not found on the server (deleted?); subscribing again');
        } else if (!this.stopped) this.o.log.warn({ err: this.lastError, attempt }, 'event bridge connection lost or failed');
      } finally {
        if (this.busLostTimer) clearTimeout(this.busLostTimer);
        this.busLostTimer = null;
        await conn.stop();
        if (this.conn === conn) this.conn = null;
      }
      if (this.stopped) break;
      this.st = 'reconnecting';
      await this.pause(backoffDelay(attempt++, { baseMs: this.o.cfg.reconnect_base, capMs: this.o.cfg.reconnect_cap, floorMs: Math.min(250, this.o.cfg.reconnect_base) }));
    }
    this.st = 'stopped';
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        if (this.wake === done) this.wake = null;
        resolve();
      };
      const t = setTimeout(done, Math.max(0, ms));
      this.wake = done;
    });
  }

  /** Heartbeat every interval until the connection is lost, a heartbeat fails, or stop. */
  private async heartbeats(conn: SignalRConnection): Promise<void> {
    for (;;) {
      await this.pause(this.o.cfg.heartbeat_interval);
      if (this.stopped) return;
      if (this.lostReason) throw this.lostReason;
      await this.call(conn, 'ConnectionHeartbeat', (t) => [this.connectionInfo(t), this.keeper!.arg()]);
      this.counters.inc('heartbeats');
      if (this.lostReason) throw this.lostReason;
    }
  }

  private onMessage(method: string, args: unknown[]): void {
    switch (method.toLowerCase()) {
      case 'onbusinesseventreceived': {
        const ev = typeof args[0] === 'string' ? safeJson(args[0]) : args[0];
        if (ev && typeof ev === 'object' && !Array.isArray(ev)) {
          this.counters.inc('events');
          this.o.onEvent(ev as Record<string, unknown>);
        } else this.o.log.warn('event bridge: OnBusinessEventReceived without a dictionary; ignored');
        return;
      }
      case 'onconnectiontomessagebusestablished':
        this.o.log.info('event bridge: connection to message bus established');
        if (this.st === 'bus_lost') {
          this.st = 'subscribed';
          if (this.busLostTimer) clearTimeout(this.busLostTimer);
          this.busLostTimer = null;
          this.o.onConnected('message bus restored');
        }
        return;
      // The C# and Java samples disagree on the name (§5.3): both mean events stop flowing.
      case 'onconnectiontomessagebuslost':
      case 'onconnectionfrommessagebuslost':
        this.counters.inc('bus_lost');
        this.o.log.warn({ callback: method }, 'event bridge: message bus connection lost; events are not flowing');
        if (this.st === 'subscribed') this.st = 'bus_lost';
        if (!this.busLostTimer) {
          this.busLostTimer = setTimeout(() => {
            this.busLostTimer = null;
            if (this.st === 'bus_lost') {
              this.lostReason = new Error(`message bus still lost after ${this.o.cfg.bus_lost_grace} ms`);
              this.wake?.();
            }
          }, this.o.cfg.bus_lost_grace);
          this.busLostTimer.unref();
        }
        return;
      case 'onexceptionraised': {
        const raw = args[0];
        const parsed = typeof raw === 'string' ? safeJson(raw) : raw;
        const rec = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
        const code = typeof rec.ErrorCode === 'string' ? rec.ErrorCode : null;
        const text = typeof raw === 'string' ? raw : JSON.stringify(raw ?? '');
        this.counters.inc('exceptions_raised');
        this.o.log.warn({ error_code: code, message: typeof rec.Message === 'string' ? rec.Message : typeof raw === 'string' ? raw.slice(0, 200) : null }, 'event bridge: OnExceptionRaised');
        if (text.includes(OA_CODES.session)) void this.o.client.reauthenticate(this.lastToken).catch(() => undefined);
        return;
      }
      case 'onmanagementevent':
        this.o.log.debug({ event: typeof args[0] === 'string' ? args[0].slice(0, 200) : null }, 'event bridge: management event');
        return;
      default:
        if (!this.unknownCallbacks.has(method)) {
          this.unknownCallbacks.add(method);
          this.o.log.info({ callback: method }, 'event bridge: unknown hub callback (logged once)');
        }
    }
  }
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
}

