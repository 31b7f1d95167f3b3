import type { Logger } from 'pino';
import { describeError, errorKind, retryable, Counters, type BackoffPolicy } from '@edge/platform';
import { EventStreamLifecycle, type EventSource, type StreamSession, type StreamSessionContext } from '@edge/collector-kit';
import type { IdpAuth } from '../client/idp-auth';
import type { TlsOptions } from '../client/tls';
import { ZERO_GUID } from '../constants';
import { EssEvent } from '../raw-schema';
import { EssConnection, replyError, type CommandReply } from './ess-connection';
import type { SubscriptionGroup } from './filters';
import { subscribeGroups, type RefusedGroups } from './subscribe';

export type StreamState = 'idle' | 'connecting' | 'subscribed' | 'reconnecting' | 'auth_failed' | 'stopped';

export interface EventStreamOptions {
  wsUrl: string;
  tls: TlsOptions;
  auth: IdpAuth;
  log: Logger;
  /** One addSubscription per group; read at every (re)subscription. */
  subscriptions: () => SubscriptionGroup[];
  /** Reconnect within this window resumes the session (the gateway keeps it 30 s, §5.4). */
  resumeWindowMs: number;
  commandTimeoutMs: number;
  /** getState reply timeout; a function when it scales with the site (minutes to first byte on large sites). */
  getStateTimeoutMs: number | (() => number);
  maxPayloadBytes: number;
  pingIntervalMs: number;
  handshakeTimeoutMs: number;
  reconnect: BackoffPolicy;
  /** Pushed events, in arrival order (synchronous: queue work, don't block). */
  onEvents: (events: EssEvent[]) => void;
  /** A getState baseline taken after a new session. */
  onBaseline: (rows: EssEvent[], reason: string) => Promise<void>;
  /** The stream lost events it cannot replay (baseline failed): ask for a status poll. */
  onGap: (reason: string) => void;
  /** Connection state changes: `down` when the socket is gone, `resumed` after a 200 resume. */
  onLink?: (link: 'down' | 'resumed') => void;
}

/** Validated rows of a getState reply; rows that don't parse are counted and skipped. */
export function parseStates(r: CommandReply, counters?: Counters): EssEvent[] {
  const out: EssEvent[] = [];
  for (const row of r.states ?? []) {
    const p = EssEvent.safeParse(row);
    if (p.success) out.push(p.data);
    else counters?.inc('bad_state_rows');
  }
  return out;
}

/**
 * The long-lived Events and State session of one gateway: connect with a bearer header,
 * `startSession`, `addSubscription`, `getState` baseline; pushed events to `onEvents` with the
 * last event id kept. On a drop it reconnects (fresh token) and, within the resume window,
 * resumes with `sessionId` + last event id: 200 = resumed, missed events are replayed;
 * 201 = new session → re-subscribe and re-baseline. Branches on status, never on intent (§5.4).
 * Reconnect, backoff and "baseline failed → status poll" are the collector kit's event-stream lifecycle.
 */
export class EventStream implements EventSource {
  readonly counters = new Counters();
  private readonly life: EventStreamLifecycle;
  private conn: EssConnection | null = null;
  private sessionId: string | null = null;
  private lastEventId: string | null = null;
  private disconnectedAt: number | null = null;
  private stopped = false;
  private stateInflight: Promise<EssEvent[]> | null = null;
  private forceNewSession = false;
  /** Optional groups the server refused on the current session (their devices are polled). */
  private refused: RefusedGroups = new Map();
  /** A getState outstanding since then (a large site takes minutes to answer). */
  private stateSince: { at: number; timeoutMs: number } | null = null;
  private readonly loggedRefusals = new Set<string>();

  constructor(private readonly o: EventStreamOptions) {
    this.life = new EventStreamLifecycle({
      name: 'events socket',
      source: this,
      reconnect: o.reconnect,
      // First retry after a drop is quick (the official samples wait 1–2 s) so the session can resume.
      retryAfterDropMs: Math.min(1_000, o.reconnect.baseMs),
      requestReconcile: (reason) => o.onGap(reason),
      log: o.log,
      counters: this.counters,
    });
  }

  start(): void {
    this.life.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.life.stop();
  }

