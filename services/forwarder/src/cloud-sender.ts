import type { Logger } from 'pino';
import { SpanKind, context, trace, type Link } from '@opentelemetry/api';
import { CloudErrorResponse, IngestResponse } from '@edge/contracts';
import { backoffDelay, Counters, permanent, sleep, tracer, type BackoffPolicy } from '@edge/platform';
import type { CloudAnswer, CloudClient } from './cloud-client';
import { Batch, requestOf, type BatchRequest } from './batch';
import type { Circuit, FailureKind } from './circuit';
import type { OutItem } from './items';

/** How an answer is handled (ARCHITECTURE §4.4). */
export type Outcome =
  | { kind: 'delivered'; duplicates: number }
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  | { kind: 'auth'; reason: string }
  | { kind: 'endpoint'; reason: string }
  | { kind: 'too_large'; reason: string }
  | { kind: 'rejected'; reason: string; answer: CloudErrorResponse | null };

function brief(body: unknown): string {
  const p = CloudErrorResponse.safeParse(body);
  if (p.success) return `${p.data.error}: ${p.data.message}`.slice(0, 300);
  if (typeof body === 'string') return body.slice(0, 300);
  return body === null ? '' : JSON.stringify(body).slice(0, 300);
}

export function classify(a: CloudAnswer): Outcome {
  const s = a.status;
  if (s === 0) return { kind: 'retry', reason: a.error ?? 'no answer' };
  if ((s >= 200 && s < 300) || s === 409) {
    const ok = IngestResponse.safeParse(a.body);
    return { kind: 'delivered', duplicates: ok.success ? ok.data.duplicates : 0 };
  }
  const why = `HTTP ${s}${brief(a.body) ? ` ${brief(a.body)}` : ''}`;
  if (s === 408 || s === 429 || s >= 500) return { kind: 'retry', reason: why, retryAfterMs: a.retryAfterMs };
  if (s === 401 || s === 403) return { kind: 'auth', reason: why };
  if (s === 413) return { kind: 'too_large', reason: why };
  // Not about the data: a wrong base_url or proxy. Dead-lettering would empty the queue into the DLQ.
  if (s < 400 || s === 404 || s === 405) return { kind: 'endpoint', reason: why };
  const p = CloudErrorResponse.safeParse(a.body);
  return { kind: 'rejected', reason: why, answer: p.success ? p.data : null };
}

export interface SendPolicy {
  retry: BackoffPolicy;
  /**
   * Cap of the backoff while the circuit is open. Then only one request (the probe) goes out for
   * the whole forwarder, so probing more often than the per-request cap costs the cloud little
   * and finds the recovery sooner.
   */
  probeCapMs: number;
  /** Probe interval while credentials or the endpoint are refused. */
  slowRetryMs: number;
}

export interface LaneState {
  name: string;
  sending: boolean;
  attempt: number;
  backoff_ms: number;
  next_attempt_at: string | null;
  last_error: string | null;
}

/**
 * Sends one batch to the cloud and never gives up on it while the forwarder runs: retryable answers wait
 * (Retry-After, else exponential backoff with full jitter) and go again; 401/403 wait slowly;
 * 413 splits; a 4xx about the data dead-letters only the items the cloud named (bisecting when
 * it named none) and sends the rest. Items settle only on a final answer, so a message is acked
 * exactly when the cloud has it.
 */
export class CloudSender {
  readonly counters = new Counters();
  /** When the cloud last accepted a batch (the status page shows it). */
  lastDeliveredAt: string | null = null;
  private readonly syncBatchNo = new Map<string, number>();

  constructor(
    private readonly client: CloudClient,
    private readonly circuit: Circuit,
    private readonly policy: SendPolicy,
    private readonly log: Logger,
    private readonly signal: AbortSignal,
    private readonly random: () => number = Math.random,
  ) {}

  /**
   * The POST runs in the trace of the batch's first message (its HTTP client span is a child
   * there) and links the traces of the others: every message's trace reaches the cloud POST.
   */
  private tracedPost(b: Batch, req: BatchRequest): Promise<CloudAnswer> {
    const parent = b.items[0]?.trace ?? context.active();
    const links: Link[] = [];
    for (const i of b.items.slice(1, 128)) {
      const sc = i.trace ? trace.getSpanContext(i.trace) : undefined;
      if (sc) links.push({ context: sc });
    }
    return tracer('edge').startActiveSpan(
      `cloud POST ${req.path}`,
      { kind: SpanKind.INTERNAL, links, attributes: { 'edge.batch.items': b.items.length, 'edge.batch.key': req.key } },
      parent,
      (span) => this.client.post(req.path, req.body, req.key, this.signal).finally(() => span.end()),
    );
  }

