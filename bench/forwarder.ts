/**
 * Forwarder throughput to the cloud simulator, beside the raw JetStream consume ceiling measured
 * in the same run, and the time to drain a 100 000-event backlog after an outage.
 *
 *  1. ceiling: a fresh durable drains the CANONICAL backlog with the bare client, acking each
 *     message (nothing else) — the most any consumer of this stream can do here;
 *  2. the forwarder (its own process, the bundle `dist/forwarder.js`, default batching) drains
 *     the same backlog to the cloud simulator: health events (4 lanes), then a 20 000-device sync
 *     (one lane); rates are first-to-last arrival at the simulator;
 *  3. outage: the cloud answers 503 while 100 000 more events are published; the forwarder's
 *     circuit opens (requests during the outage are counted); then the cloud comes back and the
 *     time to have all of them delivered is measured (recovery includes the probe delay, so the
 *     retry cap is set to 5 s here instead of the default 60 s).
 * `npx tsx bench/forwarder.ts` prints the JSON.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { CONSUMERS, STREAMS, subjects, type CanonicalMessage } from '@edge/contracts';
import { provision } from '@edge/platform';
import { freePort, startNatsServer } from '@edge/platform/testing';
import { sampleDevice, startCloudSimulator, type CloudSimulator } from '@edge/sim-cloud';
import { MESSAGE_BYTES, sampleCanonicalHealth } from './ceiling';
import { launch, useBundles } from './probe';

const SITE = 'site-bench';
const TOKEN = 'bench-cloud-token';
const EVENTS = Number(process.env.FORWARDER_BENCH_EVENTS || 50_000);
const DEVICES = Number(process.env.FORWARDER_BENCH_DEVICES || 20_000);
const BACKLOG = Number(process.env.FORWARDER_BENCH_BACKLOG || 100_000);
const WINDOW = 256;
const ROOT = join(__dirname, '..');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 10): Promise<number> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
  return performance.now();
}

async function publishAll(js: JetStreamClient, items: Array<{ subject: string; id: string; body: CanonicalMessage }>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const it = items[next++];
      await js.publish(it.subject, JSON.stringify(it.body), { msgID: it.id });
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, worker));
}

function healthItems(from: number, n: number) {
  return Array.from({ length: n }, (_, j) => {
    const i = from + j;
    return { subject: subjects.canonicalHealth(SITE), id: `bench-h-${i}`, body: { ...sampleCanonicalHealth(i), event: { ...sampleCanonicalHealth(i).event, site_id: SITE } } as CanonicalMessage };
  });
}

function inventoryItems(syncId: string, n: number) {
  const items: Array<{ subject: string; id: string; body: CanonicalMessage }> = Array.from({ length: n }, (_, i) => ({
    subject: subjects.canonicalInventory(SITE),
    id: `bench-d-${syncId}-${i}`,
    body: { kind: 'device', sync_id: syncId, device: sampleDevice(i, { site_id: SITE }) },
  }));
  return items;
}

async function ceiling(nc: NatsConnection, n: number): Promise<number> {
  const jsm = await jetstreamManager(nc);
  await jsm.consumers.add(STREAMS.canonical, {
    durable_name: 'bench-ceiling',
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: subjects.canonicalHealth(SITE),
    ack_wait: 30_000_000_000,
    max_ack_pending: 10_000,
  });
  const c = await jetstream(nc).consumers.get(STREAMS.canonical, 'bench-ceiling');
  const t0 = performance.now();
  let seen = 0;
  while (seen < n) {
    const iter = await c.fetch({ max_messages: Math.min(256, n - seen), expires: 2_000 });
    for await (const m of iter) {
      m.ack();
      seen++;
    }
  }
  const s = (performance.now() - t0) / 1000;
  await jsm.consumers.delete(STREAMS.canonical, 'bench-ceiling');
  return n / s;
}

function startForwarder(configFile: string): ChildProcess {
  const cmd = launch('forwarder');
  const child = spawn(cmd.command, cmd.args, {
    cwd: ROOT,
    env: { ...process.env, ...cmd.env, EDGE_CONFIG: configFile, CLOUD_TOKEN: TOKEN, OTEL_SDK_DISABLED: 'true' },
    detached: true,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return child;
}

function stopGroup(child: ChildProcess | null, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => stopGroup(child, 'SIGKILL').then(resolve), 20_000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    try {
      process.kill(-child.pid!, signal);
    } catch {
      resolve();
    }
  });
}

interface FwStatus {
  service?: { rss_mb?: number };
  forwarder?: { circuit?: { state?: string }; consumer_paused?: boolean | null };
}

async function fwStatus(port: number): Promise<FwStatus | null> {
  try {
    return (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as FwStatus;
  } catch {
    return null;
  }
}

export async function run(): Promise<Record<string, number>> {
  useBundles(['forwarder']);
  const nats = await startNatsServer();
  const dir = mkdtempSync(join(tmpdir(), 'edge-bench-fwd-'));
  let sim: CloudSimulator | null = null;
  let fw: ChildProcess | null = null;
  let rssPeak = 0;
  let rssTimer: NodeJS.Timeout | null = null;
  const nc = await connect({ servers: nats.url, name: 'bench-forwarder' });
  try {
    const streams = { max_bytes: 4 * 1024 ** 3, max_age: 3_600_000 };
    await provision(nc, { raw: streams, canonical: streams, dlq: { max_bytes: 64 * 1024 ** 2, max_age: 3_600_000 }, duplicate_window: 120_000 });
    const js = jetstream(nc, { timeout: 10_000 });
    sim = await startCloudSimulator({ token: TOKEN, retain: 'ids' });
    const s = sim;

    // Backlog: health events, then one full sync.
    await publishAll(js, healthItems(0, EVENTS));
    const syncId = 'bench-sync-1';
    await publishAll(js, inventoryItems(syncId, DEVICES));
    await js.publish(subjects.canonicalInventory(SITE), JSON.stringify({ kind: 'sync.end', sync_id: syncId, system_id: 'og-main', vendor: 'onguard', customer_id: 'cust-test', site_id: SITE, count: DEVICES, removed_count: 0, complete: true, finished_at: '2026-01-01T00:00:00Z' } satisfies CanonicalMessage), { msgID: `bench-end-${syncId}` });

    const ceilingPerS = await ceiling(nc, EVENTS);

    const httpPort = await freePort();
    const configFile = join(dir, 'edge.yaml');
    writeFileSync(
      configFile,
      [
        `site: { id: ${SITE}, customer_id: cust-test }`,
        `nats: { url: "${nats.url}" }`,
        'cloud:',
        `  base_url: ${s.url}`,
        '  token: ${CLOUD_TOKEN}',
        '  retry: { base: 500ms, cap: 5s }',
        'streams:',
        '  duplicate_window: 2m',
        '  raw: { max_bytes: 4GB, max_age: 1h }',
        '  canonical: { max_bytes: 4GB, max_age: 1h }',
        '  dlq: { max_bytes: 64MB, max_age: 1h }',
        `http: { ports: { forwarder: ${httpPort} } }`,
        'log: { level: error }',
        '',
      ].join('\n'),
    );
    fw = startForwarder(configFile);
    rssTimer = setInterval(() => {
      void fwStatus(httpPort).then((st) => {
        rssPeak = Math.max(rssPeak, st?.service?.rss_mb ?? 0);
      });
    }, 500);

    const tFirstEvent = await until('first event', () => s.store.events.length > 0, 60_000);
    const tEvents = await until(`${EVENTS} events`, () => s.store.events.length >= EVENTS, 300_000);
    const tFirstDevice = await until('first device', () => s.store.devices.size > 0, 300_000);
    const tDevices = await until(`${DEVICES} devices and the final batch`, () => s.store.devices.size >= DEVICES && s.store.syncList().some((x) => x.final), 300_000);
    const eventsPerS = EVENTS / ((tEvents - tFirstEvent) / 1000);
    const devicesPerS = DEVICES / ((tDevices - tFirstDevice) / 1000);
    const eventRequests = s.store.requests.filter((r) => r.path === '/v1/health-events' && r.status === 200).length;

    // Outage: the cloud answers 503 while the backlog builds.
    s.faults.set({ down: { for_ms: 3_600_000, mode: '503' } });
    const requestsBefore = s.store.counters.get('requests') ?? 0;
    const tOutage = performance.now();
    await publishAll(js, healthItems(EVENTS, BACKLOG));
    await until('circuit open', async () => (await fwStatus(httpPort))?.forwarder?.circuit?.state === 'open', 60_000, 100);
    const outageS = (performance.now() - tOutage) / 1000;
    const outageRequests = (s.store.counters.get('requests') ?? 0) - requestsBefore;

    s.faults.clear();
    const tBack = performance.now();
    const before = s.store.events.length;
    const tResumed = await until('first delivery after the outage', () => s.store.events.length > before, 120_000);
    const tDrained = await until(`${BACKLOG} backlog drained`, () => s.store.events.length >= EVENTS + BACKLOG, 600_000);
    const dupes = s.store.counters.get('events_duplicates') ?? 0;
    const jsm = await jetstreamManager(nc);
    const ci = await jsm.consumers.info(STREAMS.canonical, CONSUMERS.forwarder);

    const r = (x: number, d = 0) => Math.round(x * 10 ** d) / 10 ** d;
    return {
      events_per_s: r(eventsPerS),
      devices_per_s: r(devicesPerS),
      consume_ceiling_per_s: r(ceilingPerS),
      events_of_ceiling: r(eventsPerS / ceilingPerS, 3),
      devices_of_ceiling: r(devicesPerS / ceilingPerS, 3),
      events: EVENTS,
      devices: DEVICES,
      message_bytes: MESSAGE_BYTES,
      events_per_request: r(EVENTS / Math.max(1, eventRequests), 1),
      drain_100k_seconds: r((tDrained - tBack) / 1000, 2),
      drain_events_per_s: r(BACKLOG / ((tDrained - tResumed) / 1000)),
      recovery_first_delivery_ms: r(tResumed - tBack),
      backlog_events: BACKLOG,
      outage_seconds: r(outageS, 1),
      outage_requests: outageRequests,
      cloud_duplicates: dupes,
      redelivered: ci.num_redelivered,
      forwarder_rss_mb_peak: rssPeak,
    };
  } finally {
    if (rssTimer) clearInterval(rssTimer);
    await stopGroup(fw, 'SIGTERM');
    await sim?.close();
    await nc.drain().catch(() => undefined);
    await nats.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  run()
    .then((r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`))
    .catch((e: unknown) => {
      process.stderr.write(`${String((e as Error)?.stack ?? e)}\n`);
      process.exit(1);
    });
}
