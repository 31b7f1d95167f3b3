import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kvm } from '@nats-io/kv';
import { BUCKETS, HEADERS, subjects, type RawEnvelope } from '@edge/contracts';
import { createLogger } from '@edge/platform';
import { RegistryStore } from '../src/registry-store';
import { documentKey } from '../src/registry-entry';
import { describeCanonical, publishBytes, publishRaw, RawBuilder, readCanonical, startHarness, systemOf, t, waitIdle, type Harness, type StoredCanonical } from './harness';

interface Case {
  name: string;
  steps: (b: RawBuilder) => RawEnvelope[];
  expect: string[];
}

const on = (key: string, extra: Record<string, string> = {}) => ({ key, name: key, type: 'camera' as const, status: 'online' as const, ...extra });

/** Mapper-independent semantics: each case runs on its own system; expectations are the canonical messages, in order. */
const cases: Case[] = [
  {
    name: 'first appearance in a sync: inventory entry with the sync status, no health event',
    steps: (b) => b.sync('s1', [on('cam-1')], t(0)),
    expect: ['device cam-1 online sync=s1', 'sync.end s1 count=1 removed=0 complete=true'],
  },
  {
    name: 'repeats only refresh last_seen; a change emits health with previous_status',
    steps: (b) => [
      ...b.sync('s1', [on('cam-1')], t(0)),
      b.status([{ key: 'cam-1', status: 'online', at: t(10) }], t(10)),
      b.status([{ key: 'cam-1', status: 'online', at: t(20), via: 'poll' }], t(20)),
      b.status([{ key: 'cam-1', status: 'offline', at: t(30), reason: 'lost signal' }], t(30)),
      b.status([{ key: 'cam-1', status: 'offline', at: t(40) }], t(40)),
    ],
    expect: ['device cam-1 online sync=s1', 'sync.end s1 count=1 removed=0 complete=true', `health cam-1 online->offline via=event at=${t(30)} reason=lost signal`],
  },
  {
    name: 'an out-of-order observation never rolls the state back',
    steps: (b) => [
      ...b.sync('s1', [on('cam-1')], t(0)),
      b.status([{ key: 'cam-1', status: 'offline', at: t(30) }], t(30)),
      b.status([{ key: 'cam-1', status: 'online', at: t(20) }], t(31)),
      b.status([{ key: 'cam-1', status: 'offline', at: t(40) }], t(40)),
      b.status([{ key: 'cam-1', status: 'online', at: t(50) }], t(50)),
    ],
    expect: [
      'device cam-1 online sync=s1',
      'sync.end s1 count=1 removed=0 complete=true',
      `health cam-1 online->offline via=event at=${t(30)}`,
      `health cam-1 offline->online via=event at=${t(50)}`,
    ],
  },
  {
    name: 'an event newer than a sync wins the inventory status; the sync emits no health event',
    steps: (b) => [...b.sync('s1', [on('cam-1')], t(0)), b.status([{ key: 'cam-1', status: 'offline', at: t(100) }], t(100)), ...b.sync('s2', [on('cam-1')], t(50))],
    expect: [
      'device cam-1 online sync=s1',
      'sync.end s1 count=1 removed=0 complete=true',
      `health cam-1 online->offline via=event at=${t(100)}`,
      'device cam-1 offline sync=s2',
      'sync.end s2 count=1 removed=0 complete=true',
    ],
  },
  {
    name: 'a status change seen in a sync emits a health event observed via sync',
    steps: (b) => [...b.sync('s1', [on('cam-1')], t(0)), ...b.sync('s2', [on('cam-1', { status: 'offline' })], t(100))],
    expect: [
      'device cam-1 online sync=s1',
      'sync.end s1 count=1 removed=0 complete=true',
      `health cam-1 online->offline via=sync at=${t(100)}`,
      'device cam-1 offline sync=s2',
      'sync.end s2 count=1 removed=0 complete=true',
    ],
  },
  {
    name: 'unknown status in a sync is no knowledge: the known status stays',
    steps: (b) => [...b.sync('s1', [on('cam-1')], t(0)), ...b.sync('s2', [{ key: 'cam-1', name: 'cam-1', type: 'camera' }], t(100))],
    expect: ['device cam-1 online sync=s1', 'sync.end s1 count=1 removed=0 complete=true', 'device cam-1 online sync=s2', 'sync.end s2 count=1 removed=0 complete=true'],
  },
  {
    name: 'a complete sync whose count matches removes the devices it no longer lists',
    steps: (b) => [...b.sync('s1', [on('a'), on('b'), on('c')], t(0)), ...b.sync('s2', [on('a'), on('c')], t(100))],
    expect: [
      'device a online sync=s1',
      'device b online sync=s1',
      'device c online sync=s1',
      'sync.end s1 count=3 removed=0 complete=true',
      'device a online sync=s2',
      'device c online sync=s2',
      'removed b',
      'sync.end s2 count=2 removed=1 complete=true',
    ],
  },
  {
    name: 'a partial sync (one native type failed) keeps the devices of that type and removes those of the others',
    steps: (b) => [
      ...b.sync('s1', [on('cam-a'), on('panel', { type: 'access_panel' }), on('rdr-1', { type: 'access_control', parent: 'panel' })], t(0)),
      ...b.sync('s2', [on('panel', { type: 'access_panel' })], t(100), { failedTypes: [{ type: 'access_control', reason: 'HTTP 403' }] }),
    ],
    expect: [
      'device cam-a online sync=s1',
      'device panel online sync=s1',
      'device rdr-1 online sync=s1',
      'sync.end s1 count=3 removed=0 complete=true',
      'device panel online sync=s2',
      'removed cam-a',
      'sync.end s2 count=1 removed=1 complete=true',
    ],
  },
  {
    name: 'an interrupted sync removes nothing',
    steps: (b) => [...b.sync('s1', [on('a'), on('b')], t(0)), ...b.sync('s2', [on('a')], t(100), { complete: false })],
    expect: ['device a online sync=s1', 'device b online sync=s1', 'sync.end s1 count=2 removed=0 complete=true', 'device a online sync=s2', 'sync.end s2 count=1 removed=0 complete=false'],
  },
  {
    name: 'a sync whose count does not match what was received removes nothing',
    steps: (b) => [...b.sync('s1', [on('a'), on('b')], t(0)), ...b.sync('s2', [on('a')], t(100), { count: 2 })],
    expect: ['device a online sync=s1', 'device b online sync=s1', 'sync.end s1 count=2 removed=0 complete=true', 'device a online sync=s2', 'sync.end s2 count=2 removed=0 complete=false'],
  },
  {
    name: 'a removed device that reappears is listed again',
    steps: (b) => [...b.sync('s1', [on('a'), on('b')], t(0)), ...b.sync('s2', [on('a')], t(100)), ...b.sync('s3', [on('a'), on('b')], t(200))],
    expect: [
      'device a online sync=s1',
      'device b online sync=s1',
      'sync.end s1 count=2 removed=0 complete=true',
      'device a online sync=s2',
      'removed b',
      'sync.end s2 count=1 removed=1 complete=true',
      'device a online sync=s3',
      'device b online sync=s3',
      'sync.end s3 count=2 removed=0 complete=true',
    ],
  },
  {
    name: 'parent offline: no guessed child events; a child going offline says its parent is the cause',
    steps: (b) => [
      ...b.sync('s1', [on('panel', { type: 'access_panel' }), on('rdr-1', { type: 'access_control', parent: 'panel' }), on('rdr-2', { type: 'access_control', parent: 'panel' })], t(0)),
      b.status([{ key: 'panel', status: 'offline', at: t(10) }], t(10)),
      b.status([{ key: 'rdr-1', status: 'offline', at: t(11) }], t(11)),
      b.status([{ key: 'panel', status: 'online', at: t(20) }], t(20)),
      b.status([{ key: 'rdr-2', status: 'offline', at: t(21) }], t(21)),
    ],
    expect: [
      'device panel online sync=s1',
      'device rdr-1 online sync=s1',
      'device rdr-2 online sync=s1',
      'sync.end s1 count=3 removed=0 complete=true',
      `health panel online->offline via=event at=${t(10)}`,
      `health rdr-1 online->offline via=event at=${t(11)} reason=parent panel is offline`,
      `health panel offline->online via=event at=${t(20)}`,
      `health rdr-2 online->offline via=event at=${t(21)}`,
    ],
  },
  {
    name: 'status of a device not listed yet is kept for its first inventory entry',
    steps: (b) => [b.status([{ key: 'cam-9', status: 'offline', at: t(10) }], t(10)), ...b.sync('s1', [on('cam-9')], t(5))],
    expect: ['device cam-9 offline sync=s1', 'sync.end s1 count=1 removed=0 complete=true'],
  },
  {
    name: 'device updates outside a sync: first appearance and real changes only',
    steps: (b) => [b.device(null, 0, on('cam-1'), t(0)), b.device(null, 0, on('cam-1'), t(10)), b.device(null, 0, on('cam-1', { name: 'Lobby' }), t(20))],
    expect: ['device cam-1 online sync=-', 'device cam-1 online sync=-'],
  },
  {
    name: 'the same observation sent twice yields one event',
    steps: (b) => [
      ...b.sync('s1', [on('cam-1')], t(0)),
      b.status([{ key: 'cam-1', status: 'offline', at: t(10), event_id: 'ev-1' }], t(10)),
      b.status([{ key: 'cam-1', status: 'offline', at: t(10), event_id: 'ev-1' }], t(11)),
    ],
    expect: ['device cam-1 online sync=s1', 'sync.end s1 count=1 removed=0 complete=true', `health cam-1 online->offline via=event at=${t(10)}`],
  },
];