  async send(batch: Batch, lane: LaneState): Promise<void> {
    const work: Batch[] = [batch];
    lane.attempt = 0;
    while (work.length > 0 && !this.signal.aborted) {
      const b = work[0];
      const ticket = await this.circuit.permit(this.signal);
      if (this.signal.aborted) {
        this.circuit.release(ticket);
        return;
      }
      const req = this.request(b);
      const answer = await this.tracedPost(b, req);
      if (this.signal.aborted) {
        this.circuit.release(ticket);
        return;
      }
      const out = classify(answer);
      this.counters.inc(`http_${answer.status || 'error'}`);
      switch (out.kind) {
        case 'delivered':
          this.circuit.success(ticket);
          this.settle(b, req, out.duplicates, answer.status);
          work.shift();
          lane.attempt = 0;
          lane.backoff_ms = 0;
          lane.next_attempt_at = null;
          lane.last_error = null;
          break;
        case 'retry':
        case 'auth':
        case 'endpoint': {
          const fk: FailureKind = out.kind;
          this.circuit.failure(ticket, fk, out.reason);
          const open = this.circuit.state !== 'closed';
          const delay = out.kind === 'retry' ? this.retryDelay(lane.attempt, out.retryAfterMs, open) : this.slowDelay();
          lane.attempt++;
          lane.backoff_ms = delay;
          lane.next_attempt_at = new Date(Date.now() + delay).toISOString();
          lane.last_error = out.reason;
          this.counters.inc('retries');
          if (out.kind === 'retry' && out.retryAfterMs !== undefined) this.counters.inc('retry_after_honoured');
          if (lane.attempt === 1 || lane.attempt % 20 === 0)
            this.log.warn({ lane: lane.name, path: req.path, attempt: lane.attempt, delay_ms: delay, reason: out.reason, items: b.items.length }, 'cloud did not take the batch; retrying');
          // A Retry-After is a promise to the cloud; any other wait ends early when another lane's probe gets through.
          if (out.kind === 'retry' && out.retryAfterMs !== undefined) await sleep(delay, this.signal);
          else await this.circuit.sleepUnlessClosed(delay, this.signal);
          break;
        }
        case 'too_large':
          this.circuit.success(ticket);
          if (b.items.length > 1) {
            this.counters.inc('splits');
            work.splice(0, 1, ...b.split());
          } else {
            this.deadLetter(b.items, `cloud refused a single item as too large: ${out.reason}`, answer.status, null);
            work.shift();
          }
          break;
        case 'rejected': {
          this.circuit.success(ticket);
          const offenders = this.offenders(b, out.answer);
          if (offenders.size > 0) {
            for (const [item, issues] of offenders)
              this.deadLetter([item], `cloud refused the item: ${out.reason}`, answer.status, { ...out.answer, items: [{ ...issues }] });
            const rest = b.without(new Set(offenders.keys()));
            if (rest.items.length > 0) work[0] = rest;
            else work.shift();
          } else if (b.items.length > 1) {
            // The cloud did not say which item: bisect until the refused one stands alone.
            this.counters.inc('splits');
            work.splice(0, 1, ...b.split());
          } else {
            this.deadLetter(b.items, `cloud refused the item: ${out.reason}`, answer.status, out.answer);
            work.shift();
          }
          break;
        }
      }
    }
  }

  private request(b: Batch): BatchRequest {
    const sync = b.group?.sync_id;
    if (sync && b.syncBatchNo === null) {
      const n = this.syncBatchNo.get(sync) ?? 0;
      b.syncBatchNo = n;
      this.syncBatchNo.set(sync, n + 1);
    }
    return requestOf(b);
  }

  /** Honours Retry-After (never earlier; a little jitter after it), else full-jitter backoff. */
  retryDelay(attempt: number, retryAfterMs?: number, circuitOpen = false): number {
    if (retryAfterMs !== undefined) return retryAfterMs + Math.floor(this.random() * Math.min(1000, 50 + retryAfterMs * 0.1));
    const policy = circuitOpen ? { ...this.policy.retry, capMs: Math.min(this.policy.retry.capMs, this.policy.probeCapMs) } : this.policy.retry;
    return backoffDelay(attempt, policy, this.random);
  }

  private slowDelay(): number {
    return Math.round(this.policy.slowRetryMs * (0.8 + 0.4 * this.random()));
  }

  /** Items of `b` the answer names: by id when it is unambiguous, else by index (devices, then removed). */
  private offenders(b: Batch, answer: CloudErrorResponse | null): Map<OutItem, NonNullable<CloudErrorResponse['items']>[number]> {
    const out = new Map<OutItem, NonNullable<CloudErrorResponse['items']>[number]>();
    if (!answer?.items?.length) return out;
    const listed = b.kind === 'health' ? b.items : [...b.items.filter((i) => i.kind === 'device'), ...b.items.filter((i) => i.kind === 'removed')];
    for (const entry of answer.items) {
      const byId = entry.id === null ? [] : listed.filter((i) => i.id === entry.id);
      const item = byId.length === 1 ? byId[0] : listed[entry.index];
      if (item && (entry.id === null || item.id === entry.id)) out.set(item, entry);
    }
    return out;
  }

  private settle(b: Batch, req: BatchRequest, duplicates: number, status: number): void {
    for (const i of b.items) i.resolve();
    if (b.end?.syncEnd) this.syncBatchNo.delete(b.end.syncEnd.sync_id);
    this.counters.inc('batches_delivered');
    this.lastDeliveredAt = new Date().toISOString();
    this.counters.inc('delivered_events', req.events);
    this.counters.inc('delivered_devices', req.devices);
    this.counters.inc('delivered_removed', req.removed);
    if (req.final) this.counters.inc('syncs_completed');
    if (duplicates > 0) this.counters.inc('cloud_duplicates', duplicates);
    if (status === 409) this.counters.inc('answers_409');
  }

  private deadLetter(items: OutItem[], reason: string, status: number, answer: unknown): void {
    const detail = answer === null ? '' : ` answer=${JSON.stringify(answer).slice(0, 1500)}`;
    for (const i of items) {
      this.counters.inc('dead_lettered');
      this.log.warn({ item: i.id, kind: i.kind, seq: i.seq, status }, 'cloud refused an item; dead-lettering it');
      i.reject(permanent(`cloud_${status}`, `${reason}${detail}`));
    }
  }
}
