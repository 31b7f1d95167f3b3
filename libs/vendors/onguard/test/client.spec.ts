import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { OnGuardSimulator } from '@edge/sim-onguard';
import { classifyHttpError, classifyNetworkError, OpenAccessError } from '../src/client/errors';
import type { OpenAccessClient } from '../src/client/openaccess-client';
import { MIN_RENEW_INTERVAL_MS } from '../src/client/openaccess-client';
import { discoverTypes, pagedInstances, pagedVideoRecorders, typeNamesIn } from '../src/inventory';
import { HardwareStatusReader } from '../src/hardware-status';
import { nativeKeyOf } from '../src/mapper/types';
import { PagedInstances } from '../src/raw-schema';
import * as fx from '../src/fixtures/openaccess';
import { clientFor, log, sim, until } from './helpers';

const Any = z.looseObject({});

describe('error classification (reference §1.8)', () => {
  const table: Array<[string, number, string, string, string, Record<string, unknown>]> = [
    ['licence 401', 401, JSON.stringify(fx.licenceError), 'auth', 'onguard_licence', { licence: true }],
    ['invalid session', 401, '{"error":{"code":"openaccess.general.invalidsessiontoken","message":"x"},"version":"1.0"}', 'retryable', 'onguard_session', { sessionInvalid: true }],
    ['401 without a body → re-authenticate', 401, '', 'retryable', 'onguard_session', { sessionInvalid: true }],
    ['bad property is permanent', 400, JSON.stringify(fx.invalidRequestItemError), 'permanent', 'onguard_invalidrequestitem', { oaCode: 'openaccess.general.invalidrequestitem' }],
    ['IIS 503 HTML page is retryable', 503, '<html><body><h2>Service Unavailable</h2></body></html>', 'retryable', 'onguard_http_503', {}],
    ['500 with an OpenAccess body is retryable', 500, '{"error":{"code":"openaccess.general.unexpectederror","message":"x"}}', 'retryable', 'onguard_http_500', {}],
    ['403 is auth', 403, '', 'auth', 'onguard_forbidden', {}],
    ['404 is permanent', 404, '', 'permanent', 'onguard_http_404', {}],
  ];
  for (const [name, status, body, kind, code, details] of table) {
    it(name, () => {
      const e = classifyHttpError('GET /x', status, body);
      expect(e.kind).toBe(kind);
      expect(e.code).toBe(code);
      expect(e.details).toMatchObject(details);
    });
  }
  it('transport failures', () => {
    expect(classifyNetworkError('x', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })).details.socketReset).toBe(true);
    expect(classifyNetworkError('x', Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })).kind).toBe('retryable');
    const tls = classifyNetworkError('x', Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }));
    expect(tls.kind).toBe('permanent');
    expect(tls.message).toMatch(/tls\.ca_file/);
  });
  it('finds type names in any /types shape', () => {
    expect([...typeNamesIn({ types: { Lnl_Element: { Lnl_Panel: {}, children: ['Lnl_Reader'] } } })].sort()).toEqual(['Lnl_Element', 'Lnl_Panel', 'Lnl_Reader']);
  });
});

