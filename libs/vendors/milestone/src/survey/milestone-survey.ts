import { z } from 'zod';
import { describeError, errorKind, type SystemConfig } from '@edge/platform';
import {
  subscriptionGroups,
  ConfigApiClient,
  gatewayUrls,
  HttpTransport,
  IdpAuth,
  milestoneMapper,
  MilestoneDevicePayload,
  oneShotState,
  parseMilestoneConfig,
  safeJson,
  streamInventory,
  tlsOptionsFrom,
  type HttpRequest,
  type HttpResponse,
  type HttpTransportOptions,
  type MilestoneConfig,
} from '../index';
import { emptyFindings, perHour, versionBelow, versionParts, type SurveyContext, type VendorFindings } from '@edge/collector-kit/survey';
import { callKind, callsSince, type CallMeter } from '@edge/collector-kit/survey';
import { InventoryTally } from '@edge/collector-kit/survey';

/** The product's HTTP transport with every call counted and timed by kind. */
class MeteredHttp extends HttpTransport {
  constructor(
    o: HttpTransportOptions,
    private readonly meter: CallMeter,
  ) {
    super(o);
  }
  override request(method: string, url: string, r: HttpRequest = {}): Promise<HttpResponse> {
    return this.meter.time(callKind(method, new URL(url).pathname.replace(/^\/api\/rest\/v1/i, '')), () => super.request(method, url, r));
  }
}

const WellKnown = z.looseObject({ ProductVersion: z.string().optional() });

/**
 * What an XProtect version allows: the Events and State WebSocket API — live state — from 2023
 * R3 (https://doc.developer.milestonesys.com/mipvmsapi/api/events-ws/v1 and the protocol samples,
 * github.com/milestonesys/mipsdk-samples-protocol EventsAndStateWebSocketApiPython/README.md).
 * The version is `ProductVersion` of `/api/.well-known/uris`, else `sites[0].version`.
 */
export function milestoneVersionNotes(version: string | null): { allows: string[]; lacks: string[]; warning: string | null } {
  const v = versionParts(version);
  if (v.length === 0) return { allows: ['Configuration REST API'], lacks: [], warning: 'the server did not say its version' };
  const allows = ['Configuration REST API (inventory)'];
  const lacks: string[] = [];
  let warning: string | null = null;
  if (versionBelow(v, [23, 3])) {
    lacks.push('Events and State WebSocket API (2023 R3+): no live state');
    warning = `XProtect ${version} is older than 2023 R3: no live device state; status comes only from polls every status_interval. Upgrade to 2023 R3 or later for live status`;
  } else allows.push('Events and State WebSocket API (live state)');
  return { allows, lacks, warning };
}

function clients(cfg: MilestoneConfig, ctx: SurveyContext) {
  const urls = gatewayUrls(cfg.base_url);
  const tls = tlsOptionsFrom(cfg.tls);
  const http = new MeteredHttp({ tls, timeoutMs: Math.min(cfg.request_timeout, ctx.timeoutMs) }, ctx.meter);
  const auth = new IdpAuth({ root: urls.root, username: cfg.username, password: cfg.password, clientId: cfg.client_id, tokenPath: cfg.token_path, http, log: ctx.log, authRetryAfterMs: 3_600_000, accountProblemRetryAfterMs: 3_600_000 });
  const api = new ConfigApiClient({ restBase: urls.rest, auth, http, log: ctx.log, retryForMs: Math.min(cfg.retry_for, ctx.timeoutMs), timeoutMs: Math.min(cfg.request_timeout, ctx.timeoutMs) });
  return { urls, tls, http, auth, api };
}

