import { describe, expect, it } from 'vitest';
import { CLOUD_PATHS, InventoryRequest, HealthEventsRequest, type CanonicalMessage } from '@edge/contracts';
import { sleep, type Delivery } from '@edge/platform';
import { sampleDevice, sampleEvent } from '@edge/sim-cloud';
import { Batch, Batcher, requestOf } from '../src/batch';
import { Circuit } from '../src/circuit';
import { classify } from '../src/delivery';
import { laneOf, toItem, type OutItem } from '../src/items';
import { RETRY_AFTER_CAP_MS as MAX_RETRY_AFTER_MS, parseRetryAfter } from '@edge/platform';

let seq = 0;
function delivery(m: CanonicalMessage | string, s = ++seq): Delivery {
  const text = typeof m === 'string' ? m : JSON.stringify(m);
  return {
    subject: 'canonical.health.site-test',
    data: new TextEncoder().encode(text),
    headers: undefined,
    seq: s,
    deliveryCount: 1,
    timestampMs: Date.now(),
    msgId: undefined,
    string: () => text,
    json: <T>() => JSON.parse(text) as T,
  };
}
const ev = (dev: number, k: number, s?: number) => toItem(delivery({ kind: 'health', event: sampleEvent(dev, k) }, s));
const dev = (n: number, sync: string | null) => toItem(delivery({ kind: 'device', sync_id: sync, device: sampleDevice(n) }));
const end = (sync: string) =>
  toItem(
    delivery({
      kind: 'sync.end',
      sync_id: sync,
      system_id: 'og-main',
      vendor: 'onguard',
      customer_id: 'cust-test',
      site_id: 'site-test',
      count: 2,
      removed_count: 0,
      complete: true,
      finished_at: '2026-01-01T00:00:00Z',
    }),
  );

describe('canonical message → item', () => {
  it('fills edge_seq with the stream sequence and refuses what is not a canonical message (permanent)', () => {
    const i = ev(1, 0, 4242);
    expect(JSON.parse(i.json)).toMatchObject({ event_id: 'evt-1-0', edge_seq: 4242 });
    expect(() => toItem(delivery('{oops'))).toThrow(expect.objectContaining({ kind: 'permanent', code: 'invalid_canonical' }));
    expect(() => toItem(delivery({ kind: 'health', event: { ...sampleEvent(1, 0), status: 'gone' } } as never))).toThrow(/status/);
  });

  it('keeps every event of a device on the same lane', () => {
    const lanes = new Set(Array.from({ length: 50 }, () => laneOf('onguard:og-main:reader-7', 4)));
    expect(lanes.size).toBe(1);
    expect(new Set(Array.from({ length: 200 }, (_, i) => laneOf(`dev-${i}`, 4))).size).toBe(4);
  });
});

