import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { milestoneMapper } from '@edge/vendor-milestone/mapper';
import { SyncEndPayload, type RawEnvelope } from '@edge/contracts';
import { RawTap, startRig, waitFor, type Rig } from './harness';

const MB = 1024 * 1024;
const ctx = { vendor: 'milestone', system_id: 'xp1', site_id: 'site-test', customer_id: 'cust-test', observed_at: '2026-01-01T00:00:00.000Z' };

describe('collector-milestone: full inventory of 10 000 cameras / 5 000 hardware into RAW', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig({ sim: { hardware: 5_000, cameras: 10_000, microphones: 500, speakers: 0, metadata: 0, inputs: 250, outputs: 250, recordingServers: 4 } });
  }, 600_000);
  afterAll(async () => rig?.dispose());

  it('arrives complete, every camera with its hardware MAC, in bounded memory', async () => {
    const truth = new Map(rig.sim.control.devices().map((t) => [`milestone:xp1:${t.key}`, t]));
    const expectedCameraMacs = [...truth.values()].filter((t) => t.resource_type === 'cameras' && t.mac !== null).length;
    const seen = new Set<string>();
    const byType: Record<string, number> = {};
    let cameraMacs = 0;
    let mismatches = 0;
    let end: RawEnvelope | null = null;
    let invalid = 0;
    let maxBytes = 0;
    const tap = new RawTap(rig.nc, 'raw.milestone.xp1.inventory', (env, _s, bytes) => {
      maxBytes = Math.max(maxBytes, bytes);
      if (env.kind === 'sync.end') end = env;
      if (env.kind !== 'device') return;
      const p = milestoneMapper.deviceSchema.safeParse(env.payload);
      if (!p.success) {
        invalid++;
        return;
      }
      const d = milestoneMapper.mapDevice(p.data, ctx);
      seen.add(d.id);
      byType[d.source.native_type] = (byType[d.source.native_type] ?? 0) + 1;
      const t = truth.get(d.id);
      if (!t || t.mac !== d.mac_address || t.ip !== d.ip || t.location !== d.location) mismatches++;
      if (d.source.native_type === 'cameras' && d.mac_address) cameraMacs++;
    });
    await tap.start();

    // Memory is sampled for the whole process (collector + in-process simulator + this tap).
    const base = process.memoryUsage();
    let peakHeap = base.heapUsed;
    let peakRss = base.rss;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakHeap = Math.max(peakHeap, m.heapUsed);
      peakRss = Math.max(peakRss, m.rss);
    }, 100);
    const r = await rig.post('/sync', { wait: true });
    await waitFor(() => end !== null && seen.size >= truth.size, 120_000);
    clearInterval(sampler);
    await tap.stop();

    expect(r.status).toBe(200);
    const endPayload = SyncEndPayload.parse((end as RawEnvelope | null)?.payload);
    expect(endPayload).toMatchObject({ count: truth.size, complete: true });
    expect(invalid).toBe(0);
    expect(seen.size).toBe(truth.size);
    expect(byType.cameras).toBe(10_000);
    expect(byType.hardware).toBe(5_000);
    expect(cameraMacs).toBe(expectedCameraMacs);
    expect(cameraMacs).toBeGreaterThan(8_000);
    expect(mismatches).toBe(0);
    // One device per message: no message near the 1 MB NATS default.
    expect(maxBytes).toBeLessThan(64 * 1024);
    // Generous bound: streaming keeps the heap far below "everything twice".
    expect(peakHeap - base.heapUsed).toBeLessThan(300 * MB);
    expect(peakRss).toBeLessThan(800 * MB);
  }, 600_000);
});

describe('collector-milestone: hardwareDriverSettings cache', () => {
  it('a warm sync makes no hardwareDriverSettings call; a hardware whose lastModified moved is read again', async () => {
    const rig = await startRig({ sim: { hardware: 12, recordingServers: 1 } });
    try {
      const calls = () => (rig.sim.control.stats() as { requests: Record<string, number> }).requests['GET /api/rest/v1/hardware/{id}/hardwareDriverSettings'] ?? 0;
      const sync = async () => {
        const r = await rig.post('/sync', { wait: true });
        expect(r.body.ok).toBe(true);
      };
      await sync();
      const cold = calls();
      expect(cold).toBeGreaterThanOrEqual(12);
      await sync();
      expect(calls()).toBe(cold);
      rig.sim.control.touchHardware(rig.sim.model.hardware[3].id);
      await sync();
      expect(calls()).toBe(cold + 1);
      const st = (await rig.status()) as { systems: Array<{ state: { details: { last_inventory: { driver_settings_calls: number; driver_settings_cached: number } } } }> };
      expect(st.systems[0].state.details.last_inventory).toMatchObject({ driver_settings_calls: 1, driver_settings_cached: 11 });
    } finally {
      await rig.dispose();
    }
  });
});
