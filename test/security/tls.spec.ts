/**
 * TLS verification is on by default everywhere the edge speaks HTTPS. Against servers with a
 * certificate from a CA the test makes with openssl: every client built from a config without a
 * `tls` block refuses the server (and says to set tls.ca_file); with `tls.ca_file` it connects;
 * a certificate for another host name is refused even with the right CA; `insecure: true` is the
 * only way around it, and it is logged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { CLOUD_PATHS, subjects } from '@edge/contracts';
import { connectNats, createLogger, EdgeError, errorKind, Publisher, sleep, startService, SystemConfig, type RunningService } from '@edge/platform';
import { startNatsServer, testConfig, type TestNatsServer } from '@edge/platform/testing';
import { startCloudSimulator, type CloudSimulator } from '@edge/sim-cloud';
import { startMilestoneSimulator, type MilestoneSimulator } from '@edge/sim-milestone';
import { ConfigApiClient, gatewayUrls, HttpTransport, IdpAuth, parseMilestoneConfig, tlsOptionsFrom } from '@edge/vendor-milestone';
import { OpenAccessClient, parseOnGuardSystem } from '@edge/vendor-onguard';
import { forwarderService } from '../../services/forwarder/src/forwarder.module';
import { startHostileServer, type HostileServer } from '../bad-input/hostile-server';
import { makePki, type Pki } from './pki';

const silent = createLogger({ service: 'test', level: 'silent' });
let pki: Pki;

/** A logger whose lines the test can read. */
function capturingLogger(): { log: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString('utf8').trim().split('\n'));
      cb();
    },
  });
  return { log: createLogger({ service: 'test', level: 'warn', destination }), lines };
}

async function failure(p: Promise<unknown>): Promise<Error> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e, 'expected the connection to be refused').toBeInstanceOf(Error);
  return e as Error;
}

beforeAll(() => {
  pki = makePki();
});
afterAll(() => pki?.dispose());

// ---------------------------------------------------------------- OnGuard OpenAccess client

describe('OnGuard OpenAccess client', () => {
  const servers: HostileServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.close();
  });

  async function openAccess(cert: { key: Buffer; cert: Buffer }): Promise<HostileServer> {
    const s = await startHostileServer((req) => {
      if (req.url?.startsWith('/api/access/onguard/openaccess/authentication'))
        return { body: JSON.stringify({ session_token: 'tls-session-token', token_expiration_time: new Date(Date.now() + 3_600_000).toISOString() }) };
      return { body: '{}' };
    }, cert);
    servers.push(s);
    return s;
  }

  /** The client exactly as the collector builds it from a system config. */
  function clientFor(url: string, tls?: Record<string, unknown>, log = silent): OpenAccessClient {
    const sys = parseOnGuardSystem(
      SystemConfig.parse({ id: 'og-tls', vendor: 'onguard', base_url: url, username: 'svc', password: 'og-pass', directory_id: 'id-1', application_id: 'APP', ...(tls ? { tls } : {}) }),
    );
    return new OpenAccessClient({
      baseUrl: sys.base_url,
      username: sys.username,
      password: sys.password,
      directoryId: 'id-1',
      applicationId: 'APP',
      tls: sys.tls,
      requestRetries: 0,
      log,
    });
  }

  it('refuses a server whose CA it was not given (default config) and passes with tls.ca_file', async () => {
    const s = await openAccess(pki.server);
    const plain = clientFor(s.url);
    const e = await failure(plain.sessionToken());
    await plain.close(false);
    expect(errorKind(e)).toBe('permanent');
    expect(e.message).toMatch(/TLS verification failed.*tls\.ca_file/);
    expect(s.requests).toHaveLength(0);

    const trusted = clientFor(s.url, { ca_file: pki.caFile });
    expect(await trusted.sessionToken()).toBe('tls-session-token');
    await trusted.close(false);
  });

  it('refuses a self-signed server and a certificate for another host name even with the CA', async () => {
    const self = await openAccess(pki.selfSigned);
    const a = clientFor(self.url, { ca_file: pki.caFile });
    expect((await failure(a.sessionToken())).message).toMatch(/TLS verification failed/);
    await a.close(false);
    const wrong = await openAccess(pki.wrongHost);
    const b = clientFor(wrong.url, { ca_file: pki.caFile });
    expect((await failure(b.sessionToken())).message).toMatch(/TLS verification failed|altname|does not match/i);
    await b.close(false);
  });

  it('insecure: true connects to anything, and says so in the log', async () => {
    const self = await openAccess(pki.selfSigned);
    const { log, lines } = capturingLogger();
    const c = clientFor(self.url, { insecure: true }, log);
    expect(await c.sessionToken()).toBe('tls-session-token');
    await c.close(false);
    expect(lines.some((l) => /TLS verification is OFF/.test(l))).toBe(true);
  });
});

// ---------------------------------------------------------------- Milestone XProtect clients

