import type { Logger } from 'pino';
import { describeError } from '@edge/platform';
import type { RawPublisher } from '@edge/collector-kit';
import type { ConfigApiClient } from './client/config-api-client';
import type { MilestoneConfig } from './config';
import { RecordingServer, type MilestoneStatusPayloadInput, type RecordingServerProbe } from './raw-schema';
import { judgeProbe, probeRecordingServer } from './rs-probe';

/** `false` or `"false"` (2023 R2 servers send some flags as strings). */
export function flagFalse(v: unknown): boolean {
  return v === false || (typeof v === 'string' && /^\s*false\s*$/i.test(v));
}

/**
 * The TCP-probe fallback for recording servers of one system: used when their responding /
 * not-responding event types are unknown, or their subscription was refused (§5.5). Publishes a
 * probe result when it changed (or every result on a status poll).
 */
export class RecordingServerProbes {
  readonly results = new Map<string, RecordingServerProbe>();
  /** Servers this process reached by probe (a failure after that is `offline`, before it `unknown`). */
  private readonly reached = new Set<string>();
  private servers: RecordingServer[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly o: {
      api: ConfigApiClient;
      cfg: Pick<MilestoneConfig, 'recording_server_probe' | 'probe_interval' | 'probe_timeout' | 'page_size'>;
      log: Logger;
      /** Event types of recording servers are known and subscribed: no probe needed in `auto`. */
      eventTypesUsable: () => boolean;
      /** Serialised publishing (status messages keep their order). */
      enqueue: <T>(task: () => Promise<T>) => Promise<T>;
    },
  ) {}

  /** The recording servers of the last complete inventory. */
  setServers(list: RecordingServer[]): void {
    this.servers = list;
  }

  needed(): boolean {
    if (this.o.cfg.recording_server_probe === 'always') return true;
    if (this.o.cfg.recording_server_probe === 'never') return false;
    return !this.o.eventTypesUsable();
  }

  start(raw: () => RawPublisher | null): void {
    if (this.o.cfg.recording_server_probe === 'never') return;
    this.timer = setInterval(() => {
      const r = raw();
      if (!this.needed() || !r) return;
      void this.probeAll(r, false).catch((e) => this.o.log.warn({ err: describeError(e) }, 'recording-server probe failed'));
    }, this.o.cfg.probe_interval);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Probes every enabled recording server; publishes changes (or everything when `all`). */
  async probeAll(raw: RawPublisher, all: boolean): Promise<number> {
    if (this.servers.length === 0) {
      const list = await this.o.api.all('recordingServers', { includeDisabled: true, pageSize: this.o.cfg.page_size, signal: AbortSignal.timeout(30_000) });
      this.servers = list.flatMap((x) => {
        const p = RecordingServer.safeParse(x);
        return p.success ? [p.data] : [];
      });
    }
    const targets = this.servers.filter((rs) => !flagFalse(rs.enabled));
    const results = (await Promise.all(targets.map((rs) => probeRecordingServer(rs, this.o.cfg.probe_timeout)))).map((p) => judgeProbe(p, this.reached));
    let n = 0;
    for (const p of results) {
      const prev = this.results.get(p.recordingServerId);
      this.results.set(p.recordingServerId, p);
      if (!all && prev && prev.responding === p.responding && prev.unknownReason === p.unknownReason) continue;
      const payload: MilestoneStatusPayloadInput = { kind: 'probe', probe: p };
      await this.o.enqueue(() => raw.status(payload, `probe:${p.recordingServerId}:${p.responding}:${p.probedAt}`));
      n++;
    }
    return n;
  }

  /** For /status. */
  summary(): Array<{ id: string; responding: boolean; unknown: string | null; at: string }> {
    return [...this.results.values()].map((p) => ({ id: p.recordingServerId, responding: p.responding, unknown: p.unknownReason ?? null, at: p.probedAt }));
  }
}
