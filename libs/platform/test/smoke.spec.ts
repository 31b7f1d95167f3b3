import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { startNatsServer, type TestNatsServer, testConfig } from '@edge/platform/testing';
import { connectNats, provision, provisionOptionsFromConfig, Publisher, DurableConsumer, createLogger, permanent, DlqAdmin } from '@edge/platform';
import { STREAMS, CONSUMERS } from '@edge/contracts';

describe('smoke', () => {
  let srv: TestNatsServer;
  beforeAll(async () => { srv = await startNatsServer(); });
  afterAll(async () => { await srv.dispose(); });
  it('publishes, consumes and dead-letters', async () => {
    const log = createLogger({ service: 't', level: 'warn' });
    const cfg = testConfig(srv.url);
    const nc = await connectNats({ url: srv.url, name: 't' }, log);
    await provision(nc, provisionOptionsFromConfig(cfg));
    const pub = new Publisher(nc, log);
    const a = await pub.publish('raw.onguard.s1.status', 'x', { msgId: 'a' });
    const b = await pub.publish('raw.onguard.s1.status', 'x', { msgId: 'a' });
    expect(b.duplicate).toBe(true);
    await pub.publish('raw.onguard.s1.status', 'bad', { msgId: 'b' });
    const seen: string[] = [];
    const c = new DurableConsumer(nc, pub, log, { stream: STREAMS.raw, durable: CONSUMERS.normalizer, stage: 'normalizer', handler: async (d) => { seen.push(d.string()); if (d.string() === 'bad') throw permanent('bad', 'bad input'); } });
    await c.start();
    await new Promise((r) => setTimeout(r, 1500));
    await c.stop();
    expect(seen).toEqual(['x', 'bad']);
    const dlq = new DlqAdmin(nc, pub);
    const list = await dlq.list();
    expect(list.map((e) => e.reason)).toEqual(['bad: bad input']);
    expect(a.seq).toBe(1);
    await nc.drain();
  });
});
