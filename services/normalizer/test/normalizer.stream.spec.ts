import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { STREAMS, type DeviceStatus, type RawEnvelope } from '@edge/contracts';
import { sleep } from '@edge/platform';
import { healthEventId } from '../src/device-registry';
import { publishRaw, RawBuilder, readCanonical, seeded, startHarness, systemOf, t, waitIdle, type Harness, type StoredCanonical } from './harness';

const DURABLE = 'normalizer-stream-test';
const STATUSES: DeviceStatus[] = ['online', 'online', 'online', 'offline', 'offline', 'degraded'];

interface Workload {
  envs: RawEnvelope[];
  /** Expected health changes per device, in order: `prev->status@timestamp`. */
  expected: Map<string, string[]>;
  devices: number;
}

/**
 * A sync of `devices` devices (all online), then `observations` single-row status messages at
 * random devices; ~5% carry a timestamp older than what came before (out of order). The
 * expected changes are computed here, independently of the normalizer, by the plain rule:
 * older than the device's newest knowledge → ignored; same status → nothing; else a change.
 */
function workload(system: string, devices: number, observations: number, seed: number): Workload {
  const rnd = seeded(seed);
  const b = new RawBuilder(system);
  const keys = Array.from({ length: devices }, (_, i) => `dev-${i}`);
  const envs: RawEnvelope[] = b.sync('s1', keys.map((key) => ({ key, name: key, type: 'camera', status: 'online' })), t(0));
  const model = new Map(keys.map((k) => [k, { status: 'online' as DeviceStatus, at: t(0) }]));
  const expected = new Map<string, string[]>();
  for (let i = 0; i < observations; i++) {
    const key = keys[Math.floor(rnd() * devices)];
    const status = STATUSES[Math.floor(rnd() * STATUSES.length)];
    const late = rnd() < 0.05;
    const at = t(10 + i - (late ? 1 + Math.floor(rnd() * 300) : 0));
    envs.push(b.status([{ key, status, at, via: i % 2 ? 'poll' : 'event' }], t(10 + i)));
    const m = model.get(key)!;
    if (Date.parse(at) < Date.parse(m.at)) continue;
    if (status !== m.status) {
      const list = expected.get(key) ?? [];
      list.push(`${m.status}->${status}@${at}`);
      expected.set(key, list);
      m.status = status;
    }
    m.at = at;
  }
  return { envs, expected, devices };
}

function changesOf(canonical: StoredCanonical[], system: string): Map<string, string[]> {
  const got = new Map<string, string[]>();
  const events = canonical.flatMap((c) => (c.message.kind === 'health' && systemOf(c.message) === system ? [c.message.event] : []));
  for (const e of events) {
    const key = e.device_id.split(':')[2];
    const list = got.get(key) ?? [];
    list.push(`${e.previous_status}->${e.status}@${e.timestamp}`);
    got.set(key, list);
  }
  return got;
}

function sorted(m: Map<string, string[]>): Array<[string, string[]]> {
  return [...m.entries()].sort(([a], [b]) => a.localeCompare(b));
}

/** Nothing lost, nothing twice: per device, exactly the expected changes in stream order; every id once. */
function expectExactly(canonical: StoredCanonical[], system: string, w: Workload): void {
  expect(sorted(changesOf(canonical, system))).toEqual(sorted(w.expected));
  const mine = canonical.filter((c) => systemOf(c.message) === system);
  const eventIds = mine.flatMap((c) => (c.message.kind === 'health' ? [c.message.event.event_id] : []));
  expect(new Set(eventIds).size).toBe(eventIds.length);
  // The ids are the deterministic ids of exactly the expected events.
  const expectedIds = [...w.expected].flatMap(([key, changes]) =>
    changes.map((c) => {
      const [, status, at] = /^\w+->(\w+)@(.+)$/.exec(c)!;
      return healthEventId(`testvendor:${system}:${key}`, status as DeviceStatus, at, null);
    }),
  );
  expect([...eventIds].sort()).toEqual(expectedIds.sort());
  expect(new Set(mine.map((c) => c.msgId)).size).toBe(mine.length);
  const inventory = mine.filter((c) => c.message.kind === 'device');
  expect(inventory.length).toBe(w.devices);
  expect(mine.filter((c) => c.message.kind === 'sync.end').length).toBe(1);
}

async function consumerState(h: Harness, durable: string): Promise<{ pending: number; ackPending: number }> {
  const jsm = await jetstreamManager(h.nc);
  const i = await jsm.consumers.info(STREAMS.raw, durable);
  return { pending: i.num_pending, ackPending: i.num_ack_pending };
}

/** Waits until at least `n` of the messages waiting for `durable` were delivered. */
async function waitDelivered(h: Harness, durable: string, total: number, n: number): Promise<void> {
  while ((await consumerState(h, durable)).pending > total - n) await sleep(5);
}

async function waitIdleDurable(h: Harness, durable: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const i = await consumerState(h, durable);
    if (i.pending === 0 && i.ackPending === 0) return;
    if (Date.now() > end) throw new Error(`${durable} not idle: pending ${i.pending}, ack pending ${i.ackPending}`);
    await sleep(50);
  }
}

