/**
 * The real normalizer (real vendor mappers, real nats-server) fed what a broken or hostile
 * producer could put on RAW: bytes that are not JSON, envelopes with wrong fields, hostile vendor
 * payloads, unknown vendors, and messages as large as NATS carries. Every message ends acked:
 * mapped, or dead-lettered with its reason and original bytes; nothing stays pending or loops;
 * the service keeps serving and maps the next good message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { jetstreamManager } from '@nats-io/jetstream';
import { CONSUMERS, STREAMS, subjects, type RawEnvelope } from '@edge/contracts';
import { connectNats, createLogger, DLQ_TRUNCATED, EdgeError, Publisher, sleep, startService, type NatsConnection, type RunningService } from '@edge/platform';
import { startNatsServer, testConfig, type TestNatsServer } from '@edge/platform/testing';
import { createNormalizerModule, normalizerConsumers } from '../../services/normalizer/src/normalizer.module';
import { anyValue, jsonish } from './arbitraries';

const log = createLogger({ service: 'test', level: 'silent' });
let nats: TestNatsServer;
let nc: NatsConnection;
let pub: Publisher;
let svc: RunningService;

const ctxFields = { schema: 'raw/v1', site_id: 'site-test', customer_id: 'cust-test', observed_at: '2026-01-01T00:00:00.000Z' };

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await sleep(100);
  }
}

async function lag() {
  const jsm = await jetstreamManager(nc);
  const c = await jsm.consumers.info(STREAMS.raw, CONSUMERS.normalizer);
  return { pending: c.num_pending, ackPending: c.num_ack_pending, redelivered: c.num_redelivered };
}

async function streamCount(name: string): Promise<number> {
  const jsm = await jetstreamManager(nc);
  return (await jsm.streams.info(name)).state.messages;
}

let msgNo = 0;
async function publishRaw(subject: string, data: string | Uint8Array): Promise<void> {
  await pub.publish(subject, data, { msgId: `fuzz-${++msgNo}` });
}

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connectNats({ url: nats.url, name: 'test' }, log);
  pub = new Publisher(nc, log, { retryForMs: 5_000, timeoutMs: 5_000 });
  const config = testConfig(nats.url, { log: { level: 'fatal' } });
  svc = await startService({ service: 'normalizer', module: createNormalizerModule(), consumers: normalizerConsumers, config, httpPort: 0 });
});

afterAll(async () => {
  await svc?.stop();
  await nc?.drain().catch(() => undefined);
  await nats?.dispose();
});

const vendorSubject = fc.constantFrom(subjects.raw('onguard', 'og-main', 'inventory'), subjects.raw('onguard', 'og-main', 'status'), subjects.raw('milestone', 'xp-main', 'status'), subjects.raw('nosuchvendor', 'x1', 'status'));
const hostileRaw = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
  jsonish(['schema', 'vendor', 'system_id', 'kind', 'payload']).map((v) => JSON.stringify(v) ?? 'undefined'),
  fc
    .record({
      vendor: fc.constantFrom('onguard', 'milestone', 'nosuchvendor', 'bad vendor'),
      system_id: fc.constantFrom('og-main', 'xp-main', 'bad id!'),
      kind: fc.constantFrom('device', 'status', 'sync.begin', 'sync.end', 'other'),
      sync_id: fc.option(fc.string({ minLength: 1, maxLength: 8 }), { nil: undefined }),
      payload: fc.oneof(anyValue, fc.jsonValue(), jsonish(['native_type', 'object', 'resourceType', 'item', 'source', 'rows', 'kind', 'event', 'count'])),
    })
    .map((e) => JSON.stringify({ ...ctxFields, ...e })),
);

describe('normalizer fed hostile raw messages', () => {
  it('every message is mapped or dead-lettered with a reason; none stays pending; the next good message maps', async () => {
    const samples = fc.sample(fc.tuple(vendorSubject, hostileRaw), { numRuns: 60, seed: 42 });
    for (const [subject, data] of samples) await publishRaw(subject, data);
    const good: RawEnvelope = {
      ...(ctxFields as Pick<RawEnvelope, 'schema' | 'site_id' | 'customer_id' | 'observed_at'>),
      vendor: 'onguard',
      system_id: 'og-main',
      kind: 'device',
      payload: { native_type: 'Lnl_Panel', object: { ID: 77, Name: 'After the storm' }, hardware_status: { status: 1, read_at: '2026-01-01T00:00:00Z', error: null } },
    };
    await publishRaw(subjects.raw('onguard', 'og-main', 'inventory'), JSON.stringify(good));
    await until('every raw message settled', async () => {
      const l = await lag();
      return l.pending === 0 && l.ackPending === 0;
    });
    const entries = await svc.runtime.dlq.list({ limit: 1000 });
    expect(entries.length).toBeGreaterThan(samples.length / 2);
    for (const e of entries) {
      expect(e.stage).toBe('normalizer');
      expect(e.reason.length).toBeGreaterThan(10);
      expect(e.kind).not.toBe('');
    }
    // The good message was mapped after all that.
    await until('the good device reached CANONICAL', async () => (await streamCount(STREAMS.canonical)) >= 1);
    const r = await fetch(`http://127.0.0.1:${svc.httpPort}/status`);
    const st = (await r.json()) as { normalizer: { dropped: Record<string, number>; processed: number } };
    const dropped = Object.values(st.normalizer.dropped).reduce((a, b) => a + b, 0);
    expect(dropped).toBe(entries.length);
    // No message was redelivered in a loop.
    expect((await lag()).redelivered).toBe(0);
  });

  it('a message as large as NATS carries is dead-lettered (reason and original bytes), not retried forever', async () => {
    const before = (await svc.runtime.dlq.list({ limit: 1000 })).length;
    const info = nc.info!;
    // Just under max_payload, with room for the envelope headers of the publish but not for the DLQ's reason headers.
    const junk = 'x'.repeat(info.max_payload - 600);
    await publishRaw(subjects.raw('onguard', 'og-main', 'status'), JSON.stringify({ ...ctxFields, vendor: 'onguard', system_id: 'og-main', kind: 'status', payload: { junk } }));
    await until('the large message settled', async () => {
      const l = await lag();
      return l.pending === 0 && l.ackPending === 0;
    });
    const entries = await svc.runtime.dlq.list({ limit: 1000 });
    expect(entries.length).toBe(before + 1);
    const last = entries[entries.length - 1];
    expect(last.reason).toMatch(/payload invalid/);
    // Reason headers do not fit next to the whole message: the entry keeps the start and says so.
    const shown = await svc.runtime.dlq.show(last.seq);
    expect(Number(shown?.headers[DLQ_TRUNCATED]?.[0])).toBeGreaterThan(info.max_payload - 1000);
    expect(shown?.data.startsWith('{"schema":"raw/v1"')).toBe(true);
    await expect(svc.runtime.dlq.replay(last.seq)).rejects.toThrow(/holds only the first/);
    expect((await lag()).redelivered).toBe(0);
  });

  it('a publish larger than NATS max_payload fails with a permanent error, not retried as if transient', async () => {
    const e = await pub.publish(subjects.raw('onguard', 'og-main', 'status'), 'x'.repeat(nc.info!.max_payload + 1), { msgId: 'too-big', retryForMs: 20_000 }).then(
      () => null,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(EdgeError);
    expect((e as EdgeError).kind).toBe('permanent');
    expect((e as EdgeError).code).toBe('message_too_large');
    expect((e as EdgeError).message).toMatch(/max_payload/);
    expect(pub.counters.snapshot().publish_retries ?? 0).toBe(0);
  });
});
