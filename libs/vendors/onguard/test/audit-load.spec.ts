import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CollectorRunner } from '@edge/collector-kit';
import type { OnGuardSimulator } from '@edge/sim-onguard';
import type { OnGuardCollector } from '../src/collector';
import { sim, until } from './helpers';
import { collectorFor, RawTap, startRawPipeline, SYSTEM_ID } from './pipeline';

/**
 * Every UpdateHardwareStatus/GetHardwareStatus is a row in OnGuard's user transaction report; the
 * simulator counts them (`audit_rows`). Counts, not timings.
 */
describe('OnGuard status reads stop flooding the audit log', () => {
  type Pipeline = Awaited<ReturnType<typeof startRawPipeline>>;
  let p: Pipeline;
  let s: OnGuardSimulator;
  let collector: OnGuardCollector;
  let runner: CollectorRunner;
  let st: RawTap;
  beforeAll(async () => {
    p = await startRawPipeline();
  });
  afterAll(async () => {
    await p?.dispose();
  });
  afterEach(async () => {
    await runner?.stop();
    await st?.close();
    await s?.close();
  });

  async function setup(extras: Record<string, unknown> = {}, simOpts: Parameters<typeof sim>[0] = {}) {
    s = await sim(simOpts);
    ({ collector, runner } = collectorFor(s, p.raw, { events: { enabled: false }, ...extras }));
    const since = Date.now();
    st = await RawTap.open(p.nc, 'status', (e) => Date.parse(e.observed_at) >= since);
    await runner.start();
    await runner.sync('command');
  }
  const audit = () => s.control.stats().audit_rows ?? 0;
  const panels = () => s.control.devices('panel').length;
  const statusChildrenOf = (panel: string) => s.control.devices().filter((d) => d.parent_key === `panel:${panel}` && d.status_bits !== null).length;
  async function auditOf(fn: () => Promise<unknown>): Promise<number> {
    const a = audit();
    await fn();
    return audit() - a;
  }

  it('a poll reads the panels only; the readers and modules of a panel only when its status changed', async () => {
    await setup();
    expect(await auditOf(() => runner.poll('schedule'))).toBe(panels());
    s.control.setOnline('panel:3', false, false); // no event: only a poll can see it
    expect(await auditOf(() => runner.poll('schedule'))).toBe(panels() + statusChildrenOf('3'));
    const reader = `onguard:${SYSTEM_ID}:reader:3-2`;
    await st.waitFor((e) => JSON.stringify(e.payload).includes('"ReaderID":2') && JSON.stringify(e.payload).includes('"PanelID":3'), 120_000, `${reader} read`);
    // Another inventory sync right after: panels' status comes from the last reads, devices carry theirs.
    expect(await auditOf(() => runner.sync('command'))).toBeLessThanOrEqual(panels());
    // /status counts the calls per method over the last hour, as the server saw them.
    const calls = (collector.state().details as { session: { calls_last_hour: { by_method: Record<string, number> } } }).session.calls_last_hour.by_method;
    expect(calls['execute_method Lnl_Panel.GetHardwareStatus']).toBe(s.control.stats()['audit Lnl_Panel.GetHardwareStatus']);
    expect(calls['execute_method Lnl_Reader.GetHardwareStatus']).toBe(s.control.stats()['audit Lnl_Reader.GetHardwareStatus']);
  });

  it('the old behaviour (full sweep every pass) costs every device every time; the default is many times cheaper', async () => {
    await setup({ status: { full_sweep_interval: 0, update_settle: 0, concurrency: 8 } });
    const old = await auditOf(() => runner.poll('schedule'));
    expect(old).toBe(s.control.devices().filter((d) => d.status_bits !== null).length + s.control.devices('panel').filter((d) => d.enabled).length);
    await runner.stop();
    await st.close();
    await s.close();
    await setup();
    const now = await auditOf(() => runner.poll('schedule'));
    expect(now * 4).toBeLessThanOrEqual(old);
  });

  it('a bridge gap is recovered from the logged events of the gap: only the devices they name are read, and the change reaches RAW', async () => {
    await setup({ events: { heartbeat_interval: 500, invoke_timeout: 2_000, reconnect_base: 100, reconnect_cap: 500, confirm_delay: 50 } });
    await until(() => collector.state().events === 'subscribed', 120_000, 'subscribed');
    await until(() => runner.status().last_poll !== null, 120_000, 'reconcile after connect');
    const a = audit();
    const before = (collector.state().details as { counters: Record<string, number> }).counters.bridge_reconnects ?? 0;
    s.control.dropBridge('close', 500);
    s.control.setOnline('reader:2-3', false);
    // A live event right after the reconnect (before the reconcile runs) must not hide the gap.
    await until(() => ((collector.state().details as { counters: Record<string, number> }).counters.bridge_reconnects ?? 0) > before, 120_000, 'reconnected');
    s.control.setOnline('reader:1-1', false);
    const reader = `"ReaderID":3`;
    await st.waitFor((e) => /reconcile: event bridge reconnected/.test(String((e.payload as { reason?: string }).reason)) && JSON.stringify(e.payload).includes(reader), 120_000, 'gap change in RAW');
    // Each named reader and its panel; a reader named live and again in the gap read twice at most.
    expect(audit() - a).toBeLessThanOrEqual(6);
    expect(collector.counters.get('gap_recoveries_from_logged_events')).toBeGreaterThanOrEqual(1);
  });

  it('a server whose /logged_events cannot filter by serial: the gap is recovered from the panels, never a sweep of every reader', async () => {
    await setup({ events: { heartbeat_interval: 500, invoke_timeout: 2_000, reconnect_base: 100, reconnect_cap: 500, confirm_delay: 50 } }, { loggedEventsSerialFilter: false });
    await until(() => collector.state().events === 'subscribed', 120_000, 'subscribed');
    await until(() => runner.status().last_poll !== null, 120_000, 'reconcile after connect');
    const polls = runner.counters.get('polls_started') ?? 0;
    const a = audit();
    s.control.dropBridge('close', 500);
    s.control.setOnline('panel:4', false);
    await until(() => (runner.counters.get('polls_started') ?? 0) > polls && runner.status().last_poll?.reason === 'reconcile: event bridge reconnected', 120_000, 'reconcile after reconnect');
    await until(() => !runner.status().syncing && runner.status().last_poll !== null, 120_000, 'poll done');
    expect(audit() - a).toBe(panels() + statusChildrenOf('4'));
    expect(JSON.stringify(collector.state().details)).toContain('"logged_events":"unsupported"');
  });
});
