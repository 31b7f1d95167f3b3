import { headers as natsHeaders, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import { SpanKind, context, trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { HEADERS } from '@edge/contracts';
import { permanent, retryable, EdgeError } from '../errors';
import { retry } from '../backoff';
import { RETRY_POLICIES } from '../retry-policies';
import { injectTraceContext } from '../trace-headers';
import { Counters } from '../metrics';
import { PubAckInbox, type PubAck } from './pub-acks';

export interface PublishOptions {
  /** Deterministic id: a retried or repeated publish is deduplicated by the stream. Required. */
  msgId: string;
  headers?: Record<string, string> | MsgHdrs;
  /** Give up (throw retryable) after this long; keep below the stream's duplicate window. */
  retryForMs?: number;
  timeoutMs?: number;
}

/** What the stream answered for one publish: its sequence there, and whether the msg-id was a duplicate. */
export type PublishResult = PubAck;

/** True when the server refused a publish because the stream hit a limit (DiscardNew). */
export function isStreamFull(e: unknown): boolean {
  return /maximum (bytes|messages|msgs)|insufficient (storage|resources)|resource limits exceeded/i.test(String((e as Error)?.message ?? e));
}

/** True when a message is larger than the server's max_payload: as it is, it can never be published. */
export function isTooLarge(e: unknown): boolean {
  return /max_payload/i.test(String((e as Error)?.message ?? e));
}

/**
 * JetStream publisher: always sets Nats-Msg-Id, injects W3C trace context, awaits the PubAck,
 * retries transient failures within `retryForMs`. Throws EdgeError('retryable') on failure,
 * with code `stream_full` when the stream refused the message for lack of space.
 */
export class Publisher {
  private readonly acks: PubAckInbox;
  readonly counters = new Counters();
  constructor(
    readonly nc: NatsConnection,
    private readonly log: Logger,
    private readonly defaults: { retryForMs: number; timeoutMs: number } = { retryForMs: 60_000, timeoutMs: 5_000 },
  ) {
    this.acks = new PubAckInbox(nc);
  }

  async publish(subject: string, data: Uint8Array | string, opts: PublishOptions): Promise<PublishResult> {
    if (!opts.msgId) throw new Error('publish needs a msgId');
    const span = trace.getTracer('edge').startSpan(`publish ${subject}`, {
      kind: SpanKind.PRODUCER,
      attributes: { 'messaging.system': 'nats', 'messaging.destination.name': subject, 'messaging.message.id': opts.msgId },
    });
    const h = toHeaders(opts.headers);
    h.set(HEADERS.msgId, opts.msgId);
    injectTraceContext(h, trace.setSpan(context.active(), span));
    const timeoutMs = opts.timeoutMs ?? this.defaults.timeoutMs;
    try {
      const pa: PubAck = await retry(
        () => this.acks.publish(subject, data, h, timeoutMs),
        {
          maxElapsedMs: opts.retryForMs ?? this.defaults.retryForMs,
          policy: RETRY_POLICIES.natsPublish,
          shouldRetry: (e) => !isTooLarge(e),
          onRetry: (e, attempt) => {
            this.counters.inc('publish_retries');
            if (attempt === 0 || attempt % 10 === 0)
              this.log.warn({ subject, err: String((e as Error)?.message ?? e), attempt }, isStreamFull(e) ? 'stream full: publish refused, retrying' : 'publish failed, retrying');
          },
        },
      );
      this.counters.inc(pa.duplicate ? 'published_duplicate' : 'published');
      return pa;
    } catch (e) {
      if (isTooLarge(e)) {
        this.counters.inc('publish_failed_too_large');
        span.recordException(e as Error);
        throw permanent('message_too_large', `publish to ${subject} failed: ${typeof data === 'string' ? Buffer.byteLength(data) : data.length} bytes is more than the server's max_payload`, { cause: e });
      }
      const full = isStreamFull(e);
      this.counters.inc(full ? 'publish_failed_stream_full' : 'publish_failed');
      span.recordException(e as Error);
      if (full) this.log.error({ subject }, 'stream full: publish refused; data stays with the producer and is retried');
      if (e instanceof EdgeError) throw e;
      throw retryable(full ? 'stream_full' : 'publish_failed', `publish to ${subject} failed: ${String((e as Error)?.message ?? e)}`, { cause: e });
    } finally {
      span.end();
    }
  }

  async publishJson(subject: string, value: unknown, opts: PublishOptions): Promise<PublishResult> {
    assertJsonDepth(value);
    const h = toHeaders(opts.headers);
    if (!h.has(HEADERS.contentType)) h.set(HEADERS.contentType, 'application/json');
    return this.publish(subject, JSON.stringify(value), { ...opts, headers: h });
  }
}

/** Nesting deeper than this is refused (vendor data nests a handful of levels). */
export const MAX_JSON_DEPTH = 64;

/**
 * Refuses a value nested deeper than `max` with the permanent error `json_too_deep`, before
 * JSON.stringify can overflow the stack on it. Iterative, so the check itself cannot overflow.
 */
export function assertJsonDepth(value: unknown, max = MAX_JSON_DEPTH): void {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d > max) throw permanent('json_too_deep', `JSON nested deeper than ${max} levels is refused`);
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, d + 1]);
  }
}

export function toHeaders(src?: Record<string, string> | MsgHdrs): MsgHdrs {
  if (src && typeof (src as MsgHdrs).keys === 'function' && typeof (src as MsgHdrs).get === 'function') {
    const h = natsHeaders();
    for (const k of (src as MsgHdrs).keys()) for (const v of (src as MsgHdrs).values(k)) h.append(k, v);
    return h;
  }
  const h = natsHeaders();
  for (const [k, v] of Object.entries((src as Record<string, string>) ?? {})) h.set(k, v);
  return h;
}
