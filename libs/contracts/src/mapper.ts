import { z } from 'zod';
import { DeviceStatus, UtcTimestamp, type Device } from './device';
import { ObservedVia } from './health-event';
import type { RawEnvelope } from './raw-envelope';

/** What a mapper is told besides the payload: the envelope's identity fields. */
export interface MapContext {
  vendor: string;
  system_id: string;
  site_id: string;
  customer_id: string;
  /** When the collector observed it (UTC ISO). */
  observed_at: string;
  sync_id?: string;
}

export function mapContextOf(env: RawEnvelope): MapContext {
  return {
    vendor: env.vendor,
    system_id: env.system_id,
    site_id: env.site_id,
    customer_id: env.customer_id,
    observed_at: env.observed_at,
    sync_id: env.sync_id,
  };
}

/**
 * One status fact about one device, as a vendor reported it — what `mapStatus` returns. The
 * normalizer validates mapper output against this schema too (mappers are code; code has bugs).
 */
export const StatusObservation = z.object({
  device_id: z.string().min(3),
  status: DeviceStatus,
  /** When the status took effect (vendor time in UTC ISO, else observed_at). */
  timestamp: UtcTimestamp,
  reason: z.string().nullable(),
  observed_via: ObservedVia.exclude(['sync']),
  /** Vendor's own id of the event, when it has one: makes the health event id stable. */
  native_event_id: z.string().nullable().optional(),
  native_type: z.string().min(1),
  native_id: z.string().min(1),
  /** True when the device was seen alive (refreshes last_seen even without a change). */
  alive_evidence: z.boolean().optional(),
});
export type StatusObservation = z.infer<typeof StatusObservation>;

/**
 * A vendor mapper: raw schemas plus pure functions. Registered once per vendor; the normalizer
 * looks it up by `vendor` and never branches on vendor names itself.
 */
export interface VendorMapper<RawDevice = unknown, RawStatus = unknown> {
  readonly vendor: string;
  /** Validates a `device` envelope's payload. */
  readonly deviceSchema: z.ZodType<RawDevice>;
  /** Validates a `status` envelope's payload. */
  readonly statusSchema: z.ZodType<RawStatus>;
  /** One composed raw device → one canonical device. Must be pure and deterministic. */
  mapDevice(payload: RawDevice, ctx: MapContext): Device;
  /** One status payload → zero or more observations (a baseline may carry many rows). */
  mapStatus(payload: RawStatus, ctx: MapContext): StatusObservation[];
}

/** Registry keyed by vendor, filled by one registration line per vendor. */
export class MapperRegistry {
  private readonly byVendor = new Map<string, VendorMapper>();
  register(mapper: VendorMapper<unknown, unknown>): this {
    if (this.byVendor.has(mapper.vendor)) throw new Error(`mapper for vendor "${mapper.vendor}" registered twice`);
    this.byVendor.set(mapper.vendor, mapper);
    return this;
  }
  get(vendor: string): VendorMapper | undefined {
    return this.byVendor.get(vendor);
  }
  vendors(): string[] {
    return [...this.byVendor.keys()].sort();
  }
}
