import { describeError, errorKind, type SystemConfig } from '@edge/platform';
import { callKind, callsSince, emptyFindings, InventoryTally, perHour, type CallMeter, type SurveyContext, type VendorFindings } from '@edge/collector-kit/survey';
import { tlsAgentOptions } from '../client/tls';
import { webSdkBase } from '../client/urls';
import { WebSdkClient, type WebSdkClientOptions, type WebSdkResult } from '../client/web-sdk-client';
import { parseGenetecConfig, type GenetecConfig } from '../config';
import { subscriptionQuery } from '../events/subscriptions';
import { walkInventory } from '../inventory';
import { mapDevice } from '../mapper';
import { Projector } from '../projection';

/** The product's Web SDK client with every call counted and timed by kind. */
class MeteredClient extends WebSdkClient {
  constructor(
    o: WebSdkClientOptions,
    private readonly meter: CallMeter,
  ) {
    super(o);
  }
  override get(path: string, signal?: AbortSignal): Promise<WebSdkResult> {
    return this.meter.time(callKind('GET', `/${path.split('?')[0]}`), () => super.get(path, signal));
  }
}

function clientFor(cfg: GenetecConfig, ctx: SurveyContext): MeteredClient {
  const o = { base: webSdkBase(cfg.base_url, cfg.web_sdk_path), username: cfg.username, applicationId: cfg.application_id, password: cfg.password, tls: tlsAgentOptions(cfg.tls) };
  return new MeteredClient({ ...o, timeoutMs: Math.min(cfg.request_timeout, ctx.timeoutMs), retryForMs: Math.min(cfg.retry_for, ctx.timeoutMs), refusedRetryAfterMs: 3_600_000, log: ctx.log }, ctx.meter);
}

/** Survey of one Security Center system: sign-in, entities per type, event stream sign of life, cost. Reads only. */
export async function surveyGenetec(ctx: SurveyContext): Promise<VendorFindings> {
  const cfg = parseGenetecConfig(ctx.system);
  const client = clientFor(cfg, ctx);
  const f = emptyFindings();
  f.product = { name: 'Security Center (Web SDK)', version: null, allows: ['Web SDK: entity configuration report, projections, /events'], lacks: [] };
  try {
    ctx.progress('signing in to the Web SDK');
    if (!(await signIn(client, f))) return f;
    const before = ctx.meter.snapshot();
    const walkMs = await inventoryStep(cfg, client, f, ctx);
    const listing = callsSince(ctx.meter.snapshot(), before);
    await eventsStep(cfg, client, f, ctx);
    costAndTimings({ ...cfg, inventory_interval: ctx.system.inventory_interval, status_interval: ctx.system.status_interval }, f, listing, walkMs);
    return f;
  } finally {
    client.close();
  }
}

async function signIn(client: WebSdkClient, f: VendorFindings): Promise<boolean> {
  try {
    await client.get('');
    f.checks.push({ id: 'login', title: 'Login', level: 'ok', detail: `signed in to the Web SDK at ${client.base}` });
    return true;
  } catch (e) {
    const msg = describeError(e);
    const fix =
      errorKind(e) === 'auth'
        ? 'a licence refusal needs the Web SDK option and the SDK certificate (application_id); a privilege refusal needs "Log on using the SDK"; else check user and password (not an Active Directory user). One attempt was made'
        : /TLS/i.test(msg)
          ? 'fix TLS first (see the TLS line)'
          : 'check base_url and web_sdk_path: the Web SDK role answers at its Base URI (401 without credentials)';
    f.checks.push({ id: 'login', title: 'Login', level: 'fail', detail: msg, fix });
    return false;
  }
}

/** Walks the inventory as the collector does and counts it per type; returns how long it took (ms). */
async function inventoryStep(cfg: GenetecConfig, client: WebSdkClient, f: VendorFindings, ctx: SurveyContext): Promise<number> {
  ctx.progress(`listing ${cfg.entity_types.join(', ')}`);
  const t0 = Date.now();
  const tally = new InventoryTally();
  const mapCtx = { vendor: 'genetec', system_id: cfg.id, site_id: ctx.siteId, customer_id: ctx.customerId, observed_at: new Date().toISOString() };
  const refusedExtras = new Set<string>();
  const projector = new Projector(client, { batch: cfg.projection_batch, concurrency: cfg.concurrency, log: ctx.log });
  const signal = AbortSignal.timeout(Math.max(ctx.timeoutMs, 10 * 60_000));
  try {
    const stats = await walkInventory(client, projector, { entityTypes: cfg.entity_types, extraFields: cfg.extra_fields, pageSize: cfg.page_size, signal, log: ctx.log, sink: null }, refusedExtras, async (entity, parent) => {
      tally.add(mapDevice({ entity, parent }, mapCtx));
    });
    for (const x of stats.failed) f.refused.push({ what: x.type, reason: x.reason });
    const partial = stats.failed.length > 0 || refusedExtras.size > 0;
    const notes = [stats.failed.length ? `could not list ${stats.failed.map((x) => x.type).join(', ')}` : '', refusedExtras.size ? `extra fields refused for ${[...refusedExtras].join(', ')} (no IP/MAC for them)` : ''].filter(Boolean);
    f.checks.push({ id: 'reach', title: 'Account reach', level: partial ? 'warn' : 'ok', detail: partial ? notes.join('; ') : 'every entity type could be listed', ...(partial ? { fix: 'give the user read rights on every listed entity type, or adjust entity_types / extra_fields' } : {}) });
  } catch (e) {
    f.refused.push({ what: 'inventory', reason: describeError(e) });
    f.checks.push({ id: 'reach', title: 'Account reach', level: 'fail', detail: describeError(e), fix: 'the user needs read rights on the entity types listed in entity_types' });
  }
  f.inventory = tally.result();
  const walkMs = Date.now() - t0;
  f.checks.push({ id: 'inventory', title: 'Inventory', level: f.inventory.total > 0 ? 'ok' : 'warn', detail: `${f.inventory.total} entities listed in ${(walkMs / 1000).toFixed(1)} s` });
  return walkMs;
}

