import { randomUUID } from 'node:crypto';
import { DEFAULT_SITE, generateSite, leIntToIp, prng, TYPE_DEFS, VIDEO_RECORDER, type Props, type SimDevice, type SiteOptions } from './site';

/** How hardware events look on the bridge. The real keys are not public (§5.4 [I]): all configurable. */
export interface EventShape {
  eventClass: string;
  keys: { class: string; time: string; id: string; panel: string; device: string; subdevice: string; description: string };
  texts: { lost: string; restored: string };
  /** Offset of the server's local time in event timestamps, minutes (e.g. -300 = UTC-5). */
  tzOffsetMinutes: number;
}

/**
 * Key spellings of hardware events. Only `business_event_class` is public (Lenel's Java sample,
 * mtdedlow/event-subscriber Program.java); the rest is a guess from the `/logged_events` schema
 * (snake_case, OpenAccess 7.5 swagger `LoggedEvents`) and DataConduIT's `Lnl_SecurityEvent`
 * (PanelID, DeviceID, SecondaryDeviceID, Time, SerialNumber, Description). `unknown` uses keys no
 * client expects, for the "events arrive but none resolve" case.
 */
export const EVENT_SPELLINGS: Record<string, EventShape['keys']> = {
  snake: { class: 'business_event_class', time: 'timestamp', id: 'serial_number', panel: 'controller_id', device: 'device_id', subdevice: 'subdevice_id', description: 'description' },
  pascal: { class: 'business_event_class', time: 'Time', id: 'SerialNumber', panel: 'ControllerID', device: 'DeviceID', subdevice: 'SubDeviceID', description: 'Description' },
  dataconduit: { class: 'business_event_class', time: 'Time', id: 'SerialNumber', panel: 'PanelID', device: 'DeviceID', subdevice: 'SecondaryDeviceID', description: 'Description' },
  reader: { class: 'business_event_class', time: 'time', id: 'serial_number', panel: 'PanelID', device: 'ReaderID', subdevice: 'subdevice_id', description: 'description' },
  unknown: { class: 'business_event_class', time: 'occurred_at', id: 'event_number', panel: 'source_panel', device: 'source_device', subdevice: 'source_sub', description: 'message' },
};

export interface BridgeOptions {
  enabled: boolean;
  webSockets: boolean;
  keepAliveSeconds: number;
  longPollTimeoutMs: number;
  /** Name of the callback the server uses when the message bus is lost (the two samples differ). */
  busLostCallback: 'OnConnectionFromMessageBusLost' | 'OnConnectionToMessageBusLost';
  /**
   * Shape of a HubException's ErrorData: the bare code, or an OpenAccess error body that contains
   * it. Lenel's C# sample matches `ErrorData.ToString().Contains("openaccess.general.invalidsessiontoken")`
   * (paulosouza881/EventSubscriber WebEventSubscriber.cs), so the code may sit anywhere in it.
   */
  errorData: 'code' | 'wrapped';
}

export interface SimUser {
  user_name: string;
  password: string;
  directory_id: string;
  user_id: number;
  first_name: string;
  last_name: string;
  /** Restricted account: listing these types answers 403 (permissions.ts). */
  denied_types?: string[];
}

