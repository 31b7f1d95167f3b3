import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Device, mapContextOf, type RawEnvelope } from '@edge/contracts';
import type { CollectorRunner } from '@edge/collector-kit';
import type { DeviceTruth, OnGuardSimulator } from '@edge/sim-onguard';
import { onguardMapper } from '@edge/vendor-onguard/mapper';
import type { OnGuardCollector } from '../src/collector';
import { sim, until } from './helpers';
import { collectorFor, RawTap, startRawPipeline, SYSTEM_ID } from './pipeline';

type Pipeline = Awaited<ReturnType<typeof startRawPipeline>>;

const idOf = (t: DeviceTruth) => `onguard:${SYSTEM_ID}:${t.canonical_key}`;

function mapDevices(envs: RawEnvelope[]): Map<string, Device> {
  const out = new Map<string, Device>();
  for (const e of envs.filter((x) => x.kind === 'device')) {
    const d = onguardMapper.mapDevice(onguardMapper.deviceSchema.parse(e.payload), mapContextOf(e));
    expect(out.has(d.id), `device ${d.id} published twice`).toBe(false);
    out.set(d.id, Device.parse(d));
  }
  return out;
}

function statusOf(envs: RawEnvelope[], deviceId: string, filter: (e: RawEnvelope) => boolean = () => true) {
  return envs
    .filter((e) => e.kind === 'status' && filter(e))
    .flatMap((e) => onguardMapper.mapStatus(onguardMapper.statusSchema.parse(e.payload), mapContextOf(e)))
    .filter((o) => o.device_id === deviceId);
}

