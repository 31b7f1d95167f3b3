import {
  deviceId,
  getCi,
  ipv4FromLittleEndianInt,
  isIpv4,
  normalizeMac,
  textOrNull,
  toUtcIso,
  type Device,
  type DeviceStatus,
  type DeviceType,
  type MapContext,
  type StatusObservation,
  type VendorMapper,
} from '@edge/contracts';
import {
  OnGuardRawDevice,
  OnGuardRawStatus,
  type HardwareStatusRead,
  type PropertyValueMap,
  type StatusRow,
} from '../raw-schema';
import { decodeHardwareStatus } from '../status-bits';
import { nativeKeyOf, parentKeyOf, typeInfo, VIDEO_RECORDER } from './types';

export const VENDOR = 'onguard';

/** Default PanelType pattern for intrusion controllers when the collector sent no hint (§3 [I]). */
const INTRUSION_PANEL_TYPE = /intrusion|galaxy|dmp|detection systems|bosch|nexwatch|napco|caddx|vista/i;

/** `true`, `"True"`, `1`, `"1"` → true; `false`, `"false"`, `0`, `"0"` → false; anything else → null. */
export function flag(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v === 0 ? false : v === 1 ? true : null;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === 'true' || s === '1') return true;
    if (s === 'false' || s === '0') return false;
  }
  return null;
}

/** OnGuard IPs are little-endian integers (§3); a dotted string is accepted as is. */
export function ipOf(v: unknown): string | null {
  if (typeof v === 'string' && v.includes('.')) return isIpv4(v.trim()) ? v.trim() : null;
  return ipv4FromLittleEndianInt(v);
}

function firstText(obj: unknown, keys: string[]): string | null {
  for (const k of keys) {
    const t = textOrNull(getCi(obj, k));
    if (t !== null) return t;
  }
  return null;
}

export interface StatusContext {
  native_type: string;
  object: PropertyValueMap;
  panel: PropertyValueMap | null;
  recorder?: PropertyValueMap | null;
  hardware_status: HardwareStatusRead | null;
  panel_status: HardwareStatusRead | null;
  hints: { is_online_live?: boolean; key_properties?: string[] };
}

/**
 * Status of one device from what the collector composed. `IsOnline` is the configured enable
 * flag (→ disabled), never the live state; the live state is `GetHardwareStatus` (§4.3).
 */
export function deriveStatus(c: StatusContext): { status: DeviceStatus; reason: string | null } {
  const info = typeInfo(c.native_type, c.hints.key_properties);
  if (c.native_type === VIDEO_RECORDER) {
    const online = flag(getCi(c.object, 'is_online'));
    if (c.hints.is_online_live) return online === null ? { status: 'unknown', reason: null } : online ? { status: 'online', reason: null } : { status: 'offline', reason: 'recorder reported offline' };
    return online === false ? { status: 'disabled', reason: 'recorder disabled in OnGuard' } : { status: 'unknown', reason: 'OpenAccess reports no live status for recorders' };
  }
  const enabled = flag(getCi(c.object, 'IsOnline') ?? getCi(c.object, 'online_enabled'));
  if (enabled === false) return { status: 'disabled', reason: 'disabled in OnGuard (IsOnline = false)' };
  if (c.panel && flag(getCi(c.panel, 'IsOnline') ?? getCi(c.panel, 'online_enabled')) === false)
    return { status: 'disabled', reason: `panel ${textOrNull(getCi(c.panel, 'ID')) ?? ''} disabled in OnGuard`.replace('  ', ' ') };
  if (c.native_type === 'Lnl_Camera' && c.recorder && !c.hints.is_online_live && flag(getCi(c.recorder, 'is_online')) === false)
    return { status: 'disabled', reason: 'recorder disabled in OnGuard' };
  if (info.statusKind === 'none') return { status: 'unknown', reason: 'OpenAccess reports no live status for this type' };
  const hs = c.hardware_status;
  if (!hs || hs.status === null) return { status: 'unknown', reason: hs?.error ?? 'hardware status not read' };
  const decoded = decodeHardwareStatus(info.statusKind, hs.status);
  if (decoded.status === 'offline' && c.panel && c.panel_status && c.panel_status.status !== null && (c.panel_status.status & 0x1) === 0) {
    const pid = textOrNull(getCi(c.panel, 'ID'));
    return { status: 'offline', reason: `panel ${pid ?? ''} offline (communications lost)`.replace('  ', ' ') };
  }
  return decoded;
}

function deviceTypeOf(d: OnGuardRawDevice, base: DeviceType): DeviceType {
  if (d.native_type !== 'Lnl_Panel') return base;
  if (d.hints.intrusion_panel !== undefined) return d.hints.intrusion_panel ? 'intrusion_panel' : 'access_panel';
  const pt = textOrNull(getCi(d.object, 'PanelType'));
  return pt !== null && INTRUSION_PANEL_TYPE.test(pt) ? 'intrusion_panel' : 'access_panel';
}