export interface SimOptions {
  site: SiteOptions;
  users: SimUser[];
  /** Licensed Application-Id values. */
  applicationIds: string[];
  tokenLifetimeMs: number;
  /** Inactivity timeout (0 = off). */
  idleTimeoutMs: number;
  lockoutAttempts: number;
  /** `total_pages` of an empty result (not public; 0 or 1). */
  emptyTotalPages: 0 | 1;
  typesEndpoint: boolean;
  videoRecordersEndpoint: boolean;
  /** Types this server does not have (e.g. an older version without intrusion). */
  hiddenTypes: string[];
  productVersion: string;
  /**
   * Which `order_by` the server accepts on `/instances` [I: not public; real servers answer 400 to
   * some]: `any`, `single` (one property; a list → 400), `none` (every order_by → 400).
   */
  orderBy: 'any' | 'single' | 'none';
  /** `GET /type` lists the type's methods (some servers answer an empty `methods` list). */
  typeListsMethods: boolean;
  /**
   * How status method names are spelled and matched. `pascal`: `GetHardwareStatus` (DataConduIT's
   * spelling on panels and readers), any case accepted. `upper-exact`: `GETHARDWARESTATUS` on every
   * type (PSDataConduIT shows it on intrusion types) and only that exact spelling accepted [I].
   */
  methodSpelling: 'pascal' | 'upper-exact';
  /**
   * How `token_expiration_time` is written: `utc` (`+00:00`, as the spec's date-time), `past` (a
   * time already gone, as a server with a wrong clock answers), `naive` (no zone designator).
   */
  tokenExpiryStyle: 'utc' | 'past' | 'naive';
  /**
   * Reject query parameters this version does not know. `do_not_reset_inactivity_timer` is in the
   * 8.3 docs and not in the 7.5 swagger (tractionguest/lenel-sdk); a 7.x server is modelled as
   * refusing it [I: how a 7.x server answers an unknown parameter is not public].
   */
  strictParams: boolean;
  /**
   * `Lnl_Camera` lists `GetHardwareStatus` (PSDataConduIT Get-CameraHardwareStatus.ps1 calls it;
   * Status 0 offline / 1 online, its `DeviceStatus` enumeration).
   */
  cameraStatus: boolean;
  /** `/logged_events` accepts a filter on `serial_number` (false: 400, as a server with another grammar might) [I]. */
  loggedEventsSerialFilter: boolean;
  event: EventShape;
  bridge: BridgeOptions;
  /**
   * Live (not deleted) event subscriptions the server holds at most. Each one is a queue on the
   * message broker (`queue_name`, `exchange_name` in the 7.5 swagger's EventSubscription), so a
   * real server runs out of resources; past the limit creating one fails [I: the limit and the
   * answer are not public].
   */
  maxSubscriptions: number;
  queueCompleteAfterMs: number;
}

export const DEFAULT_OPTIONS: SimOptions = {
  site: DEFAULT_SITE,
  users: [{ user_name: 'sa', password: 'sim-sa-password', directory_id: 'id-1', user_id: 1, first_name: 'System', last_name: 'Account' }],
  applicationIds: ['SYS_ADMIN_APP', 'OPEN_ACCESS_NON_PRODUCTION'],
  tokenLifetimeMs: 60 * 60_000,
  idleTimeoutMs: 15 * 60_000,
  lockoutAttempts: 5,
  emptyTotalPages: 0,
  typesEndpoint: true,
  videoRecordersEndpoint: true,
  hiddenTypes: [],
  productVersion: '8.3.298.1',
  orderBy: 'any',
  typeListsMethods: true,
  methodSpelling: 'pascal',
  loggedEventsSerialFilter: true,
  tokenExpiryStyle: 'utc',
  strictParams: true,
  cameraStatus: false,
  event: {
    eventClass: 'hardware_event',
    keys: { class: 'business_event_class', time: 'timestamp', id: 'serial_number', panel: 'controller_id', device: 'device_id', subdevice: 'subdevice_id', description: 'description' },
    texts: { lost: 'Communications Lost', restored: 'Communications Restored' },
    tzOffsetMinutes: -300,
  },
  bridge: { enabled: true, webSockets: true, keepAliveSeconds: 20, longPollTimeoutMs: 20_000, busLostCallback: 'OnConnectionFromMessageBusLost', errorData: 'code' },
  maxSubscriptions: 8,
  queueCompleteAfterMs: 20,
};

export interface Session {
  token: string;
  user: SimUser;
  applicationId: string;
  startedAt: number;
  expiresAt: number;
  lastActivity: number;
}

export interface Subscription {
  id: number;
  user_id: string;
  description: string;
  filter: string;
  is_durable: boolean;
  is_enabled: boolean;
  queue_name: string;
  exchange_name: string;
  binding_key: string;
  message_broker_hostname: string;
  message_broker_port: number;
  requires_secure_connection: boolean;
  created_date: string;
  last_updated_date: string;
}

export type ExpectedStatus = 'online' | 'offline' | 'degraded' | 'disabled' | 'unknown';

