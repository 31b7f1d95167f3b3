import { toUtcIso, type DeviceStatus } from '@edge/contracts';
import { LastKnownState } from '@edge/collector-kit';
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
 * The last state the collector knows per entity (the kit's `LastKnownState`, by GUID, an older
 * observation never replacing a newer one) and the Security Center rule on top of it, decided
 * before any publish: an event older than what was read or pushed since (a late offline event
 * delivered after its source reconnected) never overrules it, and events of an entity in
 * maintenance mode are not passed on (Security Center suppresses them; a stray one must not end
 * the maintenance reason downstream).
 */
export class LastKnownEntities {
  private readonly states = new LastKnownState<Known>({ timeOf: (k) => k.at, same: (a, b) => a.status === b.status });

  get size(): number {
    return this.states.size;
  }

  /** A state read by the inventory or a poll at `readAt` (UTC ISO). */
  noteRead(row: GenetecEntity, readAt: string): void {
    const guid = normalizeGuid(row.Guid);
    if (guid) this.states.put(guid, { status: entityStatus(row).status, at: Date.parse(readAt) });
  }

  /** Whether an event saying `status` at `timestamp` is published; updates the cache when it is. */
  judgeEvent(source: string, status: DeviceStatus, timestamp: string | null | undefined, now = Date.now()): EventVerdict {
    const guid = normalizeGuid(source) ?? source;
    const iso = toUtcIso(timestamp);
    const at = iso ? Date.parse(iso) : now;
    const cur = this.states.get(guid);
    if (cur?.status === 'disabled') return 'maintenance';
    if (cur && cur.at > at) return 'superseded';
    this.states.put(guid, { status, at });
    return 'publish';
  }

  statusOf(guid: string): DeviceStatus | null {
    return this.states.get(normalizeGuid(guid) ?? guid)?.status ?? null;
  }
}