describe('OpenAccess client against the simulator', () => {
  let s: OnGuardSimulator;
  let c: OpenAccessClient;
  afterEach(async () => {
    await c?.close();
    await s?.close();
  });
  /** Logged in, and the background read of the password policy done (so faults hit the call under test). */
  async function ready() {
    await c.sessionToken();
    await until(() => (s.control.stats()['route GET /settings/password_policy'] ?? 0) >= 1, 120_000, 'policy read');
  }

  it('logs in with Application-Id and directory, then pages every reader exactly once (page_size 100, stable order)', async () => {
    s = await sim({ site: { panels: 30, readersPerPanel: 8 } });
    c = clientFor(s);
    const keys: string[] = [];
    let pages = 0;
    for await (const page of pagedInstances(c, 'Lnl_Reader', (p) => nativeKeyOf('Lnl_Reader', p), { pageSize: 100, orderBy: 'PanelID,ReaderID', log })) {
      pages++;
      keys.push(...page.map((p) => nativeKeyOf('Lnl_Reader', p)!));
    }
    expect(pages).toBe(3);
    expect(keys).toHaveLength(240);
    expect(new Set(keys).size).toBe(240);
    const st = s.control.stats();
    expect(st.logins).toBe(1);
    expect(st['route GET /instances']).toBe(3);
  });

  it('stops on an empty result whether total_pages is 0 or 1', async () => {
    s = await sim();
    c = clientFor(s);
    for (const emptyTotalPages of [0, 1] as const) {
      s.state.o.emptyTotalPages = emptyTotalPages;
      const before = s.control.stats()['route GET /instances'] ?? 0;
      const got: unknown[] = [];
      for await (const page of pagedInstances(c, 'Lnl_Reader', (p) => nativeKeyOf('Lnl_Reader', p), { pageSize: 100, filter: 'PanelID = 999', log })) got.push(...page);
      expect(got).toEqual([]);
      expect((s.control.stats()['route GET /instances'] ?? 0) - before).toBe(1);
    }
  });

  it('rejects page_size above 100 with a clear, permanent error', async () => {
    s = await sim();
    c = clientFor(s);
    const e = await c.request({ method: 'GET', path: '/instances', query: { type_name: 'Lnl_Panel', page_size: 101 }, schema: PagedInstances }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(OpenAccessError);
    expect((e as OpenAccessError).kind).toBe('permanent');
  });

  it('logs in again once on invalidsessiontoken and on a 401 without a body', async () => {
    s = await sim();
    c = clientFor(s);
    await c.request({ method: 'GET', path: '/keepalive', schema: Any });
    s.control.invalidateSessions();
    await c.request({ method: 'GET', path: '/keepalive', schema: Any });
    expect(s.control.stats().logins).toBe(2);
    s.control.setEmpty401(true);
    s.control.expireSessions();
    await c.request({ method: 'GET', path: '/count', query: { type_name: 'Lnl_Panel' }, schema: Any });
    expect(s.control.stats().logins).toBe(3);
    expect(c.counters.get('relogins')).toBe(2);
  });

  it('a licence refusal blocks every call without reaching the server (no hammering)', async () => {
    s = await sim();
    c = clientFor(s);
    await c.sessionToken();
    s.control.setLicensed(false);
    const e = await c.request({ method: 'GET', path: '/keepalive', schema: Any }).catch((x: unknown) => x);
    expect((e as OpenAccessError).kind).toBe('auth');
    expect((e as OpenAccessError).code).toBe('onguard_licence');
    const requests = s.control.stats().requests;
    for (let i = 0; i < 20; i++) await c.request({ method: 'GET', path: '/keepalive', schema: Any }).catch(() => undefined);
    expect(s.control.stats().requests).toBe(requests);
    expect(c.state()).toMatchObject({ session: 'blocked' });
    expect(c.state().blocked_reason).toMatch(/licensed/);
  });

  it('bad credentials are tried once per backoff period: the account is never locked', async () => {
    s = await sim();
    // A backoff period far longer than ten refused calls take, however busy the machine.
    c = clientFor(s, { password: 'wrong-password', authBackoff: { baseMs: 3_000, capMs: 3_000 } });
    for (let i = 0; i < 10; i++) {
      const e = await c.request({ method: 'GET', path: '/keepalive', schema: Any }).catch((x: unknown) => x);
      expect((e as OpenAccessError).kind).toBe('auth');
    }
    expect(s.control.stats().login_failures).toBe(1);
    await new Promise((r) => setTimeout(r, 3_100));
    await c.request({ method: 'GET', path: '/keepalive', schema: Any }).catch(() => undefined);
    expect(s.control.stats().login_failures).toBe(2);
    expect(s.control.stats().accounts_locked ?? 0).toBe(0);
  });

  it('retries idempotent calls through 503 HTML pages and resets a dead socket once', async () => {
    s = await sim();
    c = clientFor(s);
    await c.sessionToken();
    s.control.fail(503, 2, '/instances');
    const r = await c.request({ method: 'GET', path: '/instances', query: { type_name: 'Lnl_Panel', page_size: 5 }, schema: PagedInstances });
    expect(r.count).toBe(5);
    expect(s.control.stats().faults_503).toBe(2);
    s.control.resetConnections(1);
    const out = await c.executeMethod('Lnl_Reader', 'GetHardwareStatus', { PanelID: '1', ReaderID: '1' });
    expect(out).toEqual({ Status: 1 });
    expect(s.control.stats().faults_reset).toBe(1);
  });

  it('gives up after the configured retries with a retryable error', async () => {
    s = await sim();
    c = clientFor(s, { requestRetries: 1 });
    await ready();
    s.control.fail(500, 5, '/keepalive');
    const e = await c.request({ method: 'GET', path: '/keepalive', schema: Any }).catch((x: unknown) => x);
    expect((e as OpenAccessError).kind).toBe('retryable');
    expect(s.control.stats().faults_500).toBe(2);
  });

  it('times out a slow answer', async () => {
    s = await sim();
    c = clientFor(s, { requestTimeoutMs: 300, requestRetries: 0 });
    await ready();
    s.control.slow(1_000, 1);
    const e = await c.request({ method: 'GET', path: '/keepalive', schema: Any }).catch((x: unknown) => x);
    expect((e as OpenAccessError).code).toBe('onguard_network');
  });

  it('keeps at most maxConcurrency requests in flight', async () => {
    s = await sim();
    c = clientFor(s, { maxConcurrency: 2 });
    await ready();
    s.control.slow(100, 12);
    await Promise.all(Array.from({ length: 10 }, () => c.request({ method: 'GET', path: '/keepalive', schema: Any })));
    expect(s.control.stats().max_concurrent_requests).toBeLessThanOrEqual(2);
  });

  it('renews the session before token_expiration_time and logs the old one out', async () => {
    s = await sim({ tokenLifetimeMs: 2_500 });
    c = clientFor(s, { renewBeforeMs: 1_000, minRenewIntervalMs: 1_000 });
    const first = await c.sessionToken();
    await until(() => s.control.stats().logins === 2, 120_000, 'renewal');
    expect(await c.sessionToken()).not.toBe(first);
    await until(() => (s.control.stats().logouts ?? 0) === 1, 120_000, 'old session logged out');
  });

  it('never renews more often than once a minute, whatever token_expiration_time says; a past or zone-less time is not trusted', async () => {
    for (const [opts, expires] of [
      [{ tokenLifetimeMs: 2_500 }, true],
      [{ tokenExpiryStyle: 'past' }, false],
      [{ tokenExpiryStyle: 'naive' }, false],
    ] as const) {
      s = await sim(opts);
      c = clientFor(s, { renewBeforeMs: 1_000 });
      const t0 = Date.now();
      await c.sessionToken();
      const st = c.state();
      if (expires) expect(Date.parse(st.renew_at!) - t0).toBeGreaterThanOrEqual(MIN_RENEW_INTERVAL_MS);
      else expect(st).toMatchObject({ token_expires_at: null, renew_at: null });
      // The session is still usable, and a refused token is replaced by one new login.
      s.control.invalidateSessions();
      await c.request({ method: 'GET', path: '/keepalive', schema: z.unknown() });
      expect(s.control.stats().logins).toBe(2);
      await c.close();
      await s.close();
    }
  });

  it('reads /version at login, and sends 8.x-only parameters to 8.x servers only', async () => {
    for (const version of ['7.5.375.12', '8.3.298.1']) {
      s = await sim({ productVersion: version, idleTimeoutMs: 600_000 });
      c = clientFor(s);
      await c.sessionToken();
      await until(() => (s.control.stats()['route GET /settings/password_policy'] ?? 0) >= 1, 120_000, 'quiet policy read');
      expect(c.state().server_version).toBe(version);
      expect(s.control.stats().unknown_params_refused ?? 0).toBe(0);
      await c.close();
      await s.close();
    }
  });

  it('sends keepalive when idle', async () => {
    s = await sim();
    c = clientFor(s, { keepaliveIntervalMs: 300 });
    await c.sessionToken();
    await until(() => (s.control.stats().keepalives ?? 0) >= 1, 120_000, 'keepalive');
  });

  it('speaks HTTPS with the CA file, refuses without it, and accepts the explicit insecure switch', async () => {
    s = await sim({ tls: true });
    const good = clientFor(s, { tls: { ca_file: s.caFile! } });
    await expect(good.sessionToken()).resolves.toMatch(/-/);
    await good.close();
    const bad = clientFor(s, { requestRetries: 0 });
    const e = await bad.sessionToken().catch((x: unknown) => x);
    expect((e as OpenAccessError).code).toBe('onguard_tls');
    await bad.close(false);
    c = clientFor(s, { tls: { insecure: true } });
    await expect(c.sessionToken()).resolves.toMatch(/-/);
  });

  it('discovers types and adapts to a server without some of them or without /types', async () => {
    s = await sim({ hiddenTypes: ['Lnl_IntrusionZone'] });
    c = clientFor(s);
    const caps = await discoverTypes(c, ['Lnl_Panel', 'Lnl_Reader', 'Lnl_IntrusionZone', 'Lnl_Camera'], log);
    expect([...caps.keys()]).toEqual(['Lnl_Panel', 'Lnl_Reader', 'Lnl_Camera']);
    expect(caps.get('Lnl_Reader')).toMatchObject({ keyProperties: ['PanelID', 'ReaderID'], hasStatusMethod: true, statusOutParam: 'Status' });
    expect(caps.get('Lnl_Camera')?.hasStatusMethod).toBe(false);
    s.state.o.typesEndpoint = false;
    const caps2 = await discoverTypes(c, ['Lnl_Panel', 'Lnl_IntrusionZone'], log);
    expect([...caps2.keys()]).toEqual(['Lnl_Panel']);
  });

  it('pages /video_recorders (flat items) and reads hardware status after UpdateHardwareStatus', async () => {
    s = await sim();
    c = clientFor(s);
    const recs: unknown[] = [];
    for await (const p of pagedVideoRecorders(c, { pageSize: 100, log })) recs.push(...p);
    expect(recs).toHaveLength(1);
    expect(recs[0]).toMatchObject({ name: 'NVR-01', is_online: true });
    s.control.setBits('reader:2-1', 0x2000000, 0);
    const reader = new HardwareStatusReader(c, { concurrency: 2, maxPerSecond: 0, updatePanels: true, updateSettleMs: 0 }, log);
    expect(await reader.updatePanels([{ ID: 2 }])).toEqual({ updated: 1, failed: 0 });
    expect((await reader.read('Lnl_Reader', { PanelID: 2, ReaderID: 1 })).status).toBe(0x2000001);
    const missing = await reader.read('Lnl_Reader', { PanelID: 2, ReaderID: 99 });
    expect(missing.status).toBeNull();
    expect(missing.error).toMatch(/invalidrequestitem/);
  });
});
