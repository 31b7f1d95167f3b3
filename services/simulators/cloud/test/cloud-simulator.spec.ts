import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLOUD_PATHS, CloudErrorResponse } from '@edge/contracts';
import { sampleDevice, sampleEvent, startCloudSimulator, type CloudSimulator } from '@edge/sim-cloud';

const TOKEN = 'sim-test-token';

describe('cloud simulator', () => {
  let sim: CloudSimulator;
  beforeAll(async () => {
    sim = await startCloudSimulator({ token: TOKEN });
  });
  afterAll(async () => {
    await sim.close();
  });
  beforeEach(async () => {
    await fetch(`${sim.url}/_sim/reset`, { method: 'POST' });
    await fetch(`${sim.url}/_sim/faults`, { method: 'DELETE' });
  });

  const post = (path: string, body: unknown, key: string | null = 'k-1', token = TOKEN) =>
    fetch(`${sim.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...(key ? { 'idempotency-key': key } : {}) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const get = async <T = Record<string, unknown>>(path: string): Promise<T> => (await (await fetch(`${sim.url}${path}`)).json()) as T;
  const faults = (spec: unknown) => fetch(`${sim.url}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) });

  it('stores health events once each, in arrival order; a repeated key and body is 409', async () => {
    const events = [sampleEvent(1, 0), sampleEvent(2, 0), sampleEvent(1, 1)];
    const r1 = await post(CLOUD_PATHS.healthEvents, { events }, 'key-a');
    expect(r1.status).toBe(200);
    expect(await r1.json()).toEqual({ accepted: 3, duplicates: 0 });
    const again = await post(CLOUD_PATHS.healthEvents, { events }, 'key-a');
    expect(again.status).toBe(409);
    const overlap = await post(CLOUD_PATHS.healthEvents, { events: [sampleEvent(1, 1), sampleEvent(1, 2)] }, 'key-b');
    expect(await overlap.json()).toEqual({ accepted: 1, duplicates: 1 });
    const stored = await get<{ events: Array<{ event_id: string }> }>('/_sim/events');
    expect(stored.events.map((e) => e.event_id)).toEqual(['evt-1-0', 'evt-2-0', 'evt-1-1', 'evt-1-2']);
    const one = await get<{ count: number }>('/_sim/events?device_id=onguard:og-main:reader-1');
    expect(one.count).toBe(3);
  });

  it('answers 400 naming the invalid items by index and id', async () => {
    const bad = { ...sampleEvent(3, 0), status: 'exploded' };
    const r = await post(CLOUD_PATHS.healthEvents, { events: [sampleEvent(1, 0), bad] });
    expect(r.status).toBe(400);
    const body = CloudErrorResponse.parse(await r.json());
    expect(body.items).toEqual([{ index: 1, id: 'evt-3-0', issues: [expect.stringContaining('status')] }]);
    expect((await get<{ events: number }>('/_sim/stats')).events).toBe(0);

    const inv = await post(CLOUD_PATHS.inventory, {
      devices: [sampleDevice(1)],
      removed: [{ id: 'onguard:og-main:reader-9', removed_at: 'yesterday', reason: 'absent_from_complete_sync' }],
      customer_id: 'cust-test',
      site_id: 'site-test',
      sync: null,
    });
    expect(inv.status).toBe(400);
    expect(CloudErrorResponse.parse(await inv.json()).items).toEqual([{ index: 1, id: 'onguard:og-main:reader-9', issues: [expect.stringContaining('removed_at')] }]);
    expect((await post(CLOUD_PATHS.healthEvents, { events: [] }, null)).status).toBe(400);
    expect((await post(CLOUD_PATHS.healthEvents, '{not json')).status).toBe(400);
  });

  it('keeps the latest version of each device, removed devices and completed syncs', async () => {
    const sync = { id: 'sync-1', batch: 0, final: false, system_id: 'og-main' };
    expect((await post(CLOUD_PATHS.inventory, { devices: [sampleDevice(1), sampleDevice(2)], customer_id: 'cust-test', site_id: 'site-test', sync }, 'i-1')).status).toBe(200);
    const final = { ...sync, batch: 1, final: true, total: 3, complete: true };
    const r = await post(
      CLOUD_PATHS.inventory,
      {
        devices: [sampleDevice(2, { name: 'renamed' }), sampleDevice(3)],
        removed: [{ id: 'onguard:og-main:reader-7', removed_at: '2026-01-02T00:00:00Z', reason: 'absent_from_complete_sync' }],
        customer_id: 'cust-test',
        site_id: 'site-test',
        sync: final,
      },
      'i-2',
    );
    expect(await r.json()).toEqual({ accepted: 3, duplicates: 0 });
    const devices = await get<{ devices: Array<{ id: string; versions: number; device: { name: string } }> }>('/_sim/devices');
    expect(devices.devices.find((d) => d.id === 'onguard:og-main:reader-2')).toMatchObject({ versions: 2, device: { name: 'renamed' } });
    const syncs = await get<{ syncs: Array<Record<string, unknown>> }>('/_sim/syncs');
    expect(syncs.syncs).toEqual([expect.objectContaining({ id: 'sync-1', final: true, total: 3, complete: true, devices: 3, removed: 1, batches: [0, 1] })]);
    expect((await get<{ count: number }>('/_sim/removed')).count).toBe(1);
  });

  it('checks the bearer token and can reject it on demand', async () => {
    expect((await post(CLOUD_PATHS.healthEvents, { events: [] }, 'k', 'wrong')).status).toBe(401);
    await faults({ reject_token: 403 });
    expect((await post(CLOUD_PATHS.healthEvents, { events: [] })).status).toBe(403);
    await faults({ reject_token: false });
    expect((await post(CLOUD_PATHS.healthEvents, { events: [] })).status).toBe(200);
  });

  it('fails the next N requests with a status and Retry-After, adds latency, limits body size', async () => {
    await faults({ fail_next: { count: 2, status: 429, retry_after: 7 } });
    const a = await post(CLOUD_PATHS.healthEvents, { events: [] }, 'x1');
    expect(a.status).toBe(429);
    expect(a.headers.get('retry-after')).toBe('7');
    expect((await post(CLOUD_PATHS.healthEvents, { events: [] }, 'x2')).status).toBe(429);
    expect((await post(CLOUD_PATHS.healthEvents, { events: [] }, 'x3')).status).toBe(200);

    await faults({ fail_next: { count: 1, status: 503, path: CLOUD_PATHS.inventory } });
    expect((await post(CLOUD_PATHS.healthEvents, { events: [] }, 'x4')).status).toBe(200);

    await faults({ max_body_bytes: 200 });
    const big = await post(CLOUD_PATHS.healthEvents, { events: [sampleEvent(1, 0), sampleEvent(1, 1)] }, 'x5');
    expect(big.status).toBe(413);

    await fetch(`${sim.url}/_sim/faults`, { method: 'DELETE' });
    await faults({ latency_ms: 150 });
    const started = Date.now();
    expect((await post(CLOUD_PATHS.healthEvents, { events: [] }, 'x6')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect((await faults({ latency_ms: -1 })).status).toBe(400);
  });

  it('resets connections and goes down (503, then connection refused) for a period', async () => {
    await faults({ reset_next: 1 });
    await expect(post(CLOUD_PATHS.healthEvents, { events: [] }, 'r1')).rejects.toThrow();
    expect((await post(CLOUD_PATHS.healthEvents, { events: [] }, 'r2')).status).toBe(200);

    await faults({ down: { for_ms: 400, mode: '503', retry_after: 1 } });
    const down = await post(CLOUD_PATHS.healthEvents, { events: [] }, 'r3');
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('1');
    await new Promise((r) => setTimeout(r, 450));
    expect((await post(CLOUD_PATHS.healthEvents, { events: [] }, 'r4')).status).toBe(200);

    sim.faults.set({ down: { for_ms: 500, mode: 'refuse' } });
    await expect(post(CLOUD_PATHS.healthEvents, { events: [] }, 'r5')).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 700));
    expect((await post(CLOUD_PATHS.healthEvents, { events: [] }, 'r6')).status).toBe(200);
  });

  it('validates and keeps heartbeats', async () => {
    const hb = {
      edge_id: 'edge-1',
      site_id: 'site-test',
      customer_id: 'cust-test',
      version: '0.1.0',
      sent_at: '2026-01-01T00:00:00Z',
      uptime_s: 5,
      systems: [{ system_id: 'og-main', vendor: 'onguard', connection: 'connected', last_sync_at: null, last_sync_id: null, last_sync_devices: null, last_error: null }],
      backlog: { messages: 0, bytes: 0, oldest_age_s: null },
      dlq: { messages: 0 },
    };
    expect((await post(CLOUD_PATHS.heartbeat, hb, 'hb-1')).status).toBe(200);
    expect((await post(CLOUD_PATHS.heartbeat, { ...hb, uptime_s: -1 }, 'hb-2')).status).toBe(400);
    const got = await get<{ count: number; heartbeats: Array<{ edge_id: string }> }>('/_sim/heartbeats');
    expect(got.count).toBe(1);
    expect(got.heartbeats[0].edge_id).toBe('edge-1');
    const stats = await get<{ counters: Record<string, number> }>('/_sim/stats');
    expect(stats.counters.status_400).toBe(1);
  });
});
