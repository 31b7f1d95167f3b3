import type { RunningSimulator, SimulatorHarness } from '@edge/collector-kit/vendor';
import { startMilestoneSimulator, type MilestoneSimulator, type MilestoneSimulatorOptions } from './server';

const PROFILES: Record<'demo' | 'chaos' | 'test', MilestoneSimulatorOptions> = {
  demo: { hardware: 16 },
  // Slow driver-settings answers make an inventory sync last long enough to be interrupted.
  chaos: { username: 'svc-edge', password: 'xp-Secret-Pass-1a8f', hardware: 12, recordingServers: 2, driverSettingsDelayMs: 150 },
  test: {},
};

/** The XProtect simulator as the demo, the chaos suite and the tests drive it (see VendorDescriptor.simulator). */
export const simulator: SimulatorHarness = {
  async start(o) {
    const sim = await startMilestoneSimulator({ ...PROFILES[o.profile], ...(o.port !== undefined ? { port: o.port } : {}) });
    return running(sim, o.profile);
  },
};

function running(sim: MilestoneSimulator, profile: 'demo' | 'chaos' | 'test'): RunningSimulator & { native: MilestoneSimulator } {
  const c = sim.control;
  const byKey = (key: string) => {
    const d = c.devices().find((x) => x.key === key);
    if (!d) throw new Error(`no XProtect device ${key}`);
    return d;
  };
  return {
    native: sim,
    url: sim.url,
    system: (prefix) => ({
      fields: {
        username: sim.username,
        password: `\${${prefix}_PASSWORD}`,
        ...(profile === 'chaos' ? { reconnect_base: '500ms', reconnect_cap: '3s', retry_for: '2m', auth_retry_after: '5s' } : {}),
      },
      env: { [`${prefix}_PASSWORD`]: sim.password },
    }),
    devices: () => c.devices().map((d) => ({ key: d.key, name: d.name, expected_status: d.expected_status })),
    switchable: () =>
      c
        .devices()
        .filter((d) => d.resource_type === 'cameras' && d.enabled && (d.expected_status === 'online' || d.expected_status === 'offline'))
        .map((d) => ({ key: d.key, name: d.name, expected_status: d.expected_status })),
    setOnline: (key, online) => {
      const d = byKey(key);
      if (online) c.commRestored(d.resource_type, d.id);
      else c.commError(d.resource_type, d.id);
    },
    ledger: (after = 0) => c.ledger(after).map((e) => ({ seq: e.seq, key: e.key, status: e.status })),
    faults: {
      dropEvents: () => {
        c.refuseResume(1);
        c.dropSockets();
      },
      restart: () => {
        c.expireTokens();
        c.refuseResume(100);
        c.failRequests({ status: 503, count: 1_000_000, scope: 'all' });
        c.dropSockets();
      },
      clear: () => clearFaults(c),
      // XProtect reuses the driver settings of unchanged hardware: a configuration change of every
      // hardware makes the next sync read them again (slowly, as the simulator answers them).
      slowNextSync: () => {
        for (const hw of sim.model.hardware) c.touchHardware(hw.id);
      },
    },
    close: () => sim.close(),
  };
}

/** Ends the request failures (the simulator has no "clear": its fault rules are counted down). */
function clearFaults(c: MilestoneSimulator['control']): void {
  const faults = (c as unknown as { d: { faults: { rules: unknown[]; refuseResume: number } } }).d.faults;
  faults.rules.length = 0;
  faults.refuseResume = 0;
}
