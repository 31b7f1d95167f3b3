/**
 * The normalizer and the forwarder as real processes, launched the way `npm start` launches them
 * (scripts/pipeline.ts + the supervisor), against a nats-server and a cloud simulator owned by
 * the test, from a config file the test writes. The test plays the collectors: it publishes raw
 * envelopes to RAW. Every output line of the services is kept, so logs can be asserted on.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { jetstreamManager } from '@nats-io/jetstream';
import { CONSUMERS, STREAMS, subjects, type RawEnvelope } from '@edge/contracts';
import { connectNats, createLogger, Publisher, sleep, type NatsConnection } from '@edge/platform';
import { freePort, startNatsServer, type TestNatsServer } from '@edge/platform/testing';
import { startCloudSimulator, type CloudSimulator } from '@edge/sim-cloud';
import { buildPipeline } from '../../scripts/pipeline';
import { Supervisor } from '../../scripts/supervisor';

export const SITE = { id: 'site-full', customer_id: 'cust-full' };
const CLOUD_TOKEN = 'rig-cloud-token-5e1d';

export interface RigOptions {
  /** Merged over the generated config (e.g. small stream limits). */
  config?: Record<string, unknown>;
  serviceEnv?: Record<string, string>;
}

export interface Rig {
  nats: TestNatsServer;
  nc: NatsConnection;
  cloud: CloudSimulator;
  supervisor: Supervisor;
  configFile: string;
  /** Every line the services wrote, prefixed `<service> | `. */
  lines: string[];
  ports: { normalizer: number; forwarder: number; console: number };
  status<T = Record<string, unknown>>(service: 'normalizer' | 'forwarder'): Promise<T>;
  publishRaw(env: RawEnvelope, msgId: string): Promise<void>;
  stream(name: string): Promise<{ messages: number; bytes: number; max_bytes: number; first_seq: number; last_seq: number }>;
  consumer(stream: string, durable: string): Promise<{ pending: number; ack_pending: number; redelivered: number }>;
  stop(): Promise<void>;
}

export async function startRig(o: RigOptions = {}): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'edge-rig-'));
  const nats = await startNatsServer();
  const cloud = await startCloudSimulator({ token: CLOUD_TOKEN });
  const ports = { normalizer: await freePort(), forwarder: await freePort(), console: await freePort() };
  process.env.RIG_CLOUD_TOKEN = CLOUD_TOKEN;
  const config = {
    site: SITE,
    nats: { url: nats.url },
    cloud: { base_url: cloud.url, token: '${RIG_CLOUD_TOKEN}', timeout: '15s', heartbeat_interval: '1h', batch: { max_items: 50, linger: '20ms' }, retry: { base: '100ms', cap: '1s' } },
    streams: { duplicate_window: '2m' },
    http: { host: '127.0.0.1', ports },
    log: { level: 'info' },
    data_dir: dir,
    ...o.config,
  };
  const configFile = join(dir, 'edge.yaml');
  writeFileSync(configFile, stringify(config));
  const pipeline = buildPipeline(configFile, { serviceEnv: { OTEL_SDK_DISABLED: 'true', ...o.serviceEnv } });
  const lines: string[] = [];
  const supervisor = new Supervisor(pipeline.processes, {
    graceMs: 10_000,
    output: (name, line) => {
      lines.push(`${name} | ${line}`);
      if (lines.length > 20_000) lines.splice(0, 5_000);
    },
    log: (m) => lines.push(`supervisor | ${m}`),
  });
  await supervisor.start();
  const log = createLogger({ service: 'rig', level: 'silent' });
  const nc = await connectNats({ url: nats.url, name: 'rig' }, log);
  const pub = new Publisher(nc, log, { retryForMs: 30_000, timeoutMs: 5_000 });
  const rig: Rig = {
    nats,
    nc,
    cloud,
    supervisor,
    configFile,
    lines,
    ports,
    status: async <T>(service: 'normalizer' | 'forwarder') => {
      const r = await fetch(`http://127.0.0.1:${ports[service]}/status`, { signal: AbortSignal.timeout(5_000) });
      return (await r.json()) as T;
    },
    publishRaw: async (env, msgId) => {
      const channel = env.kind === 'status' ? 'status' : 'inventory';
      await pub.publishJson(subjects.raw(env.vendor, env.system_id, channel), env, { msgId });
    },
    stream: async (name) => {
      const jsm = await jetstreamManager(nc);
      const i = await jsm.streams.info(name);
      return { messages: i.state.messages, bytes: i.state.bytes, max_bytes: i.config.max_bytes, first_seq: i.state.first_seq, last_seq: i.state.last_seq };
    },
    consumer: async (stream, durable) => {
      const jsm = await jetstreamManager(nc);
      const i = await jsm.consumers.info(stream, durable);
      return { pending: i.num_pending, ack_pending: i.num_ack_pending, redelivered: i.num_redelivered };
    },
    stop: async () => {
      await supervisor.stop();
      await nc.drain().catch(() => undefined);
      await cloud.close();
      await nats.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return rig;
}

/** Waits until both services answer /readyz. */
export async function waitReady(rig: Rig, timeoutMs = 120_000): Promise<void> {
  await until(
    'normalizer and forwarder ready',
    async () => {
      for (const p of Object.values(rig.ports)) {
        const r = await fetch(`http://127.0.0.1:${p}/readyz`, { signal: AbortSignal.timeout(2_000) }).catch(() => null);
        if (r?.status !== 200) return false;
      }
      return true;
    },
    timeoutMs,
    rig.lines,
  );
}

export async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 120_000, lines?: string[]): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await cond()) return;
    } catch {
      // not yet answerable
    }
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}${lines ? `\n--- last service lines ---\n${lines.slice(-20).join('\n')}` : ''}`);
    await sleep(200);
  }
}

/** A composed OnGuard reader as a collector publishes it: one canonical device after mapping. */
export function rawReader(i: number, syncId?: string): RawEnvelope {
  return {
    schema: 'raw/v1',
    vendor: 'onguard',
    system_id: 'og-main',
    site_id: SITE.id,
    customer_id: SITE.customer_id,
    kind: 'device',
    ...(syncId ? { sync_id: syncId, seq: i } : {}),
    observed_at: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, i)).toISOString(),
    payload: {
      native_type: 'Lnl_Reader',
      object: { PanelID: 1 + Math.floor(i / 64), ReaderID: 1 + (i % 64), Name: `Reader ${i} of the stream-full test`, HostName: 'OGSERVER' },
      panel: { ID: 1 + Math.floor(i / 64), Name: 'Panel', IsOnline: true },
      hardware_status: { status: 1, read_at: '2026-01-01T00:00:00Z', error: null },
    },
  };
}

export const NORMALIZER_DURABLE = { stream: STREAMS.raw, durable: CONSUMERS.normalizer };
export const FORWARDER_DURABLE = { stream: STREAMS.canonical, durable: CONSUMERS.forwarder };
