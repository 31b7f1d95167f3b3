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
async function rigWithTap(o: Parameters<typeof startRig>[0]): Promise<{ rig: Rig; tap: RawTap; seen: Seen[]; state: () => Promise<SystemState> }> {
  const rig = await startRig(o);
  const seen: Seen[] = [];
  const tap = new RawTap(rig.nc, 'raw.milestone.xp1.status', (env) => seen.push({ env, status: milestoneMapper.statusSchema.parse(env.payload) }));
  await tap.start();
  const state = async () => ((await rig.status()) as { systems: Array<{ state: SystemState }> }).systems[0].state;
  return { rig, tap, seen, state };
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
    await waitFor(() => eventIds(seen).has(change.event_id), 30_000);
  });
});
