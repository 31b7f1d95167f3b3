/**
 * A regional hub and N edge boxes as leaf nodes, from the committed configs
 * (deploy/nats/leaf/hub.conf rendered by scripts/hub-config.ts, deploy/nats/leaf/edge-leaf.conf
 * by scripts/nats-config.ts). Ports, store paths and certificate paths are rewritten to
 * loopback/temp values; nothing else. Used by hub-sites.spec.ts and bench/hub.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { inboxPrefixFor, provision, provisionOptionsFromConfig } from '@edge/platform';
import { freePort, testConfig } from '@edge/platform/testing';
import { buildHubConfig, fleetSubject } from '../../scripts/hub-config';
import { waitForTcp } from '../../scripts/local-nats';
import { buildNatsConfig } from '../../scripts/nats-config';
import { natsUserSpecs, passwordVar } from '../../scripts/nats-users';
import { REPO_ROOT } from '../../scripts/services';
import { makePki, type Pki } from '../security/pki';

export interface EdgeBox {
  site: string;
  port: number;
  proc: ChildProcess;
  /** Connect as one of the box's users (operator, normalizer, forwarder, …). */
  as(user: string): Promise<NatsConnection>;
}

export interface HubRig {
  hubPort: number;
  hubMonitor: number;
  hubPid(): number;
  edges: EdgeBox[];
  ops(): Promise<NatsConnection>;
  stopHub(): void;
  startHub(): Promise<void>;
  /** Hub-side stream of a site: sources the box's CANONICAL, republishes to fleet.<site>.> */
  attachSite(edge: EdgeBox): Promise<void>;
  dispose(): Promise<void>;
}

const OPS_PASSWORD = 'ops pw "1"';
const leafPassword = (site: string) => `leaf-pw-${site}`;
const userPassword = (site: string, user: string) => `${site}/${user}/pw`;

export async function startHubRig(siteCount: number, o: { onHubStarted?: (pid: number) => Promise<void> } = {}): Promise<HubRig> {
  const dir = mkdtempSync(join(tmpdir(), 'edge-hub-'));
  const pki: Pki = makePki();
  const procs: ChildProcess[] = [];
  const conns: NatsConnection[] = [];
  const hubPort = await freePort();
  const hubMonitor = await freePort();
  const leafPort = await freePort();
  const sites = Array.from({ length: siteCount }, (_, i) => `site-${String(i + 1).padStart(2, '0')}`);
  const spawnServer = (conf: string) => {
    const p = spawn(process.env.NATS_SERVER_BIN ?? 'nats-server', ['-c', conf], { stdio: 'ignore' });
    procs.push(p);
    return p;
  };

  const hubBase = readFileSync(join(REPO_ROOT, 'deploy/nats/leaf/hub.conf'), 'utf8')
    .replace('listen: 0.0.0.0:4222', `listen: 127.0.0.1:${hubPort}`)
    .replace('http: 127.0.0.1:8222', `http: 127.0.0.1:${hubMonitor}`)
    .replace('listen: 0.0.0.0:7422', `listen: 127.0.0.1:${leafPort}`)
    .replace('store_dir: /data', `store_dir: ${JSON.stringify(join(dir, 'hub'))}`)
    .replace('/etc/nats/tls/hub.pem', join(pki.dir, 'server.pem'))
    .replace('/etc/nats/tls/hub-key.pem', join(pki.dir, 'server.key'));
  const hubConf = join(dir, 'hub.conf');
  writeFileSync(hubConf, buildHubConfig(hubBase, { sites: sites.map((id) => ({ id, leafPassword: leafPassword(id) })), opsPassword: OPS_PASSWORD, cost: 4 }, {}));
  let hub = spawnServer(hubConf);
  await waitForTcp('127.0.0.1', hubPort, 15_000);
  await o.onHubStarted?.(hub.pid!);

  const edges: EdgeBox[] = [];
  for (const site of sites) {
    const port = await freePort();
    const base = readFileSync(join(REPO_ROOT, 'deploy/nats/leaf/edge-leaf.conf'), 'utf8')
      .replace('listen: 0.0.0.0:4222', `listen: 127.0.0.1:${port}`)
      .replace(/^http: 127\.0\.0\.1:8222$/m, '')
      .replace('store_dir: /data', `store_dir: ${JSON.stringify(join(dir, site))}`)
      .replace('/etc/nats/tls/hub-ca.pem', pki.caFile);
    const env: Record<string, string> = {
      NATS_SERVER_NAME: `edge-${site}`,
      EDGE_JS_DOMAIN: `edge-${site}`,
      HUB_LEAF_URL: `tls://leaf-${site}:${encodeURIComponent(leafPassword(site))}@127.0.0.1:${leafPort}`,
    };
    for (const u of natsUserSpecs()) env[passwordVar(u.user)] = userPassword(site, u.user);
    mkdirSync(join(dir, site), { recursive: true });
    const conf = join(dir, `${site}.conf`);
    writeFileSync(conf, buildNatsConfig(base, env, {}));
    const proc = spawnServer(conf);
    await waitForTcp('127.0.0.1', port, 15_000);
    const as = async (user: string) => {
      const c = await connect({ servers: `nats://127.0.0.1:${port}`, user, pass: userPassword(site, user), inboxPrefix: inboxPrefixFor(user), maxReconnectAttempts: -1 });
      conns.push(c);
      return c;
    };
    // The box provisions its streams as on a real start.
    await provision(await as('operator'), provisionOptionsFromConfig(testConfig(`nats://127.0.0.1:${port}`)));
    edges.push({ site, port, proc, as });
  }

  return {
    hubPort,
    hubMonitor,
    hubPid: () => hub.pid!,
    edges,
    async ops() {
      const c = await connect({ servers: `nats://127.0.0.1:${hubPort}`, user: 'ops', pass: OPS_PASSWORD, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
      conns.push(c);
      return c;
    },
    stopHub() {
      hub.kill('SIGKILL');
    },
    async startHub() {
      hub = spawnServer(hubConf);
      await waitForTcp('127.0.0.1', hubPort, 15_000);
    },
    async attachSite(edge) {
      const { jetstreamManager } = await import('@nats-io/jetstream');
      // From the box, in its own account on the hub (domain "hub"), over the leaf link.
      const jsm = await jetstreamManager(await edge.as('operator'), { domain: 'hub' });
      await jsm.streams.add({
        name: 'SITE_CANONICAL',
        // Subjects are needed for republish (its source must be a subset of them); the box never
        // sends these subjects over the leaf link (deny_exports), so only the source fills it.
        subjects: ['canonical.>'],
        sources: [{ name: 'CANONICAL', external: { api: `$JS.edge-${edge.site}.API`, deliver: '' } }],
        republish: { src: 'canonical.>', dest: `${fleetSubject(edge.site)}.canonical.>` },
      });
    },
    async dispose() {
      for (const c of conns) await c.close().catch(() => undefined);
      for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
      pki.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
