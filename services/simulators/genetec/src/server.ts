import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { dotnetTime, EventsHub, type SimEvent } from './events-hub';
import { SiteModel, shapeForSize, type RunState, type SimEntity, type SiteShape } from './model';
import { Sessions } from './sessions';
import { Ledger, statusOf } from './ledger';
import { controlRoute } from './control-routes';
import { handle, type AuthSettings, type SimStats } from './web-sdk';

export interface GenetecSimulatorOptions extends Partial<SiteShape> {
  host?: string;
  /** 0 (default) → a free port. */
  port?: number;
  /** About this many entities (overrides cameras/doors): `size: 20000` for the scale bench. */
  size?: number;
  /** PEM key and certificate → HTTPS (the role's "Use SSL connection"). */
  tls?: { key: string | Buffer; cert: string | Buffer };
  username?: string;
  password?: string;
  applicationId?: string;
  /** Base URI of the role (default `/WebSdk/`). */
  basePath?: string;
  /** Session idle timeout (default 5 min, as documented). */
  sessionIdleMs?: number;
  /** The first request after an idle expiry is answered 401 SessionExpired (default true). */
  answerExpiredSession?: boolean;
  /** Empty keep-alive line on open streams this often (default 20 s; inference). */
  heartbeatMs?: number;
  /** Each EntityConfiguration page is answered after this long (a sync slow enough to interrupt). */
  reportDelayMs?: number;
}

export interface GenetecSimulator {
  /** `http(s)://host:port` — the server root, what a system's `base_url` is set to. */
  readonly url: string;
  readonly port: number;
  readonly credentials: { username: string; password: string; applicationId: string };
  readonly model: SiteModel;
  readonly control: SimControl;
  close(): Promise<void>;
}

const CONNECTION_EVENTS: Record<string, Partial<Record<`${RunState}>${RunState}`, string>>> = {
  camera: { 'online>offline': 'CameraSignalLost', 'warning>offline': 'CameraSignalLost', 'offline>online': 'CameraSignalRecovered', 'online>warning': 'CameraTransmissionLost', 'warning>online': 'CameraTransmissionRecovered', 'offline>warning': 'CameraSignalRecovered' },
  unit: { 'online>offline': 'UnitDisconnected', 'warning>offline': 'UnitDisconnected', 'offline>online': 'UnitConnected', 'offline>warning': 'UnitConnected' },
};

export type SimControl = ReturnType<typeof makeControl>;

function eventFamily(e: SimEntity): string | null {
  if (e.EntityType === 'Camera') return 'camera';
  return /unit$/i.test(e.EntityType) ? 'unit' : null;
}

type Flags = { refuseUnknownFields: boolean; failingReports: Set<string>; unavailable: boolean; reportDelayMs: number };

/** What happens to entities: state changes with their connection events, maintenance, late events. */
function entityControl(model: SiteModel, hub: EventsHub, ledger: Ledger) {
  const entity = (guid: string) => {
    const e = model.get(guid);
    if (!e) throw new Error(`no entity ${guid}`);
    return e;
  };
  /** Sets an entity online/offline/warning; raises its connection event unless it is in maintenance (suppressed, as Security Center does). */
  const setState = (guid: string, state: RunState, at = Date.now()): void => {
    const e = entity(guid);
    const family = eventFamily(e);
    const type = family ? CONNECTION_EVENTS[family][`${e.state}>${state}`] : undefined;
    const before = statusOf(e);
    e.state = state;
    if (statusOf(e) !== before) ledger.add(e.Guid, statusOf(e));
    if (type && !e.maintenance) hub.emit({ EventType: type, SourceEntity: e.Guid, Timestamp: dotnetTime(at) }, e);
  };
  return {
    setState,
    /** Maintenance on (reason) or off (null): no event either way. */
    setMaintenance(guid: string, reason: string | null, end: string | null = null): void {
      entity(guid).maintenance = reason === null ? null : { reason, end };
    },
    /** Raises an event as the server would deliver it (e.g. an offline event long after it happened). */
    raise(guid: string, ev: Omit<SimEvent, 'SourceEntity' | 'Timestamp'> & { at: number }): void {
      const e = entity(guid);
      hub.emit({ EventType: ev.EventType, SourceEntity: e.Guid, Timestamp: dotnetTime(ev.at), ...(ev.IsOffline ? { IsOffline: true } : {}) }, e);
    },
    /**
     * The source comes back (connected event now) and only then delivers the disconnection it
     * raised at `offlineAt` as an offline event (late, with its own older time).
     */
    reconnectWithLateOffline(guid: string, offlineAt: number): void {
      const e = entity(guid);
      e.state = 'offline';
      setState(guid, 'online');
      const type = eventFamily(e) === 'camera' ? 'CameraSignalLost' : 'UnitDisconnected';
      hub.emit({ EventType: type, SourceEntity: e.Guid, Timestamp: dotnetTime(offlineAt), IsOffline: true }, e);
    },
  };
}

