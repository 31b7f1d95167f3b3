import type { RunningSimulator, SimulatorHarness } from '@edge/collector-kit/vendor';
import { statusOf } from './ledger';
import { startGenetecSimulator, type GenetecSimulator, type GenetecSimulatorOptions } from './server';

const PROFILES: Record<'demo' | 'chaos' | 'test', GenetecSimulatorOptions> = {
  demo: { cameras: 8, doors: 8, heartbeatMs: 5_000 },
  // Slow report pages make an inventory sync last long enough to be interrupted.
  chaos: { cameras: 10, doors: 8, heartbeatMs: 2_000, password: 'sc-Secret-Pass-7c21' },
  test: {},
};

/** Settings of the chaos system: quick reconnects and refusal pauses, every gap reconciled, a silent stream noticed in seconds. */
const CHAOS_FIELDS = { reconnect_base: '500ms', reconnect_cap: '3s', retry_for: '2m', refused_retry_after: '5s', stream_silence: '8s', reconcile_after_gap: '0s' };

/** The Security Center simulator as the demo, the chaos suite and the tests drive it (see VendorDescriptor.simulator). */
export const simulator: SimulatorHarness = {
  async start(o) {
    const sim = await startGenetecSimulator({ ...PROFILES[o.profile], ...(o.port !== undefined ? { port: o.port } : {}) });
    return running(sim, o.profile);
  },
};

function running(sim: GenetecSimulator, profile: 'demo' | 'chaos' | 'test'): RunningSimulator & { native: GenetecSimulator } {
  const c = sim.control;
  const all = () => [...sim.model.byType.values()].flat();
  const device = (e: ReturnType<typeof all>[number]) => ({ key: e.Guid, name: e.Name, expected_status: statusOf(e) });
  return {
    native: sim,
    url: sim.url,
    system: (prefix) => ({
      fields: {
        username: sim.credentials.username,
        password: `\${${prefix}_PASSWORD}`,
        application_id: `\${${prefix}_APPLICATION_ID}`,
        ...(profile === 'chaos' ? CHAOS_FIELDS : {}),
      },
      env: { [`${prefix}_PASSWORD`]: sim.credentials.password, [`${prefix}_APPLICATION_ID`]: sim.credentials.applicationId },
    }),
    devices: () => all().map(device),
    // Cameras raise connection events (CameraSignalLost / CameraSignalRecovered) when they change.
    switchable: () =>
      sim.model
        .list('Camera')
        .filter((e) => !e.maintenance && e.state !== 'warning')
        .map(device),
    setOnline: (key, online) => c.setState(key, online ? 'online' : 'offline'),
    ledger: (after = 0) => c.ledger(after),
    faults: {
      dropEvents: () => c.dropStreams(),
      restart: () => {
        c.setUnavailable(true);
        c.expireSessions();
        c.dropStreams();
      },
      clear: () => {
        c.setUnavailable(false);
        c.silence(false);
        c.setReportDelay(0);
      },
      silenceEvents: () => c.silence(true),
      slowNextSync: () => c.setReportDelay(150),
    },
    close: () => sim.close(),
  };
}
