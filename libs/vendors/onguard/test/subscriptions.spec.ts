import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStateStore } from '@edge/platform';
import type { OnGuardSimulator } from '@edge/sim-onguard';
import { EventsConfig } from '../src/config';
import type { OpenAccessClient } from '../src/client/openaccess-client';
import { EventBridge } from '../src/event-bridge/event-bridge';
import { SubscriptionKeeper } from '../src/event-bridge/subscription-keeper';
import { clientFor, log, sim, until } from './helpers';

const cfg = EventsConfig.parse({ heartbeat_interval: 200, invoke_timeout: 1_000, reconnect_base: 5, reconnect_cap: 20, bus_lost_grace: 5_000 });
const ident = { description: cfg.description, filter: cfg.filter, site: 'site-test', system: 'og-test' };

/** Event subscriptions are server resources: created once, reused, removed on a clean stop (§5.2). */
describe('OnGuard event subscription lifecycle', () => {
  let s: OnGuardSimulator;
  const open: Array<{ bridge: EventBridge; c: OpenAccessClient }> = [];
  afterEach(async () => {
    for (const o of open.splice(0)) {
      await o.bridge.stop();
      await o.c.close();
    }
    await s?.close();
  });

  function start(store: MemoryStateStore) {
    const c = clientFor(s);
    let connects = 0;
    const bridge = new EventBridge({ client: c, url: `${s.apiUrl}/eventbridge`, cfg, log, onEvent: () => undefined, onConnected: () => connects++ });
    bridge.start(new SubscriptionKeeper(c, store, ident, log));
    const h = { bridge, c, connects: () => connects };
    open.push(h);
    return h;
  }

  it('100 event-stream drops leave exactly one live subscription on the server', async () => {
    s = await sim({ maxSubscriptions: 5 });
    const h = start(new MemoryStateStore());
    await until(() => h.connects() === 1, 120_000, 'subscribed');
    for (let i = 1; i <= 100; i++) {
      s.control.dropBridge('close', 0);
      await until(() => h.connects() === i + 1, 120_000, `reconnect ${i}`);
    }
    const st = s.control.stats();
    expect(st.subscriptions_live).toBe(1);
    expect(st.subscriptions_created).toBe(1);
    expect(st.subscriptions_refused ?? 0).toBe(0);
    expect(h.bridge.state().state).toBe('subscribed');
  });

  it('a restart reuses the kept subscription; subscriptions it left behind earlier are removed; a clean stop deletes it', async () => {
    s = await sim();
    const store = new MemoryStateStore();
    const first = start(store);
    await until(() => first.connects() === 1, 120_000, 'subscribed');
    const kept = first.bridge.state().subscription_id;
    // A crash: no clean stop, the id stays in the durable state.
    open.splice(0);
    await first.c.close(false);
    // Two more left behind by earlier runs whose state was lost (same description).
    const c = clientFor(s);
    for (let i = 0; i < 2; i++) await c.request({ method: 'POST', path: '/event_subscriptions', body: { description: new SubscriptionKeeper(c, null, ident, log).description, filter: cfg.filter, is_durable: false }, schema: (await import('zod')).z.unknown() });
    await c.close();
    expect(s.control.stats().subscriptions_live).toBe(3);

    const second = start(store);
    await until(() => second.connects() === 1, 120_000, 'subscribed after restart');
    expect(second.bridge.state().subscription_id).toBe(kept);
    await until(() => s.control.stats().subscriptions_live === 1, 120_000, 'stale subscriptions removed');
    expect(s.control.stats().subscriptions_created).toBe(3);

    open.splice(0);
    await second.bridge.stop();
    await second.c.close();
    expect(s.control.stats().subscriptions_live).toBe(0);
    expect(await store.get('event_subscription')).toBeNull();
  });

  it('hub error codes are matched anywhere in the error data: an expired session re-logs in instead of looping', async () => {
    s = await sim({ bridge: { errorData: 'wrapped' } });
    const h = start(new MemoryStateStore());
    await until(() => h.connects() === 1, 120_000, 'subscribed');
    s.control.invalidateSessions();
    await until(() => h.bridge.counters.get('relogins') === 1, 120_000, 're-login on the wrapped code');
    await until(() => (s.control.stats().heartbeats ?? 0) >= 2, 120_000, 'heartbeats after re-login');
    expect(h.connects()).toBe(1);
    expect(s.control.stats().subscriptions_live).toBe(1);
  });

  it('a subscription deleted on the server is created anew, once', async () => {
    s = await sim();
    const h = start(new MemoryStateStore());
    await until(() => h.connects() === 1, 120_000, 'subscribed');
    s.control.failHubInvocations('system.not_found', 1);
    await until(() => h.connects() === 2, 120_000, 'subscribed again');
    expect(s.control.stats().subscriptions_created).toBe(2);
    expect(s.control.stats().subscriptions_live).toBe(1);
  });
});
