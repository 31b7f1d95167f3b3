import { jetstreamManager } from '@nats-io/jetstream';
import { CONSUMERS, STREAMS, subjects, type CanonicalMessage, type Device, type HealthEvent } from '@edge/contracts';
import { connectNats, createLogger, provision, provisionOptionsFromConfig, Publisher, sleep, startService, type EdgeConfig, type NatsConnection, type RunningService } from '@edge/platform';
import { startNatsServer, testConfig, type TestNatsServer } from '@edge/platform/testing';
import { startCloudSimulator, type CloudSimulator } from '@edge/sim-cloud';
import { forwarderService } from '../src/forwarder.module';

export const TOKEN = 'forwarder-test-token';
export const SITE = 'site-test';
const log = createLogger({ service: 'test', level: 'silent' });

export async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await sleep(50);
  }
}

/** Cloud settings for tests: small batches, short linger and retry cap so outages resolve in seconds. */
export function forwarderConfig(natsUrl: string, simUrl: string, cloud: Record<string, unknown> = {}): EdgeConfig {
  return testConfig(natsUrl, {
    cloud: {
      base_url: simUrl,
      token: TOKEN,
      timeout: '15s',
      batch: { max_items: 50, max_bytes: 256 * 1024, linger: 30 },
      heartbeat_interval: '1s',
      retry: { base: 50, cap: 600 },
      ...cloud,
    } as never,
    systems: [
      { id: 'og-main', vendor: 'onguard', base_url: 'http://127.0.0.1:9', username: 'u', password: 'unused-password', directory_id: 'd' },
    ] as never,
    log: { level: 'fatal' },
  });
}

/** Real nats-server, real cloud simulator, a publisher of canonical messages. */
export class Rig {
  nats!: TestNatsServer;
  sim!: CloudSimulator;
  nc!: NatsConnection;
  pub!: Publisher;

  async start(): Promise<this> {
    this.nats = await startNatsServer();
    this.sim = await startCloudSimulator({ token: TOKEN });
    this.nc = await connectNats({ url: this.nats.url, name: 'test' }, log);
    this.pub = new Publisher(this.nc, log, { retryForMs: 10_000, timeoutMs: 5_000 });
    // Streams and consumers as every service provisions them, so messages can be published before a forwarder runs.
    await provision(this.nc, provisionOptionsFromConfig(testConfig(this.nats.url)));
    return this;
  }

  /** The forwarder in this process (startService: the same wiring as main.ts). */
  async forwarder(cloud: Record<string, unknown> = {}): Promise<RunningService> {
    return startService(forwarderService(forwarderConfig(this.nats.url, this.sim.url, cloud), { httpPort: 0 }));
  }

  async publish(m: CanonicalMessage, msgId: string): Promise<number> {
    const subject = m.kind === 'health' ? subjects.canonicalHealth(SITE) : subjects.canonicalInventory(SITE);
    return (await this.pub.publishJson(subject, m, { msgId })).seq;
  }

  event(e: HealthEvent): Promise<number> {
    return this.publish({ kind: 'health', event: e }, `h:${e.event_id}`);
  }

  device(d: Device, syncId: string | null): Promise<number> {
    return this.publish({ kind: 'device', sync_id: syncId, device: d }, `d:${syncId}:${d.id}`);
  }

  async syncEnd(syncId: string, count: number, removed = 0): Promise<number> {
    return this.publish(
      {
        kind: 'sync.end',
        sync_id: syncId,
        system_id: 'og-main',
        vendor: 'onguard',
        customer_id: 'cust-test',
        site_id: SITE,
        count,
        removed_count: removed,
        complete: true,
        finished_at: '2026-01-01T00:10:00Z',
      },
      `end:${syncId}`,
    );
  }

  async dlqSize(): Promise<number> {
    const jsm = await jetstreamManager(this.nc);
    return (await jsm.streams.info(STREAMS.dlq)).state.messages;
  }

  async forwarderLag(): Promise<{ pending: number; ackPending: number }> {
    const jsm = await jetstreamManager(this.nc);
    const i = await jsm.consumers.info(STREAMS.canonical, CONSUMERS.forwarder);
    return { pending: i.num_pending, ackPending: i.num_ack_pending };
  }

  async stop(): Promise<void> {
    await this.nc?.drain().catch(() => undefined);
    await this.sim?.close();
    await this.nats?.dispose();
  }
}

export async function status(svc: RunningService): Promise<ForwarderStatus> {
  const r = await fetch(`http://127.0.0.1:${svc.httpPort}/status`);
  return ((await r.json()) as { forwarder: ForwarderStatus }).forwarder;
}

export interface ForwarderStatus {
  alert: string | null;
  delivered: { events: number; devices: number; removed: number; syncs_completed: number; batches: number };
  retries: number;
  retry_after_honoured: number;
  splits: number;
  dead_lettered: number;
  current_backoff_ms: number;
  circuit: { state: string; opened_count: number; last_failure: { kind: string; reason: string } | null };
  consumer_paused: boolean | null;
  backlog: { messages: number; oldest_age_s: number | null } | null;
  dlq: { messages: number } | null;
  heartbeat: { sent: number };
}
