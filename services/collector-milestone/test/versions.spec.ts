import { afterEach, describe, expect, it } from 'vitest';
import { milestoneMapper, type MilestoneStatusPayload } from '@edge/vendor-milestone/mapper';
import type { RawEnvelope } from '@edge/contracts';
import { RawTap, startRig, waitFor, type Rig } from './harness';

interface SystemState {
  connection: string;
  events: string;
  notices?: string[];
  details: Record<string, unknown>;
}

describe('collector-milestone: server versions', () => {
  let rig: Rig | null = null;
  let tap: RawTap | null = null;
  afterEach(async () => {
    await tap?.stop();
    await rig?.dispose();
    rig = null;
    tap = null;
  });

  it('XProtect 2023 R2 (no Events and State API): inventory as usual, no socket attempts, every device unknown with the reason', async () => {
    rig = await startRig({ sim: { hardware: 6, recordingServers: 1, version: '23.2.0.1' } });
    const statuses: Array<{ env: RawEnvelope; status: MilestoneStatusPayload }> = [];
    const inventory: RawEnvelope[] = [];
    tap = new RawTap(rig.nc, 'raw.milestone.xp1.>', (env) => {
      if (env.kind === 'status') statuses.push({ env, status: milestoneMapper.statusSchema.parse(env.payload) });
      else inventory.push(env);
    });
    await tap.start();
    const r = rig;
    const state = async () => ((await r.status()) as { systems: Array<{ state: SystemState }> }).systems[0].state;
    const sync = await rig.post('/sync', { wait: true });
    expect(sync.body.ok).toBe(true);
    const syncId = (sync.body.results as Array<{ sync_id: string }>)[0].sync_id;
    await waitFor(() => inventory.some((e) => e.kind === 'sync.end' && e.sync_id === syncId));
    const st = await state();
    expect(st).toMatchObject({ connection: 'connected', events: 'unsupported' });
    expect(st.details).toMatchObject({ version: '23.2.0.1', release: '2023 R2' });
    expect(st.notices?.[0]).toMatch(/live state needs XProtect 2023 R3 or later/);
    // Channels and hardware: unknown, each with the reason.
    const devices = inventory.filter((e) => e.kind === 'device' && e.sync_id === syncId).map((e) => milestoneMapper.mapDevice(milestoneMapper.deviceSchema.parse(e.payload), e));
    const nonRs = devices.filter((d) => d.source.native_type !== 'recordingServers');
    expect(nonRs.length).toBe(rig.sim.model.deviceCount - 1);
    for (const d of nonRs) expect(d.status, d.id).toBe('unknown');
    const obs = await waitFor(() => {
      const o = statuses.filter((s) => s.status.kind === 'unavailable').flatMap((s) => milestoneMapper.mapStatus(s.status, s.env));
      return o.length >= nonRs.length ? o : undefined;
    });
    expect(new Set(obs.map((o) => o.device_id))).toEqual(new Set(nonRs.map((d) => d.id)));
    for (const o of obs) expect(o).toMatchObject({ status: 'unknown', reason: expect.stringMatching(/2023 R3/) });
    expect((rig.sim.control.stats() as { wsUpgrades: number; wsUpgradesRejected: number }).wsUpgrades + (rig.sim.control.stats() as { wsUpgradesRejected: number }).wsUpgradesRejected).toBe(0);
  });
});
