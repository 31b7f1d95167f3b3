import { z } from 'zod';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { describeError } from '../errors';
import { sleep } from '../backoff';

const ConsumerInfoReply = z.object({
  num_ack_pending: z.number().int().nonnegative(),
  config: z.object({ ack_wait: z.number().nonnegative().optional() }),
  delivered: z.object({ last_active: z.string().optional() }).optional(),
});

/**
 * After an unclean stop, the previous instance's unacked messages come back only when their ack
 * wait expires; pulling before that would decide newer messages first. JetStream hands out due
 * redeliveries before new messages, so waiting one ack wait keeps decisions in stream order.
 */
export async function waitForOrphanedDeliveries(rt: { nc: NatsConnection; log: Logger }, c: { stream: string; durable: string }): Promise<void> {
  let reply: unknown;
  try {
    reply = (await rt.nc.request(`$JS.API.CONSUMER.INFO.${c.stream}.${c.durable}`, '', { timeout: 5_000 })).json();
  } catch (e) {
    rt.log.warn({ err: describeError(e) }, 'consumer info unavailable; not waiting for redeliveries');
    return;
  }
  const info = ConsumerInfoReply.safeParse(reply);
  if (!info.success || info.data.num_ack_pending === 0) return;
  // Every orphan was delivered at or before the last delivery: all are due one ack wait after it.
  const ackWaitMs = Math.ceil((info.data.config.ack_wait ?? 30e9) / 1e6);
  const lastActive = Date.parse(info.data.delivered?.last_active ?? '');
  const waitMs = Math.max(0, (Number.isNaN(lastActive) ? Date.now() : lastActive) + ackWaitMs - Date.now()) + 500;
  rt.log.warn({ unacked: info.data.num_ack_pending, wait_ms: waitMs }, 'a previous instance left unacked messages; waiting for their redelivery before consuming');
  await sleep(waitMs);
}

