import { nanos } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { BUCKETS, CONSUMERS, STREAMS, subjects } from '@edge/contracts';
import type { EdgeConfig } from '../config/schema';

export interface StreamLimits {
  max_bytes: number;
  max_age: number; // ms
}
export interface ProvisionOptions {
  raw: StreamLimits;
  canonical: StreamLimits;
  dlq: StreamLimits;
  duplicate_window: number; // ms
  /** Stream/KV replicas (1 on one box; 3 on a JetStream cluster). Default 1. */
  replicas?: number;
  /** ack wait of the durable consumers (ms). */
  ack_wait?: number;
  /** What this process provisions (its NATS user may create nothing else). Default: everything. */
  scope?: ProvisionScope;
}

export interface ProvisionScope {
  streams: string[];
  /** `<stream>/<durable>` */
  consumers: string[];
  kv: boolean;
}

export function provisionOptionsFromConfig(cfg: EdgeConfig): ProvisionOptions {
  return { ...cfg.streams };
}

/**
 * Every stream uses DiscardNew: when a stream is full the publish fails, the producer keeps
 * the data and retries (backpressure), and status shows it. Nothing is silently dropped from
 * the head of the queue — see docs/RELIABILITY.md "When a stream is full".
 *
 * RAW and CANONICAL are queues: interest retention removes a message once its durable consumer
 * acked it, so max_bytes bounds the backlog not yet delivered. (With limits retention acked
 * messages stayed until max_age, so a stream that once reached max_bytes refused every publish
 * until they aged out — the pipeline stopped with a healthy cloud.) DLQ keeps limits retention:
 * it has no consumer and must keep what it holds.
 */
export function streamConfigs(o: ProvisionOptions): Array<Partial<StreamConfig> & { name: string }> {
  const common = {
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.New,
    num_replicas: o.replicas ?? 1,
    duplicate_window: nanos(o.duplicate_window),
    allow_direct: true,
  };
  return [
    { name: STREAMS.raw, subjects: [subjects.rawAll], max_bytes: o.raw.max_bytes, max_age: nanos(o.raw.max_age), ...common, retention: RetentionPolicy.Interest },
    {
      name: STREAMS.canonical,
      subjects: [subjects.canonicalAll],
      max_bytes: o.canonical.max_bytes,
      max_age: nanos(o.canonical.max_age),
      ...common,
      retention: RetentionPolicy.Interest,
    },
    { name: STREAMS.dlq, subjects: [subjects.dlqAll], max_bytes: o.dlq.max_bytes, max_age: nanos(o.dlq.max_age), ...common },
  ];
}

export function consumerConfigs(o: ProvisionOptions): Array<{ stream: string; config: Partial<ConsumerConfig> & { durable_name: string } }> {
  const ackWait = nanos(o.ack_wait ?? 30_000);
  return [
    {
      stream: STREAMS.raw,
      config: {
        durable_name: CONSUMERS.normalizer,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        filter_subject: subjects.rawAll,
        ack_wait: ackWait,
        max_deliver: -1,
        max_ack_pending: 10_000,
      },
    },
    {
      stream: STREAMS.canonical,
      config: {
        durable_name: CONSUMERS.forwarder,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        filter_subject: subjects.canonicalAll,
        ack_wait: ackWait,
        max_deliver: -1,
        max_ack_pending: 10_000,
      },
    },
  ];
}

const MUTABLE_STREAM_FIELDS = ['subjects', 'max_bytes', 'max_age', 'discard', 'duplicate_window', 'allow_direct', 'num_replicas'] as const;

async function ensureStream(jsm: JetStreamManager, want: Partial<StreamConfig> & { name: string }): Promise<string> {
  let info;
  try {
    info = await jsm.streams.info(want.name);
  } catch (e) {
    if (!isNotFound(e)) throw e;
    await jsm.streams.add(want);
    return 'created';
  }
  const have = info.config as unknown as Record<string, unknown>;
  const diff = MUTABLE_STREAM_FIELDS.some((k) => JSON.stringify(have[k]) !== JSON.stringify((want as Record<string, unknown>)[k]));
  const retentionDiffers = want.retention !== undefined && have.retention !== want.retention;
  if (!diff && !retentionDiffers) return 'unchanged';
  try {
    await jsm.streams.update(want.name, { ...info.config, ...want } as StreamConfig);
  } catch (e) {
    // Servers before 2.10 cannot change retention in place: keep the stream, say what to do.
    if (!retentionDiffers) throw e;
    if (diff) await jsm.streams.update(want.name, { ...info.config, ...want, retention: info.config.retention } as StreamConfig);
    return `retention is ${String(have.retention)}, want ${want.retention}: recreate the stream to apply`;
  }
  return 'updated';
}

async function ensureConsumer(jsm: JetStreamManager, stream: string, want: Partial<ConsumerConfig> & { durable_name: string }) {
  try {
    const info = await jsm.consumers.info(stream, want.durable_name);
    const have = info.config as unknown as Record<string, unknown>;
    const fields = ['ack_wait', 'max_deliver', 'max_ack_pending', 'filter_subject'] as const;
    if (fields.some((k) => JSON.stringify(have[k]) !== JSON.stringify((want as Record<string, unknown>)[k]))) {
      await jsm.consumers.update(stream, want.durable_name, {
        ack_wait: want.ack_wait,
        max_deliver: want.max_deliver,
        max_ack_pending: want.max_ack_pending,
        filter_subject: want.filter_subject,
      });
      return 'updated';
    }
    return 'unchanged';
  } catch (e) {
    if (!isNotFound(e)) throw e;
    await jsm.consumers.add(stream, want);
    return 'created';
  }
}

export function isNotFound(e: unknown): boolean {
  const s = String((e as { message?: string })?.message ?? e);
  const code = (e as { api_error?: { err_code?: number } })?.api_error?.err_code;
  return code === 10059 || code === 10014 || /not found/i.test(s);
}

export interface ProvisionResult {
  streams: Record<string, string>;
  consumers: Record<string, string>;
}

/** Idempotent: creates what is missing, updates what drifted, leaves the rest. */
export async function provision(nc: NatsConnection, o: ProvisionOptions): Promise<ProvisionResult> {
  const jsm = await jetstreamManager(nc);
  const out: ProvisionResult = { streams: {}, consumers: {} };
  const sc = o.scope;
  for (const s of streamConfigs(o)) if (!sc || sc.streams.includes(s.name)) out.streams[s.name] = await ensureStream(jsm, s);
  for (const c of consumerConfigs(o)) {
    const key = `${c.stream}/${c.config.durable_name}`;
    if (!sc || sc.consumers.includes(key)) out.consumers[key] = await ensureConsumer(jsm, c.stream, c.config);
  }
  if (!sc || sc.kv) await openDevicesBucket(nc, o.replicas);
  return out;
}

/** KV `devices`: one key per canonical device, file storage, latest value only. */
export async function openDevicesBucket(nc: NatsConnection, replicas?: number): Promise<KV> {
  return new Kvm(nc).create(BUCKETS.devices, { history: 1, storage: StorageType.File, ...(replicas && replicas > 1 ? { replicas } : {}) });
}