/** Survey of one XProtect system: version, login, inventory, events socket, cost. Reads only. */
export async function surveyMilestone(ctx: SurveyContext): Promise<VendorFindings> {
  const cfg = parseMilestoneConfig(ctx.system);
  const c = clients(cfg, ctx);
  const f = emptyFindings();
  ctx.progress('reading the version');
  const known = await c.http.request('GET', `${c.urls.root}/api/.well-known/uris`, { timeoutMs: ctx.timeoutMs }).catch(() => null);
  const wk = WellKnown.safeParse(known && known.status === 200 ? safeJson(known.text) : {});
  let version = wk.success ? (wk.data.ProductVersion ?? null) : null;
  ctx.progress('logging in');
  try {
    await c.auth.getToken();
    f.checks.push({ id: 'login', title: 'Login', level: 'ok', detail: `token from ${c.auth.state().token_url ?? 'the IDP'} (until ${c.auth.state().expires_at})` });
  } catch (e) {
    const msg = describeError(e);
    const fix = errorKind(e) === 'auth' ? 'check username and password (a basic user, or the Windows account as DOMAIN\\user where supported); one attempt was made' : /TLS/i.test(msg) ? 'fix TLS first (see the TLS line)' : 'check base_url: the API Gateway answers at /API/IDP/connect/token';
    f.checks.push({ id: 'login', title: 'Login', level: 'fail', detail: msg, fix });
    versionCheck(f, version);
    return f;
  }
  const before = ctx.meter.snapshot();
  const t0 = Date.now();
  const tally = new InventoryTally();
  const mapCtx = { vendor: 'milestone', system_id: cfg.id, site_id: ctx.siteId, customer_id: ctx.customerId, observed_at: new Date().toISOString() };
  ctx.progress('listing recording servers, hardware and devices');
  try {
    const stats = await streamInventory(
      c.api,
      { pageSize: cfg.page_size, driverSettingsConcurrency: cfg.driver_settings_concurrency, fetchDriverSettings: cfg.driver_settings, cameraGroups: cfg.camera_groups, childTypes: cfg.child_types, log: ctx.log },
      async (d) => {
        const p = MilestoneDevicePayload.safeParse(d);
        if (p.success) tally.add(milestoneMapper.mapDevice(p.data, mapCtx));
      },
    );
    version = version ?? stats.site_version;
    f.inventory = tally.result();
    f.checks.push({ id: 'reach', title: 'Account reach', level: 'ok', detail: 'every collection could be listed' });
    f.checks.push({ id: 'inventory', title: 'Inventory', level: f.inventory.total > 0 ? 'ok' : 'warn', detail: `${f.inventory.total} devices listed in ${((Date.now() - t0) / 1000).toFixed(1)} s${stats.driver_settings_missing ? `; driver settings missing for ${stats.driver_settings_missing} hardware` : ''}` });
  } catch (e) {
    f.refused.push({ what: 'inventory', reason: describeError(e) });
    f.inventory = tally.result();
    f.checks.push({ id: 'reach', title: 'Account reach', level: 'fail', detail: describeError(e), fix: 'the account must read the configuration of every recording server (its role needs read access to all hardware and devices)' });
  }
  const walkMs = Date.now() - t0;
  const listing = callsSince(ctx.meter.snapshot(), before).filter((c) => !/token|well-known/i.test(c.method));
  versionCheck(f, version);
  await eventsStep(cfg, c, f, ctx, version);
  costAndTimings({ ...cfg, inventory_interval: ctx.system.inventory_interval, status_interval: ctx.system.status_interval }, f, listing, walkMs, c.auth.state().expires_at);
  return f;
}

function versionCheck(f: VendorFindings, version: string | null): void {
  const notes = milestoneVersionNotes(version);
  f.product = { name: 'XProtect', version, allows: notes.allows, lacks: notes.lacks };
  f.checks.unshift({ id: 'version', title: 'Product and version', level: notes.warning ? 'warn' : 'ok', detail: `XProtect ${version ?? '(unknown)'}`, fix: notes.warning ?? undefined });
}