/** What goes wrong with the server: streams, sessions, licence, privileges, listings. */
function faultControl(hub: EventsHub, sessions: Sessions, auth: AuthSettings, flags: Flags) {
  return {
    dropStreams: () => hub.dropStreams(),
    /** The stream stays open but carries nothing (no events, no keep-alive) until unset. */
    silence(on: boolean): void {
      hub.silent = on;
    },
    expireSessions: () => sessions.expireAll(),
    setLicenceRefused(on: boolean): void {
      auth.licenceRefused = on;
    },
    setPrivilegeMissing(on: boolean): void {
      auth.privilegeMissing = on;
    },
    /** Unknown projection fields are refused with Fail InvalidProperty (default: answered null). */
    setRefuseUnknownFields(on: boolean): void {
      flags.refuseUnknownFields = on;
    },
    /** The EntityConfiguration report of this entity type answers 503 until unset. */
    failReport(type: string, on: boolean): void {
      if (on) flags.failingReports.add(type);
      else flags.failingReports.delete(type);
    },
    openStreams: () => sessions.all().reduce((n, s) => n + s.streams.size, 0),
    /** Every Web SDK request answers 503 until unset (the role restarting). */
    setUnavailable(on: boolean): void {
      flags.unavailable = on;
    },
    /** Each EntityConfiguration page is answered after `ms` (0: at once). */
    setReportDelay(ms: number): void {
      flags.reportDelayMs = ms;
    },
  };
}

function makeControl(model: SiteModel, hub: EventsHub, sessions: Sessions, auth: AuthSettings, stats: SimStats, flags: Flags, ledger: Ledger) {
  return {
    ...entityControl(model, hub, ledger),
    /** Status changes made so far (canonical statuses), after `afterSeq`. */
    ledger: (afterSeq = 0) => ledger.after(afterSeq),
    ...faultControl(hub, sessions, auth, flags),
    stats: () => ({ ...stats, sessions_created: sessions.created, sessions_expired: sessions.expiredCount, events_sent: hub.sent, events_lost: hub.lost, entities: model.size }),
  };
}

/** Starts a simulated Security Center Web SDK role. */
export async function startGenetecSimulator(o: GenetecSimulatorOptions = {}): Promise<GenetecSimulator> {
  const shape = o.size ? shapeForSize(o.size) : { cameras: o.cameras ?? 6, doors: o.doors ?? 4 };
  const model = new SiteModel(shape);
  const credentials = { username: o.username ?? 'edge-svc', password: o.password ?? 'sim-secret', applicationId: o.applicationId ?? 'KxsD11z743Hf5Gq9mv3sim' };
  const auth: AuthSettings = { ...credentials, licenceRefused: false, privilegeMissing: false };
  const sessions = new Sessions(o.sessionIdleMs ?? 300_000, o.answerExpiredSession ?? true);
  const hub = new EventsHub(sessions, o.heartbeatMs ?? 20_000);
  const stats: SimStats = { requests: {}, accept: {} };
  const flags: Flags = { refuseUnknownFields: false, failingReports: new Set<string>(), unavailable: false, reportDelayMs: o.reportDelayMs ?? 0 };
  const basePath = `/${(o.basePath ?? '/WebSdk/').replace(/^\/+|\/+$/g, '')}/`;
  const deps = { model, sessions, auth, stats, basePath, refuseUnknownFields: () => flags.refuseUnknownFields, failingReports: flags.failingReports };
  const control = makeControl(model, hub, sessions, auth, stats, flags, new Ledger());
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path.toLowerCase().startsWith('/_sim/')) void controlRoute(req, res, path.slice('/_sim'.length), control, model);
    else if (flags.unavailable) res.writeHead(503, { 'content-type': 'text/plain' }).end('Service Unavailable');
    else if (flags.reportDelayMs > 0 && /entityconfiguration/i.test(path)) setTimeout(() => handle(req, res, deps), flags.reportDelayMs);
    else handle(req, res, deps);
  };
  const server = o.tls ? https.createServer({ key: o.tls.key, cert: o.tls.cert }, onRequest) : http.createServer(onRequest);
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(o.port ?? 0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${o.tls ? 'https' : 'http'}://${host}:${port}`,
    port,
    credentials,
    model,
    control,
    async close() {
      hub.close();
      sessions.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
