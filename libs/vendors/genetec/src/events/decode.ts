import { toUtcIso } from '@edge/contracts';
import { GenetecEvent } from '../raw-schema';

function ci(o: Record<string, unknown>, ...names: string[]): unknown {
  for (const n of names) {
    const k = Object.keys(o).find((x) => x.toLowerCase() === n.toLowerCase());
    if (k !== undefined && o[k] !== undefined && o[k] !== null) return o[k];
  }
  return undefined;
}

/** One object of the stream → an event in our spelling, or null when it is not one. */
function eventOf(o: unknown): GenetecEvent | null {
  if (!o || typeof o !== 'object' || Array.isArray(o)) return null;
  const r = o as Record<string, unknown>;
  const candidate = {
    ...r,
    EventType: ci(r, 'EventType', 'Type'),
    SourceEntity: ci(r, 'SourceEntity', 'SourceGuid', 'Source'),
    Timestamp: ci(r, 'Timestamp', 'EventTime', 'Time') ?? null,
    IsOffline: ci(r, 'IsOffline', 'IsOfflineEvent', 'Offline') ?? null,
  };
  const p = GenetecEvent.safeParse(candidate);
  return p.success ? p.data : null;
}

/**
 * Decodes one line of the `/events` stream: a JSON event, a `{Rsp:{Result:…}}` envelope holding
 * one or more, or an empty keep-alive line. The text/json line format is inference (see
 * raw-schema). Returns the events and how many objects were not events.
 */
export function decodeLine(line: string): { events: GenetecEvent[]; rejected: number } {
  const s = line.trim();
  if (s === '') return { events: [], rejected: 0 };
  let body: unknown;
  try {
    body = JSON.parse(s);
  } catch {
    return { events: [], rejected: 1 };
  }
  const rsp = body && typeof body === 'object' ? ci(body as Record<string, unknown>, 'Rsp') : undefined;
  const inner = rsp && typeof rsp === 'object' ? ci(rsp as Record<string, unknown>, 'Result') : body;
  const list = Array.isArray(inner) ? inner : [inner];
  const events: GenetecEvent[] = [];
  let rejected = 0;
  for (const o of list) {
    const ev = eventOf(o);
    if (ev) events.push(ev);
    else rejected++;
  }
  return { events, rejected };
}

/** Events of one read in the order they happened (their own timestamps; stable otherwise). */
export function byOwnTime(events: GenetecEvent[]): GenetecEvent[] {
  const t = (e: GenetecEvent) => {
    const iso = toUtcIso(e.Timestamp);
    return iso ? Date.parse(iso) : Number.POSITIVE_INFINITY;
  };
  return events
    .map((e, i) => ({ e, i, t: t(e) }))
    .sort((a, b) => a.t - b.t || a.i - b.i)
    .map((x) => x.e);
}