describe('XProtect IDP and REST clients', () => {
  let sim: MilestoneSimulator;
  beforeAll(async () => {
    sim = await startMilestoneSimulator({ tls: { key: pki.server.key, cert: pki.server.cert }, hardware: 2, recordingServers: 1 });
  });
  afterAll(() => sim?.close());

  function clients(tls?: Record<string, unknown>) {
    const cfg = parseMilestoneConfig(SystemConfig.parse({ id: 'xp-tls', vendor: 'milestone', base_url: sim.url, username: sim.username, password: sim.password, ...(tls ? { tls } : {}) }));
    const urls = gatewayUrls(cfg.base_url);
    const http = new HttpTransport({ tls: tlsOptionsFrom(cfg.tls), timeoutMs: 5_000 });
    const auth = new IdpAuth({ root: urls.root, username: cfg.username, password: cfg.password, clientId: cfg.client_id, http, log: silent, authRetryAfterMs: 60_000, accountProblemRetryAfterMs: 60_000 });
    const api = new ConfigApiClient({ restBase: urls.rest, auth, http, log: silent, retryForMs: 1_000 });
    return { http, auth, api };
  }

  it('refuses the gateway without its CA (default config) and works with tls.ca_file', async () => {
    expect(sim.url.startsWith('https://')).toBe(true);
    const plain = clients();
    const e = await failure(plain.auth.getToken());
    plain.http.close();
    expect(e).toBeInstanceOf(EdgeError);
    expect((e as EdgeError).code).toBe('tls_verify_failed');
    expect(e.message).toMatch(/tls\.ca_file/);

    const trusted = clients({ ca_file: pki.caFile });
    expect(Array.isArray(await trusted.api.getArray('recordingServers'))).toBe(true);
    trusted.http.close();
  });
});

// ---------------------------------------------------------------- forwarder → cloud

describe('forwarder → cloud', () => {
  let nats: TestNatsServer;
  let cloud: CloudSimulator;
  let svc: RunningService | null = null;
  beforeAll(async () => {
    nats = await startNatsServer();
    cloud = await startCloudSimulator({ token: 'tls-cloud-token', tls: { key: pki.server.key, cert: pki.server.cert } });
  });
  afterAll(async () => {
    await svc?.stop();
    await cloud?.close();
    await nats?.dispose();
  });

  async function forwarder(tls?: Record<string, unknown>): Promise<RunningService> {
    const config = testConfig(nats.url, {
      cloud: { base_url: cloud.url, token: 'tls-cloud-token', timeout: '15s', heartbeat_interval: '1h', retry: { base: 100, cap: 500 }, ...(tls ? { tls } : {}) } as never,
      log: { level: 'fatal' },
    });
    return startService(forwarderService(config, { httpPort: 0 }));
  }

  it('does not deliver to a cloud whose CA it was not given, dead-letters nothing, and delivers once tls.ca_file is set', async () => {
    expect(cloud.url.startsWith('https://')).toBe(true);
    const nc = await connectNats({ url: nats.url, name: 'test' }, silent);
    const pub = new Publisher(nc, silent);
    svc = await forwarder();
    const event = {
      event_id: 'tls-ev-1',
      device_id: 'onguard:og-main:reader:1-1',
      status: 'offline',
      timestamp: '2026-01-01T00:00:00.000Z',
      previous_status: 'online',
      reason: null,
      observed_via: 'event',
      customer_id: 'cust-test',
      site_id: 'site-test',
      source: { vendor: 'onguard', system_id: 'og-main', native_type: 'Lnl_Reader', native_id: '1-1' },
      schema_version: 1,
    };
    await pub.publishJson(subjects.canonicalHealth('site-test'), { kind: 'health', event }, { msgId: 'tls-1' });
    const status = async () => (await (await fetch(`http://127.0.0.1:${svc!.httpPort}/status`)).json()) as { forwarder: { circuit: { last_failure: { reason: string } | null }; dead_lettered: number } };
    let reason = '';
    for (const end = Date.now() + 120_000; Date.now() < end && !reason; ) {
      reason = (await status()).forwarder.circuit.last_failure?.reason ?? '';
      if (!reason) await sleep(100);
    }
    expect(reason).toMatch(/CERT|certificate|SIGNATURE|self.signed|verify/i);
    expect(cloud.store.requests.filter((r) => r.path === CLOUD_PATHS.healthEvents)).toHaveLength(0);
    expect((await status()).forwarder.dead_lettered).toBe(0);
    await svc.stop();

    // (tls-ev-1 was taken by the stopped instance and comes back after ack_wait; a new event shows the way is open.)
    svc = await forwarder({ ca_file: pki.caFile });
    await pub.publishJson(subjects.canonicalHealth('site-test'), { kind: 'health', event: { ...event, event_id: 'tls-ev-2' } }, { msgId: 'tls-2' });
    for (const end = Date.now() + 120_000; Date.now() < end && !cloud.store.events.some((e) => e.event_id === 'tls-ev-2'); ) await sleep(100);
    expect(cloud.store.events.map((e) => e.event_id)).toContain('tls-ev-2');
    await nc.drain();
  });
});
