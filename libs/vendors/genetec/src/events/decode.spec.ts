import { describe, expect, it } from 'vitest';
import { DEFAULT_EVENT_TYPES } from '../constants';
import { LastKnownEntities } from '../last-known';
import { byOwnTime, decodeLine } from './decode';
import { meaningOf, subscriptionQuery } from './subscriptions';

const G = '00000027-0000-babe-0000-00000000000a';

describe('event decoding (pure)', () => {
  it.each([
    ['a bare event', `{"EventType":"UnitConnected","SourceEntity":"${G}","Timestamp":"2026-12-02T14:00:00.0000000Z"}`, 1, 0],
    ['the SourceEntity/Type spelling', `{"Type":"UnitDisconnected","SourceEntity":"${G.replace(/-/g, '')}"}`, 1, 0],
    ['an Rsp envelope of two events', `{"Rsp":{"Status":"Ok","Result":[{"EventType":"A","SourceEntity":"${G}"},{"EventType":"B","SourceEntity":"${G}"}]}}`, 2, 0],
    ['a keep-alive line', '   ', 0, 0],
    ['garbage', '<rsp status="ok"/>', 0, 1],
    ['an object that is no event', '{"Hello":1}', 0, 1],
  ])('%s', (_what, line, events, rejected) => {
    const d = decodeLine(line);
    expect([d.events.length, d.rejected]).toEqual([events, rejected]);
  });

  it('orders the events of one read by their own time, keeping arrival order for equal or missing times', () => {
    const ev = (t: string | null, n: string) => ({ EventType: n, SourceEntity: G, Timestamp: t });
    const sorted = byOwnTime([ev('2026-12-02T14:00:02Z', 'c'), ev(null, 'z'), ev('2026-12-02T15:00:01+01:00', 'a'), ev('2026-12-02T14:00:02Z', 'd')]);
    expect(sorted.map((e) => e.EventType)).toEqual(['a', 'c', 'd', 'z']);
  });

  it('subscribes one event(<type>,<event>) per configured pair and reads meanings per entity type', () => {
    expect(subscriptionQuery({ Camera: { CameraSignalLost: 'offline' }, Unit: { UnitConnected: 'online', UnitDisconnected: 'offline' } })).toBe(
      'event(Camera,CameraSignalLost),event(Unit,UnitConnected),event(Unit,UnitDisconnected)',
    );
    expect(meaningOf(DEFAULT_EVENT_TYPES, 'cameratransmissionlost', 'Camera')).toBe('degraded');
    expect(meaningOf(DEFAULT_EVENT_TYPES, 'UnitDisconnected', null)).toBe('offline');
    expect(meaningOf(DEFAULT_EVENT_TYPES, 'DoorOpen', 'Door')).toBeNull();
  });
});

describe('last-known state rule (pure)', () => {
  it('an event older than a newer read or event is superseded; a newer one is published', () => {
    const k = new LastKnownEntities();
    k.noteRead({ Guid: G, EntityType: 'VideoUnit', RunningState: 'Online' }, '2026-12-02T14:10:00.000Z');
    expect(k.judgeEvent(G, 'offline', '2026-12-02T14:05:00.0000000Z')).toBe('superseded');
    expect(k.statusOf(G)).toBe('online');
    expect(k.judgeEvent(G, 'offline', '2026-12-02T14:11:00.0000000Z')).toBe('publish');
    expect(k.judgeEvent(G.replace(/-/g, ''), 'online', '2026-12-02T14:10:30.0000000Z')).toBe('superseded');
    expect(k.statusOf(G)).toBe('offline');
  });

  it('an entity in maintenance keeps its maintenance state against events; an older read never replaces a newer one', () => {
    const k = new LastKnownEntities();
    k.noteRead({ Guid: G, EntityType: 'Camera', IsInMaintenance: true }, '2026-12-02T14:10:00.000Z');
    expect(k.judgeEvent(G, 'offline', '2026-12-02T14:20:00Z')).toBe('maintenance');
    k.noteRead({ Guid: G, EntityType: 'Camera', IsInMaintenance: false, RunningState: 'Online' }, '2026-12-02T14:00:00.000Z');
    expect(k.statusOf(G)).toBe('disabled');
    k.noteRead({ Guid: G, EntityType: 'Camera', IsInMaintenance: false, RunningState: 'Online' }, '2026-12-02T14:30:00.000Z');
    expect(k.judgeEvent(G, 'offline', '2026-12-02T14:31:00Z')).toBe('publish');
  });
});