  state(): {
    events: StreamState;
    session_id: string | null;
    last_event_id: string | null;
    connected_since: string | null;
    last_error: string | null;
    subscriptions_refused: Record<string, string>;
    get_state_in_progress: { since: string; timeout_ms: number } | null;
    counters: Record<string, number>;
  } {
    const s = this.life.snapshot();
    return {
      events: this.stopped ? 'stopped' : s.state === 'reconnecting' && this.life.failureKind === 'auth' ? 'auth_failed' : s.state === 'blocked' ? 'reconnecting' : s.state,
      session_id: this.sessionId,
      last_event_id: this.lastEventId,
      connected_since: s.connected_at,
      last_error: s.last_error,
      subscriptions_refused: Object.fromEntries(this.refused),
      get_state_in_progress: this.stateSince ? { since: new Date(this.stateSince.at).toISOString(), timeout_ms: this.stateSince.timeoutMs } : null,
      counters: this.counters.snapshot(),
    };
  }

  get subscribed(): boolean {
    return this.life.subscribed && this.conn !== null && this.conn.isOpen;
  }

  /** Resolves when subscribed (or after `timeoutMs`, returning false). */
  waitSubscribed(timeoutMs: number): Promise<boolean> {
    return this.life.waitSubscribed(timeoutMs);
  }

  /** Groups the server refused on the current session. */
  refusedGroups(): ReadonlySet<string> {
    return new Set(this.refused.keys());
  }

  /** Drop the socket and start over with a new session (e.g. after the subscription changed). */
  resubscribe(reason: string): void {
    this.o.log.info({ reason }, 'events: renewing the session');
    this.forceNewSession = true;
    this.conn?.close(1000, reason);
  }

  /** getState on the live session (single flight). Throws retryable when not subscribed. */
  getState(): Promise<EssEvent[]> {
    const conn = this.conn;
    if (!conn || !this.subscribed) return Promise.reject(retryable('ws_not_subscribed', 'events socket is not subscribed'));
    const timeoutMs = timeoutOf(this.o.getStateTimeoutMs);
    if (!this.stateInflight) this.stateSince = { at: Date.now(), timeoutMs };
    this.stateInflight ??= conn
      .command('getState', {}, timeoutMs)
      .then((r) => {
        if (r.status < 200 || r.status >= 300) throw replyError('getState', r);
        this.counters.inc('get_state');
        return parseStates(r, this.counters);
      })
      .finally(() => {
        this.stateInflight = null;
        this.stateSince = null;
      });
    return this.stateInflight;
  }

  // ------------------------------------------------------------ EventSource (the kit calls these)

  async open(ctx: StreamSessionContext): Promise<StreamSession> {
    const conn = await this.connect(ctx.signal);
    this.conn = conn;
    const abort = () => conn.close(1000, 'collector stopping');
    ctx.signal.addEventListener('abort', abort, { once: true });
    conn.onEvents = (events) => {
      ctx.alive();
      this.handleEvents(events);
    };
    void conn.closed.then((info) => ctx.lost(new Error(`socket closed (${info.code}${info.reason ? `: ${info.reason}` : ''})`)));
    const close = async (stopping: boolean) => {
      ctx.signal.removeEventListener('abort', abort);
      if (stopping) conn.close(1000, 'collector stopping');
      else conn.terminate();
    };
    try {
      const { resumed, reason } = await this.establish(conn);
      return { resumed, catchUp: resumed ? undefined : () => this.baseline(reason), close };
    } catch (e) {
      await close(false);
      throw e;
    }
  }

  failed(e: unknown): boolean {
    // A socket that closed after a session was up is the normal way a drop shows; not worth a warning.
    return e instanceof Error && e.message.startsWith('socket closed (');
  }

  ended(): void {
    const hadSession = this.conn !== null && this.sessionId !== null;
    this.conn = null;
    this.o.onLink?.('down');
    if (!this.stopped && hadSession && this.disconnectedAt === null) this.disconnectedAt = Date.now();
  }

  // ------------------------------------------------------------ session

  /** Connects with a token that is valid for a while yet; on a 401 the token is renewed once. */
  private async connect(signal: AbortSignal): Promise<EssConnection> {
    const connect = (token: string) =>
      EssConnection.open({
        url: this.o.wsUrl,
        token,
        tls: this.o.tls,
        maxPayloadBytes: this.o.maxPayloadBytes,
        handshakeTimeoutMs: this.o.handshakeTimeoutMs,
        pingIntervalMs: this.o.pingIntervalMs,
        log: this.o.log,
      });
    const token = await this.o.auth.getToken(signal);
    try {
      return await connect(token);
    } catch (e) {
      if (errorKind(e) !== 'auth') throw e;
      this.o.auth.invalidate(token);
      return connect(await this.o.auth.getToken(signal));
    }
  }

