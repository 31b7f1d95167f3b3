import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DevicesCommandReply, HealthCommandReply, subjects, type DevicesCommandRequest } from '@edge/contracts';
import { gatherReplies, requestCommand, type NatsConnection } from '@edge/platform';

/**
 * Everything the status page shows, read through the control plane only: `cmd.status` (every
 * service's /status), `cmd.devices` and `cmd.health` (the normalizer, owner of the registry),
 * `cmd.sync` / `cmd.dlq` for the actions. It never reads a service's storage.
 */
export interface ServiceView {
  name: string;
  status: Record<string, unknown>;
  /** Its /readyz: NATS connected and upstream usable (null when the service did not say). */
  ready: { ok: boolean; checks: Record<string, boolean | string> } | null;
}

export interface SiteView {
  site_id: string;
  at: string;
  services: ServiceView[];
  counts: Record<string, Record<string, number>>;
  health: HealthCommandReply | null;
  surveys: Array<{ system_id: string; verdict: string; generated_at: string; calls_per_hour: number | null; version: string | null }>;
}

const StatusAnswer = (r: unknown): r is { service: string; status: Record<string, unknown>; ready?: ServiceView['ready'] } =>
  typeof r === 'object' && r !== null && typeof (r as { service?: unknown }).service === 'string' && typeof (r as { status?: unknown }).status === 'object';

export class SiteReader {
  constructor(
    private readonly nc: NatsConnection,
    readonly siteId: string,
    private readonly surveyDir: string,
    private readonly timeoutMs = 5_000,
  ) {}

  async services(waitMs = 700): Promise<ServiceView[]> {
    const raw = await gatherReplies<unknown>(this.nc, subjects.cmdStatus(this.siteId), {}, waitMs);
    return raw
      .filter(StatusAnswer)
      .map((r) => ({ name: r.service, status: r.status, ready: r.ready && typeof r.ready.ok === 'boolean' ? r.ready : null }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async devices(q: DevicesCommandRequest): Promise<DevicesCommandReply> {
    const r = DevicesCommandReply.safeParse(await requestCommand(this.nc, subjects.cmdDevices(this.siteId), q, this.timeoutMs));
    if (!r.success) throw new Error('unexpected answer to cmd.devices');
    return r.data;
  }

  async health(): Promise<HealthCommandReply | null> {
    const r = HealthCommandReply.safeParse(await requestCommand(this.nc, subjects.cmdHealth(this.siteId), { events: 30 }, this.timeoutMs).catch(() => null));
    return r.success ? r.data : null;
  }

  surveys(): SiteView['surveys'] {
    let files: string[] = [];
    try {
      files = readdirSync(this.surveyDir).filter((f) => f.endsWith('.json'));
    } catch {
      return [];
    }
    return files.flatMap((f) => {
      try {
        const r = JSON.parse(readFileSync(join(this.surveyDir, f), 'utf8')) as { generated_at: string; systems: Array<{ system_id: string; verdict: string; cost: { total_per_hour: number } | null; product: { version: string | null } | null }> };
        return r.systems.map((s) => ({ system_id: s.system_id, verdict: s.verdict, generated_at: r.generated_at, calls_per_hour: s.cost?.total_per_hour ?? null, version: s.product?.version ?? null }));
      } catch {
        return [];
      }
    });
  }

  /** One snapshot of the site: services, device counts per system, health history, surveys. */
  async view(): Promise<SiteView> {
    const [services, health] = await Promise.all([this.services(), this.health()]);
    const systems = services.flatMap((s) => ((s.status.systems as Array<{ system_id: string }> | undefined) ?? []).map((x) => x.system_id));
    const counts: SiteView['counts'] = {};
    await Promise.all(
      [...new Set(systems)].map(async (id) => {
        const r = await this.devices({ system: id, counts_only: true }).catch(() => null);
        counts[id] = r?.counts ?? {};
      }),
    );
    return { site_id: this.siteId, at: new Date().toISOString(), services, counts, health, surveys: this.surveys() };
  }

  async sync(system?: string): Promise<unknown[]> {
    return gatherReplies<unknown>(this.nc, subjects.cmdSync(this.siteId), system ? { system } : {}, 1_500);
  }

  async replayDlq(): Promise<unknown> {
    return requestCommand(this.nc, subjects.cmdDlq(this.siteId), { op: 'replay-all' }, this.timeoutMs);
  }
}
