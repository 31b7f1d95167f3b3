import { stringifyNumbers, type SimDevice, type SiteModel } from './model';
import type { SimContext } from './state';
import { CHILD_TYPES, EVENT_TYPE_DEFS, EVENT_TYPE_GROUPS, STATE_GROUP_DEFS, eventTypeObject, type ChildType } from './vocabulary';

export interface RestAnswer {
  status: number;
  body: unknown;
  /** Set when the body is plain text (5xx). */
  text?: boolean;
  delayMs?: number;
  onDone?: () => void;
}

export interface RestOptions {
  ignorePaging: boolean;
  /** Honour `size` but ignore `page`: every page is the first one (a listing that never ends by itself). */
  ignorePage: boolean;
  /** Listings of the next this many inventory passes (a pass starts at `GET /sites`) hide every second item. */
  shrinkNextSyncs: number;
  /** The current pass is a shrunk one. */
  shrinking: boolean;
  numbersAsStrings: boolean;
  rsEventTypesDiscoverable: boolean;
  driverSettingsDelayMs: number;
}

/** `{"error":{"httpCode":…,"details":[{"errorText":…}]}}` (§3.1). */
export function errorBody(httpCode: number, errorText: string, errorTextId?: string): unknown {
  return { error: { httpCode, details: [{ errorText, ...(errorTextId ? { errorTextId } : {}) }] } };
}

const CHILD_BY_LOWER = new Map<string, ChildType>(CHILD_TYPES.map((t) => [t.toLowerCase(), t]));

/**
 * Configuration REST API (`/api/rest/v1/…`): `array`/`data` envelopes, `?disabled` (without it
 * only enabled items), `page`/`size` (0-based; optionally ignored, like servers that don't page),
 * `includeChildren=cameras`, relations, per-hardware `hardwareDriverSettings`, the error
 * envelope, `/storages` → 400 and unknown resources → 404 "Unknown resource: x" (§3).
 */