describe('batches', () => {
  const limits = { maxItems: 3, maxBytes: 1024 * 1024, lingerMs: 10_000 };
  const abort = new AbortController();

  it('close by count, bytes and linger; keep stream order', async () => {
    const byCount = new Batcher('health', limits);
    for (const s of [3, 1, 2, 4]) byCount.add(ev(1, s, 1000 + s));
    const first = await byCount.next(abort.signal);
    expect(first!.items.map((i) => i.seq)).toEqual([1001, 1002, 1003]);
    byCount.stop();

    const one = ev(1, 0);
    const byBytes = new Batcher('health', { ...limits, maxBytes: one.bytes * 2 + 600 });
    for (let k = 0; k < 3; k++) byBytes.add(ev(2, k));
    expect((await byBytes.next(abort.signal))!.items).toHaveLength(2);
    byBytes.stop();

    const byLinger = new Batcher('health', { ...limits, lingerMs: 30 });
    byLinger.add(ev(3, 0));
    expect((await byLinger.next(abort.signal))!.items).toHaveLength(1);
  });

  it('never mixes syncs in one inventory batch; a sync end closes its batch with final: true and the total', async () => {
    const b = new Batcher('inventory', limits);
    b.add(dev(1, 'sync-a'));
    b.add(dev(2, 'sync-b'));
    b.add(dev(3, 'sync-a'));
    b.add(end('sync-a'));
    const a = (await b.next(abort.signal))!;
    const req = InventoryRequest.parse(JSON.parse(requestOf(a).body));
    expect(req.devices.map((d) => d.id)).toEqual(['onguard:og-main:reader-1', 'onguard:og-main:reader-3']);
    expect(req.sync).toEqual({ id: 'sync-a', batch: 0, final: true, system_id: 'og-main', total: 2, complete: true });
    expect(requestOf(a).path).toBe(CLOUD_PATHS.inventory);
    b.stop();
    const outside = new Batch('inventory', dev(9, null).group);
    outside.add(dev(9, null));
    expect(InventoryRequest.parse(JSON.parse(requestOf(outside).body)).sync).toBeNull();
  });

  it('splits in order with the sync end last; the Idempotency-Key follows the items', () => {
    const b = new Batch('inventory', dev(1, 's').group);
    const items: OutItem[] = [dev(1, 's'), dev(2, 's'), dev(3, 's'), end('s')];
    items.forEach((i) => b.add(i));
    const [x, y] = b.split();
    expect(x.end).toBeNull();
    expect(y.end?.kind).toBe('sync_end');
    expect(requestOf(x).key).not.toBe(requestOf(b).key);
    const again = new Batch('inventory', b.group);
    items.forEach((i) => again.add(i));
    expect(requestOf(again).key).toBe(requestOf(b).key);
    const h = new Batch('health', null);
    h.add(ev(1, 0));
    expect(HealthEventsRequest.parse(JSON.parse(requestOf(h).body)).events).toHaveLength(1);
  });
});

describe('answers and retries', () => {
  it('classifies answers as §4.4 says', () => {
    const a = (status: number, body: unknown = null, retryAfterMs?: number) => classify({ status, body, retryAfterMs, durationMs: 1 });
    expect(a(200, { accepted: 1, duplicates: 0 }).kind).toBe('delivered');
    expect(a(409).kind).toBe('delivered');
    for (const s of [408, 429, 500, 502, 503, 504]) expect(a(s).kind).toBe('retry');
    expect(a(0).kind).toBe('retry');
    expect(a(429, null, 5000)).toMatchObject({ kind: 'retry', retryAfterMs: 5000 });
    expect(a(401).kind).toBe('auth');
    expect(a(403).kind).toBe('auth');
    expect(a(413).kind).toBe('too_large');
    expect(a(404).kind).toBe('endpoint');
    expect(a(302).kind).toBe('endpoint');
    expect(a(422, { error: 'x', message: 'y', items: [{ index: 0, id: 'a', issues: [] }] })).toMatchObject({ kind: 'rejected', answer: { items: [{ id: 'a' }] } });
  });

  it('reads Retry-After in seconds and as an HTTP date, bounded', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('999999', now)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('opens after consecutive failures, lets one probe through while open, closes on success', async () => {
    const events: string[] = [];
    const c = new Circuit(3, { onOpen: (s) => events.push(`open:${s}`), onClose: () => events.push('close') });
    const signal = new AbortController().signal;
    for (let i = 0; i < 2; i++) c.failure(await c.permit(signal), 'retry', 'HTTP 503');
    expect(c.state).toBe('closed');
    c.failure(await c.permit(signal), 'retry', 'HTTP 503');
    expect(c.state).toBe('open');
    const probe = await c.permit(signal);
    expect(probe.probe).toBe(true);
    let waited = false;
    const second = c.permit(signal).then((t) => {
      waited = true;
      return t;
    });
    await sleep(20);
    expect(waited).toBe(false);
    c.success(probe);
    expect((await second).probe).toBe(false);
    c.failure(await c.permit(signal), 'auth', 'HTTP 401');
    expect(c.state).toBe('auth_failed');
    // A lane sleeping a long backoff wakes when another lane's probe gets through.
    const sleeping = c.sleepUnlessClosed(60_000, signal);
    c.success(await c.permit(signal));
    await sleeping;
    c.failure(await c.permit(signal), 'auth', 'HTTP 401');
    expect(events).toEqual(['open:open', 'close', 'open:auth_failed', 'close', 'open:auth_failed']);
  });
});
