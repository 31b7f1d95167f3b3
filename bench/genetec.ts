/**
 * Genetec Security Center collector benchmarks, each process on its own (as deployed):
 *  - inventory: the Web SDK simulator (its own process) with a 20 000-entity site; the collector
 *    service (its bundle, `dist/collector-genetec.js`, own process) runs its startup inventory
 *    into RAW on a real nats-server. Time = the runner's sync duration (sync.begin published →
 *    every entity PubAck'd → sync.end). Peak RSS = the collector process's, from its /status.
 *  - events: video unit disconnections triggered on the simulator one after another; latency =
 *    arrival of the RAW status message (core subscription) − the event's own `Timestamp` (same host).
 * `npx tsx bench/genetec.ts` prints the JSON.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { connect } from '@nats-io/transport-node';
import { RawEnvelope } from '@edge/contracts';
import { freePort, startNatsServer, type TestNatsServer } from '@edge/platform/testing';
import { launch, useBundles } from './probe';

const ROOT = join(__dirname, '..');
const EVENTS = Number(process.env.GENETEC_BENCH_EVENTS || 400);

interface SimInfo {
  url: string;
  username: string;
  password: string;
  application_id: string;
  entities: number;
}

function stopGroup(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {}
      resolve();
    }, 15_000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      resolve();
    }
  });
}

async function startSim(size: number): Promise<{ child: ChildProcess; info: SimInfo }> {
  const child = spawn('npx', ['tsx', 'services/simulators/genetec/src/main.ts', '--port', '0', '--size', String(size)], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  const rl = createInterface({ input: child.stdout! });
  const info = await new Promise<SimInfo>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('simulator did not start within 120 s')), 120_000);
    rl.once('line', (line) => {
      clearTimeout(t);
      resolve(JSON.parse(line) as SimInfo);
    });
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
  });
  return { child, info };
}

async function startCollector(nats: TestNatsServer, sim: SimInfo, dir: string, systemId: string): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const config = {
    site: { id: 'site-bench', customer_id: 'cust-bench' },
    nats: { url: nats.url },
    cloud: { base_url: 'http://127.0.0.1:9', token: 'bench-cloud-token' },
    http: { host: '127.0.0.1', ports: { 'collector-genetec': port } },
    log: { level: 'warn' },
    systems: [{ id: systemId, vendor: 'genetec', base_url: sim.url, username: sim.username, password: '${SC_BENCH_PASS}', application_id: '${SC_BENCH_APP}', inventory_interval: '1h', status_interval: '1h' }],
  };
  const file = join(dir, `${systemId}.yaml`);
  writeFileSync(file, JSON.stringify(config));
  const cmd = launch('collector-genetec');
  const child = spawn(cmd.command, cmd.args, {
    cwd: ROOT,
    env: { ...process.env, ...cmd.env, EDGE_CONFIG: file, SC_BENCH_PASS: sim.password, SC_BENCH_APP: sim.application_id, OTEL_SDK_DISABLED: 'true' },
    detached: true,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return { child, port };
}

interface CollectorStatus {
  service?: { rss_mb?: number };
  systems?: Array<{ state?: { events?: string }; last_complete_sync?: { duration_ms: number; devices: number } | null; last_sync?: { error: string | null } | null }>;
}

async function status(port: number): Promise<CollectorStatus | null> {
  try {
    return (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as CollectorStatus;
  } catch {
    return null;
  }
}

/** Polls the collector's /status until its startup inventory is complete; the RSS peak on the way. */
async function startupInventory(port: number): Promise<{ seconds: number; devices: number; rssPeak: number }> {
  let rssPeak = 0;
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    const s = await status(port);
    rssPeak = Math.max(rssPeak, s?.service?.rss_mb ?? 0);
    const sys = s?.systems?.[0];
    if (sys?.last_complete_sync) return { seconds: sys.last_complete_sync.duration_ms / 1000, devices: sys.last_complete_sync.devices, rssPeak };
    if (sys?.last_sync?.error) throw new Error(`inventory failed: ${sys.last_sync.error}`);
    if (Date.now() > deadline) throw new Error('inventory did not finish within 15 min');
    await new Promise((r) => setTimeout(r, 100));
  }
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** Unit disconnections on the simulator, paced → their RAW status messages. */
async function eventLatency(nats: TestNatsServer, simUrl: string, systemId: string, collectorPort: number): Promise<number[]> {
  for (let i = 0; i < 600 && (await status(collectorPort))?.systems?.[0]?.state?.events !== 'subscribed'; i++) await new Promise((r) => setTimeout(r, 100));
  const nc = await connect({ servers: nats.url, name: 'bench-genetec-tap' });
  const latencies: number[] = [];
  const sub = nc.subscribe(`raw.genetec.${systemId}.status`, {
    callback: (_e, m) => {
      const now = Date.now();
      const env = RawEnvelope.safeParse(m.json());
      const p = env.success ? (env.data.payload as { kind?: string; event?: { Timestamp?: string } }) : null;
      if (p?.kind === 'event' && p.event?.Timestamp) latencies.push(now - Date.parse(p.event.Timestamp.replace(/(\.\d{3})\d+Z$/, '$1Z')));
    },
  });
  const units = ((await (await fetch(`${simUrl}/_sim/entities?type=VideoUnit`)).json()) as Array<{ guid: string }>).slice(0, EVENTS);
  for (const u of units) {
    await fetch(`${simUrl}/_sim/entities/${u.guid}/state`, { method: 'POST', body: JSON.stringify({ state: 'offline' }), headers: { 'content-type': 'application/json' } });
    await new Promise((r) => setTimeout(r, 5));
  }
  const deadline = Date.now() + 30_000;
  while (latencies.length < units.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  sub.unsubscribe();
  await nc.drain();
  return latencies;
}

export async function run(): Promise<Record<string, number>> {
  useBundles(['collector-genetec']);
  const nats = await startNatsServer();
  const dir = mkdtempSync(join(tmpdir(), 'edge-bench-sc-'));
  const out: Record<string, number> = {};
  const sim = await startSim(20_000);
  const col = await startCollector(nats, sim.info, dir, 'sc20k');
  try {
    const inv = await startupInventory(col.port);
    out.inventory_20k_seconds = round(inv.seconds);
    out.inventory_20k_devices = inv.devices;
    out.inventory_20k_devices_per_s = Math.round(inv.devices / inv.seconds);
    out.rss_mb_peak = inv.rssPeak;
    const lat = await eventLatency(nats, sim.info.url, 'sc20k', col.port);
    out.events_measured = lat.length;
    if (lat.length) {
      out.event_latency_ms_p50 = round(pct(lat, 50));
      out.event_latency_ms_p99 = round(pct(lat, 99));
      out.event_latency_ms_max = round(Math.max(...lat));
    }
  } finally {
    await stopGroup(col.child);
    await stopGroup(sim.child);
    rmSync(dir, { recursive: true, force: true });
    await nats.dispose();
  }
  return out;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

if (require.main === module) {
  run()
    .then((r) => {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      process.exit(0);
    })
    .catch((e: unknown) => {
      console.error(e);
      process.exit(1);
    });
}
