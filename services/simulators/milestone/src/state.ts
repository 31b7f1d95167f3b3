import type { SiteModel } from './model';

/** Counters the tests and the README's `/_sim/stats` read. */
export class SimStats {
  requests: Record<string, number> = {};
  driverSettingsInFlight = 0;
  driverSettingsMaxInFlight = 0;
  tokenRequests = 0;
  tokenRefusals = 0;
  windowsTokens = 0;
  restUnauthorized = 0;
  wsUpgrades = 0;
  wsUpgradesRejected = 0;
  sessionsCreated = 0;
  sessionsResumed = 0;
  resumesRefused = 0;
  malformedClosed = 0;
  getStateCalls = 0;
  subscriptionsFailed = 0;
  subscriptionsRefused = 0;
  eventsEmitted = 0;
  count(key: string): void {
    this.requests[key] = (this.requests[key] ?? 0) + 1;
  }
  snapshot(): Record<string, unknown> {
    return { ...(this as unknown as Record<string, unknown>), requests: { ...this.requests } };
  }
}

export interface FailureRule {
  status: number;
  remaining: number;
  pathPrefix: string | null;
  scope: 'rest' | 'token' | 'ws' | 'all';
}

/** Fault injection switches (set through the control API). */
export class Faults {
  rules: FailureRule[] = [];
  /** Expire every issued token once this many more REST requests have been served. */
  expireAfterRequests: number | null = null;
  slowGetStateMs = 0;
  refuseResume = 0;
  /** The next this many addSubscription commands fail with 500. */
  failAddSubscription = 0;
  /** addSubscription refuses (400) resource types outside the documented set. */
  strictSubscriptions = false;

  /** A failure to serve instead of the real answer, if a rule matches. */
  take(scope: 'rest' | 'token' | 'ws', path: string): FailureRule | null {
    for (const r of this.rules) {
      if (r.remaining <= 0) continue;
      if (r.scope !== 'all' && r.scope !== scope) continue;
      if (r.pathPrefix && !path.toLowerCase().startsWith(r.pathPrefix.toLowerCase())) continue;
      r.remaining--;
      this.rules = this.rules.filter((x) => x.remaining > 0);
      return r;
    }
    return null;
  }
}

/** One status change the simulator produced (what an end-to-end run must end up reporting). */
export interface LedgerEntry {
  seq: number;
  at: string;
  event_id: string;
  event_time: string;
  event_type: string;
  source: string;
  resource_type: string;
  id: string;
  key: string;
  previous_status: string;
  status: string;
  cause: string;
}

export interface SimContext {
  model: SiteModel;
  stats: SimStats;
  faults: Faults;
}
