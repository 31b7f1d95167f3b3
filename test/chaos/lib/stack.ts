/**
 * The whole product for chaos and security runs: a simulator per vendor of the vendor list and the
 * cloud simulator in this process; the pipeline (its own nats-server with credentials, one process per service) started
 * exactly as `npm start` starts it — scripts/pipeline.ts under the supervisor — from a config file
 * with `${VAR}` secrets. Unlike the e2e stack it keeps every output line (the secret scan reads
 * them all) and takes the timing knobs chaos needs (cloud timeout and retry cap, reconnect caps).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startCloudSimulator, type CloudSimulator } from '@edge/sim-cloud';
import { httpPortFor, sleep } from '@edge/platform';
import { freePort } from '@edge/platform/testing';
import type { RunningSimulator } from '@edge/collector-kit/vendor';
import { VENDORS } from '@edge/vendors';
import { buildPipeline, type Pipeline } from '../../../scripts/pipeline';
import { Supervisor } from '../../../scripts/supervisor';
import { startOtlpReceiver, type OtlpReceiver } from '../../../scripts/otlp-receiver';
import { envPrefix, startVendorSimulators, type VendorSimulator } from '../../../scripts/simulators';

export const SITE = { id: 'chaos-site', customer_id: 'chaos-customer' };
/** The system id of each vendor's simulator in the chaos config. */
export const systemIdOf = (vendor: string) => `${vendor}-chaos`;
/** A collector per vendor of the vendor list, the normalizer, the forwarder. */
export const PIPELINE: readonly string[] = [...VENDORS.map((v) => v.service.name), 'normalizer', 'forwarder'];
export type ServiceName = string;

/** Every secret the run uses: values the tests look for in logs, status bodies and spans. */
export interface Secrets {
  cloudToken: string;
  natsPassword: string;
  /** Each vendor's secrets by the variable the config reads them from (`CHAOS_ONGUARD_PASSWORD`, …). */
  vendors: Record<string, string>;
  httpToken: string | null;
}

export interface ChaosStackOptions {
  otlp?: boolean;
  /** Cloud settings merged over the chaos defaults (base_url and token are set here). */
  cloud?: Record<string, unknown>;
  /** Set http.token (status endpoints need it). */
  httpToken?: string;
  serviceEnv?: Record<string, string>;
  logLevel?: 'debug' | 'info' | 'warn';
}

export interface ChaosStack {
  /** A simulator per vendor of the vendor list (its chaos profile). */
  sims: VendorSimulator[];
  /** The simulator of `vendor`. */
  sim(vendor: string): RunningSimulator;
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
  const secrets: Secrets = { cloudToken: 'chaos-cloud-token-7f1c2a9e', natsPassword: 'chaos-nats-pass-4be81d', vendors: {}, httpToken: o.httpToken ?? null };
  const [sims, cloud] = await Promise.all([startVendorSimulators('chaos'), startCloudSimulator({ token: secrets.cloudToken })]);
  const systems = sims.map(({ vendor, sim }) => {
    const { fields, env } = sim.system(envPrefix('CHAOS', vendor));
    Object.assign(secrets.vendors, env);
    return { id: systemIdOf(vendor.id), vendor: vendor.id, base_url: sim.url, inventory_interval: '1h', status_interval: '1h', ...fields };
  });
  const ports: Record<string, number> = {};
  for (const svc of [...PIPELINE, 'console']) ports[svc] = await freePort();
  const env: Record<string, string> = {
    ...secrets.vendors,
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
    systems,
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
    sims,
    sim: (vendor) => {
      const found = sims.find((x) => x.vendor.id === vendor);
      if (!found) throw new Error(`no ${vendor} simulator in the chaos stack`);
      return found.sim;
    },
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
      await Promise.all([...sims.map(({ sim }) => sim.close()), cloud.close(), otlp?.close()]);
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