/** Subscribes, opens `/events` and waits for its first byte (an event or a keep-alive line); unsubscribes. */
async function eventsStep(cfg: GenetecConfig, client: WebSdkClient, f: VendorFindings, ctx: SurveyContext): Promise<void> {
  if (!cfg.events) {
    f.events = { state: 'skipped', detail: 'events: false in the config', first_sign_ms: null };
    return;
  }
  ctx.progress('event stream: subscribe, open /events, wait for a sign of life');
  const q = encodeURIComponent(subscriptionQuery(cfg.event_types));
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error('no sign of life')), ctx.eventsWaitMs);
  const t0 = Date.now();
  try {
    await client.get(`events/subscribe?q=${q}`, ac.signal);
    const res = await ctx.meter.time('GET /events (first byte)', async () => {
      const r = await client.stream('events', ac.signal);
      await new Promise<void>((resolve, reject) => {
        r.once('data', () => resolve());
        r.once('close', () => reject(new Error(ac.signal.aborted ? `no byte within ${ctx.eventsWaitMs / 1000} s` : 'the server closed the stream')));
      });
      return r;
    });
    res.destroy();
    f.events = { state: 'ok', detail: 'subscribed; the /events stream sent its first line', first_sign_ms: Date.now() - t0 };
    f.checks.push({ id: 'events', title: 'Event stream', level: 'ok', detail: `${f.events.detail} after ${f.events.first_sign_ms} ms` });
  } catch (e) {
    const silent = ac.signal.aborted;
    const detail = silent ? `subscribed, but the stream sent nothing within ${ctx.eventsWaitMs / 1000} s (a quiet site writes only keep-alives, if any): rerun with a longer --events-wait before treating this as a fault` : describeError(e);
    f.events = { state: silent ? 'silent' : 'failed', detail, first_sign_ms: null };
    f.checks.push({ id: 'events', title: 'Event stream', level: 'warn', detail: `${f.events.state}: ${detail}`, fix: 'check the Web SDK role and its streaming port; until the stream works, status comes from polls' });
  } finally {
    clearTimeout(timer);
    await client.get(`events/unsubscribe?q=${q}`, AbortSignal.timeout(5_000)).catch(() => undefined);
  }
}

function costAndTimings(cfg: GenetecConfig & Pick<SystemConfig, 'inventory_interval' | 'status_interval'>, f: VendorFindings, listing: VendorFindings['timings']['calls'], walkMs: number): void {
  const syncs = perHour(cfg.inventory_interval);
  const lines = listing.map((c) => ({ method: c.method, calls: Math.round(c.calls * syncs * 10) / 10, why: `${c.calls} per inventory sync × ${syncs.toFixed(2)} syncs/h` }));
  const polls = perHour(cfg.status_interval);
  // A status poll projects the state fields of every entity of the last inventory: as many /entity calls as the walk.
  for (const c of listing.filter((x) => /^GET \/entity$/i.test(x.method))) lines.push({ method: `${c.method} (status poll)`, calls: Math.round(c.calls * polls * 10) / 10, why: `${c.calls} per status poll × ${polls.toFixed(2)} polls/h` });
  f.cost = { per_hour: lines.filter((l) => l.calls > 0), total_per_hour: Math.round(lines.reduce((a, l) => a + l.calls, 0)), audit_rows_per_day: null, intervals: { inventory_s: cfg.inventory_interval / 1000, status_s: cfg.status_interval / 1000 } };
  const pages = listing.filter((c) => /entityconfiguration/i.test(c.method));
  const pageCalls = pages.reduce((a, c) => a + c.calls, 0);
  f.timings = { calls: listing, page_ms_avg: pageCalls ? Math.round(pages.reduce((a, c) => a + c.total_ms, 0) / pageCalls) : null, inventory_walk_ms: walkMs, estimated_full_sync_s: Math.round(walkMs / 100) / 10 };
  f.checks.push({ id: 'cost', title: 'Load on Security Center', level: 'ok', detail: `about ${f.cost.total_per_hour} calls/h at inventory every ${cfg.inventory_interval / 60_000} min, status every ${cfg.status_interval / 60_000} min` });
}
