import { hostname } from 'node:os';
import { z } from 'zod';
import {
  CLOUD_PATHS,
  ConnectionState,
  HeartbeatRequest,
  IdToken,
  stableHash,
  subjects,
  UtcTimestamp,
  type HeartbeatSystem,
} from '@edge/contracts';
import { describeError, gatherReplies, type ConsumerBacklog, type EdgeRuntime } from '@edge/platform';
import type { CloudClient } from './cloud-client';

/** The parts of a collector's `cmd.status` reply the heartbeat uses (collector-kit CollectorRunner.status()). */
const SyncReport = z.looseObject({
  sync_id: z.string(),
  finished_at: z.string().nullable().optional(),
  devices: z.number().int().nonnegative().optional(),
});
const SystemStatus = z.looseObject({
  system_id: IdToken,
  vendor: IdToken,
  state: z.looseObject({ connection: ConnectionState.catch('unknown'), last_error: z.string().nullable().optional(), notices: z.array(z.string()).optional() }).optional(),
  /** Notices of the service that is not the system's collector (e.g. the normalizer holding removals). */
  notices: z.array(z.string()).optional(),
  last_complete_sync: SyncReport.nullable().optional(),
  last_sync: SyncReport.nullable().optional(),
  last_error: z.string().nullable().optional(),
});
/** A `cmd.status` reply: `{ service, status }` with the service's /status snapshot. */
const StatusReply = z.looseObject({ service: z.string(), status: z.looseObject({ systems: z.array(z.unknown()).optional() }) });

export interface HeartbeatSources {
  backlog(): Promise<ConsumerBacklog | null>;
  dlqMessages(): Promise<number | null>;
}

