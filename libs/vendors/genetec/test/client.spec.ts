import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitUntil } from '@edge/platform/testing';
import { EdgeError } from '@edge/platform';
import { startGenetecSimulator, type GenetecSimulator } from '@edge/sim-genetec';
import { checkGenetecSignIn, genetecProbe, GENETEC_ERRORS, parseGenetecConfig, tlsAgentOptions, WebSdkClient, webSdkBase } from '../src';
import { clientFor, configFor, lifecycle, quietLog, systemFor } from './helpers';

/** A self-signed certificate for 127.0.0.1, as the Web SDK role presents with SSL on (made with openssl). */
function selfSigned(): { key: Buffer; cert: Buffer; file: string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'gen-tls-'));
  const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  return { key: readFileSync(key), cert: readFileSync(cert), file: cert, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

const keep = lifecycle();
let sim: GenetecSimulator;
let client: WebSdkClient;

async function refusal(p: Promise<unknown>): Promise<EdgeError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(EdgeError);
  return e as EdgeError;
}

describe('Web SDK client against the simulator', () => {
  it('signs in with user;ApplicationId and asks for text/json', async () => {
    sim = keep(await startGenetecSimulator());
    client = keep(clientFor(sim));
    const r = await client.get('report/EntityConfiguration?q=EntityTypes@Camera');
    expect(Array.isArray(r.result)).toBe(true);
    expect((r.result as unknown[]).length).toBe(6);
    expect(sim.control.stats().accept).toEqual({ 'text/json': 1 });
  });

  it('a licence refusal (403) is its own error kind, with what to fix, and is not asked again at once', async () => {
    sim = keep(await startGenetecSimulator());
    sim.control.setLicenceRefused(true);
    client = keep(clientFor(sim));
    const e = await refusal(client.get(''));
    expect([e.kind, e.code]).toEqual(['auth', GENETEC_ERRORS.licence]);
    expect(e.message).toMatch(/licence needs the Web SDK option/);
    const before = sim.control.stats().requests['/'];
    const again = await refusal(client.get(''));
    expect(again.code).toBe(GENETEC_ERRORS.licence);
    expect(sim.control.stats().requests['/']).toBe(before);
  });

  it('a missing privilege is told apart from a licence refusal and from a wrong password', async () => {
    sim = keep(await startGenetecSimulator());
    sim.control.setPrivilegeMissing(true);
    client = keep(clientFor(sim));
    const priv = await refusal(client.get(''));
    expect([priv.kind, priv.code]).toEqual(['auth', GENETEC_ERRORS.privilege]);
    expect(priv.message).toMatch(/Log on using the SDK/);
    sim.control.setPrivilegeMissing(false);
    const wrong = clientFor(sim, { password: 'not-the-password' });
    const cred = await refusal(wrong.get(''));
    wrong.close();
    expect([cred.kind, cred.code]).toEqual(['auth', GENETEC_ERRORS.credentials]);
    expect(cred.message).not.toContain('not-the-password');
  });

  it('an idle session that expired is signed in again once, and the new session is announced', async () => {
    sim = keep(await startGenetecSimulator({ sessionIdleMs: 300 }));
    client = keep(clientFor(sim));
    let renewed = 0;
    client.onNewSession = () => renewed++;
    await client.get('');
    await waitUntil('the idle session expired', () => sim.control.stats().sessions_expired >= 1);
    const r = await client.get('report/EntityConfiguration?q=EntityTypes@Door');
    expect((r.result as unknown[]).length).toBe(4);
    expect(client.counters.snapshot().relogins).toBe(1);
    expect(renewed).toBe(1);
    expect(sim.control.stats().sessions_created).toBe(2);
  });

  it('speaks HTTPS to a role with a self-signed certificate only when told to trust it', async () => {
    const c = selfSigned();
    try {
      sim = keep(await startGenetecSimulator({ tls: { key: c.key, cert: c.cert } }));
      const make = (tls: { ca_file?: string; insecure: boolean }) =>
        new WebSdkClient({ base: webSdkBase(sim.url, '/WebSdk/'), username: sim.credentials.username, applicationId: sim.credentials.applicationId, password: sim.credentials.password, tls: tlsAgentOptions(tls), timeoutMs: 10_000, retryForMs: 0, refusedRetryAfterMs: 1_000, log: quietLog });
      const untrusted = make({ insecure: false });
      const e = await refusal(untrusted.get(''));
      untrusted.close();
      expect([e.kind, e.code]).toEqual(['permanent', 'tls']);
      client = keep(make({ ca_file: c.file, insecure: false }));
      expect((await client.get('')).tooManyResults).toBe(false);
    } finally {
      c.dispose();
    }
  });

  it('keeps its session from idling out while nothing else is asked', async () => {
    sim = keep(await startGenetecSimulator({ sessionIdleMs: 2_000 }));
    client = keep(clientFor(sim));
    await client.get('');
    client.startKeepalive(300);
    await waitUntil('several keep-alives', () => (client.counters.snapshot().keepalives ?? 0) >= 8);
    expect(sim.control.stats().sessions_expired).toBe(0);
    expect(client.counters.snapshot().relogins).toBeUndefined();
  });

  it('validates its config: application_id is required, an AD user and a pinned certificate are refused with the field named', () => {
    const base = { id: 'sc-main', vendor: 'genetec', base_url: 'https://sc.local:4590', username: 'svc', password: 'x', enabled: true, inventory_interval: 0, status_interval: 0, tls: { insecure: false } };
    expect(() => parseGenetecConfig(base as never)).toThrow(/systems\[sc-main\]\.application_id/);
    expect(() => parseGenetecConfig({ ...base, application_id: 'a', username: 'CORP\\svc' } as never)).toThrow(/Active Directory users cannot sign in/);
    expect(() => parseGenetecConfig({ ...base, application_id: 'a', tls: { insecure: false, fingerprint_sha256: 'AA'.repeat(32) } } as never)).toThrow(/fingerprint_sha256/);
    const ok = parseGenetecConfig({ ...base, application_id: 'a', page_size: 250 } as never);
    expect([ok.web_sdk_path, ok.page_size, ok.entity_types[0]]).toEqual(['/WebSdk/', 250, 'Server']);
  });

  it('config check: the probe URL answers 401 without credentials; a sign-in check names a licence refusal', async () => {
    sim = keep(await startGenetecSimulator());
    const probe = genetecProbe(systemFor(sim));
    expect(probe.url).toBe(`${sim.url}/WebSdk/`);
    expect((await fetch(probe.url)).status).toBe(401);
    expect(await checkGenetecSignIn(configFor(sim), quietLog)).toMatchObject({ ok: true, code: null });
    sim.control.setLicenceRefused(true);
    expect(await checkGenetecSignIn(configFor(sim), quietLog)).toMatchObject({ ok: false, code: GENETEC_ERRORS.licence });
  });
});
