import { deviceId, getCi, hostnameFromAddress, ipFromAddress, normalizeMac, textOrNull, type Device, type DeviceType, type MapContext } from '@edge/contracts';
import { VENDOR } from '../constants';
import { normalizeGuid } from '../client/urls';
import type { GenetecDevicePayload, GenetecEntity, ParentRef } from '../raw-schema';
import { entityStatus } from './entity-status';

/** `genetec:<system_id>:<guid>` — GUIDs are immutable and unique across entity types. */
export function genetecDeviceId(systemId: string, guid: string): string {
  return deviceId(VENDOR, systemId, normalizeGuid(guid) ?? guid.toLowerCase());
}

/** Canonical type of each entity type (roles by their subtype: an Archiver records). */
export function canonicalType(e: Pick<GenetecEntity, 'EntityType' | 'EntitySubType'>): DeviceType {
  const sub = String(e.EntitySubType ?? '').toLowerCase();
  switch (e.EntityType.toLowerCase()) {
    case 'camera':
      return 'camera';
    case 'door':
    case 'accesspoint':
      return 'access_control';
    case 'unit':
      return 'access_panel';
    case 'intrusionunit':
      return 'intrusion_panel';
    case 'server':
      return 'server';
    case 'role':
      return sub.includes('archiver') ? 'recorder' : 'server';
    case 'device':
      return sub.includes('reader') ? 'access_control' : sub.includes('input') ? 'input' : sub.includes('output') ? 'output' : 'other';
    default:
      // VideoUnit (encoder / camera body hosting cameras) and anything else listed on purpose.
      return 'other';
  }
}

function text(o: unknown, ...names: string[]): string | null {
  for (const n of names) {
    const v = textOrNull(getCi(o, n));
    if (v) return v;
  }
  return null;
}

/** Network facts: the entity's own where it has them, else its unit's (cameras and doors have none). */
function network(e: GenetecEntity, parent: ParentRef | null): { ip: string | null; mac: string | null; hostname: string | null } {
  const own = { addr: text(e, 'IPAddress', 'IpAddress', 'Address'), mac: text(e, 'MacAddress', 'PhysicalAddress'), host: text(e, 'Hostname', 'HostName', 'FullyQualifiedName') };
  const unitParent = parent && /unit$/i.test(parent.EntityType) ? parent : null;
  const addr = own.addr ?? (unitParent ? text(unitParent, 'IPAddress', 'IpAddress', 'Address') : null);
  const host = own.host ?? (unitParent ? text(unitParent, 'Hostname', 'HostName') : null);
  return {
    ip: ipFromAddress(addr),
    mac: normalizeMac(own.mac ?? (unitParent ? text(unitParent, 'MacAddress', 'PhysicalAddress') : null)),
    hostname: hostnameFromAddress(host) ?? hostnameFromAddress(addr),
  };
}

/**
 * One composed entity → canonical device. Pure. Cameras and doors carry their unit's IP, MAC,
 * model and firmware: Security Center keeps those on the unit (the vendor notes: "MAC and IP are
 * not among the basic properties").
 */
export function mapDevice(p: GenetecDevicePayload, ctx: MapContext): Device {
  const e = p.entity;
  const guid = normalizeGuid(e.Guid) ?? e.Guid.toLowerCase();
  const { status } = entityStatus(e);
  const net = network(e, p.parent);
  const hw = p.parent && /unit$/i.test(p.parent.EntityType) && !/unit$/i.test(e.EntityType) ? p.parent : e;
  return {
    id: genetecDeviceId(ctx.system_id, guid),
    name: textOrNull(e.Name) ?? guid,
    type: canonicalType(e),
    customer_id: ctx.customer_id,
    site_id: ctx.site_id,
    status,
    mac_address: net.mac,
    ip: net.ip,
    hostname: net.hostname,
    location: null,
    last_seen: status === 'online' || status === 'degraded' ? ctx.observed_at : null,
    status_changed_at: null,
    parent_id: p.parent ? genetecDeviceId(ctx.system_id, p.parent.Guid) : null,
    manufacturer: text(hw, 'Manufacturer'),
    model: text(hw, 'Model'),
    firmware: text(hw, 'FirmwareVersion', 'Firmware'),
    serial: text(e, 'SerialNumber'),
    source: { vendor: VENDOR, system_id: ctx.system_id, native_type: e.EntityType, native_id: guid },
    schema_version: 1,
  };
}
