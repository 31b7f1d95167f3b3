import type { NatsConnection } from '@nats-io/transport-node';
import { PubAckInbox } from './pub-acks';

/** A KV key as nats.js accepts it (`@nats-io/kv`, `validateKey`). */
const VALID_KEY = /^[-/=.\w]+$/;

/**
 * Writes to a KV bucket as what they are on the wire: JetStream publishes on `$KV.<bucket>.<key>`
 * (NATS ADR-8, "JetStream based Key-Value Stores":
 * https://github.com/nats-io/nats-architecture-and-design/blob/main/adr/ADR-8.md), acknowledged
 * through a `PubAckInbox` instead of a nats.js request per put. For the write-heavy paths (the
 * normalizer's journal and compaction: two writes per device of a 50 000-device sync); reads,
 * watches and deletes stay on the KV API. Only for a bucket of this server's own JetStream (no
 * domain or API prefix), which is how the platform opens its buckets.
 */
export class KvWriter {
  private readonly acks: PubAckInbox;
  private readonly prefix: string;

  constructor(
    nc: NatsConnection,
    readonly bucket: string,
    private readonly timeoutMs = 5_000,
  ) {
    this.acks = new PubAckInbox(nc);
    this.prefix = `$KV.${bucket}.`;
  }

  /** Stores `value` under `key`; resolves with the new revision. */
  async put(key: string, value: string | Uint8Array): Promise<number> {
    if (key.startsWith('.') || key.endsWith('.') || !VALID_KEY.test(key)) throw new Error(`invalid key: ${key}`);
    return (await this.acks.publish(this.prefix + key, value, undefined, this.timeoutMs)).seq;
  }
}
