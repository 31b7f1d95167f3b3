import type { Logger } from 'pino';
import { backoffDelay, Counters, describeError, errorKind, type BackoffPolicy, type ErrorKind } from '@edge/platform';

export type EventStreamState = 'idle' | 'connecting' | 'subscribed' | 'reconnecting' | 'blocked' | 'stopped';

/** What the lifecycle hands a vendor while it opens and holds one session. */
export interface StreamSessionContext {
  /** A session was established before this one (this open is a reconnect). */
  readonly reconnect: boolean;
  /** Aborted when the stream stops: abandon a connect in progress. */
  readonly signal: AbortSignal;
  /** The connection is gone (closed, failed, bus lost): the lifecycle closes it and reconnects. */
  lost(reason: Error): void;
  /** A sign of life (an event, a pong): resets silence detection. */
  alive(): void;
  /** Events were missed while the connection stayed up (e.g. the vendor's bus came back): reconcile. */
  gap(reason: string): void;
}

/** One connected, subscribed session of a vendor event stream. */
export interface StreamSession {
  /** The vendor resumed the session and replays what was missed: no reconcile for this gap. */
  readonly resumed?: boolean;
  /**
   * The vendor's own catch-up after a gap (e.g. a state baseline on the new session). Absent: the
   * runner's status poll reconciles. Throwing: the runner's status poll reconciles (reason: the error).
   */
  catchUp?(): Promise<void>;
  /** Keep-alive sent every `keepAliveMs` (e.g. a hub heartbeat); throwing means the connection is lost. */
  keepAlive?(): Promise<void>;
  /** Closes the connection; `stopping`: the collector stops (a chance to unsubscribe cleanly). Never throws. */
  close(stopping: boolean): Promise<void>;
}

/** The vendor-specific part of an event stream: how to connect and subscribe. */
export interface EventSource {
  /** Connects and subscribes; resolves once events flow. Throws (with an error kind) when it cannot. */
  open(ctx: StreamSessionContext): Promise<StreamSession>;
  /** ms the vendor must not be asked yet (a licence or credential refusal pause); 0 = go. */
  blockedForMs?(): number;
  /** About to connect: events from now until subscribed are a gap. */
  connecting?(): void;
  /** An open or a session failed; return true when the vendor logged it itself. */
  failed?(e: unknown, established: boolean): boolean;
  /** An attempt ended (established or not), after its session was closed. */
  ended?(established: boolean): void;
}

export interface EventStreamOptions {
  /** Used in logs and reconcile reasons ("<name> connected", "<name> reconnected"). */
  name: string;
  source: EventSource;
  /** `retryPolicy('eventStreamReconnect', …)`: the platform's one reconnect policy. */
  reconnect: BackoffPolicy;
  /** Wait after an established session dropped (a quick first retry lets a vendor resume); default: the backoff. */
  retryAfterDropMs?: number;
  /** Period of `session.keepAlive()`; 0/absent: none. */
  keepAliveMs?: number;
  /** No sign of life (`ctx.alive()`, a keep-alive) for this long = lost; 0/absent: off. */
  silenceMs?: number;
  /** A gap shorter than this needs no reconcile (0: every gap reconciles). The first connect always does. */
  reconcileAfterGapMs?: number;
  /** The runner's debounced reconcile (`CollectorHooks.requestReconcile`). */
  requestReconcile(reason: string): void;
  log: Logger;
  /** Where to count connects, reconnects, disconnects, failures, keep-alives (the vendor's counters). */
  counters?: Counters;
  /** Clock for gap lengths (tests). */
  now?: () => number;
}

const FOREVER = 24 * 3_600_000;

/**
 * The event-stream lifecycle every collector shares: connect and subscribe (the vendor's
 * `EventSource`), hold the session with keep-alives and silence detection, reconnect with the
 * platform's reconnect policy, and after every gap longer than the threshold let the vendor catch
 * up or ask the runner to reconcile (ARCHITECTURE §7: "a vendor event stream can drop silently").
 */
export class EventStreamLifecycle {
  readonly counters: Counters;
  private st: EventStreamState = 'idle';
  private stopped = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private lostReason: Error | null = null;
  private readonly abort = new AbortController();
  private everConnected = false;
  private connectedAt: number | null = null;
  private lostAt: number | null = null;
  private lastAlive = 0;
  private lastError: string | null = null;
  private lastErrorKind: ErrorKind | null = null;
  private waiters: Array<() => void> = [];
  private epoch = 0;

  private readonly now: () => number;

  constructor(private readonly o: EventStreamOptions) {
    this.counters = o.counters ?? new Counters();
    this.now = o.now ?? Date.now;
  }

  get state(): EventStreamState {
    return this.st;
  }

  get subscribed(): boolean {
    return this.st === 'subscribed';
  }

  /** Kind of the error that ended the last attempt (null once an attempt is under way again). */
  get failureKind(): ErrorKind | null {
    return this.lastErrorKind;
  }

  snapshot(): { state: EventStreamState; connected_at: string | null; last_error: string | null } {
    return { state: this.st, connected_at: this.connectedAt ? new Date(this.connectedAt).toISOString() : null, last_error: this.lastError };
  }

  start(): void {
    if (this.loop || this.stopped) return;
    this.loop = this.run();
  }