function modelOf(d: OnGuardRawDevice): string | null {
  switch (d.native_type) {
    case 'Lnl_Camera':
      return firstText(d.object, ['CAMERATYPENAME']);
    case VIDEO_RECORDER:
      return firstText(d.object, ['panel_type_name']);
    case 'Lnl_AlarmPanel': {
      const ct = Number(getCi(d.object, 'CONTROLTYPE'));
      return ct === 129 ? 'alarm input panel' : ct === 130 ? 'alarm output panel' : null;
    }
    default:
      return firstText(d.object, ['PanelType', 'panel_type_name']);
  }
}

function manufacturerOf(model: string | null): string | null {
  if (model === null) return null;
  if (/^LNL-/i.test(model)) return 'LenelS2';
  if (/^(mercury|mr\d|mp\d|ep\d)/i.test(model)) return 'Mercury Security';
  return null;
}

/** Canonical id of a native device: `onguard:<system>:<token>:<key>`. */
export function canonicalId(systemId: string, nativeType: string, key: string, keyProperties?: string[]): string {
  return deviceId(VENDOR, systemId, typeInfo(nativeType, keyProperties).token, key);
}

function requireKey(nativeType: string, obj: unknown, keyProperties?: string[]): string {
  const key = nativeKeyOf(nativeType, obj, keyProperties);
  if (key === null) {
    const want = typeInfo(nativeType, keyProperties).keys.join(', ');
    throw new Error(`${nativeType} object has no usable key (${want})`);
  }
  return key;
}

/** One composed raw device → the canonical device. Pure and deterministic. */
export function mapDevice(d: OnGuardRawDevice, ctx: MapContext): Device {
  const info = typeInfo(d.native_type, d.hints.key_properties);
  const key = requireKey(d.native_type, d.object, d.hints.key_properties);
  const parent = parentKeyOf(d.native_type, d.object);
  const { status } = deriveStatus(d);
  const model = modelOf(d);
  const alive = (status === 'online' || status === 'degraded') && d.hardware_status ? toUtcIso(d.hardware_status.read_at) : null;
  return {
    id: canonicalId(ctx.system_id, d.native_type, key, d.hints.key_properties),
    name: firstText(d.object, ['Name', 'name']) ?? `${info.token} ${key}`,
    type: deviceTypeOf(d, info.deviceType),
    customer_id: ctx.customer_id,
    site_id: ctx.site_id,
    status,
    // OpenAccess exposes no MAC for any hardware type (§3); a MAC property is used if a server has one.
    mac_address: normalizeMac(getCi(d.object, 'MACAddress') ?? getCi(d.object, 'mac_address')),
    ip: ipOf(getCi(d.object, 'PrimaryIPAddress') ?? getCi(d.object, 'IPADDRESS') ?? getCi(d.object, 'primary_ip_address')),
    hostname: firstText(d.object, ['HostName', 'computer_name', 'Workstation', 'comm_server']),
    location: d.segment?.name ?? null,
    last_seen: alive,
    status_changed_at: null,
    parent_id: parent && parent.key !== '0' ? canonicalId(ctx.system_id, parent.type, parent.key) : null,
    manufacturer: manufacturerOf(model),
    model: model === 'Logical Source' ? null : model,
    firmware: null,
    serial: null,
    source: { vendor: VENDOR, system_id: ctx.system_id, native_type: d.native_type, native_id: key },
    schema_version: 1,
  };
}

function rowObservation(row: StatusRow, via: 'poll' | 'event', ctx: MapContext): StatusObservation | null {
  const { status, reason } = deriveStatus(row);
  // A failed read is no evidence: it must not turn a known device "unknown".
  if (status === 'unknown') return null;
  const key = requireKey(row.native_type, row.object, row.hints.key_properties);
  return {
    device_id: canonicalId(ctx.system_id, row.native_type, key, row.hints.key_properties),
    status,
    timestamp: (row.hardware_status && toUtcIso(row.hardware_status.read_at)) ?? ctx.observed_at,
    reason,
    observed_via: via,
    native_event_id: null,
    native_type: row.native_type,
    native_id: key,
    alive_evidence: status === 'online' || status === 'degraded',
  };
}

/** One status payload → observations (a poll page carries many rows; an event one). */
export function mapStatus(p: OnGuardRawStatus, ctx: MapContext): StatusObservation[] {
  if (p.source === 'hardware_status') {
    const out: StatusObservation[] = [];
    for (const row of p.rows) {
      const o = rowObservation(row, p.via, ctx);
      if (o) out.push(o);
    }
    return out;
  }
  const r = p.resolved;
  const key = requireKey(r.native_type, r.object);
  return [
    {
      device_id: canonicalId(ctx.system_id, r.native_type, key),
      status: r.status,
      timestamp: (r.timestamp ? toUtcIso(r.timestamp) : null) ?? ctx.observed_at,
      reason: r.description,
      observed_via: 'event',
      native_event_id: r.native_event_id,
      native_type: r.native_type,
      native_id: key,
      alive_evidence: r.status === 'online',
    },
  ];
}

export const onguardMapper: VendorMapper<OnGuardRawDevice, OnGuardRawStatus> = {
  vendor: VENDOR,
  deviceSchema: OnGuardRawDevice,
  statusSchema: OnGuardRawStatus,
  mapDevice,
  mapStatus,
};
