import type { RunningSimulator, SimulatorHarness } from '@edge/collector-kit/vendor';
import { startOnGuardSimulator, type OnGuardSimulator, type OnGuardSimulatorOptions } from './index';

/** The sites of each profile: the demo's, the chaos suite's (offline devices, an alarm panel per panel). */
const PROFILES: Record<'demo' | 'chaos' | 'test', OnGuardSimulatorOptions> = {
  demo: { site: { panels: 6, readersPerPanel: 6, recorders: 2, camerasPerRecorder: 6 } },
  chaos: {
    users: [{ user_name: 'svc-edge', password: 'og-Secret-Pass-93c1', directory_id: 'id-1', user_id: 7, first_name: 'Edge', last_name: 'Service' }],
    applicationIds: ['OG-APP-ID-5d2e77'],
    site: { panels: 6, readersPerPanel: 6, alarmPanelsPerPanel: 1, recorders: 1, camerasPerRecorder: 4, offlineRatio: 0.1 },
  },
  test: {},
};

/** The OnGuard simulator as the demo, the chaos suite and the tests drive it (see VendorDescriptor.simulator). */
export const simulator: SimulatorHarness = {
  async start(o) {
    const sim = await startOnGuardSimulator({ ...PROFILES[o.profile], ...(o.port !== undefined ? { port: o.port } : {}) });
    return running(sim, o.profile);
  },
};

function running(sim: OnGuardSimulator, profile: 'demo' | 'chaos' | 'test'): RunningSimulator & { native: OnGuardSimulator } {
  const c = sim.control;
  return {
    native: sim,
    url: sim.url,
    system: (prefix) => ({
      fields: {
        username: sim.credentials.user_name,
        password: `\${${prefix}_PASSWORD}`,
        directory_id: sim.credentials.directory_id,
        application_id: `\${${prefix}_APP_ID}`,
        // The chaos suite measures recovery: quick reconnects, no keep-alive noise.
        ...(profile === 'chaos' ? { session: { keepalive_interval: '1h' }, events: { reconnect_base: '500ms', reconnect_cap: '3s' } } : {}),
      },
      env: { [`${prefix}_PASSWORD`]: sim.credentials.password, [`${prefix}_APP_ID`]: sim.credentials.application_id },
    }),
    devices: () => c.devices().map((d) => ({ key: d.canonical_key, name: d.name, expected_status: d.expected_status })),
    switchable: () =>
      c
        .devices('reader')
        .filter((d) => d.enabled && (d.expected_status === 'online' || d.expected_status === 'offline'))
        .map((d) => ({ key: d.canonical_key, name: d.name, expected_status: d.expected_status })),
    setOnline: (key, online) => c.setOnline(key, online),
    ledger: (after = 0) => c.ledger(after).map((e) => ({ seq: e.seq, key: e.canonical_key, status: e.status })),
    faults: {
      dropEvents: () => c.dropBridge('close', 2_000),
      silenceEvents: () => c.dropBridge('silent', 3_600_000),
      restart: () => {
        c.invalidateSessions();
        c.fail(503, 1_000_000);
        c.dropBridge('close', 3_600_000);
      },
      clear: () => {
        c.clearFaults();
        c.restoreBridge();
      },
    },
    close: () => sim.close(),
  };
}