/** The truth a canonical device built from this instance should carry. */
export interface DeviceTruth {
  native_type: string;
  native_key: string;
  /** `<token>:<key>`: the canonical id is `onguard:<system_id>:<canonical_key>`. */
  canonical_key: string;
  type: string;
  name: string;
  ip: string | null;
  mac: null;
  hostname: string | null;
  segment: string | null;
  parent_key: string | null;
  enabled: boolean;
  status_bits: number | null;
  expected_status: ExpectedStatus;
  reason: string | null;
}

export interface LedgerEntry {
  seq: number;
  at: string;
  canonical_key: string;
  native_type: string;
  native_key: string;
  status: ExpectedStatus;
  previous: ExpectedStatus;
  reason: string | null;
  status_bits: number | null;
  cause: string;
}

/** A per-type failure: real servers answer 403 outside the account's segment, 500 when a backing service is down. */
export interface TypeFault {
  status: number;
  /** Requests still to fail (null = until cleared). */
  remaining: number | null;
  /** Which calls fail: `/type`, `/instances` (and `/count`), or both. */
  on: 'type' | 'instances' | 'both';
}

export interface SimStats {
  [k: string]: number;
}

const TOKEN_OF_TYPE: Record<string, string> = { [VIDEO_RECORDER]: 'recorder' };
export function tokenOf(type: string): string {
  return TOKEN_OF_TYPE[type] ?? TYPE_DEFS[type]?.token ?? type.replace(/^Lnl_/, '').toLowerCase();
}

/** Decoding of the §4.2 tables, written independently of the collector's mapper. */
function decode(type: string, v: number): { status: ExpectedStatus; reason: string | null } {
  if (type === 'Lnl_IntrusionArea' || type === 'Lnl_IntrusionZone' || type === 'Lnl_Camera') return v === 0 ? { status: 'offline', reason: 'reported offline' } : { status: 'online', reason: null };
  if ((v & 1) === 0) return { status: 'offline', reason: 'communications lost' };
  const table: Array<[number, string]> =
    type === 'Lnl_Reader'
      ? [[0x2, 'options mismatch'], [0x4, 'cabinet tamper'], [0x8, 'power failure'], [0x10, 'reader tamper'], [0x800000, 'low battery'], [0x1000000, 'motor stalled'], [0x2000000, 'read head offline'], [0x4000000, 'MRDT offline'], [0x8000000, 'door contact offline']]
      : [[0x2, 'options mismatch'], [0x4, 'cabinet tamper'], [0x8, 'power failure']];
  const r = table.filter(([b]) => (v & b) !== 0).map(([, t]) => t);
  return r.length ? { status: 'degraded', reason: r.join('; ') } : { status: 'online', reason: null };
}

/** Event text when a bit is set / cleared (the link bit uses the configured lost/restored texts). */
const BIT_TEXTS: Array<[number, string, string]> = [
  [0x2000000, 'Read Head Offline', 'Read Head Online'],
  [0x4000000, 'MRDT Offline', 'MRDT Online'],
  [0x8000000, 'Door Contact Offline', 'Door Contact Online'],
  [0x10, 'Reader Tamper', 'Reader Tamper Restored'],
  [0x4, 'Cabinet Tamper', 'Cabinet Tamper Restored'],
  [0x8, 'Power Failure', 'Power Restored'],
  [0x800000, 'Low Battery', 'Low Battery Restored'],
];

export type EventListener = (event: Record<string, unknown>) => void;

