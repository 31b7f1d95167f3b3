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

interface KeySlot {
  inflight: Promise<void>;
  /** Newest value queued behind the in-flight write, and who waits for it. */
  next: { value: string; done: Promise<void>; resolve: () => void; reject: (e: unknown) => void } | null;
}

/**
 * Durable side of the device registry (KV `devices`). Writes are pipelined; writes of one key
 * are chained so they land in the order they were queued (decision order).
 */
export class RegistryStore {
  readonly counters = new Counters();
  private readonly slots = new Map<string, KeySlot>();

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

  /**
   * Writes values in the order they were queued, per key. While a key's write is in flight,
   * later values of that key are coalesced into one follow-up write (each value is the whole
   * record, newer ones include everything older ones had). Resolves when every value given here
   * is durable (its own write or a newer one landed); rejects (retryable) if a write fails.
   */
  persist(writes: RegistryWrite[]): Promise<void> {
    if (writes.length === 0) return Promise.resolve();
    if (writes.length === 1) return this.persistOne(writes[0].key, writes[0].value);
    return Promise.all(writes.map((w) => this.persistOne(w.key, w.value))).then(noop);
  }

  private persistOne(key: string, value: string): Promise<void> {
    const slot = this.slots.get(key);
    if (!slot) {
      const s: KeySlot = { inflight: this.put(key, value), next: null };
      this.slots.set(key, s);
      this.drain(key, s);
      return s.inflight;
    }
    if (slot.next) {
      slot.next.value = value;
      this.counters.inc('kv_puts_coalesced');
      return slot.next.done;
    }
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    done.catch(noop);
    slot.next = { value, done, resolve, reject };
    return done;
  }

  /** When a key's write settles, starts its queued follow-up (or frees the slot). */
  private drain(key: string, slot: KeySlot): void {
    slot.inflight.then(
      () => {
        const next = slot.next;
        if (!next) {
          this.slots.delete(key);
          return;
        }
        slot.next = null;
        slot.inflight = this.put(key, next.value);
        slot.inflight.then(next.resolve, next.reject);
        this.drain(key, slot);
      },
      (e: unknown) => {
        // Later values of this key must not land after a failed one (the engine reloads).
        this.slots.delete(key);
        slot.next?.reject(e);
      },
    );
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
    this.slots.clear();
  }

  get pendingKeys(): number {
    return this.slots.size;
  }
}
