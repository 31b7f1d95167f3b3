/**
 * CANONICAL reaches its byte limit during a long cloud outage. The documented choice
 * (docs/RELIABILITY.md "When a stream is full"): backpressure, never loss. The normalizer stops
 * pulling before CANONICAL is full, the rest waits in RAW; nothing is discarded from the head of
 * CANONICAL, nothing is dead-lettered for it, /status and the logs say so; when the cloud is
 * back everything arrives. Runs the real normalizer and forwarder processes with small limits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STREAMS } from '@edge/contracts';
import { sleep } from '@edge/platform';
import { FORWARDER_DURABLE, NORMALIZER_DURABLE, rawReader, startRig, until, waitReady, type Rig } from './pipeline-rig';

const DEVICES = 500;
/** ~100 canonical devices fit: the outage fills it several times over. */
const CANONICAL_BYTES = 96 * 1024;

interface ConsumerStatus {
  paused: boolean;
  holds: string[];
  downstream_usage: number | null;
  discarded_before_ack: number;
  counters: Record<string, number>;
}
interface ServiceStatus {
  consumers: Record<string, ConsumerStatus>;
  publisher: Record<string, number>;
}

let rig: Rig;

beforeAll(async () => {
  rig = await startRig({ config: { streams: { duplicate_window: '2m', canonical: { max_bytes: CANONICAL_BYTES, max_age: '1d' }, raw: { max_bytes: '16MB', max_age: '1d' } } } });
  rig.cloud.faults.set({ down: { for_ms: 10 * 60_000, mode: '503' } });
  await waitReady(rig);
}, 600_000);

afterAll(async () => {
  await rig?.stop();
});

describe('CANONICAL full during a long cloud outage', () => {
  it('backpressure to RAW, visible in /status and logs, nothing lost, all delivered after recovery', async () => {
    for (let i = 0; i < DEVICES; i++) await rig.publishRaw(rawReader(i), `full-${i}`);

    // CANONICAL fills up to (near) its limit and the normalizer stops: the rest waits in RAW.
    await until('CANONICAL nearly full', async () => (await rig.stream(STREAMS.canonical)).bytes >= CANONICAL_BYTES * 0.8, 120_000, rig.lines);
    const held = async () => {
      // Not acked by the normalizer (not yet pulled, or pulled and waiting for room): still in RAW.
      const c = await rig.consumer(NORMALIZER_DURABLE.stream, NORMALIZER_DURABLE.durable);
      return c.pending + c.ack_pending > 0;
    };
    await until('raw messages held back in RAW', held, 120_000, rig.lines);
    // Filled to the limit and stopped there: no growth over 3 s.
    let prev = -1;
    await until(
      'CANONICAL stopped growing',
      async () => {
        const last = (await rig.stream(STREAMS.canonical)).last_seq;
        const same = last === prev;
        prev = last;
        if (!same) await sleep(3_000);
        return same;
      },
      60_000,
      rig.lines,
    );
    const b = await rig.stream(STREAMS.canonical);
    expect(b.bytes).toBeLessThanOrEqual(CANONICAL_BYTES);
    expect(b.messages).toBeLessThan(DEVICES);
    expect(await held()).toBe(true);

    // Visible: the normalizer reports the hold (stream guard) or the refused publishes.
    const ns = await rig.status<ServiceStatus>('normalizer');
    const nc = Object.values(ns.consumers)[0];
    const guarded = nc.holds.includes('downstream_full') && (nc.downstream_usage ?? 0) >= 0.8;
    const refused = (ns.publisher.publish_failed_stream_full ?? 0) + (ns.publisher.publish_retries ?? 0) > 0;
    expect(guarded || refused, JSON.stringify(ns)).toBe(true);
    expect(rig.lines.some((l) => l.startsWith('normalizer |') && /nearly full|stream full/.test(l))).toBe(true);

    // Never loss: CANONICAL kept its head (DiscardNew), nothing was discarded before the forwarder acked it.
    expect(b.first_seq).toBe(1);
    const fs = await rig.status<ServiceStatus & { forwarder: { backlog: { messages: number } | null } }>('forwarder');
    expect(Object.values(fs.consumers)[0].discarded_before_ack).toBe(0);
    expect(fs.forwarder.backlog?.messages).toBe(b.messages);
    expect((await rig.stream(STREAMS.dlq)).messages).toBe(0);

    // The cloud is back: everything drains through, in full.
    rig.cloud.faults.clear();
    await until(
      'every device at the cloud',
      () => rig.cloud.store.devices.size === DEVICES,
      120_000,
      rig.lines,
    ).catch(async (e: Error) => {
      const diag = {
        cloud_devices: rig.cloud.store.devices.size,
        raw: await rig.consumer(NORMALIZER_DURABLE.stream, NORMALIZER_DURABLE.durable),
        canonical: await rig.consumer(FORWARDER_DURABLE.stream, FORWARDER_DURABLE.durable),
        canonical_stream: await rig.stream(STREAMS.canonical),
        normalizer: await rig.status('normalizer').catch(() => null),
      };
      throw new Error(`${e.message}\n${JSON.stringify(diag, null, 1)}`);
    });
    await until('RAW and CANONICAL consumers drained', async () => {
      const n = await rig.consumer(NORMALIZER_DURABLE.stream, NORMALIZER_DURABLE.durable);
      const f = await rig.consumer(FORWARDER_DURABLE.stream, FORWARDER_DURABLE.durable);
      return n.pending + n.ack_pending + f.pending + f.ack_pending === 0;
    });
    for (let i = 0; i < DEVICES; i++) expect(rig.cloud.store.devices.has(`onguard:og-main:reader:${1 + Math.floor(i / 64)}-${1 + (i % 64)}`)).toBe(true);
    expect((await rig.stream(STREAMS.dlq)).messages).toBe(0);
    const after = await rig.status<ServiceStatus>('normalizer');
    expect(Object.values(after.consumers)[0].holds).not.toContain('downstream_full');
    expect(Object.values(after.consumers)[0].discarded_before_ack).toBe(0);
  }, 600_000);
});
