import type { MsgHdrs, NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type Consumer, type JsMsg } from '@nats-io/jetstream';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { HEADERS } from '@edge/contracts';
import { backoffDelay, sleep, type BackoffPolicy } from '../backoff';
import { RETRY_POLICIES } from '../retry-policies';
import { describeError, EdgeError, errorKind } from '../errors';
import { extractTraceContext } from '../trace-headers';
import { Counters } from '../metrics';
import type { Publisher } from './publisher';
import { deadLetter } from './dlq';

/** One delivered message, as handlers see it. */
export interface Delivery {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: MsgHdrs | undefined;
  readonly seq: number;
  readonly deliveryCount: number;
  /** Stream time of the message (ms since epoch). */
  readonly timestampMs: number;
  readonly msgId: string | undefined;
  string(): string;
  json<T = unknown>(): T;
}

const FETCH_EXPIRES_MS = 1_000;

export type DeliveryHandler = (d: Delivery) => Promise<void>;

export interface DurableConsumerOptions {
  stream: string;
  durable: string;
  /** DLQ stage name: permanent failures go to `dlq.<stage>.<subject>`. */
  stage: string;
  handler: DeliveryHandler;
  /** Max messages in flight. Handlers are invoked in delivery order; see README of the lib. */
  concurrency?: number;
  /** Max messages asked for per pull. */
  fetchBatch?: number;
  /** Redelivery delay for retryable errors. */
  retryPolicy?: BackoffPolicy;
  /** Delay for auth errors (slow: never hammer a bad credential). */
  authDelayMs?: number;
  /**
   * The stream this consumer's handler publishes into. Above `high` (fraction of max_bytes or
   * max_msgs) the consumer stops pulling until usage falls below `low`: backpressure before the
   * hard limit, so nothing depends on how the server treats the last few bytes.
   */
  downstream?: { stream: string; high?: number; low?: number };
  /** How often the stream guard looks at downstream usage and at discarded-before-ack messages. */
  guardEveryMs?: number;
}

/**
 * The one consume loop. Pull-based on a durable consumer; acks only after the handler
 * resolved; retryable errors → nak(delay); permanent → original bytes to the DLQ with the
 * reason, then term; auth → nak with a long delay. In-flight work is bounded and kept alive
 * with `working()` so a slow downstream never causes redelivery storms. `pause()` stops
 * pulling (circuit open); `stop()` drains what is in flight and acks nothing undelivered.
 */
export class DurableConsumer {
  readonly counters = new Counters();
  private consumer: Consumer | null = null;
  private stopped = false;
  /** Why pulling is on hold ('manual' = pause(), 'downstream_full' = stream guard). Empty = pulling. */
  private readonly holds = new Set<string>();
  private guardTimer: NodeJS.Timeout | null = null;
  private downstreamUsage: number | null = null;
  private discardedBeforeAck = 0;
  private resumeWaiters: Array<() => void> = [];
  private slotWaiters: Array<() => void> = [];
  private readonly inflight = new Map<number, { msg: JsMsg; started: number }>();
  private loopDone: Promise<void> | null = null;
  private keepAlive: NodeJS.Timeout | null = null;
  private readonly concurrency: number;
  private readonly fetchBatch: number;
  private lastError: string | null = null;

  constructor(
    private readonly nc: NatsConnection,
    private readonly publisher: Publisher,
    private readonly log: Logger,
    private readonly o: DurableConsumerOptions,
  ) {
    this.concurrency = Math.max(1, o.concurrency ?? 64);
    this.fetchBatch = Math.max(1, Math.min(o.fetchBatch ?? 256, this.concurrency));
  }

