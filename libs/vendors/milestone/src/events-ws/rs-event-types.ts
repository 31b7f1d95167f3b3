import { getCi } from '@edge/contracts';
import type { ConfigApiClient } from '../client/config-api-client';
import { idOf } from '../client/config-api-client';
import { parseSource } from '../constants';
import type { EssEvent } from '../raw-schema';

/**
 * Recording-server "responding" / "not responding" event types are not public constants
 * (milestone-xprotect.md §5.5: not found in any public source). They are taken from config, or
 * discovered at runtime from `/eventTypes` and `/stateGroups`, or from the types getState shows
 * for recording-server sources; failing all that, the collector probes the servers.
 */
export type RsTypesSource = 'config' | 'eventTypes' | 'stateGroups' | 'state' | 'none';

export interface RsTypes {
  responding: string[];
  notResponding: string[];
  source: RsTypesSource;
}

export const NO_RS_TYPES: RsTypes = { responding: [], notResponding: [], source: 'none' };

function text(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** `responding` / `notResponding` from an event type's state, name or display name; else null. */
export function classifyResponding(eventType: unknown): 'responding' | 'notResponding' | null {
  const label = [getCi(eventType, 'state'), getCi(eventType, 'displayName'), getCi(eventType, 'name')].map(text).join(' ');
  if (/not[\s_-]*responding|unresponsive/i.test(label)) return 'notResponding';
  if (/responding/i.test(label)) return 'responding';
  return null;
}

/** The event type is about recording servers (by its source kinds or its name). */
export function concernsRecordingServers(eventType: unknown): boolean {
  const sources = getCi(eventType, 'sourceArray');
  if (Array.isArray(sources) && sources.some((s) => /recording\s*server|recorder/i.test(text(s)))) return true;
  return /recording\s*server/i.test(`${text(getCi(eventType, 'name'))} ${text(getCi(eventType, 'displayName'))}`);
}

/** Pure classification of a list of event types (+ state groups) → recording-server types. */
export function classifyEventTypes(eventTypes: unknown[], stateGroups: unknown[]): RsTypes {
  const out: RsTypes = { responding: [], notResponding: [], source: 'none' };
  const add = (et: unknown, source: RsTypesSource) => {
    const id = idOf(et);
    const c = classifyResponding(et);
    if (!id || !c) return;
    if (!out[c].includes(id)) out[c].push(id);
    out.source = out.source === 'none' ? source : out.source;
  };
  for (const et of eventTypes) if (concernsRecordingServers(et)) add(et, 'eventTypes');
  if (out.responding.length && out.notResponding.length) return out;
  // A state group whose states are exactly about responding: its event types are the answer.
  const groups = new Set(
    stateGroups
      .filter((g) => {
        const states = getCi(g, 'states');
        return Array.isArray(states) && states.some((s) => /^responding$/i.test(text(s))) && states.some((s) => /^not\s*responding$/i.test(text(s)));
      })
      .map((g) => idOf(g))
      .filter((x): x is string => x !== null),
  );
  if (groups.size > 0) {
    for (const et of eventTypes) {
      const g = text(getCi(et, 'stateGroupId')).toLowerCase();
      if (groups.has(g)) add(et, 'stateGroups');
    }
  }
  return out.responding.length || out.notResponding.length ? out : { ...NO_RS_TYPES };
}

/** Discovery through the Configuration API. Tolerates servers without these resources. */
export async function discoverFromConfig(api: ConfigApiClient, signal?: AbortSignal): Promise<RsTypes> {
  const [eventTypes, stateGroups] = await Promise.all([
    api.getArray('eventTypes', undefined, signal).catch(() => [] as unknown[]),
    api.getArray('stateGroups', undefined, signal).catch(() => [] as unknown[]),
  ]);
  return classifyEventTypes(eventTypes, stateGroups);
}

/**
 * Discovery from getState rows of recording-server sources (subscribed with `eventTypes:["*"]`):
 * each distinct type is resolved with `GET /eventTypes/{id}` and classified by its state label.
 */
export async function discoverFromState(rows: EssEvent[], api: ConfigApiClient, signal?: AbortSignal): Promise<RsTypes> {
  const types = new Set<string>();
  for (const r of rows) if (parseSource(r.source)?.resourceType === 'recordingServers') types.add(r.type.toLowerCase());
  const out: RsTypes = { responding: [], notResponding: [], source: 'none' };
  for (const t of types) {
    const et = await api.getData(`eventTypes/${encodeURIComponent(t)}`, undefined, signal).catch(() => null);
    const c = et ? classifyResponding(et) : null;
    if (c) {
      out[c].push(t);
      out.source = 'state';
    }
  }
  return out;
}
