import type { EssHub } from './ess-hub';
import type { IdentityProvider, UserState } from './idp';
import type { DeviceTruth, SimDevice, SiteModel } from './model';
import { SiteModel as Model, dotnetTime } from './model';
import type { Faults, LedgerEntry, SimStats } from './state';
import { CHILD_TYPES, T, type DeviceType } from './vocabulary';

export class SimError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface ControlDeps {
  model: SiteModel;
  hub: EssHub;
  idp: IdentityProvider;
  faults: Faults;
  stats: SimStats;
  /** Opens/closes a recording server's probe listener. */
  setRecordingServerReachable: (id: string, reachable: boolean) => Promise<void>;
}

const TYPES: Record<string, DeviceType> = Object.fromEntries(
  (['recordingServers', 'hardware', ...CHILD_TYPES] as DeviceType[]).map((t) => [t.toLowerCase(), t]),
);

/** Resource type from a path segment (`cameras`, `Hardware`, `recording-servers`). */
export function resourceTypeOf(s: string): DeviceType {
  const t = TYPES[s.toLowerCase().replace(/-/g, '')];
  if (!t) throw new SimError(400, `unknown resource type "${s}"; use one of ${Object.values(TYPES).join(', ')}`);
  return t;
}

/**
 * Scenario control: every status change goes through here, emits the events a real gateway
 * would, and is written to the ledger with the status the pipeline should end up reporting.
 */
export class SimControl {
  private readonly entries: LedgerEntry[] = [];
  private ledgerSeq = 0;

  constructor(private readonly d: ControlDeps) {}

  get model(): SiteModel {
    return this.d.model;
  }

  private dev(type: string, id: string): SimDevice {
    const t = resourceTypeOf(type);
    const d = this.d.model.device(t, id);
    if (!d) throw new SimError(404, `no ${t}/${id} in the simulated site`);
    return d;
  }

  private record(d: SimDevice, before: string, ev: { id: string; time: string; type: string; source: string }, cause: string): LedgerEntry {
    const e: LedgerEntry = {
      seq: ++this.ledgerSeq,
      at: new Date().toISOString(),
      event_id: ev.id,
      event_time: ev.time,
      event_type: ev.type,
      source: ev.source,
      resource_type: d.type,
      id: d.id,
      key: `${d.type}:${d.id}`,
      previous_status: before,
      status: this.d.model.expectedStatus(d),
      cause,
    };
    this.entries.push(e);
    return e;
  }

  private setComm(d: SimDevice, state: 'started' | 'error', cause: string): LedgerEntry | null {
    const key = `${d.type}/${d.id}`;
    const cur = this.d.model.comm.get(key);
    if (!cur || cur.state === state || !this.d.model.effectiveEnabled(d)) return null;
    const before = this.d.model.expectedStatus(d);
    const hw = d.type === 'hardware';
    const type = state === 'error' ? (hw ? T.hardwareError : T.deviceError) : hw ? T.hardwareStarted : T.deviceStarted;
    const ev = this.d.hub.emit(key, type, Model.commGroupOf(d.type));
    this.d.model.comm.set(key, { state, time: ev.time });
    return this.record(d, before, ev, cause);
  }

  /**
   * Communication error of a channel or hardware. Hardware takes its enabled channels down with
   * it, each with its own device event (as the recording server reports them).
   */
  commError(type: string, id: string, cause = 'control'): LedgerEntry[] {
    const d = this.dev(type, id);
    if (d.type === 'recordingServers') return this.recordingServerDown(d.id, cause);
    if (!this.d.model.effectiveEnabled(d)) throw new SimError(409, `${d.type}/${d.id} is disabled in configuration`);
    const out: LedgerEntry[] = [];
    const own = this.setComm(d, 'error', cause);
    if (own) out.push(own);
    if (d.type === 'hardware')
      for (const k of this.d.model.childrenOf.get(d.id) ?? []) {
        const c = this.d.model.byKey.get(k)!;
        const e = this.setComm(c, 'error', cause);
        if (e) out.push(e);
      }
    return out;
  }

