import { describe, expect, it } from 'vitest';
import { Device, StatusObservation, type MapContext } from '@edge/contracts';
import * as fx from '../fixtures';
import { genetecMapper } from './index';

const ctx: MapContext = { vendor: 'genetec', system_id: 'sc-main', site_id: 'site-1', customer_id: 'cust-1', observed_at: '2026-12-02T14:05:00.000Z' };
const device = (p: unknown) => Device.parse(genetecMapper.mapDevice(genetecMapper.deviceSchema.parse(p), ctx));
const status = (p: unknown) => genetecMapper.mapStatus(genetecMapper.statusSchema.parse(p), ctx).map((o) => StatusObservation.parse(o));

describe('genetec mapper (pure)', () => {
  it('maps a camera with the GUID as native id and its video unit as parent, IP/MAC/model from the unit', () => {
    const d = device(fx.cameraOnline);
    expect(d).toMatchObject({
      id: `genetec:sc-main:${fx.CAMERA_GUID}`,
      name: 'Lobby PTZ',
      type: 'camera',
      status: 'online',
      ip: '10.20.0.12',
      mac_address: '00:40:8C:A1:B2:C3',
      model: 'P3245-LV',
      manufacturer: 'Axis',
      firmware: '10.12.165',
      parent_id: `genetec:sc-main:${fx.VIDEO_UNIT_GUID}`,
      last_seen: ctx.observed_at,
      source: { vendor: 'genetec', system_id: 'sc-main', native_type: 'Camera', native_id: fx.CAMERA_GUID },
    });
  });

  it.each([
    ['RunningState Warning', fx.cameraWarning, 'degraded'],
    ['RunningState Offline with string flags', fx.doorOfflineUnit, 'offline'],
    ['maintenance mode (whatever RunningState says)', fx.cameraInMaintenance, 'disabled'],
  ])('status from %s', (_what, payload, want) => {
    expect(device(payload).status).toBe(want);
  });

  it('types by entity type: Archiver role → recorder, Door → access_control with its unit as parent', () => {
    expect(device(fx.archiverRole)).toMatchObject({ type: 'recorder', parent_id: null, ip: null, mac_address: null });
    expect(device(fx.doorOfflineUnit)).toMatchObject({ type: 'access_control', parent_id: `genetec:sc-main:${fx.AC_UNIT_GUID}`, ip: '10.30.0.2', mac_address: '00:50:F9:00:00:00', last_seen: null });
  });

  it('an event is timed by its own timestamp (UTC), a late offline event says so', () => {
    const [o] = status(fx.unitDisconnectedEvent);
    expect(o).toMatchObject({ device_id: `genetec:sc-main:${fx.VIDEO_UNIT_GUID}`, status: 'offline', timestamp: '2026-12-02T14:03:07.123Z', observed_via: 'event', alive_evidence: false, native_type: 'VideoUnit' });
    const [late] = status(fx.lateOfflineEvent);
    expect(late.timestamp).toBe('2026-12-02T12:00:00.000Z');
    expect(late.device_id).toBe(`genetec:sc-main:${fx.CAMERA_GUID}`);
    expect(late.reason).toContain('offline event');
  });

  it('an event id is deterministic: the same event twice gives the same native id', () => {
    expect(status(fx.unitDisconnectedEvent)[0].native_event_id).toBe(status(structuredClone(fx.unitDisconnectedEvent))[0].native_event_id);
  });

  it('a poll chunk yields one observation per row timed by the read, maintenance as disabled with its reason', () => {
    const obs = status(fx.pollChunk);
    expect(obs.map((o) => [o.native_id, o.status])).toEqual([
      [fx.CAMERA_GUID, 'degraded'],
      [fx.DOOR_GUID, 'disabled'],
      [fx.AC_UNIT_GUID, 'offline'],
    ]);
    expect(obs.every((o) => o.timestamp === '2026-12-02T14:10:00.000Z' && o.observed_via === 'poll')).toBe(true);
    expect(obs[1].reason).toBe('maintenance mode: Lock swap');
  });

  it('rejects a payload without a GUID (it goes to the DLQ with the reason)', () => {
    const bad = genetecMapper.deviceSchema.safeParse({ entity: { Guid: 'not-a-guid', EntityType: 'Camera' }, parent: null });
    expect(bad.success).toBe(false);
    expect(genetecMapper.statusSchema.safeParse({ kind: 'event', event: { EventType: 'UnitConnected' }, entityType: null, meaning: 'online' }).success).toBe(false);
  });
});
