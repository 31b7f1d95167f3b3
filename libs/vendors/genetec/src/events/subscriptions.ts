import type { DeviceStatus } from '@edge/contracts';

export type EventMeaning = Exclude<DeviceStatus, 'disabled' | 'unknown'>;

/**
 * `q` of `/events/subscribe`: one `event(<EntityType>,<EventType>)` per configured pair
 * (Genetec DAP wiki, "web sdk events and alarms",
 * https://github.com/Genetec/DAP/wiki/web-sdk-events-and-alarms: subscribe by entity type).
 */
export function subscriptionQuery(eventTypes: Record<string, Record<string, EventMeaning>>): string {
  const parts: string[] = [];
  for (const [entityType, events] of Object.entries(eventTypes)) for (const ev of Object.keys(events)) parts.push(`event(${entityType},${ev})`);
  return parts.join(',');
}

/** Meaning of an event type for a source of `entityType` (any type's meaning when the source is unknown). */
export function meaningOf(eventTypes: Record<string, Record<string, EventMeaning>>, eventType: string, entityType: string | null): EventMeaning | null {
  const want = eventType.toLowerCase();
  const find = (m: Record<string, EventMeaning> | undefined) => (m ? (Object.entries(m).find(([k]) => k.toLowerCase() === want)?.[1] ?? null) : null);
  if (entityType) {
    const own = Object.entries(eventTypes).find(([t]) => t.toLowerCase() === entityType.toLowerCase())?.[1];
    const hit = find(own);
    if (hit) return hit;
  }
  for (const m of Object.values(eventTypes)) {
    const hit = find(m);
    if (hit) return hit;
  }
  return null;
}
