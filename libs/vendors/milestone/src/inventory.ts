import type { Logger } from 'pino';
import { describeError, errorKind } from '@edge/platform';
import { TypeIsolation, type FailedTypeSink } from '@edge/collector-kit';
import { idOf, type ConfigApiClient } from './client/config-api-client';
import { CHILD_RESOURCE_TYPES, deviceResourceType, type ChildResourceType } from './constants';
import { ConfigItem, Hardware, RecordingServer, type MilestoneDevicePayloadInput, type Site } from './raw-schema';
import type { DriverSettingsCache } from './driver-settings-cache';
import { flagFalse } from './rs-probes';

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
  /**
   * Where a child type that could not be listed is reported (the sync's writer): the sync goes on
   * and ends partial for that type. Absent: any failure fails the inventory.
   */
  failedTypes?: FailedTypeSink;
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

/** The item (or, for a channel, its hardware) is disabled in configuration. */
export function configDisabled(d: InventoryDevice): boolean {
  if (flagFalse((d.item as { enabled?: unknown }).enabled)) return true;
  if (d.resourceType === 'hardware' || d.resourceType === 'recordingServers') return false;
  return flagFalse((d.hardware as { enabled?: unknown } | null | undefined)?.enabled);
}

/** The join tables of one inventory: what every child item is composed with. */
interface Joins {
  site: Site | null;
  recordingServers: Map<string, RecordingServer>;
  hardware: Map<string, Hardware>;
  settings: Map<string, Record<string, unknown>>;
  groupPath: Map<string, string>;
  /** Hardware id → the location of its first camera in a group. */
  hardwareLocation: Map<string, string>;
}

function newStats(): InventoryStats {
  return { site_version: null, recording_servers: 0, hardware: 0, devices: {}, driver_settings_missing: 0, driver_settings_calls: 0, driver_settings_cached: 0, orphans: 0, invalid_items: 0, camera_groups: 0 };
}

/**
 * Streams the inventory of one XProtect system (§8 recipe): sites, recording servers, hardware
 * (paged), driver settings per hardware (bounded concurrency), camera groups, then every child
 * collection page by page, each item joined to its hardware and recording server through
 * `relations.parent`, and finally the hardware. Memory holds the join tables (recording servers,
 * hardware, driver settings, group membership) and one page of children, never the whole
 * inventory. With `o.failedTypes`, a child collection that cannot be listed fails alone (the
 * collector kit's `TypeIsolation`): recording servers and hardware are the join tables, so their
 * failure, a credentials refusal, an abort or a failed publish end the sync.
 */
export async function streamInventory(api: ConfigApiClient, o: InventoryOptions, emit: (d: InventoryDevice) => Promise<void>): Promise<InventoryStats> {
  const stats = newStats();
  const page = { includeDisabled: true, pageSize: o.pageSize, signal: o.signal };
  const sites = await api.all('sites', { ...page, includeDisabled: false });
  const s0 = (sites[0] ?? null) as Record<string, unknown> | null;
  const site: Site | null = s0 ? { id: str(s0.id) ?? idOf(s0) ?? undefined, name: str(s0.name), displayName: str(s0.displayName), version: str(s0.version) } : null;
  stats.site_version = site?.version ?? null;
  const recordingServers = await readParsed(api.all('recordingServers', page), RecordingServer, stats);
  for (const rs of recordingServers.values()) {
    await emit({ resourceType: 'recordingServers', item: rs, site });
    stats.recording_servers++;
  }
  const hardware = new Map<string, Hardware>();
  for await (const items of api.pages('hardware', page)) for (const [id, hw] of await readParsed(Promise.resolve(items), Hardware, stats)) hardware.set(id, hw);
  const settings = new Map<string, Record<string, unknown>>();
  const driverSettings = o.fetchDriverSettings ? readDriverSettings(api, o, hardware, settings, stats) : Promise.resolve();
  const groups = o.cameraGroups ? cameraGroupPaths(api, o, stats) : Promise.resolve(new Map<string, string>());
  const [, groupPath] = await Promise.all([driverSettings, groups]);
  const joins: Joins = { site, recordingServers, hardware, settings, groupPath, hardwareLocation: new Map() };
  await listChildren(api, o, joins, stats, emit);
  o.driverSettingsCache?.retain(new Set(hardware.keys()));
  for (const [id, hw] of hardware) {
    await emit({ resourceType: 'hardware', item: hw, driverSettings: settings.get(id) ?? null, recordingServer: rsOf(joins, hw), site, location: joins.hardwareLocation.get(id) ?? null });
    stats.hardware++;
  }
  return stats;
}

