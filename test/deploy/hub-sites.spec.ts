/**
 * Sites isolated on a shared hub, at fleet scale: a regional hub and ten edge boxes as leaf
 * nodes, from the committed configs (test/deploy/hub-rig.ts). Each site's streams hold only its
 * own data, no site reaches another's control subjects, the hub's OPS account aggregates every
 * site's canonical data (attributed by the hub, not by the sender) and status, and nothing else;
 * and after the hub is gone for a minute every box catches up with nothing lost.
 * Set EDGE_TEST_HUB_OUTAGE_MS to change the outage (default 60 000 ms).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { STREAMS } from '@edge/contracts';
import { serveCommand, createLogger } from '@edge/platform';
import { waitUntil } from '@edge/platform/testing';
import { startHubRig, type EdgeBox, type HubRig } from './hub-rig';

const SITES = 10;
const OUTAGE_MS = Number(process.env.EDGE_TEST_HUB_OUTAGE_MS ?? 60_000);
const log = createLogger({ service: 'hub-test', level: 'fatal', destination: { write: () => undefined } });
let rig: HubRig;

/** The platform's wait, polling every 250 ms. */
const until = <T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 120_000) => waitUntil(what, fn, timeoutMs, 250) as Promise<T>;

/** Subjects and their message counts in a stream of a box. */
async function subjectsOf(nc: NatsConnection, stream: string, domain?: string): Promise<Record<string, number>> {
  const jsm = await jetstreamManager(nc, domain ? { domain } : {});
  const info = await jsm.streams.info(stream, { subjects_filter: '>' });
  return (info.state.subjects as Record<string, number> | undefined) ?? {};
}

async function publishAt(edge: EdgeBox, n: number, tag: string): Promise<void> {
  const js = jetstream(await edge.as('normalizer'));
  const raw = jetstream(await edge.as('collector-onguard'));
  for (let i = 0; i < n; i++) {
    await js.publish(`canonical.health.${edge.site}`, JSON.stringify({ tag, i }), { msgID: `${edge.site}-${tag}-${i}` });
    await raw.publish(`raw.onguard.og-1.status`, JSON.stringify({ tag, i }), { msgID: `raw-${edge.site}-${tag}-${i}` });
  }
}

beforeAll(async () => {
  rig = await startHubRig(SITES);
  // Each box answers its own control subjects, as its services do (forwarder: cmd.dlq).
  for (const e of rig.edges) {
    serveCommand(await e.as('forwarder'), `edge.${e.site}.cmd.dlq`, async () => ({ site: e.site, dlq: true }), log);
    serveCommand(await e.as('normalizer'), `edge.${e.site}.cmd.status`, async () => ({ site: e.site }), log);
  }
  const ops = await jetstreamManager(await rig.ops());
  await ops.streams.add({ name: 'FLEET', subjects: ['fleet.>'] });
  for (const e of rig.edges) await until(`hub-side stream of ${e.site}`, async () => (await rig.attachSite(e), true));
}, 600_000);

afterAll(async () => rig?.dispose());

describe(`a hub with ${SITES} leaf sites (deploy/nats/leaf)`, () => {
  it('each site stores only its own data, even when it publishes under another site id', async () => {
    for (const e of rig.edges) await publishAt(e, 3, 'a');
    // site-01 publishes under site-02's id: it lands in site-01's own stream only.
    const first = rig.edges[0];
    await jetstream(await first.as('normalizer')).publish(`canonical.health.${rig.edges[1].site}`, '{"spoof":true}');
    for (const e of rig.edges) {
      const op = await e.as('operator');
      const canonical = await subjectsOf(op, STREAMS.canonical);
      const expected: Record<string, number> = { [`canonical.health.${e.site}`]: 3 };
      if (e === first) expected[`canonical.health.${rig.edges[1].site}`] = 1;
      expect(canonical, e.site).toEqual(expected);
      expect((await (await jetstreamManager(op)).streams.info(STREAMS.raw)).state.messages, e.site).toBe(3);
    }
  });

  it("no site reaches another site's control subjects; each reaches its own", async () => {
    for (const e of rig.edges) {
      const op = await e.as('operator');
      expect(JSON.parse(new TextDecoder().decode((await op.request(`edge.${e.site}.cmd.dlq`, '{}', { timeout: 10_000 })).data))).toEqual({ site: e.site, dlq: true });
      for (const other of rig.edges.filter((o) => o !== e).slice(0, 3)) {
        await expect(op.request(`edge.${other.site}.cmd.dlq`, JSON.stringify({ action: 'replay-all' }), { timeout: 3_000 }), `${e.site} → ${other.site}`).rejects.toThrow(/no responders|503|timeout/i);
        await expect(op.request(`edge.${other.site}.cmd.status`, '{}', { timeout: 3_000 })).rejects.toThrow(/no responders|503|timeout/i);
      }
      // Nor another site's JetStream, by its domain.
      await expect(jetstreamManager(op, { domain: `edge-${rig.edges[(rig.edges.indexOf(e) + 1) % SITES].site}` }).then((j) => j.streams.info(STREAMS.canonical))).rejects.toThrow();
    }
  });

  it('the hub aggregates every site, attributed by the hub; operators get status but not the DLQ commands', async () => {
    const ops = await rig.ops();
    const fleet = await until('every site in FLEET', async () => {
      const s = await subjectsOf(ops, 'FLEET');
      return rig.edges.every((e) => s[`fleet.${e.site}.canonical.health.${e.site}`] === 3) ? s : null;
    });
    // The spoofed message is attributed to the site that sent it.
    expect(fleet[`fleet.${rig.edges[0].site}.canonical.health.${rig.edges[1].site}`]).toBe(1);
    expect(Object.keys(fleet).filter((k) => !k.startsWith(`fleet.${rig.edges[0].site}.`) && !k.endsWith(k.split('.')[1]))).toEqual([]);
    // RAW is not exported: nothing raw reaches the hub's OPS account.
    expect(Object.keys(fleet).some((k) => k.includes('.raw.'))).toBe(false);
    const e3 = rig.edges[2];
    expect(JSON.parse(new TextDecoder().decode((await ops.request(`edge.${e3.site}.cmd.status`, '{}', { timeout: 10_000 })).data))).toEqual({ site: e3.site });
    await expect(ops.request(`edge.${e3.site}.cmd.dlq`, '{}', { timeout: 3_000 })).rejects.toThrow(/no responders|503|timeout/i);
  });

  it(`every site catches up with nothing lost after the hub is gone for ${OUTAGE_MS / 1000} s`, async () => {
    rig.stopHub();
    const outageEnds = Date.now() + OUTAGE_MS;
    // The boxes keep working on their own while the hub is away.
    for (const e of rig.edges) await publishAt(e, 5, 'outage');
    await new Promise((r) => setTimeout(r, Math.max(0, outageEnds - Date.now())));
    await rig.startHub();
    const ops = await rig.ops();
    const fleet = await until(
      'FLEET caught up',
      async () => {
        const s = await subjectsOf(ops, 'FLEET');
        return rig.edges.every((e) => s[`fleet.${e.site}.canonical.health.${e.site}`] === 8) ? s : null;
      },
      180_000,
    );
    for (const e of rig.edges) expect(fleet[`fleet.${e.site}.canonical.health.${e.site}`], e.site).toBe(8);
    for (const e of rig.edges) expect((await subjectsOf(await e.as('operator'), STREAMS.canonical))[`canonical.health.${e.site}`], e.site).toBe(8);
  }, 600_000);
});