  /** Communication restored (hardware restores its channels that were in error). */
  commRestored(type: string, id: string, cause = 'control'): LedgerEntry[] {
    const d = this.dev(type, id);
    if (d.type === 'recordingServers') return this.recordingServerUp(d.id, cause);
    if (!this.d.model.effectiveEnabled(d)) throw new SimError(409, `${d.type}/${d.id} is disabled in configuration`);
    const out: LedgerEntry[] = [];
    const own = this.setComm(d, 'started', cause);
    if (own) out.push(own);
    if (d.type === 'hardware')
      for (const k of this.d.model.childrenOf.get(d.id) ?? []) {
        const c = this.d.model.byKey.get(k)!;
        const e = this.setComm(c, 'started', cause);
        if (e) out.push(e);
      }
    return out;
  }

  private setRs(id: string, state: 'responding' | 'notResponding', cause: string): LedgerEntry[] {
    const d = this.dev('recordingServers', id);
    const cur = this.d.model.rsState.get(d.id)!;
    void this.d.setRecordingServerReachable(d.id, state === 'responding');
    if (cur.state === state) return [];
    const before = this.d.model.expectedStatus(d);
    const ev = this.d.hub.emit(`recordingServers/${d.id}`, state === 'responding' ? T.rsResponding : T.rsNotResponding, Model.commGroupOf('recordingServers'));
    this.d.model.rsState.set(d.id, { state, time: ev.time });
    return [this.record(d, before, ev, cause)];
  }

  /** The recording server stops responding: its event and its web port go away. Channels keep their last state. */
  recordingServerDown(id: string, cause = 'control'): LedgerEntry[] {
    return this.setRs(id, 'notResponding', cause);
  }

  recordingServerUp(id: string, cause = 'control'): LedgerEntry[] {
    return this.setRs(id, 'responding', cause);
  }

  /**
   * The recording server restarted (service restart, Windows update): it reports the state of
   * its hardware and channels afresh, so every state row of theirs begins now — statuses are
   * unchanged. A disabled camera's Communication Stopped row then is newer than anything the
   * edge saw before.
   */
  restartRecordingServer(id: string): number {
    const rs = this.dev('recordingServers', id);
    const now = dotnetTime(Date.now(), 0);
    const st = this.d.model.rsState.get(rs.id)!;
    this.d.model.rsState.set(rs.id, { ...st, time: now });
    let n = 0;
    for (const hw of this.d.model.hardware.filter((h) => h.parent?.id === rs.id)) {
      for (const key of [`hardware/${hw.id}`, ...(this.d.model.childrenOf.get(hw.id) ?? [])]) {
        const c = this.d.model.comm.get(key);
        if (!c) continue;
        this.d.model.comm.set(key, { ...c, time: now });
        n++;
      }
    }
    return n;
  }

  /** A configuration change of a hardware (e.g. its driver settings were edited): its `lastModified` moves to now. */
  touchHardware(id: string): string {
    const hw = this.dev('hardware', id);
    hw.obj.lastModified = dotnetTime(Date.now(), 0);
    return String(hw.obj.lastModified);
  }

  /** Error/restored `times` times, `intervalMs` apart; ends restored. */
  async flap(type: string, id: string, o: { times?: number; intervalMs?: number } = {}): Promise<LedgerEntry[]> {
    const out: LedgerEntry[] = [];
    const times = Math.max(1, o.times ?? 3);
    for (let i = 0; i < times; i++) {
      out.push(...this.commError(type, id, 'flap'));
      await sleep(o.intervalMs ?? 100);
      out.push(...this.commRestored(type, id, 'flap'));
      if (i < times - 1) await sleep(o.intervalMs ?? 100);
    }
    return out;
  }

