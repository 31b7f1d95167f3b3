import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Device, type MapContext } from '@edge/contracts';
import { milestoneMapper } from './index';
import * as fx from '../fixtures';
import { EVENT_TYPES } from '../constants';

const ctx: MapContext = {
  vendor: 'milestone',
  system_id: 'xp-main',
  site_id: 'site-chi-01',
  customer_id: 'convergint-001',
  observed_at: '2026-05-20T08:10:00.000Z',
  sync_id: 'sync-1',
};

const RS_UP = '11111111-2222-4333-8444-555555555501';
const RS_DOWN = '11111111-2222-4333-8444-555555555502';
const HW = fx.hardware.id;
const CAM = fx.camera.id;
const RS = fx.recordingServer.id;
const settings = fx.driverSettingsAnswer.array[0].hardwareDriverSettings;

function row(type: string, source: string, time = '2026-05-18T14:43:37.0175178Z', id = '00000000-0000-0000-0000-000000000000') {
  return { specversion: '1.0', type, source, id, time, stategroupid: '53b40c77-cf48-42a2-a432-db65ae3afc7a' };
}

function cam(over: Record<string, unknown> = {}) {
  return { resourceType: 'cameras', item: fx.camera, hardware: fx.hardware, driverSettings: settings, recordingServer: fx.recordingServer, site: fx.site, location: 'Building A/Floor 2', ...over };
}

function mapDevice(input: unknown) {
  const payload = milestoneMapper.deviceSchema.parse(input);
  const d = milestoneMapper.mapDevice(payload, ctx);
  Device.parse(d);
  return d;
}

function mapStatus(input: unknown) {
  return milestoneMapper.mapStatus(milestoneMapper.statusSchema.parse(input), ctx);
}

