/**
 * The whole product for end-to-end tests and the benchmark: the OnGuard, XProtect and cloud
 * simulators in this process, and the pipeline started exactly like `npm start` starts it
 * (scripts/pipeline.ts: its own nats-server from the config's absence of nats.url, one process
 * per service, under the supervisor), from a config file written to a temp dir.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startOnGuardSimulator, type OnGuardSimulator, type OnGuardSimulatorOptions } from '@edge/sim-onguard';
import { startMilestoneSimulator, type MilestoneSimulator, type MilestoneSimulatorOptions } from '@edge/sim-milestone';
import { startCloudSimulator, type CloudSimulator } from '@edge/sim-cloud';
import { httpPortFor, sleep } from '@edge/platform';
import { freePort } from '@edge/platform/testing';
import { buildPipeline, type Pipeline } from '../../scripts/pipeline';
import { watchJetStream } from '../../scripts/local-nats';
import { Supervisor } from '../../scripts/supervisor';
import { startOtlpReceiver, type OtlpReceiver } from '../../scripts/otlp-receiver';

export const SITE = { id: 'e2e-site', customer_id: 'e2e-customer' };
export const SYSTEMS = { onguard: 'og-e2e', milestone: 'xp-e2e' } as const;
const CLOUD_TOKEN = 'e2e-cloud-token-1';
const NATS_PASSWORD = 'e2e-nats-password';

export interface StackOptions {
  onguard?: OnGuardSimulatorOptions;
  milestone?: MilestoneSimulatorOptions;
  /** Collect the services' spans with an OTLP receiver. */
  otlp?: boolean;
  /** Cloud simulator keeps ids only (benchmarks). */
  cloudRetain?: 'full' | 'ids';
  /** Extra settings of every system (e.g. shorter intervals). */
  systemExtras?: Record<string, unknown>;
  /** Extra settings of one vendor's system (keys only that vendor's schema knows). */
  vendorExtras?: { onguard?: Record<string, unknown>; milestone?: Record<string, unknown> };
  /** Extra config (merged over the generated one). */
  config?: Record<string, unknown>;
  serviceEnv?: Record<string, string>;
  /** Launch settings read where `npm start` reads them (`EDGE_HEAP_MB`, `GOMEMLIMIT`); the environment's own win. */
  launchEnv?: Record<string, string>;
  /** Keep services' output (default: only warnings and errors are kept, in `logs`). */
  verbose?: boolean;
  /** `http.token`: status routes and the console's actions need it. */
  httpToken?: string;
  /** Run `npm start`'s JetStream watchdog (restarts NATS when its disk has room again). */
  watchJetStream?: { minFreeBytes: number; intervalMs: number };
}

export interface Stack {
  onguard: OnGuardSimulator;
  milestone: MilestoneSimulator;
  cloud: CloudSimulator;
  otlp: OtlpReceiver | null;
  pipeline: Pipeline;
  supervisor: Supervisor;
  configFile: string;
  natsUrl: string;
  /** Environment that lets the CLI reach this stack (NATS_URL, the config's variables). */
  cliEnv: NodeJS.ProcessEnv;
  /** Service log lines kept (warn and above unless verbose). */
  logs: string[];
  statusUrl(service: string): string;
  stop(): Promise<void>;
}