  /** Random communication changes of enabled cameras and hardware (load and chaos helper). */
  async randomChanges(o: { count: number; types?: string[]; intervalMs?: number }): Promise<LedgerEntry[]> {
    const types = (o.types ?? ['cameras', 'hardware']).map(resourceTypeOf).filter((t) => t !== 'recordingServers');
    const pool: SimDevice[] = [];
    for (const t of types) pool.push(...(t === 'hardware' ? this.d.model.hardware : this.d.model.children[t as (typeof CHILD_TYPES)[number]]).filter((x) => this.d.model.effectiveEnabled(x)));
    if (pool.length === 0) throw new SimError(409, 'no enabled devices of those types');
    const out: LedgerEntry[] = [];
    for (let i = 0; i < o.count; i++) {
      const d = pool[Math.floor(this.d.model.rand() * pool.length)];
      const state = this.d.model.comm.get(`${d.type}/${d.id}`)?.state;
      out.push(...(state === 'started' ? this.commError(d.type, d.id, 'random') : this.commRestored(d.type, d.id, 'random')));
      if (o.intervalMs && i < o.count - 1) await sleep(o.intervalMs);
    }
    return out;
  }

  /** Drops every events socket without a close handshake; sessions stay resumable. */
  dropSockets(): number {
    return this.d.hub.dropAll();
  }

  /** The next `count` resume attempts get 201 (new session) instead of 200. */
  refuseResume(count = 1): void {
    this.d.faults.refuseResume = count;
  }

  /** Expires every token issued so far, now or after `afterRequests` more REST requests. */
  expireTokens(o: { afterRequests?: number } = {}): { expired: number } | { pending: number } {
    if (o.afterRequests && o.afterRequests > 0) {
      this.d.faults.expireAfterRequests = o.afterRequests;
      return { pending: o.afterRequests };
    }
    return { expired: this.d.idp.expireAll() };
  }

  /** The next `count` requests (matching scope and path prefix) fail with `status`. */
  failRequests(o: { status: number; count?: number; pathPrefix?: string; scope?: 'rest' | 'token' | 'ws' | 'all' }): void {
    if (![500, 502, 503, 504, 429].includes(o.status)) throw new SimError(400, 'status must be one of 429, 500, 502, 503, 504');
    this.d.faults.rules.push({ status: o.status, remaining: Math.max(1, o.count ?? 1), pathPrefix: o.pathPrefix ?? null, scope: o.scope ?? 'rest' });
  }

  /** The next `count` addSubscription commands fail (500) — the session stays, without that subscription. */
  failAddSubscription(count = 1): void {
    this.d.faults.failAddSubscription = Math.max(0, count);
  }

  /** Strict server: addSubscription refuses resource types outside the documented set. */
  strictSubscriptions(on: boolean): void {
    this.d.faults.strictSubscriptions = on;
  }

  slowGetState(ms: number): void {
    this.d.faults.slowGetStateMs = Math.max(0, ms);
  }

  setUserState(username: string, state: UserState): void {
    this.d.idp.setUserState(username, state);
  }

  setTokenLifetime(sec: number): void {
    this.d.idp.setLifetime(Math.max(1, sec));
  }

  setResumeWindow(ms: number): void {
    this.d.hub.setResumeWindow(ms);
  }

  /** Every device with the truth its canonical device should carry. */
  devices(): DeviceTruth[] {
    const out: DeviceTruth[] = [];
    for (const d of this.d.model.allDevices()) out.push(this.d.model.truth(d));
    return out;
  }

  device(type: string, id: string): DeviceTruth {
    return this.d.model.truth(this.dev(type, id));
  }

  /** Status changes produced so far, in order (optionally after `since`). */
  ledger(since = 0): LedgerEntry[] {
    return since > 0 ? this.entries.filter((e) => e.seq > since) : [...this.entries];
  }

  stats(): Record<string, unknown> {
    return {
      ...this.d.stats.snapshot(),
      devices: this.d.model.deviceCount,
      ws_connections: this.d.hub.connectionCount,
      ws_sessions: this.d.hub.sessionCount,
      faults: { rules: this.d.faults.rules, refuse_resume: this.d.faults.refuseResume, fail_add_subscription: this.d.faults.failAddSubscription, strict_subscriptions: this.d.faults.strictSubscriptions, slow_get_state_ms: this.d.faults.slowGetStateMs, expire_after_requests: this.d.faults.expireAfterRequests },
    };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
