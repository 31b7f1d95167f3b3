import type { Logger } from 'pino';
import { getCi } from '@edge/contracts';
import { OpenAccessError } from './client/errors';
import type { OpenAccessClient } from './client/openaccess-client';
import { InstanceItem, PagedInstances, PagedVideoRecorders, TypeSchema, TypesResponse, type PropertyValueMap, type VideoRecorderItem } from './raw-schema';
import { ONGUARD_TYPES } from './mapper/types';

/** What the collector learnt about one hardware type on this server (§2.4). */
export interface TypeCapabilities {
  name: string;
  /** Key properties with the server's casing (from `GET /type`), or null when unknown. */
  keyProperties: string[] | null;
  /** `GetHardwareStatus` exists on the type. */
  hasStatusMethod: boolean;
  /** Name of its status out-parameter (`Status` in DataConduIT; checked here [I]). */
  statusOutParam: string;
  /**
   * The status method as this server spells it: `GetHardwareStatus` on panels and readers,
   * `GETHARDWARESTATUS` on intrusion types in PSDataConduIT (erwindevreugd/PSDataConduIT
   * Get-IntrusionAreaHardwareStatus.ps1). Called by the name `GET /type` lists.
   */
  statusMethod: string;
  /** `UpdateHardwareStatus` as this server spells it (panels). */
  updateMethod: string;
}

const TYPE_NAME = /^Lnl_[A-Za-z0-9_]+$/;

/** Every `Lnl_*` name anywhere in the `/types` answer (its inner shape is not public, §2.4). */
export function typeNamesIn(v: unknown, out = new Set<string>(), depth = 0): Set<string> {
  if (depth > 8) return out;
  if (typeof v === 'string') {
    if (TYPE_NAME.test(v)) out.add(v);
  } else if (Array.isArray(v)) for (const x of v) typeNamesIn(x, out, depth + 1);
  else if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) {
      if (TYPE_NAME.test(k)) out.add(k);
      typeNamesIn(x, out, depth + 1);
    }
  return out;
}

function isAbsent(e: unknown): boolean {
  return e instanceof OpenAccessError && e.kind === 'permanent' && (e.details.status === 400 || e.details.status === 404);
}

/**
 * Which wanted types this server has, with their keys and status methods: `GET /types` once,
 * then `GET /type` per wanted type. A server without `/types` (or `/type`) is not a failure: the
 * wanted types are then tried as they are, and a type that turns out absent is skipped.
 */
export async function discoverTypes(
  client: OpenAccessClient,
  wanted: string[],
  log: Logger,
  signal?: AbortSignal,
  onFailed?: (type: string, e: unknown) => void,
): Promise<Map<string, TypeCapabilities>> {
  let listed: Set<string> | null = null;
  try {
    const t = await client.request({ method: 'GET', path: '/types', schema: TypesResponse, signal });
    listed = typeNamesIn(t.types);
    if (listed.size === 0) listed = null;
  } catch (e) {
    if (!isAbsent(e) && !(e instanceof OpenAccessError && e.kind === 'permanent')) throw e;
    log.info({ err: (e as Error).message }, 'GET /types not usable on this server; trying the configured types directly');
  }
  const out = new Map<string, TypeCapabilities>();
  for (const name of wanted) {
    if (listed && !listed.has(name)) {
      log.debug({ type: name }, 'type not offered by this server; skipped');
      continue;
    }
    const known = ONGUARD_TYPES[name];
    const cap: TypeCapabilities = {
      name,
      keyProperties: null,
      hasStatusMethod: known?.hasStatusMethod ?? false,
      statusOutParam: 'Status',
      statusMethod: 'GetHardwareStatus',
      updateMethod: 'UpdateHardwareStatus',
    };
    try {
      const schema = await client.request({ method: 'GET', path: '/type', query: { type_name: name }, schema: TypeSchema, signal });
      const keys = (schema.properties ?? []).filter((p) => p.is_key).map((p) => p.name);
      if (keys.length > 0) cap.keyProperties = keys;
      const methods = schema.methods ?? [];
      const m = methods.find((x) => /^gethardwarestatus$/i.test(x.name));
      const u = methods.find((x) => /^updatehardwarestatus$/i.test(x.name));
      if (u) cap.updateMethod = u.name;
      if (m) {
        cap.hasStatusMethod = true;
        cap.statusMethod = m.name;
        const outName = m.out_parameters?.[0]?.name;
        if (outName) cap.statusOutParam = outName;
      } else if (methods.length > 0) {
        // A method list without it: the type really has none here.
        cap.hasStatusMethod = false;
        if (known?.hasStatusMethod) log.warn({ type: name }, 'the type has no GetHardwareStatus method here: its devices get status unknown');
      } else if (known?.hasStatusMethod) {
        // No methods listed at all says nothing: keep reading status, with the known name.
        log.info({ type: name }, 'GET /type lists no methods; status is still read with GetHardwareStatus');
      }
    } catch (e) {
      if (isAbsent(e) && listed === null) {
        log.info({ type: name, err: (e as Error).message }, 'type not on this server; skipped');
        continue;
      }
      if (e instanceof OpenAccessError && e.details.licence) throw e;
      if (signal?.aborted) throw e;
      if (e instanceof OpenAccessError && e.details.status === 403) {
        // Outside the account's permission or segment: listing it would be refused too.
        onFailed?.(name, e);
        continue;
      }
      log.info({ type: name, err: (e as Error).message }, 'GET /type not usable; using the known key properties');
    }
    out.set(name, cap);
  }
  return out;
}

