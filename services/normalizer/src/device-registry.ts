import {
  stableHash,
  type CanonicalDeviceMessage,
  type CanonicalHealthMessage,
  type CanonicalRemovedMessage,
  type CanonicalSyncEndMessage,
  type Device,
  type DeviceStatus,
  type HealthEvent,
  type MapContext,
  type ObservedVia,
  type StatusObservation,
  type SyncEndPayload,
  subjects,
} from '@edge/contracts';
import type { DevicesCommandRequest, RegistryDeviceView } from '@edge/contracts';
import { deviceKey, documentKey, fingerprintOf, sourceOf, systemKey, type PendingEmission, type RegistryEntry, type SystemRecord } from './registry-entry';
import { guardRemovals, heldNotice, type RemovalGuardSettings } from './removal-guard';

/** Defaults of config `removal_guard`. */
export const DEFAULT_REMOVAL_GUARD: RemovalGuardSettings = { max_fraction: 0.1, min_devices: 20 };

/** One canonical message to publish (kept in its owner's outbox until the stream confirmed it). */
export type Emission = PendingEmission;

/** A registry record (device entry or system record) and its KV key. */
export interface Owner {
  key: string;
  value: RegistryEntry | SystemRecord;
}

/** A device document to keep in KV `doc.<id>` (its content changed). */
export interface DocumentWrite {
  key: string;
  value: string;
}

/** Everything one raw message decided: the records it changed and the messages it emits. */
export interface Decision {
  /** Records to persist, in first-changed order. */
  changed: Owner[];
  /** Device documents whose content changed (persisted with the records). */
  documents: DocumentWrite[];
  emissions: Array<{ emission: Emission; owner: Owner }>;
  /** The health events among the emissions, as objects (the status page's timeline). */
  health: HealthEvent[];
  /** What happened, for the status counters (`repeat`, `stale`, `change`, ...). */
  outcomes: string[];
  /** `changed` by record (a sync end may change thousands). */
  byValue: Map<RegistryEntry | SystemRecord, Owner>;
}

export function emptyDecision(): Decision {
  return { emissions: [], changed: [], documents: [], outcomes: [], byValue: new Map(), health: [] };
}

export type SiteSubjects = (siteId: string) => { inventory: string; health: string };

const defaultSubjects: SiteSubjects = (siteId) => ({ inventory: subjects.canonicalInventory(siteId), health: subjects.canonicalHealth(siteId) });

const NOT_ALIVE_PARENT: ReadonlySet<DeviceStatus> = new Set(['offline', 'unknown']);
const ALIVE: ReadonlySet<DeviceStatus> = new Set(['online', 'degraded']);
const MAX_PARENT_DEPTH = 8;

/**
 * One copy of strings that repeat across devices — vendor, system, site, customer, native type,
 * device type, status, a sync's id and its observed_at — instead of one per device (each message
 * is parsed anew). Bounded: forgotten wholesale past `max` (copies already shared stay shared).
 */
class Interner {
  private readonly m = new Map<string, string>();
  constructor(private readonly max = 4_096) {}
  of<T extends string | null>(s: T): T {
    if (s === null) return s;
    const found = this.m.get(s);
    if (found !== undefined) return found as T;
    if (this.m.size >= this.max) this.m.clear();
    this.m.set(s, s);
    return s;
  }
}

function ms(iso: string | null | undefined): number {
  if (!iso) return Number.NEGATIVE_INFINITY;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
}

function laterOf(a: string | null, b: string | null | undefined): string | null {
  if (!b) return a;
  if (!a) return b;
  return ms(b) > ms(a) ? b : a;
}

/**
 * A partial sync (the collector could not list some native types) says nothing about the devices
 * of those types: they are kept, neither removed nor changed by it.
 */
export function keptByPartialSync(e: RegistryEntry, end: SyncEndPayload): boolean {
  if (!end.failed_types?.length) return false;
  const t = e.native_type;
  return end.failed_types.some((f) => f.type === t);
}

