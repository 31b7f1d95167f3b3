import { getCi } from '@edge/contracts';
import type { PropertyValueMap } from './raw-schema';

/** A status-capable device as the collector remembers it between syncs (keys only, bounded). */
export interface IndexedDevice {
  type: string;
  /** Key properties with the server's casing, for execute_method. */
  keyMap: Record<string, unknown>;
  /** Number the panel uses for it in events (ReaderID, alarm panel ID, DEVICEID). */
  deviceNo: number | null;
  outParam: string;
}

/** What the last complete inventory saw: panels, and per panel its status-capable devices. */
export interface DeviceIndex {
  panels: Map<string, PropertyValueMap>;
  children: Map<string, IndexedDevice[]>;
  /** Status-capable devices that hang off no panel. */
  loose: IndexedDevice[];
  builtAt: string;
}

export interface Target {
  type: string;
  keyMap: Record<string, unknown>;
  panelKey: string | null;
  outParam: string;
  /** A child read only when its panel's status turns out changed (audit-log load). */
  secondary?: boolean;
}

/** The number a panel uses for a device in its events (ReaderID, alarm panel ID, DEVICEID). */
export function deviceNoOf(type: string, obj: PropertyValueMap): number | null {
  const v = type === 'Lnl_Reader' ? getCi(obj, 'ReaderID') : type === 'Lnl_AlarmPanel' ? getCi(obj, 'ID') : getCi(obj, 'DEVICEID');
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isInteger(n) ? n : null;
}

