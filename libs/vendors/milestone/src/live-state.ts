import type { RawPublisher } from '@edge/collector-kit';
import type { Logger } from 'pino';
import type { ConfigApiClient } from './client/config-api-client';
import type { MilestoneStatusPayloadInput } from './raw-schema';
import { LIVE_STATE_UNSUPPORTED_REASON, readServerVersion, supportsLiveState, type ServerVersion } from './server-version';

/**
 * Whether this server has live state (the Events and State WebSocket API, XProtect 2023 R3+),
 * decided once at connect from its version. Below 2023 R3 the collector makes no socket
 * attempts (the upgrade answers 404 there) and reports every device `unknown` with the reason.
 */
export class LiveStateGate {
  version: ServerVersion | null = null;
  /** Null until the version was read; true when unknown (live state is then tried). */
  supported: boolean | null = null;

  async read(api: ConfigApiClient, log: Logger, timeoutMs: number): Promise<boolean> {
    this.version = await readServerVersion(api, log, AbortSignal.timeout(timeoutMs));
    this.supported = this.version ? supportsLiveState(this.version) : true;
    if (this.version && !this.supported) log.warn({ version: this.version.raw, release: this.version.release }, `XProtect ${this.version.release}: ${LIVE_STATE_UNSUPPORTED_REASON}; inventory only, every device status unknown`);
    else log.info({ version: this.version?.raw ?? null, release: this.version?.release ?? null }, 'XProtect management server version');
    return this.supported;
  }

  get unsupported(): boolean {
    return this.supported === false;
  }

  /** What /status and the heartbeat say about live state; null when it is available. */
  notice(): string | null {
    return this.unsupported ? `${LIVE_STATE_UNSUPPORTED_REASON} (server is ${this.version?.release ?? 'older'}, ${this.version?.raw ?? '?'})` : null;
  }

  /** Publishes `unknown` + reason for these sources, in chunks. */
  async publishUnavailable(raw: RawPublisher, sources: string[], chunk: number, idOf: (i: number) => string): Promise<number> {
    const observedAt = new Date().toISOString();
    const reason = this.notice() ?? LIVE_STATE_UNSUPPORTED_REASON;
    for (let i = 0; i < sources.length; i += chunk) {
      const payload: MilestoneStatusPayloadInput = { kind: 'unavailable', reason, observedAt, sources: sources.slice(i, i + chunk) };
      await raw.status(payload, idOf(i));
    }
    return sources.length;
  }
}
