import type { Logger } from 'pino';
import { Counters, retryPolicy } from '@edge/platform';
import { EventStreamLifecycle, type EventSource, type StreamSession, type StreamSessionContext } from '@edge/collector-kit';
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
 * keeper holds (created once), `ConnectionHeartbeat` every 10 s as the kit's keep-alive (a failed
 * heartbeat = a lost connection), one re-login on the HubException `invalidsessiontoken`, a new
 * subscription on `system.not_found`, both spellings of the message-bus-lost callback,
 * `OnExceptionRaised` logged. Reconnect with backoff and the reconcile after every
 * (re)subscription are the collector kit's event-stream lifecycle.
 */
export class EventBridge implements EventSource {
  readonly counters = new Counters();
  private readonly life: EventStreamLifecycle;
  private conn: SignalRConnection | null = null;
  private keeper: SubscriptionKeeper | null = null;
  private busLost = false;
  private busLostTimer: NodeJS.Timeout | null = null;
  private readonly unknownCallbacks = new Set<string>();
  private lastToken: string | null = null;

  constructor(private readonly o: EventBridgeOptions) {
    this.life = new EventStreamLifecycle({
      name: 'event bridge',
      source: this,
      reconnect: retryPolicy('eventStreamReconnect', { baseMs: o.cfg.reconnect_base, capMs: o.cfg.reconnect_cap }),
      keepAliveMs: o.cfg.heartbeat_interval,
      requestReconcile: (reason) => o.onConnected(reason),
      log: o.log,
      counters: this.counters,
    });
  }

  state(): { state: BridgeState; transport: string | null; subscription_id: string | null; connected_at: string | null; last_error: string | null } {
    const s = this.life.snapshot();
    const state: BridgeState = s.state === 'idle' ? 'stopped' : s.state === 'blocked' ? 'auth_blocked' : s.state === 'subscribed' && this.busLost ? 'bus_lost' : s.state;
    return { state, transport: this.conn?.transport ?? null, subscription_id: this.keeper?.id ?? null, connected_at: s.connected_at, last_error: s.last_error };
  }

  /** Starts the connect/subscribe loop; `keeper` owns the subscription on the server. */
  start(keeper: SubscriptionKeeper): void {
    this.keeper = keeper;
    this.life.start();
  }

  async stop(): Promise<void> {
    await this.life.stop();
    // A clean stop removes the subscription (and its broker queue) from the server.
    await this.keeper?.remove();
  }

  // ------------------------------------------------------------ EventSource (the kit calls these)

  blockedForMs(): number {
    // A licence refusal pauses REST calls too; the bridge waits for the pause to end.
    const until = this.o.client.blockedUntilMs;
    return until > 0 ? Math.max(1, until - Date.now()) : 0;
  }

  connecting(): void {
    this.o.onSubscribing?.();
  }

  async open(ctx: StreamSessionContext): Promise<StreamSession> {
    this.busLost = false;
    const conn = new SignalRConnection({
      url: this.o.url,
      hubs: [this.o.cfg.hub],
      transport: this.o.cfg.transport,
      tls: this.o.tls,
      maxMessageBytes: this.o.cfg.max_message,
      log: this.o.log,
      onMessage: (_hub, method, args) => this.onMessage(method, args, ctx),
      onClose: (reason) => ctx.lost(reason),
    });
    this.conn = conn;
    // A stop while connecting abandons the connect; once subscribed, close(true) unsubscribes first.
    const abort = () => void conn.stop();
    ctx.signal.addEventListener('abort', abort, { once: true });
    const session: StreamSession = {
      keepAlive: async () => {
        await this.call(conn, 'ConnectionHeartbeat', (t) => [this.connectionInfo(t), this.keeper!.arg()]);
        this.counters.inc('heartbeats');
      },
      close: async (stopping) => {
        if (this.busLostTimer) clearTimeout(this.busLostTimer);
        this.busLostTimer = null;
        if (stopping) await conn.invoke(this.o.cfg.hub, 'StopSubscription', [], 2_000).catch(() => undefined);
        await conn.stop();
        if (this.conn === conn) this.conn = null;
      },
    };
    try {
      await conn.start();
      await this.attach(conn);
    } catch (e) {
      await session.close(false);
      throw e;
    } finally {
      ctx.signal.removeEventListener('abort', abort);
    }
    this.o.log.info({ transport: conn.transport, subscription_id: this.keeper?.id ?? null }, ctx.reconnect ? 'event bridge re-subscribed' : 'event bridge subscribed');
    await this.o.onSubscribed?.().catch(() => undefined);
    return session;
  }

