import { z } from 'zod';
import { describeError, errorKind } from '@edge/platform';
import { parseOnGuardSystem, type OnGuardSystemConfig, type OpenAccessClient } from '../index';
import { emptyFindings, versionBelow, versionParts, type SurveyContext, type VendorFindings } from '@edge/collector-kit/survey';
import type { Check } from '@edge/collector-kit/survey';
import { callsSince } from '@edge/collector-kit/survey';
import { MeteredOpenAccessClient } from './metered-client';
import { walkInventory } from './inventory-walk';
import { probeBridge } from './bridge-probe';
import { onguardCost } from './cost';

const LISTING = /^GET \/(types|type|instances|video_recorders|count)$/;

const VersionAnswer = z.looseObject({ product_name: z.string().optional(), product_version: z.string().optional(), version: z.string().optional() });

/**
 * What an OnGuard version allows: `/video_recorders` from 7.5 (the OpenAccess 7.5 OpenAPI spec,
 * github.com/tractionguest/lenel-sdk branch onguard75), `do_not_reset_inactivity_timer` and the
 * wider views of 8.3 (its generated docs, same repo, branch update_open_access_8.3_1), and the
 * 7.4 Update 1 build (7.4.457.69) that sends no device events through OpenAccess (LenelS2
 * DE40122, github.com/mjt-milestone/XPALenelS2DocSite docs/…/OpenAccessEventsFail.md).
 */
export function onguardVersionNotes(version: string | null): { allows: string[]; lacks: string[]; warning: string | null } {
  const v = versionParts(version);
  const allows = ['REST inventory (/instances, /types)', 'hardware status methods', 'Web Event Bridge (SignalR)'];
  const lacks: string[] = [];
  if (v.length === 0) return { allows, lacks: ['version unknown: features assumed from 7.5'], warning: 'the server did not say its version' };
  if (versionBelow(v, [7, 5])) lacks.push('GET /video_recorders (7.5+): recorders are not listed');
  else allows.push('GET /video_recorders');
  if (versionBelow(v, [8, 3])) lacks.push('do_not_reset_inactivity_timer (8.3): keepalives are needed');
  else allows.push('do_not_reset_inactivity_timer, access-panel and device-group views (8.3)');
  let warning: string | null = null;
  if (v[0] === 7 && v[1] === 4 && v[2] === 457) warning = 'OnGuard 7.4 Update 1 (7.4.457.x) sends no device events through OpenAccess (LenelS2 DE40122): status comes only from polls; update OnGuard';
  else if (versionBelow(v, [7, 5])) warning = `OnGuard ${version} is older than 7.5: no recorder listing; update OnGuard for full coverage`;
  return { allows, lacks, warning };
}

function clientFor(cfg: OnGuardSystemConfig, ctx: SurveyContext): OpenAccessClient {
  return new MeteredOpenAccessClient(
    {
      baseUrl: cfg.base_url,
      username: cfg.username,
      password: cfg.password,
      directoryId: cfg.directory_id,
      applicationId: cfg.application_id,
      apiVersion: cfg.api_version,
      tls: cfg.tls,
      requestTimeoutMs: Math.min(cfg.request_timeout, ctx.timeoutMs),
      connectTimeoutMs: Math.min(cfg.connect_timeout, ctx.timeoutMs),
      maxConcurrency: cfg.max_concurrency,
      requestRetries: 1,
      keepaliveIntervalMs: 0,
      log: ctx.log,
    },
    ctx.meter,
  );
}

