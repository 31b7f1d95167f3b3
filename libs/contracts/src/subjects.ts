/** Stream, bucket and subject names (ARCHITECTURE §4.5). The only place they are spelled. */
export const STREAMS = { raw: 'RAW', canonical: 'CANONICAL', dlq: 'DLQ' } as const;
export const BUCKETS = { devices: 'devices', collectorState: 'collector_state' } as const;
export const CONSUMERS = { normalizer: 'normalizer', forwarder: 'forwarder' } as const;

export type RawChannel = 'inventory' | 'status';
export type DlqStage = 'normalizer' | 'forwarder' | 'collector' | string;

const TOKEN = /^[A-Za-z0-9_-]+$/;
function token(name: string, value: string): string {
  if (!TOKEN.test(value)) throw new Error(`${name} "${value}" cannot be used in a subject: only letters, digits, "_" and "-"`);
  return value;
}

export const subjects = {
  raw: (vendor: string, systemId: string, channel: RawChannel) =>
    `raw.${token('vendor', vendor)}.${token('system id', systemId)}.${channel}`,
  rawAll: 'raw.>',
  canonicalInventory: (siteId: string) => `canonical.inventory.${token('site id', siteId)}`,
  canonicalHealth: (siteId: string) => `canonical.health.${token('site id', siteId)}`,
  canonicalAll: 'canonical.>',
  /** `dlq.<stage>.<original subject>` */
  dlq: (stage: DlqStage, originalSubject: string) => `dlq.${token('stage', stage)}.${originalSubject}`,
  dlqAll: 'dlq.>',
  cmdSync: (siteId: string) => `edge.${token('site id', siteId)}.cmd.sync`,
  cmdStatus: (siteId: string) => `edge.${token('site id', siteId)}.cmd.status`,
  cmdDlq: (siteId: string) => `edge.${token('site id', siteId)}.cmd.dlq`,
  cmdDevices: (siteId: string) => `edge.${token('site id', siteId)}.cmd.devices`,
  cmdHealth: (siteId: string) => `edge.${token('site id', siteId)}.cmd.health`,
  /** Apply the removals the normalizer's removal guard holds for one system. */
  cmdConfirmRemovals: (siteId: string) => `edge.${token('site id', siteId)}.cmd.confirm-removals`,
  /** Per-service status replies gathered by cmd.status (scatter/gather). */
  cmdStatusService: (siteId: string, service: string) => `edge.${token('site id', siteId)}.svc.${token('service', service)}.status`,
} as const;

/** Parses `raw.<vendor>.<system>.<channel>`. */
export function parseRawSubject(subject: string): { vendor: string; systemId: string; channel: RawChannel } | null {
  const p = subject.split('.');
  if (p.length !== 4 || p[0] !== 'raw' || (p[3] !== 'inventory' && p[3] !== 'status')) return null;
  return { vendor: p[1], systemId: p[2], channel: p[3] };
}

/** Header names used on every hop. */
export const HEADERS = {
  msgId: 'Nats-Msg-Id',
  dlqReason: 'Edge-Dlq-Reason',
  dlqKind: 'Edge-Dlq-Kind',
  dlqStage: 'Edge-Dlq-Stage',
  dlqOriginalSubject: 'Edge-Dlq-Original-Subject',
  dlqOriginalSeq: 'Edge-Dlq-Original-Seq',
  dlqAt: 'Edge-Dlq-At',
  dlqDeliveries: 'Edge-Dlq-Deliveries',
  contentType: 'Content-Type',
  schema: 'Edge-Schema',
} as const;
