import { describe, expect, it } from 'vitest';
import { Device, type MapContext } from '@edge/contracts';
import { onguardMapper, decodeHardwareStatus, nativeKeyOf } from '@edge/vendor-onguard/mapper';
import type { OnGuardRawDeviceInput, OnGuardRawStatusInput } from '../src/raw-schema';
import * as fx from '../src/fixtures/openaccess';

const ctx: MapContext = {
  vendor: 'onguard',
  system_id: 'og-main',
  site_id: 'site-chi-01',
  customer_id: 'convergint-001',
  observed_at: '2026-01-15T15:20:00.000Z',
  sync_id: 'og-main-20260115T152000Z-abc123',
};
const READ_AT = '2026-01-15T15:19:58.000Z';
const hs = (status: number | null, error: string | null = null) => ({ status, read_at: READ_AT, error });
const reader1 = fx.pagedReaders.item_list[0].property_value_map;

function map(input: OnGuardRawDeviceInput) {
  const d = onguardMapper.mapDevice(onguardMapper.deviceSchema.parse(input), ctx);
  Device.parse(d); // every output is a valid canonical device
  return d;
}

describe('onguard mapper: devices', () => {
  const cases: Array<{ name: string; input: OnGuardRawDeviceInput; expect: Partial<ReturnType<typeof map>> }> = [
    {
      name: 'access panel: little-endian IP, workstation as hostname, segment as location, bit 0x1 online',
      input: { native_type: 'Lnl_Panel', object: fx.panel3, segment: { id: 2, name: 'Chicago HQ' }, hardware_status: hs(1) },
      expect: {
        id: 'onguard:og-main:panel:3',
        name: 'Main Bldg LNL-3300',
        type: 'access_panel',
        status: 'online',
        ip: '192.168.1.10',
        hostname: 'OGSERVER',
        location: 'Chicago HQ',
        parent_id: null,
        mac_address: null,
        model: 'LNL-3300',
        manufacturer: 'LenelS2',
        last_seen: READ_AT,
        customer_id: 'convergint-001',
        site_id: 'site-chi-01',
        source: { vendor: 'onguard', system_id: 'og-main', native_type: 'Lnl_Panel', native_id: '3' },
      },
    },
    {
      name: 'panel with bit 0x1 clear is offline even though IsOnline (enable flag) is true',
      input: { native_type: 'Lnl_Panel', object: fx.panel3, hardware_status: hs(0) },
      expect: { status: 'offline', last_seen: null },
    },
    {
      name: 'panel IsOnline=false is disabled whatever the live bits say',
      input: { native_type: 'Lnl_Panel', object: { ...fx.panel3, IsOnline: false }, hardware_status: hs(1) },
      expect: { status: 'disabled' },
    },
    {
      name: 'panel online with cabinet tamper → degraded',
      input: { native_type: 'Lnl_Panel', object: fx.panel3, hardware_status: hs(0x1 | 0x4) },
      expect: { status: 'degraded', last_seen: READ_AT },
    },
    {
      name: 'panel whose status could not be read → unknown',
      input: { native_type: 'Lnl_Panel', object: fx.panel3, hardware_status: hs(null, 'timeout') },
      expect: { status: 'unknown', last_seen: null },
    },
    {
      name: 'intrusion controller told apart by PanelType',
      input: { native_type: 'Lnl_Panel', object: fx.intrusionPanel, hardware_status: hs(1) },
      expect: { id: 'onguard:og-main:panel:12', type: 'intrusion_panel', ip: '192.168.1.20' },
    },
    {
      name: "collector's intrusion hint wins over the default pattern",
      input: { native_type: 'Lnl_Panel', object: fx.panel3, hints: { intrusion_panel: true }, hardware_status: hs(1) },
      expect: { type: 'intrusion_panel' },
    },
    {
      name: 'reader: composite key, panel as parent, HostName, panel segment',
      input: { native_type: 'Lnl_Reader', object: reader1, panel: fx.panel3, segment: { id: 2, name: 'Chicago HQ' }, hardware_status: hs(1) },
      expect: {
        id: 'onguard:og-main:reader:3-1',
        name: 'Lobby In',
        type: 'access_control',
        status: 'online',
        parent_id: 'onguard:og-main:panel:3',
        hostname: 'OGSERVER',
        location: 'Chicago HQ',
        ip: null,
      },
    },
    {
      name: 'reader keys sent as strings give the same id',
      input: { native_type: 'Lnl_Reader', object: { panelid: '3', readerid: '01', name: 'Lobby In' }, hardware_status: hs(1) },
      expect: { id: 'onguard:og-main:reader:3-1', name: 'Lobby In' },
    },
    {
      name: 'reader read-head offline → degraded',
      input: { native_type: 'Lnl_Reader', object: reader1, panel: fx.panel3, hardware_status: hs(0x1 | 0x2000000) },
      expect: { status: 'degraded' },
    },
    {
      name: 'reader door-contact offline and reader tamper → degraded',
      input: { native_type: 'Lnl_Reader', object: reader1, hardware_status: hs(0x1 | 0x8000000 | 0x10) },
      expect: { status: 'degraded' },
    },
    {
      name: 'door forced/held are alarm states, not health → online',
      input: { native_type: 'Lnl_Reader', object: reader1, hardware_status: hs(0x1 | 0x20 | 0x40) },
      expect: { status: 'online' },
    },
    {
      name: 'reader of a disabled panel → disabled',
      input: { native_type: 'Lnl_Reader', object: reader1, panel: { ...fx.panel3, IsOnline: false }, hardware_status: hs(0) },
      expect: { status: 'disabled' },
    },
    {
      name: 'alarm input panel (DC upper-case keys)',
      input: { native_type: 'Lnl_AlarmPanel', object: fx.alarmPanel, panel: fx.panel3, hardware_status: hs(1) },
      expect: { id: 'onguard:og-main:alarmpanel:3-65', type: 'io_module', name: 'Main Bldg Input Module 1', parent_id: 'onguard:og-main:panel:3', model: 'alarm input panel', status: 'online' },
    },
    {
      name: 'camera: IPADDRESS integer, recorder as parent, no live status',
      input: { native_type: 'Lnl_Camera', object: fx.camera, recorder: fx.videoRecorder, segment: { id: 2, name: 'Chicago HQ' } },
      expect: { id: 'onguard:og-main:camera:101', type: 'camera', ip: '192.168.1.11', parent_id: 'onguard:og-main:recorder:50', hostname: 'NVR-01', model: 'AXIS P3245-V', status: 'unknown' },
    },
    {
      name: 'camera of a disabled recorder → disabled',
      input: { native_type: 'Lnl_Camera', object: fx.camera, recorder: { ...fx.videoRecorder, is_online: false } },
      expect: { status: 'disabled' },
    },
    {
      name: 'video recorder: flat item, is_online as enable flag by default',
      input: { native_type: 'video_recorder', object: fx.videoRecorder },
      expect: { id: 'onguard:og-main:recorder:50', type: 'recorder', ip: '192.168.1.21', hostname: 'NVR-01', model: 'Lenel NVR', status: 'unknown' },
    },
    {
      name: 'video recorder with is_online configured as live',
      input: { native_type: 'video_recorder', object: { ...fx.videoRecorder, is_online: false }, hints: { is_online_live: true } },
      expect: { status: 'offline' },
    },
    {
      name: 'intrusion zone: 0 offline / 1 online',
      input: { native_type: 'Lnl_IntrusionZone', object: { ID: 7, NAME: 'Dock door PIR', PANELID: 12, DEVICEID: 3, HOSTNAME: 'OGSERVER' }, hardware_status: hs(1) },
      expect: { id: 'onguard:og-main:intrusionzone:7', type: 'input', parent_id: 'onguard:og-main:panel:12', status: 'online' },
    },
    {
      name: 'unknown type maps with the key properties learnt from GET /type',
      input: { native_type: 'Lnl_Widget', object: { WIDGETKEY: 4, Name: 'W' }, hints: { key_properties: ['WIDGETKEY'] } },
      expect: { id: 'onguard:og-main:widget:4', type: 'other', status: 'unknown' },
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      expect(map(c.input)).toMatchObject(c.expect);
    });
  }

  it('ids are stable across syncs (same input → same output, different observation time)', () => {
    const input: OnGuardRawDeviceInput = { native_type: 'Lnl_Reader', object: reader1, panel: fx.panel3, hardware_status: hs(1) };
    const a = onguardMapper.mapDevice(onguardMapper.deviceSchema.parse(input), ctx);
    const b = onguardMapper.mapDevice(onguardMapper.deviceSchema.parse(input), { ...ctx, observed_at: '2026-01-16T00:00:00.000Z', sync_id: 'other' });
    expect(b).toEqual(a);
  });

  it('an object without its key property is an error (dead-lettered by the normalizer), not a guess', () => {
    expect(() => map({ native_type: 'Lnl_Reader', object: { PanelID: 3, Name: 'no reader id' } })).toThrow(/ReaderID/);
  });

  it('rejects payloads that are not composed raw devices', () => {
    expect(onguardMapper.deviceSchema.safeParse({ object: {} }).success).toBe(false);
    expect(onguardMapper.deviceSchema.safeParse({ native_type: 'Lnl_Panel', object: 'x' }).success).toBe(false);
  });
});

