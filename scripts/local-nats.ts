/**
 * The embedded default: when the config has no `nats.url`, `npm start` runs a local
 * `nats-server -js` bound to loopback with its JetStream store under `data_dir/nats`.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, statfsSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { join, resolve } from 'node:path';
import { connectNats, createLogger, OPERATOR_USER, requestCommand, sleep, type EdgeConfig, type NatsConnection } from '@edge/platform';
import { natsUserSpecs, renderAuthorization } from './nats-users';
import type { ProcessSpec } from './supervisor';

export interface LocalNats {
  spec: ProcessSpec;
  url: string;
  storeDir: string;
  /** NATS identity of each process (EDGE_NATS_USER / EDGE_NATS_PASSWORD), fresh on every start. */
  identities: Record<string, { user: string; password: string }>;
  /** The operator's identity (the config's, else a random one): used by the JetStream watchdog. */
  operator: { user: string; password: string };
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

/** nats-server's default GOMEMLIMIT (deploy/entrypoint.sh has the same). */
export const NATS_MEMORY_LIMIT = '192MiB';

/**
 * Process spec of the local nats-server. Port: EDGE_NATS_PORT (default 4222), loopback only.
 * Least privilege: one user per process (scripts/nats-users.ts), with a random password made on
 * every start and handed to that process only. The config's `nats.user`/`password` is the
 * operator's (the CLI's); without them, clients presenting no credentials on loopback act as
 * the operator (`no_auth_user`), as an open loopback server did before.
 */
export function localNats(cfg: EdgeConfig, env: NodeJS.ProcessEnv = process.env): LocalNats {
  const host = env.EDGE_NATS_HOST || '127.0.0.1';
  const port = Number(env.EDGE_NATS_PORT || 4222);
  const storeDir = resolve(cfg.data_dir, 'nats');
  mkdirSync(storeDir, { recursive: true });
  if (cfg.nats.token || cfg.nats.creds_file)
    throw new Error('nats.token / nats.creds_file need an external server (nats.url); the local server takes nats.user and nats.password');
  const operator = cfg.nats.user ?? OPERATOR_USER;
  const specs = natsUserSpecs().map((s) => (s.role === 'operator' ? { ...s, user: operator } : s));
  const identities: LocalNats['identities'] = {};
  const passwords: Record<string, string> = {};
  for (const s of specs) {
    if (s.role === 'operator') continue;
    identities[s.user] = { user: s.user, password: randomBytes(24).toString('base64url') };
    passwords[s.user] = identities[s.user].password;
  }
  passwords[operator] = cfg.nats.password ?? randomBytes(24).toString('base64url');
  // Without a configured password the operator is the no-credentials identity (no password).
  const operatorIdentity = { user: operator, password: cfg.nats.password ? passwords[operator] : '' };
  // Only bcrypt hashes reach the file; the clear passwords live in the processes' environment.
  const auth = renderAuthorization(specs, { passwords, noAuthUser: cfg.nats.password ? undefined : operator });
  const confFile = join(storeDir, 'nats-server.conf');
  writeFileSync(
    confFile,
    `# written by npm start (scripts/local-nats.ts) on every start\n` +
      `listen: "${host}:${port}"\nserver_name: "edge-${cfg.site.id}"\n` +
      `jetstream { store_dir: ${JSON.stringify(storeDir)} }\n` +
      // Go pprof endpoints of nats-server on 127.0.0.1 (benchmark investigations, bench/README.md).
      (env.EDGE_NATS_PROF_PORT ? `prof_port: ${Number(env.EDGE_NATS_PROF_PORT)}\n` : '') +
      auth,
  );
  return {
    url: `nats://${host}:${port}`,
    storeDir,
    identities,
    operator: operatorIdentity,
    spec: {
      name: 'nats',
      // Under the tether, so it ends when the supervisor dies without stopping it (scripts/tether.mjs).
      command: process.execPath,
      args: [tetherScript(), natsServerBin(env), '-c', confFile],
      // A soft memory limit for the Go runtime (it collects harder near it; never fails for it).
      env: { EDGE_TETHER_GRACE_MS: env.EDGE_STOP_GRACE_MS || '20000', GOMEMLIMIT: env.GOMEMLIMIT || NATS_MEMORY_LIMIT },
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

export interface JetStreamWatchdog {
  stop(): Promise<void>;
}

/**
 * nats-server turns JetStream off when its store's disk is full ("JetStream out of resources,
 * will be DISABLED", nats-io/nats-server server/jetstream.go handleOutOfSpace) and only a restart
 * turns it on again. Meanwhile every publish is refused (the producers keep their data and
 * retry; nothing stored is touched). This watchdog asks the local server every `intervalMs`
 * whether JetStream is on; when it is off and the store's filesystem has `minFreeBytes` free
 * again, it restarts the server (`restart`), so the product resumes by itself.
 */
export function watchJetStream(o: {
  local: LocalNats;
  restart: () => void;
  log: (msg: string) => void;
  minFreeBytes?: number;
  intervalMs?: number;
}): JetStreamWatchdog {
  const minFree = o.minFreeBytes ?? 64 * 1024 * 1024;
  let stopped = false;
  let nc: NatsConnection | null = null;
  let reported = false;
  const quiet = createLogger({ service: 'nats-watchdog', level: 'fatal', destination: { write: () => undefined } });
  const free = () => {
    const s = statfsSync(o.local.storeDir);
    return s.bavail * s.bsize;
  };
  const loop = (async () => {
    while (!stopped) {
      await sleep(o.intervalMs ?? 5_000);
      if (stopped) break;
      try {
        nc ??= await connectNats({ url: o.local.url, name: 'nats-watchdog', ...o.local.operator }, quiet);
        const info = await requestCommand<{ error?: { code?: number; description?: string } }>(nc, '$JS.API.INFO', {}, 3_000);
        const off = info.error !== undefined && /not enabled|disabled/i.test(info.error.description ?? '');
        if (!off) {
          reported = false;
          continue;
        }
        const avail = free();
        if (avail >= minFree) {
          o.log(`JetStream was turned off by nats-server (its store's disk was full); ${Math.round(avail / 1048576)} MB free again: restarting nats-server`);
          reported = false;
          o.restart();
        } else if (!reported) {
          o.log(`JetStream is off: the disk of ${o.local.storeDir} is full (${Math.round(avail / 1048576)} MB free). New data is refused upstream and stays with the producers; free space and it resumes by itself`);
          reported = true;
        }
      } catch {
        // nats-server restarting: the next round asks again.
      }
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      await nc?.close().catch(() => undefined);
    },
  };
}
