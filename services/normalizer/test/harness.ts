import { z } from 'zod';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import {
  CanonicalMessage,
  CONSUMERS,
  deviceId,
  DeviceStatus,
  DeviceType,
  MapperRegistry,
  STREAMS,
  subjects,
  type RawEnvelope,
  type StatusObservation,
  type VendorMapper,
} from '@edge/contracts';
import { AckPolicy, DeliverPolicy } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { provision, provisionOptionsFromConfig, sleep, startService, type RunningService } from '@edge/platform';
import { startNatsServer, testConfig, type TestNatsServer } from '@edge/platform/testing';
import { createNormalizerModule, normalizerConsumers } from '../src/normalizer.module';

/**
 * Test mapper: a made-up vendor with the smallest raw shape that exercises every normalizer
 * rule (parents, statuses, vendor times, event ids). Defined here so the normalizer's semantics
 * are tested independently of the real vendors.
 */
export const TEST_VENDOR = 'testvendor';
export const TestRawDevice = z.object({
  key: z.string().min(1),
  name: z.string(),
  type: DeviceType,
  status: DeviceStatus.optional(),
  parent: z.string().optional(),
  ip: z.string().optional(),
});
export const TestRawStatus = z.object({
  rows: z.array(
    z.object({
      key: z.string().min(1),
      status: DeviceStatus,
      at: z.string(),
      event_id: z.string().optional(),
      reason: z.string().optional(),
      via: z.enum(['event', 'poll']).optional(),
    }),
  ),
});
export type TestRawDevice = z.infer<typeof TestRawDevice>;
export type TestRawStatus = z.infer<typeof TestRawStatus>;

export const testMapper: VendorMapper<TestRawDevice, TestRawStatus> = {
  vendor: TEST_VENDOR,
  deviceSchema: TestRawDevice,
  statusSchema: TestRawStatus,
  mapDevice(p, ctx) {
    if (p.name === 'THROW') throw new Error('test mapper cannot map this device');
    return {
      id: deviceId(ctx.vendor, ctx.system_id, p.key),
      name: p.name,
      type: p.type,
      customer_id: ctx.customer_id,
      site_id: ctx.site_id,
      status: p.status ?? 'unknown',
      mac_address: null,
      ip: p.ip ?? null,
      hostname: null,
      location: null,
      last_seen: null,
      status_changed_at: null,
      parent_id: p.parent ? deviceId(ctx.vendor, ctx.system_id, p.parent) : null,
      manufacturer: null,
      model: null,
      firmware: null,
      serial: null,
      source: { vendor: ctx.vendor, system_id: ctx.system_id, native_type: p.type, native_id: p.key },
      schema_version: 1,
    };
  },
  mapStatus(p, ctx): StatusObservation[] {
    return p.rows.map((r) => ({
      device_id: deviceId(ctx.vendor, ctx.system_id, r.key),
      status: r.status,
      timestamp: r.at,
      reason: r.reason ?? null,
      observed_via: r.via ?? 'event',
      native_event_id: r.event_id ?? null,
      native_type: 'test',
      native_id: r.key,
    }));
  },
};

export function testMappers(): MapperRegistry {
  return new MapperRegistry().register(testMapper as VendorMapper<unknown, unknown>);
}

