import { parseArgs } from 'node:util';
import { startOnGuardSimulator } from './index';

/**
 * CLI: `npx tsx services/simulators/onguard/src/main.ts --port 8443 --panels 10 --readers-per-panel 8 --tls`.
 * Prints one JSON line with the URLs and credentials, then serves until SIGINT/SIGTERM.
 */
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8080' },
    host: { type: 'string', default: '127.0.0.1' },
    tls: { type: 'boolean', default: false },
    panels: { type: 'string' },
    'readers-per-panel': { type: 'string' },
    'alarm-panels-per-panel': { type: 'string' },
    'intrusion-panels': { type: 'string' },
    recorders: { type: 'string' },
    'cameras-per-recorder': { type: 'string' },
    segments: { type: 'string' },
    seed: { type: 'string' },
    'offline-ratio': { type: 'string' },
    'token-lifetime-ms': { type: 'string' },
    'idle-timeout-ms': { type: 'string' },
    'app-id': { type: 'string', multiple: true },
    user: { type: 'string' },
    password: { type: 'string' },
    'long-polling-only': { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
  },
});

const n = (v: string | undefined) => (v === undefined ? undefined : Number(v));
const site = Object.fromEntries(
  Object.entries({
    panels: n(values.panels),
    readersPerPanel: n(values['readers-per-panel']),
    alarmPanelsPerPanel: n(values['alarm-panels-per-panel']),
    intrusionPanels: n(values['intrusion-panels']),
    recorders: n(values.recorders),
    camerasPerRecorder: n(values['cameras-per-recorder']),
    segments: n(values.segments),
    seed: n(values.seed),
    offlineRatio: n(values['offline-ratio']),
  }).filter(([, v]) => v !== undefined),
);

async function main(): Promise<void> {
  const sim = await startOnGuardSimulator({
    port: Number(values.port),
    host: values.host,
    tls: values.tls,
    site,
    tokenLifetimeMs: n(values['token-lifetime-ms']),
    idleTimeoutMs: n(values['idle-timeout-ms']),
    applicationIds: values['app-id'],
    users: values.user || values.password ? [{ user_name: values.user ?? 'sa', password: values.password ?? 'sim-sa-password', directory_id: 'id-1', user_id: 1, first_name: 'System', last_name: 'Account' }] : undefined,
    bridge: values['long-polling-only'] ? { webSockets: false } : undefined,
    verbose: values.verbose,
  });
  const devices = sim.control.devices().length;
  process.stdout.write(`${JSON.stringify({ url: sim.url, api_url: sim.apiUrl, port: sim.port, ca_file: sim.caFile, devices, ...sim.credentials, password: undefined })}\n`);
  const stop = () => void sim.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e) => {
  process.stderr.write(`onguard simulator failed to start: ${(e as Error).message}\n`);
  process.exit(1);
});
