import { z } from 'zod';
import type { Logger } from 'pino';
import { Counters, describeError, retry, RETRY_POLICIES, retryable, sleep, type openDevicesBucket } from '@edge/platform';
import { documentKey, fromV1, RegistryEntry, RegistryEntryV1, SystemRecord } from './registry-entry';

/** The KV bucket `devices`, as the platform opens it. */
export type DevicesKv = Awaited<ReturnType<typeof openDevicesBucket>>;

/** Where the store's puts go: the bucket's KV API, or a `KvWriter` on the same bucket (the service). */
export interface KvPuts {
  put(key: string, value: string): Promise<unknown>;
}

/** A registry value to write (serialized when queued: the state at that moment). */
export interface RegistryWrite {
  key: string;
  value: string;
}

export interface LoadedRegistry {
  entries: RegistryEntry[];
  systems: SystemRecord[];
  /** Values that failed validation (skipped; logged). */
  invalid: number;
  /** Entries of the first format (with the device document inside), converted; compaction rewrites them. */
  converted: number;
}

export interface RegistryStoreOptions {
  /** Largest journal record (bytes); keep well under the server's max_payload. */
  maxRecordBytes: number;
  /** Journal slots (keys `wal.<n>`), reused in a ring. */
  ringSlots: number;
  /** Compact (write device keys, retire journal records) after this many journal bytes... */
  compactAfterBytes: number;
  /** ...or this long after the oldest uncompacted record. */
  compactAfterMs: number;
  /** How long one KV write may be retried before it counts as failed. */
  retryForMs: number;
}

export const DEFAULT_STORE_OPTIONS: RegistryStoreOptions = {
  maxRecordBytes: 256 * 1024,
  ringSlots: 512,
  // The changed records wait for compaction in memory as JSON: this bounds that too.
  compactAfterBytes: 8 * 1024 * 1024,
  compactAfterMs: 30_000,
  retryForMs: 10_000,
};

/**
 * Journal writes in flight at once. Decisions made while they are in flight join the next record
 * (group commit): at low rates a record goes out on the next turn of the event loop as before; at
 * high rates records grow instead of multiplying — fewer KV writes, fewer compactions.
 */
const JOURNAL_WRITES_IN_FLIGHT = 2;

const FLOOR_KEY = 'wal-floor';
const walKey = (slot: number) => `wal.${slot}`;
const WalRecord = z.object({ v: z.literal(1), seq: z.number().int().positive(), items: z.record(z.string(), z.unknown()) });
const WalFloor = z.object({ v: z.literal(1), upto: z.number().int().nonnegative() });

const noop = () => undefined;

interface Batch {
  items: Map<string, string>;
  bytes: number;
  done: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * Durable side of the device registry, in KV `devices`: one key per device (`dev.<id>`: what
 * the registry decides by), one per device document (`doc.<id>`: read only to answer queries,
 * never held in memory), one per system (`sys.<vendor>.<system>`), and a journal.
 *
 * A decision is durable when the journal record holding it is stored: the records changed by
 * all decisions of one burst go out as one KV write (`wal.<slot>`, ≤ maxRecordBytes), so the
 * hot path costs a fraction of a KV write per message instead of one. Compaction later writes
 * each changed record's newest value to its own key (coalesced: a device that changed 20 times
 * is written once), then moves the journal floor and retires the records below it.
 * Loading = device/system keys, then the journal records above the floor, in order.
 */
export class RegistryStore {
  readonly counters = new Counters();
  private readonly o: RegistryStoreOptions;
  private batch: Batch | null = null;
  private flushScheduled = false;
  private writesInFlight = 0;
  /** Next journal sequence number. */
  private nextSeq = 1;
  /** Journal records below or at this sequence are compacted. */
  private floor = 0;
  /** Highest sequence such that every record up to it is stored. */
  private durableUpTo = 0;
  private readonly stored = new Set<number>();
  /** Newest value of every record changed since the last compaction (what compaction writes). */
  private dirty = new Map<string, string>();
  private walBytes = 0;
  private oldestUncompactedAt: number | null = null;
  private compacting: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private epoch = 0;

