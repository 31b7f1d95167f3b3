import type { ServerResponse } from 'node:http';
import { sendJson, type Req } from './http-util';
import type { SignalRHub } from './signalr-hub';
import { TYPE_DEFS, VIDEO_RECORDER, type SimDevice } from './site';
import { EVENT_SPELLINGS, type DeviceTruth, type LedgerEntry, type SimState } from './state';

/** Fault injection on the OpenAccess and bridge paths (never on `/_sim`). */
export interface Faults {
  failNext: number;
  failStatus: number;
  failPath: RegExp | null;
  slowMs: number;
  /** Requests still to slow down (null = every request while slowMs > 0). */
  slowCount: number | null;
  resetNext: number;
  empty401: boolean;
}

export const noFaults = (): Faults => ({ failNext: 0, failStatus: 503, failPath: null, slowMs: 0, slowCount: null, resetNext: 0, empty401: false });

const TYPE_OF_TOKEN: Record<string, string> = Object.fromEntries(Object.values(TYPE_DEFS).map((d) => [d.token, d.type_name]));

export class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Scenario control, in process and over HTTP under `/_sim/` (see README). Device keys are the
 * canonical keys of the truth: `panel:3`, `reader:3-1`, `alarmpanel:3-65`, `recorder:50`.
 */
export class SimControl {
  constructor(
    private readonly st: SimState,
    private readonly hub: SignalRHub,
    readonly faults: Faults,
  ) {}

  private resolve(ckey: string): SimDevice {
    const i = ckey.indexOf(':');
    const type = TYPE_OF_TOKEN[ckey.slice(0, i)];
    const d = type ? this.st.get(type, ckey.slice(i + 1)) : undefined;
    if (!d) throw new ControlError(404, `no device "${ckey}"`);
    return d;
  }

  devices(type?: string): DeviceTruth[] {
    const all = this.st.allTruth();
    return type ? all.filter((d) => d.canonical_key.startsWith(`${type}:`)) : all;
  }

  ledger(since = 0): LedgerEntry[] {
    return this.st.ledger.filter((e) => e.seq > since);
  }

  stats(): Record<string, number> {
    return { ...this.st.stats, sessions_active: this.st.sessions.size, bridge_connections: this.hub.connectionCount(), subscriptions_live: this.st.liveSubscriptions() };
  }

  /** Link up/down (bit 0x1); emits Communications Lost/Restored. */
  setOnline(ckey: string, online: boolean, emitEvent = true): LedgerEntry[] {
    const d = this.resolve(ckey);
    if (d.status === null) throw new ControlError(400, `${ckey} has no hardware status`);
    const binary = d.type === 'Lnl_IntrusionArea' || d.type === 'Lnl_IntrusionZone';
    if (binary) return this.st.change(d, online ? { setBits: 1, emitEvent } : { clearBits: 0xffffffff, emitEvent });
    return this.st.change(d, online ? { setBits: 1, emitEvent } : { clearBits: 1, emitEvent });
  }

  setBits(ckey: string, set: number, clear: number, emitEvent = true): LedgerEntry[] {
    const d = this.resolve(ckey);
    if (d.status === null) throw new ControlError(400, `${ckey} has no hardware status`);
    return this.st.change(d, { setBits: set, clearBits: clear, emitEvent });
  }

  /** The enable flag (`IsOnline` of a panel, `is_online` of a recorder): a configuration change, no event. */
  setEnabled(ckey: string, enabled: boolean): LedgerEntry[] {
    if (ckey.startsWith('recorder:')) {
      const id = ckey.slice('recorder:'.length);
      if (!this.st.recorders.has(id)) throw new ControlError(404, `no device "${ckey}"`);
      return this.st.setRecorderEnabled(id, enabled);
    }
    const d = this.resolve(ckey);
    if (d.type !== 'Lnl_Panel') throw new ControlError(400, 'only panels and recorders have an enable flag');
    return this.st.change(d, { enabled, emitEvent: false });
  }

  rename(ckey: string, name: string): void {
    if (ckey.startsWith('recorder:')) {
      const r = this.st.recorders.get(ckey.slice('recorder:'.length));
      if (!r) throw new ControlError(404, `no device "${ckey}"`);
      r.name = name;
      return;
    }
    this.st.change(this.resolve(ckey), { name, emitEvent: false });
  }