async function eventsStep(cfg: MilestoneConfig, c: ReturnType<typeof clients>, f: VendorFindings, ctx: SurveyContext, version: string | null): Promise<void> {
  if (versionBelow(versionParts(version), [23, 3]) && versionParts(version).length > 0) {
    f.events = { state: 'unavailable', detail: `the Events and State WebSocket API needs 2023 R3; this is ${version}`, first_sign_ms: null };
    f.checks.push({ id: 'events', title: 'Event stream', level: 'warn', detail: f.events.detail, fix: 'upgrade XProtect to 2023 R3 or later for live state; until then status comes from polls' });
    return;
  }
  ctx.progress('events socket: session, subscription, state');
  const t0 = Date.now();
  const wait = ctx.eventsWaitMs;
  try {
    const rows = await ctx.meter.time('WS startSession+addSubscription+getState', () =>
      oneShotState({
        wsUrl: c.urls.ws,
        tls: c.tls,
        auth: c.auth,
        log: ctx.log,
        subscriptions: () => subscriptionGroups({ childTypes: cfg.child_types, recordingServerTypes: null, includeRecordingServers: true }),
        commandTimeoutMs: wait,
        getStateTimeoutMs: wait,
        maxPayloadBytes: cfg.ws_max_payload,
        pingIntervalMs: cfg.ws_ping_interval,
        handshakeTimeoutMs: Math.min(wait, ctx.timeoutMs),
      }),
    );
    f.events = { state: 'ok', detail: `subscribed; getState answered ${rows.length} state rows`, first_sign_ms: Date.now() - t0 };
    f.checks.push({ id: 'events', title: 'Event stream', level: 'ok', detail: `${f.events.detail} after ${f.events.first_sign_ms} ms` });
  } catch (e) {
    const msg = describeError(e);
    const silent = /timeout|no reply|within/i.test(msg);
    const detail = silent ? `connected, but no answer within ${wait / 1000} s (${msg}); getState of a large site can take minutes: rerun with a longer --events-wait before treating this as a fault` : msg;
    f.events = { state: silent ? 'silent' : 'failed', detail, first_sign_ms: null };
    f.checks.push({ id: 'events', title: 'Event stream', level: 'warn', detail: `${f.events.state}: ${f.events.detail}`, fix: 'check the API Gateway and the Event Server (the events socket is /api/ws/events/v1); until it answers, status comes from polls' });
  }
}

function costAndTimings(cfg: MilestoneConfig & Pick<SystemConfig, 'inventory_interval' | 'status_interval'>, f: VendorFindings, listing: VendorFindings['timings']['calls'], walkMs: number, tokenUntil: string | null): void {
  const syncs = perHour(cfg.inventory_interval);
  const lines = listing.map((c) => ({ method: c.method, calls: Math.round(c.calls * syncs * 10) / 10, why: `${c.calls} per inventory sync × ${syncs.toFixed(2)} syncs/h` }));
  if (f.events.state === 'ok') lines.push({ method: 'WS getState', calls: Math.round(perHour(cfg.status_interval) * 10) / 10, why: `one per status_interval (${cfg.status_interval / 1000} s)` });
  const lifetime = tokenUntil ? Math.max(60_000, Date.parse(tokenUntil) - Date.now()) : 3_600_000;
  lines.push({ method: 'POST /API/IDP/connect/token', calls: Math.round(perHour(lifetime * 0.8) * 10) / 10, why: 'token renewed before it expires' });
  f.cost = { per_hour: lines.filter((l) => l.calls > 0), total_per_hour: Math.round(lines.reduce((a, l) => a + l.calls, 0)), audit_rows_per_day: null, intervals: { inventory_s: cfg.inventory_interval / 1000, status_s: cfg.status_interval / 1000 } };
  const pages = listing.filter((c) => /^GET \/(hardware|cameras|microphones|speakers|metadata|inputEvents|outputs)$/i.test(c.method));
  const pageCalls = pages.reduce((a, c) => a + c.calls, 0);
  f.timings = {
    calls: listing,
    page_ms_avg: pageCalls ? Math.round(pages.reduce((a, c) => a + c.total_ms, 0) / pageCalls) : null,
    inventory_walk_ms: walkMs,
    estimated_full_sync_s: Math.round(walkMs / 100) / 10,
  };
  f.checks.push({ id: 'cost', title: 'Load on XProtect', level: 'ok', detail: `${f.cost.total_per_hour} calls/h at inventory every ${cfg.inventory_interval / 60_000} min, status every ${cfg.status_interval / 60_000} min` });
}
