/**
 * Normalizer throughput against the raw JetStream hop ceiling, on one real nats-server.
 *
 * - ceiling: the platform's consume loop on a durable over the same raw messages, with the same
 *   concurrency and pull size as the normalizer; its handler publishes the message's bytes
 *   (same size) with a msg-id through the platform Publisher on the same connection, then the
 *   loop acks. That is consume → publish with msg-id → ack, pipelined the same way.
 * - normalizer: the real service in process (startService), registry pre-filled by a 20k-device
 *   inventory sync, then 100k status messages over the 20k devices: 95% repeat the current
 *   status, 5% change it.
 *
 * Throughput is measured over the steady middle of each run (from 5% to 95% consumed).
 * Run: `npx tsx bench/normalizer.ts` (prints JSON).
 */
import { z } from 'zod';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import {
  CONSUMERS,
  deviceId,
  DeviceStatus,
  MapperRegistry,
  STREAMS,
  subjects,
  type RawEnvelope,
  type StatusObservation,
  type VendorMapper,
} from '@edge/contracts';
import { createLogger, DurableConsumer, provision, provisionOptionsFromConfig, Publisher, sleep, startService } from '@edge/platform';
import { startNatsServer, testConfig } from '@edge/platform/testing';
import { createNormalizerModule, normalizerConsumers } from '../services/normalizer/src/normalizer.module';

const DEVICES = Number(process.env.BENCH_DEVICES ?? 20_000);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 100_000);
/** Share of status messages that change the device's status (`BENCH_CHANGE_RATIO`; the e2e burst is all changes). */
const CHANGE_RATIO = Number(process.env.BENCH_CHANGE_RATIO ?? 0.05);
const VENDOR = 'benchvendor';
const SYSTEM = 'bench';

/** Bench mapper: a vendor-shaped device (a handful of fields) and a one-row status event. */
const BenchDevice = z.object({ Id: z.number(), Name: z.string(), Kind: z.string(), Address: z.string(), Mac: z.string(), Online: z.boolean() });
const BenchStatus = z.object({ DeviceId: z.number(), State: DeviceStatus, Time: z.string(), EventId: z.string() });
type BenchDevice = z.infer<typeof BenchDevice>;
type BenchStatus = z.infer<typeof BenchStatus>;
const benchMapper: VendorMapper<BenchDevice, BenchStatus> = {
  vendor: VENDOR,
  deviceSchema: BenchDevice,
  statusSchema: BenchStatus,
  mapDevice: (p, ctx) => ({
    id: deviceId(ctx.vendor, ctx.system_id, p.Id),
    name: p.Name,
    type: 'camera',
    customer_id: ctx.customer_id,
    site_id: ctx.site_id,
    status: p.Online ? 'online' : 'offline',
    mac_address: p.Mac,
    ip: p.Address,
    hostname: null,
    location: null,
    last_seen: null,
    status_changed_at: null,
    parent_id: null,
    manufacturer: 'Bench',
    model: 'B-1',
    firmware: '1.0',
    serial: null,
    source: { vendor: ctx.vendor, system_id: ctx.system_id, native_type: p.Kind, native_id: String(p.Id) },
    schema_version: 1,
  }),
  mapStatus: (p, ctx): StatusObservation[] => [
    {
      device_id: deviceId(ctx.vendor, ctx.system_id, p.DeviceId),
      status: p.State,
      timestamp: p.Time,
      reason: null,
      observed_via: 'event',
      native_event_id: p.EventId,
      native_type: 'Camera',
      native_id: String(p.DeviceId),
    },
  ],
};

function envelope(kind: RawEnvelope['kind'], payload: unknown, at: string, extra: Partial<RawEnvelope> = {}): RawEnvelope {
  return { schema: 'raw/v1', vendor: VENDOR, system_id: SYSTEM, site_id: 'site-bench', customer_id: 'cust-bench', kind, observed_at: at, payload, ...extra };
}

const iso = (ms: number) => new Date(Date.UTC(2024, 4, 19) + ms).toISOString();
const mac = (i: number) => `00:1B:44:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`.toUpperCase();

