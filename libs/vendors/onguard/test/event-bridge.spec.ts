import { afterEach, describe, expect, it } from 'vitest';
import type { OnGuardSimulator } from '@edge/sim-onguard';
import { EventsConfig } from '../src/config';
import type { OpenAccessClient } from '../src/client/openaccess-client';
import { EventBridge } from '../src/event-bridge/event-bridge';
import { SubscriptionKeeper } from '../src/event-bridge/subscription-keeper';
import { compileEventRules, readHardwareEvent } from '../src/event-bridge/hardware-event';
import * as fx from '../src/fixtures/openaccess';
import { clientFor, log, sim, until } from './helpers';

const cfg = (over: Record<string, unknown> = {}) =>
  EventsConfig.parse({ heartbeat_interval: 200, invoke_timeout: 1_000, reconnect_base: 100, reconnect_cap: 500, bus_lost_grace: 5_000, confirm_delay: 0, ...over });

describe('hardware events read tolerantly (§5.4/§5.5)', () => {
  const rules = compileEventRules(cfg());
  const table: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
    ['reference shape: Communications Lost on a panel', fx.commLostEvent, { panelId: 3, deviceId: 0, verdict: 'lost', timestamp: '2026-01-15T15:14:30.000Z', eventId: '1536064546', unknownKeys: [] }],
    ['restored, alternate key spellings', { business_event_class: 'hardware_event', PanelID: '7', DeviceID: 2, Time: '2026-01-15T10:00:00Z', Description: 'Communications Restored' }, { panelId: 7, deviceId: 2, verdict: 'restored' }],
    ['suspect text → confirm only', { panel_id: 1, description: 'Reader Tamper' }, { verdict: 'suspect' }],
    ['offline text without "communications" is suspect, not lost', { panel_id: 1, device_id: 3, description: 'Read Head Offline' }, { verdict: 'suspect' }],
    ['access events are ignored', { panel_id: 1, device_id: 3, description: 'Access Granted' }, { verdict: 'ignore' }],
    ['no panel → ignored', { description: 'Communications Lost' }, { verdict: 'ignore' }],
    ['unknown keys are reported', { panel_id: 1, description: 'Communications Lost', weird_field: 1 }, { unknownKeys: ['weird_field'] }],
  ];
  for (const [name, ev, want] of table) it(name, () => expect(readHardwareEvent(ev, rules)).toMatchObject(want));

  it('field names and texts come from config', () => {
    const r = compileEventRules(cfg({ fields: { panel: ['ctrl'] }, lost_pattern: 'link down', restored_pattern: 'link up' }));
    expect(readHardwareEvent({ ctrl: 4, description: 'Link Down' }, r)).toMatchObject({ panelId: 4, verdict: 'lost' });
  });
});

describe('Web Event Bridge (SignalR 2 hub Outbound) against the simulator', () => {
  let s: OnGuardSimulator;
  let c: OpenAccessClient;
  let bridge: EventBridge;
  let events: Array<Record<string, unknown>>;
  let connected: string[];
  afterEach(async () => {
    await bridge?.stop();
    await c?.close();
    await s?.close();
  });

  function start(over: Record<string, unknown> = {}) {
    events = [];
    connected = [];
    c = clientFor(s);
    bridge = new EventBridge({
      client: c,
      url: `${s.apiUrl}/eventbridge`,
      cfg: cfg(over),
      log,
      onEvent: (e) => events.push(e),
      onConnected: (r) => connected.push(r),
    });
    bridge.start(new SubscriptionKeeper(c, null, { description: 'edge test', filter: cfg(over).filter, site: 'site-test', system: 'og-test' }, log));
  }

  it('subscribes over WebSockets, heartbeats, and delivers hardware events', async () => {
    s = await sim();
    start();
    await until(() => connected.length === 1, 120_000, 'subscribed');
    expect(bridge.state()).toMatchObject({ state: 'subscribed', transport: 'webSockets' });
    s.control.setOnline('panel:2', false);
    await until(() => events.length >= 1, 120_000, 'event');
    expect(events[0]).toMatchObject({ business_event_class: 'hardware_event', controller_id: 2, device_id: 0, description: 'Communications Lost' });
    await until(() => (s.control.stats().heartbeats ?? 0) >= 2, 120_000, 'heartbeats');
    expect(connected).toEqual(['event bridge connected']);
  });

  it('falls back to long polling when the server offers no WebSockets', async () => {
    s = await sim({ bridge: { webSockets: false, longPollTimeoutMs: 1_000 } });
    start();
    await until(() => connected.length === 1, 120_000, 'subscribed');
    expect(bridge.state().transport).toBe('longPolling');
    s.control.setOnline('reader:1-2', false);
    await until(() => events.some((e) => e.device_id === 2 && e.description === 'Communications Lost'), 120_000, 'event over long polling');
    await until(() => (s.control.stats().heartbeats ?? 0) >= 2, 120_000, 'heartbeats over /send');
  });

  it('logs in again once on the HubException invalidsessiontoken and keeps the subscription', async () => {
    s = await sim();
    start();
    await until(() => connected.length === 1, 120_000, 'subscribed');
    s.control.invalidateSessions();
    await until(() => bridge.counters.get('relogins') === 1, 120_000, 're-login');
    await until(() => (s.control.stats().heartbeats ?? 0) >= 2, 120_000, 'heartbeats after re-login');
    expect(connected).toHaveLength(1);
    expect(s.control.stats().logins).toBe(2);
  });

  it('subscribes again after system.not_found and reconnects after the bridge is cut, reporting each gap', async () => {
    s = await sim();
    start();
    await until(() => connected.length === 1, 120_000, 'subscribed');
    s.control.failHubInvocations('system.not_found', 1);
    await until(() => connected.length === 2, 120_000, 'new subscription');
    s.control.dropBridge('close', 300);
    await until(() => connected.length === 3, 120_000, 'reconnect after drop');
    expect(connected.slice(1)).toEqual(['event bridge reconnected', 'event bridge reconnected']);
    // A new subscription only where the server said the old one is gone; the drop reuses it.
    expect(s.control.stats().subscriptions_created).toBe(2);
    expect(s.control.stats().subscriptions_live).toBe(1);

  });

  it('treats a lost message bus as a gap (both callback spellings) and a silent server as lost', async () => {
    for (const cb of ['OnConnectionToMessageBusLost', 'OnConnectionFromMessageBusLost'] as const) {
      s = await sim({ bridge: { busLostCallback: cb } });
      start();
      await until(() => connected.length === 1, 120_000, 'subscribed');
      s.control.dropBridge('bus-lost', 400);
      await until(() => bridge.state().state === 'bus_lost', 120_000, `bus lost via ${cb}`);
      await until(() => connected.includes('message bus restored'), 120_000, 'bus restored');
      await bridge.stop();
      await c.close();
      await s.close();
    }
    s = await sim();
    start();
    await until(() => connected.length === 1, 120_000, 'subscribed');
    s.control.dropBridge('silent', 1_500);
    await until(() => connected.length === 2, 120_000, 'reconnect after a silent server');
  });

  it('logs OnExceptionRaised and re-logs in when it names the session', async () => {
    s = await sim();
    start();
    await until(() => connected.length === 1, 120_000, 'subscribed');
    s.control.raiseBridgeException('Session expired', 'openaccess.general.invalidsessiontoken');
    await until(() => bridge.counters.get('exceptions_raised') === 1, 120_000, 'exception seen');
    await until(() => s.control.stats().logins === 2, 120_000, 're-login');
  });
});