/** Stable identity of a health event: the same change reported again gets the same id. */
export function healthEventId(deviceId: string, status: DeviceStatus, timestamp: string, nativeEventId: string | null | undefined): string {
  return stableHash('health', deviceId, status, timestamp, nativeEventId ?? null);
}

/**
 * The device registry: last known state of every device, in process. Every `apply*` method is
 * synchronous — it decides from the current state and updates it before returning — so
 * decisions happen in delivery order even when the IO of several messages overlaps. Decided
 * messages wait in their record's `outbox` until the stream confirmed them; persistence is the
 * caller's job (Normalizer.commit writes the changed records before publishing).
 * Entries are compact (registry-entry.ts): the device documents are not held here.
 */
export class DeviceRegistry {
  private readonly devices = new Map<string, RegistryEntry>();
  private readonly bySystem = new Map<string, Set<string>>();
  private readonly systems = new Map<string, SystemRecord>();
  private readonly shared = new Interner();

  constructor(
    private readonly subjectsOf: SiteSubjects = defaultSubjects,
    private readonly guard: RemovalGuardSettings = DEFAULT_REMOVAL_GUARD,
  ) {}

  /** Replaces the whole state (start-up and recovery). */
  load(entries: Iterable<RegistryEntry>, systems: Iterable<SystemRecord>): void {
    this.devices.clear();
    this.bySystem.clear();
    this.systems.clear();
    for (const e of entries) this.put(e);
    for (const s of systems) this.systems.set(systemKey(s.vendor, s.system_id), s);
  }

  get(id: string): RegistryEntry | undefined {
    return this.devices.get(id);
  }

  system(vendor: string, systemId: string): SystemRecord | undefined {
    return this.systems.get(systemKey(vendor, systemId));
  }

  size(): { devices: number; listed: number; removed: number; status_only: number; systems: number } {
    let removed = 0;
    let statusOnly = 0;
    for (const e of this.devices.values()) {
      if (e.removed_at) removed++;
      else if (e.fingerprint === null) statusOnly++;
    }
    return { devices: this.devices.size, listed: this.devices.size - removed - statusOnly, removed, status_only: statusOnly, systems: this.systems.size };
  }

  /**
   * Entries matching a `cmd.devices` query, sorted by system then name; `total` is before the
   * limit. `device` is null here: the documents are in KV (Normalizer.queryDevices reads them).
   */
  query(q: DevicesCommandRequest): { total: number; counts: Record<string, number>; devices: RegistryDeviceView[] } {
    const counts: Record<string, number> = {};
    const matched: RegistryEntry[] = [];
    const needle = q.name?.toLowerCase();
    for (const e of this.devices.values()) {
      if (e.removed_at && !q.removed) continue;
      if (q.system && e.system_id !== q.system) continue;
      if (q.type && e.type !== q.type) continue;
      if (needle && !`${e.name ?? ''}\u0000${e.id}`.toLowerCase().includes(needle)) continue;
      counts[e.status] = (counts[e.status] ?? 0) + 1;
      if (q.status && e.status !== q.status) continue;
      matched.push(e);
    }
    if (q.counts_only) return { total: matched.length, counts, devices: [] };
    matched.sort((a, b) => a.system_id.localeCompare(b.system_id) || (a.name ?? a.id).localeCompare(b.name ?? b.id));
    const devices = matched.slice(0, q.limit ?? matched.length).map((e) => ({
      id: e.id,
      vendor: e.vendor,
      system_id: e.system_id,
      status: e.status,
      status_changed_at: e.status_changed_at,
      last_seen: e.last_seen,
      reason: e.reason,
      removed_at: e.removed_at,
      device: null,
    }));
    return { total: matched.length, counts, devices };
  }