/** All mutable state of one simulated OnGuard server. */
export class SimState {
  readonly o: SimOptions;
  readonly devices: Map<string, Map<string, SimDevice>>;
  readonly recorders: Map<string, Props>;
  readonly segments: Map<number, string>;
  private readonly children = new Map<string, SimDevice[]>();
  private readonly sorted = new Map<string, SimDevice[]>();
  readonly sessions = new Map<string, Session>();
  readonly subscriptions = new Map<number, Subscription>();
  private subSeq = 0;
  readonly failedLogins = new Map<string, number>();
  readonly locked = new Set<string>();
  licensed = true;
  /** Sessions expire after this many more authenticated requests (null = off). */
  expireAfterRequests: number | null = null;
  readonly stats: SimStats = {};
  readonly ledger: LedgerEntry[] = [];
  private ledgerSeq = 0;
  readonly events: Array<Record<string, unknown>> = [];
  /**
   * The same events as `/logged_events` serves them: the 7.5 swagger's `LoggedEvents` keys
   * (serial_number, timestamp, controller_id, device_id, subdevice_id, description, …), whatever
   * spelling the bridge uses.
   */
  readonly logged: Array<Record<string, unknown>> = [];
  private serial = 1_536_064_000;
  private readonly listeners = new Set<EventListener>();
  readonly queue = new Map<string, { id: string; createdAt: number; response: unknown }>();
  readonly typeFaults = new Map<string, TypeFault>();
  private readonly rnd: () => number;

  constructor(o: SimOptions) {
    this.o = o;
    const g = generateSite(o.site);
    this.devices = g.devices;
    this.recorders = g.recorders;
    this.segments = g.segments;
    this.rnd = prng(o.site.seed * 7919 + 17);
    for (const m of this.devices.values()) for (const d of m.values()) this.indexChild(d);
    if (o.cameraStatus) for (const c of this.devices.get('Lnl_Camera')?.values() ?? []) c.status = 1;
  }

  /** The server's major version (7 for `7.5.375.12`). */
  get majorVersion(): number {
    return Number(this.o.productVersion.split('.')[0]) || 0;
  }

  private indexChild(d: SimDevice): void {
    if (!d.parent || d.parent.type !== 'Lnl_Panel') return;
    let xs = this.children.get(d.parent.key);
    if (!xs) this.children.set(d.parent.key, (xs = []));
    xs.push(d);
  }

  count(name: string, by = 1): void {
    this.stats[name] = (this.stats[name] ?? 0) + by;
  }

  // ------------------------------------------------------------------ types and instances

  typeVisible(type: string): boolean {
    return Boolean(TYPE_DEFS[type]) && !this.o.hiddenTypes.includes(type);
  }

  /** The HTTP status a call about `type` fails with now, if a per-type fault is set (consumes one). */
  typeFault(type: string, call: 'type' | 'instances'): number | null {
    const f = this.typeFaults.get(type);
    if (!f || (f.on !== 'both' && f.on !== call)) return null;
    if (f.remaining !== null) {
      if (f.remaining <= 0) return null;
      f.remaining--;
    }
    this.count(`type_faults_${f.status}`);
    return f.status;
  }

  /** Methods of a type as this server spells them. */
  methodsOf(type: string): string[] {
    const ms = type === 'Lnl_Camera' && this.o.cameraStatus ? ['GetHardwareStatus'] : (TYPE_DEFS[type]?.methods ?? []);
    return this.o.methodSpelling === 'upper-exact' ? ms.map((m) => m.toUpperCase()) : ms;
  }

  /**
   * OnGuard writes a user transaction for every hardware status update or query an integration
   * makes (Milestone, "XProtect Access integration flooding OnGuard user transaction report",
   * https://github.com/mjt-milestone/XPALenelS2DocSite docs/Troubleshooting/FloodingOnGuardReports.md).
   */
  countAudit(type: string, method: string): void {
    if (!/^(update|get)hardwarestatus$/i.test(method)) return;
    this.count('audit_rows');
    this.count(`audit ${type}.${method}`);
  }

  get(type: string, key: string): SimDevice | undefined {
    return this.devices.get(type)?.get(key);
  }

  /** Instances of a type in key order (cached; invalidated on add/remove). */
  list(type: string): SimDevice[] {
    let xs = this.sorted.get(type);
    if (!xs) {
      xs = [...(this.devices.get(type)?.values() ?? [])].sort((a, b) => compareKeys(a.key, b.key));
      this.sorted.set(type, xs);
    }
    return xs;
  }

  panelOf(d: SimDevice): SimDevice | undefined {
    return d.parent?.type === 'Lnl_Panel' ? this.get('Lnl_Panel', d.parent.key) : undefined;
  }

