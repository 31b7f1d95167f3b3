import type { ServerResponse } from 'node:http';

export interface SimSession {
  id: number;
  user: string;
  lastActivity: number;
  /** `<entity type or guid>|<event type>`, lower case. */
  subscriptions: Set<string>;
  streams: Set<ServerResponse>;
}

/**
 * Web SDK sessions: one per user, created by the first authenticated request, dropped after
 * `idleMs` without a request (an open `/events` stream does not count: inference, the
 * pessimistic reading). A dropped session closes its streams and forgets its subscriptions; with
 * `answerExpired`, the next request of that user is answered once with a session error.
 */
export class Sessions {
  private readonly byUser = new Map<string, SimSession>();
  private readonly expired = new Set<string>();
  private next = 1;
  created = 0;
  expiredCount = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    public idleMs: number,
    public answerExpired: boolean,
  ) {
    this.timer = setInterval(() => this.sweep(), Math.max(50, Math.min(1_000, Math.floor(idleMs / 4))));
    this.timer.unref();
  }

  /** The session of a request: `expired` when the caller must be told once that its session is gone. */
  touch(user: string, now = Date.now()): SimSession | 'expired' {
    this.sweep(now);
    if (this.expired.delete(user) && this.answerExpired) return 'expired';
    let s = this.byUser.get(user);
    if (!s) {
      s = { id: this.next++, user, lastActivity: now, subscriptions: new Set(), streams: new Set() };
      this.byUser.set(user, s);
      this.created++;
    }
    s.lastActivity = now;
    return s;
  }

  sweep(now = Date.now()): void {
    for (const s of this.byUser.values()) if (now - s.lastActivity > this.idleMs) this.drop(s);
  }

  /** Drops every session now (as an idle timeout would). */
  expireAll(): void {
    for (const s of [...this.byUser.values()]) this.drop(s);
  }

  private drop(s: SimSession): void {
    this.byUser.delete(s.user);
    this.expired.add(s.user);
    this.expiredCount++;
    for (const r of s.streams) r.destroy();
    s.streams.clear();
  }

  all(): SimSession[] {
    return [...this.byUser.values()];
  }

  close(): void {
    clearInterval(this.timer);
    for (const s of this.byUser.values()) for (const r of s.streams) r.destroy();
  }
}
