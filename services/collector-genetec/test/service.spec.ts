import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceOptions, startService, type RunningService, type SystemConfig } from '@edge/platform';
import { startNatsServer, testConfig, waitUntil, type TestNatsServer } from '@edge/platform/testing';
import { startGenetecSimulator, type GenetecSimulator } from '@edge/sim-genetec';
import { collectorDefinition } from '@edge/collector-kit';
import { genetecVendor } from '@edge/vendor-genetec';

let nats: TestNatsServer;
let sim: GenetecSimulator;
let svc: RunningService;

beforeAll(async () => {
  nats = await startNatsServer();
  sim = await startGenetecSimulator({ cameras: 8, doors: 4 });
  const cfg = testConfig(nats.url);
  // testConfig validates without the vendor list: the system is added as the loaded config (with
  // the vendor list) would carry it.
  cfg.systems.push({
    id: 'sc-svc',
    vendor: 'genetec',
    base_url: sim.url,
    username: sim.credentials.username,
    password: sim.credentials.password,
    application_id: sim.credentials.applicationId,
    enabled: true,
    inventory_interval: 3_600_000,
    status_interval: 3_600_000,
    tls: { insecure: false },
  } as SystemConfig);
  svc = await startService(await serviceOptions(collectorDefinition(genetecVendor), cfg, { httpPort: 0 }));
});

afterAll(async () => {
  await svc?.stop();
  await sim?.close();
  await nats?.dispose();
});

const status = async () => (await (await fetch(`http://127.0.0.1:${svc.httpPort}/status`)).json()) as { systems: Array<Record<string, unknown> & { state: { connection: string } }> };

describe('collector-genetec service', () => {
  it('runs one collector per genetec system: /status, POST /sync, no secret in what it shows', async () => {
    await waitUntil('the startup sync finished and the stream is subscribed', async () => {
      const s = (await status()).systems[0] as { last_sync: { finished_at: string | null } | null; state: { connection: string } };
      return s?.last_sync?.finished_at && s.state.connection === 'connected';
    });
    const res = await fetch(`http://127.0.0.1:${svc.httpPort}/sync`, { method: 'POST', body: JSON.stringify({ system: 'sc-svc', wait: true }) });
    expect(await res.json()).toMatchObject({ ok: true, results: [{ system_id: 'sc-svc', devices: sim.model.size, complete: true }] });
    const shown = JSON.stringify(await status());
    expect(shown).not.toContain(sim.credentials.password);
    expect(shown).not.toContain(sim.credentials.applicationId);
  });
});
