/**
 * Security Center Web SDK simulator, standalone:
 *   npx tsx services/simulators/genetec/src/main.ts --port 4590 --size 20000
 * Prints one JSON line `{"url":…,"username":…,"password":…,"application_id":…,"entities":…}` when listening.
 * Environment: SIM_PASSWORD overrides --password.
 */
import { readFileSync } from 'node:fs';
import { startGenetecSimulator, type GenetecSimulatorOptions } from './server';

const NUMERIC = ['port', 'size', 'cameras', 'doors', 'session-idle-ms', 'heartbeat-ms'] as const;
const STRINGS = ['host', 'username', 'password', 'application-id', 'base-path', 'tls-key', 'tls-cert'] as const;

function usage(): never {
  console.error(`usage: main.ts [--${NUMERIC.join(' N] [--')} N] [--${STRINGS.join(' S] [--')} S]`);
  process.exit(2);
}

function parseArgs(argv: string[]): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i]?.startsWith('--') ? argv[i].slice(2) : '';
    const v = argv[i + 1];
    if (v === undefined) usage();
    if ((NUMERIC as readonly string[]).includes(k) && Number.isFinite(Number(v))) out[k] = Number(v);
    else if ((STRINGS as readonly string[]).includes(k)) out[k] = v;
    else usage();
  }
  return out;
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const n = (k: string) => (typeof a[k] === 'number' ? (a[k] as number) : undefined);
  const s = (k: string) => (typeof a[k] === 'string' ? (a[k] as string) : undefined);
  const opts: GenetecSimulatorOptions = {
    host: s('host'),
    port: n('port'),
    size: n('size'),
    cameras: n('cameras'),
    doors: n('doors'),
    sessionIdleMs: n('session-idle-ms'),
    heartbeatMs: n('heartbeat-ms'),
    username: s('username'),
    password: process.env.SIM_PASSWORD || s('password'),
    applicationId: s('application-id'),
    basePath: s('base-path'),
    ...(s('tls-key') && s('tls-cert') ? { tls: { key: readFileSync(s('tls-key')!), cert: readFileSync(s('tls-cert')!) } } : {}),
  };
  const sim = await startGenetecSimulator(opts);
  const c = sim.credentials;
  process.stdout.write(`${JSON.stringify({ url: sim.url, username: c.username, password: c.password, application_id: c.applicationId, entities: sim.model.size })}\n`);
  const stop = () => void sim.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((e: unknown) => {
  console.error(`simulator failed to start: ${(e as Error).message}`);
  process.exit(1);
});
