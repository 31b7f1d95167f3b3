import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Device,
  HealthEvent,
  InventoryRequest,
  RawEnvelope,
  CanonicalMessage,
  generatedFiles,
  subjects,
  parseRawSubject,
  deviceId,
  stableHash,
  DEVICE_TYPES,
  DEVICE_STATUSES,
} from '@edge/contracts';

const device = {
  id: 'onguard:og-main:reader:1-2',
  name: 'East Entrance Reader',
  type: 'access_control',
  customer_id: 'convergint-001',
  site_id: 'site-chi-01',
  status: 'offline',
  mac_address: '00:1B:44:22:4C:F3',
  ip: '192.168.1.11',
  hostname: null,
  location: 'Building A/Lobby',
  last_seen: '2024-05-19T14:35:22.000Z',
  status_changed_at: '2024-05-19T14:35:22.000Z',
  parent_id: 'onguard:og-main:panel:1',
  manufacturer: 'LenelS2',
  model: 'LNL-2220',
  firmware: null,
  serial: null,
  source: { vendor: 'onguard', system_id: 'og-main', native_type: 'Lnl_Reader', native_id: '1-2' },
  schema_version: 1,
};

describe('contracts', () => {
  it('enums are exactly the architecture values', () => {
    expect(DEVICE_TYPES).toEqual([
      'camera', 'access_control', 'access_panel', 'intrusion_panel', 'recorder', 'io_module', 'input', 'output', 'microphone', 'speaker', 'server', 'other',
    ]);
    expect(DEVICE_STATUSES).toEqual(['online', 'offline', 'degraded', 'disabled', 'unknown']);
  });

  it('accepts a full device and the seed payload shape', () => {
    expect(Device.parse(device)).toEqual(device);
    const body = InventoryRequest.parse({ devices: [device], customer_id: 'convergint-001', site_id: 'site-chi-01', sync: { id: 's1', batch: 0, final: true } });
    expect(body.devices[0].customer_id).toBe('convergint-001');
  });

  it.each([
    ['type', 'door'],
    ['status', 'up'],
    ['mac_address', '00-1B-44-22-4C-F3'],
    ['last_seen', '2024-05-19T14:35:22+02:00'],
    ['schema_version', 2],
    ['customer_id', ''],
  ])('rejects a device with bad %s', (field, value) => {
    const r = Device.safeParse({ ...device, [field]: value });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0].path).toEqual([field]);
  });

  it('health event requires the seed fields and mapping metadata', () => {
    const ev = {
      event_id: 'e1', device_id: device.id, status: 'offline', timestamp: '2024-05-19T14:35:22.000Z', previous_status: 'online', reason: null,
      observed_via: 'event', customer_id: 'c', site_id: 's', source: device.source, schema_version: 1,
    };
    expect(HealthEvent.parse(ev)).toMatchObject(ev);
    const { device_id: _d, ...missing } = ev;
    expect(HealthEvent.safeParse(missing).success).toBe(false);
    expect(HealthEvent.safeParse({ ...ev, observed_via: 'guess' }).success).toBe(false);
  });

  it('raw envelope and canonical message validate', () => {
    expect(RawEnvelope.safeParse({ schema: 'raw/v1', vendor: 'onguard', system_id: 'og', site_id: 's', customer_id: 'c', kind: 'device', observed_at: '2024-01-01T00:00:00.000Z', payload: {} }).success).toBe(true);
    expect(RawEnvelope.safeParse({ schema: 'raw/v2', vendor: 'onguard', system_id: 'og', site_id: 's', customer_id: 'c', kind: 'device', observed_at: '2024-01-01T00:00:00.000Z', payload: {} }).success).toBe(false);
    expect(RawEnvelope.safeParse({ schema: 'raw/v1', vendor: 'on.guard', system_id: 'og', site_id: 's', customer_id: 'c', kind: 'device', observed_at: '2024-01-01T00:00:00.000Z' }).success).toBe(false);
    expect(CanonicalMessage.parse({ kind: 'device', sync_id: null, device }).kind).toBe('device');
    expect(CanonicalMessage.safeParse({ kind: 'nope' }).success).toBe(false);
  });

  it('subjects are built and parsed, and refuse tokens that would break routing', () => {
    expect(subjects.raw('onguard', 'og-main', 'status')).toBe('raw.onguard.og-main.status');
    expect(parseRawSubject('raw.onguard.og-main.inventory')).toEqual({ vendor: 'onguard', systemId: 'og-main', channel: 'inventory' });
    expect(parseRawSubject('raw.onguard.og.main.inventory')).toBeNull();
    expect(() => subjects.raw('onguard', 'og.main', 'status')).toThrow(/cannot be used in a subject/);
    expect(() => subjects.canonicalHealth('site *')).toThrow();
    expect(subjects.dlq('normalizer', 'raw.onguard.og.status')).toBe('dlq.normalizer.raw.onguard.og.status');
    expect(subjects.cmdSync('site-1')).toBe('edge.site-1.cmd.sync');
  });

  it('ids are stable', () => {
    expect(deviceId('milestone', 'xp', 'camera', 'abc')).toBe('milestone:xp:camera:abc');
    expect(stableHash('a', 1, null)).toBe(stableHash('a', 1, null));
    expect(stableHash('a', 1, null)).not.toBe(stableHash('a', 1, undefined, 'x'));
    expect(stableHash('ab', 'c')).not.toBe(stableHash('a', 'bc'));
  });

  it('committed JSON Schema and OpenAPI files are up to date (run libs/contracts/scripts/generate.ts)', () => {
    for (const [rel, text] of Object.entries(generatedFiles())) {
      const committed = readFileSync(join(__dirname, '..', 'generated', rel), 'utf8');
      expect(committed, `libs/contracts/generated/${rel} is stale`).toBe(text);
    }
  });

  it('OpenAPI document describes the three POSTs with Idempotency-Key', () => {
    const doc = JSON.parse(generatedFiles()['openapi.json']);
    expect(Object.keys(doc.paths).sort()).toEqual(['/v1/health-events', '/v1/heartbeat', '/v1/inventory']);
    for (const p of Object.values(doc.paths) as Array<{ post: { parameters: Array<{ name: string }> } }>) {
      expect(p.post.parameters.map((x) => x.name)).toContain('Idempotency-Key');
    }
    expect(doc.components.schemas.InventoryRequest.properties.devices.items.properties.type.enum).toEqual(DEVICE_TYPES);
  });
});
