import { z } from 'zod';
import { Device, DeviceStatus, DeviceType } from './device';

/**
 * `edge.<site>.cmd.dlq` — operator tooling over stream DLQ, answered by the forwarder and sent by
 * the CLI (`edge dlq list|show|replay`).
 */
export const DlqCommandRequest = z.discriminatedUnion('op', [
  z
    .object({
      op: z.literal('list'),
      limit: z.number().int().min(1).max(1000).optional(),
      from: z.number().int().min(1).optional().describe('first DLQ sequence to list'),
      stage: z.string().min(1).optional().describe('only entries of this stage (forwarder, normalizer, ...)'),
    })
    .strict(),
  z.object({ op: z.literal('show'), seq: z.number().int().min(1) }).strict(),
  z.object({ op: z.literal('replay'), seqs: z.array(z.number().int().min(1)).min(1).max(1000) }).strict(),
  z.object({ op: z.literal('replay-all'), stage: z.string().min(1).optional() }).strict(),
]);
export type DlqCommandRequest = z.infer<typeof DlqCommandRequest>;

/** One dead-lettered message as listed. */
export const DlqEntryView = z.object({
  seq: z.number().int(),
  subject: z.string(),
  stage: z.string(),
  original_subject: z.string(),
  original_seq: z.number().int().nullable(),
  reason: z.string(),
  kind: z.string(),
  at: z.string(),
  size: z.number().int(),
});
export type DlqEntryView = z.infer<typeof DlqEntryView>;

export const DlqCommandReply = z.object({
  ok: z.boolean(),
  service: z.string().optional(),
  error: z.string().optional(),
  size: z.object({ messages: z.number().int(), bytes: z.number().int() }).optional(),
  entries: z.array(DlqEntryView).optional(),
  entry: DlqEntryView.extend({ headers: z.record(z.string(), z.array(z.string())), data: z.string() }).optional(),
  replayed: z
    .array(
      z.object({
        seq: z.number().int(),
        ok: z.boolean(),
        subject: z.string().optional(),
        replayed_seq: z.number().int().optional(),
        error: z.string().optional(),
      }),
    )
    .optional(),
  replayed_count: z.number().int().optional(),
});
export type DlqCommandReply = z.infer<typeof DlqCommandReply>;

/**
 * `edge.<site>.cmd.devices` — the device registry as the normalizer holds it (the owner of the
 * registry answers; nobody else reads its storage layout). Sent by `edge devices`.
 */
export const DevicesCommandRequest = z
  .object({
    status: DeviceStatus.optional(),
    system: z.string().min(1).optional(),
    type: DeviceType.optional(),
    name: z.string().min(1).max(200).optional().describe('devices whose name or id contains this text (case-insensitive)'),
    removed: z.boolean().optional().describe('include devices a complete sync no longer lists'),
    counts_only: z.boolean().optional().describe('only `total` and `counts` (no sort, no device list)'),
    limit: z.number().int().min(1).max(100_000).optional(),
  })
  .strict();
export type DevicesCommandRequest = z.infer<typeof DevicesCommandRequest>;

/** One registry entry as listed: identity, live state, and the last canonical device (null while only status is known). */
export const RegistryDeviceView = z.object({
  id: z.string(),
  vendor: z.string(),
  system_id: z.string(),
  status: DeviceStatus,
  status_changed_at: z.string().nullable(),
  last_seen: z.string().nullable(),
  reason: z.string().nullable(),
  removed_at: z.string().nullable(),
  device: Device.nullable(),
});
export type RegistryDeviceView = z.infer<typeof RegistryDeviceView>;

export const DevicesCommandReply = z.object({
  ok: z.boolean(),
  service: z.string().optional(),
  error: z.string().optional(),
  /** Devices in the registry (removed ones excluded unless asked), before the limit. */
  total: z.number().int().nonnegative().optional(),
  counts: z.record(z.string(), z.number().int().nonnegative()).optional(),
  devices: z.array(RegistryDeviceView).optional(),
});
export type DevicesCommandReply = z.infer<typeof DevicesCommandReply>;

/**
 * `edge.<site>.cmd.health` — recent health events and the offline/degraded counts over time per
 * system, as the normalizer (the owner of the registry) saw them. Sent by the status page.
 */
export const HealthCommandRequest = z
  .object({
    system: z.string().min(1).optional(),
    events: z.number().int().min(0).max(500).optional().describe('latest health events to return (default 50)'),
  })
  .strict();
export type HealthCommandRequest = z.infer<typeof HealthCommandRequest>;

export const TimelinePoint = z.object({ t: z.string(), offline: z.number().int(), degraded: z.number().int(), total: z.number().int() });
export type TimelinePoint = z.infer<typeof TimelinePoint>;

export const HealthCommandReply = z.object({
  ok: z.boolean(),
  service: z.string().optional(),
  error: z.string().optional(),
  bucket_s: z.number().int().optional(),
  timeline: z.record(z.string(), z.array(TimelinePoint)).optional(),
  events: z
    .array(z.object({ device_id: z.string(), system_id: z.string(), name: z.string().nullable(), status: z.string(), previous_status: z.string().nullable(), reason: z.string().nullable(), timestamp: z.string(), observed_via: z.string() }))
    .optional(),
});
export type HealthCommandReply = z.infer<typeof HealthCommandReply>;
