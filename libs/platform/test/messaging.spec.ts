import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { context, propagation, trace } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { startNatsServer, testConfig, type TestNatsServer } from '@edge/platform/testing';
import {
  connectNats,
  createLogger,
  DlqAdmin,
  DurableConsumer,
  EdgeError,
  permanent,
  provision,
  provisionOptionsFromConfig,
  Publisher,
  retryable,
  sleep,
  type Delivery,
  type NatsConnection,
} from '@edge/platform';
import { CONSUMERS, HEADERS, STREAMS } from '@edge/contracts';

const log = createLogger({ service: 'test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });

async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(25);
  }
}

describe('JetStream platform against a real nats-server', () => {
  let srv: TestNatsServer;
  let nc: NatsConnection;
  let pub: Publisher;
  const cfg = () => testConfig(srv.url);

  beforeAll(async () => {
    srv = await startNatsServer();
    nc = await connectNats({ url: srv.url, name: 'test' }, log);
    await provision(nc, provisionOptionsFromConfig(cfg()));
    pub = new Publisher(nc, log, { retryForMs: 20_000, timeoutMs: 2_000 });
  });
  afterAll(async () => {
    await nc?.drain().catch(() => undefined);
    await srv?.dispose();
  });

  async function purge(stream: string) {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.purge(stream);
  }

  function consumer(handler: (d: Delivery) => Promise<void>, over: Partial<ConstructorParameters<typeof DurableConsumer>[3]> = {}) {
    return new DurableConsumer(nc, pub, log, {
      stream: STREAMS.raw,
      durable: CONSUMERS.normalizer,
      stage: 'normalizer',
      handler,
      retryPolicy: { baseMs: 50, capMs: 200, floorMs: 50 },
      ...over,
    });
  }

  it('a consumer started after an unclean stop handles the unacked messages it left before newer ones', async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'ORPHANS', subjects: ['orphans.>'] });
    await jsm.consumers.add('ORPHANS', { durable_name: 'w', ack_policy: 'explicit' as never, ack_wait: 2_000_000_000 });
    await pub.publish('orphans.d1', 'old', { msgId: 'o-1' });
    // A previous instance took the message and died before acking it.
    const dead = await jetstream(nc).consumers.get('ORPHANS', 'w');
    const taken = await dead.next({ expires: 5_000 });
    expect(taken?.string()).toBe('old');
    await pub.publish('orphans.d1', 'new', { msgId: 'o-2' });
    const got: string[] = [];
    const c = new DurableConsumer(nc, pub, log, { stream: 'ORPHANS', durable: 'w', stage: 'test', handler: async (d) => void got.push(d.string()) });
    await c.start();
    await until(() => got.length === 2);
    expect(got).toEqual(['old', 'new']);
    expect(c.counters.get('orphan_holds')).toBe(1);
    await c.stop();
    await jsm.streams.delete('ORPHANS');
  });

  it('provisioning twice is a no-op', async () => {
    const again = await provision(nc, provisionOptionsFromConfig(cfg()));
    expect(Object.values(again.streams)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect(Object.values(again.consumers)).toEqual(['unchanged', 'unchanged']);
    const changed = await provision(nc, { ...provisionOptionsFromConfig(cfg()), raw: { max_bytes: 123_456_789, max_age: 3_600_000 } });
    expect(changed.streams.RAW).toBe('updated');
    const jsm = await jetstreamManager(nc);
    expect((await jsm.streams.info('RAW')).config.max_bytes).toBe(123_456_789);
    await provision(nc, provisionOptionsFromConfig(cfg()));
  });

  it('dedupes publishes by Nats-Msg-Id', async () => {
    await purge(STREAMS.raw);
    const a = await pub.publish('raw.t.s1.status', 'one', { msgId: 'dedupe-1' });
    const b = await pub.publish('raw.t.s1.status', 'one again', { msgId: 'dedupe-1' });
    const c = await pub.publish('raw.t.s1.status', 'two', { msgId: 'dedupe-2' });
    expect(a.duplicate).toBe(false);
    expect(b).toMatchObject({ duplicate: true, seq: a.seq });
    expect(c.seq).toBe(a.seq + 1);
    const jsm = await jetstreamManager(nc);
    expect((await jsm.streams.info(STREAMS.raw)).state.messages).toBe(2);
    await expect(pub.publish('raw.t.s1.status', 'x', { msgId: '' })).rejects.toThrow(/msgId/);
  });

  it('acks only after success, naks retryable errors and redelivers them; dead-letters permanent ones with the original bytes', async () => {
    await purge(STREAMS.raw);
    await purge(STREAMS.dlq);
    const binary = new Uint8Array([0, 255, 1, 254, 10, 13]);
    const h = natsHeaders();
    h.set('X-Original', 'kept');
    await pub.publish('raw.t.s1.status', 'flaky', { msgId: 'ack-1' });
    await pub.publish('raw.t.s1.status', binary, { msgId: 'ack-2', headers: h });
    await pub.publish('raw.t.s1.status', 'fine', { msgId: 'ack-3' });
    const seen: Array<[string, number]> = [];
    const c = consumer(async (d) => {
      seen.push([d.data[0] === 0 ? 'binary' : d.string(), d.deliveryCount]);
      if (d.string() === 'flaky' && d.deliveryCount === 1) throw retryable('flaky', 'try again');
      if (d.data[0] === 0) throw permanent('bad_input', 'cannot parse\nsecond line');
    });
    await c.start();
    await until(() => seen.length >= 4);
    await until(async () => (await c.lag())?.ack_pending === 0);
    await c.stop();
    expect(seen).toEqual(expect.arrayContaining([['flaky', 1], ['binary', 1], ['fine', 1], ['flaky', 2]]));
    expect(seen.filter(([s]) => s === 'binary')).toHaveLength(1);
    expect(c.counters.snapshot()).toMatchObject({ acked: 2, nak_retry: 1, dead_lettered: 1 });

    const dlq = new DlqAdmin(nc, pub);
    const [entry] = await dlq.list();
    expect(entry).toMatchObject({ stage: 'normalizer', original_subject: 'raw.t.s1.status', reason: 'bad_input: cannot parse second line', kind: 'bad_input' });
    const jsm = await jetstreamManager(nc);
    const stored = await jsm.streams.getMessage(STREAMS.dlq, { seq: entry.seq });
    expect(stored!.subject).toBe('dlq.normalizer.raw.t.s1.status');
    expect(Array.from(stored!.data)).toEqual(Array.from(binary));
    expect(stored!.header.get('X-Original')).toBe('kept');
    expect(stored!.header.get(HEADERS.dlqOriginalSeq)).toBe(String(entry.original_seq));
    expect((await dlq.size()).messages).toBe(1);
  });

  it('replays a dead-lettered message to its original subject once', async () => {
    await purge(STREAMS.raw);
    await purge(STREAMS.dlq);
    await pub.publish('raw.t.s2.status', 'poison', { msgId: 'replay-1' });
    let fixed = false;
    const got: string[] = [];
    const c = consumer(async (d) => {
      got.push(`${d.string()}:${fixed}`);
      if (!fixed) throw permanent('bad', 'not yet');
    });
    await c.start();
    const dlq = new DlqAdmin(nc, pub);
    await until(async () => (await dlq.size()).messages === 1);
    fixed = true;
    const [e] = await dlq.list();
    const r = await dlq.replay(e.seq);
    expect(r?.subject).toBe('raw.t.s2.status');
    await until(() => got.length === 2);
    expect(await dlq.replay(e.seq)).toBeNull();
    await sleep(200);
    await c.stop();
    expect(got).toEqual(['poison:false', 'poison:true']);
    expect((await dlq.size()).messages).toBe(0);
  });

  it('resumes where it left off after the consumer process restarts: nothing lost, nothing acked twice', async () => {
    await purge(STREAMS.raw);
    const n = 300;
    for (let i = 0; i < n; i++) await pub.publish('raw.t.s3.status', String(i), { msgId: `resume-${i}` });
    const processed: number[] = [];
    // First "process": its own connection; stops (drains) after about a third.
    const nc1 = await connectNats({ url: srv.url, name: 'c1' }, log);
    const c1 = new DurableConsumer(nc1, new Publisher(nc1, log), log, {
      stream: STREAMS.raw, durable: CONSUMERS.normalizer, stage: 'normalizer', concurrency: 8,
      handler: async (d) => { processed.push(Number(d.string())); },
    });
    await c1.start();
    await until(() => processed.length >= 100);
    await c1.stop();
    await nc1.drain();
    const firstRun = processed.length;
    const nc2 = await connectNats({ url: srv.url, name: 'c2' }, log);
    const c2 = new DurableConsumer(nc2, new Publisher(nc2, log), log, {
      stream: STREAMS.raw, durable: CONSUMERS.normalizer, stage: 'normalizer', concurrency: 8,
      handler: async (d) => { processed.push(Number(d.string())); },
    });
    await c2.start();
    await until(() => new Set(processed).size === n);
    await until(async () => (await c2.lag())?.ack_pending === 0 && (await c2.lag())?.pending === 0);
    await c2.stop();
    await nc2.drain();
    expect(firstRun).toBeGreaterThanOrEqual(100);
    expect(new Set(processed).size).toBe(n);
    expect(processed.length).toBe(n); // graceful stop acked everything it processed
  });

  it('carries W3C trace context across a hop', async () => {
    const provider = new NodeTracerProvider();
    provider.register();
    await purge(STREAMS.raw);
    const tracer = trace.getTracer('test');
    const span = tracer.startSpan('collector.event');
    await context.with(trace.setSpan(context.active(), span), () => pub.publish('raw.t.s4.status', 'traced', { msgId: 'trace-1' }));
    span.end();
    let seenTrace: string | undefined;
    let header: string | undefined;
    const c = consumer(async (d) => {
      seenTrace = trace.getActiveSpan()?.spanContext().traceId;
      header = d.headers?.get('traceparent');
    });
    await c.start();
    await until(() => seenTrace !== undefined);
    await c.stop();
    expect(header).toMatch(new RegExp(`^00-${span.spanContext().traceId}-[0-9a-f]{16}-0[01]$`));
    expect(seenTrace).toBe(span.spanContext().traceId);
    await provider.shutdown();
    // Leave no global tracer/propagator behind for the tests that follow.
    trace.disable();
    propagation.disable();
    context.disable();
  });

  it('refuses publishes when a stream is full (DiscardNew) with a stream_full error', async () => {
    const small = await connectNats({ url: srv.url, name: 'small' }, log);
    const jsm = await jetstreamManager(small);
    await jsm.streams.add({ name: 'TINY', subjects: ['tiny.>'], max_bytes: 10_000, discard: 'new' as never });
    const p = new Publisher(small, log, { retryForMs: 300, timeoutMs: 1_000 });
    let err: unknown;
    for (let i = 0; i < 100 && !err; i++) {
      try {
        await p.publish('tiny.x', 'x'.repeat(2_000), { msgId: `tiny-${i}` });
      } catch (e) {
        err = e;
      }
    }
    expect(err).toBeInstanceOf(EdgeError);
    expect((err as EdgeError).code).toBe('stream_full');
    expect((err as EdgeError).kind).toBe('retryable');
    expect(p.counters.get('publish_failed_stream_full')).toBe(1);
    // Refused, not made room for: the oldest message is still there.
    expect((await jsm.streams.info('TINY')).state.first_seq).toBe(1);
    await jsm.streams.delete('TINY');
    await small.drain();
  });

  it('stops pulling while the downstream stream is nearly full, and reports messages a stream discarded unacked', async () => {
    const jsm = await jetstreamManager(nc);
    await purge(STREAMS.raw);
    await jsm.streams.add({ name: 'DOWN', subjects: ['down.>'], max_msgs: 10, discard: 'new' as never });
    for (let i = 0; i < 10; i++) await pub.publish('down.x', 'x', { msgId: `down-${i}` });
    await pub.publish('raw.t.s6.status', 'waits', { msgId: 'bp-1' });
    const got: string[] = [];
    const c = consumer(async (d) => { got.push(d.string()); }, { downstream: { stream: 'DOWN', high: 0.9, low: 0.5 }, guardEveryMs: 100 });
    await c.start();
    await until(() => c.status().paused === true);
    expect(got).toEqual([]);
    expect(c.status()).toMatchObject({ paused: true, holds: ['downstream_full'], downstream_usage: 1 });
    await jsm.streams.purge('DOWN');
    await until(() => got.length === 1);
    expect(c.status().holds).toEqual([]);
    await c.stop();
    expect(c.counters.get('backpressure_engaged')).toBe(1);

    // A stream that drops its oldest messages (not ours: ours refuse) — the guard notices the loss.
    await jsm.streams.add({ name: 'LOSSY', subjects: ['lossy.>'], max_msgs: 5, discard: 'old' as never });
    await jsm.consumers.add('LOSSY', { durable_name: 'reader', ack_policy: 'explicit' as never });
    for (let i = 0; i < 12; i++) await pub.publish('lossy.x', String(i), { msgId: `lossy-${i}` });
    const lossy = new DurableConsumer(nc, pub, log, { stream: 'LOSSY', durable: 'reader', stage: 'test', handler: async () => undefined, guardEveryMs: 100 });
    await lossy.start();
    await until(() => lossy.status().discarded_before_ack === 7);
    await lossy.stop();
    expect(lossy.status().discarded_before_ack).toBe(7);
    expect(lossy.counters.get('discarded_before_ack')).toBe(7);
    await jsm.streams.delete('DOWN');
    await jsm.streams.delete('LOSSY');
  });

  it('reconnects after the server restarts and keeps what was stored', async () => {
    await purge(STREAMS.raw);
    await pub.publish('raw.t.s5.status', 'before', { msgId: 'restart-1' });
    await srv.restart();
    const r = await pub.publish('raw.t.s5.status', 'after', { msgId: 'restart-2' });
    expect(r.duplicate).toBe(false);
    const got: string[] = [];
    const c = consumer(async (d) => {
      got.push(d.string());
    });
    await c.start();
    await until(() => got.length === 2);
    await c.stop();
    expect(got).toEqual(['before', 'after']);
  });
});