  childrenOf(panelKey: string): SimDevice[] {
    return this.children.get(panelKey) ?? [];
  }

  /** What GetHardwareStatus answers: a child of a panel that is down reports its link bit clear. */
  effectiveStatus(d: SimDevice): number | null {
    if (d.status === null) return null;
    if (d.type === 'Lnl_Panel') return d.props.IsOnline === false ? d.status & ~1 : d.status;
    const p = this.panelOf(d);
    if (p && (p.props.IsOnline === false || ((p.status ?? 0) & 1) === 0)) {
      return d.type === 'Lnl_IntrusionArea' || d.type === 'Lnl_IntrusionZone' ? 0 : d.status & ~1;
    }
    return d.status;
  }

  private expected(d: SimDevice): { status: ExpectedStatus; reason: string | null } {
    if (d.type === 'Lnl_Camera') {
      const r = d.parent ? this.recorders.get(d.parent.key) : undefined;
      if (r && r.is_online === false) return { status: 'disabled', reason: 'recorder disabled' };
      return d.status === null ? { status: 'unknown', reason: null } : decode(d.type, d.status);
    }
    if (d.props.IsOnline === false) return { status: 'disabled', reason: 'disabled' };
    const p = this.panelOf(d);
    if (p && p.props.IsOnline === false) return { status: 'disabled', reason: 'panel disabled' };
    const eff = this.effectiveStatus(d);
    if (eff === null) return { status: 'unknown', reason: null };
    const dec = decode(d.type, eff);
    if (dec.status === 'offline' && p && ((p.status ?? 0) & 1) === 0) return { status: 'offline', reason: `panel ${p.key} offline` };
    return dec;
  }

  /** Hardware that a canonical inventory should list (logical sources and segments are not devices). */
  isHardware(d: SimDevice): boolean {
    if (d.type === 'Lnl_Segment' || d.type === 'Lnl_LogicalSource' || d.type === 'Lnl_Cardholder') return false;
    if (d.type === 'Lnl_Panel' && d.props.PanelType === 'Logical Source') return false;
    return this.typeVisible(d.type);
  }

  truth(d: SimDevice): DeviceTruth {
    const e = this.expected(d);
    const p = this.panelOf(d);
    const segId = Number(d.props.SegmentID ?? p?.props.SegmentID ?? (d.parent ? this.recorders.get(d.parent.key)?.segment_id : undefined) ?? 0);
    const intrusion = d.type === 'Lnl_Panel' && /galaxy|bosch|dmp|intrusion/i.test(String(d.props.PanelType));
    const ipInt = d.props.PrimaryIPAddress ?? d.props.IPADDRESS;
    return {
      native_type: d.type,
      native_key: d.key,
      canonical_key: `${tokenOf(d.type)}:${d.key}`,
      type: intrusion ? 'intrusion_panel' : TYPE_DEFS[d.type].deviceType,
      name: String(d.props.Name ?? d.props.NAME ?? ''),
      ip: typeof ipInt === 'number' ? leIntToIp(ipInt) : null,
      mac: null,
      hostname: (d.props.HostName ?? d.props.Workstation ?? d.props.WORKSTATION ?? d.props.HOSTNAME ?? null) as string | null,
      segment: this.segments.get(segId) ?? null,
      parent_key: d.parent ? `${tokenOf(d.parent.type)}:${d.parent.key}` : null,
      enabled: d.props.IsOnline !== false,
      status_bits: this.effectiveStatus(d),
      expected_status: e.status,
      reason: e.reason,
    };
  }

  recorderTruth(r: Props): DeviceTruth {
    const enabled = r.is_online !== false;
    return {
      native_type: VIDEO_RECORDER,
      native_key: String(r.id),
      canonical_key: `recorder:${r.id}`,
      type: 'recorder',
      name: String(r.name),
      ip: leIntToIp(Number(r.primary_ip_address)),
      mac: null,
      hostname: String(r.computer_name),
      segment: this.segments.get(Number(r.segment_id)) ?? null,
      parent_key: null,
      enabled,
      status_bits: null,
      expected_status: enabled ? 'unknown' : 'disabled',
      reason: null,
    };
  }

