/**
 * Raw JetStream ceilings on this machine, measured with the bare client (no platform code), on
 * streams configured exactly as the pipeline provisions them (file storage, DiscardNew, dedupe
 * window) and with messages the size of a canonical health message:
 *  - publish_per_s: JetStream publishes with a Nats-Msg-Id, pipelined, every PubAck awaited;
 *  - consume_per_s: a durable pull consumer draining a filled stream, acking every message;
 *  - hop_per_s:     one pipeline hop — consume from one stream, publish (with msg-id) into the
 *                   next, ack the input after the PubAck — the most any hop of the pipeline can do.
 * `npx tsx bench/ceiling.ts` prints the JSON.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient, type PubAck } from '@nats-io/jetstream';
import { subjects, STREAMS, type CanonicalHealthMessage } from '@edge/contracts';
import { provision } from '@edge/platform';
import { startNatsServer } from '@edge/platform/testing';

const SITE = 'site-bench';
const N = Number(process.env.CEILING_MESSAGES || 30_000);
/** Publishes in flight (the normalizer pipelines up to its consumer concurrency). */
const WINDOW = 256;
const FETCH = 256;

/** A canonical health message as the normalizer writes it: the size every ceiling uses. */
export function sampleCanonicalHealth(i: number): CanonicalHealthMessage {
  const id = `onguard:og-main:reader:${1 + (i % 500)}-${1 + (i % 8)}`;
  return {
    kind: 'health',
    event: {
      event_id: `hev-${i.toString(36).padStart(8, '0')}-bench-ceiling-xx`,
      device_id: id,
      status: i % 2 === 0 ? 'offline' : 'online',
      timestamp: new Date(1_767_225_600_000 + i).toISOString(),
      previous_status: i % 2 === 0 ? 'online' : 'offline',
      reason: i % 2 === 0 ? 'communications lost' : null,
      observed_via: 'event',
      customer_id: 'convergint-001',
      site_id: SITE,
      source: { vendor: 'onguard', system_id: 'og-main', native_type: 'Lnl_Reader', native_id: `${1 + (i % 500)}-${1 + (i % 8)}` },
      schema_version: 1,
    },
  };
}

export const MESSAGE_BYTES = Buffer.byteLength(JSON.stringify(sampleCanonicalHealth(12345)));

function payloads(n: number): Uint8Array[] {
  const enc = new TextEncoder();
  return Array.from({ length: n }, (_, i) => enc.encode(JSON.stringify(sampleCanonicalHealth(i))));
}

/** Publishes `data` with msg-ids `prefix-i`, at most WINDOW PubAcks outstanding. */
async function publishAll(js: JetStreamClient, subject: string, data: Uint8Array[], prefix: string): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < data.length) {
      const i = next++;
      const pa: PubAck = await js.publish(subject, data[i], { msgID: `${prefix}-${i}` });
      if (pa.duplicate) throw new Error(`unexpected duplicate ${prefix}-${i}`);
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, worker));
}

async function addDurable(nc: NatsConnection, stream: string, durable: string, filter: string): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.consumers.add(stream, {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: filter,
    ack_wait: 30_000_000_000,
    max_ack_pending: 10_000,
  });
}

/** Drains `n` messages from a durable; `each` runs per batch and must settle (ack) every message. */
async function drain(js: JetStreamClient, stream: string, durable: string, n: number, each: (batch: Array<{ data: Uint8Array; ack: () => void; seq: number }>) => Promise<void>): Promise<void> {
  const c = await js.consumers.get(stream, durable);
  let seen = 0;
  while (seen < n) {
    const iter = await c.fetch({ max_messages: Math.min(FETCH, n - seen), expires: 2_000 });
    const batch: Array<{ data: Uint8Array; ack: () => void; seq: number }> = [];
    for await (const m of iter) batch.push({ data: m.data, ack: () => m.ack(), seq: m.seq });
    if (batch.length === 0) continue;
    await each(batch);
    seen += batch.length;
  }
}

export async function run(): Promise<Record<string, number>> {
  const nats = await startNatsServer();
  const nc = await connect({ servers: nats.url, name: 'bench-ceiling' });
  try {
    // The pipeline's stream configuration, large enough for the run.
    await provision(nc, {
      raw: { max_bytes: 2 * 1024 ** 3, max_age: 3_600_000 },
      canonical: { max_bytes: 2 * 1024 ** 3, max_age: 3_600_000 },
      dlq: { max_bytes: 64 * 1024 ** 2, max_age: 3_600_000 },
      duplicate_window: 120_000,
    });
    const js = jetstream(nc, { timeout: 10_000 });
    const data = payloads(N);
    const rawSubject = subjects.raw('onguard', 'og-main', 'status');
    const canonSubject = subjects.canonicalHealth(SITE);

    // publish: into RAW (which the hop then reads).
    let t0 = performance.now();
    await publishAll(js, rawSubject, data, 'p');
    const publishS = (performance.now() - t0) / 1000;

    // consume: a fresh durable over the filled RAW stream, acking each message.
    await addDurable(nc, STREAMS.raw, 'bench-consume', 'raw.>');
    t0 = performance.now();
    await drain(js, STREAMS.raw, 'bench-consume', N, async (b) => {
      for (const m of b) m.ack();
    });
    const consumeS = (performance.now() - t0) / 1000;

    // hop: RAW → CANONICAL with msg-id, ack after the PubAck; publishes of a batch pipelined.
    await addDurable(nc, STREAMS.raw, 'bench-hop', 'raw.>');
    t0 = performance.now();
    await drain(js, STREAMS.raw, 'bench-hop', N, async (b) => {
      await Promise.all(
        b.map(async (m) => {
          await js.publish(canonSubject, m.data, { msgID: `h-${m.seq}` });
          m.ack();
        }),
      );
    });
    const hopS = (performance.now() - t0) / 1000;
    const jsm = await jetstreamManager(nc);
    const landed = (await jsm.streams.info(STREAMS.canonical)).state.messages;
    if (landed !== N) throw new Error(`hop landed ${landed} of ${N} messages`);
    return {
      messages: N,
      message_bytes: MESSAGE_BYTES,
      publish_per_s: Math.round(N / publishS),
      consume_per_s: Math.round(N / consumeS),
      hop_per_s: Math.round(N / hopS),
      publish_window: WINDOW,
      fetch_batch: FETCH,
    };
  } finally {
    await nc.drain().catch(() => undefined);
    await nats.dispose();
  }
}

if (require.main === module) {
  run()
    .then((r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`))
    .catch((e: unknown) => {
      process.stderr.write(`${String((e as Error)?.stack ?? e)}\n`);
      process.exit(1);
    });
}
