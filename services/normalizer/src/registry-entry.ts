import { z } from 'zod';
import { Device, DeviceStatus, FailedType, IdToken, Source, UtcTimestamp } from '@edge/contracts';
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
 * What the normalizer keeps per device in KV `devices` (and in its in-process cache).
 * `status_at` is the time of the newest knowledge behind `status`: an observation older than
 * it never rolls the state back. `last_sync_seq`/`last_device_seq` are raw stream sequences,
 * so a late redelivery of an older sync cannot take a device's membership back.
 */
export const RegistryEntry = z.object({
  v: z.literal(1),
  id: z.string().min(3),
  vendor: IdToken,
  system_id: IdToken,
  customer_id: z.string().min(1),
  site_id: z.string().min(1),
  source: Source,
  /** Last canonical device; null while the device is known only from status observations. */
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
export type RegistryEntry = z.infer<typeof RegistryEntry>;

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

/** KV key of a system record. */
export function systemKey(vendor: string, systemId: string): string {
  return `sys.${encodeToken(vendor)}.${encodeToken(systemId)}`;
}
