import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { startNatsServer, testConfig, waitUntil, type TestNatsServer } from '@edge/platform/testing';
import { connectNats, createLogger, provision, provisionOptionsFromConfig, Publisher, startService, requestCommand, type NatsConnection, type RunningService } from '@edge/platform';
import { RawEnvelope, STREAMS } from '@edge/contracts';
import { CollectorRunner, createCollectorModule, RawPublisher, type CollectorHooks, type VendorCollector, type SyncWriter } from '@edge/collector-kit';

const log = createLogger({ service: 'test', level: 'silent' });

/** Test collector: a scripted vendor, standing in for a real one to exercise the kit itself. */
class ScriptedCollector implements VendorCollector {
  readonly vendor = 'testvendor';
  devices = 5;
  failAfter: number | null = null;
  inventoryRuns = 0;
  polls: string[] = [];
  hooks: CollectorHooks | null = null;
  gate: Promise<void> = Promise.resolve();
  constructor(readonly systemId: string) {}
  async start(hooks: CollectorHooks) {
    this.hooks = hooks;
  }
  async stop() {}
  async runInventory(w: SyncWriter) {
    this.inventoryRuns++;
    await this.gate;
    for (let i = 0; i < this.devices; i++) {
      if (this.failAfter !== null && i === this.failAfter) throw new Error('vendor went away');
      await w.device({ key: `d${i}` });
    }
  }
  async pollStatus(raw: RawPublisher, _s: AbortSignal, reason: string) {
    this.polls.push(reason);
    await raw.status({ key: 'd0', online: true }, `poll:${this.polls.length}`);
    return { devices: 1 };
  }
  state() {
    return { connection: 'connected' as const, events: 'subscribed', last_error: null };
  }
}

async function rawEnvelopes(nc: NatsConnection, subject: string): Promise<RawEnvelope[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(STREAMS.raw);
  const out: RawEnvelope[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(STREAMS.raw, { seq }).catch(() => null);
    if (m && m.subject === subject) out.push(RawEnvelope.parse(m.json()));
  }
  return out;
}

