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
    removed: z.boolean().optional().describe('include devices a complete sync no longer lists'),
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