describe('OnGuard collector → RAW (real nats-server, simulator)', () => {
  let p: Pipeline;
  let s: OnGuardSimulator;
  let collector: OnGuardCollector;
  let runner: CollectorRunner;
  let inv: RawTap;
  let st: RawTap;

  beforeAll(async () => {
    p = await startRawPipeline();
  });
  afterAll(async () => {
    await p?.dispose();
  });
  afterEach(async () => {
    await runner?.stop();
    await inv?.close();
    await st?.close();
    await s?.close();
  });

  async function setup(extras: Record<string, unknown> = {}, simOpts: Parameters<typeof sim>[0] = {}) {
    s = await sim(simOpts);
    ({ collector, runner } = collectorFor(s, p.raw, extras));
    const since = Date.now();
    // Each test reads only what it produced (the stream is shared by the file's tests).
    inv = await RawTap.open(p.nc, 'inventory', (e) => Date.parse(e.observed_at) >= since);
    st = await RawTap.open(p.nc, 'status', (e) => Date.parse(e.observed_at) >= since);
    await runner.start();
  }

  it('a full inventory reaches RAW once per device, and maps to what the simulator holds', async () => {
    await setup({ events: { enabled: false } });
    s.control.setEnabled('panel:2', false);
    s.control.setOnline('reader:3-2', false);
    s.control.setBits('reader:1-3', 0x2000000, 0);
    s.control.setOnline('panel:4', false);
    const report = await runner.sync('command');
    expect(report.complete).toBe(true);
    const end = await inv.waitFor((e) => e.kind === 'sync.end' && e.sync_id === report.sync_id);
    expect(end.payload).toMatchObject({ count: report.devices, complete: true });
    const envs = inv.envelopes.filter((e) => e.sync_id === report.sync_id);
    const devices = mapDevices(envs);
    const truth = s.control.devices();
    expect(devices.size).toBe(truth.length);
    expect(envs.filter((e) => e.kind === 'device').map((e) => e.seq)).toEqual(Array.from({ length: truth.length }, (_, i) => i + 1));
    for (const t of truth) {
      const d = devices.get(idOf(t));
      expect(d, `missing ${idOf(t)}`).toBeDefined();
      expect({ name: d!.name, type: d!.type, ip: d!.ip, hostname: d!.hostname, location: d!.location, status: d!.status, parent: d!.parent_id, mac: d!.mac_address }).toEqual({
        name: t.name,
        type: t.type,
        ip: t.ip,
        hostname: t.hostname,
        location: t.segment,
        status: t.expected_status,
        parent: t.parent_key ? `onguard:${SYSTEM_ID}:${t.parent_key}` : null,
        mac: null,
      });
    }
    expect(devices.get(`onguard:${SYSTEM_ID}:panel:2`)!.status).toBe('disabled');
    expect(devices.get(`onguard:${SYSTEM_ID}:reader:1-3`)!.status).toBe('degraded');
    expect(devices.get(`onguard:${SYSTEM_ID}:reader:4-1`)!.status).toBe('offline');
  });

  it('a panel going offline reaches RAW as a status message, then confirmed for the panel and its readers', async () => {
    await setup();
    await runner.sync('command');
    await until(() => collector.state().events === 'subscribed', 120_000, 'bridge subscribed');
    s.control.setOnline('panel:1', false);
    const ev = await st.waitFor((e) => (e.payload as { source?: string }).source === 'event', 120_000, 'event status message');
    expect(onguardMapper.mapStatus(onguardMapper.statusSchema.parse(ev.payload), mapContextOf(ev))).toMatchObject([
      { device_id: `onguard:${SYSTEM_ID}:panel:1`, status: 'offline', observed_via: 'event', reason: 'Communications Lost' },
    ]);
    // The panel's read (the event's confirmation, or the reconcile after connect if it came first)
    // shows a change, so its readers are read too: once, by whichever read came first.
    const isRead = (e: RawEnvelope) => (e.payload as { source?: string }).source === 'hardware_status';
    const isConfirm = (e: RawEnvelope) => (e.payload as { via?: string }).via === 'event';
    await until(() => statusOf(st.envelopes, `onguard:${SYSTEM_ID}:reader:1-4`, isRead).length > 0, 120_000, 'confirmed child');
    expect(statusOf(st.envelopes, `onguard:${SYSTEM_ID}:panel:1`, isRead).at(-1)).toMatchObject({ status: 'offline' });
    expect(statusOf(st.envelopes, `onguard:${SYSTEM_ID}:reader:1-4`, isRead)).toMatchObject([{ status: 'offline', reason: 'panel 1 offline (communications lost)' }]);
    // A reader-level change: the event names the reader, the confirming read decides (degraded).
    s.control.setBits('reader:2-2', 0x2000000, 0);
    await until(() => statusOf(st.envelopes, `onguard:${SYSTEM_ID}:reader:2-2`, isConfirm).some((o) => o.status === 'degraded'), 120_000, 'read head offline confirmed');
  });

  it('session expiry in the middle of a sync: it recovers, complete, without duplicates or gaps', async () => {
    await setup({ events: { enabled: false }, inventory: { page_size: 5 } }, { site: { panels: 12, readersPerPanel: 6 } });
    s.control.expireSessions(25);
    const report = await runner.sync('command');
    expect(report.complete).toBe(true);
    await inv.waitFor((e) => e.kind === 'sync.end' && e.sync_id === report.sync_id);
    const devices = mapDevices(inv.envelopes.filter((e) => e.sync_id === report.sync_id));
    expect([...devices.keys()].sort()).toEqual(s.control.devices().map(idOf).sort());
    expect(s.control.stats().logins).toBeGreaterThanOrEqual(2);
    expect(collector.client.counters.get('relogins')).toBeGreaterThanOrEqual(1);
  });

  it('bridge drop → the reconcile poll after reconnect catches a change made while disconnected', async () => {
    await setup();
    await runner.sync('command');
    await until(() => collector.state().events === 'subscribed', 120_000, 'bridge subscribed');
    await until(() => runner.status().last_poll !== null, 120_000, 'reconcile after connect done');
    const reader = `onguard:${SYSTEM_ID}:reader:2-3`;
    s.control.dropBridge('close', 1_000);
    s.control.setOnline('reader:2-3', false); // its event goes nowhere: the bridge is down
    const isReconcile = (e: RawEnvelope) => /reconcile: event bridge reconnected/.test(String((e.payload as { reason?: string }).reason));
    await until(() => statusOf(st.envelopes, reader, isReconcile).length > 0, 120_000, 'reconcile poll after reconnect');
    expect(statusOf(st.envelopes, reader, isReconcile)[0]).toMatchObject({ status: 'offline', observed_via: 'poll' });
    expect(s.control.stats().events_lost_in_gap).toBeGreaterThanOrEqual(1);
  });

  it('licence revoked: clear status, and the server is not hammered', async () => {
    await setup();
    await runner.sync('command');
    await until(() => collector.state().events === 'subscribed', 120_000, 'bridge subscribed');
    await until(() => runner.status().last_poll !== null, 120_000, 'reconcile after connect done');
    const before = s.control.stats();
    s.control.setLicensed(false);
    await expect(runner.sync('command')).rejects.toThrow(/licen/i);
    for (let i = 0; i < 5; i++) {
      await runner.sync('command').catch(() => undefined);
      await runner.poll('test');
    }
    await new Promise((r) => setTimeout(r, 1_500)); // heartbeats and reconnect attempts would show here
    const after = s.control.stats();
    const state = runner.status();
    expect(state.state.connection).toBe('auth_failed');
    expect(state.last_error).toMatch(/licen/i);
    expect(after.logins - before.logins).toBe(0);
    // At most one refused REST call and a refused heartbeat or two before everything waits.
    expect(after.licence_refusals ?? 0).toBeLessThanOrEqual(2);
    expect(after.requests - before.requests).toBeLessThanOrEqual(2);
    expect((after.negotiations ?? 0) - (before.negotiations ?? 0)).toBe(0);
    expect(state.state.events).toBe('auth_blocked');
  });
});
