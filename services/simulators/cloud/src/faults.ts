import { z } from 'zod';
import { CLOUD_PATHS } from '@edge/contracts';

const CloudPath = z.enum([CLOUD_PATHS.inventory, CLOUD_PATHS.healthEvents, CLOUD_PATHS.heartbeat]);
/** `Retry-After` as sent: whole seconds, or an HTTP date (string). */
const RetryAfter = z.union([z.number().int().nonnegative(), z.string().min(1)]);

/**
 * Fault injection, set through `POST /_sim/faults` (merged into what is active) or
 * `sim.faults.set(...)`. Faults apply to the ingest API (`/v1/*`) only, never to `/_sim/*`.
 */
export const FaultSpec = z
  .object({
    fail_next: z
      .object({
        count: z.number().int().min(1),
        status: z.number().int().min(400).max(599),
        retry_after: RetryAfter.optional(),
        path: CloudPath.optional().describe('only requests to this path (default: any /v1 path)'),
      })
      .strict()
      .optional()
      .describe('answer the next `count` requests with `status` (and Retry-After)'),
    latency_ms: z.number().int().nonnegative().optional().describe('delay before every answer'),
    reset_next: z.number().int().nonnegative().optional().describe('destroy the connection of the next N requests without answering'),
    down: z
      .object({
        for_ms: z.number().int().min(1),
        mode: z.enum(['503', 'refuse']).default('503').describe('503: answer 503 to everything; refuse: stop listening (connection refused)'),
        retry_after: RetryAfter.optional(),
      })
      .strict()
      .optional()
      .describe('the cloud is down for a period'),
    reject_token: z
      .union([z.boolean(), z.literal(401), z.literal(403)])
      .optional()
      .describe('reject every token (true/401: 401, 403: 403); false restores'),
    reject_ids: z.array(z.string().min(1)).optional().describe('items with these ids are refused with 422 and an `items` list'),
    max_body_bytes: z.number().int().min(1).optional().describe('bodies above this size get 413'),
  })
  .strict();
export type FaultSpec = z.input<typeof FaultSpec>;

export interface ActiveFaults {
  fail_next: { remaining: number; status: number; retry_after?: number | string; path?: string } | null;
  latency_ms: number;
  reset_next: number;
  down: { until: number; mode: '503' | 'refuse'; retry_after?: number | string } | null;
  reject_token: false | 401 | 403;
  reject_ids: Set<string>;
  max_body_bytes: number | null;
}

export function noFaults(): ActiveFaults {
  return { fail_next: null, latency_ms: 0, reset_next: 0, down: null, reject_token: false, reject_ids: new Set(), max_body_bytes: null };
}

/** Merges a (validated) spec into the active faults: fields present replace, fields absent stay. */
export function applyFaults(active: ActiveFaults, input: unknown, now = Date.now()): ActiveFaults {
  const spec = FaultSpec.parse(input);
  if (spec.fail_next)
    active.fail_next = { remaining: spec.fail_next.count, status: spec.fail_next.status, retry_after: spec.fail_next.retry_after, path: spec.fail_next.path };
  if (spec.latency_ms !== undefined) active.latency_ms = spec.latency_ms;
  if (spec.reset_next !== undefined) active.reset_next = spec.reset_next;
  if (spec.down) active.down = { until: now + spec.down.for_ms, mode: spec.down.mode, retry_after: spec.down.retry_after };
  if (spec.reject_token !== undefined) active.reject_token = spec.reject_token === true ? 401 : spec.reject_token;
  if (spec.reject_ids) active.reject_ids = new Set(spec.reject_ids);
  if (spec.max_body_bytes !== undefined) active.max_body_bytes = spec.max_body_bytes;
  return active;
}

export function describeFaults(a: ActiveFaults, now = Date.now()) {
  return {
    fail_next: a.fail_next,
    latency_ms: a.latency_ms,
    reset_next: a.reset_next,
    down: a.down && a.down.until > now ? { mode: a.down.mode, remaining_ms: a.down.until - now, retry_after: a.down.retry_after ?? null } : null,
    reject_token: a.reject_token,
    reject_ids: [...a.reject_ids],
    max_body_bytes: a.max_body_bytes,
  };
}