  async start(): Promise<void> {
    const js = jetstream(this.nc);
    this.consumer = await js.consumers.get(this.o.stream, this.o.durable);
    const info = await this.consumer.info(true);
    const ackWaitMs = Math.max(1000, Math.floor((info.config.ack_wait ?? 30e9) / 1e6));
    this.keepAlive = setInterval(() => {
      for (const { msg } of this.inflight.values()) msg.working();
    }, Math.max(500, Math.floor(ackWaitMs / 3)));
    this.keepAlive.unref();
    const every = this.o.guardEveryMs ?? 2_000;
    const tick = () => {
      this.guard()
        .catch((e) => this.log.debug({ err: describeError(e) }, 'stream guard check failed'))
        .finally(() => {
          if (!this.stopped) this.guardTimer = setTimeout(tick, every).unref();
        });
    };
    await this.guard().catch(() => undefined);
    this.guardTimer = setTimeout(tick, every).unref();
    this.holdForOrphans(info, ackWaitMs);
    void this.watchReconnects(ackWaitMs);
    this.loopDone = this.loop();
  }

  /**
   * Stops pulling. The pull request in flight is left to expire (≤ FETCH_EXPIRES_MS) and what it
   * still yields is nak'ed at once: closing it early would strand messages the server already
   * sent until ack_wait.
   */
  pause(reason = 'manual'): void {
    this.holds.add(reason);
  }

  resume(reason = 'manual'): void {
    this.holds.delete(reason);
    if (this.holds.size > 0 && !this.stopped) return;
    const ws = this.resumeWaiters;
    this.resumeWaiters = [];
    ws.forEach((w) => w());
  }

