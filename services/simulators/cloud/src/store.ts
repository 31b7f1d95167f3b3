import { stableHash, type Device, type HealthEvent, type HeartbeatRequest, type InventoryRequest } from '@edge/contracts';

export type Retain = 'full' | 'ids';

export interface StoredDevice {
  id: string;
  /** Latest version received (null when retaining ids only). */
  device: Device | null;
  sync_id: string | null;
  versions: number;
  first_received_at: string;
  last_received_at: string;
  removed_at: string | null;
}

export interface StoredEvent {
  event_id: string;
  device_id: string;
  status: string;
  timestamp: string;
  edge_seq: number | null;
  received_at: string;
  /** The whole event (null when retaining ids only). */
  event: HealthEvent | null;
}

export interface StoredSync {
  id: string;
  system_id: string | null;
  customer_id: string;
  site_id: string;
  batches: number[];
  devices: number;
  removed: number;
  final: boolean;
  total: number | null;
  complete: boolean | null;
  completed_at: string | null;
}

export interface RequestRecord {
  at: number;
  method: string;
  path: string;
  status: number;
  items: number;
  idempotency_key: string | null;
}

/** What the simulated cloud holds. Item-level dedupe: events by event_id, devices by id + content. */
export class CloudStore {
  readonly devices = new Map<string, StoredDevice & { hash: string }>();
  readonly events: StoredEvent[] = [];
  private readonly eventIds = new Set<string>();
  readonly removed = new Map<string, { id: string; sync_id: string | null; removed_at: string }>();
  readonly syncs = new Map<string, StoredSync & { deviceIds: Set<string> }>();
  readonly heartbeats: Array<HeartbeatRequest & { received_at: string }> = [];
  /** Answers stored per Idempotency-Key (with the body's hash) for 409 on exact repeats. */
  readonly keys = new Map<string, string>();
  readonly requests: RequestRecord[] = [];
  readonly counters = new Map<string, number>();
  inFlight = 0;

  constructor(readonly retain: Retain = 'full') {}

  inc(name: string, by = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
  }

  record(r: RequestRecord): void {
    this.requests.push(r);
    // Bounded: a long demo must not grow without limit.
    if (this.requests.length > 5000) this.requests.splice(0, this.requests.length - 5000);
    this.inc('requests');
    this.inc(`status_${r.status}`);
  }

  addEvents(events: HealthEvent[]): { accepted: number; duplicates: number } {
    const now = new Date().toISOString();
    let accepted = 0;
    for (const e of events) {
      if (this.eventIds.has(e.event_id)) continue;
      this.eventIds.add(e.event_id);
      this.events.push({
        event_id: e.event_id,
        device_id: e.device_id,
        status: e.status,
        timestamp: e.timestamp,
        edge_seq: e.edge_seq ?? null,
        received_at: now,
        event: this.retain === 'full' ? e : null,
      });
      accepted++;
    }
    this.inc('events_received', events.length);
    this.inc('events_stored', accepted);
    this.inc('events_duplicates', events.length - accepted);
    return { accepted, duplicates: events.length - accepted };
  }

  addInventory(body: InventoryRequest): { accepted: number; duplicates: number } {
    const now = new Date().toISOString();
    let accepted = 0;
    let duplicates = 0;
    const sync = body.sync ? this.syncOf(body) : null;
    for (const d of body.devices) {
      const hash = stableHash(JSON.stringify(d));
      const have = this.devices.get(d.id);
      sync?.deviceIds.add(d.id);
      if (have && have.hash === hash) {
        duplicates++;
        continue;
      }
      accepted++;
      if (have) this.inc('device_updates');
      this.devices.set(d.id, {
        id: d.id,
        device: this.retain === 'full' ? d : null,
        hash,
        sync_id: body.sync?.id ?? null,
        versions: (have?.versions ?? 0) + 1,
        first_received_at: have?.first_received_at ?? now,
        last_received_at: now,
        removed_at: null,
      });
    }
    for (const r of body.removed ?? []) {
      const key = `${r.id}`;
      if (this.removed.has(key)) {
        duplicates++;
        continue;
      }
      accepted++;
      this.removed.set(key, { id: r.id, sync_id: body.sync?.id ?? null, removed_at: r.removed_at });
      const dev = this.devices.get(r.id);
      if (dev) dev.removed_at = r.removed_at;
    }
    if (sync && body.sync) {
      if (!sync.batches.includes(body.sync.batch)) sync.batches.push(body.sync.batch);
      sync.removed += body.removed?.length ?? 0;
      sync.devices = sync.deviceIds.size;
      if (body.sync.final && !sync.final) {
        sync.final = true;
        sync.total = body.sync.total ?? null;
        sync.complete = body.sync.complete ?? null;
        sync.completed_at = now;
        this.inc('syncs_completed');
      }
    }
    this.inc('devices_received', body.devices.length);
    this.inc('removed_received', body.removed?.length ?? 0);
    this.inc('inventory_accepted', accepted);
    this.inc('inventory_duplicates', duplicates);
    return { accepted, duplicates };
  }

  private syncOf(body: InventoryRequest): StoredSync & { deviceIds: Set<string> } {
    const id = body.sync!.id;
    let s = this.syncs.get(id);
    if (!s) {
      s = {
        id,
        system_id: body.sync!.system_id ?? null,
        customer_id: body.customer_id,
        site_id: body.site_id,
        batches: [],
        devices: 0,
        removed: 0,
        final: false,
        total: null,
        complete: null,
        completed_at: null,
        deviceIds: new Set(),
      };
      this.syncs.set(id, s);
    }
    if (!s.system_id && body.sync!.system_id) s.system_id = body.sync!.system_id;
    return s;
  }

  addHeartbeat(h: HeartbeatRequest): void {
    this.heartbeats.push({ ...h, received_at: new Date().toISOString() });
    if (this.heartbeats.length > 1000) this.heartbeats.splice(0, this.heartbeats.length - 1000);
    this.inc('heartbeats');
  }

  stats() {
    return {
      devices: this.devices.size,
      events: this.events.length,
      removed: this.removed.size,
      syncs: this.syncs.size,
      syncs_completed: [...this.syncs.values()].filter((s) => s.final).length,
      heartbeats: this.counters.get('heartbeats') ?? 0,
      in_flight: this.inFlight,
      counters: Object.fromEntries([...this.counters.entries()].sort(([a], [b]) => a.localeCompare(b))),
    };
  }

  syncList(): StoredSync[] {
    return [...this.syncs.values()].map(({ deviceIds: _ids, ...s }) => ({ ...s, batches: [...s.batches].sort((a, b) => a - b) }));
  }

  deviceList(): StoredDevice[] {
    return [...this.devices.values()].map(({ hash: _h, ...d }) => d);
  }

  clear(): void {
    this.devices.clear();
    this.events.length = 0;
    this.eventIds.clear();
    this.removed.clear();
    this.syncs.clear();
    this.heartbeats.length = 0;
    this.keys.clear();
    this.requests.length = 0;
    this.counters.clear();
  }
}
