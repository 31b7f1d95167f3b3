import { afterEach, describe, expect, it } from 'vitest';
import { milestoneMapper, type MilestoneStatusPayload } from '@edge/vendor-milestone/mapper';
import type { RawEnvelope } from '@edge/contracts';
import { RawTap, startRig, waitFor, type Rig } from './harness';

interface SystemState {
  connection: string;
  events: string;
  last_error: string | null;
  details: Record<string, unknown>;
}

type Seen = { env: RawEnvelope; status: MilestoneStatusPayload };

/** Rig + a tap on the system's RAW status messages. */
async function rigWithTap(o: Parameters<typeof startRig>[0]): Promise<{ rig: Rig; tap: RawTap; seen: Seen[]; inventory: RawEnvelope[]; state: () => Promise<SystemState> }> {
  const rig = await startRig(o);
  const seen: Seen[] = [];
  const inventory: RawEnvelope[] = [];
  const tap = new RawTap(rig.nc, 'raw.milestone.xp1.>', (env) => {
    if (env.kind === 'status') seen.push({ env, status: milestoneMapper.statusSchema.parse(env.payload) });
    else inventory.push(env);
  });
  await tap.start();
  const state = async () => ((await rig.status()) as { systems: Array<{ state: SystemState }> }).systems[0].state;
  return { rig, tap, seen, inventory, state };
}

const eventIds = (seen: Seen[]) => new Set(seen.flatMap((s) => (s.status.kind === 'event' ? [s.status.event.id] : [])));

describe('collector-milestone: Events and State subscriptions', () => {
  let ctx: Awaited<ReturnType<typeof rigWithTap>> | null = null;
  afterEach(async () => {
    await ctx?.tap.stop();
    await ctx?.rig.dispose();
    ctx = null;
  });

  it('a failed addSubscription on a new session is never resumed as if subscribed: events still arrive afterwards', async () => {
    ctx = await rigWithTap({ sim: { hardware: 6, recordingServers: 1 } });
    const { rig, seen, state } = ctx;
    await waitFor(async () => (await state()).events === 'subscribed');
    const sessions = (rig.sim.control.stats() as { sessionsCreated: number }).sessionsCreated;
    // The next connect gets a new session whose first addSubscription fails.
    rig.sim.control.refuseResume(1);
    rig.sim.control.failAddSubscription(1);
    rig.sim.control.dropSockets();
    await waitFor(() => (rig.sim.control.stats() as { subscriptionsFailed: number }).subscriptionsFailed === 1);
    await waitFor(async () => (await state()).events === 'subscribed' && (rig.sim.control.stats() as { sessionsCreated: number }).sessionsCreated > sessions);
    const cam = rig.sim.model.children.cameras.find((c) => rig.sim.control.device('cameras', c.id).enabled)!;
    const [change] = rig.sim.control.commError('cameras', cam.id);
    await waitFor(() => eventIds(seen).has(change.event_id), 120_000);
  });

  it('a strict server refusing speakers, metadata and recording servers: cameras and hardware still subscribed, the refused groups are polled', async () => {
    ctx = await rigWithTap({ sim: { hardware: 20, recordingServers: 2, speakers: 6, metadata: 4, strictSubscriptions: true }, system: { probe_interval: '300ms', status_interval: '2s' } });
    const { rig, seen, inventory, state } = ctx;
    await waitFor(async () => (await state()).events === 'subscribed');
    const st = await state();
    expect(Object.keys(st.details.subscriptions_refused as Record<string, string>).sort()).toEqual(['metadata', 'recordingServers', 'speakers']);
    expect(st.details.recording_server_probe).toBe('active');
    // Cameras' events flow.
    const cam = rig.sim.model.children.cameras.find((c) => rig.sim.control.device('cameras', c.id).enabled)!;
    const [change] = rig.sim.control.commError('cameras', cam.id);
    await waitFor(() => eventIds(seen).has(change.event_id));
    rig.sim.control.commRestored('cameras', cam.id);
    // A speaker's hardware goes down: the next sync shows the speaker offline (from its hardware's state).
    const speaker = rig.sim.model.children.speakers.find((d) => rig.sim.control.device('speakers', d.id).enabled)!;
    const hwId = rig.sim.control.device('speakers', speaker.id).parent!.id;
    const [hwChange] = rig.sim.control.commError('hardware', hwId);
    await waitFor(() => eventIds(seen).has(hwChange.event_id));
    const r = await rig.post('/sync', { wait: true });
    const syncId = (r.body.results as Array<{ sync_id: string }>)[0].sync_id;
    await waitFor(() => inventory.some((e) => e.kind === 'sync.end' && e.sync_id === syncId));
    const mapped = inventory
      .filter((e) => e.kind === 'device' && e.sync_id === syncId)
      .map((e) => milestoneMapper.mapDevice(milestoneMapper.deviceSchema.parse(e.payload), e))
      .filter((d) => d.source.native_type === 'speakers' || d.source.native_type === 'metadata');
    expect(mapped.length).toBe(10);
    for (const d of mapped) expect(d.status, d.id).toBe(rig.sim.control.device(d.source.native_type, d.source.native_id).expected_status);
    expect(mapped.find((d) => d.source.native_id === speaker.id)?.status).toBe('offline');
    // The periodic status poll publishes the refused groups' state too.
    await waitFor(() => seen.some((s) => s.status.kind === 'state' && s.status.reason.includes('refused groups') && s.status.states.some((row) => row.source === `speakers/${speaker.id}`)));
  });

  it('getState on a large site: the timeout grows with the camera count and /status says a baseline is in progress', async () => {
    // 80 cameras × 50 ms = 4 s, above the configured 1 s; the server takes 2.5 s to answer.
    ctx = await rigWithTap({ sim: { hardware: 40, recordingServers: 1 }, system: { get_state_timeout: '1s', get_state_timeout_per_camera: '50ms' } });
    const { rig, state } = ctx;
    await waitFor(async () => (await state()).events === 'subscribed');
    expect((await rig.post('/sync', { wait: true })).body.ok).toBe(true);
    const before = ((await state()).details.stream as Record<string, number>).baselines ?? 0;
    rig.sim.control.slowGetState(2_500);
    rig.sim.control.refuseResume(1);
    rig.sim.control.dropSockets();
    const during = await waitFor(async () => {
      const st = await state();
      return typeof st.details.baseline === 'string' ? st : undefined;
    });
    expect(during.details.baseline).toMatch(/getState in progress since .* \(timeout 4 s\)/);
    await waitFor(async () => (((await state()).details.stream as Record<string, number>).baselines ?? 0) > before, 120_000);
    const st = await state();
    expect((st.details.stream as Record<string, number>).baselines_failed ?? 0).toBe(0);
    expect(st.details.baseline).toBeNull();
  });
});