export function handleRest(ctx: SimContext, o: RestOptions, segments: string[], query: URLSearchParams): RestAnswer {
  const m = ctx.model;
  const includeDisabled = query.has('disabled');
  const [res0, id, child, childId] = segments;
  const res = (res0 ?? '').toLowerCase();
  const show = (d: SimDevice) => (o.numbersAsStrings ? stringifyNumbers(d.obj) : d.obj);
  // Half of every device listing disappears in a shrunk pass (a service account that lost rights sees less).
  const visible = (ds: SimDevice[]) => (includeDisabled ? ds : ds.filter((d) => d.enabled)).filter((_, i) => !o.shrinking || i % 2 === 0);
  const page = <T>(items: T[]): RestAnswer => ({ status: 200, body: { array: paginate(items, query, o.ignorePaging, o.ignorePage) } });
  const data = (v: unknown): RestAnswer => ({ status: 200, body: { data: v } });
  const notFound = (what: string) => ({ status: 404, body: errorBody(404, `Device not found. ${what}`) });
  const unknown = (name: string) => ({ status: 404, body: errorBody(404, `Unknown resource: ${name}`) });

  if (res === 'sites' && !id) {
    o.shrinking = o.shrinkNextSyncs > 0;
    if (o.shrinking) o.shrinkNextSyncs--;
  }
  if (res === 'sites') return id ? (id.toLowerCase() === m.siteId ? data(m.site) : notFound(`sites/${id}`)) : page([m.site]);
  if (res === 'storages') return { status: 400, body: errorBody(400, 'The collection storages cannot be listed. Use recordingServers/{id}/storages.') };
  if (res === 'recordingservers') {
    if (!id) return page(visible(m.recordingServers).map(show));
    const rs = m.device('recordingServers', id);
    if (!rs) return notFound(`recordingServers/${id}`);
    if (!child) return data(show(rs));
    if (child.toLowerCase() === 'hardware') return page(visible(m.hardware.filter((h) => h.parent?.id === rs.id)).map(show));
    if (child.toLowerCase() === 'storages') return page(m.storages.get(rs.id) ?? []);
    return unknown(child);
  }
  if (res === 'hardware') {
    if (!id) {
      const withCams = (query.get('includeChildren') ?? '').toLowerCase().split(',').includes('cameras');
      const items = visible(m.hardware).map((h) => {
        const obj = show(h);
        if (!withCams) return obj;
        const cams = (m.childrenOf.get(h.id) ?? []).filter((k) => k.startsWith('cameras/')).map((k) => m.byKey.get(k)!);
        return { ...obj, cameras: visible(cams).map(show) };
      });
      return page(items);
    }
    const hw = m.device('hardware', id);
    if (!hw) return notFound(`hardware/${id}`);
    if (!child) return data(show(hw));
    const c = child.toLowerCase();
    if (c === 'hardwaredriversettings') {
      ctx.stats.driverSettingsInFlight++;
      ctx.stats.driverSettingsMaxInFlight = Math.max(ctx.stats.driverSettingsMaxInFlight, ctx.stats.driverSettingsInFlight);
      return {
        status: 200,
        body: { array: [m.driverSettings.get(hw.id)] },
        delayMs: o.driverSettingsDelayMs,
        onDone: () => ctx.stats.driverSettingsInFlight--,
      };
    }
    const ct = CHILD_BY_LOWER.get(c);
    if (ct) {
      const kids = (m.childrenOf.get(hw.id) ?? []).filter((k) => k.startsWith(`${ct}/`)).map((k) => m.byKey.get(k)!);
      return page(visible(kids).map(show));
    }
    return unknown(child);
  }
  const ct = CHILD_BY_LOWER.get(res);
  if (ct) {
    if (!id) return page(visible(m.children[ct]).map(show));
    const d = m.device(ct, id);
    if (!d) return notFound(`${ct}/${id}`);
    if (!child) return data(show(d));
    if (ct === 'cameras' && ['motiondetections', 'ptzpresets'].includes(child.toLowerCase())) return page([]);
    return unknown(child);
  }
  if (res === 'cameragroups') return cameraGroups(m, id, child, childId, query, o, includeDisabled);
  if (res === 'eventtypes') {
    const defs = EVENT_TYPE_DEFS.filter((d) => o.rsEventTypesDiscoverable || !d.recordingServer);
    if (!id) return page(defs.map(eventTypeObject));
    const d = defs.find((x) => x.id === id.toLowerCase());
    return d ? data(eventTypeObject(d)) : { status: 404, body: errorBody(404, `Event type not found. eventTypes/${id}`) };
  }
  if (res === 'stategroups') {
    const defs = STATE_GROUP_DEFS.filter((d) => o.rsEventTypesDiscoverable || !d.recordingServer);
    const obj = (d: (typeof STATE_GROUP_DEFS)[number]) => ({
      displayName: d.name,
      name: d.name,
      lastModified: '2023-06-25T21:22:20.6230000Z',
      states: d.states,
      relations: { self: { type: 'stateGroups', id: d.id } },
    });
    if (!id) return page(defs.map(obj));
    const d = defs.find((x) => x.id === id.toLowerCase());
    return d ? data(obj(d)) : { status: 404, body: errorBody(404, `State group not found. stateGroups/${id}`) };
  }
  if (res === 'eventtypegroups') return page(EVENT_TYPE_GROUPS);
  return unknown(res0 ?? '');
}

function cameraGroups(m: SiteModel, id: string | undefined, child: string | undefined, _childId: string | undefined, query: URLSearchParams, o: RestOptions, includeDisabled: boolean): RestAnswer {
  const page = <T>(items: T[]): RestAnswer => ({ status: 200, body: { array: paginate(items, query, o.ignorePaging, o.ignorePage) } });
  if (!id) return page(m.groups.filter((g) => g.parentId === null).map((g) => g.obj));
  const g = m.groups.find((x) => x.id === id.toLowerCase());
  if (!g) return { status: 404, body: errorBody(404, `Device not found. cameraGroups/${id}`) };
  if (!child) return { status: 200, body: { data: g.obj } };
  if (child.toLowerCase() === 'cameragroups') return page(m.groups.filter((x) => x.parentId === g.id).map((x) => x.obj));
  if (child.toLowerCase() === 'cameras') {
    const cams = g.cameraIds.map((c) => m.device('cameras', c)!).filter((d) => includeDisabled || d.enabled);
    return page(cams.map((d) => (o.numbersAsStrings ? stringifyNumbers(d.obj) : d.obj)));
  }
  return { status: 404, body: errorBody(404, `Unknown resource: ${child}`) };
}

/** `page` (0-based) and `size`; without `size` everything. `ignorePage`: every page is page 0. */
export function paginate<T>(items: T[], query: URLSearchParams, ignore: boolean, ignorePage = false): T[] {
  if (ignore || !query.has('size')) return items;
  const size = Math.max(1, Math.min(10_000, Number(query.get('size')) || 1));
  const page = ignorePage ? 0 : Math.max(0, Number(query.get('page')) || 0);
  return items.slice(page * size, page * size + size);
}
