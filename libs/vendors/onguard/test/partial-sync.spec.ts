import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SyncEndPayload, type RawEnvelope } from '@edge/contracts';
import type { CollectorRunner } from '@edge/collector-kit';
import type { OnGuardSimulator } from '@edge/sim-onguard';
import { sim } from './helpers';
import { collectorFor, RawTap, startRawPipeline } from './pipeline';

type Pipeline = Awaited<ReturnType<typeof startRawPipeline>>;

interface DevicePayload {
  native_type: string;
  hardware_status?: { status: number | null; error: string | null } | null;
}

/** One bad type never sinks the sync: the simulator answers per type as real installs do. */
describe('OnGuard inventory: per-type failures make a partial sync, not a failed one', () => {
  let p: Pipeline;
  let s: OnGuardSimulator;
  let runner: CollectorRunner;
  let inv: RawTap;

  beforeAll(async () => {
    p = await startRawPipeline();
  });
  afterAll(async () => {
    await p?.dispose();
  });
  afterEach(async () => {
    await runner?.stop();
    await inv?.close();
    await s?.close();
  });

  async function syncOnce(extras: Record<string, unknown> = {}, before: (s: OnGuardSimulator) => void = () => undefined, simOpts: Parameters<typeof sim>[0] = {}) {
    s = await sim(simOpts);
    before(s);
    ({ runner } = collectorFor(s, p.raw, { events: { enabled: false }, request_retries: 2, ...extras }));
    const since = Date.now();
    inv = await RawTap.open(p.nc, 'inventory', (e) => Date.parse(e.observed_at) >= since);
    await runner.start();
    const report = await runner.sync('command');
    const end = await inv.waitFor((e) => e.kind === 'sync.end' && e.sync_id === report.sync_id, 120_000, 'sync.end');
    const devices = inv.envelopes.filter((e: RawEnvelope) => e.kind === 'device' && e.sync_id === report.sync_id).map((e) => e.payload as DevicePayload);
    return { report, end: SyncEndPayload.parse(end.payload), devices };
  }

  const countOf = (s: OnGuardSimulator, token: string) => s.control.devices(token).length;

  it('403 on one type (outside the account segment): that type is failed with its reason, every other type is listed', async () => {
    const { report, end, devices } = await syncOnce({}, (x) => {
      x.control.failType('Lnl_AlarmPanel', 403);
      // /type of readers is down; their listing still works with the known keys.
      x.control.failType('Lnl_Reader', 500, { on: 'type' });
    });
    expect(report.error).toBeNull();
    expect(end.complete).toBe(true);
    expect(end.failed_types).toEqual([{ type: 'Lnl_AlarmPanel', reason: expect.stringMatching(/403/) }]);
    expect(report.failed_types).toEqual(end.failed_types);
    expect(runner.status().last_sync?.failed_types.map((f) => f.type)).toEqual(['Lnl_AlarmPanel']);
    expect(devices.filter((d) => d.native_type === 'Lnl_Reader')).toHaveLength(countOf(s, 'reader'));
    expect(devices.filter((d) => d.native_type === 'Lnl_Panel')).toHaveLength(countOf(s, 'panel'));
    expect(devices.some((d) => d.native_type === 'Lnl_AlarmPanel')).toBe(false);
  });

  it('500 on one type that does not recover: retried within the budget, then failed; the sync still ends', async () => {
    const { report, end, devices } = await syncOnce({}, (x) => x.control.failType('Lnl_Reader', 500));
    expect(report.error).toBeNull();
    expect(end.failed_types?.map((f) => f.type)).toEqual(['Lnl_Reader']);
    expect(end.failed_types?.[0].reason).toMatch(/500/);
    const attempts = s.control.stats().type_faults_500 ?? 0;
    expect(attempts).toBeGreaterThan(1); // retried
    expect(attempts).toBeLessThanOrEqual(3); // within request_retries: 2
    expect(devices.filter((d) => d.native_type === 'Lnl_Panel')).toHaveLength(countOf(s, 'panel'));
  });

  it('every type refused: the sync fails as a whole (nothing was learnt)', async () => {
    s = await sim();
    for (const t of ['Lnl_Panel', 'Lnl_Reader', 'Lnl_AlarmPanel', 'Lnl_Camera', 'Lnl_IntrusionArea', 'Lnl_IntrusionZone', 'Lnl_Segment']) s.control.failType(t, 403, { on: 'both' });
    ({ runner } = collectorFor(s, p.raw, { events: { enabled: false }, inventory: { video_recorders: false } }));
    inv = await RawTap.open(p.nc, 'inventory', () => false);
    await runner.start();
    await expect(runner.sync('command')).rejects.toThrow(/refused/);
  });

  it.each(['single', 'none'] as const)('a server that refuses order_by (%s): listed with a single key or without ordering, complete', async (policy) => {
    const { report, end, devices } = await syncOnce({}, (x) => x.control.configure({ orderBy: policy }));
    expect(report.error).toBeNull();
    expect(end.failed_types).toBeUndefined();
    expect(s.control.stats().order_by_refused).toBeGreaterThanOrEqual(1);
    expect(devices.filter((d) => d.native_type === 'Lnl_Reader')).toHaveLength(countOf(s, 'reader'));
  });

  it('status methods spelled GETHARDWARESTATUS and /type listing no methods: status is still read', async () => {
    const { devices } = await syncOnce({}, (x) => x.control.configure({ methodSpelling: 'upper-exact', typeListsMethods: false }));
    const readers = devices.filter((d) => d.native_type === 'Lnl_Reader');
    expect(readers).toHaveLength(countOf(s, 'reader'));
    for (const r of readers) expect(r.hardware_status?.status, JSON.stringify(r.hardware_status)).toEqual(expect.any(Number));
    const zones = devices.filter((d) => d.native_type === 'Lnl_IntrusionZone');
    expect(zones.length).toBeGreaterThan(0);
    for (const z of zones) expect(z.hardware_status?.status).toEqual(expect.any(Number));
  });

  it('cameras get their status from GetHardwareStatus when /type lists it on Lnl_Camera', async () => {
    const { devices } = await syncOnce({}, () => undefined, { cameraStatus: true });
    const cams = devices.filter((d) => d.native_type === 'Lnl_Camera');
    expect(cams).toHaveLength(countOf(s, 'camera'));
    for (const c of cams) expect(c.hardware_status?.status).toBe(1);
  });
});