  failed(e: unknown): boolean {
    if (!hubSays(e, OA_CODES.notFound)) return false;
    // The subscription was deleted on the server: the next connect creates a new one.
    this.keeper?.forget();
    this.o.log.warn('event bridge: subscription not found on the server (deleted?); subscribing again');
    return true;
  }

  // ------------------------------------------------------------ hub calls

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
      // Pauses REST calls too, and the lifecycle waits for the pause before reconnecting.
      this.o.client.refused(refused);
      return refused;
    }
    return e;
  }

  // ------------------------------------------------------------ hub callbacks

  private onMessage(method: string, args: unknown[], ctx: StreamSessionContext): void {
    switch (method.toLowerCase()) {
      case 'onbusinesseventreceived':
        return this.onBusinessEvent(args[0], ctx);
      case 'onconnectiontomessagebusestablished':
        this.o.log.info('event bridge: connection to message bus established');
        if (this.busLost) {
          this.busLost = false;
          if (this.busLostTimer) clearTimeout(this.busLostTimer);
          this.busLostTimer = null;
          ctx.gap('message bus restored');
        }
        return;
      // The C# and Java samples disagree on the name (§5.3): both mean events stop flowing.
      case 'onconnectiontomessagebuslost':
      case 'onconnectionfrommessagebuslost':
        return this.onBusLost(method, ctx);
      case 'onexceptionraised':
        return this.onExceptionRaised(args[0]);
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

  private onBusinessEvent(arg: unknown, ctx: StreamSessionContext): void {
    const ev = typeof arg === 'string' ? safeJson(arg) : arg;
    if (ev && typeof ev === 'object' && !Array.isArray(ev)) {
      ctx.alive();
      this.counters.inc('events');
      this.o.onEvent(ev as Record<string, unknown>);
    } else this.o.log.warn('event bridge: OnBusinessEventReceived without a dictionary; ignored');
  }

  private onBusLost(method: string, ctx: StreamSessionContext): void {
    this.counters.inc('bus_lost');
    this.o.log.warn({ callback: method }, 'event bridge: message bus connection lost; events are not flowing');
    if (this.life.subscribed) this.busLost = true;
    if (this.busLostTimer) return;
    this.busLostTimer = setTimeout(() => {
      this.busLostTimer = null;
      if (this.busLost) ctx.lost(new Error(`message bus still lost after ${this.o.cfg.bus_lost_grace} ms`));
    }, this.o.cfg.bus_lost_grace);
    this.busLostTimer.unref();
  }

  private onExceptionRaised(raw: unknown): void {
    const parsed = typeof raw === 'string' ? safeJson(raw) : raw;
    const rec = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
    const code = typeof rec.ErrorCode === 'string' ? rec.ErrorCode : null;
    const text = typeof raw === 'string' ? raw : JSON.stringify(raw ?? '');
    this.counters.inc('exceptions_raised');
    this.o.log.warn({ error_code: code, message: typeof rec.Message === 'string' ? rec.Message : typeof raw === 'string' ? raw.slice(0, 200) : null }, 'event bridge: OnExceptionRaised');
    if (text.includes(OA_CODES.session)) void this.o.client.reauthenticate(this.lastToken).catch(() => undefined);
  }
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
}

