import { randomBytes } from 'node:crypto';
import { context, trace } from '@opentelemetry/api';
import { stableHash, subjects, type FailedType, type RawEnvelope, type SyncBeginPayload, type SyncEndPayload } from '@edge/contracts';
import { tracer, type Publisher, type PublishResult } from '@edge/platform';

export interface SystemIdentity {
  vendor: string;
  system_id: string;
  site_id: string;
  customer_id: string;
}

export type SyncTrigger = SyncBeginPayload['trigger'];

/** New sync id: sortable by time, unique per attempt. */
export function newSyncId(systemId: string, now = new Date()): string {
  const t = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${systemId}-${t}-${randomBytes(3).toString('hex')}`;
}

/**
 * Publishes raw envelopes (ARCHITECTURE §4.3) for one system with deterministic Nats-Msg-Ids,
 * so a retried publish is deduplicated by the stream.
 */
export class RawPublisher {
  /**
   * Called when a status publish failed (NATS down, RAW full): the observation is gone from the
   * vendor feed, so the runner schedules a status poll to restore the truth once publishing works.
   */
  onStatusPublishFailed: ((e: unknown) => void) | null = null;

  constructor(
    private readonly publisher: Publisher,
    readonly ident: SystemIdentity,
  ) {}

  private envelope(kind: RawEnvelope['kind'], payload: unknown, extra: Partial<RawEnvelope> = {}): RawEnvelope {
    return {
      schema: 'raw/v1',
      vendor: this.ident.vendor,
      system_id: this.ident.system_id,
      site_id: this.ident.site_id,
      customer_id: this.ident.customer_id,
      kind,
      observed_at: new Date().toISOString(),
      payload,
      ...extra,
    };
  }

  /** Starts a sync: publishes `sync.begin` and returns the writer for its devices. */
  async beginSync(trigger: SyncTrigger, syncId = newSyncId(this.ident.system_id)): Promise<SyncWriter> {
    const begin = this.envelope('sync.begin', { trigger } satisfies SyncBeginPayload, { sync_id: syncId, seq: 0 });
    await this.publisher.publishJson(subjects.raw(this.ident.vendor, this.ident.system_id, 'inventory'), begin, {
      msgId: `raw:${this.ident.system_id}:${syncId}:begin`,
    });
    return new SyncWriter(this.publisher, this.ident, syncId, (k, p, e) => this.envelope(k, p, e));
  }

  /**
   * Publishes one status message. `dedupeKey` must identify this observation (vendor event id,
   * or device + status + vendor time for polls) so a retry or a repeated delivery dedupes.
   */
  status(payload: unknown, dedupeKey: string, observedAt?: string): Promise<PublishResult> {
    // One trace per status observation. Without a new root, every event of a long-lived event
    // connection would land in the trace of the request that opened it; that span is linked.
    const opener = trace.getSpanContext(context.active());
    return tracer('edge').startActiveSpan(
      `status ${this.ident.vendor} ${this.ident.system_id}`,
      { root: true, links: opener ? [{ context: opener }] : [], attributes: { 'edge.vendor': this.ident.vendor, 'edge.system.id': this.ident.system_id } },
      async (span) => {
        const env = this.envelope('status', payload, observedAt ? { observed_at: observedAt } : {});
        try {
          return await this.publisher.publishJson(subjects.raw(this.ident.vendor, this.ident.system_id, 'status'), env, {
            msgId: `raw:${this.ident.system_id}:st:${stableHash(dedupeKey)}`,
          });
        } catch (e) {
          this.onStatusPublishFailed?.(e);
          throw e;
        } finally {
          span.end();
        }
      },
    );
  }
}

/**
 * Streams the devices of one sync. Publishes are pipelined (bounded window) on one connection,
 * which keeps their order in the stream; `end()` waits for every PubAck before `sync.end`.
 */
export class SyncWriter {
  private seq = 0;
  private readonly window: Array<Promise<unknown>> = [];
  private failure: unknown = null;
  private ended = false;
  private readonly failed = new Map<string, string>();

  constructor(
    private readonly publisher: Publisher,
    private readonly ident: SystemIdentity,
    readonly syncId: string,
    private readonly envelope: (kind: RawEnvelope['kind'], payload: unknown, extra?: Partial<RawEnvelope>) => RawEnvelope,
    private readonly maxInFlight = 128,
  ) {}

  get count(): number {
    return this.seq;
  }

  /**
   * A native type this sync could not list (after its retries): the sync goes on and ends
   * partial — the normalizer neither updates nor removes that type's devices.
   */
  failType(type: string, reason: string): void {
    if (!this.failed.has(type)) this.failed.set(type, reason.slice(0, 500));
  }

  get failedTypes(): FailedType[] {
    return [...this.failed].map(([type, reason]) => ({ type, reason }));
  }

  /**
   * `observedAt`: when the status inside the payload was read (UTC ISO), if earlier than now. The
   * normalizer weighs a device's status by this time against status events: stamped at publish
   * time instead, a status read before an event would overrule that newer event.
   */
  async device(payload: unknown, observedAt?: string): Promise<void> {
    if (this.ended) throw new Error(`sync ${this.syncId} already ended`);
    if (this.failure) throw this.failure;
    const seq = ++this.seq;
    const env = this.envelope('device', payload, { sync_id: this.syncId, seq, ...(observedAt ? { observed_at: observedAt } : {}) });
    const p = this.publisher
      .publishJson(subjects.raw(this.ident.vendor, this.ident.system_id, 'inventory'), env, {
        msgId: `raw:${this.ident.system_id}:${this.syncId}:d:${seq}`,
      })
      .catch((e) => {
        this.failure ??= e;
      });
    this.window.push(p);
    if (this.window.length >= this.maxInFlight) await this.window.shift();
    if (this.failure) throw this.failure;
  }

  /** Flushes and publishes `sync.end` with the count. `complete: false` marks an interrupted sync. */
  async end(opts: { complete?: boolean; error?: string } = {}): Promise<{ count: number; complete: boolean }> {
    this.ended = true;
    await Promise.all(this.window.splice(0));
    const complete = (opts.complete ?? true) && !this.failure;
    const payload: SyncEndPayload = {
      count: this.seq,
      complete,
      ...(opts.error || this.failure ? { error: opts.error ?? String((this.failure as Error)?.message ?? this.failure) } : {}),
      ...(this.failed.size > 0 ? { failed_types: this.failedTypes } : {}),
    };
    const env = this.envelope('sync.end', payload, { sync_id: this.syncId, seq: this.seq + 1 });
    await this.publisher.publishJson(subjects.raw(this.ident.vendor, this.ident.system_id, 'inventory'), env, {
      msgId: `raw:${this.ident.system_id}:${this.syncId}:end`,
    });
    if (this.failure) throw this.failure;
    return { count: this.seq, complete };
  }
}
