/**
 * Looks for silent pulls without the whole pipeline: two hops shaped like the pipeline's
 * (RAW → a DurableConsumer that publishes into CANONICAL → a second DurableConsumer), the
 * platform's own consume loop and publisher, a trickle of messages at a low rate. Each message
 * carries its publish time; the report gives the latency tail and the consume loops' counters
 * (`pull_heartbeats_missed` counts pulls the loop gave up on because the server went silent).
 *
 *   SILENCE_MINUTES=10 SILENCE_RATE=10 npx tsx bench/pull-silence.ts
 *
 * Prints one JSON line. Messages slower than SILENCE_SLOW_MS (default 500) are listed with when
 * they were published, so a stall shows as a run of them.
 */
import { connect } from '@nats-io/transport-node';
import pino from 'pino';
import { CONSUMERS, STREAMS, subjects } from '@edge/contracts';
import { DurableConsumer, Publisher, provision } from '@edge/platform';
import { startNatsServer } from '@edge/platform/testing';
import { percentile } from './probe';

const MINUTES = Number(process.env.SILENCE_MINUTES || 5);
const RATE = Number(process.env.SILENCE_RATE || 10);
const SLOW_MS = Number(process.env.SILENCE_SLOW_MS || 500);

async function main(): Promise<void> {
  const nats = await startNatsServer();
  const log = pino({ level: 'warn' });
  const nc = await connect({ servers: nats.url, name: 'bench-pull-silence' });
  await provision(nc, {
    raw: { max_bytes: 256 * 1024 ** 2, max_age: 3_600_000 },
    canonical: { max_bytes: 256 * 1024 ** 2, max_age: 3_600_000 },
    dlq: { max_bytes: 16 * 1024 ** 2, max_age: 3_600_000 },
    duplicate_window: 120_000,
  });
  const publisher = new Publisher(nc, log);
  const started = performance.now();
  const latencies: number[] = [];
  const slow: Array<{ at_s: number; ms: number }> = [];
  const canonSubject = subjects.canonicalHealth('site-silence');
  const hop = new DurableConsumer(nc, publisher, log, {
    stream: STREAMS.raw,
    durable: CONSUMERS.normalizer,
    stage: 'normalizer',
    handler: async (d) => {
      await publisher.publish(canonSubject, d.data, { msgId: `c-${d.seq}` });
    },
  });
  const sink = new DurableConsumer(nc, publisher, log, {
    stream: STREAMS.canonical,
    durable: CONSUMERS.forwarder,
    stage: 'forwarder',
    handler: async (d) => {
      const sentAt = Number(d.string());
      const ms = performance.now() - sentAt;
      latencies.push(ms);
      if (ms > SLOW_MS) slow.push({ at_s: Number(((sentAt - started) / 1000).toFixed(2)), ms: Math.round(ms) });
    },
  });
  await hop.start();
  await sink.start();
  const rawSubject = subjects.raw('onguard', 'og-main', 'status');
  const total = Math.round(MINUTES * 60 * RATE);
  let publishFailed = 0;
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    publisher.publish(rawSubject, String(performance.now()), { msgId: `r-${i}` }).catch(() => publishFailed++);
  }
  const deadline = Date.now() + 60_000;
  while (latencies.length < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await hop.stop();
  await sink.stop();
  await nc.close();
  await nats.stop();
  const r = (x: number) => Math.round(x * 10) / 10;
  console.log(
    JSON.stringify({
      minutes: MINUTES,
      rate: RATE,
      sent: total,
      received: latencies.length,
      publish_failed: publishFailed,
      p50_ms: r(percentile(latencies, 50)),
      p99_ms: r(percentile(latencies, 99)),
      max_ms: r(latencies.reduce((m, x) => Math.max(m, x), 0)),
      slow_count: slow.length,
      slow: slow.slice(0, 50),
      hop: hop.counters.snapshot(),
      sink: sink.counters.snapshot(),
    }),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
