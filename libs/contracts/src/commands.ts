import { z } from 'zod';

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