/** Survey of one OnGuard system: version, login, reach, inventory, event bridge, cost. Reads only. */
export async function surveyOnGuard(ctx: SurveyContext): Promise<VendorFindings> {
  const cfg = parseOnGuardSystem(ctx.system);
  const client = clientFor(cfg, ctx);
  const f = emptyFindings();
  try {
    await versionStep(client, f, ctx);
    if (!(await loginStep(client, f, ctx))) return f;
    const before = ctx.meter.snapshot();
    const walk = await walkInventory(client, cfg, ctx);
    // What a sync lists (the session's own calls, e.g. the password policy read after login, are not per sync).
    const listing = callsSince(ctx.meter.snapshot(), before).filter((c) => LISTING.test(c.method));
    f.inventory = walk.tally.result();
    f.refused = walk.refused;
    f.checks.push(reachCheck(walk.refused, cfg.username));
    f.checks.push({ id: 'inventory', title: 'Inventory', level: f.inventory.total > 0 ? 'ok' : 'warn', detail: `${f.inventory.total} devices listed in ${(walk.ms / 1000).toFixed(1)} s`, fix: f.inventory.total > 0 ? undefined : 'the account lists no hardware: check its segment and permissions' });
    f.events = await probeBridge(client, cfg, ctx);
    f.checks.push(eventsCheck(f.events));
    const session = client.state().token_expires_at;
    f.cost = onguardCost(cfg, { listingCalls: listing, panels: walk.panels, statusCapable: walk.statusCapable, sessionMs: session ? Math.max(60_000, Date.parse(session) - Date.now()) : null });
    const pages = listing.find((c) => c.method === 'GET /instances');
    const pageMs = pages ? pages.total_ms / pages.calls : null;
    const statusCalls = walk.statusCapable + (cfg.status.update_panels ? walk.panels : 0);
    const statusS = cfg.inventory.status ? (statusCalls * (pageMs ?? 50)) / cfg.status.concurrency / 1000 + (cfg.status.update_panels ? cfg.status.update_settle / 1000 : 0) : 0;
    f.timings = { calls: listing, page_ms_avg: pageMs === null ? null : Math.round(pageMs), inventory_walk_ms: walk.ms, estimated_full_sync_s: Math.round((walk.ms / 1000 + statusS) * 10) / 10 };
    f.checks.push({
      id: 'cost',
      title: 'Load on OnGuard',
      level: (f.cost.audit_rows_per_day ?? 0) > 200_000 ? 'warn' : 'ok',
      detail: `${f.cost.total_per_hour} calls/h; ${f.cost.audit_rows_per_day} audit rows/day at inventory every ${cfg.inventory_interval / 60_000} min, status every ${cfg.status_interval / 60_000} min`,
      fix: (f.cost.audit_rows_per_day ?? 0) > 200_000 ? 'raise status_interval (or turn off inventory.status) so the user transaction report is not flooded' : undefined,
    });
  } finally {
    const hadSession = client.state().session === 'active';
    const t0 = Date.now();
    await client.close(true);
    if (hadSession) ctx.meter.add('DELETE /authentication', Date.now() - t0);
  }
  return f;
}

async function versionStep(client: OpenAccessClient, f: VendorFindings, ctx: SurveyContext): Promise<void> {
  ctx.progress('reading the version');
  try {
    const v = await client.request({ method: 'GET', path: '/version', schema: VersionAnswer, auth: false });
    const notes = onguardVersionNotes(v.product_version ?? null);
    f.product = { name: v.product_name ?? 'OnGuard', version: v.product_version ?? null, allows: notes.allows, lacks: notes.lacks };
    f.checks.push({ id: 'version', title: 'Product and version', level: notes.warning ? 'warn' : 'ok', detail: `${v.product_name ?? 'OnGuard'} ${v.product_version ?? '(unknown)'}`, fix: notes.warning ?? undefined });
  } catch (e) {
    f.checks.push({ id: 'version', title: 'Product and version', level: 'warn', detail: `GET /version failed: ${describeError(e)}` });
  }
}

async function loginStep(client: OpenAccessClient, f: VendorFindings, ctx: SurveyContext): Promise<boolean> {
  ctx.progress('logging in');
  const t0 = Date.now();
  try {
    await client.sessionToken();
    ctx.meter.add('POST /authentication', Date.now() - t0);
    f.checks.push({ id: 'login', title: 'Login', level: 'ok', detail: `logged in (session until ${client.state().token_expires_at ?? 'unknown'})` });
    return true;
  } catch (e) {
    ctx.meter.add('POST /authentication', Date.now() - t0);
    const msg = describeError(e);
    const fix = /invalidapplicationid|licen[cs]e/i.test(msg)
      ? 'the Application-Id is not licensed on this server: check application_id and the OpenAccess licence'
      : errorKind(e) === 'auth'
        ? 'check username, password and directory_id (one attempt was made; repeated failures lock the account)'
        : /TLS/i.test(msg)
          ? 'fix TLS first (see the TLS line)'
          : 'check base_url and that LS OpenAccess is running';
    f.checks.push({ id: 'login', title: 'Login', level: 'fail', detail: msg.replace(/\s*\(not retrying until[^)]*\)/, ''), fix });
    return false;
  }
}

function reachCheck(refused: VendorFindings['refused'], user: string): Check {
  if (refused.length === 0) return { id: 'reach', title: 'Account reach', level: 'ok', detail: 'every configured type could be listed' };
  return {
    id: 'reach',
    title: 'Account reach',
    level: 'warn',
    detail: `${refused.length} listing(s) refused: ${refused.map((r) => r.what).join(', ')}`,
    fix: `give "${user}" access to all hardware (an SA-level or segment-wide account; reference §6.8), or remove the refused types from inventory.types; their devices would be missing`,
  };
}

function eventsCheck(e: VendorFindings['events']): Check {
  const base = { id: 'events' as const, title: 'Event stream' };
  if (e.state === 'ok') return { ...base, level: 'ok', detail: `${e.detail}; first sign after ${e.first_sign_ms} ms` };
  if (e.state === 'skipped') return { ...base, level: 'warn', detail: e.detail, fix: 'turn events on for live status; polls alone see changes only every status_interval' };
  return {
    ...base,
    level: 'warn',
    detail: `${e.state}: ${e.detail}`,
    fix: 'check that LS Web Event Bridge, LS Message Broker and LS Event Context Provider run on the OnGuard host (reference §5.1); until then status comes from polls only',
  };
}
