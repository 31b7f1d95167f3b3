import { z } from 'zod';
import { Device, DeviceStatus, DeviceType, FailedType, IdToken, Source, stableHash, UtcTimestamp } from '@edge/contracts';
import { HeldRemovals } from './removal-guard';

/**
 * A canonical message decided but not yet confirmed stored in stream CANONICAL. Written to KV
 * with the state that produced it (write-ahead): after a crash the state is not lost and the
 * message is published again (same msg-id, so the stream deduplicates it).
 */
export const PendingEmission = z.object({
  subject: z.string().min(1),
  kind: z.enum(['device', 'removed', 'sync.end', 'health']),
  msgId: z.string().min(1),
  body: z.string(),
});
export type PendingEmission = z.infer<typeof PendingEmission>;

/**
 * What the normalizer keeps per device to decide, in process and in KV `dev.<id>`: identity,
 * the inventory fields a decision or the registry's query needs (name, type, parent, and a
 * fingerprint of the rest of the device's content), status with its timestamps, and sync
 * membership — not the device document itself, which lives in KV `doc.<id>` (written when its
 * content changes) and is read only to answer `edge devices`. About 0.6 KB per device in memory.
 *
 * `status_at` is the time of the newest knowledge behind `status`: an observation older than
 * it never rolls the state back. `last_sync_seq`/`last_device_seq` are raw stream sequences,
 * so a late redelivery of an older sync cannot take a device's membership back.
 */
export const RegistryEntry = z.object({
  v: z.literal(2),
  id: z.string().min(3),
  vendor: IdToken,
  system_id: IdToken,
  customer_id: z.string().min(1),
  site_id: z.string().min(1),
  native_type: z.string().min(1),
  native_id: z.string().min(1),
  /** Fingerprint of the last canonical device's content (not status, last_seen); null while known only from status observations. */
  fingerprint: z.string().nullable(),
  name: z.string().nullable(),
  type: DeviceType.nullable(),
  parent_id: z.string().nullable(),
  status: DeviceStatus,
  status_at: UtcTimestamp.nullable(),
  status_changed_at: UtcTimestamp.nullable(),
  last_seen: UtcTimestamp.nullable(),
  reason: z.string().nullable(),
  last_sync_id: z.string().nullable(),
  last_sync_seq: z.number().int().nonnegative().nullable(),
  last_device_seq: z.number().int().nonnegative().nullable(),
  removed_at: UtcTimestamp.nullable(),
  outbox: z.array(PendingEmission).default([]),
});
export type RegistryEntry = z.infer<typeof RegistryEntry>;

/** The first format of `dev.<id>`: the whole device document inside (read, converted on load). */
export const RegistryEntryV1 = z.object({
  v: z.literal(1),
  id: z.string().min(3),
  vendor: IdToken,
  system_id: IdToken,
  customer_id: z.string().min(1),
  site_id: z.string().min(1),
  source: Source,
  device: Device.nullable(),
  status: DeviceStatus,
  status_at: UtcTimestamp.nullable(),
  status_changed_at: UtcTimestamp.nullable(),
  last_seen: UtcTimestamp.nullable(),
  reason: z.string().nullable(),
  last_sync_id: z.string().nullable(),
  last_sync_seq: z.number().int().nonnegative().nullable(),
  last_device_seq: z.number().int().nonnegative().nullable(),
  removed_at: UtcTimestamp.nullable(),
  outbox: z.array(PendingEmission).default([]),
});
export type RegistryEntryV1 = z.infer<typeof RegistryEntryV1>;

/** A device's content without the fields that move with health (status, last_seen, status_changed_at). */
export function stableContent(d: Device): string {
  const { status: _s, last_seen: _l, status_changed_at: _c, ...rest } = d;
  return JSON.stringify(rest);
}

/** Fingerprint of a device's content: equal fingerprints, same inventory entry. */
export function fingerprintOf(d: Device): string {
  return stableHash(stableContent(d));
}

/** A v1 entry as v2, and the device document it held (to be kept in `doc.<id>`). */
export function fromV1(e: RegistryEntryV1): { entry: RegistryEntry; document: Device | null } {
  const d = e.device;
  const entry: RegistryEntry = {
    v: 2,
    id: e.id,
    vendor: e.vendor,
    system_id: e.system_id,
    customer_id: e.customer_id,
    site_id: e.site_id,
    native_type: e.source.native_type,
    native_id: e.source.native_id,
    fingerprint: d ? fingerprintOf(d) : null,
    name: d?.name ?? null,
    type: d?.type ?? null,
    parent_id: d?.parent_id ?? null,
    status: e.status,
    status_at: e.status_at,
    status_changed_at: e.status_changed_at,
    last_seen: e.last_seen,
    reason: e.reason,
    last_sync_id: e.last_sync_id,
    last_sync_seq: e.last_sync_seq,
    last_device_seq: e.last_device_seq,
    removed_at: e.removed_at,
    outbox: e.outbox,
  };
  return { entry, document: d };
}

/** The `source` of an entry's messages. */
export function sourceOf(e: RegistryEntry): Source {
  return { vendor: e.vendor, system_id: e.system_id, native_type: e.native_type, native_id: e.native_id };
}

/** Per-system sync bookkeeping: the last sync seen and the outcome of the last `sync.end`. */
export const SystemRecord = z.object({
  v: z.literal(1),
  vendor: IdToken,
  system_id: IdToken,
  current_sync_id: z.string().nullable(),
  /** Raw stream sequence of the current sync's `sync.begin` (null when it was not seen). */
  current_sync_begin_seq: z.number().int().nonnegative().nullable(),
  current_sync_started_at: UtcTimestamp.nullable(),
  last_end: z
    .object({
      sync_id: z.string(),
      count: z.number().int().nonnegative(),
      received: z.number().int().nonnegative(),
      removed_count: z.number().int().nonnegative(),
      complete: z.boolean(),
      finished_at: UtcTimestamp,
      failed_types: z.array(FailedType).optional(),
      /** The canonical `sync.end` body as published, re-sent unchanged on redelivery. */
      body: z.string(),
    })
    .nullable(),
  /** Removals the removal guard holds back (removal-guard.ts). */
  held_removals: HeldRemovals.nullable().default(null),
  outbox: z.array(PendingEmission).default([]),
});
export type SystemRecord = z.infer<typeof SystemRecord>;

const SAFE = /[A-Za-z0-9_-]/;

/** One id segment as a KV key token: letters, digits, `_`, `-` kept; anything else `=HH` (UTF-8). */
function encodeToken(s: string): string {
  if (s === '') return '=';
  let out = '';
  for (const ch of s) {
    if (SAFE.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * KV key of a device: `dev.` + the canonical id with `:` as the token separator
 * (`onguard:og-main:reader:12` → `dev.onguard.og-main.reader.12`). KV keys allow only
 * `[-/_=.A-Za-z0-9]`, so other characters are escaped; the value carries the real id.
 */
export function deviceKey(id: string): string {
  return `dev.${id.split(':').map(encodeToken).join('.')}`;
}

/** KV key of a device's document (the canonical device as last listed). */
export function documentKey(id: string): string {
  return `doc${deviceKey(id).slice(3)}`;
}

/** KV key of a system record. */
export function systemKey(vendor: string, systemId: string): string {
  return `sys.${encodeToken(vendor)}.${encodeToken(systemId)}`;
}
