import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceOptions, startService, type RunningService } from '@edge/platform';
import { startNatsServer, testConfig, type TestNatsServer } from '@edge/platform/testing';
import { startOnGuardSimulator, type OnGuardSimulator } from '@edge/sim-onguard';
import { collectorDefinition } from '@edge/collector-kit';
import { onguardVendor } from '@edge/vendor-onguard';

const SITE = { panels: 3, readersPerPanel: 3, alarmPanelsPerPanel: 1, intrusionPanels: 0, recorders: 1, camerasPerRecorder: 2, offlineRatio: 0, degradedRatio: 0, disabledRatio: 0 };

interface SystemStatus {
  system_id: string;
  state: { connection: string; events: string; last_error: string | null; details: Record<string, unknown> };
  last_sync: { complete: boolean | null; devices: number } | null;
}

async function until(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('collector-onguard service', () => {
  let nats: TestNatsServer;
  let sim: OnGuardSimulator;
  let svc: RunningService;
  const http = (path: string, init?: RequestInit) => fetch(`http://127.0.0.1:${svc.httpPort}${path}`, init).then((r) => r.json() as Promise<Record<string, unknown>>);
  const systems = async () => ((await http('/status')).systems ?? []) as SystemStatus[];

  beforeAll(async () => {
    [nats, sim] = await Promise.all([startNatsServer(), startOnGuardSimulator({ site: SITE })]);
    const config = testConfig(nats.url, {
      systems: [
        {
          id: 'og-svc',
          vendor: 'onguard',
          base_url: sim.url,
          username: sim.credentials.user_name,
          password: sim.credentials.password,
          application_id: sim.credentials.application_id,
          directory_id: 'id-1',
          status: { update_settle: 0 },
          events: { heartbeat_interval: 500 },
        },
      ],
    });
    svc = await startService(await serviceOptions(collectorDefinition(onguardVendor), config, { httpPort: 0 }));
  });
  afterAll(async () => {
    await svc?.stop();
    await sim?.close();
    await nats?.dispose();
  });

  it('syncs on start and shows connection, events, last sync and counts on /status, without secrets', async () => {
    await until(async () => (await systems())[0]?.last_sync?.complete === true, 120_000, 'startup sync');
    await until(async () => (await systems())[0]?.state.events === 'subscribed', 120_000, 'bridge subscribed');
    const [s] = await systems();
    expect(s).toMatchObject({ system_id: 'og-svc', state: { connection: 'connected', events: 'subscribed', last_error: null } });
    expect(s.last_sync!.devices).toBe(sim.control.devices().length);
    const text = JSON.stringify(await http('/status'));
    expect(text).not.toContain(sim.credentials.password);
    expect(text).not.toContain(sim.credentials.application_id);
    expect((await fetch(`http://127.0.0.1:${svc.httpPort}/readyz`)).status).toBe(200);
  });

  it('POST /sync runs an inventory on command', async () => {
    const r = await http('/sync', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ system: 'og-svc', wait: true }) });
    expect(r).toMatchObject({ ok: true, results: [{ system_id: 'og-svc', complete: true, devices: sim.control.devices().length }] });
  });
});
