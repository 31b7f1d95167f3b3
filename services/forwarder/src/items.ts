import { context, type Context } from '@opentelemetry/api';
import { CanonicalMessage, stableHash, type CanonicalSyncEndMessage, type RemovedDevice } from '@edge/contracts';
import { permanent, type Delivery } from '@edge/platform';

/** Inventory items are sent together only when they share customer, site and sync. */
export interface InventoryGroup {
  key: string;
  customer_id: string;
  site_id: string;
  sync_id: string | null;
  system_id: string | null;
}

export type ItemKind = 'event' | 'device' | 'removed' | 'sync_end';

/**
 * One canonical message on its way to the cloud. The consume-loop handler of its JetStream
 * message waits on `done`: resolved when a 2xx/409 covered it (then the message is acked),
 * rejected with a permanent error when the cloud refused it (then it is dead-lettered).
 */
export interface OutItem {
  kind: ItemKind;
  /** Stable id the cloud dedupes by: event_id, device id, removed device id, sync id. */
  id: string;
  /** Part of the Idempotency-Key: the id, plus the content hash for a device version. */
  key: string;
  /** The body element as JSON ('' for sync_end, which travels in `sync`). */
  json: string;
  bytes: number;
  /** JetStream stream sequence. */
  seq: number;
  /** Stream time (ms), for the backlog age. */
  timestampMs: number;
  deviceId: string | null;
  group: InventoryGroup | null;
  syncEnd: CanonicalSyncEndMessage | null;
  done: Promise<void>;
  resolve(): void;
  reject(e: Error): void;
  /** Trace context of the message's consume span: the cloud POST that carries it joins its trace. */
  trace?: Context;
}

const decoder = new TextDecoder();

function groupOf(customer_id: string, site_id: string, sync_id: string | null, system_id: string | null): InventoryGroup {
  return { key: `${customer_id}\u0000${site_id}\u0000${sync_id ?? ''}`, customer_id, site_id, sync_id, system_id };
}

function settleable(): Pick<OutItem, 'done' | 'resolve' | 'reject'> {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { done, resolve, reject };
}

/** Parses and validates a canonical message; anything unusable is a permanent error (→ DLQ). */
export function toItem(d: Delivery): OutItem {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(d.data));
  } catch {
    throw permanent('invalid_canonical', `message on ${d.subject} is not JSON`);
  }
  const p = CanonicalMessage.safeParse(value);
  if (!p.success) {
    const issues = p.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`);
    throw permanent('invalid_canonical', `message on ${d.subject} is not a canonical message: ${issues.join('; ')}`);
  }
  const m = p.data;
  const base = { seq: d.seq, timestampMs: d.timestampMs, trace: context.active(), ...settleable() };
  switch (m.kind) {
    case 'health': {
      // edge_seq lets the cloud order one device's events together with their timestamp.
      const json = JSON.stringify({ ...m.event, edge_seq: d.seq });
      return { ...base, kind: 'event', id: m.event.event_id, key: `e:${m.event.event_id}`, json, bytes: Buffer.byteLength(json) + 1, deviceId: m.event.device_id, group: null, syncEnd: null };
    }
    case 'device': {
      const json = JSON.stringify(m.device);
      return {
        ...base,
        kind: 'device',
        id: m.device.id,
        key: `d:${m.device.id}:${stableHash(json)}`,
        json,
        bytes: Buffer.byteLength(json) + 1,
        deviceId: m.device.id,
        group: groupOf(m.device.customer_id, m.device.site_id, m.sync_id, m.device.source.system_id),
        syncEnd: null,
      };
    }
    case 'removed': {
      const removed: RemovedDevice = { id: m.device_id, removed_at: m.removed_at, reason: 'absent_from_complete_sync' };
      const json = JSON.stringify(removed);
      return {
        ...base,
        kind: 'removed',
        id: m.device_id,
        key: `r:${m.sync_id}:${m.device_id}`,
        json,
        bytes: Buffer.byteLength(json) + 1,
        deviceId: m.device_id,
        group: groupOf(m.customer_id, m.site_id, m.sync_id, m.system_id),
        syncEnd: null,
      };
    }
    case 'sync.end':
      return {
        ...base,
        kind: 'sync_end',
        id: m.sync_id,
        key: `s:${m.sync_id}`,
        json: '',
        bytes: 128,
        deviceId: null,
        group: groupOf(m.customer_id, m.site_id, m.sync_id, m.system_id),
        syncEnd: m,
      };
  }
}

/** Idempotency-Key of a batch: derived from its items, so a resent batch carries the same key. */
export function idempotencyKey(prefix: 'hev' | 'inv', items: readonly OutItem[]): string {
  return `${prefix}-${stableHash(...items.map((i) => i.key))}`;
}

/** FNV-1a: cheap, stable lane choice per device (one lane per device keeps its events in order). */
export function laneOf(deviceId: string, lanes: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < deviceId.length; i++) {
    h ^= deviceId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % lanes;
}
