/**
 * Properties every vendor mapper must keep whatever a vendor sends:
 *  - the raw schemas never throw (they accept or refuse with issues);
 *  - on a payload the schema accepts, mapping is deterministic and either yields a valid
 *    canonical device / valid observations bound to the envelope's system and customer, or
 *    throws an Error with a message (the normalizer dead-letters it) — never a half-valid result
 *    that would be dead-lettered as "invalid mapping" and take good rows with it.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Device, StatusObservation, type MapContext, type VendorMapper } from '@edge/contracts';
import { onguardMapper, ONGUARD_TYPES, VIDEO_RECORDER } from '@edge/vendor-onguard/mapper';
import { milestoneMapper, DEVICE_RESOURCE_TYPES, EVENT_TYPES, ZERO_GUID } from '@edge/vendor-milestone/mapper';
import { anyValue, jsonish, mapContext, propertyMap, vendorTime } from './arbitraries';

/** What the normalizer accepts from a mapper's mapStatus: the contract's schema. */
const Observation = StatusObservation;

const RUNS = { numRuns: 300 };

/** Runs `f`; a thrown Error with a message is an accepted outcome (→ DLQ), anything else fails. */
function mapsOrRefuses<T>(f: () => T): { value: T } | { error: Error } {
  try {
    return { value: f() };
  } catch (e) {
    expect(e).toBeInstanceOf(Error);
    expect((e as Error).message.length).toBeGreaterThan(0);
    return { error: e as Error };
  }
}

function checkDevice(mapper: VendorMapper, payload: unknown, ctx: MapContext): void {
  const parsed = mapper.deviceSchema.safeParse(payload);
  if (!parsed.success) {
    expect(parsed.error.issues.length).toBeGreaterThan(0);
    return;
  }
  const c = { ...ctx, vendor: mapper.vendor };
  const first = mapsOrRefuses(() => mapper.mapDevice(parsed.data, c));
  const again = mapsOrRefuses(() => mapper.mapDevice(parsed.data, c));
  expect(again).toEqual(first);
  if ('error' in first) return;
  const d = Device.safeParse(first.value);
  if (!d.success) throw new Error(`${mapper.vendor} mapped ${JSON.stringify(payload)} to an invalid device: ${JSON.stringify(d.error.issues)}`);
  expect(d.data.id.startsWith(`${mapper.vendor}:${ctx.system_id}:`)).toBe(true);
  expect(d.data.source).toMatchObject({ vendor: mapper.vendor, system_id: ctx.system_id });
  expect(d.data.customer_id).toBe(ctx.customer_id);
  expect(d.data.site_id).toBe(ctx.site_id);
}

function checkStatus(mapper: VendorMapper, payload: unknown, ctx: MapContext): void {
  const parsed = mapper.statusSchema.safeParse(payload);
  if (!parsed.success) return;
  const c = { ...ctx, vendor: mapper.vendor };
  const first = mapsOrRefuses(() => mapper.mapStatus(parsed.data, c));
  expect(mapsOrRefuses(() => mapper.mapStatus(parsed.data, c))).toEqual(first);
  if ('error' in first) return;
  expect(Array.isArray(first.value)).toBe(true);
  for (const o of first.value) {
    const p = Observation.safeParse(o);
    if (!p.success) throw new Error(`${mapper.vendor} mapped ${JSON.stringify(payload)} to an invalid observation ${JSON.stringify(o)}: ${JSON.stringify(p.error.issues)}`);
    expect(o.device_id.startsWith(`${mapper.vendor}:${ctx.system_id}:`)).toBe(true);
  }
}

// ---------------------------------------------------------------- OnGuard

