import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startOnGuardSimulator, type OnGuardSimulator } from '@edge/sim-onguard';
import { startMilestoneSimulator, type MilestoneSimulator } from '@edge/sim-milestone';
import { runCli } from '../src/cli';
import type { SurveyReport, SystemSurvey } from '@edge/collector-kit/survey';
import { makePki, type Pki } from '../../../test/security/pki';

/**
 * `edge survey` against the simulators, one run per verdict: healthy systems (ready), broken
 * logins and an unverifiable certificate (not ready), and an old version, a restricted account
 * and silent event streams (ready with warnings). Each run checks the three outputs.
 */
let dir: string;
let pki: Pki;
const sims: Array<{ close(): Promise<void> }> = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'edge-survey-'));
  pki = makePki();
});
afterAll(async () => {
  await Promise.all(sims.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
  pki.dispose();
});

function onguardSystem(id: string, sim: OnGuardSimulator, over: Record<string, unknown> = {}) {
  const c = sim.credentials;
  return { id, vendor: 'onguard', base_url: sim.url, username: c.user_name, password: c.password, directory_id: c.directory_id, application_id: c.application_id, ...over };
}

function milestoneSystem(id: string, sim: MilestoneSimulator, over: Record<string, unknown> = {}) {
  return { id, vendor: 'milestone', base_url: sim.url, username: sim.username, password: sim.password, ...over };
}

async function survey(name: string, systems: unknown[]): Promise<{ code: number; report: SurveyReport; text: string[]; html: string; dataDir: string }> {
  const dataDir = join(dir, name);
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    stringify({ site: { id: 'site-survey', customer_id: 'cust' }, nats: { url: 'nats://127.0.0.1:9' }, cloud: { base_url: 'http://127.0.0.1:9', token: 't' }, data_dir: dataDir, systems }),
  );
  const out: string[] = [];
  const io = { out: (l: string) => void out.push(l), err: () => undefined };
  const html = join(dir, `${name}.html`);
  const code = await runCli(['survey', '--config', file, '--json', '--events-wait', '3s', '--timeout', '15000', '--out', html], io, {});
  const report = JSON.parse(out.join('\n')) as SurveyReport;
  const text: string[] = [];
  await runCli(['survey', '--config', file, '--events-wait', '3s', '--timeout', '15000'], { out: (l) => void text.push(l), err: () => undefined }, {});
  return { code, report, text, html: readFileSync(html, 'utf8'), dataDir };
}

const bySystem = (r: SurveyReport, id: string): SystemSurvey => r.systems.find((s) => s.system_id === id)!;
const check = (s: SystemSurvey, id: string) => s.checks.find((c) => c.id === id)!;

