import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JsMsg, type StoredMsg } from '@nats-io/jetstream';
import { HEADERS, STREAMS, subjects } from '@edge/contracts';
import { describeError, EdgeError, permanent } from '../errors';
import { isTooLarge, type Publisher } from './publisher';

function headerSafe(s: string, max = 2000): string {
  const one = s.replace(/[\r\n]+/g, ' ');
  return one.length <= max ? one : `${one.slice(0, max - 1)}…`;
}

/** Republishes the original bytes and headers to `dlq.<stage>.<subject>` with reason headers. */
export async function deadLetter(publisher: Publisher, stage: string, m: JsMsg, err: unknown): Promise<void> {
  const h = natsHeaders();
  if (m.headers) for (const k of m.headers.keys()) if (k !== HEADERS.msgId) for (const v of m.headers.values(k)) h.append(k, v);
  const origId = m.headers?.get(HEADERS.msgId);
  if (origId) h.set('Edge-Dlq-Original-Msg-Id', origId);
  h.set(HEADERS.dlqReason, headerSafe(describeError(err)));
  h.set(HEADERS.dlqKind, err instanceof EdgeError ? err.code : 'error');
  h.set(HEADERS.dlqStage, stage);
  h.set(HEADERS.dlqOriginalSubject, m.subject);
  h.set(HEADERS.dlqOriginalSeq, String(m.seq));
  h.set(HEADERS.dlqDeliveries, String(m.info.deliveryCount));
  h.set(HEADERS.dlqAt, new Date().toISOString());
  const subject = subjects.dlq(stage, m.subject);
  const msgId = `dlq:${m.info.stream}:${m.seq}`;
  try {
    await publisher.publish(subject, m.data, { msgId, headers: h, retryForMs: 10_000 });
  } catch (e) {
    if (!isTooLarge(e)) throw e;
    // The original fitted, the original plus reason headers does not: keep the reason and the
    // start of the bytes; the whole message stays at its sequence in the source stream.
    const room = Math.max(0, (publisher.nc.info?.max_payload ?? m.data.length) - 8 * 1024);
    h.set(HEADERS.dlqReason, headerSafe(describeError(err), 500));
    h.set(DLQ_TRUNCATED, String(m.data.length));
    h.set(DLQ_ORIGINAL_STREAM, m.info.stream);
    await publisher.publish(subject, m.data.subarray(0, room), { msgId, headers: h, retryForMs: 10_000 });
  }
}

/** Header of a DLQ entry holding only the first bytes of its message: the original size. */
export const DLQ_TRUNCATED = 'Edge-Dlq-Truncated';
const DLQ_ORIGINAL_STREAM = 'Edge-Dlq-Original-Stream';

export interface DlqEntry {
  seq: number;
  subject: string;
  stage: string;
  original_subject: string;
  original_seq: number | null;
  reason: string;
  kind: string;
  at: string;
  size: number;
}

function entryOf(m: StoredMsg): DlqEntry {
  const h = m.header;
  return {
    seq: m.seq,
    subject: m.subject,
    stage: h.get(HEADERS.dlqStage) || m.subject.split('.')[1] || '',
    original_subject: h.get(HEADERS.dlqOriginalSubject) || m.subject.split('.').slice(2).join('.'),
    original_seq: Number(h.get(HEADERS.dlqOriginalSeq)) || null,
    reason: h.get(HEADERS.dlqReason) || '',
    kind: h.get(HEADERS.dlqKind) || '',
    at: h.get(HEADERS.dlqAt) || new Date(m.time).toISOString(),
    size: m.data.length,
  };
}

/** Operator tooling over stream DLQ: list, inspect, replay (to the original subject), purge. */
export class DlqAdmin {
  constructor(
    private readonly nc: NatsConnection,
    private readonly publisher: Publisher,
  ) {}

  async size(): Promise<{ messages: number; bytes: number }> {
    const jsm = await jetstreamManager(this.nc);
    const i = await jsm.streams.info(STREAMS.dlq);
    return { messages: i.state.messages, bytes: i.state.bytes };
  }

  async list(opts: { limit?: number; fromSeq?: number } = {}): Promise<DlqEntry[]> {
    const jsm = await jetstreamManager(this.nc);
    const info = await jsm.streams.info(STREAMS.dlq);
    const out: DlqEntry[] = [];
    let seq = Math.max(opts.fromSeq ?? info.state.first_seq, info.state.first_seq);
    const limit = opts.limit ?? 100;
    while (out.length < limit && seq <= info.state.last_seq && info.state.messages > 0) {
      const m = await jsm.streams.getMessage(STREAMS.dlq, { next_by_subj: subjects.dlqAll, seq } as never);
      if (!m) break;
      out.push(entryOf(m));
      seq = m.seq + 1;
    }
    return out;
  }

  async show(seq: number): Promise<(DlqEntry & { headers: Record<string, string[]>; data: string }) | null> {
    const jsm = await jetstreamManager(this.nc);
    const m = await jsm.streams.getMessage(STREAMS.dlq, { seq }).catch(() => null);
    if (!m) return null;
    const headers: Record<string, string[]> = {};
    for (const k of m.header.keys()) headers[k] = m.header.values(k);
    return { ...entryOf(m), headers, data: new TextDecoder().decode(m.data) };
  }

  /** Republishes the original bytes to the original subject, then removes the DLQ entry. */
  async replay(seq: number): Promise<{ seq: number; subject: string; replayed_seq: number } | null> {
    const jsm = await jetstreamManager(this.nc);
    const m = await jsm.streams.getMessage(STREAMS.dlq, { seq }).catch(() => null);
    if (!m) return null;
    const e = entryOf(m);
    if (m.header.get(DLQ_TRUNCATED))
      throw permanent(
        'dlq_truncated',
        `DLQ entry ${seq} holds only the first ${m.data.length} of ${m.header.get(DLQ_TRUNCATED)} bytes; the whole message is seq ${e.original_seq} of stream ${m.header.get(DLQ_ORIGINAL_STREAM) || '?'}`,
      );
    const h = natsHeaders();
    for (const k of m.header.keys()) if (!k.startsWith('Edge-Dlq-')) for (const v of m.header.values(k)) h.append(k, v);
    h.set('Edge-Replayed-From', String(seq));
    const r = await this.publisher.publish(e.original_subject, m.data, { msgId: `replay:${seq}:${new Date(m.time).getTime()}`, headers: h });
    await jsm.streams.deleteMessage(STREAMS.dlq, seq);
    return { seq, subject: e.original_subject, replayed_seq: r.seq };
  }

  async replayAll(filter?: { stage?: string }): Promise<number> {
    let n = 0;
    let from: number | undefined;
    for (;;) {
      const batch = await this.list({ limit: 100, fromSeq: from });
      if (batch.length === 0) return n;
      for (const e of batch) if ((!filter?.stage || e.stage === filter.stage) && (await this.replay(e.seq))) n++;
      from = batch[batch.length - 1].seq + 1;
    }
  }
}
