import type { Logger } from 'pino';
import { Counters, describeError, retry, retryable, type openDevicesBucket } from '@edge/platform';
import { RegistryEntry, SystemRecord } from './registry-entry';

/** A registry value to write (serialized when the write is queued: the state at that moment). */
export interface RegistryWrite {
  key: string;
  value: string;
}

/** The KV bucket `devices`, as the platform opens it. */
export type DevicesKv = Awaited<ReturnType<typeof openDevicesBucket>>;

export interface LoadedRegistry {
  entries: RegistryEntry[];
  systems: SystemRecord[];
  /** Values that failed validation (skipped; logged). */
  invalid: number;
}

const noop = () => undefined;

/**
 * Durable side of the device registry (KV `devices`). Writes are pipelined; writes of one key
 * are chained so they land in the order they were queued (decision order).
 */
export class RegistryStore {
  readonly counters = new Counters();
  private readonly chains = new Map<string, Promise<void>>();

  constructor(
    private readonly kv: DevicesKv,
    private readonly log: Logger,
    private readonly retryForMs = 10_000,
  ) {}

  /** Reads every current value of the bucket (start-up and recovery). */
  async load(): Promise<LoadedRegistry> {
    const out: LoadedRegistry = { entries: [], systems: [], invalid: 0 };
    const status = await this.kv.status();
    if (status.values === 0) return out;
    const it = await this.kv.watch({ key: '>' });
    try {
      for await (const e of it) {
        if (e.operation === 'PUT') {
          let value: unknown;
          try {
            value = e.json<unknown>();
          } catch {
            value = undefined;
          }
          if (e.key.startsWith('dev.')) {
            const r = RegistryEntry.safeParse(value);
            if (r.success) out.entries.push(r.data);
            else this.skip(e.key, r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), out);
          } else if (e.key.startsWith('sys.')) {
            const r = SystemRecord.safeParse(value);
            if (r.success) out.systems.push(r.data);
            else this.skip(e.key, r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), out);
          }
        }
        // `delta` is what the watcher still has to deliver from the initial snapshot.
        if (e.delta === 0) break;
      }
    } finally {
      it.stop();
    }
    return out;
  }

  private skip(key: string, why: string, out: LoadedRegistry): void {
    out.invalid++;
    this.log.warn({ key, reason: why.slice(0, 500) }, 'registry value invalid; ignored');
  }

  /** Writes values once every earlier write of the same keys landed. Rejects (retryable) if one fails. */
  persist(writes: RegistryWrite[]): Promise<void> {
    if (writes.length === 0) return Promise.resolve();
    const tasks = writes.map((w) => {
      const prev = this.chains.get(w.key);
      const done = prev ? prev.then(() => this.put(w.key, w.value)) : this.put(w.key, w.value);
      this.chains.set(w.key, done);
      // The chain entry is only for ordering; a failure is reported through `tasks`.
      done.then(
        () => {
          if (this.chains.get(w.key) === done) this.chains.delete(w.key);
        },
        noop,
      );
      return done;
    });
    return Promise.all(tasks).then(noop);
  }

  private async put(key: string, value: string): Promise<void> {
    try {
      await retry(() => this.kv.put(key, value), {
        maxElapsedMs: this.retryForMs,
        policy: { baseMs: 100, capMs: 2_000, floorMs: 50 },
        onRetry: (e, attempt) => {
          this.counters.inc('kv_put_retries');
          if (attempt === 0) this.log.warn({ key, err: describeError(e) }, 'registry write failed; retrying');
        },
      });
      this.counters.inc('kv_puts');
    } catch (e) {
      this.counters.inc('kv_put_failed');
      throw retryable('registry_write_failed', `registry write of ${key} failed: ${describeError(e)}`, { cause: e });
    }
  }

  /** Forgets pending ordering (after a recovery every in-flight write has settled). */
  reset(): void {
    this.chains.clear();
  }

  get pendingKeys(): number {
    return this.chains.size;
  }
}
