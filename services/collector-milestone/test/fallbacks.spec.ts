import { afterEach, describe, expect, it } from 'vitest';
import { milestoneMapper, type MilestoneStatusPayload } from '@edge/vendor-milestone/mapper';
import type { RawEnvelope } from '@edge/contracts';
import { RawTap, startRig, waitFor, type Rig } from './harness';

interface SystemStatus {
  state: { connection: string; events: string; last_error: string | null; details: Record<string, unknown> };
}

describe('collector-milestone fallbacks', () => {
  let rig: Rig | null = null;
  let tap: RawTap | null = null;
  afterEach(async () => {
    await tap?.stop();
    await rig?.dispose();
    rig = null;
    tap = null;
  });

  it('recording-server event types not discoverable → TCP probe of each server; a server going down is reported', async () => {
    rig = await startRig({ sim: { hardware: 6, recordingServers: 2, rsEventTypesDiscoverable: false }, system: { probe_interval: '200ms', probe_timeout: '5s' } });
    const probes: Array<{ env: RawEnvelope; status: MilestoneStatusPayload }> = [];
    tap = new RawTap(rig.nc, 'raw.milestone.xp1.status', (env) => {
      const status = milestoneMapper.statusSchema.parse(env.payload);
      if (status.kind === 'probe') probes.push({ env, status });
    });
    await tap.start();
    const r = rig;
    const st = async () => ((await r.status()) as { systems: SystemStatus[] }).systems[0].state;
    await waitFor(async () => (await st()).events === 'subscribed');
    expect((await st()).details.recording_server_probe).toBe('active');
    const rs = rig.sim.model.recordingServers[1];
    const online = await waitFor(() => probes.find((p) => p.status.kind === 'probe' && p.status.probe.recordingServerId === rs.id));
    expect(milestoneMapper.mapStatus(online.status, online.env)[0]).toMatchObject({ device_id: `milestone:xp1:recordingServers:${rs.id}`, status: 'online' });
    rig.sim.control.recordingServerDown(rs.id);
    const down = await waitFor(() => probes.find((p) => p.status.kind === 'probe' && p.status.probe.recordingServerId === rs.id && !p.status.probe.responding));
    expect(milestoneMapper.mapStatus(down.status, down.env)[0]).toMatchObject({ status: 'offline', observed_via: 'poll' });
    // Also in the inventory: the recording server is offline by its last probe.
    const sync = await rig.post('/sync', { wait: true });
    expect(sync.status).toBe(200);
    expect(rig.sim.control.device('recordingServers', rs.id).expected_status).toBe('offline');
  });

  it('a wrong password: auth_failed with a clear error, and the IDP is not hammered', async () => {
    rig = await startRig({ sim: { hardware: 2, lockoutAfterFailures: 3 }, system: { password: 'definitely-wrong', reconnect_base: '50ms', reconnect_cap: '200ms' } });
    const r = rig;
    const st = async () => ((await r.status()) as { systems: SystemStatus[] }).systems[0].state;
    await waitFor(async () => (await st()).connection === 'auth_failed');
    const sync = await rig.post('/sync', { wait: true });
    expect(sync.body.ok).toBe(false);
    // Reconnect attempts keep running (every ≤ 200 ms) but reuse the remembered refusal.
    await new Promise((res) => setTimeout(res, 1_000));
    const s = await st();
    expect(s.last_error).toMatch(/idp_invalid_credentials/);
    expect(s.last_error).not.toContain('definitely-wrong');
    expect((rig.sim.control.stats() as { tokenRequests: number }).tokenRequests).toBe(1);
    // One refusal, far below the simulator's lockout threshold of 3.
    expect((rig.sim.control.stats() as { tokenRefusals: number }).tokenRefusals).toBe(1);
    const ready = await fetch(`http://127.0.0.1:${rig.svc.httpPort}/readyz`);
    expect(ready.status).toBe(503);
  });
});

describe('collector-milestone: recording servers the edge box cannot reach', () => {
  let rig: Rig | null = null;
  let tap: RawTap | null = null;
  afterEach(async () => {
    await tap?.stop();
    await rig?.dispose();
    rig = null;
    tap = null;
  });

  it('a webServerUri host that does not resolve makes the server unknown with that reason, not offline', async () => {
    // rsListeners: false → every recording server's webServerUri is a Windows host name (http://rs-01:7563/).
    rig = await startRig({ sim: { hardware: 4, recordingServers: 2, rsEventTypesDiscoverable: false, rsListeners: false }, system: { probe_interval: '200ms', probe_timeout: '2s' } });
    const probes: Array<{ env: RawEnvelope; status: MilestoneStatusPayload }> = [];
    tap = new RawTap(rig.nc, 'raw.milestone.xp1.>', (env) => {
      if (env.kind !== 'status') return;
      const status = milestoneMapper.statusSchema.parse(env.payload);
      if (status.kind === 'probe') probes.push({ env, status });
    });
    await tap.start();
    const r = await rig.post('/sync', { wait: true });
    expect(r.body.ok).toBe(true);
    const seen = await waitFor(() => (probes.length >= 2 ? probes : undefined), 120_000);
    for (const p of seen) expect(milestoneMapper.mapStatus(p.status, p.env)[0]).toMatchObject({ status: 'unknown', reason: expect.stringMatching(/rs-0\d does not resolve from the edge box/) });
  });
});
