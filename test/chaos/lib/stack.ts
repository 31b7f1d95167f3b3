/**
 * The whole product for chaos and security runs: OnGuard, XProtect and cloud simulators in this
 * process; the pipeline (its own nats-server with credentials, one process per service) started
 * exactly as `npm start` starts it — scripts/pipeline.ts under the supervisor — from a config file
 * with `${VAR}` secrets. Unlike the e2e stack it keeps every output line (the secret scan reads
 * them all) and takes the timing knobs chaos needs (cloud timeout and retry cap, reconnect caps).
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
import { buildPipeline, type Pipeline } from '../../../scripts/pipeline';
import { Supervisor } from '../../../scripts/supervisor';
import { startOtlpReceiver, type OtlpReceiver } from '../../../scripts/otlp-receiver';

export const SITE = { id: 'chaos-site', customer_id: 'chaos-customer' };
export const SYSTEMS = { onguard: 'og-chaos', milestone: 'xp-chaos' } as const;
export const PIPELINE = ['collector-onguard', 'collector-milestone', 'normalizer', 'forwarder'] as const;
export type ServiceName = (typeof PIPELINE)[number];

/** Every secret the run uses: values the tests look for in logs, status bodies and spans. */
export interface Secrets {
  cloudToken: string;
  natsPassword: string;
  onguardPassword: string;
  onguardAppId: string;
  milestonePassword: string;
  httpToken: string | null;
}

export interface ChaosStackOptions {
  onguard?: OnGuardSimulatorOptions;
  milestone?: MilestoneSimulatorOptions;
  otlp?: boolean;
  /** Cloud settings merged over the chaos defaults (base_url and token are set here). */
  cloud?: Record<string, unknown>;
  /** Set http.token (status endpoints need it). */
  httpToken?: string;
  serviceEnv?: Record<string, string>;
  logLevel?: 'debug' | 'info' | 'warn';
}

export interface ChaosStack {
  onguard: OnGuardSimulator;
  milestone: MilestoneSimulator;
  cloud: CloudSimulator;
  otlp: OtlpReceiver | null;
  pipeline: Pipeline;
  supervisor: Supervisor;
  secrets: Secrets;
  configFile: string;
  /** Every line the processes wrote, `<process> | <line>` (bounded). */
  lines: string[];
  statusUrl(service: ServiceName): string;
  status<T = Record<string, unknown>>(service: ServiceName): Promise<T>;
  stop(): Promise<void>;
}