  constructor(
    private readonly kv: DevicesKv,
    private readonly log: Logger,
    opts: Partial<RegistryStoreOptions> = {},
    private readonly writes: KvPuts = kv,
  ) {
    this.o = { ...DEFAULT_STORE_OPTIONS, ...opts };
  }

  /** Periodic compaction (the size trigger fires on its own). */
  start(): void {
    this.timer = setInterval(() => {
      if (this.oldestUncompactedAt !== null && Date.now() - this.oldestUncompactedAt >= this.o.compactAfterMs) void this.compact();
    }, Math.min(5_000, this.o.compactAfterMs));
    this.timer.unref();
  }

  /** Flushes and compacts what is left (graceful stop): device keys are current afterwards. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.flush();
    await this.compacting?.catch(noop);
    if (this.dirty.size > 0) await this.compact().catch(noop);
  }

  /** Reads the bucket: device and system keys, then the journal above the floor (documents stay in KV). */
  async load(): Promise<LoadedRegistry> {
    const base = new Map<string, unknown>();
    const journal: Array<z.infer<typeof WalRecord>> = [];
    let floor = 0;
    const status = await this.kv.status();
    if (status.values > 0) {
      const it = await this.kv.watch({ key: '>' });
      try {
        for await (const e of it) {
          if (e.operation === 'PUT' && !e.key.startsWith('doc.')) {
            let value: unknown;
            try {
              value = e.json<unknown>();
            } catch {
              value = undefined;
            }
            if (e.key.startsWith('dev.') || e.key.startsWith('sys.')) base.set(e.key, value);
            else if (e.key.startsWith('wal.')) {
              const r = WalRecord.safeParse(value);
              if (r.success) journal.push(r.data);
              else this.log.warn({ key: e.key }, 'journal record invalid; ignored');
            } else if (e.key === FLOOR_KEY) {
              const r = WalFloor.safeParse(value);
              if (r.success) floor = r.data.upto;
            }
          }
          // `delta` is what the watcher still has to deliver from the initial snapshot.
          if (e.delta === 0) break;
        }
      } finally {
        it.stop();
      }
    }
    const live = journal.filter((r) => r.seq > floor).sort((a, b) => a.seq - b.seq);
    this.dirty = new Map();
    for (const r of live)
      for (const [key, value] of Object.entries(r.items)) {
        if (!key.startsWith('doc.')) base.set(key, value);
        this.dirty.set(key, JSON.stringify(value));
      }
    const maxSeq = journal.reduce((m, r) => Math.max(m, r.seq), floor);
    this.floor = floor;
    this.durableUpTo = Math.max(maxSeq, this.durableUpTo);
    this.nextSeq = Math.max(this.nextSeq, this.durableUpTo + 1);
    this.stored.clear();
    this.walBytes = 0;
    this.oldestUncompactedAt = live.length > 0 ? Date.now() : null;

    const out: LoadedRegistry = { entries: [], systems: [], invalid: 0, converted: 0 };
    for (const [key, value] of base) {
      if (key.startsWith('dev.') && (value as { v?: unknown } | null)?.v === 1) {
        const old = RegistryEntryV1.safeParse(value);
        if (old.success) {
          // The first format held the whole device: keep the document in its own key, the entry compact.
          const { entry, document } = fromV1(old.data);
          out.entries.push(entry);
          out.converted++;
          this.dirty.set(key, JSON.stringify(entry));
          if (document) this.dirty.set(documentKey(entry.id), JSON.stringify(document));
          continue;
        }
      }
      const r = key.startsWith('dev.') ? RegistryEntry.safeParse(value) : SystemRecord.safeParse(value);
      if (!r.success) {
        out.invalid++;
        this.log.warn({ key, reason: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ').slice(0, 500) }, 'registry value invalid; ignored');
      } else if (key.startsWith('dev.')) out.entries.push(r.data as RegistryEntry);
      else out.systems.push(r.data as SystemRecord);
    }
    this.counters.inc('journal_records_replayed', live.length);
    if (out.converted > 0) this.oldestUncompactedAt ??= Date.now();
    return out;
  }

  /**
   * Values that need not be durable before anything else happens (an outbox emptied after the
   * stream stored its messages): no journal record; written with the next compaction. Losing
   * them in a crash only repeats deduplicated publishes.
   */
  persistLater(writes: RegistryWrite[]): void {
    for (const w of writes) this.dirty.set(w.key, w.value);
    if (writes.length > 0) this.oldestUncompactedAt ??= Date.now();
  }

  /** Current values of `keys` (parsed JSON; absent keys are missing from the map): newest pending value, else KV. */
  async read(keys: string[]): Promise<Map<string, unknown>> {
    const out = new Map<string, unknown>();
    const fromKv: string[] = [];
    for (const k of keys) {
      const pending = this.dirty.get(k);
      if (pending !== undefined) out.set(k, JSON.parse(pending));
      else fromKv.push(k);
    }
    await pipelined(fromKv, 64, async (k) => {
      const e = await this.kv.get(k);
      if (e && e.operation === 'PUT' && e.length > 0) out.set(k, e.json<unknown>());
    });
    return out;
  }

  /**
   * Makes the values durable: they join the current journal record, written at the end of this
   * burst (or as soon as it is full). Resolves when that record is stored; rejects (retryable)
   * if it cannot be. A newer value of a key in the same record replaces the older one.
   */
  persist(writes: RegistryWrite[]): Promise<void> {
    if (writes.length === 0) return Promise.resolve();
    let b = this.batch ?? (this.batch = newBatch());
    let waits: Array<Promise<void>> | null = null;
    for (const w of writes) {
      const before = b.items.get(w.key);
      const grow = before === undefined ? w.value.length + w.key.length + 4 : w.value.length - before.length;
      if (b.items.size > 0 && b.bytes + grow > this.o.maxRecordBytes) {
        // A big decision (a sync end removing many devices) spans several records.
        (waits ??= []).push(b.done);
        this.flush();
        b = this.batch = newBatch();
        b.bytes += w.value.length + w.key.length + 4;
      } else b.bytes += grow;
      b.items.set(w.key, w.value);
      this.dirty.set(w.key, w.value);
    }
    const done = waits ? Promise.all([...waits, b.done]).then(noop) : b.done;
    if (b.bytes >= this.o.maxRecordBytes) this.flush();
    else this.scheduleFlush();
    return done;
  }

  /** After the current burst of decisions, one record for all of them — or, while writes are in flight, when one lands. */
  private scheduleFlush(): void {
    if (this.flushScheduled || this.writesInFlight >= JOURNAL_WRITES_IN_FLIGHT) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      if (this.writesInFlight < JOURNAL_WRITES_IN_FLIGHT) this.flush();
    });
  }

