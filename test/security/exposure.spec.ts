/**
 * What the edge box exposes: status and control endpoints listen on 127.0.0.1 unless the config
 * says otherwise, and need a bearer token for /status and control routes when `http.token` is
 * set; the local nats-server of `npm start` listens on loopback with the configured credentials;
 * the compose deployment publishes nothing beyond the box and needs a NATS password; secrets are
 * never defaulted in the files.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { connect as tcpConnect } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { connect } from '@nats-io/transport-node';
import { EdgeConfig, startService, type RunningService } from '@edge/platform';
import { freePort, startNatsServer, testConfig, type TestNatsServer } from '@edge/platform/testing';
import { Module } from '@nestjs/common';
import { localNats } from '../../scripts/local-nats';
import { Supervisor } from '../../scripts/supervisor';
import { natsUserSpecs, passwordVar } from '../../scripts/nats-users';
import { PIPELINE_SERVICES } from '../../scripts/services';

const ROOT = resolve(__dirname, '../..');

/** A non-loopback IPv4 of this machine, if it has one. */
function externalIp(): string | null {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return null;
}

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((r) => {
    const s = tcpConnect({ host, port, timeout: 2_000 });
    s.once('connect', () => {
      s.destroy();
      r(true);
    });
    s.once('error', () => r(false));
    s.once('timeout', () => {
      s.destroy();
      r(false);
    });
  });
}

@Module({})
class EmptyModule {}