  /** Shares the strings that repeat across entries (see Interner). */
  private compact(e: RegistryEntry): void {
    const i = this.shared;
    e.vendor = i.of(e.vendor);
    e.system_id = i.of(e.system_id);
    e.customer_id = i.of(e.customer_id);
    e.site_id = i.of(e.site_id);
    e.native_type = i.of(e.native_type);
    e.type = i.of(e.type);
    e.status = i.of(e.status);
    e.status_at = i.of(e.status_at);
    e.status_changed_at = i.of(e.status_changed_at);
    e.last_seen = i.of(e.last_seen);
    e.last_sync_id = i.of(e.last_sync_id);
    e.removed_at = i.of(e.removed_at);
  }

  private put(e: RegistryEntry): void {
    this.compact(e);
    this.devices.set(e.id, e);
    const k = systemKey(e.vendor, e.system_id);
    let set = this.bySystem.get(k);
    if (!set) this.bySystem.set(k, (set = new Set()));
    set.add(e.id);
  }

  /** Notes that this decision changed the record: the commit persists it (once per decision). */
  private changed(value: RegistryEntry | SystemRecord, out: Decision): Owner {
    const found = out.byValue.get(value);
    if (found) return found;
    if ('id' in value) this.compact(value);
    const o: Owner = { key: 'id' in value ? deviceKey(value.id) : systemKey(value.vendor, value.system_id), value };
    out.changed.push(o);
    out.byValue.set(value, o);
    return o;
  }

  private emit(value: RegistryEntry | SystemRecord, emission: Emission, out: Decision): void {
    const owner = this.changed(value, out);
    value.outbox.push(emission);
    out.emissions.push({ emission, owner });
  }

  /** The stream stored these messages: drop them from their owners' outboxes. */
  confirm(emissions: Decision['emissions']): void {
    for (const { emission, owner } of emissions) {
      const i = owner.value.outbox.findIndex((p) => p.msgId === emission.msgId);
      if (i >= 0) owner.value.outbox.splice(i, 1);
    }
  }

  /** Messages decided before a crash or failed write whose publish was never confirmed. */
  pendingEmissions(): Decision['emissions'] {
    const out: Decision['emissions'] = [];
    const all: Array<RegistryEntry | SystemRecord> = [...this.devices.values(), ...this.systems.values()];
    for (const value of all) {
      if (value.outbox.length === 0) continue;
      const owner: Owner = { key: 'id' in value ? deviceKey(value.id) : systemKey(value.vendor, value.system_id), value };
      for (const emission of [...value.outbox]) out.push({ emission, owner });
    }
    return out;
  }

  /** Listed in the cloud's inventory: health events only make sense for those. */
  listed(e: RegistryEntry): boolean {
    return e.fingerprint !== null && e.removed_at === null;
  }

  /**
   * When a device goes offline/unknown while an ancestor is offline/unknown, the ancestor is
   * the likely cause; say so instead of leaving the cloud to guess.
   */
  private parentReason(id: string, parentOf: string | null, status: DeviceStatus): string | null {
    if (!NOT_ALIVE_PARENT.has(status)) return null;
    let parentId = parentOf;
    const seen = new Set<string>([id]);
    for (let depth = 0; parentId && depth < MAX_PARENT_DEPTH && !seen.has(parentId); depth++) {
      seen.add(parentId);
      const p = this.devices.get(parentId);
      if (!p) return null;
      if (p.removed_at === null && NOT_ALIVE_PARENT.has(p.status)) return `parent ${p.id} is ${p.status}`;
      parentId = p.parent_id;
    }
    return null;
  }

  private composeReason(own: string | null, e: RegistryEntry, parentId: string | null, status: DeviceStatus): string | null {
    const parent = this.parentReason(e.id, parentId, status);
    if (own && parent) return `${own}; ${parent}`;
    return own ?? parent;
  }

