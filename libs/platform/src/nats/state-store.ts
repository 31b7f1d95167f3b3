import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import { StorageType } from '@nats-io/jetstream';
import { BUCKETS } from '@edge/contracts';

/**
 * Small durable state a collector keeps across restarts (e.g. the id of the event subscription it
 * created on the vendor server, so a restart reuses or removes it instead of leaking it).
 */
export interface StateStore {
  get(key: string): Promise<string | null>;
  put(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

/** KV `collector_state`: file storage, latest value only. */
export async function openCollectorStateBucket(nc: NatsConnection): Promise<KV> {
  return new Kvm(nc).create(BUCKETS.collectorState, { history: 1, storage: StorageType.File });
}

const KEY = /[^A-Za-z0-9_-]/g;

/** A StateStore over one KV bucket, every key under `prefix` (e.g. `onguard.og-main`). */
export class KvStateStore implements StateStore {
  constructor(
    private readonly kv: KV,
    private readonly prefix: string,
  ) {}

  private key(k: string): string {
    return `${this.prefix.replace(KEY, '_')}.${k.replace(KEY, '_')}`;
  }

  async get(key: string): Promise<string | null> {
    const e = await this.kv.get(this.key(key));
    return e && e.operation === 'PUT' ? e.string() : null;
  }

  async put(key: string, value: string): Promise<void> {
    await this.kv.put(this.key(key), value);
  }

  async delete(key: string): Promise<void> {
    await this.kv.delete(this.key(key));
  }
}

/** In-memory StateStore (a collector without NATS state: tests, one-off tools). */
export class MemoryStateStore implements StateStore {
  readonly values = new Map<string, string>();
  async get(key: string): Promise<string | null> {
    return this.values.get(key) ?? null;
  }
  async put(key: string, value: string): Promise<void> {
    this.values.set(key, value);
  }
  async delete(key: string): Promise<void> {
    this.values.delete(key);
  }
}