const ONGUARD_PROPS = [
  'ID', 'PanelID', 'ReaderID', 'PANELID', 'READERID', 'ALARMPANELID', 'Name', 'NAME', 'IsOnline', 'online_enabled', 'PanelType',
  'PrimaryIPAddress', 'IPADDRESS', 'primary_ip_address', 'HostName', 'Workstation', 'MACAddress', 'CONTROLTYPE', 'CAMERATYPENAME',
  'id', 'name', 'is_online', 'panel_type_name', 'computer_name', 'SegmentID',
];
const onguardType = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...Object.keys(ONGUARD_TYPES), VIDEO_RECORDER) }, { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 20 }) });
const statusRead = fc.option(
  fc.record({ status: fc.option(fc.integer({ min: -1, max: 0xffff }), { nil: null }), read_at: vendorTime, error: fc.option(fc.string({ maxLength: 20 }), { nil: null }) }),
  { nil: null },
);
const hints = fc.record(
  { intrusion_panel: fc.boolean(), is_online_live: fc.boolean(), key_properties: fc.array(fc.constantFrom(...ONGUARD_PROPS, 'X'), { maxLength: 3 }) },
  { requiredKeys: [] },
);
const onguardDevice = fc.record({
  native_type: onguardType,
  object: propertyMap(ONGUARD_PROPS),
  panel: fc.option(propertyMap(ONGUARD_PROPS), { nil: null }),
  recorder: fc.option(propertyMap(ONGUARD_PROPS), { nil: null }),
  segment: fc.option(fc.record({ id: fc.oneof(fc.integer(), fc.string()), name: fc.option(fc.string({ maxLength: 20 }), { nil: null }) }), { nil: null }),
  hardware_status: statusRead,
  panel_status: statusRead,
  hints,
});
const onguardStatusRow = fc.record({
  native_type: onguardType,
  object: propertyMap(ONGUARD_PROPS),
  panel: fc.option(propertyMap(ONGUARD_PROPS), { nil: null }),
  hardware_status: statusRead,
  panel_status: statusRead,
  hints,
});
const onguardStatus = fc.oneof(
  fc.record({ source: fc.constant('hardware_status'), via: fc.constantFrom('poll', 'event'), reason: fc.string({ maxLength: 10 }), rows: fc.array(onguardStatusRow, { minLength: 1, maxLength: 5 }) }),
  fc.record({
    source: fc.constant('event'),
    event: fc.dictionary(fc.string({ maxLength: 10 }), anyValue, { maxKeys: 4 }),
    resolved: fc.record({
      native_type: onguardType,
      object: propertyMap(ONGUARD_PROPS),
      status: fc.constantFrom('online', 'offline'),
      timestamp: fc.option(vendorTime, { nil: null }),
      description: fc.option(fc.string({ maxLength: 20 }), { nil: null }),
      native_event_id: fc.option(fc.string({ maxLength: 20 }), { nil: null }),
    }),
  }),
);

describe('OnGuard mapper under hostile payloads', () => {
  it('schemas never throw on arbitrary JSON', () => {
    fc.assert(
      fc.property(jsonish(['native_type', 'object', 'panel', 'hardware_status', 'hints', 'source', 'rows', 'resolved']), (v) => {
        onguardMapper.deviceSchema.safeParse(v);
        onguardMapper.statusSchema.safeParse(v);
      }),
      RUNS,
    );
  });

  it('a device payload the schema accepts maps to a valid device of that system, or to a clear error', () => {
    fc.assert(fc.property(onguardDevice, mapContext, (p, ctx) => checkDevice(onguardMapper, p, ctx)), RUNS);
  });

  it('a status payload the schema accepts maps to valid observations, or to a clear error', () => {
    fc.assert(fc.property(onguardStatus, mapContext, (p, ctx) => checkStatus(onguardMapper, p, ctx)), RUNS);
  });
});

// ---------------------------------------------------------------- Milestone

