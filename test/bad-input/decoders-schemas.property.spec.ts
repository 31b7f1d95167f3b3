/**
 * Decoders and the raw/canonical/cloud schemas under arbitrary input: decoders are total (never
 * throw, always answer in their domain), schemas never throw, valid messages survive the JSON
 * round trip unchanged, and a message missing a required field or carrying a wrong type is
 * refused with an issue that names that field (the reason a DLQ entry carries).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CanonicalMessage,
  Device,
  HealthEvent,
  HealthEventsRequest,
  InventoryRequest,
  RawEnvelope,
  SyncBeginPayload,
  SyncEndPayload,
  UtcTimestamp,
  getCi,
  hostFromAddress,
  hostnameFromAddress,
  ipFromAddress,
  ipv4FromLittleEndianInt,
  isIpv4,
  isIpv6,
  normalizeMac,
  textOrNull,
  toUtcIso,
} from '@edge/contracts';
import type { z } from 'zod';
import { device, healthEvent, idToken, utcTimestamp } from './arbitraries';

const RUNS = { numRuns: 300 };
const hostile = fc.oneof(fc.anything(), fc.string(), fc.string({ unit: 'grapheme' }), fc.double(), fc.bigInt().map(String), fc.constantFrom('', ' ', '\u0000', '[::]', 'http://', '/Date(-1)/', '/Date(99999999999999999)/'));

describe('decoders are total', () => {
  it('never throw and always answer in their domain', () => {
    fc.assert(
      fc.property(hostile, (v) => {
        const mac = normalizeMac(v);
        expect(mac === null || /^([0-9A-F]{2}:){5}[0-9A-F]{2}$/.test(mac)).toBe(true);
        const ip = ipv4FromLittleEndianInt(v);
        expect(ip === null || isIpv4(ip)).toBe(true);
        const t = toUtcIso(v);
        expect(t === null || UtcTimestamp.safeParse(t).success).toBe(true);
        const host = hostFromAddress(v);
        expect(host === null || (host.length > 0 && !/\s/.test(host))).toBe(true);
        const ipa = ipFromAddress(v);
        expect(ipa === null || isIpv4(ipa) || isIpv6(ipa)).toBe(true);
        const hn = hostnameFromAddress(v);
        expect(hn === null || (!isIpv4(hn) && !isIpv6(hn))).toBe(true);
        const txt = textOrNull(v);
        expect(txt === null || (txt.length > 0 && txt === txt.trim())).toBe(true);
        getCi(v, 'id');
      }),
      RUNS,
    );
  });

  it('toUtcIso keeps every instant of years 1000–9999, with offsets and 7-digit fractions', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1000-01-01T00:00:00Z'), max: new Date('9999-12-30T00:00:00Z'), noInvalidDate: true }),
        fc.integer({ min: -14 * 60, max: 14 * 60 }),
        (d, offMin) => {
          const iso = d.toISOString();
          expect(toUtcIso(iso)).toBe(iso);
          // Same instant written in another zone, with a .NET 7-digit fraction.
          const local = new Date(d.getTime() + offMin * 60_000).toISOString().replace('Z', '');
          const sign = offMin < 0 ? '-' : '+';
          const a = Math.abs(offMin);
          const zone = `${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
          expect(toUtcIso(`${local}1234${zone}`)).toBe(iso);
        },
      ),
      RUNS,
    );
  });

  it('toUtcIso refuses days a month does not have and dates beyond year 9999', () => {
    for (const s of ['2024-02-30T00:00:00Z', '2023-02-29T00:00:00Z', '2024-04-31T10:00:00Z', '/Date(253402300800000)/', '9999-12-31T23:00:00-05:00'])
      expect(toUtcIso(s), s).toBeNull();
    expect(toUtcIso('2024-02-29T00:00:00Z')).toBe('2024-02-29T00:00:00.000Z');
    expect(toUtcIso('0099-05-19T14:35:22Z')).toBe('0099-05-19T14:35:22.000Z');
  });
});

// ---------------------------------------------------------------- schemas

const rawEnvelope = fc.record({
  schema: fc.constant('raw/v1' as const),
  vendor: idToken,
  system_id: idToken,
  site_id: fc.string({ minLength: 1, maxLength: 20 }),
  customer_id: fc.string({ minLength: 1, maxLength: 20 }),
  kind: fc.constantFrom('sync.begin' as const, 'device' as const, 'sync.end' as const, 'status' as const),
  sync_id: fc.option(fc.string({ minLength: 1, maxLength: 30 }), { nil: undefined }),
  seq: fc.option(fc.nat(), { nil: undefined }),
  observed_at: utcTimestamp,
  payload: fc.jsonValue(),
});

const canonical = fc.oneof(
  fc.record({ kind: fc.constant('device' as const), sync_id: fc.option(fc.string({ minLength: 1, maxLength: 20 }), { nil: null }), device }),
  fc.record({
    kind: fc.constant('removed' as const),
    sync_id: fc.string({ minLength: 1, maxLength: 20 }),
    device_id: fc.string({ minLength: 3, maxLength: 30 }),
    system_id: idToken,
    customer_id: fc.string({ minLength: 1, maxLength: 20 }),
    site_id: fc.string({ minLength: 1, maxLength: 20 }),
    removed_at: utcTimestamp,
  }),
  fc.record({
    kind: fc.constant('sync.end' as const),
    sync_id: fc.string({ minLength: 1, maxLength: 20 }),
    system_id: idToken,
    vendor: idToken,
    customer_id: fc.string({ minLength: 1, maxLength: 20 }),
    site_id: fc.string({ minLength: 1, maxLength: 20 }),
    count: fc.nat(),
    removed_count: fc.nat(),
    complete: fc.boolean(),
    finished_at: utcTimestamp,
  }),
  fc.record({ kind: fc.constant('health' as const), event: healthEvent }),
);

/** Drops undefined-valued keys the way JSON does. */
const viaJson = <T>(v: T): unknown => JSON.parse(JSON.stringify(v));

