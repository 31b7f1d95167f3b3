/**
 * Least privilege on NATS, against a real nats-server running the generated user list
 * (scripts/nats-users.ts from scripts/services.json and libs/platform permissionsFor): each
 * process's user can do its job and is refused everything else that matters — a collector cannot
 * read CANONICAL, the DLQ or another vendor's subjects nor replay the DLQ; nobody but the
 * operator purges or deletes; nobody reads another user's inbox. Each refusal has a control that
 * the same connection can do its own work, so a refusal cannot come from a broken connection.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, createInbox, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { CONSUMERS, STREAMS } from '@edge/contracts';
import { inboxPrefixFor, provision, provisionOptionsFromConfig, provisionScopeFor } from '@edge/platform';
import { freePort, testConfig } from '@edge/platform/testing';
import { natsUserSpecs, renderAuthorization } from '../../scripts/nats-users';
import { waitForTcp } from '../../scripts/local-nats';

const dir = mkdtempSync(join(tmpdir(), 'edge-natsperm-'));
let server: ChildProcess;
let port = 0;
const conns: NatsConnection[] = [];
const specs = natsUserSpecs();
const passwords = Object.fromEntries(specs.map((s) => [s.user, `pw-${s.user}-0123456789`]));

async function as(user: string): Promise<NatsConnection> {
  const c = await connect({ servers: `nats://127.0.0.1:${port}`, user, pass: passwords[user], inboxPrefix: inboxPrefixFor(user), reconnect: false });
  conns.push(c);
  return c;
}

/** The request is refused by the server's permissions (not a timeout, not "no responders"). */
async function refused(p: Promise<unknown>): Promise<void> {
  await expect(p).rejects.toThrow(/permission/i);
}

/** A subscription the server refuses: the client reports a permissions violation for it. */
async function subscribeRefused(nc: NatsConnection, subject: string): Promise<void> {
  const sub = nc.subscribe(subject);
  await expect(
    (async () => {
      for await (const _ of sub) return 'message';
      return 'closed';
    })(),
  ).rejects.toThrow(/permission/i);
}

beforeAll(async () => {
  port = await freePort();
  const conf = join(dir, 'nats.conf');
  writeFileSync(conf, `listen: "127.0.0.1:${port}"\njetstream { store_dir: ${JSON.stringify(join(dir, 'js'))} }\n${renderAuthorization(specs, { passwords })}`);
  server = spawn(process.env.NATS_SERVER_BIN ?? 'nats-server', ['-c', conf], { stdio: 'ignore' });
  await waitForTcp('127.0.0.1', port, 15_000);
  // Each process provisions what it owns, as on a real start.
  const cfg = testConfig(`nats://127.0.0.1:${port}`);
  for (const svc of ['collector-onguard', 'normalizer', 'forwarder'])
    await provision(await as(svc), { ...provisionOptionsFromConfig(cfg), scope: provisionScopeFor(svc) });
}, 600_000);

