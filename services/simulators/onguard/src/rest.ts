import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { FilterError, parseFilter } from './filter';
import { API_VERSION, headerAny, oaError, param, sendJson, type Req } from './http-util';
import { keyFromProps, TYPE_DEFS, type SimDevice } from './site';
import { refusedType } from './permissions';
import { subscriptionJson } from './signalr-hub';
import type { SimState } from './state';

/**
 * The OpenAccess REST surface (reference §1–§5). Error codes the reference shows are used as
 * shown; codes it does not show are marked [I] and listed in the README.
 */

export interface RestOptions {
  /** Answer session 401s with an empty body (§1.8: "the content of 401 errors cannot be displayed"). */
  empty401: boolean;
}

const E = {
  licence: 'openaccess.general.invalidapplicationid',
  session: 'openaccess.general.invalidsessiontoken',
  item: 'openaccess.general.invalidrequestitem',
  version: 'openaccess.general.invalidversion', // [I]
  type: 'openaccess.general.invalidtypename', // [I]
  filter: 'openaccess.general.invalidfilter', // [I]
  pageSize: 'openaccess.general.invalidpagesize', // [I]
  pageNumber: 'openaccess.general.invalidpagenumber', // [I]
  method: 'openaccess.general.invalidmethod', // [I]
  credentials: 'openaccess.general.invalidcredentials', // [I]
  locked: 'openaccess.general.accountlocked', // [I]
  directory: 'openaccess.general.invaliddirectory', // [I]
  notFound: 'system.not_found',
  route: 'openaccess.general.notfound', // [I]
  readOnly: 'openaccess.general.operationnotsupported', // [I] the simulator does not write
  forbidden: 'openaccess.general.permissiondenied', // [I]
  unexpected: 'openaccess.general.unexpectederror', // [I]
};

/** Answers a per-type fault (403: outside the account's permission or segment; 5xx: backing service down). */
function typeFaultAnswer(st: SimState, res: ServerResponse, type: string, call: 'type' | 'instances'): boolean {
  const status = st.typeFault(type, call);
  if (status === null) return false;
  if (status === 403) oaError(res, 403, E.forbidden, `The user does not have permission to view ${type}.`);
  else oaError(res, status, E.unexpected, `An unexpected error occurred while reading ${type}.`);
  return true;
}

/** Spelling of a method name as this server lists and expects it. */
export function methodName(st: SimState, m: string): string {
  return st.o.methodSpelling === 'upper-exact' ? m.toUpperCase() : m;
}

/** `token_expiration_time` as this server writes it (see SimOptions.tokenExpiryStyle). */
function expiryText(st: SimState, ms: number): string {
  if (st.o.tokenExpiryStyle === 'past') return isoPlus(Date.now() - 3_600_000);
  if (st.o.tokenExpiryStyle === 'naive') return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '');
  return isoPlus(ms);
}

