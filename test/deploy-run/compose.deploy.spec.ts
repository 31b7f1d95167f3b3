/**
 * `npm run test:deploy`: the real deployment. Builds the image with `docker compose build`
 * (local Debian bases from scripts/setup-containers.sh as build arguments; the Dockerfile's
 * defaults stay the real ones), runs `docker compose --profile demo up -d` from a copy of the
 * deployment files (compose file, deploy/, config/, certs/, secrets made by
 * deploy/make-secrets.sh) with random host ports, and checks what an operator relies on:
 * every healthcheck passes; the cloud simulator gets the complete inventory and a state change;
 * status ports answer (bearer token required); `docker compose restart forwarder` and `kill -9`
 * of the normalizer's process lose nothing; `down` then `up` keeps the JetStream volume (device
 * registry and undelivered backlog survive); the CLI runs in a container (`status`,
 * `config check` without NATS, a missing CA file and a root-only config reported clearly).
 * Engine: podman behind a Docker-compatible socket, driven by docker-compose (DOCKER_HOST).
 */
import { execFile } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { CONSUMERS, STREAMS } from '@edge/contracts';
import { inboxPrefixFor } from '@edge/platform';
import { freePort, waitUntil } from '@edge/platform/testing';
import { VENDORS } from '@edge/vendors';

const ROOT = resolve(__dirname, '../..');
const SOCKET = process.env.EDGE_PODMAN_SOCKET ?? '/run/edge-podman/podman.sock';
const BASE = process.env.EDGE_BASE_IMAGE ?? 'localhost/edge-base:bookworm';
const project = `edgedeploy${process.pid}`;
const image = `localhost/edge-integration:deploy-${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'edge-deploy-'));
const ports: Record<string, number> = {};
const conns: NatsConnection[] = [];

interface Run {
  code: number;
  out: string;
}

function sh(cmd: string, args: string[], o: { timeoutMs?: number; cwd?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((res) => {
    execFile(
      cmd,
      args,
      { cwd: o.cwd ?? dir, env: { ...process.env, DOCKER_HOST: `unix://${SOCKET}`, ...o.env }, timeout: o.timeoutMs ?? 300_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => res({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

const compose = (args: string[], timeoutMs?: number) => sh('docker-compose', ['-p', project, ...args], { timeoutMs });

async function ok(r: Promise<Run>): Promise<string> {
  const x = await r;
  if (x.code !== 0) throw new Error(`exit ${x.code}: ${x.out.slice(-3000)}`);
  return x.out;
}

/** The platform's wait, polling every 1000 ms. */
const until = <T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 600_000) => waitUntil(what, fn, timeoutMs, 1000) as Promise<T>;

const json = async <T>(url: string, init?: RequestInit): Promise<T> => {
  const r = await fetch(url, init);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return (await r.json()) as T;
};

/** Runs JS inside a service's container (the simulators are not published on the host). */
async function inContainer<T>(service: string, code: string): Promise<T> {
  const out = await ok(compose(['exec', '-T', service, 'node', '-e', code]));
  return JSON.parse(out.trim().split('\n').pop()!) as T;
}

const fetchJs = (url: string, init = '{}') => `fetch(${JSON.stringify(url)}, ${init}).then(r=>r.json()).then(j=>console.log(JSON.stringify(j)))`;

async function containersHealthy(services: string[]): Promise<boolean> {
  const out = await ok(sh('podman', ['ps', '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{.Names}}|{{.Status}}']));
  const lines = out.trim().split('\n');
  return services.every((s) => lines.some((l) => l.startsWith(`${project}_${s}_`) && l.includes('(healthy)')));
}

const PIPELINE = ['nats', ...VENDORS.map((v) => v.service.name), 'normalizer', 'forwarder', ...VENDORS.map((v) => v.simulator.name), 'sim-cloud'];
const cloud = () => `http://127.0.0.1:${ports.DEMO_CLOUD_PORT}`;
const secret = (name: string) => readFileSync(join(dir, 'secrets', name), 'utf8').trim();

async function operator(): Promise<NatsConnection> {
  const c = await connect({ servers: `nats://127.0.0.1:${ports.EDGE_NATS_PORT}`, user: 'operator', pass: secret('nats_operator'), inboxPrefix: inboxPrefixFor('operator'), reconnect: false });
  conns.push(c);
  return c;
}

/** Takes an OnGuard reader offline in the simulator; returns its canonical device id. */
async function takeOffline(nth: number): Promise<string> {
  const { devices } = await inContainer<{ devices: Array<{ canonical_key: string; type?: string; expected_status?: string }> }>('sim-onguard', fetchJs('http://127.0.0.1:18081/_sim/devices?type=reader'));
  const d = devices.filter((x) => x.expected_status === 'online')[nth];
  await inContainer('sim-onguard', fetchJs(`http://127.0.0.1:18081/_sim/devices/${encodeURIComponent(d.canonical_key)}`, `{method:'POST',headers:{'content-type':'application/json'},body:JSON.stringify({online:false})}`));
  return `onguard:og-demo:${d.canonical_key}`;
}

