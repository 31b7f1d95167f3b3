/**
 * fast-check generators of what vendors and other hops can hand us: plausible shapes with hostile
 * values (wrong types, empty strings, odd casing, huge numbers, timestamps out of range), so the
 * properties exercise the code paths real payloads take rather than only random noise.
 */
import fc from 'fast-check';
import { DEVICE_STATUSES, DEVICE_TYPES, type Device, type HealthEvent, type MapContext } from '@edge/contracts';

export const idToken = fc.stringMatching(/^[A-Za-z0-9_-]{1,24}$/);

/** Timestamps as vendors write them, plus the values that break naive parsers. */
export const vendorTime = fc.oneof(
  fc.date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2090-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2050-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().replace('Z', '+05:30')),
  fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2050-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().replace(/\.\d+Z$/, '.1234567-05:00')),
  fc.integer({ min: 0, max: 8_640_000_000_000_000 }).map((ms) => `/Date(${ms})/`),
  fc.constantFrom('0001-01-01T00:00:00', '9999-12-31T23:59:59Z', '2024-13-45T99:99:99Z', '', ' ', 'yesterday', '2024-05-19', '0099-05-19T14:35:22Z', '+275760-09-13T00:00:00.000Z'),
  fc.string({ maxLength: 30 }),
);

export const utcTimestamp = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2090-01-01T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString());

/** A property value of a vendor object: right type, wrong type, or nothing useful. */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: -5, max: 5000 }),
  fc.integer(),
  fc.double(),
  fc.stringMatching(/^-?0*\d{1,6}$/),
  fc.string({ maxLength: 40 }),
  fc.constantFrom('', '   ', 'true', 'False', '1', '0', 'NaN', 'null', '00:1B:44:11:3A:B7', '00000000-0000-0000-0000-000000000000'),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
);

/** A map with some well-known property names (in random casing) and some random ones. */
export function propertyMap(names: string[]): fc.Arbitrary<Record<string, unknown>> {
  const known = fc.constantFrom(...names).chain((n) => fc.constantFrom(n, n.toLowerCase(), n.toUpperCase()));
  return fc.dictionary(fc.oneof({ weight: 4, arbitrary: known }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) }), anyValue, { maxKeys: 10 });
}

export const mapContext: fc.Arbitrary<MapContext> = fc.record({
  vendor: fc.constant('x'),
  system_id: idToken,
  site_id: idToken,
  customer_id: fc.string({ minLength: 1, maxLength: 30 }),
  observed_at: utcTimestamp,
  sync_id: fc.option(fc.string({ minLength: 1, maxLength: 40 }), { nil: undefined }),
});

const nullableText = fc.option(fc.string({ maxLength: 30 }), { nil: null });

export const device: fc.Arbitrary<Device> = fc.record({
  id: fc.tuple(idToken, idToken, fc.string({ minLength: 1, maxLength: 20 })).map(([a, b, c]) => `${a}:${b}:${c}`),
  name: fc.string({ maxLength: 40 }),
  type: fc.constantFrom(...DEVICE_TYPES),
  customer_id: fc.string({ minLength: 1, maxLength: 20 }),
  site_id: fc.string({ minLength: 1, maxLength: 20 }),
  status: fc.constantFrom(...DEVICE_STATUSES),
  mac_address: fc.option(fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => [...b].map((x) => x.toString(16).padStart(2, '0').toUpperCase()).join(':')), { nil: null }),
  ip: nullableText,
  hostname: nullableText,
  location: nullableText,
  last_seen: fc.option(utcTimestamp, { nil: null }),
  status_changed_at: fc.option(utcTimestamp, { nil: null }),
  parent_id: nullableText,
  manufacturer: nullableText,
  model: nullableText,
  firmware: nullableText,
  serial: nullableText,
  source: fc.record({ vendor: idToken, system_id: idToken, native_type: fc.string({ minLength: 1, maxLength: 20 }), native_id: fc.string({ minLength: 1, maxLength: 20 }) }),
  schema_version: fc.constant(1 as const),
});

export const healthEvent: fc.Arbitrary<HealthEvent> = fc.record({
  event_id: fc.string({ minLength: 1, maxLength: 40 }),
  device_id: fc.string({ minLength: 3, maxLength: 40 }),
  status: fc.constantFrom(...DEVICE_STATUSES),
  timestamp: utcTimestamp,
  previous_status: fc.option(fc.constantFrom(...DEVICE_STATUSES), { nil: null }),
  reason: nullableText,
  observed_via: fc.constantFrom('event' as const, 'poll' as const, 'sync' as const),
  customer_id: fc.string({ minLength: 1, maxLength: 20 }),
  site_id: fc.string({ minLength: 1, maxLength: 20 }),
  source: fc.record({ vendor: idToken, system_id: idToken, native_type: fc.string({ minLength: 1, maxLength: 20 }), native_id: fc.string({ minLength: 1, maxLength: 20 }) }),
  schema_version: fc.constant(1 as const),
});

/** JSON with a bias to objects with the keys a schema looks at: what a confused producer sends. */
export function jsonish(keys: string[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.anything(),
    fc.jsonValue(),
    fc.dictionary(fc.constantFrom(...keys), fc.oneof(anyValue, fc.jsonValue()), { maxKeys: keys.length }),
  );
}