function isoPlus(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

function intParam(req: Req, name: string, def: number): number | null {
  const v = param(req, name);
  if (v === undefined || v === '') return def;
  return /^-?\d+$/.test(v.trim()) ? Number(v) : null;
}

/** Paging of §2.1–2.2: page_number from 1, page_size 1..100 (default 20). */
function paged<T>(st: SimState, req: Req, res: ServerResponse, rows: readonly T[], item: (r: T) => unknown, extra: Record<string, unknown> = {}): boolean {
  const pageNumber = intParam(req, 'page_number', 1);
  const pageSize = intParam(req, 'page_size', 20);
  if (pageNumber === null || pageNumber < 1) {
    oaError(res, 400, E.pageNumber, 'page_number must be an integer of at least 1.');
    return false;
  }
  if (pageSize === null || pageSize < 1 || pageSize > 100) {
    oaError(res, 400, E.pageSize, 'page_size must be an integer between 1 and 100.');
    return false;
  }
  const total = rows.length;
  const totalPages = total === 0 ? st.o.emptyTotalPages : Math.ceil(total / pageSize);
  const slice = rows.slice((pageNumber - 1) * pageSize, pageNumber * pageSize);
  sendJson(res, 200, {
    count: slice.length,
    item_list: slice.map(item),
    page_number: pageNumber,
    page_size: pageSize,
    total_items: total,
    total_pages: totalPages,
    ...extra,
    version: API_VERSION,
  });
  return true;
}

const orderCache = new WeakMap<readonly SimDevice[], Map<string, SimDevice[]>>();

/** `order_by=Name` / `PanelID,ReaderID` / `Name desc`; property names case-insensitive. */
function ordered(type: string, rows: SimDevice[], orderBy: string | undefined, policy: SimState['o']['orderBy'] = 'any'): SimDevice[] | string {
  if (!orderBy || orderBy.trim() === '') return rows;
  const def = TYPE_DEFS[type];
  const parts = orderBy.split(',').map((p) => p.trim()).filter(Boolean);
  if (policy === 'none' || (policy === 'single' && parts.length > 1)) return orderBy;
  const spec: Array<{ name: string; desc: boolean }> = [];
  for (const p of parts) {
    const [name, dir] = p.split(/\s+/);
    const prop = def.properties.find((x) => x.name.toLowerCase() === name.toLowerCase());
    if (!prop) return name;
    spec.push({ name: prop.name, desc: (dir ?? '').toLowerCase() === 'desc' });
  }
  const keys = def.properties.filter((p) => p.is_key).map((p) => p.name);
  if (spec.every((s, i) => !s.desc && s.name === keys[i]) && spec.length <= keys.length && type !== 'Lnl_AlarmPanel') return rows;
  const cacheKey = spec.map((s) => `${s.name}${s.desc ? '-' : '+'}`).join(',');
  let m = orderCache.get(rows);
  if (!m) orderCache.set(rows, (m = new Map()));
  const hit = m.get(cacheKey);
  if (hit) return hit;
  const sorted = [...rows].sort((a, b) => {
    for (const s of spec) {
      const x = a.props[s.name];
      const y = b.props[s.name];
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x ?? '').localeCompare(String(y ?? ''));
      if (c !== 0) return s.desc ? -c : c;
    }
    return 0;
  });
  m.set(cacheKey, sorted);
  return sorted;
}