  private flush(): void {
    const b = this.batch;
    if (!b) return;
    this.batch = null;
    const seq = this.nextSeq++;
    const slot = seq % this.o.ringSlots;
    // The record's items are already JSON: concatenate instead of re-serializing them.
    const parts: string[] = [];
    for (const [k, v] of b.items) parts.push(`${JSON.stringify(k)}:${v}`);
    const record = `{"v":1,"seq":${seq},"items":{${parts.join(',')}}}`;
    const epoch = this.epoch;
    this.counters.inc('journal_records');
    this.counters.inc('journal_items', b.items.size);
    this.writesInFlight++;
    const landed = () => {
      this.writesInFlight--;
      if (this.batch) this.scheduleFlush();
    };
    void (async () => {
      // A ring slot is reused only once its previous record is compacted.
      while (seq - this.o.ringSlots > this.floor && this.epoch === epoch) {
        this.counters.inc('journal_waits_for_compaction');
        await this.compact();
        if (seq - this.o.ringSlots > this.floor) await sleep(50);
      }
      await this.put(walKey(slot), record);
    })().then(
      () => {
        landed();
        if (epoch !== this.epoch) return b.reject(retryable('registry_reset', 'registry was reloaded'));
        this.stored.add(seq);
        while (this.stored.delete(this.durableUpTo + 1)) this.durableUpTo++;
        this.walBytes += record.length;
        this.oldestUncompactedAt ??= Date.now();
        b.resolve();
        if (this.walBytes >= this.o.compactAfterBytes || seq - this.floor >= this.o.ringSlots / 2) void this.compact();
      },
      (e: unknown) => {
        landed();
        b.reject(e);
      },
    );
  }