  async flap(ckey: string, times: number, intervalMs: number): Promise<LedgerEntry[]> {
    const out: LedgerEntry[] = [];
    for (let i = 0; i < times; i++) {
      const d = this.resolve(ckey);
      const up = d.type === 'Lnl_IntrusionArea' || d.type === 'Lnl_IntrusionZone' ? d.status !== 0 : ((d.status ?? 0) & 1) !== 0;
      out.push(...this.setOnline(ckey, !up));
      if (i < times - 1) await sleep(intervalMs);
    }
    return out;
  }

  async randomChanges(count: number, opts: { types?: string[]; intervalMs?: number } = {}): Promise<LedgerEntry[]> {
    const types = opts.types?.map((t) => TYPE_OF_TOKEN[t] ?? t);
    if (!opts.intervalMs) return this.st.randomChanges(count, types);
    const out: LedgerEntry[] = [];
    for (let i = 0; i < count; i++) {
      out.push(...this.st.randomChanges(1, types));
      if (i < count - 1) await sleep(opts.intervalMs);
    }
    return out;
  }

  addReaders(panelId: string, count: number): DeviceTruth[] {
    if (!this.st.get('Lnl_Panel', panelId)) throw new ControlError(404, `no panel ${panelId}`);
    return this.st.addReaders(panelId, count).map((d) => this.st.truth(d));
  }

  remove(ckey: string): void {
    const d = this.resolve(ckey);
    this.st.remove(d.type, d.key);
  }

  expireSessions(afterRequests?: number): { expired: number; scheduled: number | null } {
    if (afterRequests && afterRequests > 0) {
      this.st.expireAfterRequests = afterRequests;
      return { expired: 0, scheduled: afterRequests };
    }
    return { expired: this.st.expireSessions(), scheduled: null };
  }

  invalidateSessions(): { invalidated: number } {
    return { invalidated: this.st.invalidateSessions() };
  }

  setLicensed(licensed: boolean): void {
    this.st.licensed = licensed;
  }

  setPassword(user: string, password: string): void {
    const u = this.st.o.users.find((x) => x.user_name.toLowerCase() === user.toLowerCase());
    if (!u) throw new ControlError(404, `no user ${user}`);
    u.password = password;
  }

  unlockAccounts(): void {
    this.st.locked.clear();
    this.st.failedLogins.clear();
  }

  dropBridge(mode: 'close' | 'bus-lost' | 'silent' = 'close', downMs = 0): { connections: number } {
    return this.hub.drop(mode, downMs);
  }

  restoreBridge(): void {
    this.hub.restore();
  }

  failHubInvocations(code: string, count = 1): void {
    this.hub.failInvocations(code, count);
  }

  raiseBridgeException(message: string, errorCode: string): void {
    this.hub.raiseException(message, errorCode);
  }

  fail(status: number, count: number, path?: string): void {
    this.faults.failStatus = status;
    this.faults.failNext = count;
    this.faults.failPath = path ? new RegExp(path) : null;
  }

  slow(ms: number, count?: number): void {
    this.faults.slowMs = ms;
    this.faults.slowCount = count ?? null;
  }

  resetConnections(count: number): void {
    this.faults.resetNext = count;
  }

  setEmpty401(on: boolean): void {
    this.faults.empty401 = on;
  }

  clearFaults(): void {
    Object.assign(this.faults, noFaults());
    this.st.typeFaults.clear();
  }

  /** Calls about one type fail with `status` (403: outside the account's segment; 500: its service is down). */
  failType(type: string, status: number, o: { count?: number; on?: 'type' | 'instances' | 'both' } = {}): void {
    this.st.typeFaults.set(type, { status, remaining: o.count ?? null, on: o.on ?? 'instances' });
  }

  /** Key spelling of hardware events from now on (`snake`, `pascal`, `dataconduit`, `reader`, `unknown`). */
  setEventSpelling(name: string): void {
    const keys = EVENT_SPELLINGS[name];
    if (!keys) throw new ControlError(400, `no event spelling "${name}" (${Object.keys(EVENT_SPELLINGS).join(', ')})`);
    this.st.o.event.keys = { ...keys };
  }

