import type { Logger } from 'pino';
import { describeError, errorKind } from '@edge/platform';
import { idOf, type ConfigApiClient } from './client/config-api-client';
import { CHILD_RESOURCE_TYPES, deviceResourceType, type ChildResourceType } from './constants';
import { ConfigItem, Hardware, RecordingServer, type MilestoneDevicePayloadInput, type Site } from './raw-schema';
import type { DriverSettingsCache } from './driver-settings-cache';

export interface InventoryOptions {
  pageSize: number;
  /** Parallel `hardwareDriverSettings` calls (3P clients use 8; §7.12). */
  driverSettingsConcurrency: number;
  fetchDriverSettings: boolean;
  /** Reuse driver settings of unchanged hardware (per `lastModified`, within a TTL). */
  driverSettingsCache?: DriverSettingsCache;
  cameraGroups: boolean;
  childTypes: readonly ChildResourceType[];
  signal?: AbortSignal;
  log: Logger;
}

export interface InventoryStats {
  site_version: string | null;
  recording_servers: number;
  hardware: number;
  devices: Record<string, number>;
  driver_settings_missing: number;
  /** hardwareDriverSettings calls this sync made, and answers reused from the cache. */
  driver_settings_calls: number;
  driver_settings_cached: number;
  orphans: number;
  invalid_items: number;
  camera_groups: number;
}

/** What the inventory hands over per device; the collector adds live state before publishing. */
export type InventoryDevice = Omit<MilestoneDevicePayloadInput, 'state' | 'probe' | 'recordingServerTypes'>;