const arrivedOffline = (deviceId: string) =>
  until(`offline event of ${deviceId} at the cloud`, async () => {
    const r = await json<{ events: Array<{ status: string }> }>(`${cloud()}/_sim/events?device_id=${encodeURIComponent(deviceId)}`);
    return r.events.some((e) => e.status === 'offline');
  });

beforeAll(async () => {
  for (const k of ['EDGE_NATS_PORT', 'EDGE_PORT_COLLECTOR_ONGUARD', 'EDGE_PORT_COLLECTOR_MILESTONE', 'EDGE_PORT_NORMALIZER', 'EDGE_PORT_FORWARDER', 'EDGE_PORT_CONSOLE', 'DEMO_CLOUD_PORT']) ports[k] = await freePort();
  for (const p of ['docker-compose.yml', 'deploy', 'config', 'certs']) cpSync(join(ROOT, p), join(dir, p), { recursive: true });
  await ok(sh('bash', ['deploy/make-secrets.sh']));
  const env = { EDGE_IMAGE: image, EDGE_CONFIG_FILE: '/app/config/demo.yaml', ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])) };
  writeFileSync(join(dir, '.env'), Object.entries(env).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  // Build from the repository (the build context), with the local base images.
  await ok(
    sh('docker-compose', ['-p', project, 'build', 'collector-onguard'], {
      cwd: ROOT,
      timeoutMs: 900_000,
      env: { EDGE_IMAGE: image, EDGE_NODE_IMAGE: BASE, EDGE_NATS_IMAGE: BASE },
    }),
  );
}, 900_000);

afterAll(async () => {
  for (const c of conns) await c.close().catch(() => undefined);
  await compose(['--profile', 'demo', '--profile', 'tools', 'down', '-v', '--remove-orphans'], 300_000);
  await sh('podman', ['rmi', '-f', image]);
  rmSync(dir, { recursive: true, force: true });
}, 600_000);