  private healthEmission(
    e: RegistryEntry,
    ctx: MapContext,
    change: { status: DeviceStatus; previous: DeviceStatus; timestamp: string; reason: string | null; via: ObservedVia; nativeEventId?: string | null; rawSeq: number },
    out: Decision,
  ): Emission {
    const event: HealthEvent = {
      event_id: healthEventId(e.id, change.status, change.timestamp, change.nativeEventId),
      device_id: e.id,
      status: change.status,
      timestamp: change.timestamp,
      previous_status: change.previous,
      reason: change.reason,
      observed_via: change.via,
      customer_id: ctx.customer_id,
      site_id: ctx.site_id,
      source: sourceOf(e),
      schema_version: 1,
      edge_seq: change.rawSeq,
    };
    const msg: CanonicalHealthMessage = { kind: 'health', event };
    out.health.push(event);
    return { subject: this.subjectsOf(ctx.site_id).health, kind: 'health', msgId: `canonical:health:${event.event_id}`, body: JSON.stringify(msg) };
  }

  /** A status observation: an event only on change; repeats refresh last_seen; older facts never roll back. */
  applyObservation(ctx: MapContext, obs: StatusObservation, rawSeq: number, out: Decision): void {
    const alive = obs.alive_evidence ?? ALIVE.has(obs.status);
    let e = this.devices.get(obs.device_id);
    if (!e) {
      // Known only from status so far: recorded, no event — its first inventory entry carries it.
      e = {
        v: 2,
        id: obs.device_id,
        vendor: ctx.vendor,
        system_id: ctx.system_id,
        customer_id: ctx.customer_id,
        site_id: ctx.site_id,
        native_type: obs.native_type,
        native_id: obs.native_id,
        fingerprint: null,
        name: null,
        type: null,
        parent_id: null,
        outbox: [],
        status: obs.status,
        status_at: obs.timestamp,
        status_changed_at: obs.timestamp,
        last_seen: alive ? ctx.observed_at : null,
        reason: obs.reason,
        last_sync_id: null,
        last_sync_seq: null,
        last_device_seq: null,
        removed_at: null,
      };
      this.put(e);
      this.changed(e, out);
      out.outcomes.push('unlisted');
      return;
    }
    const stale = ms(obs.timestamp) < ms(e.status_at);
    if (stale) {
      // Older than what we know: it still proves the device was alive back then.
      const seen = alive ? laterOf(e.last_seen, obs.timestamp) : e.last_seen;
      out.outcomes.push('stale');
      if (seen !== e.last_seen) {
        e.last_seen = seen;
        this.changed(e, out);
      }
      return;
    }
    if (alive) e.last_seen = laterOf(e.last_seen, ctx.observed_at);
    if (obs.status === e.status) {
      e.status_at = obs.timestamp;
      // "Unknown, and why" (e.g. the server has no live state): the why is kept for `edge devices`.
      if (obs.status === 'unknown' && obs.reason) e.reason = obs.reason;
      this.changed(e, out);
      out.outcomes.push('repeat');
      return;
    }
    const previous = e.status;
    const reason = this.composeReason(obs.reason, e, e.parent_id, obs.status);
    e.status = obs.status;
    e.status_at = obs.timestamp;
    e.status_changed_at = obs.timestamp;
    e.reason = reason;
    if (this.listed(e)) {
      this.emit(e, this.healthEmission(e, ctx, { status: obs.status, previous, timestamp: obs.timestamp, reason, via: obs.observed_via, nativeEventId: obs.native_event_id, rawSeq }, out), out);
      out.outcomes.push('change');
    } else out.outcomes.push('unlisted');
    this.changed(e, out);
  }