describe('status and control endpoints', () => {
  let nats: TestNatsServer;
  const running: RunningService[] = [];
  beforeAll(async () => {
    nats = await startNatsServer();
  });
  afterAll(async () => {
    for (const s of running) await s.stop();
    await nats?.dispose();
  });

  it('the default http.host is 127.0.0.1', () => {
    const cfg = EdgeConfig.parse({ site: { id: 's', customer_id: 'c' }, cloud: { base_url: 'https://c.example', token: 'abcd' } });
    expect(cfg.http.host).toBe('127.0.0.1');
    expect(cfg.http.token).toBeUndefined();
  });

  it('a service started with the defaults listens on loopback only', async () => {
    const base = testConfig(nats.url);
    const config = EdgeConfig.parse({ site: base.site, nats: base.nats, cloud: { base_url: 'https://c.example', token: 'abcd' }, log: { level: 'fatal' } });
    const svc = await startService({ service: 'exposure-test', module: EmptyModule, config, httpPort: 0 });
    running.push(svc);
    expect((await fetch(`http://127.0.0.1:${svc.httpPort}/healthz`)).status).toBe(200);
    const ip = externalIp();
    if (ip) expect(await reachable(ip, svc.httpPort)).toBe(false);
    expect(await reachable('127.0.0.1', svc.httpPort)).toBe(true);
  });

  it('with http.token set, /status and control routes need the bearer token; /healthz and /readyz stay open for probes', async () => {
    const config = testConfig(nats.url, { http: { host: '127.0.0.1', token: 'status-token-3c9e', ports: {} } as never, log: { level: 'fatal' } });
    const svc = await startService({ service: 'exposure-token', module: EmptyModule, config, httpPort: 0 });
    running.push(svc);
    svc.runtime.status.route('POST /sync', async () => ({ body: { ok: true } }));
    const url = (p: string) => `http://127.0.0.1:${svc.httpPort}${p}`;
    expect((await fetch(url('/status'))).status).toBe(401);
    expect((await fetch(url('/status'), { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(url('/sync'), { method: 'POST', body: '{}' })).status).toBe(401);
    const ok = await fetch(url('/status'), { headers: { authorization: 'Bearer status-token-3c9e' } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).not.toContain('status-token-3c9e');
    expect((await fetch(url('/sync'), { method: 'POST', body: '{}', headers: { authorization: 'Bearer status-token-3c9e' } })).status).toBe(200);
    expect((await fetch(url('/healthz'))).status).toBe(200);
    expect([200, 503]).toContain((await fetch(url('/readyz'))).status);
  });
});

describe('local nats-server of npm start', () => {
  it('listens on loopback and refuses clients without the configured credentials', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edge-localnats-'));
    const cfg = EdgeConfig.parse({
      site: { id: 'site-x', customer_id: 'c' },
      nats: { user: 'edge', password: 'local-nats-pass-77' },
      cloud: { base_url: 'https://c.example', token: 'abcd' },
      data_dir: dir,
    });
    const port = await freePort();
    const n = localNats(cfg, { ...process.env, EDGE_NATS_PORT: String(port) });
    const sup = new Supervisor([n.spec], { output: () => undefined, log: () => undefined });
    try {
      await sup.start();
      const url = n.url;
      expect(new URL(url.replace('nats://', 'http://')).hostname).toBe('127.0.0.1');
      const ip = externalIp();
      if (ip) expect(await reachable(ip, port)).toBe(false);
      await expect(connect({ servers: url, reconnect: false })).rejects.toThrow(/Authorization|auth/i);
      const nc = await connect({ servers: url, user: 'edge', pass: 'local-nats-pass-77', reconnect: false });
      await nc.close();
    } finally {
      await sup.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('compose deployment', () => {
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, { ports?: string[]; environment?: Record<string, string>; secrets?: string[]; env_file?: string[] }>;
  };
  const natsConf = readFileSync(join(ROOT, 'deploy/nats/nats-edge.conf'), 'utf8');

  it('every published port binds 127.0.0.1', () => {
    for (const [name, s] of Object.entries(compose.services))
      for (const p of s.ports ?? []) expect(p, `${name}: ${p}`).toMatch(/^127\.0\.0\.1:(\d+|\$\{[A-Z_]+:-\d+\}):\d+$/);
  });

  it('NATS requires credentials: the password of every user is a secret file; the committed config holds none and no anonymous user', () => {
    for (const u of natsUserSpecs()) expect(compose.services.nats.environment?.[`${passwordVar(u.user)}_FILE`], u.user).toMatch(/^\/run\/secrets\/nats_/);
    expect(natsConf).not.toMatch(/no_auth_user|password|authorization/);
  });

  it('each service authenticates as its own NATS user with its own secret (config example reads NATS_USER / NATS_PASSWORD)', () => {
    const example = readFileSync(join(ROOT, 'config/edge.example.yaml'), 'utf8');
    expect(example).toMatch(/nats:\s*\n\s+user:\s*\$\{NATS_USER[^}]*\}\s*\n\s+password:\s*\$\{NATS_PASSWORD\}/);
    for (const spec of PIPELINE_SERVICES) {
      const env = compose.services[spec.name].environment ?? {};
      expect(env.NATS_USER).toBe(spec.name);
      expect(env.NATS_PASSWORD_FILE).toBe(`/run/secrets/nats_${spec.name.replace(/-/g, '_')}`);
      expect(compose.services[spec.name].secrets).toContain(`nats_${spec.name.replace(/-/g, '_')}`);
      expect(compose.services[spec.name].env_file).toBeUndefined();
    }
  });

  it('no secret has a default value in the compose file, except the demo profile’s simulator token', () => {
    const text = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
    const defaults = [...text.matchAll(/\$\{([A-Z0-9_]*(?:PASSWORD|TOKEN|SECRET|KEY)[A-Z0-9_]*):-[^}]+\}/g)].map((m) => m[1]);
    expect(defaults.filter((v) => v !== 'DEMO_CLOUD_TOKEN')).toEqual([]);
  });

  it('.env files are kept out of git and out of the image', () => {
    expect(readFileSync(join(ROOT, '.gitignore'), 'utf8')).toMatch(/^\.env$/m);
    expect(readFileSync(join(ROOT, '.dockerignore'), 'utf8')).toMatch(/^\.env/m);
    expect(readFileSync(join(ROOT, '.gitignore'), 'utf8')).toMatch(/^secrets\/$/m);
    expect(readFileSync(join(ROOT, '.dockerignore'), 'utf8')).toMatch(/^secrets$/m);
  });
});