describe('edge survey', () => {
  it('ready: healthy OnGuard over TLS with its CA, and XProtect; counts match the truth; nothing left behind', async () => {
    const og = await startOnGuardSimulator({ tls: true, site: { panels: 3, readersPerPanel: 4, recorders: 1, camerasPerRecorder: 2 } });
    const xp = await startMilestoneSimulator({ hardware: 4, tls: pki.server });
    sims.push(og, xp);
    const r = await survey('ready', [onguardSystem('og-ok', og, { tls: { ca_file: og.caFile } }), milestoneSystem('xp-ok', xp, { tls: { ca_file: pki.caFile } })]);
    expect(r.code).toBe(0);
    const o = bySystem(r.report, 'og-ok');
    const x = bySystem(r.report, 'xp-ok');
    expect([o.verdict, x.verdict]).toEqual(['ready', 'ready']);
    expect(o.tls?.verifies_with_config).toBe(true);
    expect(o.inventory?.total).toBe(og.control.devices().length);
    expect(x.inventory?.total).toBe(xp.control.devices().length);
    expect(o.inventory?.structure.some((s) => s.parent === 'Lnl_Panel' && s.child === 'Lnl_Reader' && s.children === 12)).toBe(true);
    expect(x.inventory?.structure.some((s) => s.parent === 'hardware' && s.child === 'cameras')).toBe(true);
    expect(o.events.state).toBe('ok');
    expect(x.events.state).toBe('ok');
    expect(o.cost?.audit_rows_per_day).toBeGreaterThan(0);
    expect(o.cost?.per_hour.some((l) => l.method === 'POST /execute_method GetHardwareStatus')).toBe(true);
    // Read-only: no status method called, the survey's subscription disabled, the session logged out.
    const stats = og.control.stats();
    expect(Object.keys(stats).filter((k) => k.startsWith('method '))).toEqual([]);
    expect([...og.state.subscriptions.values()].filter((s) => s.is_enabled)).toEqual([]);
    expect(stats.sessions_active).toBe(0);
    expect(o.survey_calls.find((c) => c.method === 'POST /authentication')?.calls).toBe(1);
    expect(o.survey_calls.find((c) => c.method === 'DELETE /authentication')?.calls).toBe(1);
    expect(r.text.some((l) => /og-ok .*READY/.test(l))).toBe(true);
    expect(r.html).toContain('<h1>Site survey: site-survey</h1>');
    expect(r.html).not.toMatch(/<script|<link|src="http/);
    expect(existsSync(join(r.dataDir, 'survey', 'xp-ok.html'))).toBe(true);
  });

  it('not ready: wrong passwords and a certificate that does not verify, with the reason and the fix', async () => {
    const og = await startOnGuardSimulator({ site: { panels: 1, readersPerPanel: 1 } });
    const ogTls = await startOnGuardSimulator({ tls: true, site: { panels: 1, readersPerPanel: 1 } });
    const xp = await startMilestoneSimulator({ hardware: 2 });
    const xpSelf = await startMilestoneSimulator({ hardware: 2, tls: pki.selfSigned });
    const ogUnlicensed = await startOnGuardSimulator({ site: { panels: 1, readersPerPanel: 1 } });
    ogUnlicensed.control.setLicensed(false);
    sims.push(og, ogTls, xp, xpSelf, ogUnlicensed);
    const r = await survey('not-ready', [
      onguardSystem('og-badpw', og, { password: 'wrong-password-og' }),
      onguardSystem('og-selfsigned', ogTls),
      milestoneSystem('xp-badpw', xp, { password: 'wrong-password-xp' }),
      milestoneSystem('xp-selfsigned', xpSelf),
      onguardSystem('og-licence', ogUnlicensed),
    ]);
    expect(r.code).toBe(1);
    for (const id of ['og-badpw', 'og-selfsigned', 'xp-badpw', 'xp-selfsigned', 'og-licence']) expect(bySystem(r.report, id).verdict).toBe('not_ready');
    expect(check(bySystem(r.report, 'og-badpw'), 'login')).toMatchObject({ level: 'fail' });
    expect(check(bySystem(r.report, 'og-badpw'), 'login').detail).toMatch(/user name or password is incorrect/);
    expect(check(bySystem(r.report, 'xp-badpw'), 'login').detail).toMatch(/username or password/);
    expect(check(bySystem(r.report, 'xp-selfsigned'), 'tls').detail).toMatch(/self.signed/i);
    const tls = bySystem(r.report, 'og-selfsigned');
    expect(check(tls, 'tls').level).toBe('fail');
    expect(tls.tls?.setting).toMatch(/tls\.ca_file/);
    expect(tls.tls?.chain.length).toBeGreaterThan(0);
    // One login attempt per run: the account is not locked by the survey.
    expect(og.control.stats().login_failures).toBe(2);
    expect(r.html).toContain('not ready');
    // The server names the refused Application-Id in its error: the reports do not.
    expect(check(bySystem(r.report, 'og-licence'), 'login')).toMatchObject({ level: 'fail', detail: expect.stringContaining('[REDACTED] is not licensed') });
    expect(check(bySystem(r.report, 'og-licence'), 'login').fix).toMatch(/licen/);
    for (const out of [JSON.stringify(r.report), r.text.join('\n'), r.html]) expect(out).not.toMatch(/wrong-password|sim-sa-password|SYS_ADMIN_APP/);
  });

  it('ready with warnings: old XProtect and OnGuard, restricted OnGuard account, silent event streams', async () => {
    const old = await startMilestoneSimulator({ hardware: 2, version: '23.2.0.1' });
    const quiet = await startMilestoneSimulator({ hardware: 2 });
    const restricted = await startOnGuardSimulator({
      site: { panels: 2, readersPerPanel: 2 },
      users: [{ user_name: 'operator', password: 'op-pass', directory_id: 'id-1', user_id: 7, first_name: 'Op', last_name: 'Erator', denied_types: ['Lnl_Reader'] }],
    });
    const silent = await startOnGuardSimulator({ site: { panels: 1, readersPerPanel: 1 } });
    const ogOld = await startOnGuardSimulator({ site: { panels: 1, readersPerPanel: 1 }, productVersion: '7.4.457.69' });
    sims.push(old, quiet, restricted, silent, ogOld);
    quiet.control.slowGetState(60_000);
    silent.control.dropBridge('silent', 120_000);
    const r = await survey('warnings', [
      milestoneSystem('xp-old', old),
      milestoneSystem('xp-silent', quiet),
      onguardSystem('og-restricted', restricted),
      onguardSystem('og-silent', silent),
      onguardSystem('og-old', ogOld),
    ]);
    expect(r.code).toBe(0);
    for (const s of r.report.systems) expect(s.verdict, s.system_id).toBe('ready_with_warnings');
    expect(bySystem(r.report, 'xp-old').events.state).toBe('unavailable');
    expect(bySystem(r.report, 'xp-old').product?.lacks.join(' ')).toMatch(/2023 R3/);
    expect(bySystem(r.report, 'og-restricted').refused.map((x) => x.what)).toEqual(['Lnl_Reader']);
    expect(check(bySystem(r.report, 'og-restricted'), 'reach').level).toBe('warn');
    expect(bySystem(r.report, 'xp-silent').events.state).toBe('silent');
    expect(bySystem(r.report, 'og-silent').events.state).toBe('silent');
    expect(check(bySystem(r.report, 'og-old'), 'version')).toMatchObject({ level: 'warn', detail: 'OnGuard 7.4.457.69' });
    expect(bySystem(r.report, 'og-old').product?.lacks.join(' ')).toMatch(/video_recorders/);
    expect(r.text.join('\n')).toMatch(/READY WITH WARNINGS/);
  });
});