describe('milestone mapper: devices', () => {
  const cases: Array<{ name: string; input: unknown; expect: Partial<Device> }> = [
    {
      name: 'camera with hardware, driver settings, recording server and a Communication Started row',
      input: cam({ state: fx.getStateReply.states[0] }),
      expect: {
        id: `milestone:xp-main:cameras:${CAM}`,
        name: 'nms-cam-101',
        type: 'camera',
        status: 'online',
        ip: '192.168.1.154',
        hostname: null,
        mac_address: '00:07:5F:D8:39:50',
        model: 'Universal1ChAdv',
        firmware: '10.12.182',
        serial: 'ACCC8E123456',
        location: 'Building A/Floor 2',
        parent_id: `milestone:xp-main:hardware:${HW}`,
        last_seen: ctx.observed_at,
        status_changed_at: '2026-05-18T14:43:37.017Z',
        customer_id: 'convergint-001',
        site_id: 'site-chi-01',
        source: { vendor: 'milestone', system_id: 'xp-main', native_type: 'cameras', native_id: CAM },
      },
    },
    { name: 'camera without any state yet', input: cam(), expect: { status: 'unknown', last_seen: null, status_changed_at: null } },
    { name: 'camera Communication Error → offline', input: cam({ state: row(EVENT_TYPES.deviceCommunicationError, `cameras/${CAM}`) }), expect: { status: 'offline', last_seen: null } },
    { name: 'camera Communication Stopped (enabled) → offline', input: cam({ state: row(EVENT_TYPES.deviceCommunicationStopped, `cameras/${CAM}`) }), expect: { status: 'offline' } },
    { name: 'camera disabled in configuration', input: cam({ item: { ...fx.camera, enabled: false }, state: row(EVENT_TYPES.deviceCommunicationStopped, `cameras/${CAM}`) }), expect: { status: 'disabled', status_changed_at: null } },
    { name: 'camera on disabled hardware', input: cam({ hardware: { ...fx.hardware, enabled: 'False' } }), expect: { status: 'disabled' } },
    { name: '2023 R2 camera: string numbers, offset timestamps', input: cam({ item: fx.cameraStringNumbers }), expect: { id: `milestone:xp-main:cameras:${CAM}`, ip: '192.168.1.154' } },
    {
      name: 'microphone carries its hardware IP and MAC',
      input: { resourceType: 'microphones', item: fx.microphone, hardware: fx.hardware, driverSettings: settings, recordingServer: fx.recordingServer },
      expect: { type: 'microphone', ip: '192.168.1.154', mac_address: '00:07:5F:D8:39:50', parent_id: `milestone:xp-main:hardware:${HW}` },
    },
    {
      name: 'input event (inputEvents) is an input',
      input: { resourceType: 'inputEvents', item: fx.input, hardware: fx.hardware, driverSettings: settings },
      expect: { type: 'input', id: `milestone:xp-main:inputEvents:${fx.input.id}`, mac_address: '00:07:5F:D8:39:50' },
    },
    {
      name: 'hardware: parent is its recording server',
      input: { resourceType: 'hardware', item: fx.hardware, driverSettings: settings, recordingServer: fx.recordingServer, state: row(EVENT_TYPES.hardwareCommunicationStarted, `hardware/${HW}`) },
      expect: { type: 'other', status: 'online', parent_id: `milestone:xp-main:recordingServers:${RS}`, ip: '192.168.1.154', mac_address: '00:07:5F:D8:39:50', model: 'Universal1ChAdv' },
    },
    {
      name: 'hardware with the 3P "recorders" parent type falls back to the composed recording server',
      input: { resourceType: 'hardware', item: { ...fx.hardware, relations: { parent: { type: 'recorders', id: RS } } }, recordingServer: fx.recordingServer },
      expect: { parent_id: `milestone:xp-main:recordingServers:${RS}` },
    },
    {
      name: 'recording server: host name, no IP, no parent, unknown without types or probe',
      input: { resourceType: 'recordingServers', item: fx.recordingServer, site: fx.site },
      expect: { type: 'recorder', hostname: 'win10vm', ip: null, parent_id: null, status: 'unknown', mac_address: null, model: null },
    },
    {
      name: 'recording server responding (discovered type)',
      input: { resourceType: 'recordingServers', item: fx.recordingServer, state: row(RS_UP, `recordingServers/${RS}`), recordingServerTypes: { responding: [RS_UP], notResponding: [RS_DOWN] } },
      expect: { status: 'online' },
    },
    {
      name: 'recording server not responding (discovered type)',
      input: { resourceType: 'recordingServers', item: fx.recordingServer, state: row(RS_DOWN, `recordingServers/${RS}`), recordingServerTypes: { responding: [RS_UP], notResponding: [RS_DOWN] } },
      expect: { status: 'offline' },
    },
    {
      name: 'recording server by probe',
      input: { resourceType: 'recordingServers', item: { ...fx.recordingServer, hostName: '10.0.0.20' }, probe: { recordingServerId: RS, target: '10.0.0.20:7563', responding: false, probedAt: '2026-05-20T08:00:00.000Z' } },
      expect: { status: 'offline', ip: '10.0.0.20', hostname: 'win10vm', status_changed_at: '2026-05-20T08:00:00.000Z' },
    },
    {
      name: 'item without top-level id (relations.self.id), upper-case GUID',
      input: cam({ item: { ...fx.camera, id: undefined, relations: { ...fx.camera.relations, self: { type: 'cameras', id: CAM.toUpperCase() } } } }),
      expect: { id: `milestone:xp-main:cameras:${CAM}` },
    },
    { name: 'no driver settings → no MAC/firmware/serial', input: cam({ driverSettings: null }), expect: { mac_address: null, firmware: null, serial: null } },
    { name: 'no hardware (orphan) → no IP, parent from relations', input: cam({ hardware: null, driverSettings: null }), expect: { ip: null, parent_id: `milestone:xp-main:hardware:${HW}` } },
  ];
  it.each(cases)('$name', ({ input, expect: want }) => {
    expect(mapDevice(input)).toMatchObject(want);
  });

  const macs: Array<[string, Record<string, unknown>, string | null]> = [
    ['raw 12 hex', { macAddress: '00075FD83950' }, '00:07:5F:D8:39:50'],
    ['colons lower case', { macAddress: '00:07:5f:d8:39:50' }, '00:07:5F:D8:39:50'],
    ['hyphens', { macAddress: '00-07-5F-D8-39-50' }, '00:07:5F:D8:39:50'],
    ['dotted', { macAddress: '0007.5fd8.3950' }, '00:07:5F:D8:39:50'],
    ['capitalised key', { MacAddress: '00075FD83950' }, '00:07:5F:D8:39:50'],
    ['SOAP-style key', { 'Device/MacAddress/0': '00075FD83950' }, '00:07:5F:D8:39:50'],
    ['nested settings', { General: { macAddress: '00075FD83950' } }, '00:07:5F:D8:39:50'],
    ['empty', { macAddress: '' }, null],
    ['all zeros', { macAddress: '000000000000' }, null],
    ['garbage', { macAddress: 'n/a' }, null],
  ];
  it.each(macs)('MAC %s', (_n, s, want) => {
    expect(mapDevice(cam({ driverSettings: s })).mac_address).toBe(want);
  });

  const addresses: Array<[string, string | null, string | null]> = [
    ['http://192.168.1.154:8554/', '192.168.1.154', null],
    ['http://10.172.18.79/', '10.172.18.79', null],
    ['192.168.1.13', '192.168.1.13', null],
    ['http://[fd00::1a]:80/', 'fd00::1a', null],
    ['https://cam-lobby.site.local/', null, 'cam-lobby.site.local'],
    ['', null, null],
  ];
  it.each(addresses)('hardware address %s', (address, ip, hostname) => {
    expect(mapDevice(cam({ hardware: { ...fx.hardware, address } }))).toMatchObject({ ip, hostname });
  });

  it('is deterministic', () => {
    const input = cam({ state: fx.getStateReply.states[0] });
    expect(mapDevice(input)).toEqual(mapDevice(structuredClone(input)));
  });

  it('rejects a payload of an unknown resource type', () => {
    expect(milestoneMapper.deviceSchema.safeParse({ ...cam(), resourceType: 'storages' }).success).toBe(false);
    expect(milestoneMapper.deviceSchema.safeParse({ resourceType: 'cameras', item: { name: 'no id' } }).success).toBe(false);
  });
});

