import type { Logger } from 'pino';
import { customerIdFor, describeError, EDGE_VERSION, type EdgeConfig, type SystemConfig } from '@edge/platform';
import type { SurveyContext, VendorFindings, VendorSurvey } from '@edge/collector-kit/survey';
import { CallMeter } from '@edge/collector-kit/survey';
import { vendorById } from '@edge/vendors';
import type { Check, SurveyReport, SystemSurvey } from '@edge/collector-kit/survey';
import { probeTcp, probeTls } from './tls-probe';
import { verdictOf } from './verdict';

/** A vendor's survey, from its descriptor in the vendor list. */
async function surveyOf(vendor: string): Promise<VendorSurvey | undefined> {
  return vendorById(vendor)?.survey();
}

export interface RunOptions {
  eventsWaitMs: number;
  timeoutMs: number;
  log: Logger;
  progress(systemId: string, step: string): void;
}

/** Reachability and TLS: the same for every vendor, before any login. */
async function transportChecks(s: SystemConfig, o: RunOptions): Promise<{ checks: Check[]; tls: SystemSurvey['tls']; usable: boolean }> {
  const checks: Check[] = [];
  o.progress(s.id, 'connecting');
  const tcp = await probeTcp(s.base_url, o.timeoutMs);
  checks.push({ id: 'reachability', title: 'Reachability', level: tcp.ok ? 'ok' : 'fail', detail: tcp.ok ? `${new URL(s.base_url).host} answers (TCP ${tcp.ms} ms)` : (tcp.error ?? 'unreachable'), fix: tcp.ok ? undefined : 'check base_url (host and port), the firewall between the edge box and the server, and that the service runs' });
  if (!tcp.ok) return { checks, tls: null, usable: false };
  o.progress(s.id, 'TLS');
  const tls = await probeTls(s.base_url, s.tls, o.timeoutMs);
  if (!tls) {
    checks.push({ id: 'tls', title: 'TLS', level: 'warn', detail: 'plain HTTP: credentials and data cross the network unencrypted', fix: 'use https:// in base_url where the server offers it' });
    return { checks, tls, usable: true };
  }
  const what = `certificate ${tls.subject ?? '?'} issued by ${tls.issuer ?? '?'} (${tls.protocol ?? '?'})`;
  if (tls.verifies_with_config && !s.tls.insecure) checks.push({ id: 'tls', title: 'TLS', level: 'ok', detail: `${what}; verifies${s.tls.ca_file ? ' with tls.ca_file' : ' with the system CAs'}` });
  else if (tls.verifies_with_config) checks.push({ id: 'tls', title: 'TLS', level: 'warn', detail: `${what}; verification is OFF (tls.insecure: true)${tls.error ? `: ${tls.error}` : ''}`, fix: tls.setting ? `prefer verification: ${tls.setting}` : 'remove tls.insecure: the certificate verifies' });
  else if (tls.chain.length === 0)
    checks.push({ id: 'tls', title: 'TLS', level: 'fail', detail: `no TLS handshake: ${tls.error ?? 'unknown reason'}`, fix: "check that base_url's scheme (https) and port are the server's TLS port" });
  else checks.push({ id: 'tls', title: 'TLS', level: 'fail', detail: `${what}; does not verify: ${tls.error ?? 'unknown reason'}`, fix: `set ${tls.setting ?? 'tls.ca_file'}` });
  return { checks, tls, usable: tls.verifies_with_config };
}

/** Surveys one system: never throws; whatever went wrong is a failed check with its reason. */
export async function surveySystem(cfg: EdgeConfig, s: SystemConfig, o: RunOptions): Promise<SystemSurvey> {
  const started = new Date();
  const meter = new CallMeter();
  const transport = await transportChecks(s, o);
  let found: VendorFindings | null = null;
  const checks = [...transport.checks];
  const survey = await surveyOf(s.vendor);
  if (!survey) checks.push({ id: 'login', title: 'Login', level: 'fail', detail: `this build has no survey for vendor "${s.vendor}"` });
  else if (transport.usable) {
    const ctx: SurveyContext = { system: s, siteId: cfg.site.id, customerId: customerIdFor(cfg, s), eventsWaitMs: o.eventsWaitMs, timeoutMs: o.timeoutMs, log: o.log, meter, progress: (step) => o.progress(s.id, step) };
    try {
      found = await survey(ctx);
      checks.push(...found.checks);
    } catch (e) {
      checks.push({ id: 'login', title: 'Survey', level: 'fail', detail: describeError(e), fix: 'see the reason; the settings of this system may be invalid (edge config check)' });
    }
  }
  const order: Check['id'][] = ['reachability', 'tls', 'version', 'login', 'reach', 'inventory', 'events', 'cost'];
  checks.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
  const { verdict, fixes } = verdictOf(checks);
  o.progress(s.id, 'done');
  return {
    system_id: s.id,
    vendor: s.vendor,
    base_url: s.base_url,
    started_at: started.toISOString(),
    duration_ms: Date.now() - started.getTime(),
    product: found?.product ?? null,
    tls: transport.tls,
    inventory: found?.inventory ?? null,
    refused: found?.refused ?? [],
    events: found?.events ?? { state: 'skipped', detail: 'not reached', first_sign_ms: null },
    cost: found?.cost ?? null,
    timings: found?.timings ?? { calls: [], page_ms_avg: null, inventory_walk_ms: null, estimated_full_sync_s: null },
    survey_calls: meter.snapshot(),
    checks,
    verdict,
    fixes,
  };
}

/** Surveys the systems one after the other (each gets the server's full attention). */
export async function runSurvey(cfg: EdgeConfig, systems: SystemConfig[], o: RunOptions): Promise<SurveyReport> {
  const out: SystemSurvey[] = [];
  for (const s of systems) out.push(await surveySystem(cfg, s, o));
  return { schema: 'survey/v1', generated_at: new Date().toISOString(), site_id: cfg.site.id, edge_version: EDGE_VERSION, systems: out };
}
