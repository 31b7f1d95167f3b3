/**
 * The NATS server configs of deploy/nats run for real, rendered as on a box (scripts/nats-config.ts:
 * per-process users appended, `$VAR`s resolved): the edge box's (least-privilege users +
 * JetStream; passwords nats-server could misread work), and a three-node JetStream cluster whose
 * routes need TLS with the site CA and the route user, with a replicated stream surviving the loss
 * of a node. Host names, ports and paths of the committed files are rewritten to loopback/temp
 * values; nothing else. (The hub and its leaf sites: hub-sites.spec.ts.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { inboxPrefixFor, provision, provisionOptionsFromConfig } from '@edge/platform';
import { freePort, testConfig } from '@edge/platform/testing';
import { REPO_ROOT } from '../../scripts/services';
import { waitForTcp } from '../../scripts/local-nats';
import { buildNatsConfig } from '../../scripts/nats-config';
import { leaf, makePki, type Pki } from '../security/pki';

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
  const base = rewrite(readFileSync(join(REPO_ROOT, confRel), 'utf8')).replace('store_dir: /data', `store_dir: ${JSON.stringify(join(dir, 'js'))}`);
  const file = join(dir, 'nats.conf');
  writeFileSync(file, buildNatsConfig(base, env));
  // The server gets no secret through its environment: everything is in the rendered file.
  const proc = spawn(process.env.NATS_SERVER_BIN ?? 'nats-server', ['-c', file], { stdio: 'ignore' });
  procs.push(proc);
  await waitForTcp('127.0.0.1', port, 10_000);
  return { proc, port };
}

async function nc(port: number, user: string, pass: string): Promise<NatsConnection> {
  const c = await connect({ servers: `nats://127.0.0.1:${port}`, user, pass, inboxPrefix: inboxPrefixFor(user), reconnect: false });
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
  it('nats-edge.conf: per-process users; anonymous refused; passwords of digits, spaces, quotes or `true` work', async () => {
    const port = await freePort();
    const odd = { NATS_PASSWORD_OPERATOR: '123456', NATS_PASSWORD_NORMALIZER: 'true', NATS_PASSWORD_FORWARDER: 'a b "c" \'d\' # e' };
    await run('deploy/nats/nats-edge.conf', (t) => noMonitor(clientListen(port)(t)), odd, port);
    await expect(connect({ servers: `nats://127.0.0.1:${port}`, reconnect: false })).rejects.toThrow(/auth/i);
    await expect(connect({ servers: `nats://127.0.0.1:${port}`, user: 'operator', pass: 'wrong', reconnect: false })).rejects.toThrow(/auth/i);
    const c = await nc(port, 'operator', '123456');
    const info = await (await jetstreamManager(c)).getAccountInfo();
    expect(info.limits).toBeDefined();
    await nc(port, 'normalizer', 'true');
    await nc(port, 'forwarder', odd.NATS_PASSWORD_FORWARDER);
    // A user without a password is not created at all.
    await expect(connect({ servers: `nats://127.0.0.1:${port}`, user: 'console', pass: '', reconnect: false })).rejects.toThrow(/auth/i);
  });

  it('refuses at render time what cannot be a password, naming the user', () => {
    const base = readFileSync(join(REPO_ROOT, 'deploy/nats/nats-edge.conf'), 'utf8');
    expect(() => buildNatsConfig(base, { NATS_PASSWORD_OPERATOR: 'x'.repeat(80) })).toThrow(/operator .*72 bytes/);
    expect(() => buildNatsConfig(base, {})).toThrow(/no NATS user has a password: set NATS_PASSWORD_COLLECTOR_ONGUARD/);
    expect(() => buildNatsConfig('server_name: $NATS_SERVER_NAME\n', { NATS_PASSWORD_OPERATOR: 'p' })).toThrow(/not set: NATS_SERVER_NAME/);
  });

  let pki: Pki | null = null;
  afterEach(() => pki?.dispose());

  it('cluster/nats-cluster.conf: routes need TLS from the site CA and the route user; a 3-replica stream survives losing one node', async () => {
    pki = makePki();
    leaf(pki.dir, 'route', 'DNS:localhost,IP:127.0.0.1', 'serverAuth,clientAuth');
    const tlsPaths = (t: string) =>
      t
        .replace('/etc/nats/tls/route.pem', join(pki!.dir, 'route.pem'))
        .replace('/etc/nats/tls/route-key.pem', join(pki!.dir, 'route.key'))
        .replace('/etc/nats/tls/ca.pem', pki!.caFile);
    const nodes = await Promise.all([1, 2, 3, 4].map(async (n) => ({ n, client: await freePort(), route: await freePort(), monitor: await freePort() })));
    const rewrite = (me: (typeof nodes)[number]) => (t: string) => {
      let out = tlsPaths(clientListen(me.client)(t)).replace('listen: 0.0.0.0:6222', `listen: 127.0.0.1:${me.route}`).replace('http: 127.0.0.1:8222', `http: 127.0.0.1:${me.monitor}`);
      for (const o of nodes) out = out.replace(`@nats-${o.n}:6222`, `@127.0.0.1:${o.route}`);
      return out;
    };
    const env = { NATS_PASSWORD_OPERATOR: 'cluster-pw', NATS_PASSWORD_NORMALIZER: 'norm-pw', NATS_ROUTE_PASSWORD: 'route pw/1' };
    const servers = await Promise.all(nodes.slice(0, 3).map((me) => run('deploy/nats/cluster/nats-cluster.conf', rewrite(me), { ...env, NATS_SERVER_NAME: `nats-${me.n}` }, me.client)));
    const routes = async (node: (typeof nodes)[number]) => ((await (await fetch(`http://127.0.0.1:${node.monitor}/routez`)).json()) as { num_routes: number }).num_routes;
    await until(async () => (await routes(nodes[0])) === 2);
    // A fourth server with the wrong route password, and one without TLS, are not let in.
    await run('deploy/nats/cluster/nats-cluster.conf', rewrite(nodes[3]), { ...env, NATS_ROUTE_PASSWORD: 'guessed', NATS_SERVER_NAME: 'nats-4' }, nodes[3].client);
    const plain = { client: await freePort(), route: await freePort() };
    const noTls = (t: string) =>
      rewrite(nodes[3])(t)
        .replace(/tls \{[^}]*\}/, '')
        .replace(`listen: 127.0.0.1:${nodes[3].client}`, `listen: 127.0.0.1:${plain.client}`)
        .replace(`listen: 127.0.0.1:${nodes[3].route}`, `listen: 127.0.0.1:${plain.route}`)
        .replace(/^http: .*$/m, '');
    await run('deploy/nats/cluster/nats-cluster.conf', noTls, { ...env, NATS_SERVER_NAME: 'nats-5' }, plain.client);
    await until(async () => (await routes(nodes[3])) === 0 && (await fetch(`http://127.0.0.1:${nodes[3].monitor}/varz`)).ok);
    expect(await routes(nodes[0])).toBe(2);
    const c = await nc(nodes[0].client, 'operator', 'cluster-pw');
    // The platform provisions the edge streams and KV with streams.replicas: 3 (once the
    // cluster has elected its JetStream meta leader).
    const cfg = testConfig(`nats://127.0.0.1:${nodes[0].client}`, { streams: { replicas: 3, raw: { max_bytes: '64MB' }, canonical: { max_bytes: '64MB' }, dlq: { max_bytes: '16MB' } } });
    await until(async () => provision(c, provisionOptionsFromConfig(cfg)));
    const jsm = await jetstreamManager(c);
    // The normalizer's user writes CANONICAL (the operator's cannot).
    const js = jetstream(await nc(nodes[0].client, 'normalizer', 'norm-pw'));
    await js.publish('canonical.inventory.s1', 'before');
    const info = await jsm.streams.info('CANONICAL');
    expect(info.config.num_replicas).toBe(3);
    expect(info.cluster?.replicas?.length).toBe(2);
    expect((await jsm.streams.info('KV_devices')).config.num_replicas).toBe(3);
    expect(await routes(nodes[0])).toBe(2);
    // Lose the node that leads the stream; the other two keep it writable.
    const leader = Number(info.cluster?.leader?.replace('nats-', ''));
    const survivor = nodes.slice(0, 3).find((x) => x.n !== leader)!;
    servers[leader - 1].proc.kill('SIGKILL');
    const c2 = await nc(survivor.client, 'operator', 'cluster-pw');
    const js2 = jetstream(await nc(survivor.client, 'normalizer', 'norm-pw'));
    await until(async () => (await js2.publish('canonical.inventory.s1', 'after', { timeout: 2000 })).seq);
    const after = await until(async () => {
      const i = await (await jetstreamManager(c2)).streams.info('CANONICAL');
      return i.state.messages >= 2 ? i : null;
    });
    expect(after.state.messages).toBe(2);
  });
});
