import { z } from 'zod';

/** Device types of the canonical inventory (ARCHITECTURE §4.1). */
export const DEVICE_TYPES = [
  'camera',
  'access_control',
  'access_panel',
  'intrusion_panel',
  'recorder',
  'io_module',
  'input',
  'output',
  'microphone',
  'speaker',
  'server',
  'other',
] as const;
export const DeviceType = z.enum(DEVICE_TYPES);
export type DeviceType = z.infer<typeof DeviceType>;

export const DEVICE_STATUSES = ['online', 'offline', 'degraded', 'disabled', 'unknown'] as const;
export const DeviceStatus = z.enum(DEVICE_STATUSES);
export type DeviceStatus = z.infer<typeof DeviceStatus>;

/** UTC ISO-8601 with a `Z` suffix, as everything leaves the edge. */
export const UtcTimestamp = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/, 'must be a UTC ISO-8601 timestamp ending in Z');

export const MacAddress = z
  .string()
  .regex(/^([0-9A-F]{2}:){5}[0-9A-F]{2}$/, 'must be a MAC address in 00:1B:44:11:3A:B7 form');

/** Identifier segment usable inside NATS subjects and canonical ids. */
export const IdToken = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'must use only letters, digits, "_" and "-"');

export const Source = z.object({
  vendor: IdToken,
  system_id: IdToken,
  native_type: z.string().min(1),
  native_id: z.string().min(1),
});
export type Source = z.infer<typeof Source>;

export const Device = z.object({
  id: z.string().min(3).describe('<vendor>:<system_id>:<native key>; stable across syncs'),
  name: z.string(),
  type: DeviceType,
  customer_id: z.string().min(1),
  site_id: z.string().min(1),
  status: DeviceStatus,
  mac_address: MacAddress.nullable(),
  ip: z.string().nullable(),
  hostname: z.string().nullable(),
  location: z.string().nullable(),
  last_seen: UtcTimestamp.nullable(),
  status_changed_at: UtcTimestamp.nullable(),
  parent_id: z.string().nullable(),
  manufacturer: z.string().nullable(),
  model: z.string().nullable(),
  firmware: z.string().nullable(),
  serial: z.string().nullable(),
  source: Source,
  schema_version: z.literal(1),
});
export type Device = z.infer<typeof Device>;

/** Builds the canonical id `<vendor>:<system_id>:<native key...>`. */
export function deviceId(vendor: string, systemId: string, ...nativeKey: Array<string | number>): string {
  if (nativeKey.length === 0) throw new Error('deviceId needs a native key');
  return [vendor, systemId, ...nativeKey.map(String)].join(':');
}