describe('normalizer on a stream (real nats-server, test mapper)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ shortAckDurable: DURABLE });
  });
  afterAll(async () => {
    await h?.dispose();
  });

  it('10 000 observations for 1 000 devices produce exactly the expected changes', async () => {
    const w = workload('bulk', 1_000, 10_000, 42);
    expect([...w.expected.values()].flat().length).toBeGreaterThan(3_000);
    await publishRaw(h.js, w.envs);
    await waitIdle(h.nc, 120_000, DURABLE);
    expectExactly(await readCanonical(h.nc), 'bulk', w);
    const status = (await h.normalizer.runtime.status.snapshot()) as { normalizer: { out_of_order_decisions: number; failed: number } };
    expect(status.normalizer.out_of_order_decisions).toBe(0);
    expect(status.normalizer.failed).toBe(0);
  });

  it('a restart of the normalizer mid-stream loses and duplicates nothing', async () => {
    const w = workload('restart', 300, 6_000, 7);
    await h.stopNormalizer();
    await publishRaw(h.js, w.envs);
    // Stop while the stream is being worked through, then start a fresh instance.
    await h.startNormalizer();
    await waitDelivered(h, DURABLE, w.envs.length, 1_500);
    await h.stopNormalizer();
    const left = await consumerState(h, DURABLE);
    expect(left.pending + left.ackPending).toBeGreaterThan(0);
    await h.startNormalizer();
    await waitIdle(h.nc, 120_000, DURABLE);
    expectExactly(await readCanonical(h.nc), 'restart', w);
  });

  it('a nats-server restart mid-stream: every device ends in its newest status, no event twice, no rollback', async () => {
    const w = workload('outage', 300, 6_000, 23);
    await h.stopNormalizer();
    await publishRaw(h.js, w.envs);
    await h.startNormalizer();
    await waitDelivered(h, DURABLE, w.envs.length, 1_500);
    // Publishes, registry writes and acks in flight fail; everything reconnects and retries.
    await h.nats.stop();
    await sleep(2_000);
    await h.nats.restart();
    await waitIdle(h.nc, 120_000, DURABLE);
    const mine = (await readCanonical(h.nc)).filter((c) => systemOf(c.message) === 'outage');
    const events = mine.flatMap((c) => (c.message.kind === 'health' ? [c.message.event] : [])).sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));
    expect(new Set(events.map((e) => e.event_id)).size).toBe(events.length);
    expect(new Set(mine.map((c) => c.msgId)).size).toBe(mine.length);
    // Messages that were on their way when the connection dropped come back after the ack wait,
    // possibly after newer ones: a short-lived change between them can be merged, but the chain
    // of each device stays consistent and ends in its newest status. (This workload has no two
    // observations of one device with the same timestamp, so timestamps order each chain.)
    const last = new Map<string, { status: string; at: number }>();
    for (const e of events) {
      const key = e.device_id.split(':')[2];
      const prev = last.get(key) ?? { status: 'online', at: 0 };
      expect(e.previous_status, `${key} at ${e.timestamp}`).toBe(prev.status);
      expect(Date.parse(e.timestamp)).toBeGreaterThan(prev.at);
      last.set(key, { status: e.status, at: Date.parse(e.timestamp) });
    }
    for (const [key, changes] of w.expected) expect(last.get(key)?.status, key).toBe(/->(\w+)@/.exec(changes[changes.length - 1])![1]);
    expect(mine.filter((c) => c.message.kind === 'device').length).toBe(w.devices);
  });

  it('a killed normalizer process (SIGKILL mid-stream) loses and duplicates nothing after it restarts', async () => {
    // The in-process instance steps aside; a process on the same durable takes over.
    await h.stopNormalizer();
    const durable = DURABLE;
    const dir = mkdtempSync(join(tmpdir(), 'normalizer-test-'));
    const configFile = join(dir, 'edge.yaml');
    writeFileSync(
      configFile,
      [
        'site: { id: site-test, customer_id: cust-test }',
        `nats: { url: "${h.nats.url}" }`,
        'cloud: { base_url: "http://127.0.0.1:9", token: test-cloud-token }',
        'streams: { duplicate_window: 30s }',
        'http: { host: 127.0.0.1, ports: { normalizer: 0 } }',
        'log: { level: error }',
      ].join('\n'),
    );
    const entry = resolve(__dirname, 'normalizer.process.ts');
    const spawnNormalizer = (): ChildProcess =>
      spawn(process.execPath, ['--import', 'tsx', entry], { env: { ...process.env, EDGE_CONFIG: configFile, NORMALIZER_DURABLE: durable }, stdio: ['ignore', 'ignore', 'inherit'] });
    const w = workload('crash', 300, 6_000, 99);
    await publishRaw(h.js, w.envs);
    let child = spawnNormalizer();
    try {
      await waitDelivered(h, durable, w.envs.length, 1_500);
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      const left = await consumerState(h, durable);
      expect(left.pending + left.ackPending).toBeGreaterThan(0);
      child = spawnNormalizer();
      await waitIdleDurable(h, durable, 120_000);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    }
    expectExactly(await readCanonical(h.nc), 'crash', w);
  });
});
