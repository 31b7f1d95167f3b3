import { z } from 'zod';
import { IdToken, UtcTimestamp } from './device';

export const RAW_KINDS = ['sync.begin', 'device', 'sync.end', 'status'] as const;
export const RawKind = z.enum(RAW_KINDS);
export type RawKind = z.infer<typeof RawKind>;

/**
 * Collector → normalizer envelope (ARCHITECTURE §4.3). `payload` is the vendor's own data,
 * composed per device; the vendor lib's raw schema validates it in the normalizer.
 */
export const RawEnvelope = z.object({
  schema: z.literal('raw/v1'),
  vendor: IdToken,
  system_id: IdToken,
  site_id: z.string().min(1),
  customer_id: z.string().min(1),
  kind: RawKind,
  sync_id: z.string().min(1).optional(),
  seq: z.number().int().nonnegative().optional(),
  observed_at: UtcTimestamp,
  payload: z.unknown(),
});
export type RawEnvelope = z.infer<typeof RawEnvelope>;

/** Payload of a `sync.end` envelope. `complete: false` marks an interrupted sync. */
/** A native type the collector could not list in this sync, and why. */
export const FailedType = z.object({ type: z.string().min(1), reason: z.string() });
export type FailedType = z.infer<typeof FailedType>;

export const SyncEndPayload = z.object({
  count: z.number().int().nonnegative(),
  complete: z.boolean().default(true),
  error: z.string().optional(),
  /**
   * Native types this sync could not list (a partial sync): their devices are neither updated
   * nor removed by it; every other type is complete.
   */
  failed_types: z.array(FailedType).optional(),
});
export type SyncEndPayload = z.infer<typeof SyncEndPayload>;

/** Payload of a `sync.begin` envelope. */
export const SyncBeginPayload = z.object({
  trigger: z.enum(['startup', 'schedule', 'command', 'reconnect']).default('schedule'),
});
export type SyncBeginPayload = z.infer<typeof SyncBeginPayload>;