  private get paused(): boolean {
    return this.holds.size > 0;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** One look at downstream usage (backpressure) and at messages the stream discarded unacked (loss). */
  async guard(): Promise<void> {
    const jsm = await jetstreamManager(this.nc);
    const d = this.o.downstream;
    if (d) {
      const si = await jsm.streams.info(d.stream);
      const byBytes = si.config.max_bytes > 0 ? si.state.bytes / si.config.max_bytes : 0;
      const byMsgs = si.config.max_msgs > 0 ? si.state.messages / si.config.max_msgs : 0;
      const usage = Math.max(byBytes, byMsgs);
      this.downstreamUsage = usage;
      if (usage >= (d.high ?? 0.95) && !this.holds.has('downstream_full')) {
        this.holds.add('downstream_full');
        this.counters.inc('backpressure_engaged');
        this.log.error({ stream: d.stream, usage: Number(usage.toFixed(3)) }, 'downstream stream nearly full: stopped pulling (backpressure); data waits upstream');
      } else if (usage <= (d.low ?? 0.85) && this.holds.has('downstream_full')) {
        this.log.warn({ stream: d.stream, usage: Number(usage.toFixed(3)) }, 'downstream stream has room again: pulling resumed');
        this.resume('downstream_full');
      }
    }
    const [si, ci] = await Promise.all([jsm.streams.info(this.o.stream), this.consumer!.info(false)]);
    // Only meaningful when this consumer sees the whole stream (limits or interest retention):
    // otherwise the first sequence also moves for messages this consumer never had to see. Under
    // interest retention a message leaves once every consumer acked it, so the first sequence
    // never passes this consumer's ack floor unless a limit removed unacked messages.
    const filter = ci.config.filter_subject ?? '';
    const wholeStream = filter === '' || filter === '>' || (si.config.subjects?.length === 1 && si.config.subjects[0] === filter);
    if (si.config.retention === 'workqueue' || !wholeStream) return;
    const discarded = Math.max(0, si.state.first_seq - 1 - ci.ack_floor.stream_seq);
    if (discarded > this.discardedBeforeAck) {
      this.counters.inc('discarded_before_ack', discarded - this.discardedBeforeAck);
      this.log.error({ stream: this.o.stream, durable: this.o.durable, discarded }, 'stream limits removed messages this consumer had not acknowledged');
      this.discardedBeforeAck = discarded;
    }
  }

  get inFlight(): number {
    return this.inflight.size;
  }

  /** Pending (undelivered) and unacked counts from the server. */
  async lag(): Promise<{ pending: number; ack_pending: number; redelivered: number } | null> {
    try {
      const i = await this.consumer!.info(false);
      return { pending: i.num_pending, ack_pending: i.num_ack_pending, redelivered: i.num_redelivered };
    } catch {
      return null;
    }
  }

  status() {
    return {
      stream: this.o.stream,
      durable: this.o.durable,
      paused: this.paused,
      holds: [...this.holds],
      downstream_usage: this.downstreamUsage,
      discarded_before_ack: this.discardedBeforeAck,
      in_flight: this.inflight.size,
      last_error: this.lastError,
      counters: this.counters.snapshot(),
    };
  }

  /** Stops pulling, waits for in-flight handlers (up to `timeoutMs`), leaves the rest unacked. */
  async stop(timeoutMs = 15_000): Promise<void> {
    this.stopped = true;
    this.resume();
    this.slotWaiters.splice(0).forEach((w) => w());
    const deadline = Date.now() + timeoutMs;
    while (this.inflight.size > 0 && Date.now() < deadline) await sleep(20);
    if (this.keepAlive) clearInterval(this.keepAlive);
    if (this.guardTimer) clearTimeout(this.guardTimer);
    await this.loopDone?.catch(() => undefined);
  }

  /**
   * After an unclean stop (SIGKILL, OOM, a crash) the previous instance's unacked messages come
   * back only when their ack wait expires; pulling before that would handle newer messages of a
   * device before older ones (a stale status could reach the cloud last). JetStream hands out due
   * redeliveries before new messages, so pulling holds until one ack wait after the consumer's
   * last delivery. With no unacked message there is nothing to wait for.
   */
  private holdForOrphans(info: { num_ack_pending: number; delivered?: { last_active?: unknown } }, ackWaitMs: number): void {
    if (info.num_ack_pending === 0) return;
    const lastActive = timeOf(info.delivered?.last_active) ?? Date.now();
    const waitMs = Math.max(0, lastActive + ackWaitMs - Date.now()) + 500;
    this.counters.inc('orphan_holds');
    this.log.warn({ stream: this.o.stream, durable: this.o.durable, unacked: info.num_ack_pending, wait_ms: waitMs }, 'a previous instance left unacked messages; holding until they are redelivered first');
    this.pause('previous_instance_unacked');
    setTimeout(() => this.resume('previous_instance_unacked'), waitMs).unref();
  }

  /**
   * Messages the server sent while the connection was down are lost in transit and come back
   * only after ack_wait. Pulling newer ones meanwhile would reorder a device's history, so after
   * a reconnect with such orphans the consumer holds until they are due again (≤ ack_wait).
   */
  private async watchReconnects(ackWaitMs: number): Promise<void> {
    for await (const s of this.nc.status()) {
      if (this.stopped) break;
      if (s.type !== 'reconnect') continue;
      this.pause('reconnect_orphans');
      const deadline = Date.now() + ackWaitMs + 500;
      let orphans = 0;
      try {
        while (!this.stopped && Date.now() < deadline) {
          const i = await this.consumer!.info(false).catch(() => null);
          if (i) {
            orphans = Math.max(0, i.num_ack_pending - this.inflight.size);
            if (orphans === 0) break;
          }
          await sleep(500);
        }
      } finally {
        if (orphans > 0) {
          this.counters.inc('reconnect_orphan_holds');
          this.log.warn({ stream: this.o.stream, durable: this.o.durable, orphans }, 'held pulling after reconnect until messages lost in transit were due again');
        }
        this.resume('reconnect_orphans');
      }
    }
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      if (this.paused) {
        await new Promise<void>((r) => this.resumeWaiters.push(r));
        continue;
      }
      const free = this.concurrency - this.inflight.size;
      if (free < Math.min(this.fetchBatch, Math.ceil(this.concurrency / 4))) {
        await new Promise<void>((r) => this.slotWaiters.push(r));
        continue;
      }
      try {
        const iter = await this.consumer!.fetch({ max_messages: Math.min(free, this.fetchBatch), expires: FETCH_EXPIRES_MS });
        for await (const m of iter) {
          if (this.stopped || this.paused) {
            // Not started: hand it straight back for redelivery.
            m.nak();
            continue;
          }
          this.dispatch(m);
        }
        failures = 0;
      } catch (e) {
        if (this.stopped) break;
        failures++;
        this.lastError = describeError(e);
        this.counters.inc('fetch_errors');
        if (failures === 1 || failures % 20 === 0) this.log.warn({ err: this.lastError, stream: this.o.stream, durable: this.o.durable }, 'fetch failed; retrying');
        await sleep(backoffDelay(failures, RETRY_POLICIES.consumeFetch));
      }
    }
  }

