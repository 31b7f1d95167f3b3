import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Controller, Inject, Module } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { startNatsServer, testConfig, type TestNatsServer } from '@edge/platform/testing';
import {
  connectNats,
  createLogger,
  EDGE_RUNTIME,
  gatherReplies,
  permanent,
  Publisher,
  requestCommand,
  sleep,
  startService,
  type Delivery,
  type EdgeRuntime,
  type RunningService,
} from '@edge/platform';
import { CONSUMERS, STREAMS, subjects } from '@edge/contracts';

const received: string[] = [];

@Controller()
class TestHandlers {
  constructor(@Inject(EDGE_RUNTIME) private readonly rt: EdgeRuntime) {}

  @EventPattern('raw')
  async onRaw(@Payload() d: Delivery) {
    if (d.string() === 'poison') throw permanent('bad', 'poison message');
    received.push(d.string());
  }

  @MessagePattern('cmd.echo')
  echo(@Payload() body: { text: string }) {
    return { echoed: body.text, site: this.rt.config.site.id };
  }
}

@Module({ controllers: [TestHandlers] })
class TestModule {}

describe('Nest service over JetStream (startService)', () => {
  let srv: TestNatsServer;
  let svc: RunningService;
  beforeAll(async () => {
    srv = await startNatsServer();
    svc = await startService({
      service: 'normalizer',
      module: TestModule,
      consumers: [{ pattern: 'raw', stream: STREAMS.raw, durable: CONSUMERS.normalizer, stage: 'normalizer', concurrency: 4 }],
      config: testConfig(srv.url),
      httpPort: 0,
    });
  });
  afterAll(async () => {
    await svc?.stop();
    await srv?.dispose();
  });

  it('delivers JetStream messages to @EventPattern handlers, acks them, dead-letters failures', async () => {
    const log = createLogger({ service: 't', level: 'silent' });
    const nc = await connectNats({ url: srv.url, name: 't' }, log);
    const pub = new Publisher(nc, log);
    await pub.publish('raw.x.s.status', 'hello', { msgId: 'h1' });
    await pub.publish('raw.x.s.status', 'poison', { msgId: 'h2' });
    await pub.publish('raw.x.s.status', 'world', { msgId: 'h3' });
    for (const end = Date.now() + 120_000; Date.now() < end && received.length < 2; ) await sleep(25);
    expect(received).toEqual(['hello', 'world']);
    for (const end = Date.now() + 120_000; Date.now() < end && (await svc.runtime.dlq.size()).messages < 1; ) await sleep(25);
    const [entry] = await svc.runtime.dlq.list();
    expect(entry).toMatchObject({ stage: 'normalizer', reason: 'bad: poison message' });
    await nc.drain();
  });

  it('answers @MessagePattern commands and the status scatter/gather over core NATS', async () => {
    const log = createLogger({ service: 't', level: 'silent' });
    const nc = await connectNats({ url: srv.url, name: 't' }, log);
    expect(await requestCommand(nc, 'edge.site-test.cmd.echo', { text: 'hi' })).toEqual({ echoed: 'hi', site: 'site-test' });
    const replies = await gatherReplies<{ service: string; status: { consumers: Record<string, { durable: string }> } }>(nc, subjects.cmdStatus('site-test'), {}, 500);
    expect(replies.map((r) => r.service)).toEqual(['normalizer']);
    expect(replies[0].status.consumers.raw.durable).toBe('normalizer');
    await nc.drain();
  });

  it('serves /healthz, /readyz and /status', async () => {
    const base = `http://127.0.0.1:${svc.httpPort}`;
    const h = await fetch(`${base}/healthz`);
    expect(h.status).toBe(200);
    const r = await fetch(`${base}/readyz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ ok: true, checks: { nats: true } });
    const s = (await (await fetch(`${base}/status`)).json()) as Record<string, Record<string, unknown>>;
    expect(s.service).toMatchObject({ name: 'normalizer', site_id: 'site-test' });
    expect(s.consumers.raw).toMatchObject({ durable: 'normalizer', paused: false });
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it('reports not ready while NATS is down and recovers after it restarts', async () => {
    const base = `http://127.0.0.1:${svc.httpPort}`;
    await srv.stop();
    let status = 200;
    for (const end = Date.now() + 120_000; Date.now() < end && status === 200; ) {
      status = (await fetch(`${base}/readyz`)).status;
      await sleep(50);
    }
    expect(status).toBe(503);
    await srv.restart();
    for (const end = Date.now() + 120_000; Date.now() < end && status !== 200; ) {
      status = (await fetch(`${base}/readyz`)).status;
      await sleep(50);
    }
    expect(status).toBe(200);
  });
});
