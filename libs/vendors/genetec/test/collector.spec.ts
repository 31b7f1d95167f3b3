import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '@edge/platform/testing';
import { Device, mapContextOf, type RawEnvelope } from '@edge/contracts';
import { startGenetecSimulator, type GenetecSimulator } from '@edge/sim-genetec';
import { genetecMapper } from '../src/mapper';
import { rawEnvelopes, startCollector, startRig } from './rig';

let rig: Awaited<ReturnType<typeof startRig>>;
const sims: GenetecSimulator[] = [];
beforeAll(async () => {
  rig = await startRig();
});
afterAll(async () => {
  for (const s of sims) await s.close();
  await rig?.close();
});

async function sim(o: Parameters<typeof startGenetecSimulator>[0]) {
  const s = await startGenetecSimulator(o);
  sims.push(s);
  return s;
}

const statusObs = (envs: RawEnvelope[]) => envs.flatMap((e) => genetecMapper.mapStatus(genetecMapper.statusSchema.parse(e.payload), mapContextOf(e)).map((o) => ({ ...o, kind: (e.payload as { kind: string }).kind })));

describe('Genetec collector on the kit runner against a real nats-server', () => {
  it('syncs the whole site through the paged report: every entity once, valid canonical devices with parents', async () => {
    const s = await sim({ cameras: 40, doors: 12 });
    const maint = s.model.list('Camera')[3];
    s.control.setMaintenance(maint.Guid, 'Housing replaced');
    const { runner } = await startCollector(rig.pub, s, 'sc-sync', { page_size: 7, events: false });
    try {
      const r = await runner.sync('command');
      expect(r).toMatchObject({ complete: true, devices: s.model.size, failed_types: [] });
      const envs = (await rawEnvelopes(rig.nc, 'raw.genetec.sc-sync.inventory')).filter((e) => e.sync_id === r.sync_id && e.kind === 'device');
      const devices = envs.map((e) => Device.parse(genetecMapper.mapDevice(genetecMapper.deviceSchema.parse(e.payload), mapContextOf(e))));
      expect(new Set(devices.map((d) => d.id)).size).toBe(s.model.size);
      const ids = new Set(devices.map((d) => d.id));
      expect(devices.filter((d) => d.parent_id !== null && !ids.has(d.parent_id))).toEqual([]);
      const cam = devices.find((d) => d.source.native_id === maint.Guid)!;
      expect(cam).toMatchObject({ type: 'camera', status: 'disabled', ip: s.model.list('VideoUnit')[3].extra.IPAddress });
      expect(s.control.stats().requests['/report/EntityConfiguration']).toBeGreaterThan(12);
    } finally {
      await runner.stop();
    }
  });

  it('publishes connection events, never a late offline event over newer state, and reconciles after a dropped stream', async () => {
    const s = await sim({ cameras: 4, doors: 2 });
    const { runner, collector } = await startCollector(rig.pub, s, 'sc-live');
    try {
      // Subscribed before the first inventory: no reconcile poll of its own to overlap the one under test.
      await waitUntil('subscribed', () => collector.state().connection === 'connected' && s.control.openStreams() === 1);
      await runner.sync('command');
      const [u1, u2] = s.model.list('VideoUnit');
      s.control.setState(u1.Guid, 'offline');
      s.control.reconnectWithLateOffline(u2.Guid, Date.now() - 120_000);
      await waitUntil('two events in RAW', async () => (await rawEnvelopes(rig.nc, 'raw.genetec.sc-live.status')).length === 2);
      const events = statusObs(await rawEnvelopes(rig.nc, 'raw.genetec.sc-live.status'));
      expect(events.map((o) => [o.native_id, o.status, o.observed_via])).toEqual([
        [u1.Guid, 'offline', 'event'],
        [u2.Guid, 'online', 'event'],
      ]);
      expect(collector.events.counters.snapshot().events_superseded_late).toBe(1);
      s.control.dropStreams();
      await waitUntil('the reconcile poll after the drop', () => /^reconcile: Web SDK event stream( reconnected|: nothing received)/.test(runner.status().last_poll?.reason ?? ''));
      const polled = statusObs(await rawEnvelopes(rig.nc, 'raw.genetec.sc-live.status')).filter((o) => o.kind === 'state');
      expect(polled.length).toBe(s.model.size);
      expect(polled.find((o) => o.native_id === u1.Guid)?.status).toBe('offline');
    } finally {
      await runner.stop();
    }
    expect(s.control.openStreams()).toBe(0);
  });

  it('a licence refusal fails the sync with that reason and shows as auth_failed, without hammering the server', async () => {
    const s = await sim({ cameras: 2, doors: 1 });
    s.control.setLicenceRefused(true);
    const { runner } = await startCollector(rig.pub, s, 'sc-lic', { events: false });
    try {
      await expect(runner.sync('command')).rejects.toThrow(/genetec_licence_refused/);
      const before = s.control.stats().requests['/report/EntityConfiguration'] ?? 0;
      await expect(runner.sync('command')).rejects.toThrow(/licence needs the Web SDK option/);
      expect(s.control.stats().requests['/report/EntityConfiguration'] ?? 0).toBe(before);
      const st = runner.status();
      expect(st.state.connection).toBe('auth_failed');
      expect(JSON.stringify(st)).not.toContain(s.credentials.password);
      expect(JSON.stringify(st)).not.toContain(s.credentials.applicationId);
    } finally {
      await runner.stop();
    }
  });
});
