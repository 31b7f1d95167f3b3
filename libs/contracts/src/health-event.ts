import { z } from 'zod';
import { DeviceStatus, Source, UtcTimestamp } from './device';

export const OBSERVED_VIA = ['event', 'poll', 'sync'] as const;
export const ObservedVia = z.enum(OBSERVED_VIA);
export type ObservedVia = z.infer<typeof ObservedVia>;

export const HealthEvent = z.object({
  event_id: z.string().min(1).describe('deterministic: a redelivered observation yields the same id'),
  device_id: z.string().min(3),
  status: DeviceStatus,
  timestamp: UtcTimestamp.describe('when the change happened (vendor time, converted to UTC)'),
  previous_status: DeviceStatus.nullable(),
  reason: z.string().nullable(),
  observed_via: ObservedVia,
  customer_id: z.string().min(1),
  site_id: z.string().min(1),
  source: Source,
  schema_version: z.literal(1),
  edge_seq: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .describe('edge delivery sequence (JetStream stream sequence); orders events of one device together with timestamp'),
});
export type HealthEvent = z.infer<typeof HealthEvent>;