/** Main entry: auth pipeline, then the route. */
export async function handleRest(st: SimState, req: Req, res: ServerResponse, o: RestOptions): Promise<void> {
  st.count('requests');
  const route = `${req.method} ${req.path.replace(/\/\d+$/, '/{id}')}`;
  st.count(`route ${route}`);
  if (param(req, 'version') === undefined) return oaError(res, 400, E.version, 'The version parameter is required.');
  if (st.o.strictParams && st.majorVersion < 8 && req.query.has('do_not_reset_inactivity_timer')) {
    st.count('unknown_params_refused');
    return oaError(res, 400, E.item, 'The property do_not_reset_inactivity_timer did not exist or contained an invalid value.');
  }
  if (req.method === 'GET' && req.path === '/version')
    return sendJson(res, 200, { product_name: 'OnGuard', product_version: st.o.productVersion, version: API_VERSION });

  const appId = headerAny(req, 'application-id', 'application_id') ?? param(req, 'application_id');
  if (!st.licensed) {
    st.count('licence_refusals');
    return oaError(res, 401, E.licence, `License violation. ${appId ?? 'The application'} is not licensed for use with OpenAccess.`);
  }
  if (!appId || !st.o.applicationIds.includes(appId)) {
    st.count('licence_refusals');
    return oaError(res, 401, E.licence, 'You are not licensed for OpenAccess.');
  }

  if (req.method === 'GET' && req.path === '/directories') {
    // Real servers answer `Name`, not the spec's `NAME` (§1.5).
    return sendJson(res, 200, {
      total_items: 2,
      item_list: [
        { property_value_map: { ID: 'id-1', Name: 'Internal', directory_type: 3 } },
        { property_value_map: { ID: 'id-2', Name: 'CORP.EXAMPLE', directory_type: 1 } },
      ],
      version: API_VERSION,
    });
  }
  if (req.method === 'POST' && req.path === '/authentication') return login(st, req, res);

  const token = headerAny(req, 'session-token', 'session_token') ?? param(req, 'session_token');
  const session = st.session(token, param(req, 'do_not_reset_inactivity_timer') !== 'true');
  if (!session) {
    st.count('session_refusals');
    return oaError(res, 401, E.session, 'The session token is invalid or has expired.', o.empty401);
  }
  st.tickExpiry();

  const path = req.path;
  const m = req.method;
  if (m === 'DELETE' && path === '/authentication') {
    st.sessions.delete(session.token);
    st.count('logouts');
    return sendJson(res, 200, { version: API_VERSION });
  }
  if (m === 'GET' && path === '/keepalive') {
    st.count('keepalives');
    return sendJson(res, 200, { version: API_VERSION });
  }
  if (m === 'GET' && path === '/session')
    return sendJson(res, 200, { token_expiration_time: expiryText(st, session.expiresAt), token_start_time: isoPlus(session.startedAt), user_id: String(session.user.user_id), version: API_VERSION });
  if (m === 'GET' && path === '/logged_in_user')
    return sendJson(res, 200, {
      first_name: session.user.first_name,
      last_name: session.user.last_name,
      password_expiration_time: isoPlus(Date.now() + 60 * 86_400_000),
      ptz_priority: 1,
      user_id: String(session.user.user_id),
      user_name: session.user.user_name,
      version: API_VERSION,
    });
  if (m === 'GET' && path === '/settings/password_policy')
    return sendJson(res, 200, {
      is_inactivity_timeout_policy_enabled: st.o.idleTimeoutMs > 0,
      inactivity_timeout_in_minutes: Math.max(1, Math.round(st.o.idleTimeoutMs / 60_000)),
      version: API_VERSION,
    });
  if (m === 'GET' && path === '/feature_availability') return sendJson(res, 200, { is_available: true, version: API_VERSION });
  if (m === 'GET' && path === '/types') return types(st, res);
  if (m === 'GET' && path === '/type') return typeSchema(st, req, res);
  if (m === 'GET' && (path === '/count' || path === '/instances') && refusedType(session.user, req, res)) return;
  if (m === 'GET' && path === '/count') return count(st, req, res);
  if (m === 'GET' && path === '/instances') return instances(st, req, res);
  if ((m === 'POST' || m === 'PUT' || m === 'DELETE') && path === '/instances')
    return oaError(res, 403, E.readOnly, 'The simulator does not write instances.');
  if (m === 'POST' && path === '/execute_method') return executeMethod(st, req, res);
  if (m === 'GET' && path === '/video_recorders') {
    if (!st.o.videoRecordersEndpoint) return oaError(res, 404, E.route, 'The requested resource does not exist.');
    const rows = [...st.recorders.values()].sort((a, b) => Number(a.id) - Number(b.id));
    paged(st, req, res, rows, (r) => r);
    return;
  }
  if (path === '/queue' && m === 'GET') {
    paged(st, req, res, [...st.queue.values()], (q) => ({ id: q.id, status: queueStatus(st, q.createdAt) }));
    return;
  }
  const qm = /^\/queue\/([\w-]+)$/.exec(path);
  if (qm) return queueItem(st, m, qm[1], res);
  if (path === '/event_subscriptions' || path.startsWith('/event_subscriptions/')) return subscriptions(st, session.user, req, res);
  if (m === 'GET' && path === '/logged_events') return loggedEvents(st, req, res);
  return oaError(res, 404, E.route, 'The requested resource does not exist.');
}

const LOGGED_EVENT_KEYS = ['serial_number', 'timestamp', 'controller_id', 'device_id', 'subdevice_id', 'event_type', 'event_subtype', 'description', 'segment_id'];