async function publishAll(js: JetStreamClient, items: Array<{ subject: string; body: string; id: string }>, window = 512): Promise<void> {
  const inflight: Array<Promise<unknown>> = [];
  for (const it of items) {
    inflight.push(js.publish(it.subject, it.body, { msgID: it.id }));
    if (inflight.length >= window) await inflight.shift();
  }
  await Promise.all(inflight);
}

async function consumerPending(nc: NatsConnection, durable: string): Promise<{ pending: number; ackPending: number }> {
  const jsm = await jetstreamManager(nc);
  const i = await jsm.consumers.info(STREAMS.raw, durable);
  return { pending: i.num_pending, ackPending: i.num_ack_pending };
}

/**
 * Samples a consumer until `total` messages are done; returns the steady-state rate (msgs/s
 * between 5% and 95% done), the total time and the peak RSS seen.
 */
async function measure(nc: NatsConnection, durable: string, total: number): Promise<{ rate: number; seconds: number; rssPeakMb: number }> {
  const t0 = Date.now();
  let tLow: number | null = null;
  let tHigh: number | null = null;
  let rssPeak = process.memoryUsage().rss;
  for (;;) {
    const s = await consumerPending(nc, durable);
    const done = total - s.pending - s.ackPending;
    const now = Date.now();
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    if (tLow === null && done >= total * 0.05) tLow = now;
    if (tHigh === null && done >= total * 0.95) tHigh = now;
    if (s.pending === 0 && s.ackPending === 0) break;
    await sleep(20);
  }
  const seconds = (Date.now() - t0) / 1000;
  const window = ((tHigh ?? Date.now()) - (tLow ?? t0)) / 1000;
  return { rate: window > 0 ? (total * 0.9) / window : total / seconds, seconds, rssPeakMb: rssPeak / 1024 / 1024 };
}

