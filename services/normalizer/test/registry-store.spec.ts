import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createLogger, openDevicesBucket } from '@edge/platform';
import { startNatsServer, type TestNatsServer } from '@edge/platform/testing';
import { deviceKey, documentKey, type RegistryEntry } from '../src/registry-entry';
import { RegistryStore, type DevicesKv } from '../src/registry-store';

const log = createLogger({ service: 'test', level: 'silent' });

function entry(i: number, n: number): RegistryEntry {
  const id = `testvendor:store:dev-${i}`;
  return {
    v: 2,
    id,
    vendor: 'testvendor',
    system_id: 'store',
    customer_id: 'cust-test',
    site_id: 'site-test',
    native_type: 'test',
    native_id: `dev-${i}`,
    fingerprint: null,
    name: null,
    type: null,
    parent_id: null,
    status: n % 2 ? 'offline' : 'online',
    status_at: new Date(Date.UTC(2024, 0, 1) + n * 1000).toISOString(),
    status_changed_at: null,
    last_seen: null,
    reason: `write ${n}`,
    last_sync_id: null,
    last_sync_seq: null,
    last_device_seq: null,
    removed_at: null,
    outbox: [],
  };
}

describe('registry store: journal + compaction in KV (real nats-server)', () => {
  let srv: TestNatsServer;
  let nc: NatsConnection;
  let kv: DevicesKv;
  beforeAll(async () => {
    srv = await startNatsServer();
    nc = await connect({ servers: srv.url });
    kv = await openDevicesBucket(nc);
  });
  afterAll(async () => {
    await nc?.drain().catch(() => undefined);
    await srv?.dispose();
  });

  it('a fresh reader sees the newest value of every key, across ring wrap-arounds, compactions and a crash', async () => {
    // Tiny ring and thresholds: the journal wraps and compacts many times.
    const store = new RegistryStore(kv, log, { ringSlots: 8, compactAfterBytes: 4_000, maxRecordBytes: 2_000 });
    await store.load();
    const newest = new Map<number, number>();
    let n = 0;
    for (let round = 0; round < 40; round++) {
      const burst: Array<Promise<void>> = [];
      for (let k = 0; k < 15; k++) {
        const i = (round * 7 + k * 3) % 50;
        n++;
        newest.set(i, n);
        burst.push(store.persist([{ key: deviceKey(`testvendor:store:dev-${i}`), value: JSON.stringify(entry(i, n)) }]));
      }
      await Promise.all(burst);
    }
    const st = store.counters.snapshot();
    expect(st.compactions).toBeGreaterThan(2);
    expect(st.journal_records).toBeGreaterThan(16);
    // No close(): as after a crash, the newest values may live only in the journal.
    const loaded = await new RegistryStore(kv, log).load();
    const got = new Map(loaded.entries.map((e) => [Number(e.id.split('-').pop()), Number(e.reason!.split(' ')[1])]));
    expect([...got.entries()].sort((a, b) => a[0] - b[0])).toEqual([...newest.entries()].sort((a, b) => a[0] - b[0]));
    expect(loaded.invalid).toBe(0);
  });

  it('one decision bigger than a journal record spans several records and still lands whole', async () => {
    const store = new RegistryStore(kv, log, { maxRecordBytes: 3_000 });
    await store.load();
    const writes = Array.from({ length: 40 }, (_, i) => ({ key: deviceKey(`testvendor:big:dev-${i}`), value: JSON.stringify({ ...entry(i, 7), id: `testvendor:big:dev-${i}` }) }));
    await store.persist(writes);
    expect(store.counters.get('journal_records')).toBeGreaterThan(5);
    const loaded = await new RegistryStore(kv, log).load();
    expect(loaded.entries.filter((e) => e.id.startsWith('testvendor:big:')).length).toBe(40);
  });

  it('after a graceful close every device key holds its newest value', async () => {
    const store = new RegistryStore(kv, log);
    await store.load();
    await Promise.all([1, 2, 3].map((n) => store.persist([{ key: deviceKey('testvendor:store:dev-99'), value: JSON.stringify(entry(99, 1000 + n)) }])));
    expect((await kv.get(deviceKey('testvendor:store:dev-99')))?.json<RegistryEntry>().reason).not.toBe('write 1003');
    await store.close();
    expect((await kv.get(deviceKey('testvendor:store:dev-99')))?.json<RegistryEntry>().reason).toBe('write 1003');
  });

  it('an entry of the first format (device document inside) loads compact; its document moves to doc.<id>', async () => {
    const id = 'testvendor:v1:cam-1';
    const device = {
      id,
      name: 'Lobby',
      type: 'camera',
      customer_id: 'cust-test',
      site_id: 'site-test',
      status: 'online',
      mac_address: null,
      ip: '10.0.0.5',
      hostname: null,
      location: null,
      last_seen: '2024-01-01T00:00:00Z',
      status_changed_at: null,
      parent_id: 'testvendor:v1:rec-1',
      manufacturer: null,
      model: 'M1',
      firmware: null,
      serial: null,
      source: { vendor: 'testvendor', system_id: 'v1', native_type: 'camera', native_id: 'cam-1' },
      schema_version: 1,
    };
    const v1 = {
      ...entry(1, 1),
      v: 1,
      id,
      system_id: 'v1',
      source: device.source,
      device,
      fingerprint: undefined,
      name: undefined,
      type: undefined,
      parent_id: undefined,
      native_type: undefined,
      native_id: undefined,
    };
    await kv.put(deviceKey(id), JSON.stringify(v1));
    const store = new RegistryStore(kv, log);
    const loaded = await store.load();
    expect(loaded.converted).toBeGreaterThanOrEqual(1);
    const e = loaded.entries.find((x) => x.id === id)!;
    expect(e).toMatchObject({ v: 2, name: 'Lobby', type: 'camera', parent_id: 'testvendor:v1:rec-1', native_type: 'camera', native_id: 'cam-1' });
    expect(e.fingerprint).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect('device' in e).toBe(false);
    // Readable before the compaction wrote it, and from KV after.
    expect((await store.read([documentKey(id)])).get(documentKey(id))).toMatchObject({ ip: '10.0.0.5', model: 'M1' });
    await store.close();
    expect((await kv.get(documentKey(id)))?.json<{ ip: string }>().ip).toBe('10.0.0.5');
    expect((await kv.get(deviceKey(id)))?.json<{ v: number }>().v).toBe(2);
  });
});
