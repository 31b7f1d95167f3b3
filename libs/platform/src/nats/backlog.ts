import type { NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';

/** What a durable consumer still has to deliver: the queue depth and age an operator watches. */
export interface ConsumerBacklog {
  /** Not yet delivered to the consumer. */
  pending: number;
  /** Delivered, not yet acknowledged. */
  ack_pending: number;
  /** pending + ack_pending. */
  messages: number;
  /** Estimate: messages × the stream's average message size (JetStream keeps no per-consumer byte count). */
  bytes: number;
  /** Age of the oldest unacknowledged message (the one right above the ack floor), null when empty. */
  oldest_age_s: number | null;
}

/** Backlog of `durable` on `stream`, from consumer info, stream state and the message above the ack floor. */
export async function consumerBacklog(nc: NatsConnection, stream: string, durable: string): Promise<ConsumerBacklog> {
  const jsm = await jetstreamManager(nc);
  const [ci, si] = await Promise.all([jsm.consumers.info(stream, durable), jsm.streams.info(stream)]);
  const messages = ci.num_pending + ci.num_ack_pending;
  const avg = si.state.messages > 0 ? si.state.bytes / si.state.messages : 0;
  let oldest: number | null = null;
  if (messages > 0) {
    const filter = ci.config.filter_subject || '>';
    const m = await jsm.streams.getMessage(stream, { seq: ci.ack_floor.stream_seq + 1, next_by_subj: filter } as never).catch(() => null);
    if (m) oldest = Math.max(0, (Date.now() - m.time.getTime()) / 1000);
  }
  return { pending: ci.num_pending, ack_pending: ci.num_ack_pending, messages, bytes: Math.round(messages * avg), oldest_age_s: oldest };
}