export async function run(): Promise<Record<string, number>> {
  const nats = await startNatsServer();
  const log = createLogger({ service: 'bench', level: 'silent' });
  const config = testConfig(nats.url, { log: { level: 'error' }, streams: { duplicate_window: '2m' } });
  const nc = await connect({ servers: nats.url, name: 'bench-driver' });
  try {
    await provision(nc, provisionOptionsFromConfig(config));
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    const statusSubject = subjects.raw(VENDOR, SYSTEM, 'status');
    await jsm.consumers.add(STREAMS.raw, {
      durable_name: 'bench-ceiling',
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: statusSubject,
      ack_wait: nanos(30_000),
      max_deliver: -1,
      max_ack_pending: 10_000,
    });

    // Inventory: one complete sync of every device (online).
    const invSubject = subjects.raw(VENDOR, SYSTEM, 'inventory');
    const inv: Array<{ subject: string; body: string; id: string }> = [{ subject: invSubject, body: JSON.stringify(envelope('sync.begin', { trigger: 'command' }, iso(0), { sync_id: 's1', seq: 0 })), id: 'inv:begin' }];
    for (let i = 0; i < DEVICES; i++) {
      const d: BenchDevice = { Id: i + 1, Name: `Camera ${i + 1}`, Kind: 'Camera', Address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, Mac: mac(i + 1), Online: true };
      inv.push({ subject: invSubject, body: JSON.stringify(envelope('device', d, iso(0), { sync_id: 's1', seq: i + 1 })), id: `inv:${i}` });
    }
    inv.push({ subject: invSubject, body: JSON.stringify(envelope('sync.end', { count: DEVICES, complete: true }, iso(0), { sync_id: 's1', seq: DEVICES + 1 })), id: 'inv:end' });

    // Status: 95% repeat the device's current status, 5% change it; times move forward.
    const current = new Array<DeviceStatus>(DEVICES).fill('online');
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
    const status: Array<{ subject: string; body: string; id: string }> = [];
    let changes = 0;
    for (let n = 0; n < MESSAGES; n++) {
      const i = Math.floor(rnd() * DEVICES);
      if (rnd() < CHANGE_RATIO) {
        current[i] = current[i] === 'online' ? 'offline' : 'online';
        changes++;
      }
      const at = iso(60_000 + n * 10);
      const p: BenchStatus = { DeviceId: i + 1, State: current[i], Time: at, EventId: `ev-${n}` };
      status.push({ subject: statusSubject, body: JSON.stringify(envelope('status', p, at)), id: `st:${n}` });
    }
    const rawBytes = Math.round(status.reduce((a, s) => a + s.body.length, 0) / status.length);

    // Normalizer, phase 1: inventory (fills the registry and KV).
    const module = createNormalizerModule({ mappers: () => new MapperRegistry().register(benchMapper as VendorMapper<unknown, unknown>) });
    const startNormalizer = () => startService({ service: 'normalizer', module, consumers: normalizerConsumers, config, httpPort: 0 });
    let svc = await startNormalizer();
    const tInv = Date.now();
    await publishAll(js, inv);
    while (Object.values(await consumerPending(nc, CONSUMERS.normalizer)).some((v) => v > 0)) await sleep(20);
    const inventorySeconds = (Date.now() - tInv) / 1000;
    await svc.stop();

    // All status messages stored before either consumer runs: both measure consumption only.
    await publishAll(js, status);
    status.length = 0;

    // Ceiling: consume → publish (same bytes, msg-id, same connection) → ack.
    const ceilingNc = await connect({ servers: nats.url, name: 'bench-ceiling' });
    const publisher = new Publisher(ceilingNc, log, { retryForMs: 60_000, timeoutMs: 5_000 });
    const canonicalSubject = subjects.canonicalHealth('site-bench');
    const binding = normalizerConsumers[0];
    const ceiling = new DurableConsumer(ceilingNc, publisher, log, {
      stream: STREAMS.raw,
      durable: 'bench-ceiling',
      stage: 'bench',
      concurrency: binding.concurrency,
      fetchBatch: binding.fetchBatch,
      handler: async (d) => {
        await publisher.publish(canonicalSubject, d.data, { msgId: `ceiling:${d.seq}`, headers: { 'Content-Type': 'application/json' } });
      },
    });
    global.gc?.();
    // BENCH_SKIP_CEILING=1 runs only the normalizer (for profiling it alone).
    const skipCeiling = process.env.BENCH_SKIP_CEILING === '1';
    if (!skipCeiling) await ceiling.start();
    const c = skipCeiling ? { rate: Number.NaN, seconds: Number.NaN, rssPeakMb: 0 } : await measure(nc, 'bench-ceiling', MESSAGES);
    await ceiling.stop();
    await ceilingNc.drain();

    // Normalizer, phase 2: the status mix.
    global.gc?.();
    const rssBefore = process.memoryUsage().rss / 1024 / 1024;
    svc = await startNormalizer();
    const n = await measure(nc, CONSUMERS.normalizer, MESSAGES);
    await svc.stop();
    // Taken after the stop: includes the final compaction into the device keys.
    const st = (await svc.runtime.status.snapshot()) as {
      normalizer: { emitted: Record<string, number>; processed: number; failed: number; registry: { store: Record<string, number> } };
    };
    const emittedHealth = st.normalizer.emitted.health ?? 0;
    if (emittedHealth !== changes) throw new Error(`normalizer emitted ${emittedHealth} health events for ${changes} changes`);

    return {
      raw_message_bytes: rawBytes,
      devices: DEVICES,
      messages: MESSAGES,
      inventory_20k_seconds: round(inventorySeconds, 2),
      ceiling_msgs_per_s: Math.round(c.rate),
      ceiling_seconds: round(c.seconds, 2),
      normalizer_msgs_per_s: Math.round(n.rate),
      normalizer_seconds: round(n.seconds, 2),
      normalizer_ratio_to_ceiling: round(n.rate / c.rate, 3),
      normalizer_health_events: emittedHealth,
      normalizer_kv_journal_records: st.normalizer.registry.store.journal_records ?? 0,
      normalizer_kv_compaction_writes: st.normalizer.registry.store.compaction_writes ?? 0,
      harness_rss_mb_before: Math.round(rssBefore),
      harness_rss_mb_peak: Math.round(n.rssPeakMb),
    };
  } finally {
    await nc.drain().catch(() => undefined);
    await nats.dispose();
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

if (require.main === module) {
  run()
    .then((r) => {
      console.log(JSON.stringify(r, null, 2));
      process.exit(0);
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
