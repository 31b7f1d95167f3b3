import { createLogger, sleep, type Logger } from '@edge/platform';
import { startOnGuardSimulator, type OnGuardSimulator, type OnGuardSimulatorOptions } from '@edge/sim-onguard';
import { OpenAccessClient, type OpenAccessClientOptions } from '../src/client/openaccess-client';

export const log: Logger = createLogger({ service: 'test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** A small deterministic site: no random offline/degraded/disabled devices unless a test asks. */
export const SMALL_SITE = { panels: 4, readersPerPanel: 4, alarmPanelsPerPanel: 1, intrusionPanels: 1, areasPerIntrusionPanel: 1, zonesPerIntrusionPanel: 2, recorders: 1, camerasPerRecorder: 3, segments: 2, offlineRatio: 0, degradedRatio: 0, disabledRatio: 0 };

export async function sim(over: OnGuardSimulatorOptions = {}): Promise<OnGuardSimulator> {
  return startOnGuardSimulator({ ...over, site: { ...SMALL_SITE, ...over.site } });
}

export function clientFor(s: OnGuardSimulator, over: Partial<OpenAccessClientOptions> = {}): OpenAccessClient {
  return new OpenAccessClient({
    baseUrl: s.url,
    username: s.credentials.user_name,
    password: s.credentials.password,
    directoryId: s.credentials.directory_id,
    applicationId: s.credentials.application_id,
    requestTimeoutMs: 5_000,
    connectTimeoutMs: 2_000,
    authBackoff: { baseMs: 60_000, capMs: 60_000 },
    log,
    ...over,
  });
}

export async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 120_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await sleep(25);
  }
}
