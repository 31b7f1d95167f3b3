import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect as tcpConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOUD_PATHS } from '@edge/contracts';
import { createLogger } from '@edge/platform';
import { testConfig } from '@edge/platform/testing';
import { sampleEvent, startCloudSimulator, type CloudSimulator } from '@edge/sim-cloud';
import { CloudClient } from '../src/cloud-client';

const log = createLogger({ service: 'test', level: 'silent' });
const TOKEN = 'client-test-token';
const body = JSON.stringify({ events: [sampleEvent(1, 0)] });

function cloudCfg(over: Record<string, unknown>) {
  return testConfig('nats://127.0.0.1:4222', { cloud: { base_url: 'http://127.0.0.1:9', token: TOKEN, timeout: '3s', ...over } as never }).cloud;
}

/** A forward proxy: CONNECT tunnels and absolute-URI requests, counting both. */
function startProxy(): Promise<{ server: Server; port: number; connects: string[]; requests: string[] }> {
  const connects: string[] = [];
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const u = new URL(req.url ?? '');
    const up = httpRequest({ host: u.hostname, port: u.port, path: u.pathname, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    req.pipe(up);
  });
  server.on('connect', (req, client: Socket, head: Buffer) => {
    connects.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const up = tcpConnect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port, connects, requests })));
}

describe('cloud client: TLS verification, proxy, answers', () => {
  let dir: string;
  let tlsSim: CloudSimulator;
  let plainSim: CloudSimulator;
  let proxy: Awaited<ReturnType<typeof startProxy>>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edge-tls-'));
    // A private CA and a server certificate for 127.0.0.1 signed by it.
    const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=edge-test-ca');
    run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=127.0.0.1');
    execFileSync('sh', ['-c', 'printf "subjectAltName=IP:127.0.0.1\\n" > ext.cnf'], { cwd: dir });
    run('x509', '-req', '-in', 'srv.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.pem', '-days', '1', '-extfile', 'ext.cnf');
    tlsSim = await startCloudSimulator({ token: TOKEN, tls: { key: readFileSync(join(dir, 'srv.key')), cert: readFileSync(join(dir, 'srv.pem')) } });
    plainSim = await startCloudSimulator({ token: TOKEN });
    proxy = await startProxy();
  });
  afterAll(async () => {
    await tlsSim?.close();
    await plainSim?.close();
    proxy?.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('verifies the cloud certificate: unknown CA fails, ca_file succeeds, insecure is an explicit opt-out', async () => {
    const noCa = new CloudClient(cloudCfg({ base_url: tlsSim.url }), log, 'test');
    const refused = await noCa.post(CLOUD_PATHS.healthEvents, body, 'k-tls-1');
    expect(refused.status).toBe(0);
    expect(refused.error).toMatch(/certificate|self.signed|CERT/i);
    noCa.close();

    const withCa = new CloudClient(cloudCfg({ base_url: tlsSim.url, tls: { ca_file: join(dir, 'ca.pem') } }), log, 'test');
    expect((await withCa.post(CLOUD_PATHS.healthEvents, body, 'k-tls-2')).status).toBe(200);
    withCa.close();

    const insecure = new CloudClient(cloudCfg({ base_url: tlsSim.url, tls: { insecure: true } }), log, 'test');
    expect((await insecure.post(CLOUD_PATHS.healthEvents, body, 'k-tls-2')).status).toBe(409);
    insecure.close();
  });

  it('goes through the proxy: CONNECT tunnel for https (still verified), absolute URI for http', async () => {
    const viaProxy = new CloudClient(cloudCfg({ base_url: tlsSim.url, tls: { ca_file: join(dir, 'ca.pem') }, proxy: `http://127.0.0.1:${proxy.port}` }), log, 'test');
    expect((await viaProxy.post(CLOUD_PATHS.healthEvents, JSON.stringify({ events: [sampleEvent(2, 0)] }), 'k-px-1')).status).toBe(200);
    expect((await viaProxy.post(CLOUD_PATHS.healthEvents, JSON.stringify({ events: [sampleEvent(2, 1)] }), 'k-px-2')).status).toBe(200);
    // Keep-alive: both requests share one tunnel.
    expect(proxy.connects).toEqual([`127.0.0.1:${tlsSim.port}`]);
    viaProxy.close();

    const unverified = new CloudClient(cloudCfg({ base_url: tlsSim.url, proxy: `http://127.0.0.1:${proxy.port}` }), log, 'test');
    expect((await unverified.post(CLOUD_PATHS.healthEvents, body, 'k-px-3')).status).toBe(0);
    unverified.close();

    const plain = new CloudClient(cloudCfg({ base_url: plainSim.url, proxy: `http://127.0.0.1:${proxy.port}` }), log, 'test');
    expect((await plain.post(CLOUD_PATHS.healthEvents, body, 'k-px-4')).status).toBe(200);
    expect(proxy.requests).toEqual([`${plainSim.url}${CLOUD_PATHS.healthEvents}`]);
    plain.close();
  });

  it('reports timeouts and refused connections as answers without a status, and reads Retry-After', async () => {
    plainSim.faults.set({ latency_ms: 1500 });
    const slow = new CloudClient(cloudCfg({ base_url: plainSim.url, timeout: '300ms' }), log, 'test');
    const t = await slow.post(CLOUD_PATHS.healthEvents, body, 'k-to');
    expect(t).toMatchObject({ status: 0, error: expect.stringMatching(/timeout/i) });
    slow.close();
    plainSim.faults.clear();

    const nowhere = new CloudClient(cloudCfg({ base_url: 'http://127.0.0.1:9' }), log, 'test');
    expect((await nowhere.post(CLOUD_PATHS.healthEvents, body, 'k-x')).error).toMatch(/ECONNREFUSED/);
    nowhere.close();

    plainSim.faults.set({ fail_next: { count: 1, status: 429, retry_after: 12 } });
    const c = new CloudClient(cloudCfg({ base_url: plainSim.url }), log, 'test');
    const a = await c.post(CLOUD_PATHS.healthEvents, body, 'k-ra');
    expect(a).toMatchObject({ status: 429, retryAfterMs: 12_000, body: { error: 'injected' } });
    c.close();
  });
});