/**
 * POST /v1/heartbeat at start and every `cloud.heartbeat_interval`: who this edge is, how each
 * configured system is doing (asked from the collectors over `cmd.status`), the backlog and DLQ.
 * Lets the integrator tell "edge box down" from "devices down". Heartbeats are not data: a
 * failed one is logged and replaced by the next.
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private last: { at: string; status: number; error: string | null } | null = null;
  private lastOkAt: string | null = null;
  private sent = 0;
  private failed = 0;
  private readonly edgeId: string;

  constructor(
    private readonly rt: EdgeRuntime,
    private readonly client: CloudClient,
    private readonly sources: HeartbeatSources,
    private readonly signal: AbortSignal,
  ) {
    this.edgeId = rt.config.edge.id ?? hostname();
  }

  start(): void {
    this.beat();
    this.timer = setInterval(() => this.beat(), this.rt.config.cloud.heartbeat_interval);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private beat(): void {
    if (this.running || this.signal.aborted) return;
    this.running = this.sendOnce()
      .catch((e) => this.rt.log.warn({ err: describeError(e) }, 'heartbeat failed'))
      .finally(() => {
        this.running = null;
      });
  }

  async build(): Promise<HeartbeatRequest> {
    const cfg = this.rt.config;
    const waitMs = Math.max(200, Math.min(1500, Math.floor(cfg.cloud.heartbeat_interval / 4)));
    const [replies, backlog, dlq] = await Promise.all([
      gatherReplies<unknown>(this.rt.nc, subjects.cmdStatus(cfg.site.id), {}, waitMs).catch(() => []),
      this.sources.backlog().catch(() => null),
      this.sources.dlqMessages().catch(() => null),
    ]);
    const reported = new Map<string, z.infer<typeof SystemStatus>>();
    const raw = new Map<string, unknown>();
    for (const r of replies) {
      const p = StatusReply.safeParse(r);
      if (!p.success || p.data.service === this.rt.service) continue;
      // A collector answers `systems` at the top; other services (the normalizer) within their own section.
      const nested = Object.values(p.data.status).flatMap((v) => (v && typeof v === 'object' && Array.isArray((v as { systems?: unknown }).systems) ? ((v as { systems: unknown[] }).systems) : []));
      for (const s of [...(p.data.status.systems ?? []), ...nested]) {
        const sp = SystemStatus.safeParse(s);
        if (!sp.success) continue;
        const prev = reported.get(sp.data.system_id);
        const notices = [...(prev?.notices ?? []), ...(sp.data.state?.notices ?? []), ...(sp.data.notices ?? [])];
        // The collector's entry (it has a state) wins; other services add their notices.
        const fromCollector = Boolean(sp.data.state) || !prev;
        reported.set(sp.data.system_id, { ...(fromCollector ? sp.data : prev), notices });
        if (fromCollector) raw.set(sp.data.system_id, s);
      }
    }
    const systems: HeartbeatSystem[] = [];
    const seen = new Set<string>();
    for (const sys of cfg.systems.filter((s) => s.enabled)) {
      seen.add(sys.id);
      systems.push(systemOf(sys.id, sys.vendor, reported.get(sys.id)));
    }
    for (const [id, s] of reported) if (!seen.has(id)) systems.push(systemOf(id, s.vendor, s));
    for (const hs of systems) Object.assign(hs, extrasOf(raw.get(hs.system_id)));
    const body: HeartbeatRequest = {
      edge_id: this.edgeId,
      site_id: cfg.site.id,
      customer_id: cfg.site.customer_id,
      version: this.rt.version,
      sent_at: new Date().toISOString(),
      uptime_s: Math.round((Date.now() - this.rt.startedAt.getTime()) / 1000),
      systems,
      backlog: {
        messages: backlog?.messages ?? 0,
        bytes: backlog?.bytes ?? 0,
        oldest_age_s: backlog?.oldest_age_s ?? null,
      },
      dlq: { messages: dlq ?? 0 },
    };
    return HeartbeatRequest.parse(body);
  }

  async sendOnce(): Promise<void> {
    const body = await this.build();
    const a = await this.client.post(CLOUD_PATHS.heartbeat, JSON.stringify(body), `hb-${stableHash(body.edge_id, body.sent_at)}`, this.signal);
    const ok = (a.status >= 200 && a.status < 300) || a.status === 409;
    this.last = { at: body.sent_at, status: a.status, error: ok ? null : (a.error ?? `HTTP ${a.status}`) };
    if (ok) {
      this.sent++;
      this.lastOkAt = body.sent_at;
      return;
    }
    this.failed++;
    if (this.failed === 1 || this.failed % 10 === 0) this.rt.log.warn({ status: a.status, err: this.last.error, failed: this.failed }, 'heartbeat not accepted by the cloud');
  }

  status() {
    return { edge_id: this.edgeId, interval_ms: this.rt.config.cloud.heartbeat_interval, sent: this.sent, failed: this.failed, last: this.last, last_ok_at: this.lastOkAt };
  }
}

/** What a collector reports beyond the basics: the types its last sync could not list, the server version. */
const SystemExtras = z.looseObject({
  last_complete_sync: z.looseObject({ failed_types: z.array(z.object({ type: z.string(), reason: z.string() })).optional() }).nullable().optional(),
  state: z.looseObject({ details: z.looseObject({ server_version: z.string().nullable().optional() }).optional() }).optional(),
});

function extrasOf(s: unknown): Pick<HeartbeatSystem, 'failed_types' | 'server_version'> {
  const p = SystemExtras.safeParse(s);
  if (!p.success) return {};
  const failed = p.data.last_complete_sync?.failed_types ?? [];
  const version = p.data.state?.details?.server_version;
  return {
    ...(failed.length ? { failed_types: failed.map((f) => ({ type: f.type, reason: f.reason.slice(0, 500) })) } : {}),
    ...(version ? { server_version: version } : {}),
  };
}

function systemOf(id: string, vendor: string, s: z.infer<typeof SystemStatus> | undefined): HeartbeatSystem {
  const sync = s?.last_complete_sync ?? null;
  const at = sync?.finished_at && UtcTimestamp.safeParse(sync.finished_at).success ? sync.finished_at : null;
  return {
    system_id: id,
    vendor: IdToken.safeParse(vendor).success ? vendor : 'unknown',
    connection: s?.state?.connection ?? 'unknown',
    last_sync_at: at,
    last_sync_id: sync?.sync_id ?? null,
    last_sync_devices: sync?.devices ?? null,
    last_error: (s?.state?.last_error ?? s?.last_error ?? null)?.slice(0, 500) ?? null,
    ...(s?.notices?.length ? { notices: [...new Set(s.notices)].map((n) => n.slice(0, 500)) } : {}),
  };
}
