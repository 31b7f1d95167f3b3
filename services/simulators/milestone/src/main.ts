/**
 * XProtect API Gateway simulator, standalone:
 *   npx tsx services/simulators/milestone/src/main.ts --port 8081 --hardware 5000 --cameras 10000
 * Prints one JSON line `{"url":…,"ws_url":…,"username":…,"password":…,"devices":…}` when listening.
 */
import { readFileSync } from 'node:fs';
import { startMilestoneSimulator, type MilestoneSimulatorOptions } from './server';

const NUMERIC = [
  'port',
  'seed',
  'recording-servers',
  'hardware',
  'cameras',
  'microphones',
  'speakers',
  'metadata',
  'inputs',
  'outputs',
  'disabled-ratio',
  'token-lifetime',
  'lockout-after',
  'resume-window-ms',
  'driver-settings-delay-ms',
] as const;
const FLAGS = ['ignore-paging', 'numbers-as-strings', 'no-gateway-token-path', 'no-rs-event-types', 'no-rs-listeners'] as const;
const STRINGS = ['host', 'public-host', 'username', 'password', 'tls-key', 'tls-cert', 'version'] as const;

function usage(): never {
  console.error(
    `usage: main.ts [--${NUMERIC.join(' N] [--')} N] [--${STRINGS.join(' S] [--')} S] [--${FLAGS.join('] [--')}]\n` +
      'Environment: SIM_PASSWORD overrides --password.',
  );
  process.exit(2);
}

function parseArgs(argv: string[]): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') usage();
    if (!a.startsWith('--')) usage();
    const k = a.slice(2);
    if ((FLAGS as readonly string[]).includes(k)) out[k] = true;
    else if ((NUMERIC as readonly string[]).includes(k)) {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v)) usage();
      out[k] = v;
    } else if ((STRINGS as readonly string[]).includes(k)) {
      const v = argv[++i];
      if (v === undefined) usage();
      out[k] = v;
    } else usage();
  }
  return out;
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const n = (k: string) => (typeof a[k] === 'number' ? (a[k] as number) : undefined);
  const s = (k: string) => (typeof a[k] === 'string' ? (a[k] as string) : undefined);
  const opts: MilestoneSimulatorOptions = {
    host: s('host'),
    publicHost: s('public-host'),
    port: n('port'),
    seed: n('seed'),
    recordingServers: n('recording-servers'),
    hardware: n('hardware'),
    cameras: n('cameras'),
    microphones: n('microphones'),
    speakers: n('speakers'),
    metadata: n('metadata'),
    inputs: n('inputs'),
    outputs: n('outputs'),
    disabledRatio: n('disabled-ratio'),
    tokenLifetimeSec: n('token-lifetime'),
    lockoutAfterFailures: n('lockout-after'),
    resumeWindowMs: n('resume-window-ms'),
    driverSettingsDelayMs: n('driver-settings-delay-ms'),
    version: s('version'),
    username: s('username'),
    password: process.env.SIM_PASSWORD || s('password'),
    ignorePaging: a['ignore-paging'] === true,
    numbersAsStrings: a['numbers-as-strings'] === true,
    gatewayTokenPath: a['no-gateway-token-path'] !== true,
    rsEventTypesDiscoverable: a['no-rs-event-types'] !== true,
    rsListeners: a['no-rs-listeners'] !== true,
    ...(s('tls-key') && s('tls-cert') ? { tls: { key: readFileSync(s('tls-key')!), cert: readFileSync(s('tls-cert')!) } } : {}),
  };
  const sim = await startMilestoneSimulator(opts);
  process.stdout.write(`${JSON.stringify({ url: sim.url, ws_url: sim.wsUrl, username: sim.username, password: sim.password, windows_username: sim.windowsUsername, windows_password: sim.windowsPassword, devices: sim.model.deviceCount })}\n`);
  const stop = () => void sim.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((e: unknown) => {
  console.error(`simulator failed to start: ${(e as Error).message}`);
  process.exit(1);
});