describe('docker compose deployment (real engine)', () => {
  it('comes up healthy and delivers the complete inventory and a state change', async () => {
    await ok(compose(['--profile', 'demo', 'up', '-d'], 600_000));
    await until('every healthcheck passes', () => containersHealthy(PIPELINE));
    const og = await inContainer<{ devices: unknown[] }>('sim-onguard', fetchJs('http://127.0.0.1:18081/_sim/devices'));
    const xp = await inContainer<{ devices: unknown[] }>('sim-milestone', fetchJs('http://127.0.0.1:18082/_sim/devices'));
    const total = og.devices.length + xp.devices.length;
    expect(total).toBeGreaterThan(0);
    // Every vendor of the list has a simulator in the demo profile: OnGuard's and XProtect's are
    // counted exactly; every other vendor's must have delivered devices and a completed sync too.
    await until('complete inventory at the cloud', async () => {
      const s = await json<{ syncs_completed: number }>(`${cloud()}/_sim/stats`);
      const { devices } = await json<{ devices: Array<{ id: string }> }>(`${cloud()}/_sim/devices`);
      const vendorOf = (d: { id: string }) => d.id.split(':')[0];
      const counted = devices.filter((d) => ['onguard', 'milestone'].includes(vendorOf(d))).length;
      const others = VENDORS.filter((v) => !['onguard', 'milestone'].includes(v.id)).every((v) => devices.some((d) => vendorOf(d) === v.id));
      return counted === total && others && s.syncs_completed >= VENDORS.length;
    });
    await arrivedOffline(await takeOffline(0));
  });

  it('status ports published by compose answer, and /status needs the bearer token', async () => {
    for (const k of ['EDGE_PORT_COLLECTOR_ONGUARD', 'EDGE_PORT_COLLECTOR_MILESTONE', 'EDGE_PORT_NORMALIZER', 'EDGE_PORT_FORWARDER', 'EDGE_PORT_CONSOLE']) {
      expect((await fetch(`http://127.0.0.1:${ports[k]}/healthz`)).status, k).toBe(200);
      expect((await fetch(`http://127.0.0.1:${ports[k]}/status`)).status, k).toBe(401);
      expect((await fetch(`http://127.0.0.1:${ports[k]}/status`, { headers: { authorization: `Bearer ${secret('edge_http_token')}` } })).status, k).toBe(200);
    }
  });

  it('`docker compose restart forwarder` and kill -9 of the normalizer lose nothing', async () => {
    await ok(compose(['restart', 'forwarder'], 120_000));
    await arrivedOffline(await takeOffline(1));
    const name = `${project}_normalizer_1`;
    const pid = Number((await ok(sh('podman', ['inspect', '-f', '{{.State.Pid}}', name]))).trim());
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, 'SIGKILL');
    const changed = await takeOffline(2);
    await until('normalizer restarted by its restart policy', async () => {
      const now = Number((await ok(sh('podman', ['inspect', '-f', '{{.State.Pid}}', name]))).trim());
      return now > 0 && now !== pid;
    });
    await arrivedOffline(changed);
  });

  it('down then up keeps the JetStream volume: the registry and the undelivered backlog survive', async () => {
    await ok(compose(['stop', 'forwarder'], 120_000));
    const waiting = await takeOffline(3);
    await until('the change waits in CANONICAL', async () => {
      const ci = await (await jetstreamManager(await operator())).consumers.info(STREAMS.canonical, CONSUMERS.forwarder);
      return ci.num_pending + ci.num_ack_pending > 0;
    });
    // The registry as the normalizer left it (stopped first: it writes on its way out).
    await ok(compose(['stop', 'collector-onguard', 'collector-milestone', 'normalizer'], 120_000));
    const registry = async () => {
      const kv = await new Kvm(await operator()).open('devices');
      const keys: string[] = [];
      for await (const k of await kv.keys()) keys.push(k);
      return { keys: keys.sort(), messages: (await (await jetstreamManager(await operator())).streams.info('KV_devices')).state.messages };
    };
    const before = await registry();
    expect(before.keys.length).toBeGreaterThan(0);
    await ok(compose(['--profile', 'demo', 'down'], 300_000));
    await ok(compose(['up', '-d', 'nats'], 300_000));
    await until('nats healthy again', () => containersHealthy(['nats']));
    // Before any service runs again: the registry is on the volume, unchanged.
    expect(await registry()).toEqual(before);
    await ok(compose(['--profile', 'demo', 'up', '-d'], 600_000));
    await until('every healthcheck passes again', () => containersHealthy(PIPELINE));
    // The fresh cloud simulator receives the change that waited in the backlog across down/up.
    await arrivedOffline(waiting);
  });

  it('the operator CLI runs in a container: status, config check without NATS, clear config errors', async () => {
    const status = await compose(['run', '--rm', 'edge', 'status']);
    expect(status.out).toMatch(/og-demo\s+onguard\s+connected/);
    expect(status.code).toBe(0);
    const check = await compose(['run', '--rm', '--no-deps', 'edge', 'config', 'check', '/app/config/demo.yaml', '--no-nats']);
    expect(check.out).toMatch(/all checks passed/);
    expect(check.code).toBe(0);
    // A config naming a CA file that is not in certs/: the check says which and where.
    const demo = readFileSync(join(dir, 'config/demo.yaml'), 'utf8');
    writeFileSync(join(dir, 'config/missing-ca.yaml'), demo.replace(/^cloud:\n/m, 'cloud:\n  tls: { ca_file: /app/certs/cloud-ca.pem }\n'));
    const missing = await compose(['run', '--rm', '--no-deps', 'edge', 'config', 'check', '/app/config/missing-ca.yaml', '--offline']);
    expect(missing.out).toContain('cloud.tls.ca_file: cannot read /app/certs/cloud-ca.pem (no such file');
    expect(missing.code).toBe(1);
    // A config readable only by root: the container's user (uid 10001) is told what to do.
    writeFileSync(join(dir, 'config/root-only.yaml'), demo);
    chmodSync(join(dir, 'config/root-only.yaml'), 0o600);
    const rootOnly = await compose(['run', '--rm', '--no-deps', 'edge', 'config', 'check', '/app/config/root-only.yaml', '--offline']);
    expect(rootOnly.out).toMatch(/permission denied \(EACCES\) for uid 10001/);
    expect(rootOnly.code).not.toBe(0);
  });

  it('runs no container with an anonymous volume; only NATS has a volume', async () => {
    const vols = (await ok(sh('podman', ['volume', 'ls', '--format', '{{.Name}}']))).trim().split('\n');
    const mine = vols.filter((v) => v.startsWith(project));
    expect(mine).toEqual([`${project}_nats-data`]);
    const out = await ok(sh('podman', ['ps', '-a', '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{.Names}}']));
    for (const name of out.trim().split('\n')) {
      const mounts = JSON.parse(await ok(sh('podman', ['inspect', '-f', '{{json .Mounts}}', name]))) as Array<{ Type: string; Name?: string }>;
      for (const m of mounts.filter((x) => x.Type === 'volume')) expect(m.Name, name).toBe(`${project}_nats-data`);
    }
  });
});