afterAll(async () => {
  for (const c of conns) await c.close().catch(() => undefined);
  server?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('NATS users generated from scripts/services.json', () => {
  it('has one user per pipeline process, plus the console and the operator', () => {
    const users = specs.map((s) => s.user);
    expect(users).toEqual(expect.arrayContaining(['collector-onguard', 'collector-milestone', 'normalizer', 'forwarder', 'console', 'operator']));
    // A process added to the list gets its user; one without a role is refused loudly.
    expect(natsUserSpecs([{ name: 'collector-genetec', vendor: 'genetec' }]).map((s) => s.user)).toContain('collector-genetec');
    expect(() => natsUserSpecs([{ name: 'mystery' }])).toThrow(/no NATS role/);
  });

  it('a collector writes its raw subjects and is refused CANONICAL, the DLQ, other vendors and DLQ replay', async () => {
    const nc = await as('collector-onguard');
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    expect((await js.publish('raw.onguard.og-1.status', '{}')).stream).toBe(STREAMS.raw); // control
    await refused(js.publish('raw.milestone.xp-1.status', '{}'));
    await refused(js.publish('canonical.health.s1', '{}'));
    await refused(jsm.streams.getMessage(STREAMS.canonical, { seq: 1 }));
    await refused(jsm.streams.info(STREAMS.canonical));
    await refused(jsm.consumers.add(STREAMS.canonical, { durable_name: 'peek' }));
    await refused(jsm.streams.getMessage(STREAMS.dlq, { seq: 1 }));
    await refused(nc.request('edge.site-1.cmd.dlq', JSON.stringify({ action: 'replay-all' }), { timeout: 5_000 }));
    await subscribeRefused(nc, 'canonical.>');
    await subscribeRefused(nc, 'dlq.>');
  });

  it('nobody but the operator purges or deletes streams, consumers or messages', async () => {
    for (const user of ['collector-onguard', 'normalizer', 'forwarder', 'console']) {
      const jsm = await jetstreamManager(await as(user), { checkAPI: false });
      await refused(jsm.streams.purge(STREAMS.canonical));
      await refused(jsm.streams.purge(STREAMS.raw));
      await refused(jsm.streams.delete(STREAMS.dlq));
      await refused(jsm.consumers.delete(STREAMS.canonical, CONSUMERS.forwarder));
      await refused(jsm.streams.deleteMessage(STREAMS.raw, 1));
    }
    const op = await jetstreamManager(await as('operator'));
    expect((await op.streams.purge(STREAMS.raw)).success).toBe(true);
  });

  it('the normalizer reads RAW and writes CANONICAL but cannot consume CANONICAL; the forwarder cannot consume RAW', async () => {
    const norm = await as('normalizer');
    const fwd = await as('forwarder');
    await jetstream(await as('collector-onguard')).publish('raw.onguard.og-1.status', '{"n":2}');
    const m = await (await jetstream(norm).consumers.get(STREAMS.raw, CONSUMERS.normalizer)).next({ expires: 5_000 });
    expect(m?.subject).toBe('raw.onguard.og-1.status'); // control
    m?.ack();
    await jetstream(norm).publish('canonical.health.s1', '{}');
    // It may look up the forwarder's consumer (it provisions it) but not pull from it.
    await jetstream(norm).consumers.get(STREAMS.canonical, CONSUMERS.forwarder);
    const pull = (nc: NatsConnection, stream: string, durable: string) =>
      nc.request(`$JS.API.CONSUMER.MSG.NEXT.${stream}.${durable}`, JSON.stringify({ batch: 1, no_wait: true }), { timeout: 5_000 });
    await refused(pull(norm, STREAMS.canonical, CONSUMERS.forwarder));
    await refused(pull(fwd, STREAMS.raw, CONSUMERS.normalizer));
    await refused(jetstream(fwd).consumers.get(STREAMS.raw, CONSUMERS.normalizer));
    await refused(jetstream(fwd).publish('dlq.normalizer.raw.x', '{}'));
    expect((await jetstream(fwd).publish('dlq.forwarder.canonical.x', '{}')).stream).toBe(STREAMS.dlq);
  });

  it('a service answers the control requests of the console, the operator and the forwarder, and writes into no other inbox', async () => {
    const norm = await as('normalizer');
    const served = norm.subscribe('edge.site-1.cmd.status', { callback: (_e, m) => void m.respond(JSON.stringify({ from: 'normalizer' })) });
    await norm.flush();
    for (const user of ['console', 'operator', 'forwarder']) {
      const answer = await (await as(user)).request('edge.site-1.cmd.status', '{}', { timeout: 5_000 });
      expect(answer.json()).toEqual({ from: 'normalizer' });
    }
    served.unsubscribe();
    // The answers' allow is the requesters' inboxes, not every inbox.
    await refused((await as('collector-onguard')).request(createInbox(inboxPrefixFor('normalizer')), '{}', { timeout: 5_000 }));
    await refused(norm.request(createInbox(inboxPrefixFor('collector-milestone')), '{}', { timeout: 5_000 }));
  });

  it('the console uses the control plane only; no user can read another user\'s inbox', async () => {
    const con = await as('console');
    // No JetStream, no data subjects, no control command beyond the page's (status, devices,
    // health timeline, and behind its own token: sync now, DLQ replay).
    await refused(jetstreamManager(con, { checkAPI: false }).then((j) => j.streams.info(STREAMS.raw)));
    await refused(con.request('edge.site-1.cmd.confirm-removals', '{}', { timeout: 5_000 }));
    await refused(con.request('raw.onguard.og-1.status', '{}', { timeout: 5_000 }));
    await subscribeRefused(con, 'canonical.>');
    // The page's own requests are allowed (no service answers here: "no responders").
    for (const cmd of ['status', 'devices', 'health', 'sync', 'dlq'])
      await expect(con.request(`edge.site-1.cmd.${cmd}`, '{}', { timeout: 5_000 })).rejects.toThrow(/no responders|503/i);
    await subscribeRefused(con, `${inboxPrefixFor('operator')}.>`);
    await subscribeRefused(await as('collector-milestone'), createInbox(inboxPrefixFor('forwarder')));
    await subscribeRefused(await as('collector-milestone'), '_INBOX.>');
  });
});
