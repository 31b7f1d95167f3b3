import { z } from 'zod';
import { Device, IdToken, UtcTimestamp } from './device';
import { HealthEvent } from './health-event';
import { FailedType } from './raw-envelope';

/**
 * What the normalizer publishes to stream CANONICAL and the forwarder consumes.
 * `canonical.inventory.<site>` carries device / removed / sync.end; `canonical.health.<site>` carries health.
 */
export const CanonicalDeviceMessage = z.object({
  kind: z.literal('device'),
  sync_id: z.string().min(1).nullable().describe('null when the device was updated outside an inventory sync'),
  device: Device,
});
export const CanonicalRemovedMessage = z.object({
  kind: z.literal('removed'),
  sync_id: z.string().min(1),
  device_id: z.string().min(3),
  system_id: IdToken,
  customer_id: z.string().min(1),
  site_id: z.string().min(1),
  removed_at: UtcTimestamp,
});
export const CanonicalSyncEndMessage = z.object({
  kind: z.literal('sync.end'),
  sync_id: z.string().min(1),
  system_id: IdToken,
  vendor: IdToken,
  customer_id: z.string().min(1),
  site_id: z.string().min(1),
  count: z.number().int().nonnegative(),
  removed_count: z.number().int().nonnegative(),
  complete: z.boolean(),
  finished_at: UtcTimestamp,
  /** Native types this sync could not list: their devices were kept as they were. */
  failed_types: z.array(FailedType).optional(),
});
export const CanonicalHealthMessage = z.object({
  kind: z.literal('health'),
  event: HealthEvent,
});

export const CanonicalMessage = z.discriminatedUnion('kind', [
  CanonicalDeviceMessage,
  CanonicalRemovedMessage,
  CanonicalSyncEndMessage,
  CanonicalHealthMessage,
]);
export type CanonicalDeviceMessage = z.infer<typeof CanonicalDeviceMessage>;
export type CanonicalRemovedMessage = z.infer<typeof CanonicalRemovedMessage>;
export type CanonicalSyncEndMessage = z.infer<typeof CanonicalSyncEndMessage>;
export type CanonicalHealthMessage = z.infer<typeof CanonicalHealthMessage>;
export type CanonicalMessage = z.infer<typeof CanonicalMessage>;