/** Builds raw envelopes of one system of the test vendor. */
export class RawBuilder {
  constructor(
    readonly systemId: string,
    readonly vendor = TEST_VENDOR,
  ) {}
  private env(kind: RawEnvelope['kind'], payload: unknown, observedAt: string, extra: Partial<RawEnvelope> = {}): RawEnvelope {
    return { schema: 'raw/v1', vendor: this.vendor, system_id: this.systemId, site_id: 'site-test', customer_id: 'cust-test', kind, observed_at: observedAt, payload, ...extra };
  }
  begin(syncId: string, at: string): RawEnvelope {
    return this.env('sync.begin', { trigger: 'command' }, at, { sync_id: syncId, seq: 0 });
  }
  device(syncId: string | null, seq: number, d: TestRawDevice, at: string): RawEnvelope {
    return this.env('device', d, at, syncId ? { sync_id: syncId, seq } : {});
  }
  end(syncId: string, count: number, at: string, complete = true, failedTypes?: Array<{ type: string; reason: string }>): RawEnvelope {
    return this.env('sync.end', { count, complete, ...(failedTypes ? { failed_types: failedTypes } : {}) }, at, { sync_id: syncId, seq: count + 1 });
  }
  status(rows: TestRawStatus['rows'], at: string): RawEnvelope {
    return this.env('status', { rows }, at);
  }
  /** A whole sync: begin, devices, end. */
  sync(syncId: string, devices: TestRawDevice[], at: string, opts: { complete?: boolean; count?: number; failedTypes?: Array<{ type: string; reason: string }> } = {}): RawEnvelope[] {
    return [this.begin(syncId, at), ...devices.map((d, i) => this.device(syncId, i + 1, d, at)), this.end(syncId, opts.count ?? devices.length, at, opts.complete ?? true, opts.failedTypes)];
  }
}

export function rawSubject(env: RawEnvelope): string {
  return subjects.raw(env.vendor, env.system_id, env.kind === 'status' ? 'status' : 'inventory');
}

/** Publishes raw envelopes (pipelined, in order) straight to stream RAW, as a collector would. */
export async function publishRaw(js: JetStreamClient, envs: RawEnvelope[], window = 256): Promise<void> {
  const inflight: Array<Promise<unknown>> = [];
  for (const env of envs) {
    inflight.push(js.publish(rawSubject(env), JSON.stringify(env), { msgID: `test:${nextRawId++}` }));
    if (inflight.length >= window) await inflight.shift();
  }
  await Promise.all(inflight);
}
let nextRawId = Date.now();

/** Publishes arbitrary bytes to a raw subject (malformed input). */
export async function publishBytes(js: JetStreamClient, subject: string, data: string | Uint8Array): Promise<number> {
  const pa = await js.publish(subject, data, { msgID: `test:${nextRawId++}` });
  return pa.seq;
}

export interface StoredCanonical {
  seq: number;
  subject: string;
  msgId: string;
  message: CanonicalMessage;
}

/** Every message of stream CANONICAL from `fromSeq`, validated against the contract. */
export async function readCanonical(nc: NatsConnection, fromSeq = 1): Promise<StoredCanonical[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(STREAMS.canonical);
  const last = info.state.last_seq;
  if (info.state.messages === 0 || last < fromSeq) return [];
  const js = jetstream(nc);
  const oc = await js.consumers.get(STREAMS.canonical, { opt_start_seq: fromSeq });
  const out: StoredCanonical[] = [];
  while (out.length === 0 || out[out.length - 1].seq < last) {
    const batch = await oc.fetch({ max_messages: 1000, expires: 2000 });
    let n = 0;
    for await (const m of batch) {
      n++;
      out.push({ seq: m.seq, subject: m.subject, msgId: m.headers?.get('Nats-Msg-Id') ?? '', message: CanonicalMessage.parse(m.json()) });
      if (m.seq >= last) break;
    }
    if (n === 0) break;
  }
  await oc.delete().catch(() => undefined);
  return out;
}

/** Waits until the normalizer consumed and acked everything in RAW. */
export async function waitIdle(nc: NatsConnection, timeoutMs = 120_000, durable: string = CONSUMERS.normalizer): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last = 'no answer';
  for (;;) {
    try {
      // Asked anew each time: the server may just have restarted.
      const jsm = await jetstreamManager(nc, { timeout: 2_000 });
      const i = await jsm.consumers.info(STREAMS.raw, durable);
      if (i.num_pending === 0 && i.num_ack_pending === 0) return;
      last = `pending ${i.num_pending}, ack pending ${i.num_ack_pending}`;
    } catch (e) {
      last = String((e as Error).message);
    }
    if (Date.now() > end) throw new Error(`normalizer not idle: ${last}`);
    await sleep(50);
  }
}

