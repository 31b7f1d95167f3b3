import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { milestoneMapper, EVENT_TYPES, type MilestoneStatusPayload } from '@edge/vendor-milestone/mapper';
import { SyncEndPayload, type RawEnvelope } from '@edge/contracts';
import { RawTap, startRig, waitFor, type Rig } from './harness';

interface Seen {
  env: RawEnvelope;
  status: MilestoneStatusPayload;
}

describe('collector-milestone: state and events into RAW', () => {
  let rig: Rig;
  let tap: RawTap;
  const statuses: Seen[] = [];
  const inventory: RawEnvelope[] = [];
  const systemState = async () => {
    const s = (await rig.status()) as { systems: Array<{ state: { connection: string; events: string; details: Record<string, unknown> } }> };
    return s.systems[0].state;
  };
  const events = () => statuses.filter((s) => s.status.kind === 'event').map((s) => (s.status as Extract<MilestoneStatusPayload, { kind: 'event' }>).event);
  const baselines = () => statuses.filter((s) => s.status.kind === 'state') as Array<Seen & { status: Extract<MilestoneStatusPayload, { kind: 'state' }> }>;
  const enabledCameras = () => rig.sim.model.children.cameras.filter((c) => rig.sim.control.device('cameras', c.id).enabled);

  beforeAll(async () => {
    rig = await startRig({ sim: { hardware: 40, recordingServers: 2 } });
    tap = new RawTap(rig.nc, 'raw.milestone.xp1.>', (env) => {
      if (env.kind === 'status') statuses.push({ env, status: milestoneMapper.statusSchema.parse(env.payload) });
      else inventory.push(env);
    });
    await tap.start();
    await waitFor(async () => (await systemState()).events === 'subscribed');
  });
  afterAll(async () => {
    await tap?.stop();
    await rig?.dispose();
  });

  it('publishes the getState baseline: communication rows of every device, recording servers by discovered types', async () => {
    const rows = await waitFor(() => {
      const b = baselines().filter((x) => x.status.reason === 'initial baseline');
      const total = b.reduce((n, x) => n + x.status.states.length, 0);
      return b.length > 0 && total === rig.sim.model.deviceCount ? b : undefined;
    });
    const obs = rows.flatMap((r) => milestoneMapper.mapStatus(r.status, { ...r.env, sync_id: undefined }));
    expect(obs).toHaveLength(rig.sim.model.deviceCount);
    const truth = new Map(rig.sim.control.devices().map((t) => [`milestone:xp1:${t.key}`, t.expected_status]));
    for (const o of obs) expect(o.status, o.device_id).toBe(truth.get(o.device_id));
    const st = await systemState();
    expect((st.details.recording_server_event_types as { source: string }).source).toBe('eventTypes');
    expect(st.connection).toBe('connected');
  });

  it('the startup inventory carries every device with its live status', async () => {
    const begin = await waitFor(() => inventory.find((e) => e.kind === 'sync.begin' && (e.payload as { trigger: string }).trigger === 'startup'));
    await waitFor(() => inventory.find((e) => e.kind === 'sync.end' && e.sync_id === begin.sync_id));
    const devs = inventory.filter((e) => e.kind === 'device' && e.sync_id === begin.sync_id);
    expect(devs).toHaveLength(rig.sim.model.deviceCount);
    for (const e of devs) {
      const d = milestoneMapper.mapDevice(milestoneMapper.deviceSchema.parse(e.payload), e);
      const t = rig.sim.control.device(d.source.native_type, d.source.native_id);
      // Nothing has changed yet: enabled devices communicate, disabled ones are disabled.
      expect(d.status, d.id).toBe(t.enabled ? 'online' : 'disabled');
    }
  });

  it('a camera communication error reaches RAW as a status message', async () => {
    const cam = enabledCameras()[0];
    const [change] = rig.sim.control.commError('cameras', cam.id);
    const ev = await waitFor(() => events().find((e) => e.id === change.event_id));
    expect(ev).toMatchObject({ type: EVENT_TYPES.deviceCommunicationError, source: `cameras/${cam.id}` });
    const seen = statuses.find((s) => s.status.kind === 'event' && s.status.event.id === change.event_id)!;
    const [o] = milestoneMapper.mapStatus(seen.status, seen.env);
    expect(o).toMatchObject({ device_id: `milestone:xp1:cameras:${cam.id}`, status: 'offline', observed_via: 'event', native_event_id: change.event_id });
    rig.sim.control.commRestored('cameras', cam.id);
  });

  it('a recording server going down reaches RAW (discovered event type → offline)', async () => {
    const rs = rig.sim.model.recordingServers[0];
    const [change] = rig.sim.control.recordingServerDown(rs.id);
    const seen = await waitFor(() => statuses.find((s) => s.status.kind === 'event' && s.status.event.id === change.event_id));
    expect(milestoneMapper.mapStatus(seen.status, seen.env)[0]).toMatchObject({ device_id: `milestone:xp1:recordingServers:${rs.id}`, status: 'offline' });
    rig.sim.control.recordingServerUp(rs.id);
  });

  it('socket drop: the session resumes and the events missed meanwhile are replayed', async () => {
    const before = (await systemState()).details.session_id;
    const cams = enabledCameras().slice(1, 4);
    rig.sim.control.dropSockets();
    // While the collector is disconnected (it reconnects after ~200 ms).
    const missed = cams.flatMap((c) => rig.sim.control.commError('cameras', c.id));
    await waitFor(() => missed.every((m) => events().some((e) => e.id === m.event_id)));
    const st = await systemState();
    expect(st.details.session_id).toBe(before);
    expect((st.details.stream as Record<string, number>).sessions_resumed).toBeGreaterThanOrEqual(1);
    expect(baselines().some((b) => b.status.reason.includes('new session'))).toBe(false);
    cams.forEach((c) => rig.sim.control.commRestored('cameras', c.id));
  });

  it('refused resume: new session, re-subscribed, and the re-baseline catches the change made meanwhile', async () => {
    const before = (await systemState()).details.session_id;
    const cam = enabledCameras()[6];
    rig.sim.control.refuseResume(1);
    rig.sim.control.dropSockets();
    rig.sim.control.commError('cameras', cam.id);
    const rebase = await waitFor(() => {
      const rows = baselines().filter((b) => b.status.reason === 'resume refused: new session');
      return rows.length ? rows : undefined;
    });
    const row = rebase.flatMap((b) => b.status.states).find((r) => r.source === `cameras/${cam.id}`);
    expect(row?.type).toBe(EVENT_TYPES.deviceCommunicationError);
    const st = await systemState();
    expect(st.details.session_id).not.toBe(before);
    expect(st.events).toBe('subscribed');
    // Subscribed again: later events flow.
    const [restored] = rig.sim.control.commRestored('cameras', cam.id);
    await waitFor(() => events().some((e) => e.id === restored.event_id));
  });

  it('token expiry in the middle of an inventory sync: renewed, and the sync completes', async () => {
    const unauthorized = (rig.sim.control.stats() as { restUnauthorized: number }).restUnauthorized;
    rig.sim.control.expireTokens({ afterRequests: 10 });
    const r = await rig.post('/sync', { wait: true });
    expect(r.status).toBe(200);
    const result = (r.body.results as Array<{ sync_id: string; complete: boolean; devices: number }>)[0];
    expect(result).toMatchObject({ complete: true, devices: rig.sim.model.deviceCount });
    expect((rig.sim.control.stats() as { restUnauthorized: number }).restUnauthorized).toBeGreaterThan(unauthorized);
    const end = await waitFor(() => inventory.find((e) => e.kind === 'sync.end' && e.sync_id === result.sync_id));
    expect(SyncEndPayload.parse(end.payload)).toMatchObject({ count: rig.sim.model.deviceCount, complete: true });
    // Device messages of that sync carry the live state the collector holds.
    const devs = inventory.filter((e) => e.kind === 'device' && e.sync_id === result.sync_id);
    const mapped = devs.map((e) => milestoneMapper.mapDevice(milestoneMapper.deviceSchema.parse(e.payload), e));
    const truth = new Map(rig.sim.control.devices().map((t) => [`milestone:xp1:${t.key}`, t.expected_status]));
    for (const d of mapped) expect(d.status, d.id).toBe(truth.get(d.id));
  });
});