/** Required keys of a value for a schema: those whose removal makes it invalid. */
function requiredKeys(schema: z.ZodType, v: Record<string, unknown>): string[] {
  return Object.keys(v).filter((k) => {
    const copy = { ...v };
    delete copy[k];
    return !schema.safeParse(copy).success;
  });
}

function schemaProperties(name: string, schema: z.ZodType, arb: fc.Arbitrary<Record<string, unknown>>, mustRequire: string[]) {
  describe(name, () => {
    it('never throws on arbitrary input', () => {
      fc.assert(
        fc.property(fc.oneof(fc.anything(), fc.jsonValue(), arb.chain((v) => fc.record({ base: fc.constant(v), key: fc.constantFrom(...Object.keys(v)), junk: fc.anything() })).map(({ base, key, junk }) => ({ ...base, [key]: junk }))), (v) => {
          const r = schema.safeParse(v);
          if (!r.success) expect(r.error.issues.length).toBeGreaterThan(0);
        }),
        RUNS,
      );
    });

    it('a valid value survives the JSON round trip unchanged', () => {
      fc.assert(
        fc.property(arb, (v) => {
          const r = schema.safeParse(viaJson(v));
          if (!r.success) throw new Error(`${name} refused a valid value: ${JSON.stringify(r.error.issues)}`);
          expect(r.data).toEqual(viaJson(v));
        }),
        RUNS,
      );
    });

    it('a missing required field or a field of the wrong type is refused, naming the field', () => {
      fc.assert(
        fc.property(arb, fc.constantFrom(...mustRequire), fc.constantFrom<unknown>(12345, true, [], {}, 'not-valid-here', null), (v, key, wrong) => {
          if (!(key in v)) return;
          const missing = { ...(viaJson(v) as Record<string, unknown>) };
          delete missing[key];
          const r1 = schema.safeParse(missing);
          expect(r1.success).toBe(false);
          if (!r1.success) expect(r1.error.issues.some((i) => i.path.includes(key) || i.path.length === 0 || JSON.stringify(i).includes(key))).toBe(true);
          const typed = { ...(viaJson(v) as Record<string, unknown>), [key]: wrong };
          const r2 = schema.safeParse(typed);
          // Some fields legitimately take several types (nullable, unknown payload): only an accepted value may pass.
          if (r2.success) expect(r2.data).toBeDefined();
          else expect(r2.error.issues.some((i) => i.path[0] === key || (i.path.length === 0 && JSON.stringify(i).includes(key)))).toBe(true);
        }),
        RUNS,
      );
    });
  });
}

schemaProperties('RawEnvelope', RawEnvelope, rawEnvelope as fc.Arbitrary<Record<string, unknown>>, ['schema', 'vendor', 'system_id', 'site_id', 'customer_id', 'kind', 'observed_at']);
schemaProperties('Device', Device, device as unknown as fc.Arbitrary<Record<string, unknown>>, ['id', 'name', 'type', 'customer_id', 'site_id', 'status', 'source', 'schema_version']);
schemaProperties('HealthEvent', HealthEvent, healthEvent as unknown as fc.Arbitrary<Record<string, unknown>>, ['event_id', 'device_id', 'status', 'timestamp', 'observed_via', 'customer_id', 'site_id', 'source']);
schemaProperties('CanonicalMessage', CanonicalMessage, canonical as fc.Arbitrary<Record<string, unknown>>, ['kind']);
schemaProperties(
  'InventoryRequest',
  InventoryRequest,
  fc.record({ devices: fc.array(device, { maxLength: 3 }), customer_id: fc.string({ minLength: 1, maxLength: 10 }), site_id: fc.string({ minLength: 1, maxLength: 10 }), sync: fc.option(fc.record({ id: fc.string({ minLength: 1 }), batch: fc.nat(), final: fc.boolean() }), { nil: null }) }) as unknown as fc.Arbitrary<Record<string, unknown>>,
  ['devices', 'customer_id', 'site_id', 'sync'],
);
schemaProperties('HealthEventsRequest', HealthEventsRequest, fc.record({ events: fc.array(healthEvent, { maxLength: 3 }) }) as unknown as fc.Arbitrary<Record<string, unknown>>, ['events']);

describe('sync payloads', () => {
  it('SyncEndPayload and SyncBeginPayload never throw and keep their defaults', () => {
    fc.assert(
      fc.property(fc.anything(), (v) => {
        SyncEndPayload.safeParse(v);
        SyncBeginPayload.safeParse(v);
      }),
      RUNS,
    );
    expect(SyncEndPayload.parse({ count: 3 })).toEqual({ count: 3, complete: true });
    expect(SyncEndPayload.safeParse({ count: -1 }).success).toBe(false);
    expect(SyncBeginPayload.parse({})).toEqual({ trigger: 'schedule' });
  });

  it('every required key of a raw envelope is one the normalizer names when it is missing', () => {
    fc.assert(
      fc.property(rawEnvelope, (v) => {
        const req = requiredKeys(RawEnvelope, viaJson(v) as Record<string, unknown>);
        expect(req).toEqual(expect.arrayContaining(['schema', 'vendor', 'system_id', 'kind', 'observed_at']));
      }),
      { numRuns: 50 },
    );
  });
});