  private dispatch(m: JsMsg): void {
    const seq = m.seq;
    this.inflight.set(seq, { msg: m, started: Date.now() });
    this.counters.inc('received');
    // Invoked synchronously, in delivery order: a handler's work before its first await runs in order.
    const p = this.process(m);
    void p.finally(() => {
      this.inflight.delete(seq);
      const w = this.slotWaiters.shift();
      w?.();
    });
  }

  private process(m: JsMsg): Promise<void> {
    const parent = extractTraceContext(m.headers);
    const span = trace.getTracer('edge').startSpan(
      `process ${m.subject}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'nats',
          'messaging.destination.name': m.subject,
          'messaging.consumer.group.name': this.o.durable,
          'nats.stream_sequence': m.seq,
          'nats.delivery_count': m.info.deliveryCount,
        },
      },
      parent,
    );
    const d = toDelivery(m);
    let run: Promise<void>;
    try {
      run = context.with(trace.setSpan(parent, span), () => this.o.handler(d));
    } catch (e) {
      run = Promise.reject(e);
    }
    return run.then(
      () => {
        m.ack();
        this.counters.inc('acked');
        span.end();
      },
      async (e: unknown) => {
        span.recordException(e as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: describeError(e) });
        try {
          await this.settleFailure(m, e);
        } finally {
          span.end();
        }
      },
    );
  }

  private async settleFailure(m: JsMsg, e: unknown): Promise<void> {
    const kind = errorKind(e);
    this.lastError = describeError(e);
    if (kind === 'permanent') {
      try {
        await deadLetter(this.publisher, this.o.stage, m, e);
        m.term();
        this.counters.inc('dead_lettered');
        this.log.warn({ subject: m.subject, seq: m.seq, reason: describeError(e) }, 'message dead-lettered');
      } catch (dlqErr) {
        // DLQ unavailable (full, NATS down): keep the message; try again later.
        this.counters.inc('dlq_failed');
        this.log.error({ subject: m.subject, seq: m.seq, err: describeError(dlqErr) }, 'dead-letter failed; message kept for retry');
        m.nak(5_000);
      }
      return;
    }
    if (kind === 'auth') {
      this.counters.inc('nak_auth');
      m.nak((e as EdgeError).retryAfterMs ?? this.o.authDelayMs ?? 30_000);
      return;
    }
    const delay = (e instanceof EdgeError ? e.retryAfterMs : undefined) ?? backoffDelay(m.info.deliveryCount - 1, this.o.retryPolicy ?? RETRY_POLICIES.consumeRedelivery);
    this.counters.inc('nak_retry');
    if (m.info.deliveryCount === 1 || m.info.deliveryCount % 10 === 0)
      this.log.warn({ subject: m.subject, seq: m.seq, deliveries: m.info.deliveryCount, delay_ms: delay, err: describeError(e) }, 'handler failed; will redeliver');
    m.nak(delay);
  }
}

const decoder = new TextDecoder();

export function toDelivery(m: JsMsg): Delivery {
  return {
    subject: m.subject,
    data: m.data,
    headers: m.headers,
    seq: m.seq,
    deliveryCount: m.info.deliveryCount,
    timestampMs: Math.floor(m.info.timestampNanos / 1e6),
    msgId: m.headers?.get(HEADERS.msgId) || undefined,
    string: () => decoder.decode(m.data),
    json: <T>() => JSON.parse(decoder.decode(m.data)) as T,
  };
}

/** `last_active` as the server sends it (RFC 3339 text; typed as nanoseconds by the client), in ms. */
function timeOf(v: unknown): number | null {
  const ms = typeof v === 'string' ? Date.parse(v) : typeof v === 'number' ? (v > 1e15 ? v / 1e6 : v) : NaN;
  return Number.isFinite(ms) && ms > 0 ? ms : null;
}