const guid = fc.uuid().map((u) => (Math.random() < 0.5 ? u.toUpperCase() : u));
const ref = fc.record({ type: fc.oneof(fc.constantFrom(...DEVICE_RESOURCE_TYPES, 'recorders', 'Hardware'), fc.string({ maxLength: 10 })), id: fc.oneof(guid, fc.string({ maxLength: 10 })) });
const boolish = fc.oneof(fc.boolean(), fc.constantFrom('true', 'False', 'yes', ''));
const configItem = fc.record(
  {
    id: fc.oneof(guid, fc.string({ minLength: 1, maxLength: 12 })),
    name: fc.option(fc.string({ maxLength: 20 }), { nil: null }),
    displayName: fc.option(fc.string({ maxLength: 20 }), { nil: null }),
    enabled: boolish,
    relations: fc.record({ self: ref, parent: ref }, { requiredKeys: [] }),
    address: fc.option(fc.oneof(fc.constantFrom('http://192.168.1.154:8554/', 'https://[fe80::1]:443/', 'cam-01.local', '10.0.0.5:80', '::1'), fc.string({ maxLength: 30 })), { nil: null }),
    model: fc.option(fc.string({ maxLength: 20 }), { nil: null }),
    hostName: fc.option(fc.oneof(fc.ipV4(), fc.ipV6(), fc.domain(), fc.string({ maxLength: 20 })), { nil: null }),
    webServerUri: fc.option(fc.oneof(fc.webUrl(), fc.string({ maxLength: 20 })), { nil: null }),
  },
  { requiredKeys: [] },
);
const essEvent = fc.record({
  id: fc.oneof(guid, fc.constant(ZERO_GUID), fc.string({ minLength: 1, maxLength: 10 })),
  time: fc.oneof(vendorTime.filter((t) => t.length > 0)),
  type: fc.oneof(fc.constantFrom(...Object.values(EVENT_TYPES)), guid, fc.string({ minLength: 1, maxLength: 10 })),
  source: fc.oneof(fc.tuple(fc.constantFrom(...DEVICE_RESOURCE_TYPES, 'Cameras', 'inputevents', 'sites'), guid).map(([t, g]) => `${t}/${g}`), fc.string({ minLength: 1, maxLength: 20 })),
  stategroupid: fc.option(guid, { nil: null }),
});
const rsTypes = fc.record({ responding: fc.array(guid, { maxLength: 2 }), notResponding: fc.array(guid, { maxLength: 2 }) });
const probe = fc.record({
  recordingServerId: fc.oneof(guid, fc.string({ minLength: 1, maxLength: 10 })),
  target: fc.string({ maxLength: 20 }),
  responding: fc.boolean(),
  probedAt: vendorTime.filter((t) => t.length > 0),
  error: fc.option(fc.string({ maxLength: 20 }), { nil: null }),
});
const milestoneDevice = fc.record({
  resourceType: fc.constantFrom(...DEVICE_RESOURCE_TYPES),
  item: configItem,
  hardware: fc.option(configItem, { nil: null }),
  driverSettings: fc.option(fc.oneof(propertyMap(['macAddress', 'MacAddress', 'Device/MacAddress/0', 'firmwareVersion', 'serialNumber']), fc.dictionary(fc.string({ maxLength: 8 }), propertyMap(['macAddress', 'serialNumber']), { maxKeys: 2 })), { nil: null }),
  recordingServer: fc.option(configItem, { nil: null }),
  site: fc.option(fc.record({ id: fc.string(), name: fc.option(fc.string(), { nil: null }), version: fc.option(fc.string(), { nil: null }) }), { nil: null }),
  location: fc.option(fc.string({ maxLength: 30 }), { nil: null }),
  state: fc.option(essEvent, { nil: null }),
  probe: fc.option(probe, { nil: null }),
  recordingServerTypes: rsTypes,
});
const statusContext = fc.record({ recordingServerTypes: rsTypes, disabledSources: fc.array(fc.string({ maxLength: 50 }), { maxLength: 3 }) });
const milestoneStatus = fc.oneof(
  fc.record({ kind: fc.constant('event'), event: essEvent, context: statusContext }),
  fc.record({
    kind: fc.constant('state'),
    baselineId: fc.string({ minLength: 1, maxLength: 10 }),
    part: fc.nat(5),
    parts: fc.integer({ min: 1, max: 6 }),
    reason: fc.string({ maxLength: 10 }),
    states: fc.array(essEvent, { maxLength: 8 }),
    context: statusContext,
  }),
  fc.record({ kind: fc.constant('probe'), probe }),
);

describe('Milestone mapper under hostile payloads', () => {
  it('schemas never throw on arbitrary JSON', () => {
    fc.assert(
      fc.property(jsonish(['resourceType', 'item', 'hardware', 'driverSettings', 'state', 'kind', 'event', 'states', 'probe', 'context']), (v) => {
        milestoneMapper.deviceSchema.safeParse(v);
        milestoneMapper.statusSchema.safeParse(v);
      }),
      RUNS,
    );
  });

  it('a device payload the schema accepts maps to a valid device of that system, or to a clear error', () => {
    fc.assert(fc.property(milestoneDevice, mapContext, (p, ctx) => checkDevice(milestoneMapper, p, ctx)), RUNS);
  });

  it('a status payload the schema accepts maps to valid observations, or to a clear error', () => {
    fc.assert(fc.property(milestoneStatus, mapContext, (p, ctx) => checkStatus(milestoneMapper, p, ctx)), RUNS);
  });
});