/** `GET /logged_events` (7.5 swagger): `filter` required, paged, `order_by` on its keys. */
function loggedEvents(st: SimState, req: Req, res: ServerResponse): void {
  const f = param(req, 'filter');
  if (!f) return oaError(res, 400, E.item, 'The filter parameter is required.');
  if (!st.o.loggedEventsSerialFilter && /serial_number/i.test(f)) return oaError(res, 400, E.filter, 'Invalid filter: serial_number cannot be filtered.');
  let pred;
  try {
    pred = parseFilter(f);
  } catch (e) {
    return oaError(res, 400, E.filter, `Invalid filter: ${(e as Error).message}`);
  }
  st.count('logged_events_queries');
  let rows = st.logged.filter(pred);
  const ob = param(req, 'order_by');
  if (ob && ob.trim() !== '') {
    const [name, dir] = ob.trim().split(/\s+/);
    const key = LOGGED_EVENT_KEYS.find((k) => k.toLowerCase() === name.toLowerCase());
    if (!key) return oaError(res, 400, E.item, `The property ${name} did not exist or contained an invalid value.`);
    const sign = (dir ?? '').toLowerCase() === 'desc' ? -1 : 1;
    rows = [...rows].sort((a, b) => sign * (Number(a[key]) - Number(b[key]) || String(a[key]).localeCompare(String(b[key]))));
  }
  paged(st, req, res, rows, (e) => e);
}

function login(st: SimState, req: Req, res: ServerResponse): void {
  st.count('logins');
  const user = param(req, 'user_name');
  const password = param(req, 'password');
  const dir = param(req, 'directory_id') ?? 'id-1';
  if (!user || !password) {
    st.count('login_failures');
    return oaError(res, 400, E.item, 'Either username and password must be present, or the oidc_token must be present.');
  }
  if (dir !== 'id-1' && dir !== 'id-2') {
    st.count('login_failures');
    return oaError(res, 401, E.directory, `The directory ${dir} does not exist.`);
  }
  const lockKey = `${dir}\\${user}`.toLowerCase();
  if (st.locked.has(lockKey)) {
    st.count('login_failures');
    st.count('login_refused_locked');
    return oaError(res, 401, E.locked, 'The account is locked out.');
  }
  const u = st.o.users.find((x) => x.user_name.toLowerCase() === user.toLowerCase() && x.directory_id === dir);
  if (!u || u.password !== password) {
    st.count('login_failures');
    const n = (st.failedLogins.get(lockKey) ?? 0) + 1;
    st.failedLogins.set(lockKey, n);
    if (n >= st.o.lockoutAttempts) {
      st.locked.add(lockKey);
      st.count('accounts_locked');
    }
    return oaError(res, 401, E.credentials, 'The user name or password is incorrect.');
  }
  st.failedLogins.delete(lockKey);
  const appId = headerAny(req, 'application-id', 'application_id') ?? param(req, 'application_id') ?? '';
  const s = st.newSession(u, appId);
  sendJson(res, 200, {
    session_token: s.token,
    token_expiration_time: expiryText(st, s.expiresAt),
    password_expiration_time: isoPlus(Date.now() + 60 * 86_400_000),
    version: API_VERSION,
  });
}

function types(st: SimState, res: ServerResponse): void {
  if (!st.o.typesEndpoint) return oaError(res, 404, E.route, 'The requested resource does not exist.');
  // The inner shape of `types` is not public (§2.4 [I]): a map of type → parent and children.
  const visible = Object.values(TYPE_DEFS).filter((d) => st.typeVisible(d.type_name));
  const out: Record<string, unknown> = {};
  for (const d of visible) out[d.type_name] = { display_name: d.display_name, parent_type_name: d.parent_type_name, child_type_names: [] };
  sendJson(res, 200, { total_items: visible.length, types: out, version: API_VERSION });
}