export async function startStack(o: StackOptions = {}): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'edge-e2e-'));
  const otlp = o.otlp ? await startOtlpReceiver() : null;
  const [onguard, milestone, cloud] = await Promise.all([
    startOnGuardSimulator({ ...o.onguard }),
    startMilestoneSimulator({ ...o.milestone }),
    startCloudSimulator({ token: CLOUD_TOKEN, retain: o.cloudRetain ?? 'full' }),
  ]);
  const ports = {
    'collector-onguard': await freePort(),
    'collector-milestone': await freePort(),
    normalizer: await freePort(),
    forwarder: await freePort(),
    console: await freePort(),
  };
  const natsPort = await freePort();
  // Secrets are ${VAR}s in the file, as in production; the services inherit them.
  const env = {
    E2E_OG_PASSWORD: onguard.credentials.password,
    E2E_OG_APP_ID: onguard.credentials.application_id,
    E2E_XP_PASSWORD: milestone.password,
    E2E_CLOUD_TOKEN: CLOUD_TOKEN,
    E2E_NATS_PASSWORD: NATS_PASSWORD,
  };
  Object.assign(process.env, env);
  const config = {
    site: SITE,
    nats: { user: 'edge', password: '${E2E_NATS_PASSWORD}' },
    cloud: { base_url: cloud.url, token: '${E2E_CLOUD_TOKEN}', heartbeat_interval: '2s', batch: { max_items: 200, linger: '20ms' } },
    systems: [
      {
        id: SYSTEMS.onguard,
        vendor: 'onguard',
        base_url: onguard.url,
        username: onguard.credentials.user_name,
        password: '${E2E_OG_PASSWORD}',
        directory_id: onguard.credentials.directory_id,
        application_id: '${E2E_OG_APP_ID}',
        inventory_interval: '1h',
        status_interval: '1h',
        ...o.systemExtras,
        ...o.vendorExtras?.onguard,
      },
      {
        id: SYSTEMS.milestone,
        vendor: 'milestone',
        base_url: milestone.url,
        username: milestone.username,
        password: '${E2E_XP_PASSWORD}',
        inventory_interval: '1h',
        status_interval: '1h',
        ...o.systemExtras,
        ...o.vendorExtras?.milestone,
      },
    ],
    http: { host: '127.0.0.1', ports, ...(o.httpToken ? { token: o.httpToken } : {}) },
    log: { level: 'info' },
    data_dir: dir,
    ...o.config,
  };
  const configFile = join(dir, 'edge.yaml');
  writeFileSync(configFile, stringify(config));
  const pipeline = buildPipeline(configFile, {
    env: { ...o.launchEnv, ...process.env, EDGE_NATS_PORT: String(natsPort) },
    serviceEnv: {
      ...(otlp ? { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint, OTEL_BSP_SCHEDULE_DELAY: '200' } : {}),
      ...o.serviceEnv,
    },
  });
  const logs: string[] = [];
  const supervisor = new Supervisor(pipeline.processes, {
    graceMs: 10_000,
    output: (name, line) => {
      if (o.verbose || /"level":"(warn|error|fatal)"|Error|error:/.test(line)) {
        logs.push(`${name} | ${line}`);
        if (logs.length > 2000) logs.shift();
      }
    },
    log: (m) => logs.push(`supervisor | ${m}`),
  });
  await supervisor.start();
  const watchdog =
    o.watchJetStream && pipeline.local
      ? watchJetStream({ local: pipeline.local, restart: () => supervisor.signal('nats', 'SIGTERM'), log: (m) => logs.push(`supervisor | ${m}`), ...o.watchJetStream })
      : null;
  return {
    onguard,
    milestone,
    cloud,
    otlp,
    pipeline,
    supervisor,
    configFile,
    natsUrl: pipeline.natsUrl,
    cliEnv: { ...process.env, ...env, NATS_URL: pipeline.natsUrl, EDGE_CONFIG: configFile },
    logs,
    statusUrl: (service) => `http://127.0.0.1:${httpPortFor(pipeline.config, service)}/status`,
    stop: async () => {
      await watchdog?.stop();
      await supervisor.stop();
      await Promise.all([onguard.close(), milestone.close(), cloud.close(), otlp?.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `fn` until it returns a truthy value; fails with the last value and the stack's logs. */
export async function waitFor<T>(what: string, fn: () => T | Promise<T>, o: { timeoutMs?: number; logs?: string[] } = {}): Promise<NonNullable<T>> {
  const end = Date.now() + (o.timeoutMs ?? 120_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) {
      const tail = (o.logs ?? []).slice(-15).join('\n');
      throw new Error(`timed out waiting for ${what} (last: ${String(last)})${tail ? `\n--- service logs ---\n${tail}` : ''}`);
    }
    await sleep(200);
  }
}

export async function getJson<T = unknown>(url: string, init?: RequestInit): Promise<T> {
  const r = await fetch(url, { ...init, signal: AbortSignal.timeout(5_000) });
  return (await r.json()) as T;
}
