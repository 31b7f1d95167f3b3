import { toUtcIso, type DeviceStatus, type MapContext, type StatusObservation } from '@edge/contracts';
import { COMMUNICATION_MEANING, parseSource, sourceKey, ZERO_GUID } from '../constants';
import type { EssEvent, MilestoneStatusPayload, RecordingServerProbe, StatusContext } from '../raw-schema';
import { milestoneDeviceId } from './map-device';

function includesCi(list: readonly string[], v: string): boolean {
  const l = v.toLowerCase();
  return list.some((x) => x.toLowerCase() === l);
}

/**
 * One event or getState row → an observation, or null when it says nothing about
 * online/offline. Communication Started → online, Error → offline, Stopped → disabled when the
 * device is disabled in configuration, else offline. Recording servers by the event types the
 * collector discovered or was configured with.
 */
export function observeRow(row: EssEvent, ctx: MapContext, sc: StatusContext, via: 'event' | 'poll'): StatusObservation | null {
  const src = parseSource(row.source);
  if (!src) return null;
  const type = row.type.toLowerCase();
  let status: DeviceStatus;
  let reason: string;
  if (src.resourceType === 'recordingServers') {
    if (includesCi(sc.recordingServerTypes.responding, type)) [status, reason] = ['online', 'recording server responding'];
    else if (includesCi(sc.recordingServerTypes.notResponding, type)) [status, reason] = ['offline', 'recording server not responding'];
    else return null;
  } else {
    const meaning = COMMUNICATION_MEANING[type];
    if (!meaning) return null;
    if (meaning === 'started') [status, reason] = ['online', 'communication started'];
    else if (meaning === 'error') [status, reason] = ['offline', 'communication error'];
    else if (includesCi(sc.disabledSources, sourceKey(src.resourceType, src.id))) [status, reason] = ['disabled', 'communication stopped (disabled in configuration)'];
    else [status, reason] = ['offline', 'communication stopped'];
  }
  const eventId = row.id && row.id !== ZERO_GUID ? row.id.toLowerCase() : null;
  return {
    device_id: milestoneDeviceId(ctx.system_id, src.resourceType, src.id),
    status,
    timestamp: toUtcIso(row.time) ?? ctx.observed_at,
    reason,
    observed_via: via,
    native_event_id: eventId,
    native_type: src.resourceType,
    native_id: src.id,
    alive_evidence: status === 'online',
  };
}

function observeProbe(p: RecordingServerProbe, ctx: MapContext): StatusObservation {
  const id = p.recordingServerId.toLowerCase();
  return {
    device_id: milestoneDeviceId(ctx.system_id, 'recordingServers', id),
    status: p.unknownReason ? 'unknown' : p.responding ? 'online' : 'offline',
    timestamp: toUtcIso(p.probedAt) ?? ctx.observed_at,
    reason: p.unknownReason ?? (p.responding ? `probe: ${p.target} reachable` : `probe: ${p.target} unreachable${p.error ? ` (${p.error})` : ''}`),
    observed_via: 'poll',
    native_event_id: null,
    native_type: 'recordingServers',
    native_id: id,
    alive_evidence: p.responding,
  };
}

/** One status payload → observations (a getState chunk yields one per communication row). */
export function mapStatus(p: MilestoneStatusPayload, ctx: MapContext): StatusObservation[] {
  switch (p.kind) {
    case 'event': {
      const o = observeRow(p.event, ctx, p.context, 'event');
      return o ? [o] : [];
    }
    case 'state': {
      const out: StatusObservation[] = [];
      for (const row of p.states) {
        const o = observeRow(row, ctx, p.context, 'poll');
        if (o) out.push(o);
      }
      return out;
    }
    case 'probe':
      return [observeProbe(p.probe, ctx)];
    case 'unavailable':
      return p.sources.flatMap((source) => {
        const src = parseSource(source);
        if (!src) return [];
        const o: StatusObservation = {
          device_id: milestoneDeviceId(ctx.system_id, src.resourceType, src.id),
          status: 'unknown',
          timestamp: toUtcIso(p.observedAt) ?? ctx.observed_at,
          reason: p.reason,
          observed_via: 'poll',
          native_event_id: null,
          native_type: src.resourceType,
          native_id: src.id,
          alive_evidence: false,
        };
        return [o];
      });
  }
}
