import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { DiscardPolicy, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { startNatsServer, type TestNatsServer } from '@edge/platform/testing';
import { connectNats, createLogger, isStreamFull, isTooLarge, type NatsConnection } from '@edge/platform';
import { HEADERS } from '@edge/contracts';
import { Kvm } from '@nats-io/kv';
import { PubAckInbox } from '../src/nats/pub-acks';
import { KvWriter } from '../src/nats/kv-writer';

const log = createLogger({ service: 'test', level: 'silent' });

function withId(id: string) {
  const h = natsHeaders();
  h.set(HEADERS.msgId, id);
  return h;
}

describe('PubAckInbox: JetStream publishes acknowledged on one subscription', () => {
  let srv: TestNatsServer;
  let nc: NatsConnection;
  let acks: PubAckInbox;

  beforeAll(async () => {
    srv = await startNatsServer();
    nc = await connectNats({ url: srv.url, name: 'pub-acks-test' }, log);
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'ACKS', subjects: ['acks.>'], storage: StorageType.File, retention: RetentionPolicy.Limits, duplicate_window: 60e9 });
    await jsm.streams.add({ name: 'TINY', subjects: ['tiny.>'], storage: StorageType.File, max_msgs: 2, discard: DiscardPolicy.New });
    acks = new PubAckInbox(nc);
  });
  afterAll(async () => {
    await nc?.drain().catch(() => undefined);
    await srv?.dispose();
  });

  it('resolves each publish with its own stream sequence, in order, and marks repeated msg-ids as duplicates', async () => {
    const got = await Promise.all(Array.from({ length: 500 }, (_, i) => acks.publish('acks.a', `m${i}`, withId(`id-${i}`), 5_000)));
    expect(got.map((a) => a.seq)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(got.every((a) => a.stream === 'ACKS' && !a.duplicate)).toBe(true);
    const again = await acks.publish('acks.a', 'm7', withId('id-7'), 5_000);
    expect(again).toEqual({ stream: 'ACKS', seq: 8, duplicate: true });
    expect(acks.inFlight).toBe(0);
  });

  it("rejects with the stream's own reason when it refuses the message (stream full)", async () => {
    await acks.publish('tiny.a', 'one', withId('t1'), 5_000);
    await acks.publish('tiny.a', 'two', withId('t2'), 5_000);
    const e = await acks.publish('tiny.a', 'three', withId('t3'), 5_000).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(Error);
    expect(isStreamFull(e)).toBe(true);
  });

  it('rejects when no stream listens on the subject (no responders)', async () => {
    const e = await acks.publish('nostream.a', 'x', withId('n1'), 5_000).catch((x: unknown) => x);
    expect(String((e as Error).message)).toMatch(/no responders/);
  });

  it('refuses a message above max_payload before sending it', async () => {
    const big = new Uint8Array((nc.info?.max_payload ?? 1024 * 1024) + 1);
    const e = await acks.publish('acks.big', big, withId('big'), 5_000).catch((x: unknown) => x);
    expect(isTooLarge(e)).toBe(true);
    expect(acks.inFlight).toBe(0);
  });

  it('times out a publish whose acknowledgement never comes', async () => {
    // A core subscriber on a subject no stream holds takes the message and never answers.
    const sub = nc.subscribe('silent.a');
    try {
      const t0 = Date.now();
      const e = await acks.publish('silent.a', 'x', withId('s1'), 600).catch((x: unknown) => x);
      expect((e as Error).name).toBe('TimeoutError');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(600);
      expect(acks.inFlight).toBe(0);
    } finally {
      sub.unsubscribe();
    }
  });

  it('KvWriter: a put is a value of the bucket, as the KV API reads it, with its revision', async () => {
    const kv = await new Kvm(nc).create('writer_test', { history: 1 });
    const w = new KvWriter(nc, 'writer_test');
    const r1 = await w.put('dev.a-1', '{"n":1}');
    const r2 = await w.put('dev.a-1', '{"n":2}');
    expect(r2).toBeGreaterThan(r1);
    const e = await kv.get('dev.a-1');
    expect(e?.string()).toBe('{"n":2}');
    expect(e?.revision).toBe(r2);
    await expect(w.put('bad key', 'x')).rejects.toThrow(/invalid key/);
  });
});