describe('collector kit against a real nats-server', () => {
  let srv: TestNatsServer;
  let nc: NatsConnection;
  let pub: Publisher;
  beforeAll(async () => {
    srv = await startNatsServer();
    nc = await connectNats({ url: srv.url, name: 't' }, log);
    await provision(nc, provisionOptionsFromConfig(testConfig(srv.url)));
    pub = new Publisher(nc, log);
  });
  afterAll(async () => {
    await nc?.drain();
    await srv?.dispose();
  });

  it('frames a sync as begin / devices with seq / end with the count, with deterministic msg-ids', async () => {
    const c = new ScriptedCollector('sys-a');
    const raw = new RawPublisher(pub, { vendor: 'testvendor', system_id: 'sys-a', site_id: 'site-test', customer_id: 'cust-test' });
    const r = new CollectorRunner(c, raw, log, { inventoryIntervalMs: 0, statusIntervalMs: 0, syncOnStart: false });
    await r.start();
    const [a, b] = await Promise.all([r.sync('command'), r.sync('command')]);
    expect(a).toBe(b); // single flight
    expect(c.inventoryRuns).toBe(1);
    expect(a).toMatchObject({ devices: 5, complete: true, trigger: 'command', error: null });
    const envs = (await rawEnvelopes(nc, 'raw.testvendor.sys-a.inventory')).filter((e) => e.sync_id === a.sync_id);
    expect(envs.map((e) => [e.kind, e.seq])).toEqual([['sync.begin', 0], ['device', 1], ['device', 2], ['device', 3], ['device', 4], ['device', 5], ['sync.end', 6]]);
    expect(envs[6].payload).toEqual({ count: 5, complete: true });
    expect(envs.every((e) => e.customer_id === 'cust-test' && e.site_id === 'site-test')).toBe(true);
    // Republishing the same sync's messages is deduplicated by the stream.
    const again = await pub.publishJson('raw.testvendor.sys-a.inventory', envs[1], { msgId: `raw:sys-a:${a.sync_id}:d:1` });
    expect(again.duplicate).toBe(true);
    await r.stop();
  });

  it('marks an interrupted sync incomplete so nothing is removed for it', async () => {
    const c = new ScriptedCollector('sys-b');
    c.failAfter = 3;
    const raw = new RawPublisher(pub, { vendor: 'testvendor', system_id: 'sys-b', site_id: 'site-test', customer_id: 'cust-test' });
    const r = new CollectorRunner(c, raw, log, { inventoryIntervalMs: 0, statusIntervalMs: 0, syncOnStart: false });
    await r.start();
    await expect(r.sync('schedule')).rejects.toThrow(/vendor went away/);
    const st = r.status();
    expect(st.last_sync).toMatchObject({ devices: 3, complete: false, error: 'vendor went away' });
    expect(st.last_complete_sync).toBeNull();
    const envs = await rawEnvelopes(nc, 'raw.testvendor.sys-b.inventory');
    expect(envs.at(-1)).toMatchObject({ kind: 'sync.end', payload: { count: 3, complete: false, error: 'vendor went away' } });
    await r.stop();
  });

  it('debounces reconcile requests into one status poll', async () => {
    const c = new ScriptedCollector('sys-c');
    const raw = new RawPublisher(pub, { vendor: 'testvendor', system_id: 'sys-c', site_id: 'site-test', customer_id: 'cust-test' });
    const r = new CollectorRunner(c, raw, log, { inventoryIntervalMs: 0, statusIntervalMs: 0, syncOnStart: false, reconcileDebounceMs: 100 });
    await r.start();
    c.hooks!.requestReconcile('bridge reconnected');
    c.hooks!.requestReconcile('bridge reconnected again');
    await waitUntil('the debounced poll', () => r.status().last_poll !== null);
    expect(c.polls).toEqual(['reconcile: bridge reconnected']);
    expect(r.status().last_poll).toMatchObject({ devices: 1, error: null });
    await r.stop();
  });

  it('serves POST /sync and edge.<site>.cmd.sync through createCollectorModule', async () => {
    const made: ScriptedCollector[] = [];
    const module = createCollectorModule({
      vendor: 'onguard',
      create: (system) => {
        const c = new ScriptedCollector(system.id);
        made.push(c);
        return c;
      },
    });
    const cfg = testConfig(srv.url, {
      systems: [
        { id: 'og-1', vendor: 'onguard', base_url: 'http://127.0.0.1:9', username: 'u', password: 'secret-pw', inventory_interval: '1h', status_interval: '1h' },
        { id: 'xp-1', vendor: 'milestone', base_url: 'http://127.0.0.1:9', username: 'u', password: 'secret-pw' },
      ],
    });
    const svc: RunningService = await startService({ service: 'collector-onguard', module, config: cfg, httpPort: 0 });
    try {
      expect(made.map((c) => c.systemId)).toEqual(['og-1']);
      // The startup sync (jittered ≤ 2 s) first, to its end: last_sync is set when a sync starts, and a
      // sync requested while one runs joins it (single flight), which would make this count 2.
      await waitUntil('the startup sync to finish', async () => {
        const st = (await (await fetch(`http://127.0.0.1:${svc.httpPort}/status`)).json()) as { systems?: Array<{ last_sync: { finished_at: string | null } | null }> };
        return st.systems?.[0]?.last_sync?.finished_at ?? null;
      });
      const res = await fetch(`http://127.0.0.1:${svc.httpPort}/sync`, { method: 'POST', body: JSON.stringify({ system: 'og-1', wait: true }) });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { ok: boolean; results: Array<{ system_id: string; devices: number; complete: boolean }> };
      expect(body).toMatchObject({ ok: true, results: [{ system_id: 'og-1', devices: 5, complete: true }] });
      expect((await fetch(`http://127.0.0.1:${svc.httpPort}/sync`, { method: 'POST', body: JSON.stringify({ system: 'nope' }) })).status).toBe(404);
      const viaNats = await requestCommand<{ ok: boolean; service: string; results: unknown[] }>(nc, 'edge.site-test.cmd.sync', { system: 'og-1', wait: true });
      expect(viaNats).toMatchObject({ ok: true, service: 'collector-onguard' });
      const status = (await (await fetch(`http://127.0.0.1:${svc.httpPort}/status`)).json()) as { systems: Array<{ system_id: string; last_complete_sync: { devices: number } }> };
      expect(status.systems[0]).toMatchObject({ system_id: 'og-1', last_complete_sync: { devices: 5 } });
      expect(JSON.stringify(status)).not.toContain('secret-pw');
      expect(made[0].inventoryRuns).toBe(3);
    } finally {
      await svc.stop();
    }
  });
});
