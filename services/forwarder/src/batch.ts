import { CLOUD_PATHS, type SyncRef } from '@edge/contracts';
import { idempotencyKey, type InventoryGroup, type OutItem } from './items';

/** Bytes of a body around its items (keys, ids, sync ref). */
const BODY_OVERHEAD = 512;

export interface BatchLimits {
  maxItems: number;
  maxBytes: number;
  lingerMs: number;
}

/** Items that travel in one POST, in stream order. */
export class Batch {
  readonly items: OutItem[] = [];
  bytes = BODY_OVERHEAD;
  /** `sync.batch` number, fixed at the first attempt so a retry sends the same body. */
  syncBatchNo: number | null = null;

  constructor(
    readonly kind: 'health' | 'inventory',
    readonly group: InventoryGroup | null,
  ) {}

  /** Keeps stream order even if handlers run a tick out of order. */
  add(item: OutItem): void {
    let i = this.items.length;
    while (i > 0 && this.items[i - 1].seq > item.seq) i--;
    this.items.splice(i, 0, item);
    this.bytes += item.bytes;
  }

  get end(): OutItem | null {
    const last = this.items[this.items.length - 1];
    return last?.kind === 'sync_end' ? last : null;
  }

  /** Same batch without `drop`; keeps the group (and the sync end, unless dropped). */
  without(drop: ReadonlySet<OutItem>): Batch {
    const b = new Batch(this.kind, this.group);
    for (const i of this.items) if (!drop.has(i)) b.add(i);
    return b;
  }

  /** Two halves in order; the sync end stays last, in the second half. */
  split(): [Batch, Batch] {
    const mid = Math.ceil(this.items.length / 2);
    const a = new Batch(this.kind, this.group);
    const b = new Batch(this.kind, this.group);
    this.items.forEach((it, i) => (i < mid ? a : b).add(it));
    return [a, b];
  }
}

export interface BatchRequest {
  path: string;
  body: string;
  key: string;
  events: number;
  devices: number;
  removed: number;
  final: boolean;
}

/** The POST of a batch: body built from the items' JSON without re-serialising them. */
export function requestOf(b: Batch): BatchRequest {
  if (b.kind === 'health') {
    return {
      path: CLOUD_PATHS.healthEvents,
      body: `{"events":[${b.items.map((i) => i.json).join(',')}]}`,
      key: idempotencyKey('hev', b.items),
      events: b.items.length,
      devices: 0,
      removed: 0,
      final: false,
    };
  }
  const g = b.group!;
  const devices = b.items.filter((i) => i.kind === 'device');
  const removed = b.items.filter((i) => i.kind === 'removed');
  const end = b.end?.syncEnd ?? null;
  let sync: SyncRef | null = null;
  if (g.sync_id) {
    sync = { id: g.sync_id, batch: b.syncBatchNo ?? 0, final: end !== null };
    if (g.system_id) sync.system_id = g.system_id;
    if (end) {
      sync.total = end.count;
      sync.complete = end.complete;
    }
  }
  const parts = [`"devices":[${devices.map((i) => i.json).join(',')}]`];
  if (removed.length > 0) parts.push(`"removed":[${removed.map((i) => i.json).join(',')}]`);
  parts.push(`"customer_id":${JSON.stringify(g.customer_id)}`, `"site_id":${JSON.stringify(g.site_id)}`, `"sync":${JSON.stringify(sync)}`);
  return {
    path: CLOUD_PATHS.inventory,
    body: `{${parts.join(',')}}`,
    key: idempotencyKey('inv', b.items),
    events: 0,
    devices: devices.length,
    removed: removed.length,
    final: end !== null,
  };
}

/**
 * Forms batches by count, bytes and linger. Items of different inventory groups never share a
 * batch; each open batch has its own linger. Closed batches queue in order for the lane's sender.
 */
export class Batcher {
  private readonly open = new Map<string, { batch: Batch; timer: NodeJS.Timeout }>();
  private readonly ready: Batch[] = [];
  private waiter: (() => void) | null = null;

  constructor(
    private readonly kind: 'health' | 'inventory',
    private readonly limits: BatchLimits,
  ) {}

  add(item: OutItem): void {
    const gk = item.group?.key ?? '';
    let o = this.open.get(gk);
    if (o && (o.batch.items.length >= this.limits.maxItems || o.batch.bytes + item.bytes > this.limits.maxBytes)) {
      this.close(gk);
      o = undefined;
    }
    if (!o) {
      o = { batch: new Batch(this.kind, item.group), timer: setTimeout(() => this.close(gk), this.limits.lingerMs) };
      this.open.set(gk, o);
    }
    o.batch.add(item);
    // A sync end completes its batch: the cloud learns the list is complete without waiting.
    if (item.kind === 'sync_end' || o.batch.items.length >= this.limits.maxItems || o.batch.bytes >= this.limits.maxBytes) this.close(gk);
  }

  private close(gk: string): void {
    const o = this.open.get(gk);
    if (!o) return;
    clearTimeout(o.timer);
    this.open.delete(gk);
    this.ready.push(o.batch);
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** Next closed batch, waiting for one; null when `signal` aborts. */
  async next(signal: AbortSignal): Promise<Batch | null> {
    while (this.ready.length === 0) {
      if (signal.aborted) return null;
      await new Promise<void>((resolve) => {
        const done = () => {
          signal.removeEventListener('abort', done);
          resolve();
        };
        this.waiter = done;
        signal.addEventListener('abort', done, { once: true });
      });
    }
    return this.ready.shift() ?? null;
  }

  /** Items waiting (open and closed batches, not the one being sent). */
  get depth(): number {
    let n = 0;
    for (const o of this.open.values()) n += o.batch.items.length;
    for (const b of this.ready) n += b.items.length;
    return n;
  }

  stop(): void {
    for (const o of this.open.values()) clearTimeout(o.timer);
  }
}
