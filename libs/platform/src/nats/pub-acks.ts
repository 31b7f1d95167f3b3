import { nuid, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { inboxPrefixOf } from './connection';

export interface PubAck {
  stream: string;
  seq: number;
  duplicate: boolean;
}

interface Waiter {
  resolve: (a: PubAck) => void;
  reject: (e: Error) => void;
  deadline: number;
  subject: string;
}

/** How often waiting publishes are checked for their deadline. */
const SWEEP_MS = 250;

/**
 * JetStream publishes with their acknowledgements collected on one subscription per connection.
 *
 * A JetStream publish is a core NATS publish with a reply subject; the stream answers on it with a
 * PubAck (`{"stream","seq","duplicate"}`) or `{"error":{…}}`, and the server answers 503 "no
 * responders" when no stream listens (NATS JetStream model, "Publishing to streams":
 * https://docs.nats.io/using-nats/developer/develop_jetstream/model_deep_dive). nats.js's
 * `js.publish` makes each one a request: a timer, a race of two promises and, on every success, an
 * Error object built to cancel the request (nats-core `request.js`, `RequestOne.cancel`). In the
 * normalizer's burst profile that machinery was about 15 % of its CPU. Here a publish costs a map
 * entry: replies go to `<inbox>.<token>`, one timer sweeps deadlines.
 */
export class PubAckInbox {
  private readonly prefix: string;
  private readonly waiting = new Map<number, Waiter>();
  private sub: Subscription | null = null;
  private sweeper: NodeJS.Timeout | null = null;
  private nextToken = 1;

  constructor(private readonly nc: NatsConnection) {
    this.prefix = `${inboxPrefixOf(nc)}.${nuid.next()}.`;
  }

  get inFlight(): number {
    return this.waiting.size;
  }

  /** Publishes `data` with `headers` (the caller sets Nats-Msg-Id, if any) and resolves with the stream's PubAck. */
  publish(subject: string, data: Uint8Array | string, headers: MsgHdrs | undefined, timeoutMs: number): Promise<PubAck> {
    this.open();
    const token = this.nextToken++;
    return new Promise<PubAck>((resolve, reject) => {
      this.waiting.set(token, { resolve, reject, deadline: Date.now() + timeoutMs, subject });
      try {
        this.nc.publish(subject, data, headers ? { reply: this.prefix + token, headers } : { reply: this.prefix + token });
      } catch (e) {
        // Synchronous refusals (max_payload, closed connection): never sent.
        this.waiting.delete(token);
        reject(e as Error);
        return;
      }
      this.sweeper ??= setInterval(() => this.sweep(), SWEEP_MS).unref();
    });
  }

  private open(): void {
    if (this.sub) return;
    this.sub = this.nc.subscribe(`${this.prefix}*`, { callback: (err, msg) => (err ? this.failAll(err) : this.answer(msg)) });
    void this.nc.closed().then((e) => this.failAll(e ?? new Error('connection closed')));
  }

  private answer(msg: Msg): void {
    const token = Number(msg.subject.slice(this.prefix.length));
    const w = this.waiting.get(token);
    if (!w) return; // timed out already: the caller has retried (same msg-id, deduplicated)
    this.waiting.delete(token);
    if (msg.data.length === 0 && msg.headers?.code === 503) {
      w.reject(new Error(`no responders: no stream listens on ${w.subject} (is JetStream enabled?)`));
      return;
    }
    let body: { stream?: unknown; seq?: unknown; duplicate?: unknown; error?: { code?: number; err_code?: number; description?: string } };
    try {
      body = msg.json();
    } catch {
      w.reject(new Error(`invalid JetStream publish reply from ${w.subject}`));
      return;
    }
    if (body.error) {
      const e = body.error;
      w.reject(Object.assign(new Error(e.description ?? `JetStream error ${e.code}`), { code: e.code, api_error: e }));
    } else if (typeof body.stream !== 'string' || body.stream === '' || typeof body.seq !== 'number') {
      w.reject(new Error('invalid ack response'));
    } else {
      w.resolve({ stream: body.stream, seq: body.seq, duplicate: body.duplicate === true });
    }
  }

  private sweep(): void {
    const now = Date.now();
    for (const [token, w] of this.waiting) {
      if (w.deadline > now) continue;
      this.waiting.delete(token);
      w.reject(Object.assign(new Error('timeout'), { name: 'TimeoutError' }));
    }
    if (this.waiting.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = null;
    }
  }

  private failAll(err: Error): void {
    const ws = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of ws) w.reject(err);
    if (this.sub?.isClosed()) this.sub = null;
  }
}