describe('milestone mapper: status', () => {
  const empty = { recordingServerTypes: { responding: [], notResponding: [] }, disabledSources: [] };
  const cases: Array<{ name: string; input: unknown; expect: Array<Record<string, unknown>> }> = [
    {
      name: 'getState rows [REAL S8]: communication row mapped, recording row ignored, zero id not an event id',
      input: { kind: 'state', baselineId: 'b1', part: 0, parts: 1, states: fx.getStateReply.states, context: empty },
      expect: [
        {
          device_id: 'milestone:xp-main:cameras:e7263a39-7c58-4404-b9da-4d6a56dc4e31',
          status: 'online',
          timestamp: '2026-05-18T14:43:37.017Z',
          observed_via: 'poll',
          native_event_id: null,
          native_type: 'cameras',
          alive_evidence: true,
        },
      ],
    },
    {
      name: 'pushed Communication Error [§5.3] → offline with the event id',
      input: { kind: 'event', event: fx.eventsFrame.events[0], context: empty },
      expect: [
        {
          device_id: 'milestone:xp-main:cameras:023ddc13-d543-4bab-bc92-6902d99cf1ab',
          status: 'offline',
          reason: 'communication error',
          timestamp: '2026-05-20T08:09:05.562Z',
          observed_via: 'event',
          native_event_id: '3f1c2a9e-5b7d-4c11-9a0e-2d8f6b4e1a77',
          alive_evidence: false,
        },
      ],
    },
    {
      name: 'Communication Stopped of a device disabled in configuration → disabled',
      input: { kind: 'event', event: { ...fx.eventsFrame.events[0], type: EVENT_TYPES.deviceCommunicationStopped }, context: { ...empty, disabledSources: ['cameras/023ddc13-d543-4bab-bc92-6902d99cf1ab'] } },
      expect: [{ status: 'disabled' }],
    },
    {
      name: 'Communication Stopped of an enabled device → offline',
      input: { kind: 'event', event: { ...fx.eventsFrame.events[0], type: EVENT_TYPES.deviceCommunicationStopped }, context: empty },
      expect: [{ status: 'offline', reason: 'communication stopped' }],
    },
    {
      name: 'hardware Communication Started → online hardware',
      input: { kind: 'event', event: { ...fx.eventsFrame.events[0], type: EVENT_TYPES.hardwareCommunicationStarted, source: `Hardware/${HW.toUpperCase()}` }, context: empty },
      expect: [{ device_id: `milestone:xp-main:hardware:${HW}`, status: 'online', native_type: 'hardware' }],
    },
    {
      name: 'recording server not responding (type from context)',
      input: { kind: 'state', baselineId: 'b2', part: 0, parts: 1, states: [row(RS_DOWN, `recordingServers/${RS}`)], context: { recordingServerTypes: { responding: [RS_UP], notResponding: [RS_DOWN] }, disabledSources: [] } },
      expect: [{ device_id: `milestone:xp-main:recordingServers:${RS}`, status: 'offline', reason: 'recording server not responding' }],
    },
    {
      name: 'recording server row of an unknown type → nothing',
      input: { kind: 'state', baselineId: 'b3', part: 0, parts: 1, states: [row(RS_DOWN, `recordingServers/${RS}`)], context: empty },
      expect: [],
    },
    {
      name: 'row with the .NET "unset" time 0001-01-01… → stamped with observed_at',
      input: { kind: 'state', baselineId: 'b4', part: 0, parts: 1, states: [row(EVENT_TYPES.deviceCommunicationStarted, `cameras/${CAM}`, '0001-01-01T00:00:00.0000000')], context: empty },
      expect: [{ status: 'online', timestamp: ctx.observed_at }],
    },
    {
      name: 'event time with an offset and 7 digits → UTC with ms',
      input: { kind: 'event', event: { ...fx.eventsFrame.events[0], time: '2026-05-20T03:09:05.5628114-05:00' }, context: empty },
      expect: [{ timestamp: '2026-05-20T08:09:05.562Z' }],
    },
    {
      name: 'motion event → nothing',
      input: { kind: 'event', event: { ...fx.eventsFrame.events[0], type: '6eb95dd6-7ccc-4bce-99f8-af0d0b582d77' }, context: empty },
      expect: [],
    },
    {
      name: 'source that is not a device → nothing',
      input: { kind: 'event', event: { ...fx.eventsFrame.events[0], source: 'userDefinedEvents/85867627-b287-4439-9e55-a63701e1715b' }, context: empty },
      expect: [],
    },
    {
      name: 'probe of a recording server',
      input: { kind: 'probe', probe: { recordingServerId: RS.toUpperCase(), target: 'win10vm:7563', responding: true, probedAt: '2026-05-20T08:00:00.000Z' } },
      expect: [{ device_id: `milestone:xp-main:recordingServers:${RS}`, status: 'online', observed_via: 'poll', reason: 'probe: win10vm:7563 reachable', timestamp: '2026-05-20T08:00:00.000Z' }],
    },
  ];
  it.each(cases)('$name', ({ input, expect: want }) => {
    const out = mapStatus(input);
    expect(out).toHaveLength(want.length);
    want.forEach((w, i) => expect(out[i]).toMatchObject(w));
  });

  it('a status payload of an unknown kind is refused by the schema (→ DLQ in the normalizer)', () => {
    expect(milestoneMapper.statusSchema.safeParse({ kind: 'alarm', data: {} }).success).toBe(false);
    expect(milestoneMapper.statusSchema.safeParse({ kind: 'event', event: { id: 'x' } }).success).toBe(false);
  });
});

describe('mapper entry', () => {
  it('imports no HTTP or WebSocket code', () => {
    const dir = __dirname;
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'));
    const imports = files.flatMap((f) => [...readFileSync(join(dir, f), 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]));
    for (const i of imports) expect(['@edge/contracts', 'zod', '../raw-schema', '../constants', './map-device', './map-status', './driver-settings']).toContain(i);
    // What those relative modules import, in turn.
    for (const f of ['../raw-schema.ts', '../constants.ts']) {
      const src = readFileSync(join(dir, f), 'utf8');
      expect(src).not.toMatch(/from '(ws|axios|node:https?|node:net|\.\/client|\.\/events-ws)/);
    }
  });
});