export async function startChaosStack(o: ChaosStackOptions = {}): Promise<ChaosStack> {
  const dir = mkdtempSync(join(tmpdir(), 'edge-chaos-'));
  const otlp = o.otlp ? await startOtlpReceiver() : null;
  const secrets: Secrets = {
    cloudToken: 'chaos-cloud-token-7f1c2a9e',
    natsPassword: 'chaos-nats-pass-4be81d',
    onguardPassword: '',
    onguardAppId: '',
    milestonePassword: '',
    httpToken: o.httpToken ?? null,
  };
  const [onguard, milestone, cloud] = await Promise.all([
    startOnGuardSimulator({ users: [{ user_name: 'svc-edge', password: 'og-Secret-Pass-93c1', directory_id: 'id-1', user_id: 7, first_name: 'Edge', last_name: 'Service' }], applicationIds: ['OG-APP-ID-5d2e77'], ...o.onguard }),
    startMilestoneSimulator({ username: 'svc-edge', password: 'xp-Secret-Pass-1a8f', ...o.milestone }),
    startCloudSimulator({ token: secrets.cloudToken }),
  ]);
  secrets.onguardPassword = onguard.credentials.password;
  secrets.onguardAppId = onguard.credentials.application_id;
  secrets.milestonePassword = milestone.password;
  const ports: Record<ServiceName | 'console', number> = {
    'collector-onguard': await freePort(),
    'collector-milestone': await freePort(),
    normalizer: await freePort(),
    forwarder: await freePort(),
    console: await freePort(),
  };
  const env: Record<string, string> = {
    CHAOS_OG_PASSWORD: secrets.onguardPassword,
    CHAOS_OG_APP_ID: secrets.onguardAppId,
    CHAOS_XP_PASSWORD: secrets.milestonePassword,
    CHAOS_CLOUD_TOKEN: secrets.cloudToken,
    CHAOS_NATS_PASSWORD: secrets.natsPassword,
    ...(o.httpToken ? { CHAOS_HTTP_TOKEN: o.httpToken } : {}),
  };
  // The services inherit the supervisor's environment (as under npm start).
  Object.assign(process.env, env);
  const config = {
    site: SITE,
    nats: { user: 'edge', password: '${CHAOS_NATS_PASSWORD}' },
    cloud: {
      base_url: cloud.url,
      token: '${CHAOS_CLOUD_TOKEN}',
      timeout: '2s',
      heartbeat_interval: '5s',
      batch: { max_items: 100, linger: '20ms' },
      retry: { base: '200ms', cap: '2s' },
      ...o.cloud,
    },
    systems: [
      {
        id: SYSTEMS.onguard,
        vendor: 'onguard',
        base_url: onguard.url,
        username: onguard.credentials.user_name,
        password: '${CHAOS_OG_PASSWORD}',
        directory_id: onguard.credentials.directory_id,
        application_id: '${CHAOS_OG_APP_ID}',
        inventory_interval: '1h',
        status_interval: '1h',
        session: { keepalive_interval: '1h' },
        events: { reconnect_base: '500ms', reconnect_cap: '3s' },
      },
      {
        id: SYSTEMS.milestone,
        vendor: 'milestone',
        base_url: milestone.url,
        username: milestone.username,
        password: '${CHAOS_XP_PASSWORD}',
        inventory_interval: '1h',
        status_interval: '1h',
        reconnect_base: '500ms',
        reconnect_cap: '3s',
        retry_for: '2m',
        auth_retry_after: '5s',
      },
    ],
    http: { host: '127.0.0.1', ports, ...(o.httpToken ? { token: '${CHAOS_HTTP_TOKEN}' } : {}) },
    log: { level: o.logLevel ?? 'info' },
    data_dir: dir,
  };
  const configFile = join(dir, 'edge.yaml');
  writeFileSync(configFile, stringify(config));
  const pipeline = buildPipeline(configFile, {
    env: { ...process.env, EDGE_NATS_PORT: String(await freePort()) },
    serviceEnv: {
      ...(otlp ? { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint, OTEL_BSP_SCHEDULE_DELAY: '200' } : {}),
      ...o.serviceEnv,
    },
  });
  const lines: string[] = [];
  const supervisor = new Supervisor(pipeline.processes, {
    graceMs: 10_000,
    // Quick restarts: the chaos measures the pipeline's recovery, not the supervisor's patience.
    backoff: { baseMs: 300, capMs: 3_000, floorMs: 200 },
    output: (name, line) => {
      lines.push(`${name} | ${line}`);
      if (lines.length > 100_000) lines.splice(0, 20_000);
    },
    log: (m) => lines.push(`supervisor | ${m}`),
  });
  await supervisor.start();
  const statusUrl = (service: ServiceName) => `http://127.0.0.1:${httpPortFor(pipeline.config, service)}/status`;
  return {
    onguard,
    milestone,
    cloud,
    otlp,
    pipeline,
    supervisor,
    secrets,
    configFile,
    lines,
    statusUrl,
    status: async <T>(service: ServiceName) => {
      const r = await fetch(statusUrl(service), { signal: AbortSignal.timeout(5_000), headers: o.httpToken ? { authorization: `Bearer ${o.httpToken}` } : {} });
      return (await r.json()) as T;
    },
    stop: async () => {
      await supervisor.stop();
      await Promise.all([onguard.close(), milestone.close(), cloud.close(), otlp?.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until `fn` is truthy; the error carries the last value and the services' last lines. */
export async function waitFor<T>(what: string, fn: () => T | Promise<T>, o: { timeoutMs?: number; lines?: string[]; everyMs?: number } = {}): Promise<NonNullable<T>> {
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
      const tail = (o.lines ?? []).filter((l) => /"level":"(warn|error|fatal)"|supervisor \|/.test(l)).slice(-25).join('\n');
      throw new Error(`timed out after ${(o.timeoutMs ?? 120_000) / 1000} s waiting for ${what} (last: ${typeof last === 'object' ? JSON.stringify(last)?.slice(0, 2000) : String(last)})${tail ? `\n--- last warnings ---\n${tail}` : ''}`);
    }
    await sleep(o.everyMs ?? 250);
  }
}