function typeSchema(st: SimState, req: Req, res: ServerResponse): void {
  const name = param(req, 'type_name');
  const def = name ? TYPE_DEFS[name] : undefined;
  if (!name || !def || !st.typeVisible(name)) return oaError(res, 400, E.type, `The type ${name ?? ''} does not exist.`);
  if (typeFaultAnswer(st, res, name, 'type')) return;
  sendJson(res, 200, {
    type_name: def.type_name,
    display_name: def.display_name,
    access: 'ReadWrite',
    properties: def.properties.map((p) => ({
      name: p.name,
      type: p.type,
      is_key: Boolean(p.is_key),
      is_required: Boolean(p.is_key),
      access: p.is_key ? 'Read' : 'ReadWrite',
      display_name: p.name,
      max_length: p.type === 'String' ? 64 : 0,
      default_value: null,
      possible_values: [],
      display_attributes: {},
    })),
    methods: (st.o.typeListsMethods ? st.methodsOf(def.type_name) : []).map((mm) => ({
      name: mm,
      in_parameters: [],
      out_parameters: /gethardwarestatus/i.test(mm) ? [{ name: 'Status', type: 'Int32' }] : [],
    })),
    display_groups: [],
    version: API_VERSION,
  });
}

function filtered(st: SimState, req: Req, res: ServerResponse): { type: string; rows: SimDevice[] } | null {
  const type = param(req, 'type_name');
  if (!type) {
    oaError(res, 400, E.item, 'The property type_name did not exist or contained an invalid value.');
    return null;
  }
  if (!st.typeVisible(type)) {
    oaError(res, 400, E.type, `The type ${type} does not exist.`);
    return null;
  }
  if (typeFaultAnswer(st, res, type, 'instances')) return null;
  let rows = st.list(type);
  const f = param(req, 'filter');
  if (f && f.trim() !== '') {
    try {
      const pred = parseFilter(f);
      rows = rows.filter((d) => pred(d.props));
    } catch (e) {
      oaError(res, 400, E.filter, e instanceof FilterError ? `Invalid filter: ${e.message}` : 'Invalid filter.');
      return null;
    }
  }
  return { type, rows };
}

function count(st: SimState, req: Req, res: ServerResponse): void {
  const r = filtered(st, req, res);
  if (r) sendJson(res, 200, { total_items: r.rows.length, version: API_VERSION });
}

function instances(st: SimState, req: Req, res: ServerResponse): void {
  const r = filtered(st, req, res);
  if (!r) return;
  const rows = ordered(r.type, r.rows, param(req, 'order_by'), st.o.orderBy);
  if (typeof rows === 'string') {
    st.count('order_by_refused');
    return oaError(res, 400, E.item, `The property ${rows} did not exist or contained an invalid value.`);
  }
  if (param(req, 'queue') === 'true') {
    // §1.8: 202 + later GET /queue/{id}. The answer is computed now (a snapshot).
    const id = randomUUID();
    const cap = { status: 0, body: undefined as unknown };
    const fake = {
      writeHead: (s: number) => {
        cap.status = s;
        return fake;
      },
      end: (t: string) => {
        cap.body = JSON.parse(t);
      },
    } as unknown as ServerResponse;
    paged(st, req, fake, rows, (d) => ({ property_value_map: { ...d.props } }), { type_name: r.type });
    st.queue.set(id, { id, createdAt: Date.now(), response: cap.body });
    return sendJson(res, 202, { id, status: 'pending', version: API_VERSION });
  }
  paged(st, req, res, rows, (d) => ({ property_value_map: { ...d.props } }), { type_name: r.type });
}

function queueStatus(st: SimState, createdAt: number): string {
  return Date.now() - createdAt >= st.o.queueCompleteAfterMs ? 'complete' : 'pending';
}

function queueItem(st: SimState, method: string, id: string, res: ServerResponse): void {
  const q = st.queue.get(id);
  // Finished tasks are deleted after an hour (§1.8).
  if (!q || Date.now() - q.createdAt > 3_600_000) return oaError(res, 404, E.notFound, `The queued task ${id} was not found.`);
  if (method === 'DELETE') {
    st.queue.delete(id);
    return sendJson(res, 200, { version: API_VERSION });
  }
  const status = queueStatus(st, q.createdAt);
  sendJson(res, 200, status === 'complete' ? { id, status, response: q.response, version: API_VERSION } : { id, status, version: API_VERSION });
}