describe('normalizer semantics (real nats-server, test mapper)', () => {
  let h: Harness;
  let canonical: StoredCanonical[];

  beforeAll(async () => {
    h = await startHarness();
    // Every case on its own system, all published together: they are independent.
    const envs = cases.flatMap((c, i) => c.steps(new RawBuilder(`case-${i}`)));
    await publishRaw(h.js, envs);
    await waitIdle(h.nc);
    canonical = await readCanonical(h.nc);
  });
  afterAll(async () => {
    await h?.dispose();
  });

  it.each(cases.map((c, i) => ({ ...c, system: `case-${i}` })))('$name', ({ system, expect: want }) => {
    const got = canonical.filter((c) => systemOf(c.message) === system).map((c) => describeCanonical(c.message));
    expect(got).toEqual(want);
  });

  it('publishes inventory to canonical.inventory.<site> and health to canonical.health.<site>, with unique msg-ids', () => {
    for (const c of canonical) expect(c.subject).toBe(c.message.kind === 'health' ? subjects.canonicalHealth('site-test') : subjects.canonicalInventory('site-test'));
    expect(new Set(canonical.map((c) => c.msgId)).size).toBe(canonical.length);
    const ids = canonical.flatMap((c) => (c.message.kind === 'health' ? [c.message.event.event_id] : []));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('keeps the device registry in KV: status, status_changed_at, last_seen, last sync id', async () => {
    // What a restarted normalizer would load (device keys + journal), read independently.
    const kv = await new Kvm(h.nc).open(BUCKETS.devices);
    const store = new RegistryStore(kv, createLogger({ service: 'test', level: 'silent' }));
    const loaded = await store.load();
    const byId = new Map(loaded.entries.map((e) => [e.id, e]));
    expect(byId.get('testvendor:case-1:cam-1')).toMatchObject({ status: 'offline', status_changed_at: t(30), status_at: t(40), last_seen: t(20), last_sync_id: 's1', removed_at: null });
    // An outbox emptied after the stream stored its messages reaches KV lazily (with the record's
    // next change or the compaction): whatever a reader still finds there is in CANONICAL already,
    // so a restart's republish is deduplicated by msg-id.
    const stored = new Set((await readCanonical(h.nc)).map((c) => c.msgId));
    for (const e of loaded.entries) for (const p of e.outbox) expect(stored.has(p.msgId)).toBe(true);
    expect(byId.get('testvendor:case-1:cam-1')).toMatchObject({ name: 'cam-1', type: expect.any(String) });
    // The document as last listed (status and times are the entry's, above).
    const docs = await store.read([documentKey('testvendor:case-1:cam-1')]);
    expect(docs.get(documentKey('testvendor:case-1:cam-1'))).toMatchObject({ name: 'cam-1', id: 'testvendor:case-1:cam-1' });
    expect(byId.get('testvendor:case-6:b')!.removed_at).toBe(t(100));
    expect(loaded.invalid).toBe(0);
  });

  it('reports counts, registry size and consumer lag on /status', async () => {
    const res = await fetch(`http://127.0.0.1:${h.normalizer.httpPort}/status`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      normalizer: { processed: number; emitted: Record<string, number>; dropped: Record<string, number>; out_of_order_decisions: number; registry: { devices: number; removed: number } };
      consumers: Record<string, { lag: { pending: number; ack_pending: number } | null }>;
    };
    expect(body.normalizer.processed).toBeGreaterThan(0);
    expect(body.normalizer.emitted.health).toBe(canonical.filter((c) => c.message.kind === 'health').length);
    expect(body.normalizer.emitted.device).toBe(canonical.filter((c) => c.message.kind === 'device').length);
    expect(body.normalizer.emitted.removed).toBe(canonical.filter((c) => c.message.kind === 'removed').length);
    // Three removals happened; one of those devices came back in a later sync.
    expect(body.normalizer.registry.removed).toBe(2);
    expect(body.normalizer.out_of_order_decisions).toBe(0);
    expect(body.consumers.raw.lag).toMatchObject({ pending: 0, ack_pending: 0 });
  });

  it('dead-letters malformed input with its reason and original bytes, and moves on', async () => {
    const b = new RawBuilder('dlq');
    const inv = subjects.raw('testvendor', 'dlq', 'inventory');
    const bad: Array<{ data: string; reason: RegExp }> = [
      { data: 'not json at all', reason: /invalid_json/ },
      { data: JSON.stringify({ ...b.begin('s1', t(0)), schema: 'raw/v9' }), reason: /invalid_envelope.*schema/ },
      { data: JSON.stringify({ ...b.begin('s1', t(0)), observed_at: '19/05/2024' }), reason: /invalid_envelope.*observed_at/ },
      { data: JSON.stringify({ ...b.device('s1', 1, on('x'), t(0)), vendor: 'nosuchvendor' }), reason: /unknown_vendor.*nosuchvendor/ },
      { data: JSON.stringify(b.device('s1', 1, { key: 'x', name: 'x', type: 'spaceship' } as never, t(0))), reason: /invalid_payload.*type/ },
      { data: JSON.stringify(b.device('s1', 1, on('x', { name: 'THROW' }), t(0))), reason: /mapper_error.*cannot map/ },
      { data: JSON.stringify({ ...b.end('s1', 1, t(0)), payload: { count: -1 } }), reason: /invalid_payload.*count/ },
    ];
    const seqs: number[] = [];
    for (const x of bad) seqs.push(await publishBytes(h.js, inv, x.data));
    const before = (await readCanonical(h.nc)).length;
    await publishRaw(h.js, b.sync('s-ok', [on('ok')], t(0)));
    await waitIdle(h.nc);

    const entries = await h.normalizer.runtime.dlq.list({ limit: 100 });
    for (const [i, x] of bad.entries()) {
      const e = entries.find((d) => d.original_seq === seqs[i]);
      expect(e, `DLQ entry for ${x.data.slice(0, 40)}`).toBeDefined();
      expect(e!.stage).toBe('normalizer');
      expect(e!.original_subject).toBe(inv);
      expect(`${e!.kind}: ${e!.reason}`).toMatch(x.reason);
      const shown = await h.normalizer.runtime.dlq.show(e!.seq);
      expect(shown!.data).toBe(x.data);
      expect(shown!.headers[HEADERS.dlqReason]?.[0]).toBe(e!.reason);
    }
    const after = (await readCanonical(h.nc, 1)).slice(before).map((c) => describeCanonical(c.message));
    expect(after).toEqual(['device ok online sync=s-ok', 'sync.end s-ok count=1 removed=0 complete=true']);
  });
});