export interface Harness {
  /** Durable the normalizer consumes with. */
  durable: string;
  nats: TestNatsServer;
  nc: NatsConnection;
  js: JetStreamClient;
  normalizer: RunningService;
  startNormalizer(): Promise<RunningService>;
  stopNormalizer(): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * A real nats-server, the normalizer in process with the test mapper, and a test client.
 * `shortAckDurable` binds the normalizer to a test-made durable over all of RAW with a 2 s ack
 * wait instead of the provisioned one (30 s): after a stop, the unacked messages of the old
 * instance come back in seconds, which keeps restart tests short.
 */
export async function startHarness(opts: { shortAckDurable?: string; mappers?: () => MapperRegistry } = {}): Promise<Harness> {
  const nats = await startNatsServer();
  const config = testConfig(nats.url, { log: { level: (process.env.TEST_LOG_LEVEL as 'warn' | undefined) ?? 'error' } });
  let consumers = normalizerConsumers;
  if (opts.shortAckDurable) {
    const durable = opts.shortAckDurable;
    const admin = await connect({ servers: nats.url });
    await provision(admin, provisionOptionsFromConfig(config));
    const jsm = await jetstreamManager(admin);
    await jsm.consumers.add(STREAMS.raw, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: subjects.rawAll,
      ack_wait: nanos(2_000),
      max_deliver: -1,
      max_ack_pending: 10_000,
    });
    await admin.drain();
    consumers = normalizerConsumers.map((b) => ({ ...b, durable }));
  }
  const module = createNormalizerModule({ mappers: opts.mappers ?? testMappers, consumer: consumers[0] });
  const start = () => startService({ service: 'normalizer', module, consumers, config, httpPort: 0 });
  const h: Harness = {
    durable: consumers[0].durable,
    nats,
    nc: undefined as unknown as NatsConnection,
    js: undefined as unknown as JetStreamClient,
    normalizer: await start(),
    async startNormalizer() {
      h.normalizer = await start();
      return h.normalizer;
    },
    async stopNormalizer() {
      await h.normalizer.stop();
    },
    async dispose() {
      await h.normalizer.stop().catch(() => undefined);
      await h.nc.drain().catch(() => undefined);
      await nats.dispose();
    },
  };
  h.nc = await connect({ servers: nats.url, name: 'normalizer-test', maxReconnectAttempts: -1, reconnectTimeWait: 250 });
  h.js = jetstream(h.nc);
  return h;
}

/** Local part of a canonical id (`testvendor:sys:cam-1` → `cam-1`). */
export function local(id: string): string {
  return id.split(':').slice(2).join(':');
}

/** One line per canonical message, for readable expectations. */
export function describeCanonical(m: CanonicalMessage): string {
  switch (m.kind) {
    case 'device':
      return `device ${local(m.device.id)} ${m.device.status} sync=${m.sync_id ?? '-'}`;
    case 'health': {
      const e = m.event;
      return `health ${local(e.device_id)} ${e.previous_status}->${e.status} via=${e.observed_via} at=${e.timestamp}${e.reason ? ` reason=${e.reason.replace(/testvendor:[^:]+:/g, '')}` : ''}`;
    }
    case 'removed':
      return `removed ${local(m.device_id)}`;
    case 'sync.end':
      return `sync.end ${m.sync_id} count=${m.count} removed=${m.removed_count} complete=${m.complete}`;
  }
}

/** The system a canonical message belongs to. */
export function systemOf(m: CanonicalMessage): string {
  switch (m.kind) {
    case 'device':
      return m.device.source.system_id;
    case 'health':
      return m.event.source.system_id;
    case 'removed':
    case 'sync.end':
      return m.system_id;
  }
}

/** Deterministic pseudo-random numbers (tests must be reproducible). */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** `2024-05-19T14:00:00.000Z` + n seconds. */
export function t(n: number): string {
  return new Date(Date.UTC(2024, 4, 19, 14, 0, 0) + n * 1000).toISOString();
}