  /**
   * One device of a sync (or a device update outside a sync). Its status is merged with the
   * newest knowledge: the sync's view counts as of the envelope's `observed_at`, so an event
   * newer than that wins; `unknown` from a sync is no knowledge at all.
   */
  applyDevice(ctx: MapContext, mapped: Device, rawSeq: number, out: Decision): void {
    const syncId = ctx.sync_id ?? null;
    const prev = this.devices.get(mapped.id);
    const firstAppearance = !prev || prev.fingerprint === null || prev.removed_at !== null;
    const fingerprintBefore = prev?.fingerprint ?? null;
    const e: RegistryEntry = prev ?? {
      v: 2,
      id: mapped.id,
      vendor: ctx.vendor,
      system_id: ctx.system_id,
      customer_id: ctx.customer_id,
      site_id: ctx.site_id,
      native_type: mapped.source.native_type,
      native_id: mapped.source.native_id,
      fingerprint: null,
      name: null,
      type: null,
      parent_id: null,
      outbox: [],
      status: 'unknown',
      status_at: null,
      status_changed_at: null,
      last_seen: null,
      reason: null,
      last_sync_id: null,
      last_sync_seq: null,
      last_device_seq: null,
      removed_at: null,
    };
    e.native_type = mapped.source.native_type;
    e.native_id = mapped.source.native_id;
    e.customer_id = ctx.customer_id;
    e.site_id = ctx.site_id;
    const asOf = ctx.observed_at;
    const via: ObservedVia = syncId ? 'sync' : 'event';
    if (mapped.status !== 'unknown' && ms(asOf) >= ms(e.status_at)) {
      if (mapped.status !== e.status) {
        const previous = e.status;
        const ts = mapped.status_changed_at && ms(mapped.status_changed_at) >= ms(e.status_at) && ms(mapped.status_changed_at) <= ms(asOf) ? mapped.status_changed_at : asOf;
        e.status = mapped.status;
        e.status_changed_at = ts;
        e.status_at = asOf;
        // The device's own parent link may be new in this message: use it for the reason.
        const reason = this.composeReason(null, e, mapped.parent_id, mapped.status);
        e.reason = reason;
        if (!firstAppearance) {
          this.emit(e, this.healthEmission(e, ctx, { status: e.status, previous, timestamp: ts, reason, via, nativeEventId: syncId ? `sync:${syncId}` : `raw:${rawSeq}`, rawSeq }, out), out);
          out.outcomes.push('change');
        }
      } else e.status_at = asOf;
      if (ALIVE.has(e.status)) e.last_seen = laterOf(e.last_seen, asOf);
    }
    if (e.status_changed_at === null) e.status_changed_at = mapped.status_changed_at;
    e.last_seen = laterOf(e.last_seen, mapped.last_seen);
    const device: Device = { ...mapped, status: e.status, status_changed_at: e.status_changed_at, last_seen: e.last_seen };
    const fingerprint = fingerprintOf(device);
    if (fingerprint !== fingerprintBefore) out.documents.push({ key: documentKey(e.id), value: JSON.stringify(device) });
    e.fingerprint = fingerprint;
    e.name = device.name;
    e.type = device.type;
    e.parent_id = device.parent_id;
    e.removed_at = null;
    e.last_device_seq = Math.max(e.last_device_seq ?? 0, rawSeq);
    if (syncId && (e.last_sync_seq === null || rawSeq >= e.last_sync_seq)) {
      e.last_sync_id = syncId;
      e.last_sync_seq = rawSeq;
    }
    if (!prev) this.put(e);

    if (syncId) {
      const msg: CanonicalDeviceMessage = { kind: 'device', sync_id: syncId, device };
      this.emit(e, { subject: this.subjectsOf(ctx.site_id).inventory, kind: 'device', msgId: `canonical:inv:${stableHash('sync', syncId, device.id)}`, body: JSON.stringify(msg) }, out);
      out.outcomes.push(firstAppearance ? 'new' : 'listed');
    } else if (firstAppearance || fingerprint !== fingerprintBefore) {
      const msg: CanonicalDeviceMessage = { kind: 'device', sync_id: null, device };
      this.emit(e, { subject: this.subjectsOf(ctx.site_id).inventory, kind: 'device', msgId: `canonical:inv:${stableHash('update', device.id, rawSeq)}`, body: JSON.stringify(msg) }, out);
      out.outcomes.push(firstAppearance ? 'new' : 'updated');
    } else out.outcomes.push('unchanged');
    this.changed(e, out);
  }