describe('onguard mapper: status', () => {
  const statusCases: Array<{ name: string; input: OnGuardRawStatusInput; expect: Array<Record<string, unknown>> }> = [
    {
      name: 'poll rows: panel online, reader offline because its panel is offline, unreadable row skipped',
      input: {
        source: 'hardware_status',
        via: 'poll',
        reason: 'schedule',
        rows: [
          { native_type: 'Lnl_Panel', object: { ID: 3, IsOnline: true }, hardware_status: hs(1) },
          { native_type: 'Lnl_Reader', object: { PanelID: 3, ReaderID: 2 }, panel: { ID: 3, IsOnline: true }, hardware_status: hs(0), panel_status: hs(0) },
          { native_type: 'Lnl_Reader', object: { PanelID: 3, ReaderID: 3 }, hardware_status: hs(null, 'openaccess.general.error') },
        ],
      },
      expect: [
        { device_id: 'onguard:og-main:panel:3', status: 'online', observed_via: 'poll', timestamp: READ_AT, alive_evidence: true },
        { device_id: 'onguard:og-main:reader:3-2', status: 'offline', reason: 'panel 3 offline (communications lost)', alive_evidence: false },
      ],
    },
    {
      name: 'event confirmation: reader degraded with reasons',
      input: {
        source: 'hardware_status',
        via: 'event',
        rows: [{ native_type: 'Lnl_Reader', object: { PanelID: 3, ReaderID: 1 }, hardware_status: hs(0x1 | 0x2000000 | 0x8) }],
      },
      expect: [{ device_id: 'onguard:og-main:reader:3-1', status: 'degraded', reason: 'power failure; read head offline', observed_via: 'event' }],
    },
    {
      name: 'Communications Lost event: vendor time with offset → UTC, serial number as event id',
      input: {
        source: 'event',
        event: fx.commLostEvent,
        resolved: {
          native_type: 'Lnl_Panel',
          object: { ID: 3 },
          status: 'offline',
          timestamp: '2026-01-15T10:14:30-05:00',
          description: 'Communications Lost',
          native_event_id: '1536064546',
        },
      },
      expect: [
        {
          device_id: 'onguard:og-main:panel:3',
          status: 'offline',
          timestamp: '2026-01-15T15:14:30.000Z',
          reason: 'Communications Lost',
          observed_via: 'event',
          native_event_id: '1536064546',
          native_type: 'Lnl_Panel',
          native_id: '3',
        },
      ],
    },
  ];
  for (const c of statusCases) {
    it(c.name, () => {
      const obs = onguardMapper.mapStatus(onguardMapper.statusSchema.parse(c.input), ctx);
      expect(obs).toHaveLength(c.expect.length);
      c.expect.forEach((e, i) => expect(obs[i]).toMatchObject(e));
    });
  }

  it('rejects an empty poll and an event without a resolution', () => {
    expect(onguardMapper.statusSchema.safeParse({ source: 'hardware_status', via: 'poll', rows: [] }).success).toBe(false);
    expect(onguardMapper.statusSchema.safeParse({ source: 'event', event: fx.commLostEvent }).success).toBe(false);
  });
});

