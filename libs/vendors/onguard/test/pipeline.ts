import { DeliverPolicy, jetstream, type ConsumerMessages } from '@nats-io/jetstream';
import { RawEnvelope, STREAMS, subjects } from '@edge/contracts';
import { connectNats, provision, provisionOptionsFromConfig, Publisher, SystemConfig, type NatsConnection } from '@edge/platform';
import { startNatsServer, testConfig, type TestNatsServer } from '@edge/platform/testing';
import { CollectorRunner, RawPublisher } from '@edge/collector-kit';
import type { OnGuardSimulator } from '@edge/sim-onguard';
import { parseOnGuardSystem } from '../src/config';
import { OnGuardCollector } from '../src/collector';
import { log, until } from './helpers';

export const SYSTEM_ID = 'og-test';

/** A real nats-server with the platform's streams, and a RawPublisher for one OnGuard system. */
export async function startRawPipeline(): Promise<{ nats: TestNatsServer; nc: NatsConnection; raw: RawPublisher; dispose(): Promise<void> }> {
  const nats = await startNatsServer();
  const cfg = testConfig(nats.url);
  const nc = await connectNats({ url: nats.url, name: 'onguard-test' }, log);
  await provision(nc, provisionOptionsFromConfig(cfg));
  const publisher = new Publisher(nc, log, { retryForMs: 20_000, timeoutMs: 5_000 });
  const raw = new RawPublisher(publisher, { vendor: 'onguard', system_id: SYSTEM_ID, site_id: 'site-test', customer_id: 'cust-test' });
  return {
    nats,
    nc,
    raw,
    dispose: async () => {
      await nc.drain().catch(() => undefined);
      await nats.dispose();
    },
  };
}

/** Test-only reader of stream RAW (ordered consumer from the start), keeping parsed envelopes. */
export class RawTap {
  readonly envelopes: RawEnvelope[] = [];
  private msgs: ConsumerMessages | null = null;
  private done: Promise<void> | null = null;

  static async open(nc: NatsConnection, channel: 'inventory' | 'status', keep: (e: RawEnvelope) => boolean = () => true): Promise<RawTap> {
    const t = new RawTap();
    const c = await jetstream(nc).consumers.get(STREAMS.raw, { filter_subjects: subjects.raw('onguard', SYSTEM_ID, channel), deliver_policy: DeliverPolicy.All });
    t.msgs = await c.consume();
    t.done = (async () => {
      for await (const m of t.msgs!) {
        const e = RawEnvelope.parse(m.json());
        if (keep(e)) t.envelopes.push(e);
      }
    })();
    return t;
  }

  async waitFor(pred: (e: RawEnvelope) => boolean, timeoutMs = 120_000, what = 'raw message'): Promise<RawEnvelope> {
    let found: RawEnvelope | undefined;
    await until(() => (found = this.envelopes.find(pred)) !== undefined, timeoutMs, what);
    return found!;
  }

  async close(): Promise<void> {
    this.msgs?.stop();
    await this.done?.catch(() => undefined);
  }
}

export function systemConfig(sim: OnGuardSimulator, extras: Record<string, unknown> = {}) {
  return parseOnGuardSystem(
    SystemConfig.parse({
      id: SYSTEM_ID,
      vendor: 'onguard',
      base_url: sim.url,
      username: sim.credentials.user_name,
      password: sim.credentials.password,
      application_id: sim.credentials.application_id,
      directory_id: sim.credentials.directory_id,
      inventory_interval: 0,
      status_interval: 0,
      request_timeout: '5s',
      max_calls_per_second: 0,
      status: { update_settle: 0, concurrency: 8 },
      events: { heartbeat_interval: 500, invoke_timeout: 2_000, reconnect_base: 100, reconnect_cap: 500, confirm_delay: 50 },
      session: { auth_backoff_base: '60s', auth_backoff_cap: '60s' },
      ...extras,
    }),
  );
}

export function collectorFor(sim: OnGuardSimulator, raw: RawPublisher, extras: Record<string, unknown> = {}): { collector: OnGuardCollector; runner: CollectorRunner } {
  const collector = new OnGuardCollector(systemConfig(sim, extras), log);
  const runner = new CollectorRunner(collector, raw, log, { inventoryIntervalMs: 0, statusIntervalMs: 0, syncOnStart: false, reconcileDebounceMs: 100 });
  return { collector, runner };
}
