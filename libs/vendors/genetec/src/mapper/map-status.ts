import { stableHash, textOrNull, toUtcIso, type MapContext, type StatusObservation } from '@edge/contracts';
import { normalizeGuid } from '../client/urls';
import type { GenetecEvent, GenetecStatusPayload } from '../raw-schema';
import { entityStatus } from './entity-status';
import { genetecDeviceId } from './map-device';

function isTrue(v: unknown): boolean {
  return v === true || v === 1 || (typeof v === 'string' && /^(true|1)$/i.test(v.trim()));
}

/** Deterministic id of an event (the stream's own id when it has one). */
export function eventKey(ev: GenetecEvent): string {
  const own = textOrNull(ev.EventId === null || ev.EventId === undefined ? null : String(ev.EventId));
  return own ?? stableHash('genetec-event', normalizeGuid(ev.SourceEntity) ?? ev.SourceEntity, ev.EventType, ev.Timestamp ?? null);
}

/**
 * One status payload → observations. An event is timed by its own timestamp — an offline event
 * delivered late (after its source reconnected; "Events", Security Center Administrator Guide,
 * https://1.docokame.biz/GSC_AG/EN/SC/C_SC_Events.html) then sorts before the newer state the
 * normalizer already holds and does not overrule it. A poll's rows are timed by the read.
 */
export function mapStatus(p: GenetecStatusPayload, ctx: MapContext): StatusObservation[] {
  if (p.kind === 'event') {
    const ev = p.event;
    const guid = normalizeGuid(ev.SourceEntity) ?? ev.SourceEntity.toLowerCase();
    const late = isTrue(ev.IsOffline);
    return [
      {
        device_id: genetecDeviceId(ctx.system_id, guid),
        status: p.meaning,
        timestamp: toUtcIso(ev.Timestamp) ?? ctx.observed_at,
        reason: `${ev.EventType}${late ? ' (offline event, delivered late)' : ''}`,
        observed_via: 'event',
        native_event_id: eventKey(ev),
        native_type: p.entityType ?? 'unknown',
        native_id: guid,
        alive_evidence: p.meaning !== 'offline',
      },
    ];
  }
  const at = toUtcIso(p.readAt) ?? ctx.observed_at;
  return p.states.map((row) => {
    const guid = normalizeGuid(row.Guid) ?? row.Guid.toLowerCase();
    const s = entityStatus(row);
    return {
      device_id: genetecDeviceId(ctx.system_id, guid),
      status: s.status,
      timestamp: at,
      reason: s.reason,
      observed_via: 'poll' as const,
      native_event_id: null,
      native_type: row.EntityType,
      native_id: guid,
      alive_evidence: s.status === 'online' || s.status === 'degraded',
    };
  });
}
