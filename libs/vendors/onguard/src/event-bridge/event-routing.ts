import type { DeviceIndex, Target } from '../device-index';
import type { HardwareEvent } from './hardware-event';

const PANEL = 'Lnl_Panel';

export type EventTarget = Target & { primary: boolean };

/**
 * Where a hardware event points, decided against the inventory only (no guess):
 * - `device`: a panel (device 0) or the panel's device(s) with that number — publish and confirm;
 * - `unknown_device`: the panel is known, the device number is not — reconcile that panel;
 * - `unknown_panel`: no inventory yet, or a panel it does not list — nothing published;
 * - `unread`: no panel id could be read from the event at all.
 * Pure.
 */
export type EventPlace =
  | { kind: 'device'; targets: EventTarget[] }
  | { kind: 'unknown_device'; panel: Target; children: Target[] }
  | { kind: 'unknown_panel' }
  | { kind: 'unread' };

function panelTarget(panelKey: string, idx: DeviceIndex): Target {
  const p = idx.panels.get(panelKey);
  const id = p ? (Object.entries(p).find(([k]) => k.toLowerCase() === 'id')?.[1] ?? Number(panelKey)) : Number(panelKey);
  return { type: PANEL, keyMap: { ID: id }, panelKey, outParam: 'Status' };
}

/** The panel's readers and modules, read only when the panel's status turns out changed. */
function childrenOf(panelKey: string, idx: DeviceIndex): Target[] {
  return (idx.children.get(panelKey) ?? []).map((c) => ({ type: c.type, keyMap: c.keyMap, panelKey, outParam: c.outParam, secondary: true }));
}

export function locateEvent(he: HardwareEvent, idx: DeviceIndex | null, withChildren: boolean): EventPlace {
  if (he.panelId === null) return { kind: 'unread' };
  const panelKey = String(he.panelId);
  if (!idx || !idx.panels.has(panelKey)) return { kind: 'unknown_panel' };
  if (!he.deviceId) {
    const children = withChildren ? childrenOf(panelKey, idx).map((t) => ({ ...t, primary: false })) : [];
    return { kind: 'device', targets: [{ ...panelTarget(panelKey, idx), primary: true }, ...children] };
  }
  const matches = (idx.children.get(panelKey) ?? []).filter((c) => c.deviceNo === he.deviceId);
  if (matches.length > 0) return { kind: 'device', targets: matches.map((c) => ({ type: c.type, keyMap: c.keyMap, panelKey, outParam: c.outParam, primary: true })) };
  return { kind: 'unknown_device', panel: panelTarget(panelKey, idx), children: childrenOf(panelKey, idx) };
}
