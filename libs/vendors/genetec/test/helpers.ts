import { afterEach } from 'vitest';
import { createLogger, type Logger, type SystemConfig } from '@edge/platform';
import type { GenetecSimulator } from '@edge/sim-genetec';
import type { RawPublisher } from '@edge/collector-kit';
import { GenetecStatusPayload, parseGenetecConfig, Projector, WebSdkClient, webSdkBase, type GenetecConfig } from '../src';

export const quietLog: Logger = createLogger({ service: 'test', level: 'silent' });

/** A system config as the edge config would hold it, pointed at the simulator. */
export function systemFor(sim: GenetecSimulator, over: Record<string, unknown> = {}): SystemConfig {
  return {
    id: 'sc-main',
    vendor: 'genetec',
    base_url: sim.url,
    username: sim.credentials.username,
    password: sim.credentials.password,
    application_id: sim.credentials.applicationId,
    enabled: true,
    inventory_interval: 0,
    status_interval: 0,
    tls: { insecure: false },
    ...over,
  } as SystemConfig;
}

export function configFor(sim: GenetecSimulator, over: Record<string, unknown> = {}): GenetecConfig {
  return parseGenetecConfig(systemFor(sim, over));
}

export function clientFor(sim: GenetecSimulator, over: { password?: string; refusedRetryAfterMs?: number; retryForMs?: number } = {}): WebSdkClient {
  return new WebSdkClient({
    base: webSdkBase(sim.url, '/WebSdk/'),
    username: sim.credentials.username,
    applicationId: sim.credentials.applicationId,
    password: over.password ?? sim.credentials.password,
    tls: { rejectUnauthorized: true },
    timeoutMs: 10_000,
    retryForMs: over.retryForMs ?? 5_000,
    refusedRetryAfterMs: over.refusedRetryAfterMs ?? 60_000,
    log: quietLog,
  });
}

export function projectorFor(client: WebSdkClient, batch = 20): Projector {
  return new Projector(client, { batch, concurrency: 4, log: quietLog });
}

/**
 * Stands in for the kit's RawPublisher where a test is about the Web SDK side only: it records
 * what would be published (validated against the raw schema). The NATS side is exercised by
 * collector.spec.ts against a real nats-server.
 */
export class RecordingRaw {
  readonly published: Array<{ payload: GenetecStatusPayload; key: string }> = [];
  async status(payload: unknown, key: string): Promise<{ seq: number; duplicate: boolean; stream: string }> {
    this.published.push({ payload: GenetecStatusPayload.parse(payload), key });
    return { seq: this.published.length, duplicate: false, stream: 'recorded' };
  }
  asRaw(): RawPublisher {
    return this as unknown as RawPublisher;
  }
  events(): Array<Extract<GenetecStatusPayload, { kind: 'event' }>> {
    return this.published.map((p) => p.payload).filter((p): p is Extract<GenetecStatusPayload, { kind: 'event' }> => p.kind === 'event');
  }
}

/** Registers an afterEach that closes what a test opened (simulators, clients), newest first. */
export function lifecycle(): <T extends { close(): unknown }>(x: T) => T {
  const open: Array<{ close(): unknown }> = [];
  afterEach(async () => {
    for (const x of open.splice(0).reverse()) await x.close();
  });
  return (x) => {
    open.push(x);
    return x;
  };
}