  /** startSession: resumed (200 on the kept session), or a new session subscribed (its baseline follows). */
  private async establish(conn: EssConnection): Promise<{ resumed: boolean; reason: string }> {
    const canResume =
      !this.forceNewSession && this.sessionId !== null && this.disconnectedAt !== null && Date.now() - this.disconnectedAt < this.o.resumeWindowMs;
    const reply = await conn.command(
      'startSession',
      { sessionId: canResume ? this.sessionId : '', eventId: canResume ? (this.lastEventId ?? '') : '' },
      this.o.commandTimeoutMs,
    );
    // 200 is the resume; a 200 naming another session (the JS sample's check) is a new one.
    if (reply.status === 200 && canResume && (reply.sessionId === undefined || reply.sessionId === this.sessionId)) {
      this.counters.inc('sessions_resumed');
      this.o.log.info({ session_id: this.sessionId, last_event_id: this.lastEventId }, 'events session resumed; missed events are replayed');
      this.disconnectedAt = null;
      this.o.onLink?.('resumed');
      return { resumed: true, reason: 'resumed' };
    }
    if (reply.status !== 200 && reply.status !== 201) throw replyError('startSession', reply);
    const first = this.sessionId === null && this.counters.get('sessions_new') === 0;
    // A session is kept (and later resumed) only once its subscriptions are in place: a session
    // whose addSubscription failed would resume with 200 and deliver nothing, ever.
    this.sessionId = null;
    this.lastEventId = null;
    this.forceNewSession = false;
    this.refused = await subscribeGroups(conn, this.o.subscriptions(), this.o.commandTimeoutMs, this.o.log, this.loggedRefusals);
    this.sessionId = reply.sessionId ?? null;
    this.disconnectedAt = null;
    this.counters.inc('sessions_new');
    const reason = first ? 'initial baseline' : canResume ? 'resume refused: new session' : 'new session after reconnect';
    if (!first) this.o.log.info({ session_id: this.sessionId, reason }, 'events: new session; re-subscribed, re-baselining');
    return { resumed: false, reason };
  }

  /** The new session's catch-up: a getState baseline. Failing, the kit asks for a status poll. */
  private async baseline(reason: string): Promise<void> {
    try {
      // No local holds the parsed rows while the baseline's publish waits (for the first inventory).
      await this.o.onBaseline(await this.getState(), reason);
      this.counters.inc('baselines');
    } catch (e) {
      // The socket stays: events flow; the repair poll fills in what the baseline missed.
      this.counters.inc('baselines_failed');
      this.o.log.warn({ err: describeError(e), reason }, 'events: getState baseline failed; asking for a status poll');
      throw new Error(`baseline failed: ${describeError(e)}`);
    }
  }

  private handleEvents(raw: unknown[]): void {
    const events: EssEvent[] = [];
    for (const r of raw) {
      const p = EssEvent.safeParse(r);
      if (p.success) events.push(p.data);
      else this.counters.inc('bad_events');
    }
    for (let i = events.length - 1; i >= 0; i--) {
      if (events[i].id !== ZERO_GUID) {
        this.lastEventId = events[i].id;
        break;
      }
    }
    this.counters.inc('events_received', events.length);
    if (events.length) this.o.onEvents(events);
  }
}

/**
 * A getState outside the long-lived session (used by the repair poll while the stream is down):
 * connect, new session, subscribe, getState, close.
 */
export async function oneShotState(o: Omit<EventStreamOptions, 'onEvents' | 'onBaseline' | 'onGap' | 'resumeWindowMs' | 'reconnect'>): Promise<EssEvent[]> {
  const token = await o.auth.getToken();
  const conn = await EssConnection.open({
    url: o.wsUrl,
    token,
    tls: o.tls,
    maxPayloadBytes: o.maxPayloadBytes,
    handshakeTimeoutMs: o.handshakeTimeoutMs,
    pingIntervalMs: o.pingIntervalMs,
    log: o.log,
  }).catch((e: unknown) => {
    if (errorKind(e) === 'auth') o.auth.invalidate(token);
    throw e;
  });
  try {
    const s = await conn.command('startSession', { sessionId: '', eventId: '' }, o.commandTimeoutMs);
    if (s.status !== 200 && s.status !== 201) throw replyError('startSession', s);
    await subscribeGroups(conn, o.subscriptions(), o.commandTimeoutMs, o.log, new Set());
    const r = await conn.command('getState', {}, timeoutOf(o.getStateTimeoutMs));
    if (r.status < 200 || r.status >= 300) throw replyError('getState', r);
    return parseStates(r);
  } finally {
    conn.close(1000, 'one-shot state done');
  }
}

function timeoutOf(t: number | (() => number)): number {
  return typeof t === 'function' ? t() : t;
}