function str(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v : null;
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  let failure: unknown = null;
  const worker = async () => {
    while (failure === null && !signal?.aborted) {
      const i = next++;
      if (i >= items.length) return;
      try {
        await fn(items[i]);
      } catch (e) {
        failure ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure !== null) throw failure;
}

/**
 * Streams the inventory of one XProtect system (§8 recipe): sites, recording servers, hardware
 * (paged), driver settings per hardware (bounded concurrency), camera groups, then every child
 * collection page by page, each item joined to its hardware and recording server through
 * `relations.parent`, and finally the hardware. Memory holds the join tables (recording servers,
 * hardware, driver settings, group membership) and one page of children, never the whole
 * inventory.
 */
export async function streamInventory(api: ConfigApiClient, o: InventoryOptions, emit: (d: InventoryDevice) => Promise<void>): Promise<InventoryStats> {
  const stats: InventoryStats = {
    site_version: null,
    recording_servers: 0,
    hardware: 0,
    devices: {},
    driver_settings_missing: 0,
    driver_settings_calls: 0,
    driver_settings_cached: 0,
    orphans: 0,
    invalid_items: 0,
    camera_groups: 0,
  };
  const page = { includeDisabled: true, pageSize: o.pageSize, signal: o.signal };

  const sites = await api.all('sites', { ...page, includeDisabled: false });
  const s0 = (sites[0] ?? null) as Record<string, unknown> | null;
  const site: Site | null = s0 ? { id: str(s0.id) ?? idOf(s0) ?? undefined, name: str(s0.name), displayName: str(s0.displayName), version: str(s0.version) } : null;
  stats.site_version = site?.version ?? null;

  const recordingServers = new Map<string, RecordingServer>();
  for (const raw of await api.all('recordingServers', page)) {
    const rs = RecordingServer.safeParse(raw);
    if (!rs.success) {
      stats.invalid_items++;
      continue;
    }
    recordingServers.set(idOf(rs.data)!, rs.data);
  }
  for (const rs of recordingServers.values()) {
    await emit({ resourceType: 'recordingServers', item: rs, site });
    stats.recording_servers++;
  }

  const hardware = new Map<string, Hardware>();
  for await (const items of api.pages('hardware', page)) {
    for (const raw of items) {
      const hw = Hardware.safeParse(raw);
      if (!hw.success) {
        stats.invalid_items++;
        continue;
      }
      hardware.set(idOf(hw.data)!, hw.data);
    }
  }

  const settings = new Map<string, Record<string, unknown>>();
  const driverSettings = o.fetchDriverSettings
    ? mapLimit(
        [...hardware.keys()],
        o.driverSettingsConcurrency,
        async (id) => {
          const marker = str(hardware.get(id)?.lastModified);
          const cached = o.driverSettingsCache?.get(id, marker);
          if (cached !== undefined) {
            stats.driver_settings_cached++;
            if (cached) settings.set(id, cached);
            else stats.driver_settings_missing++;
            return;
          }
          try {
            stats.driver_settings_calls++;
            const s = await api.hardwareDriverSettings(id, o.signal);
            o.driverSettingsCache?.set(id, marker, s);
            if (s) settings.set(id, s);
            else stats.driver_settings_missing++;
          } catch (e) {
            // One device's settings failing must not fail the inventory; credentials problems do.
            if (errorKind(e) === 'auth') throw e;
            stats.driver_settings_missing++;
            o.log.warn({ hardware_id: id, err: describeError(e) }, 'hardwareDriverSettings unavailable; MAC/firmware/serial left empty');
          }
        },
        o.signal,
      )
    : Promise.resolve();
  const groups = o.cameraGroups ? cameraGroupPaths(api, o, stats) : Promise.resolve(new Map<string, string>());
  const [, groupPath] = await Promise.all([driverSettings, groups]);

  const hardwareLocation = new Map<string, string>();
  const rsOf = (hw: Hardware | null) => {
    const parent = hw?.relations?.parent;
    return parent ? (recordingServers.get(parent.id.toLowerCase()) ?? null) : null;
  };
  const childTypes = CHILD_RESOURCE_TYPES.filter((t) => o.childTypes.includes(t));
  for (const type of childTypes) {
    let n = 0;
    for await (const items of api.pages(type, page)) {
      for (const raw of items) {
        const item = ConfigItem.safeParse(raw);
        if (!item.success) {
          stats.invalid_items++;
          continue;
        }
        const id = idOf(item.data)!;
        const parent = item.data.relations?.parent;
        const hwId = parent && deviceResourceType(parent.type) !== 'recordingServers' ? parent.id.toLowerCase() : null;
        const hw = hwId ? (hardware.get(hwId) ?? null) : null;
        if (!hw) stats.orphans++;
        let location: string | null;
        if (type === 'cameras') {
          location = groupPath.get(id) ?? null;
          if (location && hwId && !hardwareLocation.has(hwId)) hardwareLocation.set(hwId, location);
        } else {
          // Channels without groups of their own sit where their hardware's cameras are.
          location = hwId ? (hardwareLocation.get(hwId) ?? null) : null;
        }
        await emit({
          resourceType: type,
          item: item.data,
          hardware: hw,
          driverSettings: hwId ? (settings.get(hwId) ?? null) : null,
          recordingServer: rsOf(hw),
          site,
          location,
        });
        n++;
      }
    }
    stats.devices[type] = n;
  }

  o.driverSettingsCache?.retain(new Set(hardware.keys()));
  for (const [id, hw] of hardware) {
    await emit({
      resourceType: 'hardware',
      item: hw,
      driverSettings: settings.get(id) ?? null,
      recordingServer: rsOf(hw),
      site,
      location: hardwareLocation.get(id) ?? null,
    });
    stats.hardware++;
  }
  return stats;
}

/**
 * Camera id → group path (`Building A/Floor 2`) from `/cameraGroups`, its sub-groups and
 * members. First membership wins (a camera can sit in several groups). A server without the
 * resource yields no locations rather than a failed inventory.
 */
async function cameraGroupPaths(api: ConfigApiClient, o: InventoryOptions, stats: InventoryStats): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const page = { includeDisabled: true, pageSize: o.pageSize, signal: o.signal };
  const visit = async (group: unknown, prefix: string, depth: number): Promise<void> => {
    const id = idOf(group);
    if (!id || depth > 32) return;
    const g = group as Record<string, unknown>;
    const name = str(g.displayName) ?? str(g.name) ?? id;
    const path = prefix ? `${prefix}/${name}` : name;
    stats.camera_groups++;
    for await (const cams of api.pages(`cameraGroups/${id}/cameras`, page)) {
      for (const c of cams) {
        const cid = idOf(c);
        if (cid && !out.has(cid)) out.set(cid, path);
      }
    }
    for (const sub of await api.all(`cameraGroups/${id}/cameraGroups`, page)) await visit(sub, path, depth + 1);
  };
  try {
    for (const g of await api.all('cameraGroups', page)) await visit(g, '', 0);
  } catch (e) {
    if (errorKind(e) === 'auth') throw e;
    o.log.warn({ err: describeError(e) }, 'camera groups unavailable; devices get no location');
  }
  return out;
}
