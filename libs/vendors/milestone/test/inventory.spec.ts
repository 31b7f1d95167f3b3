import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMilestoneSimulator, type DeviceTruth, type MilestoneSimulator } from '@edge/sim-milestone';
import { CHILD_RESOURCE_TYPES, milestoneMapper, streamInventory, type InventoryDevice } from '../src';
import { clientsFor, quietLog, stat } from './helpers';

const ctx = { vendor: 'milestone', system_id: 'xp1', site_id: 's1', customer_id: 'c1', observed_at: '2026-05-20T08:00:00.000Z' };

async function inventory(sim: MilestoneSimulator, over: Partial<Parameters<typeof streamInventory>[1]> = {}) {
  const c = clientsFor(sim);
  const out: InventoryDevice[] = [];
  const stats = await streamInventory(
    c.api,
    { pageSize: 7, driverSettingsConcurrency: 8, fetchDriverSettings: true, cameraGroups: true, childTypes: CHILD_RESOURCE_TYPES, log: quietLog, ...over },
    async (d) => {
      out.push(d);
    },
  );
  c.close();
  return { out, stats };
}

/** Maps every composed device and compares it with the simulator's truth. */
function compare(sim: MilestoneSimulator, out: InventoryDevice[]) {
  const truth = new Map<string, DeviceTruth>(sim.control.devices().map((t) => [`milestone:xp1:${t.key}`, t]));
  expect(out.length).toBe(truth.size);
  const seen = new Set<string>();
  for (const d of out) {
    const dev = milestoneMapper.mapDevice(milestoneMapper.deviceSchema.parse(d), ctx);
    const t = truth.get(dev.id);
    expect(t, dev.id).toBeDefined();
    seen.add(dev.id);
    expect({ name: dev.name, type: dev.type, ip: dev.ip, mac: dev.mac_address, hostname: dev.hostname, location: dev.location, parent: dev.parent_id }).toEqual({
      name: t!.name,
      type: t!.type,
      ip: t!.ip,
      mac: t!.mac,
      hostname: t!.hostname,
      location: t!.location,
      parent: t!.parent ? `milestone:xp1:${t!.parent.key}` : null,
    });
    expect([dev.model, dev.firmware, dev.serial]).toEqual([t!.model, t!.firmware, t!.serial]);
    if (!t!.enabled) expect(dev.status).toBe('disabled');
  }
  expect(seen.size).toBe(truth.size);
}

