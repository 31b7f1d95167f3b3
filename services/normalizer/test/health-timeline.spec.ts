import { describe, expect, it } from 'vitest';
import type { HealthEvent } from '@edge/contracts';
import { HealthTimeline } from '../src/health-timeline';

const ev = (device: string, status: HealthEvent['status'], at: string): HealthEvent =>
  ({
    event_id: `${device}-${at}`,
    device_id: device,
    status,
    timestamp: at,
    previous_status: 'online',
    reason: null,
    observed_via: 'event',
    customer_id: 'c',
    site_id: 's',
    source: { vendor: 'onguard', system_id: 'og', native_type: 'Lnl_Reader', native_id: device },
    schema_version: 1,
  }) as HealthEvent;

describe('HealthTimeline', () => {
  it('keeps the worst count of each bucket, drops buckets older than the window, and answers per system', () => {
    const t = new HealthTimeline(60_000, 10 * 60_000, 3);
    const t0 = Date.parse('2026-01-01T10:00:00Z');
    t.sample(new Map([['og', { offline: 2, degraded: 0, total: 10 }]]), t0);
    t.sample(new Map([['og', { offline: 0, degraded: 1, total: 10 }]]), t0 + 30_000);
    t.sample(new Map([['og', { offline: 1, degraded: 0, total: 10 }]]), t0 + 60_000);
    expect(t.query({}).timeline?.og).toEqual([
      { t: '2026-01-01T10:00:00.000Z', offline: 2, degraded: 1, total: 10 },
      { t: '2026-01-01T10:01:00.000Z', offline: 1, degraded: 0, total: 10 },
    ]);
    t.sample(new Map([['og', { offline: 0, degraded: 0, total: 10 }]]), t0 + 11 * 60_000);
    expect(t.query({}).timeline?.og.map((p) => p.t)).toEqual(['2026-01-01T10:01:00.000Z', '2026-01-01T10:11:00.000Z']);
    expect(t.query({ system: 'xp' }).timeline).toEqual({});
  });

  it('returns the latest events first, bounded', () => {
    const t = new HealthTimeline(60_000, 600_000, 3);
    for (let i = 0; i < 5; i++) t.record(ev(`d${i}`, 'offline', `2026-01-01T10:0${i}:00Z`), `Door ${i}`);
    const events = t.query({ events: 10 }).events ?? [];
    expect(events.map((e) => e.device_id)).toEqual(['d4', 'd3', 'd2']);
    expect(events[0]).toMatchObject({ name: 'Door 4', system_id: 'og', status: 'offline' });
  });
});
