import { deviceId, hostnameFromAddress, ipFromAddress, textOrNull, toUtcIso, type Device, type DeviceType, type DeviceStatus, type MapContext } from '@edge/contracts';
import { COMMUNICATION_MEANING, deviceResourceType, type DeviceResourceType } from '../constants';
import { itemId, type MilestoneDevicePayload } from '../raw-schema';
import { firmwareFromSettings, macFromSettings, serialFromSettings } from './driver-settings';

export const VENDOR = 'milestone';

/** Canonical device type of each XProtect collection. */
export const CANONICAL_TYPE: Readonly<Record<DeviceResourceType, DeviceType>> = {
  recordingServers: 'recorder',
  // Hardware is the network unit (camera body, encoder, I/O box) hosting the channels.
  hardware: 'other',
  cameras: 'camera',
  microphones: 'microphone',
  speakers: 'speaker',
  metadata: 'other',
  inputEvents: 'input',
  outputs: 'output',
};

/** `milestone:<system_id>:<resource type>:<guid>` */
export function milestoneDeviceId(systemId: string, resourceType: DeviceResourceType, guid: string): string {
  return deviceId(VENDOR, systemId, resourceType, guid.toLowerCase());
}

/** Canonical id of the parent: hardware for channels, recording server for hardware. */
function parentOf(p: MilestoneDevicePayload, systemId: string): string | null {
  const parent = p.item.relations?.parent;
  if (p.resourceType === 'recordingServers') return null;
  const wantType: DeviceResourceType = p.resourceType === 'hardware' ? 'recordingServers' : 'hardware';
  if (parent && deviceResourceType(parent.type) === wantType) return milestoneDeviceId(systemId, wantType, parent.id);
  // Parent type spelled unexpectedly (a 3P dump shows `recorders`): fall back to the composed object.
  const composed = p.resourceType === 'hardware' ? p.recordingServer : p.hardware;
  return composed ? milestoneDeviceId(systemId, wantType, itemId(composed)) : null;
}

/** Configuration says the device is off: its own flag, or its hardware's. */
export function isDisabled(p: MilestoneDevicePayload): boolean {
  if (p.item.enabled === false) return true;
  return p.resourceType !== 'hardware' && p.resourceType !== 'recordingServers' && p.hardware?.enabled === false;
}

function statusOf(p: MilestoneDevicePayload): { status: DeviceStatus; since: string | null } {
  if (isDisabled(p)) return { status: 'disabled', since: null };
  const since = p.state ? toUtcIso(p.state.time) : null;
  if (p.resourceType === 'recordingServers') {
    const t = p.state?.type.toLowerCase();
    if (t && p.recordingServerTypes.responding.some((x) => x.toLowerCase() === t)) return { status: 'online', since };
    if (t && p.recordingServerTypes.notResponding.some((x) => x.toLowerCase() === t)) return { status: 'offline', since };
    if (p.probe?.unknownReason) return { status: 'unknown', since: null };
    if (p.probe) return { status: p.probe.responding ? 'online' : 'offline', since: toUtcIso(p.probe.probedAt) };
    return { status: 'unknown', since: null };
  }
  const meaning = p.state ? COMMUNICATION_MEANING[p.state.type.toLowerCase()] : undefined;
  if (meaning === 'started') return { status: 'online', since };
  if (meaning === 'error' || meaning === 'stopped') return { status: 'offline', since };
  return { status: 'unknown', since: null };
}

/**
 * One composed raw device → canonical device. Pure: everything comes from the payload and the
 * envelope context. Channels (cameras, microphones, …) carry their hardware's IP, MAC, model,
 * firmware and serial: XProtect keeps those on the hardware only (§3.5, §3.6).
 */
export function mapDevice(p: MilestoneDevicePayload, ctx: MapContext): Device {
  const guid = itemId(p.item);
  const hw = p.resourceType === 'hardware' ? p.item : p.hardware;
  const hwAddress = hw && 'address' in hw ? hw.address : null;
  let ip: string | null;
  let hostname: string | null;
  if (p.resourceType === 'recordingServers') {
    const rs = p.item as { hostName?: unknown; webServerUri?: unknown };
    ip = ipFromAddress(rs.hostName) ?? ipFromAddress(rs.webServerUri);
    hostname = hostnameFromAddress(rs.hostName) ?? hostnameFromAddress(rs.webServerUri);
  } else {
    ip = ipFromAddress(hwAddress);
    hostname = hostnameFromAddress(hwAddress);
  }
  const settings = p.resourceType === 'recordingServers' ? null : p.driverSettings;
  const { status, since } = statusOf(p);
  return {
    id: milestoneDeviceId(ctx.system_id, p.resourceType, guid),
    name: textOrNull(p.item.displayName) ?? textOrNull(p.item.name) ?? guid,
    type: CANONICAL_TYPE[p.resourceType],
    customer_id: ctx.customer_id,
    site_id: ctx.site_id,
    status,
    mac_address: macFromSettings(settings),
    ip,
    hostname,
    location: textOrNull(p.location),
    last_seen: status === 'online' ? ctx.observed_at : null,
    status_changed_at: since,
    parent_id: parentOf(p, ctx.system_id),
    manufacturer: null,
    model: hw && 'model' in hw ? textOrNull(hw.model) : null,
    firmware: firmwareFromSettings(settings),
    serial: serialFromSettings(settings),
    source: { vendor: VENDOR, system_id: ctx.system_id, native_type: p.resourceType, native_id: guid },
    schema_version: 1,
  };
}
