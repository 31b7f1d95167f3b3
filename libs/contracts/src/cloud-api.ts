import { z } from 'zod';
import { Device, IdToken, UtcTimestamp } from './device';
import { HealthEvent } from './health-event';

/** ARCHITECTURE §4.4 — the API the forwarder speaks and the cloud simulator implements. */
export const CLOUD_PATHS = {
  inventory: '/v1/inventory',
  healthEvents: '/v1/health-events',
  heartbeat: '/v1/heartbeat',
} as const;

export const SyncRef = z.object({
  id: z.string().min(1),
  batch: z.number().int().nonnegative().describe('0-based batch number within the sync'),
  final: z.boolean().describe('true on the last batch: the cloud then holds the complete list'),
  system_id: IdToken.optional(),
  total: z.number().int().nonnegative().optional().describe('device count of the sync, on the final batch'),
  complete: z
    .boolean()
    .optional()
    .describe('false when the sync was interrupted: the list is partial and nothing was removed'),
});
export type SyncRef = z.infer<typeof SyncRef>;

export const RemovedDevice = z.object({
  id: z.string().min(3),
  removed_at: UtcTimestamp,
  reason: z.literal('absent_from_complete_sync'),
});
export type RemovedDevice = z.infer<typeof RemovedDevice>;

export const InventoryRequest = z.object({
  devices: z.array(Device),
  removed: z
    .array(RemovedDevice)
    .optional()
    .describe('devices of the system that a complete sync no longer lists'),
  customer_id: z.string().min(1),
  site_id: z.string().min(1),
  sync: SyncRef.nullable().describe('null for device updates outside a full sync (first appearance between syncs)'),
});
export type InventoryRequest = z.infer<typeof InventoryRequest>;

export const HealthEventsRequest = z.object({
  events: z.array(HealthEvent),
});
export type HealthEventsRequest = z.infer<typeof HealthEventsRequest>;

export const CONNECTION_STATES = ['connected', 'connecting', 'disconnected', 'auth_failed', 'unknown'] as const;
export const ConnectionState = z.enum(CONNECTION_STATES);
export type ConnectionState = z.infer<typeof ConnectionState>;

export const HeartbeatSystem = z.object({
  system_id: IdToken,
  vendor: IdToken,
  connection: ConnectionState,
  last_sync_at: UtcTimestamp.nullable(),
  last_sync_id: z.string().nullable(),
  last_sync_devices: z.number().int().nonnegative().nullable(),
  last_error: z.string().nullable(),
  /** What the integrator should see about this system: a feature its version lacks, removals held, … */
  notices: z.array(z.string()).optional(),
  /** Types the last sync could not list (a partial sync), with the reason. */
  failed_types: z.array(z.object({ type: z.string(), reason: z.string() })).optional(),
  /** The vendor server's product version, when the collector read it. */
  server_version: z.string().nullable().optional(),
});
export type HeartbeatSystem = z.infer<typeof HeartbeatSystem>;

export const HeartbeatRequest = z.object({
  edge_id: z.string().min(1),
  site_id: z.string().min(1),
  customer_id: z.string().min(1),
  version: z.string().min(1),
  sent_at: UtcTimestamp,
  uptime_s: z.number().nonnegative(),
  systems: z.array(HeartbeatSystem),
  backlog: z.object({
    messages: z.number().int().nonnegative(),
    bytes: z.number().int().nonnegative(),
    oldest_age_s: z.number().nonnegative().nullable(),
  }),
  dlq: z.object({ messages: z.number().int().nonnegative() }),
});
export type HeartbeatRequest = z.infer<typeof HeartbeatRequest>;

/** 2xx answer to every POST. */
export const IngestResponse = z.object({
  accepted: z.number().int().nonnegative(),
  duplicates: z.number().int().nonnegative(),
});
export type IngestResponse = z.infer<typeof IngestResponse>;

/** 4xx/5xx answer. `items` names the offending items of a batch (by index and id) on 400/422. */
export const CloudErrorResponse = z.object({
  error: z.string(),
  message: z.string(),
  items: z
    .array(
      z.object({
        index: z.number().int().nonnegative(),
        id: z.string().nullable(),
        issues: z.array(z.string()),
      }),
    )
    .optional(),
});
export type CloudErrorResponse = z.infer<typeof CloudErrorResponse>;