export interface PageOptions {
  pageSize: number;
  orderBy?: string;
  filter?: string;
  signal?: AbortSignal;
  log: Logger;
}

/**
 * Pages `GET /instances` (§2.1–2.2): `page_size` ≤ 100, stable `order_by`, stops on `count == 0`
 * or `page_number >= total_pages` (0 or 1 for an empty result), yields each page's new objects
 * (rows that shifted into a later page are dropped by key, §6.4). Bounded memory: one page plus
 * the set of keys seen.
 */
export async function* pagedInstances(
  client: OpenAccessClient,
  typeName: string,
  keyOf: (pvm: PropertyValueMap) => string | null,
  o: PageOptions,
): AsyncGenerator<PropertyValueMap[]> {
  const seen = new Set<string>();
  let duplicates = 0;
  let keyless = 0;
  let malformed = 0;
  for (let page = 1; ; page++) {
    if (o.signal?.aborted) return;
    const r = await client.request({
      method: 'GET',
      path: '/instances',
      query: { type_name: typeName, page_number: page, page_size: o.pageSize, order_by: o.orderBy, filter: o.filter },
      schema: PagedInstances,
      signal: o.signal,
    });
    const items = r.item_list ?? [];
    const count = r.count ?? items.length;
    const fresh: PropertyValueMap[] = [];
    let repeated = 0;
    for (const raw of items) {
      const parsed = InstanceItem.safeParse(raw);
      if (!parsed.success) {
        malformed++;
        continue;
      }
      const it = parsed.data;
      const k = keyOf(it.property_value_map);
      if (k === null) {
        keyless++;
        continue;
      }
      if (seen.has(k)) {
        duplicates++;
        repeated++;
        continue;
      }
      seen.add(k);
      fresh.push(it.property_value_map);
    }
    if (fresh.length > 0) yield fresh;
    if (count === 0 || items.length === 0) break;
    const totalPages = r.total_pages ?? (r.total_items !== undefined ? Math.ceil(r.total_items / o.pageSize) : undefined);
    if (totalPages !== undefined && page >= totalPages) break;
    // A server that ignores paging answers the same rows again: nothing new means we are done.
    if (repeated === items.length) break;
    if (page >= 100_000) throw new OpenAccessError('permanent', 'onguard_paging', `${typeName}: more than 100 000 pages; stopping`);
  }
  if (duplicates > 0) o.log.info({ type: typeName, duplicates }, 'rows repeated across pages were de-duplicated by key');
  if (keyless > 0) o.log.warn({ type: typeName, keyless }, 'rows without their key properties were skipped');
  if (malformed > 0) o.log.warn({ type: typeName, malformed }, 'rows without a property_value_map object were skipped');
}

/** `GET /video_recorders` (7.5+), paged; an older server without it yields nothing. */
export async function* pagedVideoRecorders(client: OpenAccessClient, o: PageOptions): AsyncGenerator<VideoRecorderItem[]> {
  const seen = new Set<string>();
  for (let page = 1; ; page++) {
    if (o.signal?.aborted) return;
    let r;
    try {
      r = await client.request({ method: 'GET', path: '/video_recorders', query: { page_number: page, page_size: o.pageSize }, schema: PagedVideoRecorders, signal: o.signal });
    } catch (e) {
      if (isAbsent(e)) {
        o.log.info({ err: (e as Error).message }, 'GET /video_recorders not available on this server; no recorders');
        return;
      }
      throw e;
    }
    const items = r.item_list ?? [];
    const fresh = items.filter((i) => {
      const k = String(i.id);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    if (fresh.length > 0) yield fresh;
    const count = r.count ?? items.length;
    if (count === 0 || items.length === 0) break;
    const totalPages = r.total_pages ?? (r.total_items !== undefined ? Math.ceil(r.total_items / o.pageSize) : undefined);
    if (totalPages !== undefined && page >= totalPages) break;
    if (fresh.length === 0) break;
  }
}

/** Segment id → name (`Lnl_Segment`), for locations; empty when the type is absent. */
export async function readSegments(client: OpenAccessClient, caps: Map<string, TypeCapabilities>, o: PageOptions): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (!caps.has('Lnl_Segment')) return out;
  for await (const page of pagedInstances(client, 'Lnl_Segment', (p) => (getCi(p, 'ID') === undefined ? null : String(getCi(p, 'ID'))), { ...o, orderBy: 'ID' })) {
    for (const p of page) {
      const name = getCi(p, 'NAME') ?? getCi(p, 'Name');
      if (typeof name === 'string' && name.trim() !== '') out.set(String(getCi(p, 'ID')), name.trim());
    }
  }
  return out;
}
