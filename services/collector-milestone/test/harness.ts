import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, type ConsumerMessages } from '@nats-io/jetstream';
import { RawEnvelope, STREAMS } from '@edge/contracts';
import { serviceOptions, startService, type RunningService } from '@edge/platform';
import { startNatsServer, testConfig, type TestNatsServer } from '@edge/platform/testing';
import { startMilestoneSimulator, type MilestoneSimulator, type MilestoneSimulatorOptions } from '@edge/sim-milestone';
import { collectorDefinition } from '@edge/collector-kit';
import { milestoneVendor } from '@edge/vendor-milestone';

/** Reads RAW messages of one system as they arrive (test-only ordered consumer). */
export class RawTap {
  private msgs: ConsumerMessages | null = null;
  private done: Promise<void> | null = null;
  constructor(
    private readonly nc: NatsConnection,
    private readonly filter: string,
    private readonly onMessage: (env: RawEnvelope, subject: string, bytes: number) => void,
  ) {}
  async start(): Promise<void> {
    // Unfiltered ordered consumer: the test nats-server may predate 2.10 (no filter_subjects).
    const c = await jetstream(this.nc).consumers.get(STREAMS.raw);
    this.msgs = await c.consume({ max_messages: 1000 });
    const msgs = this.msgs;
    const want = new RegExp(`^${this.filter.replace(/\./g, '\\.').replace(/>$/, '.+').replace(/\*/g, '[^.]+')}$`);
    this.done = (async () => {
      for await (const m of msgs) if (want.test(m.subject)) this.onMessage(RawEnvelope.parse(m.json()), m.subject, m.data.length);
    })();
  }
  async stop(): Promise<void> {
    this.msgs?.stop();
    await this.done?.catch(() => undefined);
  }
}

export interface Rig {
  nats: TestNatsServer;
  sim: MilestoneSimulator;
  svc: RunningService;
  nc: NatsConnection;
  systemId: string;
  /** POST to the service's HTTP API. */
  post(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
  status(): Promise<Record<string, unknown>>;
  dispose(): Promise<void>;
}

/**
 * A real nats-server, the XProtect simulator, and the collector-milestone service (the same Nest
 * module `main.ts` runs) configured with one system pointing at the simulator.
 */
export async function startRig(o: { sim?: MilestoneSimulatorOptions; system?: Record<string, unknown> } = {}): Promise<Rig> {
  const nats = await startNatsServer();
  const sim = await startMilestoneSimulator(o.sim ?? {});
  const systemId = 'xp1';
  const config = testConfig(nats.url, {
    systems: [
      {
        id: systemId,
        vendor: 'milestone',
        base_url: sim.url,
        username: sim.username,
        password: sim.password,
        inventory_interval: '1h',
        status_interval: '1h',
        reconnect_base: '200ms',
        ...o.system,
      },
    ],
  });
  const svc = await startService(await serviceOptions(collectorDefinition(milestoneVendor), config, { httpPort: 0 }));
  const nc = await connect({ servers: nats.url, name: 'test-tap' });
  const base = `http://127.0.0.1:${svc.httpPort}`;
  return {
    nats,
    sim,
    svc,
    nc,
    systemId,
    post: async (path, body) => {
      const r = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    },
    status: async () => (await (await fetch(`${base}/status`)).json()) as Record<string, unknown>,
    dispose: async () => {
      await svc.stop();
      await nc.drain().catch(() => undefined);
      await sim.close();
      await nats.dispose();
    },
  };
}

export async function waitFor<T>(fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 120_000, stepMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false && v !== null) return v as T;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