describe('streamInventory against the simulator', () => {
  let sim: MilestoneSimulator;
  beforeAll(async () => {
    sim = await startMilestoneSimulator({ hardware: 60, cameras: 110, disabledRatio: 0.08, driverSettingsDelayMs: 15 });
  });
  afterAll(async () => sim.close());

  it('composes every device; mapped, each matches the simulator truth (IP, MAC, hostname, location, parent)', async () => {
    const { out, stats } = await inventory(sim);
    compare(sim, out);
    expect(stats).toMatchObject({ site_version: '25.1.1804.0', recording_servers: 3, hardware: 60, orphans: 0, invalid_items: 0 });
    expect(stats.devices.cameras).toBe(110);
    // Odd MAC formats are all in the generated set and all parse (or are empty/zero → null).
    const macs = sim.control.devices().filter((t) => t.resource_type === 'hardware').map((t) => t.mac);
    expect(macs.filter((m) => m === null).length).toBeGreaterThan(0);
    expect(macs.filter((m) => m !== null).length).toBeGreaterThan(40);
  });

  it('every channel carries its hardware IP and MAC', async () => {
    const { out } = await inventory(sim);
    const channels = out.filter((d) => d.resourceType !== 'hardware' && d.resourceType !== 'recordingServers');
    expect(channels.length).toBeGreaterThan(110);
    for (const d of channels) {
      const dev = milestoneMapper.mapDevice(milestoneMapper.deviceSchema.parse(d), ctx);
      const hw = milestoneMapper.mapDevice(milestoneMapper.deviceSchema.parse({ resourceType: 'hardware', item: d.hardware, driverSettings: d.driverSettings }), ctx);
      expect([dev.ip, dev.mac_address, dev.hostname]).toEqual([hw.ip, hw.mac_address, hw.hostname]);
    }
  });

  it('calls hardwareDriverSettings once per hardware with at most 8 in flight', async () => {
    const calls = stat(sim, 'GET /api/rest/v1/hardware/{id}/hardwareDriverSettings');
    await inventory(sim);
    expect(stat(sim, 'GET /api/rest/v1/hardware/{id}/hardwareDriverSettings') - calls).toBe(60);
    expect(stat(sim, 'driverSettingsMaxInFlight')).toBeLessThanOrEqual(8);
    expect(stat(sim, 'driverSettingsMaxInFlight')).toBeGreaterThan(1);
  });

  it('a failing hardwareDriverSettings leaves that MAC empty instead of failing the inventory', async () => {
    sim.control.failRequests({ status: 500, count: 200, pathPrefix: `/hardware/${sim.model.hardware[0].id}/hardwareDriverSettings` });
    const c = clientsFor(sim, { retryForMs: 300 });
    const out: InventoryDevice[] = [];
    const stats = await streamInventory(
      c.api,
      { pageSize: 50, driverSettingsConcurrency: 8, fetchDriverSettings: true, cameraGroups: false, childTypes: ['cameras'], log: quietLog },
      async (d) => {
        out.push(d);
      },
    );
    c.close();
    expect(stats.driver_settings_missing).toBe(1);
    expect(out.find((d) => d.resourceType === 'hardware' && (d.item as { id: string }).id === sim.model.hardware[0].id)?.driverSettings).toBeNull();
  });
});

describe('per-type isolation (collector kit TypeIsolation)', () => {
  it('a child collection that keeps failing makes the sync partial for that type only; a failed publish ends it', async () => {
    const sim = await startMilestoneSimulator({ seed: 11, hardware: 12 });
    sim.control.failRequests({ status: 500, count: 1_000, pathPrefix: '/microphones' });
    const c = clientsFor(sim, { retryForMs: 300 });
    const out: InventoryDevice[] = [];
    const failed: Array<[string, string]> = [];
    const o = { pageSize: 50, driverSettingsConcurrency: 4, fetchDriverSettings: false, cameraGroups: false, childTypes: CHILD_RESOURCE_TYPES, log: quietLog, failedTypes: { failType: (t: string, r: string) => failed.push([t, r]) } };
    const stats = await streamInventory(c.api, o, async (d) => {
      out.push(d);
    });
    expect(failed.map(([t]) => t)).toEqual(['microphones']);
    expect(failed[0][1]).toMatch(/500/);
    expect(out.some((d) => d.resourceType === 'microphones')).toBe(false);
    const truth = sim.control.devices();
    for (const type of ['cameras', 'hardware', 'recordingServers'] as const) {
      expect(out.filter((d) => d.resourceType === type).length, type).toBe(truth.filter((t) => t.resource_type === type).length);
    }
    expect(stats.devices.microphones).toBeUndefined();
    const refused = new Error('publish refused: stream full');
    await expect(streamInventory(c.api, o, async (d) => {
      if (d.resourceType === 'cameras') throw refused;
    })).rejects.toBe(refused);
    expect(failed).toHaveLength(1);
    c.close();
    await sim.close();
  });
});

describe('inventory against quirky servers', () => {
  it('no paging, 2023 R2 string numbers, offsets: same truth', async () => {
    const sim = await startMilestoneSimulator({ seed: 7, hardware: 30, ignorePaging: true, numbersAsStrings: true, version: '23.2.0.1' });
    const { out, stats } = await inventory(sim);
    compare(sim, out);
    expect(stats.site_version).toBe('23.2.0.1');
    expect(stat(sim, 'GET /api/rest/v1/hardware')).toBe(1);
    await sim.close();
  });
});