  applySyncBegin(ctx: MapContext, rawSeq: number, out: Decision): void {
    const s = this.systemRecord(ctx.vendor, ctx.system_id);
    if (!ctx.sync_id) return;
    // A redelivered older begin must not move the current sync backwards.
    if (s.current_sync_begin_seq !== null && rawSeq < s.current_sync_begin_seq) {
      out.outcomes.push('stale');
      return;
    }
    s.current_sync_id = ctx.sync_id;
    s.current_sync_begin_seq = rawSeq;
    s.current_sync_started_at = ctx.observed_at;
    this.changed(s, out);
    out.outcomes.push('sync_begin');
  }

  /**
   * End of a sync. Devices of the system that this sync did not list are removed — only when
   * the collector says the sync completed and the count matches the devices received.
   */
  applySyncEnd(ctx: MapContext, end: SyncEndPayload, out: Decision): void {
    const syncId = ctx.sync_id;
    if (!syncId) return;
    const s = this.systemRecord(ctx.vendor, ctx.system_id);
    if (s.last_end?.sync_id === syncId) {
      // Redelivered after it was fully processed: same message again (deduplicated downstream).
      this.emit(s, { subject: this.subjectsOf(ctx.site_id).inventory, kind: 'sync.end', msgId: syncEndMsgId(ctx, syncId), body: s.last_end.body }, out);
      out.outcomes.push('sync_end_repeat');
      return;
    }
    const ids = this.bySystem.get(systemKey(ctx.vendor, ctx.system_id)) ?? new Set<string>();
    let received = 0;
    for (const id of ids) {
      const e = this.devices.get(id)!;
      if (e.last_sync_id === syncId && e.removed_at === null) received++;
    }
    const complete = end.complete && received === end.count;
    let removedCount = 0;
    if (complete) {
      // Devices first listed outside this sync after it began are newer than its listing.
      const beginSeq = s.current_sync_id === syncId ? s.current_sync_begin_seq : null;
      const candidates = this.removalCandidates(ids, syncId, beginSeq, end);
      const listedBefore = [...ids].filter((id) => this.listed(this.devices.get(id)!)).length;
      const g = guardRemovals({ candidates, total: listedBefore, held: s.held_removals, settings: this.guard });
      for (const e of g.remove) this.remove(e, ctx, syncId, out);
      removedCount = g.remove.length;
      s.held_removals = g.held.length ? { sync_id: syncId, begin_seq: beginSeq, count: g.held.length, of: listedBefore, held_at: ctx.observed_at } : null;
      if (g.held.length) out.outcomes.push('removals_held');
    }
    const msg: CanonicalSyncEndMessage = {
      kind: 'sync.end',
      sync_id: syncId,
      system_id: ctx.system_id,
      vendor: ctx.vendor,
      customer_id: ctx.customer_id,
      site_id: ctx.site_id,
      count: end.count,
      removed_count: removedCount,
      complete,
      finished_at: ctx.observed_at,
      ...(end.failed_types?.length ? { failed_types: end.failed_types } : {}),
    };
    const body = JSON.stringify(msg);
    this.emit(s, { subject: this.subjectsOf(ctx.site_id).inventory, kind: 'sync.end', msgId: syncEndMsgId(ctx, syncId), body }, out);
    s.last_end = { sync_id: syncId, count: end.count, received, removed_count: removedCount, complete, finished_at: ctx.observed_at, ...(end.failed_types?.length ? { failed_types: end.failed_types } : {}), body };
    this.changed(s, out);
    out.outcomes.push(complete ? 'sync_complete' : 'sync_incomplete');
  }

  private removalCandidates(ids: Iterable<string>, syncId: string, beginSeq: number | null, end: SyncEndPayload): RegistryEntry[] {
    const out: RegistryEntry[] = [];
    for (const id of ids) {
      const e = this.devices.get(id)!;
      if (!this.listed(e) || e.last_sync_id === syncId) continue;
      if (keptByPartialSync(e, end)) continue;
      if (beginSeq !== null && e.last_device_seq !== null && e.last_device_seq > beginSeq) continue;
      out.push(e);
    }
    return out;
  }