  /** An event of an unknown kind about a panel (a text no rule knows, or another business-event class). */
  emitUnknownKind(panelKey: string, description = 'Unclassified Hardware Event', eventClass?: string): void {
    if (!this.st.get('Lnl_Panel', panelKey)) throw new ControlError(404, `no panel ${panelKey}`);
    this.st.emitOther(panelKey, description, eventClass);
  }

  /** Server switches that real installs differ in (see SimOptions). */
  configure(o: Partial<Pick<SimState['o'], 'orderBy' | 'typeListsMethods' | 'methodSpelling' | 'maxSubscriptions'>> & { hubErrorData?: 'code' | 'wrapped' }): void {
    const { hubErrorData, ...rest } = o;
    Object.assign(this.st.o, rest);
    if (hubErrorData) this.st.o.bridge.errorData = hubErrorData;
  }

  /** HTTP form of the control API. */
  async http(req: Req, res: ServerResponse): Promise<void> {
    const b = req.body;
    const p = req.path.replace(/^\/_sim/, '');
    const num = (v: unknown, d: number) => (typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : d);
    try {
      let m: RegExpExecArray | null;
      if (req.method === 'GET' && p === '/devices') return sendJson(res, 200, { devices: this.devices(req.query.get('type') ?? undefined) });
      if (req.method === 'GET' && p === '/ledger') return sendJson(res, 200, { entries: this.ledger(Number(req.query.get('since') ?? 0)) });
      if (req.method === 'GET' && p === '/stats') return sendJson(res, 200, this.stats());
      if (req.method === 'GET' && p === '/events') return sendJson(res, 200, { events: this.st.events.slice(Number(req.query.get('since') ?? 0)) });
      if ((m = /^\/devices\/([^/]+)$/.exec(p))) {
        const ckey = decodeURIComponent(m[1]);
        if (req.method === 'DELETE') {
          this.remove(ckey);
          return sendJson(res, 200, { ok: true });
        }
        if (req.method === 'POST') {
          const changes: LedgerEntry[] = [];
          const emit = b.emit_event !== false;
          if (typeof b.name === 'string') this.rename(ckey, b.name);
          if (typeof b.enabled === 'boolean') changes.push(...this.setEnabled(ckey, b.enabled));
          if (typeof b.online === 'boolean') changes.push(...this.setOnline(ckey, b.online, emit));
          if (b.set_bits !== undefined || b.clear_bits !== undefined) changes.push(...this.setBits(ckey, num(b.set_bits, 0), num(b.clear_bits, 0), emit));
          return sendJson(res, 200, { ok: true, changes });
        }
      }
      if (req.method === 'POST' && (m = /^\/panels\/(\d+)\/(offline|online)$/.exec(p)))
        return sendJson(res, 200, { ok: true, changes: this.setOnline(`panel:${m[1]}`, m[2] === 'online') });
      if (req.method === 'POST' && (m = /^\/readers\/(\d+)\/(\d+)\/(offline|online)$/.exec(p)))
        return sendJson(res, 200, { ok: true, changes: this.setOnline(`reader:${m[1]}-${m[2]}`, m[3] === 'online') });
      if (req.method === 'POST' && p === '/flap')
        return sendJson(res, 200, { ok: true, changes: await this.flap(String(b.key), num(b.times, 2), num(b.interval_ms, 100)) });
      if (req.method === 'POST' && p === '/random-changes') {
        const types = Array.isArray(b.types) ? b.types.map(String) : undefined;
        return sendJson(res, 200, { ok: true, changes: await this.randomChanges(num(b.count, 1), { types, intervalMs: num(b.interval_ms, 0) }) });
      }
      if (req.method === 'POST' && p === '/readers') return sendJson(res, 200, { ok: true, added: this.addReaders(String(b.panel_id), num(b.count, 1)) });
      if (req.method === 'POST' && p === '/sessions/expire') return sendJson(res, 200, { ok: true, ...this.expireSessions(num(b.after_requests, 0)) });
      if (req.method === 'POST' && p === '/sessions/invalidate') return sendJson(res, 200, { ok: true, ...this.invalidateSessions() });
      if (req.method === 'POST' && p === '/licence') {
        this.setLicensed(b.licensed !== false);
        return sendJson(res, 200, { ok: true, licensed: this.st.licensed });
      }
      if (req.method === 'POST' && (m = /^\/users\/([^/]+)\/password$/.exec(p))) {
        this.setPassword(decodeURIComponent(m[1]), String(b.password ?? ''));
        return sendJson(res, 200, { ok: true });
      }
      if (req.method === 'POST' && p === '/accounts/unlock') {
        this.unlockAccounts();
        return sendJson(res, 200, { ok: true });
      }
      if (req.method === 'POST' && p === '/bridge/drop') {
        const mode = b.mode === 'bus-lost' || b.mode === 'silent' ? b.mode : 'close';
        return sendJson(res, 200, { ok: true, ...this.dropBridge(mode, num(b.down_ms, 0)) });
      }
      if (req.method === 'POST' && p === '/bridge/restore') {
        this.restoreBridge();
        return sendJson(res, 200, { ok: true });
      }
      if (req.method === 'POST' && p === '/bridge/hub-exception') {
        this.failHubInvocations(String(b.code ?? 'openaccess.general.invalidsessiontoken'), num(b.count, 1));
        return sendJson(res, 200, { ok: true });
      }
      if (req.method === 'POST' && p === '/bridge/exception') {
        this.raiseBridgeException(String(b.message ?? 'Simulated exception'), String(b.error_code ?? 'openaccess.general.error'));
        return sendJson(res, 200, { ok: true });
      }
      if (req.method === 'POST' && (m = /^\/types\/([^/]+)\/fail$/.exec(p))) {
        const on = b.on === 'type' || b.on === 'both' ? b.on : 'instances';
        this.failType(decodeURIComponent(m[1]), num(b.status, 403), { count: b.count === undefined ? undefined : num(b.count, 1), on });
        return sendJson(res, 200, { ok: true });
      }
      if (req.method === 'POST' && p === '/events/spelling') {
        this.setEventSpelling(String(b.spelling ?? 'snake'));
        return sendJson(res, 200, { ok: true });
      }
      if (req.method === 'POST' && p === '/events/unknown') {
        this.emitUnknownKind(String(b.panel_id ?? '1'), typeof b.description === 'string' ? b.description : undefined, typeof b.event_class === 'string' ? b.event_class : undefined);
        return sendJson(res, 200, { ok: true });
      }
      if (req.method === 'POST' && p === '/server') {
        const o: Parameters<SimControl['configure']>[0] = {};
        if (b.order_by === 'any' || b.order_by === 'single' || b.order_by === 'none') o.orderBy = b.order_by;
        if (typeof b.type_lists_methods === 'boolean') o.typeListsMethods = b.type_lists_methods;
        if (b.method_spelling === 'pascal' || b.method_spelling === 'upper-exact') o.methodSpelling = b.method_spelling;
        if (b.max_subscriptions !== undefined) o.maxSubscriptions = num(b.max_subscriptions, 8);
        if (b.hub_error_data === 'code' || b.hub_error_data === 'wrapped') o.hubErrorData = b.hub_error_data;
        this.configure(o);
        return sendJson(res, 200, { ok: true });
      }
      if (p === '/faults' && req.method === 'DELETE') {
        this.clearFaults();
        return sendJson(res, 200, { ok: true });
      }
      if (p === '/faults' && req.method === 'POST') {
        if (b.fail_count !== undefined) this.fail(num(b.fail_status, 503), num(b.fail_count, 1), typeof b.fail_path === 'string' ? b.fail_path : undefined);
        if (b.slow_ms !== undefined) this.slow(num(b.slow_ms, 0), b.slow_count === undefined ? undefined : num(b.slow_count, 0));
        if (b.reset_count !== undefined) this.resetConnections(num(b.reset_count, 1));
        if (typeof b.empty_401 === 'boolean') this.setEmpty401(b.empty_401);
        return sendJson(res, 200, { ok: true, faults: { ...this.faults, failPath: this.faults.failPath?.source ?? null } });
      }
      if (req.method === 'GET' && p === '/recorders') return sendJson(res, 200, { recorders: [...this.st.recorders.values()].map((r) => ({ ...r, type: VIDEO_RECORDER })) });
      return sendJson(res, 404, { ok: false, error: `no control route ${req.method} ${req.path}` });
    } catch (e) {
      const status = e instanceof ControlError ? e.status : 400;
      return sendJson(res, status, { ok: false, error: (e as Error).message });
    }
  }
}