  allTruth(): DeviceTruth[] {
    const out: DeviceTruth[] = [];
    for (const [type, m] of this.devices) {
      if (!this.typeVisible(type)) continue;
      for (const d of this.list(type)) if (this.isHardware(d)) out.push(this.truth(d));
      void m;
    }
    if (this.o.videoRecordersEndpoint) for (const r of this.recorders.values()) out.push(this.recorderTruth(r));
    return out;
  }

  // ------------------------------------------------------------------ sessions

  newSession(user: SimUser, applicationId: string): Session {
    const now = Date.now();
    const s: Session = { token: randomUUID(), user, applicationId, startedAt: now, expiresAt: now + this.o.tokenLifetimeMs, lastActivity: now };
    this.sessions.set(s.token, s);
    return s;
  }

  /** A live session for the token, or null (expired, idle too long, invalidated). */
  session(token: string | undefined, touch: boolean): Session | null {
    if (!token) return null;
    const s = this.sessions.get(token);
    if (!s) return null;
    const now = Date.now();
    if (now >= s.expiresAt || (this.o.idleTimeoutMs > 0 && now - s.lastActivity > this.o.idleTimeoutMs)) {
      this.sessions.delete(token);
      this.count('sessions_expired');
      return null;
    }
    if (touch) s.lastActivity = now;
    return s;
  }

  /** Counts an authenticated request towards a scheduled mass expiry. */
  tickExpiry(): void {
    if (this.expireAfterRequests === null) return;
    this.expireAfterRequests--;
    if (this.expireAfterRequests <= 0) {
      this.expireAfterRequests = null;
      this.expireSessions();
    }
  }

  expireSessions(): number {
    const n = this.sessions.size;
    for (const s of this.sessions.values()) s.expiresAt = Date.now() - 1;
    this.count('sessions_force_expired', n);
    return n;
  }

  invalidateSessions(): number {
    const n = this.sessions.size;
    this.sessions.clear();
    this.count('sessions_invalidated', n);
    return n;
  }

  // ------------------------------------------------------------------ subscriptions

  /** Subscriptions not deleted (each holds a broker queue). */
  liveSubscriptions(): number {
    let n = 0;
    for (const s of this.subscriptions.values()) if (s.is_enabled) n++;
    return n;
  }

  /** A new subscription, or null when the server holds its maximum already. */
  createSubscription(user: SimUser, body: { description?: unknown; filter?: unknown; is_durable?: unknown }): Subscription | null {
    if (this.liveSubscriptions() >= this.o.maxSubscriptions) {
      this.count('subscriptions_refused');
      return null;
    }
    const id = ++this.subSeq;
    this.count('subscriptions_created');
    const now = this.localIso(new Date());
    const s: Subscription = {
      id,
      user_id: String(user.user_id),
      description: typeof body.description === 'string' ? body.description : '',
      filter: typeof body.filter === 'string' ? body.filter : '',
      is_durable: body.is_durable === true,
      is_enabled: true,
      queue_name: `openaccess.subscription.${id}`,
      exchange_name: 'openaccess.events',
      binding_key: `subscription.${id}`,
      message_broker_hostname: 'OGSERVER',
      message_broker_port: 0,
      requires_secure_connection: true,
      created_date: now,
      last_updated_date: now,
    };
    this.subscriptions.set(id, s);
    return s;
  }

  // ------------------------------------------------------------------ events and changes