  /** Ends the session (if any) and the loop; `close(true)` lets the vendor unsubscribe. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.wake?.();
    await this.loop?.catch(() => undefined);
    this.st = 'stopped';
  }

  /** Drops the current session and connects again (e.g. the subscription changed). */
  restart(reason: string): void {
    this.lostReason = new Error(reason);
    this.wake?.();
  }

  /** Resolves true once subscribed, false after `timeoutMs`. */
  waitSubscribed(timeoutMs: number): Promise<boolean> {
    if (this.subscribed) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.waiters.push(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      const blocked = this.o.source.blockedForMs?.() ?? 0;
      if (blocked > 0) {
        this.st = 'blocked';
        await this.pause(blocked + 100);
        continue;
      }
      this.st = this.everConnected ? 'reconnecting' : 'connecting';
      const established = await this.attempt();
      if (this.stopped) break;
      this.st = 'reconnecting';
      this.counters.inc('disconnects');
      if (established) attempt = 0;
      const delay = established && this.o.retryAfterDropMs !== undefined ? this.o.retryAfterDropMs : backoffDelay(attempt++, this.o.reconnect);
      await this.pause(delay);
    }
    this.st = 'stopped';
  }

  /** One connect → hold → close; true when a session was established. */
  private async attempt(): Promise<boolean> {
    this.lostReason = null;
    this.lastErrorKind = null;
    let session: StreamSession | null = null;
    let established = false;
    this.o.source.connecting?.();
    try {
      session = await this.o.source.open(this.context(++this.epoch));
      if (this.stopped) return false;
      established = true;
      this.subscribedNow();
      await this.recoverGap(session);
      await this.hold(session);
    } catch (e) {
      this.failedWith(e, established);
    } finally {
      this.epoch++;
      await session?.close(this.stopped).catch(() => undefined);
      this.lostReason = null;
      if (established) this.lostAt = this.now();
      this.connectedAt = null;
      this.o.source.ended?.(established);
    }
    return established;
  }

  private context(epoch: number): StreamSessionContext {
    return {
      reconnect: this.everConnected,
      signal: this.abort.signal,
      lost: (reason) => {
        // A late close of an earlier attempt's connection does not end this one.
        if (epoch !== this.epoch) return;
        this.lostReason ??= reason;
        this.wake?.();
      },
      alive: () => {
        this.lastAlive = Date.now();
      },
      gap: (reason) => this.o.requestReconcile(reason),
    };
  }

  private subscribedNow(): void {
    this.st = 'subscribed';
    this.connectedAt = Date.now();
    this.lastAlive = this.connectedAt;
    this.lastError = null;
    this.counters.inc(this.everConnected ? 'reconnects' : 'connects');
    for (const w of this.waiters.splice(0)) w();
  }

  /** After the first connect and every gap above the threshold: the vendor catches up, or the runner reconciles. */
  private async recoverGap(session: StreamSession): Promise<void> {
    const first = !this.everConnected;
    const reason = `${this.o.name} ${first ? 'connected' : 'reconnected'}`;
    const gapMs = this.lostAt === null ? 0 : this.now() - this.lostAt;
    this.everConnected = true;
    this.lostAt = null;
    if (session.resumed) return;
    if (!first && gapMs < (this.o.reconcileAfterGapMs ?? 0)) {
      this.counters.inc('gaps_below_threshold');
      return;
    }
    if (!session.catchUp) return this.o.requestReconcile(reason);
    try {
      await session.catchUp();
    } catch (e) {
      this.o.requestReconcile(describeError(e));
    }
  }

  /** Keep-alives and silence detection until the session is lost or the stream stops. */
  private async hold(session: StreamSession): Promise<void> {
    const every = this.o.keepAliveMs && session.keepAlive ? this.o.keepAliveMs : 0;
    const silence = this.o.silenceMs ?? 0;
    for (;;) {
      if (this.lostReason) throw this.lostReason;
      const untilSilent = silence > 0 ? Math.max(0, this.lastAlive + silence - Date.now()) : FOREVER;
      const slept = Date.now();
      await this.pause(Math.min(every || FOREVER, untilSilent));
      if (this.stopped) return;
      if (this.lostReason) throw this.lostReason;
      if (silence > 0 && Date.now() - this.lastAlive >= silence) {
        this.counters.inc('silences');
        throw new Error(`${this.o.name}: no sign of life for ${silence} ms`);
      }
      if (every > 0 && Date.now() - slept >= every) {
        await session.keepAlive!();
        this.lastAlive = Date.now();
        this.counters.inc('keepalives');
      }
    }
  }

  private failedWith(e: unknown, established: boolean): void {
    const previous = this.lastError;
    this.lastError = describeError(e);
    this.lastErrorKind = errorKind(e);
    this.counters.inc('failures');
    if (this.stopped || this.o.source.failed?.(e, established)) return;
    // The same failure again (e.g. a remembered credentials refusal) is not worth a warning each time.
    const level = established ? 'info' : this.lastError === previous ? 'debug' : 'warn';
    this.o.log[level]({ err: this.lastError, kind: this.lastErrorKind }, established ? `${this.o.name}: connection lost` : `${this.o.name}: could not connect`);
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        if (this.wake === done) this.wake = null;
        resolve();
      };
      const t = setTimeout(done, this.stopped || this.lostReason ? 0 : Math.max(0, ms));
      this.wake = done;
    });
  }
}