  /**
   * Writes the newest value of every changed record to its own key, then moves the journal
   * floor to what was stored when it started and retires those journal records.
   */
  compact(): Promise<void> {
    if (this.compacting) return this.compacting;
    const run = async () => {
      const epoch = this.epoch;
      const upTo = this.durableUpTo;
      if (upTo <= this.floor && this.dirty.size === 0) return;
      const values = this.dirty;
      this.dirty = new Map();
      const t0 = Date.now();
      try {
        await pipelined([...values], 256, ([k, v]) => this.put(k, v));
      } catch (e) {
        // Keep the journal; put back what was not superseded meanwhile and try again later.
        if (epoch === this.epoch) for (const [k, v] of values) if (!this.dirty.has(k)) this.dirty.set(k, v);
        this.counters.inc('compaction_failed');
        this.log.warn({ err: describeError(e) }, 'registry compaction failed; journal kept');
        return;
      }
      if (epoch !== this.epoch) return;
      await this.put(FLOOR_KEY, JSON.stringify({ v: 1, upto: upTo }));
      const retired = this.floor;
      this.floor = upTo;
      this.walBytes = 0;
      this.oldestUncompactedAt = this.dirty.size > 0 ? Date.now() : null;
      this.counters.inc('compactions');
      this.counters.inc('compaction_writes', values.size);
      this.log.debug({ values: values.size, upto: upTo, ms: Date.now() - t0 }, 'registry compacted');
      // Retired records free their storage. A slot already handed to a newer record is left
      // alone: the check runs when the delete is issued, and writes on one connection keep order.
      const seqs: number[] = [];
      for (let q = Math.max(retired + 1, upTo - this.o.ringSlots + 1); q <= upTo; q++) seqs.push(q);
      await pipelined(seqs, 64, (q) => (this.nextSeq - 1 >= q + this.o.ringSlots ? Promise.resolve() : this.kv.delete(walKey(q % this.o.ringSlots)))).catch(noop);
    };
    this.compacting = run().finally(() => {
      this.compacting = null;
    });
    return this.compacting;
  }

  private async put(key: string, value: string): Promise<void> {
    try {
      await retry(() => this.writes.put(key, value), {
        maxElapsedMs: this.o.retryForMs,
        policy: RETRY_POLICIES.registryWrite,
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

  /** Drops everything pending (before a reload): writes still in flight can no longer confirm anything. */
  reset(): void {
    this.epoch++;
    this.batch?.reject(retryable('registry_reset', 'registry was reloaded'));
    this.batch = null;
    this.stored.clear();
  }

  status() {
    return {
      journal_floor: this.floor,
      journal_durable_up_to: this.durableUpTo,
      journal_bytes_uncompacted: this.walBytes,
      dirty: this.dirty.size,
      ...this.counters.snapshot(),
    };
  }
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  done.catch(noop);
  return { items: new Map(), bytes: 0, done, resolve, reject };
}

/** Runs `fn` over `items` with at most `width` in flight; rejects on the first failure. */
async function pipelined<T>(items: T[], width: number, fn: (x: T) => Promise<unknown>): Promise<void> {
  let i = 0;
  let failed: unknown = null;
  const lane = async () => {
    while (i < items.length && failed === null) {
      const x = items[i++];
      await fn(x).catch((e) => {
        failed ??= e;
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane));
  if (failed !== null) throw failed;
}
