import { textOrNull, toUtcIso, type DeviceStatus } from '@edge/contracts';
import type { GenetecEntity } from '../raw-schema';

function flag(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === 'true' || s === '1') return true;
    if (s === 'false' || s === '0') return false;
  }
  return null;
}

export interface EntityStatus {
  status: DeviceStatus;
  reason: string;
}

/**
 * Status of an entity from its own fields. Maintenance mode wins: a device under maintenance is
 * `disabled` with a reason that says so — not offline, so nothing alerts (Security Center
 * suppresses its Signal lost / Unit lost events meanwhile: Administrator Guide 5.12, "Enabling
 * events for cameras in maintenance mode"). Then RunningState (Online / Offline / Warning →
 * online / offline / degraded: Administrator Guide 5.11, "Entity states"), then IsOnline.
 */
export function entityStatus(e: Pick<GenetecEntity, 'IsOnline' | 'RunningState' | 'IsInMaintenance' | 'MaintenanceReason' | 'MaintenanceEndTime'>): EntityStatus {
  if (flag(e.IsInMaintenance) === true) {
    const why = textOrNull(e.MaintenanceReason);
    const until = toUtcIso(e.MaintenanceEndTime);
    return { status: 'disabled', reason: `maintenance mode${why ? `: ${why}` : ''}${until ? ` (until ${until})` : ''}` };
  }
  const rs = textOrNull(e.RunningState)?.toLowerCase();
  if (rs === 'online') return { status: 'online', reason: 'RunningState Online' };
  if (rs === 'warning') return { status: 'degraded', reason: 'RunningState Warning (connected, with a problem such as transmission lost)' };
  if (rs === 'offline') return { status: 'offline', reason: 'RunningState Offline' };
  const online = flag(e.IsOnline);
  if (online === true) return { status: 'online', reason: 'IsOnline' };
  if (online === false) return { status: 'offline', reason: 'not IsOnline' };
  return { status: 'unknown', reason: 'no RunningState or IsOnline in the answer' };
}
