import { z } from 'zod';
import { gatherReplies, type NatsConnection } from '@edge/platform';
import { subjects } from '@edge/contracts';

/**
 * What the CLI reads of the `edge.<site>.cmd.status` replies. Every service answers with its
 * /status snapshot; only the parts shown are validated, the rest passes through (services add
 * fields without breaking the CLI).
 */
const SyncReport = z
  .object({
    sync_id: z.string(),
    trigger: z.string().optional(),
    started_at: z.string(),
    finished_at: z.string().nullable(),
    devices: z.number(),
    complete: z.boolean().nullable(),
    duration_ms: z.number().nullable().optional(),
    error: z.string().nullable().optional(),
  })
  .passthrough();
export type SyncReport = z.infer<typeof SyncReport>;

export const SystemStatus = z
  .object({
    system_id: z.string(),
    vendor: z.string(),
    state: z.object({ connection: z.string(), events: z.string().optional(), last_error: z.string().nullable().optional() }).passthrough(),
    syncing: z.boolean().optional(),
    last_sync: SyncReport.nullable().optional(),
    last_complete_sync: SyncReport.nullable().optional(),
    last_error: z.string().nullable().optional(),
  })
  .passthrough();
export type SystemStatus = z.infer<typeof SystemStatus>;

const ServiceInfo = z
  .object({ name: z.string(), version: z.string().optional(), uptime_s: z.number().optional(), rss_mb: z.number().optional() })
  .passthrough();

const Backlog = z.object({ messages: z.number().optional(), pending: z.number().optional(), oldest_age_s: z.number().nullable().optional() }).passthrough();

/** A service's /status snapshot (the sections the CLI shows). */
export const StatusSnapshot = z
  .object({
    service: ServiceInfo.optional(),
    systems: z.array(SystemStatus).optional(),
    normalizer: z.object({ processed: z.number().optional(), emitted: z.record(z.string(), z.number()).optional() }).passthrough().optional(),
    forwarder: z
      .object({
        alert: z.string().nullable().optional(),
        delivered: z.record(z.string(), z.number()).optional(),
        circuit: z.object({ state: z.string() }).passthrough().optional(),
        backlog: Backlog.nullable().optional(),
        dlq: z.object({ messages: z.number() }).passthrough().nullable().optional(),
      })
      .passthrough()
      .optional(),
  })
  .passthrough();

/** One answer to cmd.status: `{ service, status: <snapshot> }`. */
const StatusAnswer = z.object({ service: z.string(), status: StatusSnapshot });

export type StatusReply = z.infer<typeof StatusSnapshot> & { name: string };

export function serviceName(r: StatusReply): string {
  return r.name;
}

export function serviceInfo(r: StatusReply): z.infer<typeof ServiceInfo> | null {
  return r.service ?? null;
}

/** Scatter/gather of `edge.<site>.cmd.status`: one reply per running service instance, sorted by name. */
export async function gatherStatus(nc: NatsConnection, siteId: string, waitMs: number): Promise<{ replies: StatusReply[]; invalid: number }> {
  const raw = await gatherReplies<unknown>(nc, subjects.cmdStatus(siteId), {}, waitMs);
  const replies: StatusReply[] = [];
  let invalid = 0;
  for (const r of raw) {
    const p = StatusAnswer.safeParse(r);
    if (p.success) replies.push({ ...p.data.status, name: p.data.service });
    else invalid++;
  }
  replies.sort((a, b) => serviceName(a).localeCompare(serviceName(b)));
  return { replies, invalid };
}

/** Every system reported by the collectors that answered. */
export function systemsOf(replies: StatusReply[]): SystemStatus[] {
  return replies.flatMap((r) => r.systems ?? []).sort((a, b) => a.system_id.localeCompare(b.system_id));
}

export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '-';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 90) return `${s}s ago`;
  if (s < 5400) return `${Math.round(s / 60)}m ago`;
  if (s < 129_600) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86_400)}d ago`;
}

export function duration(seconds: number | undefined): string {
  if (seconds === undefined) return '-';
  if (seconds < 90) return `${Math.round(seconds)}s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)}m`;
  if (seconds < 129_600) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}
