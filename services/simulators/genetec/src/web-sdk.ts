import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SiteModel } from './model';
import type { Sessions, SimSession } from './sessions';

export interface AuthSettings {
  username: string;
  password: string;
  applicationId: string;
  /** 403 to everything: the licence lacks the Web SDK option / the certificate's part number. */
  licenceRefused: boolean;
  /** The user lacks "Log on using the SDK": every call is refused with a privilege error. */
  privilegeMissing: boolean;
}

export interface SimStats {
  requests: Record<string, number>;
  accept: Record<string, number>;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/html' : 'text/json; charset=utf-8', ...headers });
  res.end(text);
}

const ok = (result: unknown) => ({ Rsp: { Status: 'Ok', Result: result } });
const fail = (code: string, message: string) => ({ Rsp: { Status: 'Fail', Result: { SdkErrorCode: code, Message: message } } });

/** Checks Basic `user;ApplicationId:password`; answers and returns null when refused. */
function authenticate(req: IncomingMessage, res: ServerResponse, a: AuthSettings, sessions: Sessions): SimSession | null {
  const h = req.headers.authorization ?? '';
  const decoded = h.startsWith('Basic ') ? Buffer.from(h.slice(6), 'base64').toString('utf8') : '';
  const colon = decoded.indexOf(':');
  const [user, appId] = decoded.slice(0, colon).split(';');
  if (colon < 0 || user !== a.username || decoded.slice(colon + 1) !== a.password || appId !== a.applicationId) {
    send(res, 401, fail('InvalidCredentials', 'Unauthorized'), { 'www-authenticate': 'Basic realm="WebSdk"' });
    return null;
  }
  if (a.licenceRefused) {
    send(res, 403, fail('LicenseError', 'The Security Center license does not support the Web SDK for this application (SDK certificate part number missing)'));
    return null;
  }
  if (a.privilegeMissing) {
    send(res, 403, fail('InsufficientPrivileges', 'The user does not have the privilege "Log on using the SDK"'));
    return null;
  }
  const s = sessions.touch(user);
  if (s === 'expired') {
    send(res, 401, fail('SessionExpired', 'The session has expired'));
    return null;
  }
  return s;
}

/** `EntityTypes@Camera,Page=2,PageSize=100` → the page plus one extra row when another page exists. */
function entityConfiguration(model: SiteModel, q: string): unknown {
  const parts = q.split(',');
  const types = (parts.find((p) => /^EntityTypes@/i.test(p)) ?? '').split('@').slice(1);
  const page = Number(parts.find((p) => /^Page=/i.test(p))?.split('=')[1] ?? 1);
  const size = Number(parts.find((p) => /^PageSize=/i.test(p))?.split('=')[1] ?? 0);
  const all = types.flatMap((t) => model.list(t));
  const rows = size > 0 ? all.slice((page - 1) * size, page * size + 1) : all;
  return ok(rows.map((e) => ({ Guid: e.Guid })));
}

/** `entity={guid},F1,F2,entity={guid2},F1` → one object per entity with the listed fields. */
function projection(model: SiteModel, q: string, refuseUnknown: boolean): unknown {
  const out: Array<Record<string, unknown>> = [];
  let cur: { e: ReturnType<SiteModel['get']>; o: Record<string, unknown> } | null = null;
  for (const tok of q.split(',')) {
    if (/^entity=/i.test(tok)) {
      const e = model.get(tok.slice(7));
      if (!e) return fail('EntityNotFound', `entity ${tok.slice(7)} not found`);
      cur = { e, o: {} };
      out.push(cur.o);
      continue;
    }
    if (!cur?.e) return fail('InvalidQuery', 'a field before any entity=');
    const v = model.field(cur.e, tok);
    if (v === undefined && refuseUnknown) return fail('InvalidProperty', `${cur.e.EntityType} has no property ${tok}`);
    cur.o[tok] = v ?? null;
  }
  return ok(out.length === 1 ? out[0] : out);
}

function subscriptionKeys(q: string): string[] {
  return [...q.matchAll(/event\(\s*([^,)]+)\s*,\s*([^)]+?)\s*\)/gi)].map((m) => `${m[1].replace(/-/g, '')}|${m[2]}`.toLowerCase());
}

export interface HandlerDeps {
  model: SiteModel;
  sessions: Sessions;
  auth: AuthSettings;
  stats: SimStats;
  basePath: string;
  refuseUnknownFields: () => boolean;
  /** Entity types whose report answers 503 (a listing that fails for one type only). */
  failingReports: Set<string>;
}

/** The Web SDK routes under `basePath` (`/WebSdk/`). */
export function handle(req: IncomingMessage, res: ServerResponse, d: HandlerDeps): void {
  const url = new URL(req.url ?? '/', 'http://sim');
  if (!url.pathname.toLowerCase().startsWith(d.basePath.toLowerCase().replace(/\/$/, ''))) return send(res, 404, 'not found');
  const route = url.pathname.slice(d.basePath.length - 1).replace(/\/+$/, '') || '/';
  d.stats.requests[route] = (d.stats.requests[route] ?? 0) + 1;
  const accept = String(req.headers.accept ?? '');
  d.stats.accept[accept] = (d.stats.accept[accept] ?? 0) + 1;
  const session = authenticate(req, res, d.auth, d.sessions);
  if (!session) return;
  // Without text/json the Web SDK answers legacy XML.
  if (!/text\/json/i.test(accept)) return send(res, 200, '<rsp status="ok"><legacy/></rsp>');
  const q = url.searchParams.get('q') ?? '';
  switch (route.toLowerCase()) {
    case '/':
      return send(res, 200, ok(null));
    case '/report/entityconfiguration':
      if ([...d.failingReports].some((t) => new RegExp(`EntityTypes@([^,]*@)?${t}(@|,|$)`, 'i').test(q))) return send(res, 503, 'Service Unavailable');
      return send(res, 200, entityConfiguration(d.model, q));
    case '/entity':
      return send(res, 200, projection(d.model, q, d.refuseUnknownFields()));
    case '/events/subscribe':
      subscriptionKeys(q).forEach((k) => session.subscriptions.add(k));
      return send(res, 200, ok(null));
    case '/events/unsubscribe':
      subscriptionKeys(q).forEach((k) => session.subscriptions.delete(k));
      return send(res, 200, ok(null));
    case '/events/subscribed': {
      const byType = new Map<string, string[]>();
      for (const k of session.subscriptions) {
        const [src, ev] = k.split('|');
        byType.set(ev, [...(byType.get(ev) ?? []), src]);
      }
      return send(res, 200, ok([...byType].map(([EventType, Entities]) => ({ EventType, Entities }))));
    }
    case '/events':
      res.writeHead(200, { 'content-type': 'text/json; charset=utf-8', 'cache-control': 'no-cache' });
      res.flushHeaders();
      session.streams.add(res);
      res.on('close', () => session.streams.delete(res));
      return;
    default:
      return send(res, 404, fail('NotFound', `no route ${route}`));
  }
}
