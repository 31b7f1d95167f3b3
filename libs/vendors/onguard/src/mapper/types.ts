import { getCi, type DeviceType } from '@edge/contracts';
import type { StatusKind } from '../status-bits';

/** Everything the mapper and the collector need to know about one OpenAccess hardware type. */
export interface OnGuardTypeInfo {
  /** Type token inside canonical ids: `onguard:<system>:<token>:<key>`. */
  token: string;
  /** Key properties in id order (case-insensitive reads). */
  keys: string[];
  deviceType: DeviceType;
  statusKind: StatusKind;
  /** Has a `GetHardwareStatus` method (checked against `GET /type` at run time). */
  hasStatusMethod: boolean;
  /** Property holding the parent panel id, and the parent's type. */
  parent?: { type: string; keys: string[] };
}

/** `video_recorders` items are not an `Lnl_*` type; this name marks them in raw payloads. */
export const VIDEO_RECORDER = 'video_recorder';

/**
 * Property names and keys from reference §3 (OA + DC columns). Types missing here still map,
 * with the key properties the collector learnt from `GET /type` (hints.key_properties).
 */
export const ONGUARD_TYPES: Record<string, OnGuardTypeInfo> = {
  Lnl_Panel: { token: 'panel', keys: ['ID'], deviceType: 'access_panel', statusKind: 'panel', hasStatusMethod: true },
  Lnl_IntrusionPanel: { token: 'intrusionpanel', keys: ['ID'], deviceType: 'intrusion_panel', statusKind: 'panel', hasStatusMethod: true },
  Lnl_Reader: {
    token: 'reader',
    keys: ['PanelID', 'ReaderID'],
    deviceType: 'access_control',
    statusKind: 'reader',
    hasStatusMethod: true,
    parent: { type: 'Lnl_Panel', keys: ['PanelID'] },
  },
  Lnl_AlarmPanel: {
    token: 'alarmpanel',
    keys: ['PANELID', 'ID'],
    deviceType: 'io_module',
    statusKind: 'panel',
    hasStatusMethod: true,
    parent: { type: 'Lnl_Panel', keys: ['PANELID'] },
  },
  Lnl_AlarmInput: {
    token: 'alarminput',
    keys: ['ID'],
    deviceType: 'input',
    statusKind: 'input',
    hasStatusMethod: true,
    parent: { type: 'Lnl_AlarmPanel', keys: ['PANELID', 'ALARMPANELID'] },
  },
  Lnl_AlarmOutput: {
    token: 'alarmoutput',
    keys: ['ID'],
    deviceType: 'output',
    statusKind: 'output',
    hasStatusMethod: true,
    parent: { type: 'Lnl_AlarmPanel', keys: ['PANELID', 'ALARMPANELID'] },
  },
  Lnl_ReaderInput1: readerIo('readerinput1', 'input'),
  Lnl_ReaderInput2: readerIo('readerinput2', 'input'),
  Lnl_ReaderOutput1: readerIo('readeroutput1', 'output'),
  Lnl_ReaderOutput2: readerIo('readeroutput2', 'output'),
  // Status only where `GET /type` lists GetHardwareStatus on it; 0 offline / 1 online
  // (PSDataConduIT Get-CameraHardwareStatus.ps1 and its DeviceStatus enumeration).
  Lnl_Camera: {
    token: 'camera',
    keys: ['ID'],
    deviceType: 'camera',
    statusKind: 'binary',
    hasStatusMethod: false,
    parent: { type: VIDEO_RECORDER, keys: ['PANELID'] },
  },
  [VIDEO_RECORDER]: { token: 'recorder', keys: ['id'], deviceType: 'recorder', statusKind: 'none', hasStatusMethod: false },
  Lnl_IntrusionArea: intrusion('intrusionarea', 'other'),
  Lnl_IntrusionZone: intrusion('intrusionzone', 'input'),
  Lnl_IntrusionDoor: intrusion('intrusiondoor', 'access_control'),
  Lnl_IntrusionOutput: intrusion('intrusionoutput', 'output'),
};

function readerIo(token: string, kind: 'input' | 'output'): OnGuardTypeInfo {
  return {
    token,
    keys: ['PANELID', 'READERID'],
    deviceType: kind,
    statusKind: kind,
    hasStatusMethod: true,
    parent: { type: 'Lnl_Reader', keys: ['PANELID', 'READERID'] },
  };
}

function intrusion(token: string, deviceType: DeviceType): OnGuardTypeInfo {
  return { token, keys: ['ID'], deviceType, statusKind: 'binary', hasStatusMethod: true, parent: { type: 'Lnl_Panel', keys: ['PANELID'] } };
}

/** Table entry of a type, or a generic one built from the key properties the collector learnt. */
export function typeInfo(nativeType: string, keyProperties?: string[]): OnGuardTypeInfo {
  const known = ONGUARD_TYPES[nativeType];
  if (known) return known;
  return {
    token: nativeType.replace(/^Lnl_/i, '').toLowerCase().replace(/[^a-z0-9_-]/g, '') || 'device',
    keys: keyProperties && keyProperties.length > 0 ? keyProperties : ['ID'],
    deviceType: 'other',
    statusKind: 'none',
    hasStatusMethod: false,
  };
}

/** Key value as text: numbers and numeric strings alike (`"3"` and `3` give the same id). */
function keyText(v: unknown): string | null {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'string' && v.trim() !== '') return v.trim().replace(/^(-?)0+(\d)/, '$1$2');
  return null;
}

/** Native key of an object (`3-1` for a reader), or null when a key property is missing. */
export function nativeKeyOf(nativeType: string, obj: unknown, keyProperties?: string[]): string | null {
  const info = typeInfo(nativeType, keyProperties);
  const parts: string[] = [];
  for (const k of info.keys) {
    const t = keyText(getCi(obj, k));
    if (t === null) return null;
    parts.push(t.replace(/[^A-Za-z0-9_.-]/g, '_'));
  }
  return parts.join('-');
}

/** Key properties of an object as `{ name: value }` with the table's casing (for execute_method). */
export function keyMapOf(nativeType: string, obj: unknown, keyProperties?: string[]): Record<string, unknown> | null {
  const info = typeInfo(nativeType, keyProperties);
  const out: Record<string, unknown> = {};
  for (const k of info.keys) {
    const v = getCi(obj, k);
    if (keyText(v) === null) return null;
    out[k] = v;
  }
  return out;
}

/** Native key of the parent (`3` for a reader on panel 3), or null. */
export function parentKeyOf(nativeType: string, obj: unknown): { type: string; key: string } | null {
  const info = ONGUARD_TYPES[nativeType];
  if (!info?.parent) return null;
  const parts: string[] = [];
  for (const k of info.parent.keys) {
    const t = keyText(getCi(obj, k));
    if (t === null) return null;
    parts.push(t);
  }
  return { type: info.parent.type, key: parts.join('-') };
}
