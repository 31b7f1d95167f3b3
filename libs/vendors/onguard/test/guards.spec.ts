import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EventsConfig } from '../src/config';
import { EventBridge } from '../src/event-bridge/event-bridge';
import { SubscriptionKeeper } from '../src/event-bridge/subscription-keeper';
import type { OpenAccessClient } from '../src/client/openaccess-client';
import { discoverTypes } from '../src/inventory';
import { clientFor, log, sim, until } from './helpers';
import type { OnGuardSimulator } from '@edge/sim-onguard';

const ok = z.unknown();

/**
 * OnGuard's certificate is issued to the server's machine name ("the OpenAccess - Host field must
 * contain the PC name … IP address or FQDN … will not work", Milestone XPA docs,
 * mjt-milestone/XPALenelS2DocSite MCConfig/ConnectionProperties.md); an edge box often reaches it
 * by IP. The simulator serves such a certificate (machine name OGSERVER only).
 */
describe('TLS to a server known by IP: servername or a pinned fingerprint, never insecure', () => {
  let s: OnGuardSimulator;
  let c: OpenAccessClient | null = null;
  let bridge: EventBridge | null = null;
  afterEach(async () => {
    await bridge?.stop();
    bridge = null;
    await c?.close();
    c = null;
    await s?.close();
  });

  it('with the CA alone, the IP does not match the certificate; servername checks the machine name instead', async () => {
    s = await sim({ tls: 'machine-name' });
    c = clientFor(s, { tls: { ca_file: s.caFile! } });
    await expect(c.sessionToken()).rejects.toMatchObject({ code: 'onguard_tls' });
    await c.close();
    c = clientFor(s, { tls: { ca_file: s.caFile!, servername: 'OGSERVER' } });
    await c.sessionToken();
    await c.request({ method: 'GET', path: '/keepalive', schema: ok });
  });

  it('a pinned fingerprint is enough (self-signed chain, no CA file); a wrong one never gets the password', async () => {
    s = await sim({ tls: 'machine-name' });
    c = clientFor(s, { tls: { fingerprint_sha256: s.fingerprint256! } });
    await c.sessionToken();
    expect(s.control.stats().logins).toBe(1);
    // The event bridge (negotiate over HTTPS, then a WebSocket) goes through the same pin.
    bridge = new EventBridge({
      client: c,
      url: `${s.apiUrl}/eventbridge`,
      cfg: EventsConfig.parse({ heartbeat_interval: 200, invoke_timeout: 2_000, reconnect_base: 100, reconnect_cap: 500 }),
      tls: { fingerprint256: s.fingerprint256! },
      log,
      onEvent: () => undefined,
      onConnected: () => undefined,
    });
    bridge.start(new SubscriptionKeeper(c, null, { description: 'edge test', filter: '', site: 's', system: 'og' }, log));
    await until(() => bridge!.state().state === 'subscribed', 120_000, 'bridge subscribed through the pin');
    expect(bridge.state().transport).toBe('webSockets');
    await bridge.stop();
    bridge = null;
    await c.close();

    const wrong = s.fingerprint256!.replace(/^[0-9A-F]{2}/, (x) => (x === '00' ? '11' : '00'));
    c = clientFor(s, { tls: { fingerprint_sha256: wrong } });
    await expect(c.sessionToken()).rejects.toMatchObject({ code: 'onguard_tls' });
    expect(s.control.stats().logins).toBe(1);
  });
});

describe('cameras', () => {
  let s: OnGuardSimulator;
  let c: OpenAccessClient;
  afterEach(async () => {
    await c?.close();
    await s?.close();
  });

  it('GetHardwareStatus is used on Lnl_Camera only when /type lists it', async () => {
    for (const cameraStatus of [false, true]) {
      s = await sim({ cameraStatus });
      c = clientFor(s);
      const caps = await discoverTypes(c, ['Lnl_Camera'], log);
      expect(caps.get('Lnl_Camera')?.hasStatusMethod).toBe(cameraStatus);
      await c.close();
      await s.close();
    }
  });
});
