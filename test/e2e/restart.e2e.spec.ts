/**
 * A restart as a user does it: the pipeline (`npm start`) stopped with SIGTERM and started again
 * over the same data directory, against sites where every status is present (online, offline,
 * degraded, disabled). Health events are for changes only: nothing changed, so the restart must
 * not send any — also when the vendor's state rows are newer than what the edge saw (the
 * XProtect recording servers restarted meanwhile) and a status poll runs before the first
 * inventory has told which devices are disabled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Supervisor } from '../../scripts/supervisor';
import { getJson, startStack, SYSTEMS, waitFor, type Stack } from './stack';

describe('restart of the pipeline (SIGTERM, start again)', () => {
  let stack: Stack;
  let second: Supervisor | null = null;
  beforeAll(async () => {
    stack = await startStack({
      // hardwareDriverSettings answers as slowly as on real sites: the startup inventory takes a while.
      milestone: { hardware: 10, recordingServers: 2, disabledRatio: 0.2, driverSettingsDelayMs: 2_500 },
      onguard: { site: { panels: 4, readersPerPanel: 2, recorders: 1, camerasPerRecorder: 3, offlineRatio: 0.2, degradedRatio: 0.2, disabledRatio: 0.2 } },
      // As the demo configuration: status polls between syncs.
      systemExtras: { inventory_interval: '2m', status_interval: '2s' },
    });
  }, 600_000);
  afterAll(async () => {
    await second?.stop();
    await stack?.stop();
  });

  /** The cloud's current view: device id → status. */
  const cloudStatuses = () => new Map([...stack.cloud.store.devices.values()].filter((d) => d.device && !d.removed_at).map((d) => [d.id, d.device!.status]));
  const syncsOf = (system: string) => [...stack.cloud.store.syncs.values()].filter((s) => s.system_id === system && s.final).length;
  /** Nothing waiting at the forwarder and the cloud's event count unchanged over the last 10 polls. */
  let quiet = { events: -1, polls: 0 };
  const settled = async () => {
    const { forwarder: fw } = await getJson<{ forwarder: { backlog: { messages: number } | null; waiting_in_batches: number } }>(stack.statusUrl('forwarder'));
    const n = stack.cloud.store.events.length;
    quiet = n === quiet.events && fw.backlog?.messages === 0 && fw.waiting_in_batches === 0 ? { events: n, polls: quiet.polls + 1 } : { events: n, polls: 0 };
    return quiet.polls >= 10;
  };
  /** The XProtect collector took its getState baseline (published after its first inventory). */
  const baselined = async () => {
    const st = await getJson<{ systems: Array<{ state: { details: { stream: Record<string, number> } } }> }>(stack.statusUrl('collector-milestone'));
    return (st.systems[0]?.state.details.stream.baselines ?? 0) >= 1;
  };

  it('sends no health event for devices whose status did not change, for every status and both vendors', async () => {
    // Every status on both sites: XProtect camera and hardware in error, a recording server down, disabled devices (generated);
    // OnGuard offline, degraded and disabled devices (generated).
    const xp = stack.milestone;
    const cam = xp.model.children.cameras.find((c) => xp.control.device('cameras', c.id).enabled)!;
    xp.control.commError('cameras', cam.id);
    const hw = xp.model.hardware.find((h) => xp.control.device('hardware', h.id).enabled && h.id !== xp.control.device('cameras', cam.id).parent?.id)!;
    xp.control.commError('hardware', hw.id);
    xp.control.recordingServerDown(xp.model.recordingServers[1].id);
    await waitFor('both systems synced to the cloud', () => syncsOf(SYSTEMS.milestone) >= 1 && syncsOf(SYSTEMS.onguard) >= 1, { timeoutMs: 120_000, logs: stack.logs });
    const truth = new Map<string, string>([
      ...xp.control.devices().map((t) => [`milestone:${SYSTEMS.milestone}:${t.key}`, t.expected_status] as const),
      ...stack.onguard.control.devices().map((t) => [`onguard:${SYSTEMS.onguard}:${t.canonical_key}`, t.expected_status as string] as const),
    ]);
    await waitFor(
      'the cloud shows every device with its true status',
      () => {
        const c = cloudStatuses();
        return [...truth].every(([id, st]) => c.get(id) === st);
      },
      { timeoutMs: 120_000, logs: stack.logs },
    );
    const statuses = new Set(cloudStatuses().values());
    for (const s of ['online', 'offline', 'disabled', 'degraded']) expect(statuses, s).toContain(s);
    await waitFor('XProtect baseline', baselined, { timeoutMs: 120_000 });
    await waitFor('forwarder idle', settled, { timeoutMs: 120_000 });
    const before = new Set(stack.cloud.store.events.map((e) => e.event_id));
    const syncsBefore = { xp: syncsOf(SYSTEMS.milestone), og: syncsOf(SYSTEMS.onguard) };

    await stack.supervisor.stop();
    // While the edge is down the recording servers restart: their devices' state rows begin anew (statuses unchanged).
    for (const rs of xp.model.recordingServers) xp.control.restartRecordingServer(rs.id);
    second = new Supervisor(stack.pipeline.processes, { graceMs: 10_000, output: () => undefined, log: (m) => stack.logs.push(`supervisor | ${m}`) });
    await second.start();

    await waitFor('the startup syncs after the restart reached the cloud', () => syncsOf(SYSTEMS.milestone) > syncsBefore.xp && syncsOf(SYSTEMS.onguard) > syncsBefore.og, { timeoutMs: 120_000, logs: stack.logs });
    await waitFor('XProtect baseline after the restart', baselined, { timeoutMs: 120_000 });
    await waitFor('forwarder idle after the restart', settled, { timeoutMs: 120_000 });
    const fresh = stack.cloud.store.events.filter((e) => !before.has(e.event_id));
    expect(fresh.map((e) => `${e.device_id} ${e.status} (truth ${truth.get(e.device_id)})`)).toEqual([]);
  }, 600_000);
});
