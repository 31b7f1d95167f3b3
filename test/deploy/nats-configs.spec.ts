/**
 * The NATS server configs of deploy/nats run for real: the edge box's (auth + JetStream), a
 * three-node JetStream cluster with a replicated stream surviving the loss of a node, and an
 * edge box as a leaf node of a regional hub that sources the site's stream. Host names, ports
 * and the store path of the committed files are rewritten to loopback/temp values; nothing else.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { provision, provisionOptionsFromConfig } from '@edge/platform';
import { freePort, testConfig } from '@edge/platform/testing';
import { REPO_ROOT } from '../../scripts/services';
import { waitForTcp } from '../../scripts/local-nats';

const procs: ChildProcess[] = [];
const conns: NatsConnection[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const c of conns.splice(0)) await c.close().catch(() => undefined);
  for (const p of procs.splice(0)) if (p.exitCode === null) p.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface Started {
  proc: ChildProcess;
  port: number;
}

async function run(confRel: string, rewrite: (text: string) => string, env: Record<string, string>, port: number): Promise<Started> {
  const dir = mkdtempSync(join(tmpdir(), 'edge-natsconf-'));
  dirs.push(dir);
  const text = rewrite(readFileSync(join(REPO_ROOT, confRel), 'utf8')).replace('store_dir: /data', `store_dir: ${JSON.stringify(join(dir, 'js'))}`);
  const file = join(dir, 'nats.conf');
  writeFileSync(file, text);
  const proc = spawn(process.env.NATS_SERVER_BIN ?? 'nats-server', ['-c', file], { env: { ...process.env, ...env }, stdio: 'ignore' });
  procs.push(proc);
  await waitForTcp('127.0.0.1', port, 10_000);
  return { proc, port };
}

async function nc(port: number, user: string, pass: string): Promise<NatsConnection> {
  const c = await connect({ servers: `nats://127.0.0.1:${port}`, user, pass, reconnect: false });
  conns.push(c);
  return c;
}

async function until<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs = 120_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`condition not met in time${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const clientListen = (port: number) => (t: string) => t.replace('listen: 0.0.0.0:4222', `listen: 127.0.0.1:${port}`);
const noMonitor = (t: string) => t.replace(/^http: 127\.0\.0\.1:8222$/m, '');

describe('deploy/nats configs', () => {
  it('nats-edge.conf: JetStream with user/password from the environment; anonymous clients refused', async () => {
    const port = await freePort();
    await run('deploy/nats/nats-edge.conf', (t) => noMonitor(clientListen(port)(t)), { NATS_USER: 'edge', NATS_PASSWORD: 'edge-secret-pw' }, port);
    await expect(connect({ servers: `nats://127.0.0.1:${port}`, reconnect: false })).rejects.toThrow(/auth/i);
    const c = await nc(port, 'edge', 'edge-secret-pw');
    const info = await (await jetstreamManager(c)).getAccountInfo();
    expect(info.limits).toBeDefined();
  });

  it('cluster/nats-cluster.conf: three nodes hold a 3-replica stream that survives losing one node', async () => {
    const nodes = await Promise.all([1, 2, 3].map(async (n) => ({ n, client: await freePort(), route: await freePort() })));
    const rewrite = (me: (typeof nodes)[number]) => (t: string) => {
      let out = noMonitor(clientListen(me.client)(t)).replace('listen: 0.0.0.0:6222', `listen: 127.0.0.1:${me.route}`);
      for (const o of nodes) out = out.replace(`nats-route://nats-${o.n}:6222`, `nats-route://127.0.0.1:${o.route}`);
      return out;
    };
    const env = { NATS_USER: 'edge', NATS_PASSWORD: 'cluster-pw' };
    const servers = await Promise.all(nodes.map((me) => run('deploy/nats/cluster/nats-cluster.conf', rewrite(me), { ...env, NATS_SERVER_NAME: `nats-${me.n}` }, me.client)));
    const c = await nc(nodes[0].client, 'edge', 'cluster-pw');
    // The platform provisions the edge streams and KV with streams.replicas: 3 (once the
    // cluster has elected its JetStream meta leader).
    const cfg = testConfig(`nats://127.0.0.1:${nodes[0].client}`, { streams: { replicas: 3, raw: { max_bytes: '64MB' }, canonical: { max_bytes: '64MB' }, dlq: { max_bytes: '16MB' } } });
    await until(async () => provision(c, provisionOptionsFromConfig(cfg)));
    const jsm = await jetstreamManager(c);
    const js = jetstream(c);
    await js.publish('canonical.inventory.s1', 'before');
    const info = await jsm.streams.info('CANONICAL');
    expect(info.config.num_replicas).toBe(3);
    expect(info.cluster?.replicas?.length).toBe(2);
    expect((await jsm.streams.info('KV_devices')).config.num_replicas).toBe(3);
    // Lose the node that leads the stream; the other two keep it writable.
    const leader = Number(info.cluster?.leader?.replace('nats-', ''));
    const survivor = nodes.find((x) => x.n !== leader)!;
    servers[leader - 1].proc.kill('SIGKILL');
    const c2 = await nc(survivor.client, 'edge', 'cluster-pw');
    const js2 = jetstream(c2);
    await until(async () => (await js2.publish('canonical.inventory.s1', 'after', { timeout: 2000 })).seq);
    const after = await until(async () => {
      const i = await (await jetstreamManager(c2)).streams.info('CANONICAL');
      return i.state.messages >= 2 ? i : null;
    });
    expect(after.state.messages).toBe(2);
  });

  it('leaf/hub.conf + leaf/edge-leaf.conf: the site keeps its own JetStream domain; the hub sources its stream over the leaf link', async () => {
    const hubPort = await freePort();
    const leafPort = await freePort();
    const edgePort = await freePort();
    await run(
      'deploy/nats/leaf/hub.conf',
      (t) => noMonitor(clientListen(hubPort)(t)).replace('listen: 0.0.0.0:7422', `listen: 127.0.0.1:${leafPort}`),
      { HUB_USER: 'hub', HUB_PASSWORD: 'hub-pw', SITE_LEAF_USER: 'site-a', SITE_LEAF_PASSWORD: 'site-a-leaf-pw' },
      hubPort,
    );
    await run(
      'deploy/nats/leaf/edge-leaf.conf',
      (t) => noMonitor(clientListen(edgePort)(t)),
      {
        NATS_SERVER_NAME: 'edge-site-a',
        EDGE_JS_DOMAIN: 'edge-site-a',
        NATS_USER: 'edge',
        NATS_PASSWORD: 'edge-pw',
        HUB_LEAF_URL: `nats-leaf://site-a:site-a-leaf-pw@127.0.0.1:${leafPort}`,
      },
      edgePort,
    );
    const edge = await nc(edgePort, 'edge', 'edge-pw');
    const hub = await nc(hubPort, 'hub', 'hub-pw');
    // The edge box's own JetStream (its domain) holds the site's stream.
    const edgeJsm = await jetstreamManager(edge);
    await edgeJsm.streams.add({ name: 'CANONICAL', subjects: ['canonical.>'] });
    await jetstream(edge).publish('canonical.health.site-a', JSON.stringify({ n: 1 }));
    // The hub reaches it by domain over the leaf connection…
    const viaHub = await until(async () => (await jetstreamManager(hub, { domain: 'edge-site-a' })).streams.info('CANONICAL'));
    expect(viaHub.state.messages).toBe(1);
    // …and aggregates it into a stream of its own.
    const hubJsm = await jetstreamManager(hub);
    await hubJsm.streams.add({ name: 'SITE_A_CANONICAL', sources: [{ name: 'CANONICAL', external: { api: '$JS.edge-site-a.API', deliver: '' } }] });
    await jetstream(edge).publish('canonical.health.site-a', JSON.stringify({ n: 2 }));
    const agg = await until(async () => {
      const i = await hubJsm.streams.info('SITE_A_CANONICAL');
      return i.state.messages >= 2 ? i : null;
    });
    expect(agg.state.messages).toBe(2);
  });
});