  private remove(e: RegistryEntry, ctx: Pick<MapContext, 'system_id' | 'site_id' | 'observed_at'>, syncId: string, out: Decision): void {
    e.removed_at = ctx.observed_at;
    const msg: CanonicalRemovedMessage = {
      kind: 'removed',
      sync_id: syncId,
      device_id: e.id,
      system_id: ctx.system_id,
      customer_id: e.customer_id,
      site_id: e.site_id,
      removed_at: ctx.observed_at,
    };
    this.emit(e, { subject: this.subjectsOf(ctx.site_id).inventory, kind: 'removed', msgId: `canonical:rm:${stableHash(syncId, e.id)}`, body: JSON.stringify(msg) }, out);
  }

  /** `edge sync --confirm-removals <system>`: the held removals happen now. Null when none are held. */
  confirmHeldRemovals(systemId: string, at: string, out: Decision): { vendor: string; removed: number } | null {
    const s = [...this.systems.values()].find((x) => x.system_id === systemId && x.held_removals);
    const h = s?.held_removals;
    if (!s || !h) return null;
    // The types the held sync could not list stay kept (its end is the system's last one).
    const end = { count: 0, complete: true, failed_types: s.last_end?.sync_id === h.sync_id ? s.last_end.failed_types : undefined };
    const candidates = this.removalCandidates(this.bySystem.get(systemKey(s.vendor, s.system_id)) ?? [], h.sync_id, h.begin_seq, end);
    for (const e of candidates) this.remove(e, { system_id: s.system_id, site_id: e.site_id, observed_at: at }, h.sync_id, out);
    s.held_removals = null;
    this.changed(s, out);
    out.outcomes.push('removals_confirmed');
    return { vendor: s.vendor, removed: candidates.length };
  }

  private systemRecord(vendor: string, systemId: string): SystemRecord {
    const k = systemKey(vendor, systemId);
    let s = this.systems.get(k);
    if (!s) {
      s = { v: 1, vendor, system_id: systemId, current_sync_id: null, current_sync_begin_seq: null, current_sync_started_at: null, last_end: null, held_removals: null, outbox: [] };
      this.systems.set(k, s);
    }
    return s;
  }

  /** Per-system summary for /status. */
  /** Offline/degraded/listed counts per system (for the health timeline). */
  statusCounts(): Map<string, { offline: number; degraded: number; total: number }> {
    const out = new Map<string, { offline: number; degraded: number; total: number }>();
    for (const e of this.devices.values()) {
      if (!this.listed(e)) continue;
      const c = out.get(e.system_id) ?? { offline: 0, degraded: 0, total: 0 };
      c.total++;
      if (e.status === 'offline') c.offline++;
      else if (e.status === 'degraded') c.degraded++;
      out.set(e.system_id, c);
    }
    return out;
  }

  systemsStatus(): Array<{
    vendor: string;
    system_id: string;
    devices: number;
    current_sync_id: string | null;
    last_end: Omit<NonNullable<SystemRecord['last_end']>, 'body'> | null;
    held_removals: SystemRecord['held_removals'];
    notices: string[];
  }> {
    return [...this.systems.values()].map((s) => {
      let devices = 0;
      for (const id of this.bySystem.get(systemKey(s.vendor, s.system_id)) ?? []) if (this.listed(this.devices.get(id)!)) devices++;
      let last: Omit<NonNullable<SystemRecord['last_end']>, 'body'> | null = null;
      if (s.last_end) {
        const { body: _body, ...rest } = s.last_end;
        last = rest;
      }
      const held = s.held_removals ?? null;
      return { vendor: s.vendor, system_id: s.system_id, devices, current_sync_id: s.current_sync_id, last_end: last, held_removals: held, notices: held ? [heldNotice(s.system_id, held)] : [] };
    });
  }
}

function syncEndMsgId(ctx: MapContext, syncId: string): string {
  return `canonical:se:${stableHash(ctx.vendor, ctx.system_id, syncId)}`;
}
