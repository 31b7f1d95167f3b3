import { describeError } from '@edge/platform';
import type { Logger } from 'pino';
import type { ConfigApiClient } from './client/config-api-client';

/** The Events and State WebSocket API exists from XProtect 2023 R3 (= 23.3) on (Milestone's protocol samples, EventsAndStateWebSocketApiPython/README.md "XProtect 2023 R3 or later"). */
export const LIVE_STATE_MIN_VERSION = { major: 23, minor: 3 } as const;
export const LIVE_STATE_UNSUPPORTED_REASON = 'live state needs XProtect 2023 R3 or later';

export interface ServerVersion {
  /** As the server wrote it, e.g. `23.2.0.1`. */
  raw: string;
  major: number;
  minor: number;
  /** Release name, e.g. `2023 R2`. */
  release: string;
}

/** `23.2.0.1` → 2023 R2; null when it is not a version number. */
export function parseServerVersion(raw: unknown): ServerVersion | null {
  if (typeof raw !== 'string') return null;
  const m = /^\s*(\d{2})\.(\d+)(?:\.\d+)*\s*$/.exec(raw);
  if (!m) return null;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  return { raw: raw.trim(), major, minor, release: `20${m[1]} R${minor}` };
}

export function supportsLiveState(v: ServerVersion): boolean {
  return v.major > LIVE_STATE_MIN_VERSION.major || (v.major === LIVE_STATE_MIN_VERSION.major && v.minor >= LIVE_STATE_MIN_VERSION.minor);
}

/**
 * The management server's version at connect: `GET /sites` → `array[0].version` (a captured
 * 2023 R2 answer carries `"version": "23.2.0.1"`, milestonexprotectrestpython on PyPI;
 * 2025 R1 answers `25.1.1804.0`). Null when it cannot be read (then live state is tried).
 */
export async function readServerVersion(api: ConfigApiClient, log: Logger, signal: AbortSignal): Promise<ServerVersion | null> {
  try {
    const sites = await api.getArray('sites', undefined, signal);
    const v = parseServerVersion((sites[0] as { version?: unknown } | undefined)?.version);
    if (v) return v;
  } catch (e) {
    log.warn({ err: describeError(e) }, 'could not read the XProtect version from /sites');
  }
  return null;
}