  onEvent(l: EventListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** Server-local ISO time with offset, as OnGuard writes it (`2026-01-15T10:14:30-05:00`). */
  localIso(d: Date): string {
    const off = this.o.event.tzOffsetMinutes;
    const local = new Date(d.getTime() + off * 60_000).toISOString().replace(/Z$/, '');
    const sign = off >= 0 ? '+' : '-';
    const a = Math.abs(off);
    return `${local}${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
  }

  /** An event of a kind no hardware rule knows (e.g. a new event type of a newer server). */
  emitOther(panelKey: string, description: string, eventClass = this.o.event.eventClass): void {
    const saved = this.o.event.eventClass;
    this.o.event.eventClass = eventClass;
    try {
      this.emit(this.get('Lnl_Panel', panelKey), 0, '', description, new Date());
    } finally {
      this.o.event.eventClass = saved;
    }
  }

  private emit(panel: SimDevice | undefined, deviceId: number, deviceName: string, description: string, at: Date): void {
    const k = this.o.event.keys;
    const ev: Record<string, unknown> = {
      [k.class]: this.o.event.eventClass,
      [k.time]: this.localIso(at),
      [k.id]: ++this.serial,
      [k.panel]: panel ? Number(panel.props.ID) : 0,
      controller_name: panel ? String(panel.props.Name) : '',
      [k.device]: deviceId,
      device_name: deviceName,
      [k.subdevice]: 0,
      event_type: 4,
      event_subtype: 0,
      [k.description]: description,
      event_text: '',
      segment_id: panel ? Number(panel.props.SegmentID ?? 0) : 0,
    };
    this.events.push(ev);
    if (this.events.length > 20_000) this.events.splice(0, this.events.length - 20_000);
    this.logged.push({
      serial_number: ev[k.id],
      timestamp: ev[k.time],
      controller_id: ev[k.panel],
      controller_name: ev.controller_name,
      device_id: ev[k.device],
      device_name: deviceName,
      subdevice_id: 0,
      event_type: 4,
      event_subtype: 0,
      description,
      event_text: '',
      segment_id: ev.segment_id,
    });
    if (this.logged.length > 20_000) this.logged.splice(0, this.logged.length - 20_000);
    this.count('events_produced');
    for (const l of this.listeners) l(ev);
  }

  /**
   * Applies a change to one device and records every resulting change of expected status (the
   * device and, for a panel, its children) in the ledger, then emits the hardware event.
   */
  change(d: SimDevice, ch: { setBits?: number; clearBits?: number; enabled?: boolean; name?: string; emitEvent?: boolean; cause?: string }): LedgerEntry[] {
    const affected = d.type === 'Lnl_Panel' ? [d, ...this.childrenOf(d.key)] : [d];
    const before = affected.map((x) => this.expected(x));
    const oldBits = d.status;
    if (d.status !== null) {
      let s = d.status;
      if (ch.setBits) s |= ch.setBits;
      if (ch.clearBits) s &= ~ch.clearBits;
      d.status = s >>> 0;
    }
    if (ch.enabled !== undefined && d.type === 'Lnl_Panel') d.props.IsOnline = ch.enabled;
    if (ch.name !== undefined) {
      if ('Name' in d.props) d.props.Name = ch.name;
      else d.props.NAME = ch.name;
    }
    const at = new Date();
    const out: LedgerEntry[] = [];
    affected.forEach((x, i) => {
      const after = this.expected(x);
      if (after.status !== before[i].status) out.push(this.record(x, after, before[i].status, at, ch.cause ?? 'control'));
    });
    if (ch.emitEvent !== false && oldBits !== null && d.status !== oldBits) this.emitChangeEvents(d, oldBits, d.status ?? 0, at);
    return out;
  }

  private record(d: SimDevice, e: { status: ExpectedStatus; reason: string | null }, previous: ExpectedStatus, at: Date, cause: string): LedgerEntry {
    const entry: LedgerEntry = {
      seq: ++this.ledgerSeq,
      at: at.toISOString(),
      canonical_key: `${tokenOf(d.type)}:${d.key}`,
      native_type: d.type,
      native_key: d.key,
      status: e.status,
      previous,
      reason: e.reason,
      status_bits: this.effectiveStatus(d),
      cause,
    };
    this.ledger.push(entry);
    return entry;
  }

  private emitChangeEvents(d: SimDevice, oldBits: number, newBits: number, at: Date): void {
    const panel = d.type === 'Lnl_Panel' ? d : this.panelOf(d);
    const deviceId = d.type === 'Lnl_Panel' ? 0 : Number(d.props.ReaderID ?? d.props.DEVICEID ?? d.props.ID ?? 0);
    const name = d.type === 'Lnl_Panel' ? '' : String(d.props.Name ?? d.props.NAME ?? '');
    const binary = d.type === 'Lnl_IntrusionArea' || d.type === 'Lnl_IntrusionZone';
    const wasUp = binary ? oldBits !== 0 : (oldBits & 1) !== 0;
    const isUp = binary ? newBits !== 0 : (newBits & 1) !== 0;
    if (wasUp !== isUp) this.emit(panel, deviceId, name, isUp ? this.o.event.texts.restored : this.o.event.texts.lost, at);
    if (binary) return;
    for (const [bit, setText, clearText] of BIT_TEXTS) {
      if ((oldBits & bit) === (newBits & bit)) continue;
      this.emit(panel, deviceId, name, (newBits & bit) !== 0 ? setText : clearText, at);
    }
  }

  setRecorderEnabled(id: string, enabled: boolean): LedgerEntry[] {
    const r = this.recorders.get(id);
    if (!r) return [];
    const cams = this.list('Lnl_Camera').filter((c) => c.parent?.key === id);
    const before = [this.recorderTruth(r).expected_status, ...cams.map((c) => this.expected(c).status)];
    r.is_online = enabled;
    const at = new Date();
    const out: LedgerEntry[] = [];
    const rt = this.recorderTruth(r);
    if (rt.expected_status !== before[0]) {
      const e: LedgerEntry = { seq: ++this.ledgerSeq, at: at.toISOString(), canonical_key: rt.canonical_key, native_type: VIDEO_RECORDER, native_key: id, status: rt.expected_status, previous: before[0], reason: null, status_bits: null, cause: 'control' };
      this.ledger.push(e);
      out.push(e);
    }
    cams.forEach((c, i) => {
      const after = this.expected(c);
      if (after.status !== before[i + 1]) out.push(this.record(c, after, before[i + 1], at, 'control'));
    });
    return out;
  }

  /** Random link flips of panels, readers and alarm panels (load and chaos). */
  randomChanges(count: number, types: string[] = ['Lnl_Reader', 'Lnl_Panel', 'Lnl_AlarmPanel']): LedgerEntry[] {
    const pool = types.flatMap((t) => this.list(t).filter((d) => d.status !== null && this.isHardware(d)));
    const out: LedgerEntry[] = [];
    if (pool.length === 0) return out;
    for (let i = 0; i < count; i++) {
      const d = pool[Math.floor(this.rnd() * pool.length)];
      const up = ((d.status ?? 0) & 1) !== 0;
      out.push(...this.change(d, up ? { clearBits: 1, cause: 'random' } : { setBits: 1, cause: 'random' }));
    }
    return out;
  }

  addReaders(panelKey: string, n: number): SimDevice[] {
    const p = this.get('Lnl_Panel', panelKey);
    if (!p) return [];
    const existing = this.childrenOf(panelKey).filter((c) => c.type === 'Lnl_Reader').map((c) => Number(c.props.ReaderID));
    let next = Math.max(0, ...existing) + 1;
    const out: SimDevice[] = [];
    for (let i = 0; i < n; i++, next++) {
      const d: SimDevice = {
        type: 'Lnl_Reader',
        key: `${panelKey}-${next}`,
        props: { PanelID: Number(panelKey), ReaderID: next, Name: `Added Reader ${next} (P${panelKey})`, ControlType: 0, HostName: String(p.props.Workstation), TimeAttendanceType: 0 },
        status: 1,
        parent: { type: 'Lnl_Panel', key: panelKey },
      };
      this.devices.get('Lnl_Reader')!.set(d.key, d);
      this.indexChild(d);
      out.push(d);
    }
    this.sorted.delete('Lnl_Reader');
    return out;
  }

  remove(type: string, key: string): boolean {
    const d = this.get(type, key);
    if (!d) return false;
    this.devices.get(type)!.delete(key);
    this.sorted.delete(type);
    if (d.parent?.type === 'Lnl_Panel') {
      const xs = this.children.get(d.parent.key);
      if (xs) this.children.set(d.parent.key, xs.filter((x) => x !== d));
    }
    return true;
  }
}

function compareKeys(a: string, b: string): number {
  const pa = a.split('-').map(Number);
  const pb = b.split('-').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
