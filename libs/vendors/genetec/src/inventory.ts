import type { Logger } from 'pino';
import { describeError, errorKind, permanent } from '@edge/platform';
import { TypeIsolation, type FailedTypeSink } from '@edge/collector-kit';
import { BASE_FIELDS, PARENT_TYPES } from './constants';
import { normalizeGuid } from './client/urls';
import type { WebSdkClient } from './client/web-sdk-client';
import type { Projector } from './projection';
import type { GenetecEntity, ParentRef } from './raw-schema';

export interface InventoryOptions {
  entityTypes: readonly string[];
  extraFields: Record<string, readonly string[]>;
  pageSize: number;
  signal: AbortSignal;
  log: Logger;
  /** Where a type that failed is reported (the sync's writer). */
  sink: FailedTypeSink | null;
}

export interface InventoryStats {
  types: Record<string, number>;
  pages: number;
  failed: Array<{ type: string; reason: string }>;
}

/**
 * GUIDs of one entity type, page by page, from the EntityConfiguration report
 * (`/report/EntityConfiguration?q=EntityTypes@Camera,Page=1,PageSize=1000`; DAP wiki "web sdk
 * reports" and "referencing entities"). The server answers one row more than PageSize when
 * another page exists; that row is not part of this page and opens the next.
 */
export async function* listGuids(client: WebSdkClient, type: string, pageSize: number, signal: AbortSignal, onPage?: () => void): AsyncGenerator<string[]> {
  let first: string | null = null;
  for (let page = 1; !signal.aborted; page++) {
    const { result } = await client.get(`report/EntityConfiguration?q=${encodeURIComponent(`EntityTypes@${type},Page=${page},PageSize=${pageSize}`)}`, signal);
    onPage?.();
    const rows = (Array.isArray(result) ? result : []).map((r) => normalizeGuid(typeof r === 'string' ? r : (r as { Guid?: unknown })?.Guid)).filter((g): g is string => g !== null);
    const more = rows.length > pageSize;
    const mine = more ? rows.slice(0, pageSize) : rows;
    // A server that ignores Page answers page 1 again: stop rather than loop forever.
    if (page > 1 && mine.length > 0 && mine[0] === first) throw permanent('genetec_paging_ignored', `EntityConfiguration of ${type}: page ${page} repeats page 1; the server ignores Page`);
    if (page === 1) first = mine[0] ?? null;
    if (mine.length > 0) yield mine;
    if (!more) return;
  }
}

const RANK: Record<string, number> = { videounit: 0, unit: 0, role: 1, server: 2 };

function parentGuids(e: GenetecEntity): string[] {
  const hp = e.HierarchicalParents;
  const list = Array.isArray(hp) ? hp : typeof hp === 'string' ? hp.split(/[,;@\s]+/) : [];
  const owner = (e as { OwnerRole?: unknown }).OwnerRole;
  return [...list, ...(typeof owner === 'string' ? [owner] : [])].map(normalizeGuid).filter((g): g is string => g !== null);
}

/** The closest parent of this sync: a unit before a role before a server. */
export function resolveParent(e: GenetecEntity, parents: ReadonlyMap<string, ParentRef>): ParentRef | null {
  let best: ParentRef | null = null;
  for (const g of parentGuids(e)) {
    const p = parents.get(g);
    if (!p || g === normalizeGuid(e.Guid)) continue;
    if (!best || (RANK[p.EntityType.toLowerCase()] ?? 9) < (RANK[best.EntityType.toLowerCase()] ?? 9)) best = p;
  }
  return best;
}

function parentRefOf(e: GenetecEntity): ParentRef {
  const { Guid, EntityType, IPAddress, MacAddress, Hostname, Manufacturer, Model, FirmwareVersion } = e as GenetecEntity & Record<string, string | undefined>;
  return { Guid: normalizeGuid(Guid) ?? Guid, EntityType, IPAddress, MacAddress, Hostname, Manufacturer, Model, FirmwareVersion };
}

/**
 * Walks every configured entity type (parents first) and hands each entity with its parent to
 * `onEntity`. Each type runs through the kit's `TypeIsolation`: a type that cannot be listed
 * makes the sync partial for that type only — except a refusal (licence, privilege, password),
 * which would fail every type alike, and an abort: those end the sync. Every type failing fails it.
 */
export async function walkInventory(
  client: WebSdkClient,
  projector: Projector,
  o: InventoryOptions,
  refusedExtras: Set<string>,
  onEntity: (e: GenetecEntity, parent: ParentRef | null) => Promise<void>,
): Promise<InventoryStats> {
  const parents = new Map<string, ParentRef>();
  const stats: InventoryStats = { types: {}, pages: 0, failed: [] };
  const isolation = new TypeIsolation({
    log: o.log,
    sink: o.sink,
    endsTheSync: (e, signal) => errorKind(e) === 'auth' || Boolean(signal?.aborted),
    reason: describeError,
  });
  for (const type of o.entityTypes) {
    if (o.signal.aborted) break;
    await isolation.run(type, o.signal, async () => {
      let n = 0;
      const seen = new Set<string>();
      for await (const page of listGuids(client, type, o.pageSize, o.signal, () => stats.pages++)) {
        const fresh = page.filter((g) => !seen.has(g));
        fresh.forEach((g) => seen.add(g));
        const rows = await projector.readWithExtras(type, fresh, BASE_FIELDS, o.extraFields[type] ?? [], refusedExtras, o.signal);
        for (const e of rows) {
          if (PARENT_TYPES.has(e.EntityType.toLowerCase())) parents.set(normalizeGuid(e.Guid) ?? e.Guid, parentRefOf(e));
          await onEntity(e, resolveParent(e, parents));
          n++;
        }
      }
      stats.types[type] = n;
    });
  }
  stats.failed = [...isolation.failed].map(([type, reason]) => ({ type, reason }));
  if (!o.signal.aborted) isolation.throwIfNothingListed();
  return stats;
}
