/**
 * The embedded default: when the config has no `nats.url`, `npm start` runs a local
 * `nats-server -js` bound to loopback with its JetStream store under `data_dir/nats`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { join, resolve } from 'node:path';
import { sleep, type EdgeConfig } from '@edge/platform';
import type { ProcessSpec } from './supervisor';

export interface LocalNats {
  spec: ProcessSpec;
  url: string;
  storeDir: string;
}

export function natsServerBin(env: NodeJS.ProcessEnv = process.env): string {
  return env.NATS_SERVER_BIN || 'nats-server';
}

/** Null when the binary runs; otherwise what to do about it. */
export function checkNatsServer(bin = natsServerBin()): string | null {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0)
    return `${bin} is not installed (needed because the config has no nats.url): install it (Debian/Ubuntu: apt-get install nats-server) or set NATS_SERVER_BIN, or point nats.url at a running server`;
  return null;
}

export async function waitForTcp(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const c = tcpConnect(port, host);
      c.once('connect', () => {
        c.destroy();
        r(true);
      });
      c.once('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs}ms`);
    await sleep(100);
  }
}

/**
 * Process spec of the local nats-server. Port: EDGE_NATS_PORT (default 4222), loopback only.
 * Credentials in the config (nats.user/password or token) are applied to the server too.
 */
export function localNats(cfg: EdgeConfig, env: NodeJS.ProcessEnv = process.env): LocalNats {
  const host = env.EDGE_NATS_HOST || '127.0.0.1';
  const port = Number(env.EDGE_NATS_PORT || 4222);
  const storeDir = resolve(cfg.data_dir, 'nats');
  mkdirSync(storeDir, { recursive: true });
  // Credentials reach the server through its environment ($VAR in its config), never argv.
  const childEnv: Record<string, string> = {};
  let auth = '';
  if (cfg.nats.user && cfg.nats.password) {
    childEnv.EDGE_NATS_USER = cfg.nats.user;
    childEnv.EDGE_NATS_PASSWORD = cfg.nats.password;
    auth = 'authorization { user: $EDGE_NATS_USER, password: $EDGE_NATS_PASSWORD }\n';
  } else if (cfg.nats.token) {
    childEnv.EDGE_NATS_TOKEN = cfg.nats.token;
    auth = 'authorization { token: $EDGE_NATS_TOKEN }\n';
  }
  const confFile = join(storeDir, 'nats-server.conf');
  writeFileSync(
    confFile,
    `# written by npm start (scripts/local-nats.ts) on every start\n` +
      `listen: "${host}:${port}"\nserver_name: "edge-${cfg.site.id}"\n` +
      `jetstream { store_dir: ${JSON.stringify(storeDir)} }\n${auth}`,
  );
  return {
    url: `nats://${host}:${port}`,
    storeDir,
    spec: {
      name: 'nats',
      // Under the tether, so it ends when the supervisor dies without stopping it (scripts/tether.mjs).
      command: process.execPath,
      args: [tetherScript(), natsServerBin(env), '-c', confFile],
      env: { ...childEnv, EDGE_TETHER_GRACE_MS: env.EDGE_STOP_GRACE_MS || '20000' },
      stage: 0,
      ready: () => waitForTcp(host, port, 15_000),
    },
  };
}

/** scripts/tether.mjs, or its copy beside the bundle (dist/) when running from bundles. */
function tetherScript(): string {
  const beside = join(__dirname, 'tether.mjs');
  return existsSync(beside) ? beside : resolve(__dirname, '..', 'scripts', 'tether.mjs');
}