/** Items of a listing that parse, by id; the others are counted invalid. */
async function readParsed<T extends object>(items: Promise<unknown[]>, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } }, stats: InventoryStats): Promise<Map<string, T>> {
  const out = new Map<string, T>();
  for (const raw of await items) {
    const r = schema.safeParse(raw);
    if (r.success) out.set(idOf(r.data)!, r.data);
    else stats.invalid_items++;
  }
  return out;
}

function rsOf(j: Joins, hw: Hardware | null): RecordingServer | null {
  const parent = hw?.relations?.parent;
  return parent ? (j.recordingServers.get(parent.id.toLowerCase()) ?? null) : null;
}

/** `hardwareDriverSettings` per hardware (bounded concurrency, cached per `lastModified`). */
function readDriverSettings(api: ConfigApiClient, o: InventoryOptions, hardware: Map<string, Hardware>, settings: Map<string, Record<string, unknown>>, stats: InventoryStats): Promise<void> {
  const keep = (id: string, s: Record<string, unknown> | null) => {
    if (s) settings.set(id, s);
    else stats.driver_settings_missing++;
  };
  return mapLimit(
    [...hardware.keys()],
    o.driverSettingsConcurrency,
    async (id) => {
      const marker = str(hardware.get(id)?.lastModified);
      const cached = o.driverSettingsCache?.get(id, marker);
      if (cached !== undefined) {
        stats.driver_settings_cached++;
        return keep(id, cached);
      }
      try {
        stats.driver_settings_calls++;
        const s = await api.hardwareDriverSettings(id, o.signal);
        o.driverSettingsCache?.set(id, marker, s);
        keep(id, s);
      } catch (e) {
        // One device's settings failing must not fail the inventory; credentials problems do.
        if (errorKind(e) === 'auth') throw e;
        stats.driver_settings_missing++;
        o.log.warn({ hardware_id: id, err: describeError(e) }, 'hardwareDriverSettings unavailable; MAC/firmware/serial left empty');
      }
    },
    o.signal,
  );
}

/** Every configured child collection, page by page, each item joined to its hardware. */
async function listChildren(api: ConfigApiClient, o: InventoryOptions, j: Joins, stats: InventoryStats, emit: (d: InventoryDevice) => Promise<void>): Promise<void> {
  // A failed publish ends the sync, whatever its kind: it is not the listing that failed.
  const publishFailures = new WeakSet<object>();
  const publish = (d: InventoryDevice) =>
    emit(d).catch((e: unknown) => {
      if (e && typeof e === 'object') publishFailures.add(e);
      throw e;
    });
  const endsTheSync = (e: unknown, signal?: AbortSignal) => Boolean(signal?.aborted) || errorKind(e) === 'auth' || (typeof e === 'object' && e !== null && publishFailures.has(e));
  const isolation = o.failedTypes ? new TypeIsolation({ log: o.log, sink: o.failedTypes, endsTheSync, reason: describeError }) : null;
  for (const type of CHILD_RESOURCE_TYPES.filter((t) => o.childTypes.includes(t))) {
    const list = () => listChildType(api, o, type, j, stats, publish);
    if (isolation) await isolation.run(type, o.signal, list);
    else await list();
  }
}

async function listChildType(api: ConfigApiClient, o: InventoryOptions, type: ChildResourceType, j: Joins, stats: InventoryStats, emit: (d: InventoryDevice) => Promise<void>): Promise<void> {
  let n = 0;
  for await (const items of api.pages(type, { includeDisabled: true, pageSize: o.pageSize, signal: o.signal })) {
    for (const raw of items) {
      const item = ConfigItem.safeParse(raw);
      if (!item.success) {
        stats.invalid_items++;
        continue;
      }
      const id = idOf(item.data)!;
      const parent = item.data.relations?.parent;
      const hwId = parent && deviceResourceType(parent.type) !== 'recordingServers' ? parent.id.toLowerCase() : null;
      const hw = hwId ? (j.hardware.get(hwId) ?? null) : null;
      if (!hw) stats.orphans++;
      let location: string | null;
      if (type === 'cameras') {
        location = j.groupPath.get(id) ?? null;
        if (location && hwId && !j.hardwareLocation.has(hwId)) j.hardwareLocation.set(hwId, location);
      } else {
        // Channels without groups of their own sit where their hardware's cameras are.
        location = hwId ? (j.hardwareLocation.get(hwId) ?? null) : null;
      }
      await emit({ resourceType: type, item: item.data, hardware: hw, driverSettings: hwId ? (j.settings.get(hwId) ?? null) : null, recordingServer: rsOf(j, hw), site: j.site, location });
      n++;
    }
  }
  stats.devices[type] = n;
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
