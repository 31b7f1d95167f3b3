import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMilestoneSimulator, type MilestoneSimulator } from '@edge/sim-milestone';
import { EdgeError } from '@edge/platform';
import { clientsFor, selfSignedCert, stat } from './helpers';

async function refusal(p: Promise<unknown>): Promise<EdgeError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(EdgeError);
  return e as EdgeError;
}

describe('IdpAuth against the simulator', () => {
  let sim: MilestoneSimulator;
  beforeAll(async () => {
    sim = await startMilestoneSimulator({
      hardware: 2,
      lockoutAfterFailures: 3,
      extraUsers: [
        { username: 'locked', password: 'pw-locked', state: 'lockedOut' },
        { username: 'rotate', password: 'pw-rotate', state: 'changePassword' },
      ],
    });
  });
  afterAll(async () => sim.close());

  it('gets a token from /API/IDP/connect/token and reuses it', async () => {
    const c = clientsFor(sim);
    const before = stat(sim, 'tokenRequests');
    const t1 = await c.auth.getToken();
    const t2 = await c.auth.getToken();
    expect(t1).toBe(t2);
    expect(t1.split('.')).toHaveLength(3);
    expect(stat(sim, 'tokenRequests') - before).toBe(1);
    expect(c.auth.state().token_url).toBe(`${sim.url}/API/IDP/connect/token`);
    c.close();
  });

  it('renews single-flight: 20 concurrent callers, one request', async () => {
    const c = clientsFor(sim);
    const before = stat(sim, 'tokenRequests');
    const tokens = await Promise.all(Array.from({ length: 20 }, () => c.auth.getToken()));
    expect(new Set(tokens).size).toBe(1);
    expect(stat(sim, 'tokenRequests') - before).toBe(1);
    c.close();
  });

  it('invalid password: clear auth error, remembered, no second request (account not locked)', async () => {
    const c = clientsFor(sim, { password: 'wrong' });
    const before = stat(sim, 'tokenRequests');
    const e1 = await refusal(c.auth.getToken());
    expect(e1.kind).toBe('auth');
    expect(e1.code).toBe('idp_invalid_credentials');
    expect(e1.message).toContain(sim.username);
    expect(e1.message).not.toContain('wrong');
    for (let i = 0; i < 10; i++) expect((await refusal(c.auth.getToken())).code).toBe('idp_invalid_credentials');
    expect(stat(sim, 'tokenRequests') - before).toBe(1);
    expect(c.auth.state().refused).toContain('idp_invalid_credentials');
    // The real account still works: the wrong password never reached the lockout threshold.
    const ok = clientsFor(sim);
    await expect(ok.auth.getToken()).resolves.toMatch(/\./);
    ok.close();
    c.close();
  });

  it('LockedOut and ChangePassword are distinct auth errors', async () => {
    const locked = clientsFor(sim, { username: 'locked', password: 'pw-locked' });
    const e1 = await refusal(locked.auth.getToken());
    expect([e1.kind, e1.code]).toEqual(['auth', 'idp_locked_out']);
    const rotate = clientsFor(sim, { username: 'rotate', password: 'pw-rotate' });
    const e2 = await refusal(rotate.auth.getToken());
    expect([e2.kind, e2.code]).toEqual(['auth', 'idp_change_password']);
    locked.close();
    rotate.close();
  });

  it('transient IDP failure (503) is retryable, not a credentials problem', async () => {
    const c = clientsFor(sim);
    sim.control.failRequests({ status: 503, count: 1, scope: 'token' });
    const e = await refusal(c.auth.getToken());
    expect(e.kind).toBe('retryable');
    await expect(c.auth.getToken()).resolves.toMatch(/\./);
    c.close();
  });
});

describe('IdpAuth token lifetime and path fallback', () => {
  it('renews before expires_in runs out', async () => {
    const sim = await startMilestoneSimulator({ hardware: 1, tokenLifetimeSec: 2 });
    const c = clientsFor(sim);
    const t1 = await c.auth.getToken();
    // Renewal is due at half-life for a 2 s token.
    await new Promise((r) => setTimeout(r, 1_100));
    const t2 = await c.auth.getToken();
    expect(t2).not.toBe(t1);
    expect(stat(sim, 'tokenRequests')).toBe(2);
    c.close();
    await sim.close();
  });

  it('falls back to /IDP/connect/token when the gateway path is absent', async () => {
    const sim = await startMilestoneSimulator({ hardware: 1, gatewayTokenPath: false });
    const c = clientsFor(sim);
    await c.auth.getToken();
    expect(c.auth.state().token_url).toBe(`${sim.url}/IDP/connect/token`);
    await c.api.getArray('sites');
    c.close();
    await sim.close();
  });
});

describe('TLS', () => {
  it('verifies with the CA file, refuses an unknown CA clearly, and skips only when insecure', async () => {
    const cert = selfSignedCert();
    const sim = await startMilestoneSimulator({ hardware: 1, tls: { key: cert.key, cert: cert.cert } });
    try {
      expect(sim.url.startsWith('https://')).toBe(true);
      const strict = clientsFor(sim);
      const e = await refusal(strict.auth.getToken());
      expect([e.kind, e.code]).toEqual(['permanent', 'tls_verify_failed']);
      expect(e.message).toMatch(/ca_file/);
      strict.close();
      const withCa = clientsFor(sim, { tls: { ca_file: cert.caFile, insecure: false } });
      expect((await withCa.api.getArray('sites')).length).toBe(1);
      withCa.close();
      const insecure = clientsFor(sim, { tls: { insecure: true } });
      expect((await insecure.api.getArray('sites')).length).toBe(1);
      insecure.close();
    } finally {
      await sim.close();
      cert.dispose();
    }
  });
});
