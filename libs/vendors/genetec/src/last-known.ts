import { toUtcIso, type DeviceStatus } from '@edge/contracts';
import { normalizeGuid } from './client/urls';
import { entityStatus } from './mapper/entity-status';
import type { GenetecEntity } from './raw-schema';

interface Known {
  status: DeviceStatus;
  /** Time the status took effect or was read (ms). */
  at: number;
}

export type EventVerdict = 'publish' | 'superseded' | 'maintenance';

/**
 * The last state the collector knows per entity, with the time it held. It decides, before any
 * publish, whether a pushed event is news: an event older than what was read or pushed since
 * (a late offline event delivered after its source reconnected) never overrules it, and events
 * of an entity in maintenance mode are not passed on (Security Center suppresses them; a stray
 * one must not end the maintenance reason downstream). The kit will own this cache once its
 * last-known-state helper lands; the decision rule stays here.
 */
export class LastKnownState {
  private readonly byGuid = new Map<string, Known>();

  get size(): number {
    return this.byGuid.size;
  }

  /** A state read by the inventory or a poll at `readAt` (UTC ISO). */
  noteRead(row: GenetecEntity, readAt: string): void {
    const guid = normalizeGuid(row.Guid);
    if (!guid) return;
    const at = Date.parse(readAt);
    const cur = this.byGuid.get(guid);
    if (cur && cur.at > at) return;
    this.byGuid.set(guid, { status: entityStatus(row).status, at });
  }

  /** Whether an event saying `status` at `timestamp` is published; updates the cache when it is. */
  judgeEvent(source: string, status: DeviceStatus, timestamp: string | null | undefined, now = Date.now()): EventVerdict {
    const guid = normalizeGuid(source) ?? source;
    const iso = toUtcIso(timestamp);
    const at = iso ? Date.parse(iso) : now;
    const cur = this.byGuid.get(guid);
    if (cur?.status === 'disabled') return 'maintenance';
    if (cur && cur.at > at) return 'superseded';
    this.byGuid.set(guid, { status, at });
    return 'publish';
  }

  statusOf(guid: string): DeviceStatus | null {
    return this.byGuid.get(normalizeGuid(guid) ?? guid)?.status ?? null;
  }
}
