import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLOUD_PATHS, DlqCommandReply, subjects } from '@edge/contracts';
import type { RunningService } from '@edge/platform';
import { sampleDevice, sampleEvent } from '@edge/sim-cloud';
import { runCli } from '../../cli/src/cli';
import { Rig, SITE, status, until, type ForwarderStatus } from './harness';

/** Every event of each device, in the order the sim received them. */
function arrivalByDevice(events: Array<{ device_id: string; event_id: string; edge_seq: number | null }>) {
  const by = new Map<string, Array<{ event_id: string; edge_seq: number | null }>>();
  for (const e of events) by.set(e.device_id, [...(by.get(e.device_id) ?? []), e]);
  return by;
}

async function cli(rig: Rig, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli([...args, '--nats', rig.nats.url, '--site', SITE], { out: (l) => out.push(l), err: (l) => err.push(l) }, {});
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('forwarder against a real nats-server and the cloud simulator', () => {
  let rig: Rig;
  let fw: RunningService;
  const st = (): Promise<ForwarderStatus> => status(fw);

  beforeAll(async () => {
    rig = await new Rig().start();
    fw = await rig.forwarder();
  });
  afterAll(async () => {
    await fw?.stop();
    await rig?.stop();
  });
  beforeEach(async () => {
    // The previous test left nothing in flight.
    await until('forwarder idle', async () => (await rig.forwarderLag()).ackPending === 0 && (await rig.forwarderLag()).pending === 0);
    rig.sim.faults.clear();
    rig.sim.reset();
  });

  it('cloud down (503) then back: every item arrives exactly once, in per-device order, and the sync completes', async () => {
    rig.sim.faults.set({ down: { for_ms: 3000, mode: '503' } });
    const published: string[] = [];
    const devices = 10;
    const perDevice = 25;
    for (let k = 0; k < perDevice; k++)
      for (let dev = 0; dev < devices; dev++) {
        const e = sampleEvent(dev, k);
        await rig.event(e);
        published.push(e.event_id);
      }
    for (let i = 0; i < 30; i++) await rig.device(sampleDevice(i), 'sync-outage');
    await rig.publish(
      { kind: 'removed', sync_id: 'sync-outage', device_id: 'onguard:og-main:reader-gone', system_id: 'og-main', customer_id: 'cust-test', site_id: SITE, removed_at: '2026-01-01T00:09:00Z' },
      'rm:gone',
    );
    await rig.syncEnd('sync-outage', 30, 1);

    // While the cloud is down the circuit opens and the forwarder stops pulling.
    await until('circuit open and consumer paused', async () => {
      const s = await st();
      return s.circuit.state === 'open' && s.consumer_paused === true;
    });
    expect(rig.sim.store.events.length).toBe(0);

    await until('all events and the sync delivered', () => rig.sim.store.events.length === published.length && rig.sim.store.syncList().some((s) => s.final), 120_000);
    const ids = rig.sim.store.events.map((e) => e.event_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual([...published].sort());
    for (const [device, evs] of arrivalByDevice(rig.sim.store.events)) {
      const k = evs.map((e) => Number(e.event_id.split('-')[2]));
      expect(k, `order of ${device}`).toEqual([...k].sort((a, b) => a - b));
      const seqs = evs.map((e) => e.edge_seq!);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
    expect(rig.sim.store.devices.size).toBe(30);
    expect(rig.sim.store.syncList()).toEqual([expect.objectContaining({ id: 'sync-outage', final: true, total: 30, complete: true, devices: 30, removed: 1 })]);
    const after = await st();
    expect(after.circuit.state).toBe('closed');
    expect(after.consumer_paused).toBe(false);
    expect(after.circuit.opened_count).toBeGreaterThanOrEqual(1);
    expect(after.retries).toBeGreaterThan(0);
    expect(await rig.dlqSize()).toBe(0);
  });

  it('honours Retry-After on 429, in seconds and as an HTTP date', async () => {
    rig.sim.faults.set({ fail_next: { count: 1, status: 429, retry_after: 2, path: CLOUD_PATHS.healthEvents } });
    await rig.event(sampleEvent(50, 0));
    await until('first event delivered', () => rig.sim.store.events.length === 1);
    rig.sim.faults.set({ fail_next: { count: 1, status: 503, retry_after: new Date(Date.now() + 3000).toUTCString(), path: CLOUD_PATHS.healthEvents } });
    await rig.event(sampleEvent(50, 1));
    await until('second event delivered', () => rig.sim.store.events.length === 2);

    const health = rig.sim.store.requests.filter((r) => r.path === CLOUD_PATHS.healthEvents);
    const gaps = health.flatMap((r, i) => (r.status === 429 || r.status === 503 ? [health[i + 1].at - r.at] : []));
    expect(health.map((r) => r.status)).toEqual([429, 200, 503, 200]);
    // The retry never came before the cloud said it could (the date form is second-resolution).
    expect(gaps[0]).toBeGreaterThanOrEqual(1950);
    expect(gaps[1]).toBeGreaterThanOrEqual(1000);
    expect((await st()).retry_after_honoured).toBeGreaterThanOrEqual(2);
  });

  it('401 pauses delivery loudly without dead-lettering, and resumes once the token is accepted', async () => {
    const before = await st();
    rig.sim.faults.set({ reject_token: 401 });
    for (let k = 0; k < 20; k++) await rig.event(sampleEvent(60 + (k % 4), k));
    await until('auth failure reported', async () => {
      const s = await st();
      return s.circuit.state === 'auth_failed' && s.consumer_paused === true;
    });
    const s = await st();
    expect(s.alert).toMatch(/credentials/);
    const ready = await fetch(`http://127.0.0.1:${fw.httpPort}/readyz`);
    expect(ready.status).toBe(503);
    expect(JSON.stringify(await ready.json())).toContain('auth_failed');
    // A few slow retries go by; nothing is dead-lettered, nothing stored.
    await until('retried at least twice', () => rig.sim.store.requests.filter((r) => r.status === 401).length >= 2, 120_000);
    expect(await rig.dlqSize()).toBe(0);
    expect((await st()).dead_lettered).toBe(before.dead_lettered);
    expect(rig.sim.store.events.length).toBe(0);

    rig.sim.faults.set({ reject_token: false });
    await until('all 20 delivered', () => rig.sim.store.events.length === 20, 120_000);
    const end = await st();
    expect(end.circuit.state).toBe('closed');
    expect(end.consumer_paused).toBe(false);
    expect(await rig.dlqSize()).toBe(0);
  });

  it('413 splits the batch until it fits; nothing is dead-lettered', async () => {
    rig.sim.faults.set({ max_body_bytes: 3000 });
    await Promise.all(Array.from({ length: 24 }, (_, k) => rig.event(sampleEvent(70, k))));
    await until('24 delivered', () => rig.sim.store.events.length === 24);
    expect(rig.sim.store.requests.some((r) => r.status === 413)).toBe(true);
    expect((await st()).splits).toBeGreaterThan(0);
    expect(rig.sim.store.events.map((e) => e.event_id)).toEqual(Array.from({ length: 24 }, (_, k) => `evt-70-${k}`));
    expect(await rig.dlqSize()).toBe(0);
  });

  it('dead-letters only the item the cloud refused, delivers the rest of its batch; `edge dlq replay` delivers it after the fix', async () => {
    rig.sim.faults.set({ reject_ids: ['evt-80-4'] });
    await Promise.all(Array.from({ length: 10 }, (_, k) => rig.event(sampleEvent(80, k))));
    await until('9 delivered and 1 dead-lettered', async () => rig.sim.store.events.length === 9 && (await rig.dlqSize()) === 1);
    const refused = rig.sim.store.requests.find((r) => r.status === 422);
    expect(refused?.items).toBeGreaterThan(1);
    expect(rig.sim.store.events.map((e) => e.event_id)).toEqual(['evt-80-0', 'evt-80-1', 'evt-80-2', 'evt-80-3', 'evt-80-5', 'evt-80-6', 'evt-80-7', 'evt-80-8', 'evt-80-9']);

    const list = await cli(rig, 'dlq', 'list', '--json');
    expect(list.code).toBe(0);
    const reply = DlqCommandReply.parse(JSON.parse(list.out));
    expect(reply.entries).toHaveLength(1);
    const entry = reply.entries![0];
    expect(entry).toMatchObject({ stage: 'forwarder', original_subject: subjects.canonicalHealth(SITE), kind: 'cloud_422' });
    expect(entry.reason).toContain('evt-80-4');
    expect(entry.reason).toContain('refused by the cloud');

    const table = await cli(rig, 'dlq', 'list');
    expect(table.out).toContain('cloud_422');
    const show = await cli(rig, 'dlq', 'show', String(entry.seq));
    expect(show.code).toBe(0);
    expect(show.out).toContain('"event_id": "evt-80-4"');

    rig.sim.faults.clear();
    const replay = await cli(rig, 'dlq', 'replay', String(entry.seq));
    expect(replay.code).toBe(0);
    expect(replay.out).toContain(`replayed ${entry.seq} → ${subjects.canonicalHealth(SITE)}`);
    await until('refused event delivered after replay', () => rig.sim.store.events.some((e) => e.event_id === 'evt-80-4'));
    expect(await rig.dlqSize()).toBe(0);
    expect((await cli(rig, 'dlq', 'show', String(entry.seq))).code).toBe(1);
    expect((await cli(rig, 'dlq', 'bogus')).code).toBe(2);
  });

  it('sends heartbeats with identity, per-system state and last sync from the collectors, backlog and DLQ size', async () => {
    // Stand-in for a running collector: answers the status scatter/gather like collector-kit does.
    const sub = rig.nc.subscribe(subjects.cmdStatus(SITE), {
      callback: (_e, m) => {
        m.respond(
          JSON.stringify({
            service: 'collector-onguard',
            status: {
              systems: [
              {
                system_id: 'og-main',
                vendor: 'onguard',
                state: { connection: 'connected', events: 'subscribed', last_error: null, notices: ['live state needs a newer server'], details: { server_version: '8.3.298.1' } },
                  last_complete_sync: { sync_id: 'sync-hb', finished_at: '2026-01-01T00:00:00.000Z', devices: 42, failed_types: [{ type: 'Lnl_AlarmPanel', reason: 'HTTP 403' }] },
                },
              ],
            },
          }),
        );
        // Another service adds a notice about the same system (as the normalizer does for held removals).
        m.respond(JSON.stringify({ service: 'normalizer', status: { systems: [{ system_id: 'og-main', vendor: 'onguard', notices: ['removals held'] }] } }));
      },
    });
    try {
      await until('heartbeat with the collector state', () => rig.sim.store.heartbeats.some((h) => h.systems[0]?.connection === 'connected'), 120_000);
    } finally {
      sub.unsubscribe();
    }
    const hb = rig.sim.store.heartbeats.find((h) => h.systems[0]?.connection === 'connected')!;
    expect(hb).toMatchObject({ site_id: SITE, customer_id: 'cust-test', version: expect.any(String), dlq: { messages: 0 } });
    expect(hb.systems).toEqual([
      {
        system_id: 'og-main',
        vendor: 'onguard',
        connection: 'connected',
        last_sync_at: '2026-01-01T00:00:00.000Z',
        last_sync_id: 'sync-hb',
        last_sync_devices: 42,
        last_error: null,
        notices: ['live state needs a newer server', 'removals held'],
        failed_types: [{ type: 'Lnl_AlarmPanel', reason: 'HTTP 403' }],
        server_version: '8.3.298.1',
      },
    ]);
    expect(hb.backlog).toEqual({ messages: 0, bytes: 0, oldest_age_s: null });
    await until('the heartbeat counted as sent', async () => (await st()).heartbeat.sent > 0);
  });
});