function executeMethod(st: SimState, req: Req, res: ServerResponse): void {
  const type = param(req, 'type_name');
  const method = param(req, 'method_name');
  if (!type || !method) return oaError(res, 400, E.item, 'The property type_name or method_name did not exist or contained an invalid value.');
  const def = TYPE_DEFS[type];
  if (!def || !st.typeVisible(type)) return oaError(res, 400, E.type, `The type ${type} does not exist.`);
  const exact = st.o.methodSpelling === 'upper-exact';
  const mm = st.methodsOf(type).find((x) => (exact ? x === method : x.toLowerCase() === method.toLowerCase()));
  if (!mm) return oaError(res, 400, E.method, `The method ${method} does not exist on type ${type}.`);
  const pvm = req.body.property_value_map;
  if (!pvm || typeof pvm !== 'object' || Array.isArray(pvm)) return oaError(res, 400, E.item, 'The property property_value_map did not exist or contained an invalid value.');
  // Samples send key values as strings (§4.1): keyFromProps coerces numeric strings.
  const key = keyFromProps(type, pvm as Record<string, unknown>);
  const d = key === null ? undefined : st.get(type, key);
  if (!d) {
    const keys = def.properties.filter((p) => p.is_key).map((p) => p.name).join(', ');
    return oaError(res, 400, E.item, `The property ${keys} did not exist or contained an invalid value.`);
  }
  st.count(`method ${mm}`);
  st.countAudit(type, mm);
  if (/^gethardwarestatus$/i.test(mm)) return sendJson(res, 200, { out_parameter_value_map: { Status: st.effectiveStatus(d) ?? 0 }, version: API_VERSION });
  sendJson(res, 200, { out_parameter_value_map: {}, version: API_VERSION });
}

function subscriptions(st: SimState, user: import('./state').SimUser, req: Req, res: ServerResponse): void {
  const idm = /^\/event_subscriptions\/(\d+)$/.exec(req.path);
  const isSa = user.user_name.toLowerCase() === 'sa';
  const visible = (s: { user_id: string }) => isSa || s.user_id === String(user.user_id);
  if (!idm) {
    if (req.method === 'GET') {
      const rows = [...st.subscriptions.values()].filter(visible).sort((a, b) => a.id - b.id);
      paged(st, req, res, rows, subscriptionJson);
      return;
    }
    if (req.method === 'POST') {
      const filter = typeof req.body.filter === 'string' ? req.body.filter : '';
      try {
        parseFilter(filter);
      } catch (e) {
        return oaError(res, 400, E.filter, `Invalid filter: ${(e as Error).message}`);
      }
      const sub = st.createSubscription(user, req.body);
      if (!sub) return oaError(res, 500, E.unexpected, 'The maximum number of event subscriptions has been reached.');
      return sendJson(res, 200, subscriptionJson(sub));
    }
    return oaError(res, 404, E.route, 'The requested resource does not exist.');
  }
  const s = st.subscriptions.get(Number(idm[1]));
  if (!s || !visible(s)) return oaError(res, 404, E.notFound, `The subscription ${idm[1]} was not found.`);
  if (req.method === 'GET') return sendJson(res, 200, subscriptionJson(s));
  if (req.method === 'PUT') {
    if (typeof req.body.filter === 'string') {
      try {
        parseFilter(req.body.filter);
      } catch (e) {
        return oaError(res, 400, E.filter, `Invalid filter: ${(e as Error).message}`);
      }
      s.filter = req.body.filter;
    }
    if (typeof req.body.description === 'string') s.description = req.body.description;
    s.last_updated_date = st.localIso(new Date());
    return sendJson(res, 200, subscriptionJson(s));
  }
  if (req.method === 'DELETE') {
    // DELETE disables without purging (§5.2).
    s.is_enabled = false;
    return sendJson(res, 200, subscriptionJson(s));
  }
  return oaError(res, 404, E.route, 'The requested resource does not exist.');
}