describe('hardware status decoding (§4.2)', () => {
  const table: Array<[Parameters<typeof decodeHardwareStatus>[0], number, string, string | null]> = [
    ['panel', 0x1, 'online', null],
    ['panel', 0x0, 'offline', 'communications lost'],
    ['panel', 0x10 | 0x1, 'online', null], // downloading firmware is not a fault
    ['panel', 0x8 | 0x1, 'degraded', 'power failure'],
    ['panel', 0x2 | 0x1, 'degraded', 'options mismatch'],
    ['reader', 0x1 | 0x4000000, 'degraded', 'MRDT offline'],
    ['reader', 0x2000000, 'offline', 'communications lost'],
    ['reader', 0x1 | 0x800000, 'degraded', 'low battery'],
    ['input', 0, 'online', null],
    ['input', 1, 'online', null],
    ['input', 4, 'degraded', 'open fault'],
    ['input', 0x100 + 3, 'degraded', 'short fault (masked)'],
    ['input', 0x100, 'online', 'masked'],
    ['output', 1, 'online', null],
    ['binary', 0, 'offline', 'reported offline'],
    ['binary', 1, 'online', null],
  ];
  for (const [kind, value, status, reason] of table) {
    it(`${kind} 0x${value.toString(16)} → ${status}`, () => {
      expect(decodeHardwareStatus(kind, value)).toEqual({ status, reason });
    });
  }

  it('native keys', () => {
    expect(nativeKeyOf('Lnl_Reader', { PANELID: 10, READERID: 2 })).toBe('10-2');
    expect(nativeKeyOf('Lnl_Panel', { id: '007' })).toBe('7');
    expect(nativeKeyOf('Lnl_Panel', { Name: 'x' })).toBeNull();
  });
});
