/**
 * Milestone XProtect collector benchmarks, each process on its own (as deployed):
 *  - inventory: the XProtect simulator (its own process) with 5 000 hardware / 10 000 cameras
 *    across 4 recording servers; the collector service (its bundle, `dist/collector-milestone.js`,
 *    own process) runs its startup inventory into RAW on a real nats-server. Time = the runner's
 *    sync duration (sync.begin published → every device PubAck'd → sync.end). Peak RSS = the
 *    collector process's own RSS, polled from its /status during the sync.
 *  - events: camera communication error/restored changes triggered on the simulator; latency =
 *    arrival of the RAW status message (core subscription) − the event's own `time` (same host).
 *  - a 50 000-device inventory (16 667 hardware / 33 333 cameras) for the shared report.
 * `npx tsx bench/milestone.ts` prints the JSON.
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
const EVENTS = Number(process.env.MILESTONE_BENCH_EVENTS || 400);

interface SimInfo {
  url: string;
  username: string;
  password: string;
  devices: number;
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

async function startSim(args: string[]): Promise<{ child: ChildProcess; info: SimInfo }> {
  const child = spawn('npx', ['tsx', 'services/simulators/milestone/src/main.ts', '--port', '0', ...args], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
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
    http: { host: '127.0.0.1', ports: { 'collector-milestone': port } },
    log: { level: 'warn' },
    systems: [
      {
        id: systemId,
        vendor: 'milestone',
        base_url: sim.url,
        username: sim.username,
        password: '${XP_BENCH_PASS}',
        inventory_interval: '1h',
        status_interval: '1h',
      },
    ],
  };
  const file = join(dir, `${systemId}.yaml`);
  writeFileSync(file, JSON.stringify(config));
  const cmd = launch('collector-milestone');
  const child = spawn(cmd.command, cmd.args, {
    cwd: ROOT,
    env: { ...process.env, ...cmd.env, EDGE_CONFIG: file, XP_BENCH_PASS: sim.password, OTEL_SDK_DISABLED: 'true' },
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

/** Startup inventory of the collector against a simulator of the given size. */
async function inventory(nats: TestNatsServer, dir: string, systemId: string, simArgs: string[]) {
  const sim = await startSim(simArgs);
  const col = await startCollector(nats, sim.info, dir, systemId);
  let rssPeak = 0;
  try {
    const deadline = Date.now() + 15 * 60_000;
    for (;;) {
      const s = await status(col.port);
      rssPeak = Math.max(rssPeak, s?.service?.rss_mb ?? 0);
      const sys = s?.systems?.[0];
      if (sys?.last_complete_sync) return { sim, col, seconds: sys.last_complete_sync.duration_ms / 1000, devices: sys.last_complete_sync.devices, rssPeak };
      if (sys?.last_sync?.error) throw new Error(`inventory failed: ${sys.last_sync.error}`);
      if (Date.now() > deadline) throw new Error('inventory did not finish within 15 min');
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (e) {
    await stopGroup(col.child);
    await stopGroup(sim.child);
    throw e;
  }
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** Communication changes on the simulator → their RAW status messages. */
async function eventLatency(nats: TestNatsServer, simUrl: string, systemId: string, collectorPort: number): Promise<number[]> {
  for (let i = 0; i < 600; i++) {
    if ((await status(collectorPort))?.systems?.[0]?.state?.events === 'subscribed') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const nc = await connect({ servers: nats.url, name: 'bench-milestone-tap' });
  const latencies: number[] = [];
  const sub = nc.subscribe(`raw.milestone.${systemId}.status`, {
    callback: (_e, m) => {
      const now = Date.now();
      const env = RawEnvelope.safeParse(m.json());
      if (!env.success) return;
      const p = env.data.payload as { kind?: string; event?: { time?: string } };
      if (p.kind !== 'event' || !p.event?.time) return;
      latencies.push(now - Date.parse(p.event.time.replace(/(\.\d{3})\d+Z$/, '$1Z')));
    },
  });
  const devices = ((await (await fetch(`${simUrl}/_sim/devices`)).json()) as { devices: Array<{ resource_type: string; id: string; enabled: boolean }> }).devices;
  const cams = devices.filter((d) => d.resource_type === 'cameras' && d.enabled).slice(0, EVENTS / 2);
  for (const action of ['comm-error', 'comm-restored']) {
    for (const c of cams) {
      await fetch(`${simUrl}/_sim/cameras/${c.id}/${action}`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  const deadline = Date.now() + 30_000;
  while (latencies.length < cams.length * 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  sub.unsubscribe();
  await nc.drain();
  return latencies;
}

/** REST calls the simulator served, all routes of the Configuration API, and hardwareDriverSettings alone. */
async function restCalls(simUrl: string): Promise<{ all: number; driverSettings: number }> {
  const st = (await (await fetch(`${simUrl}/_sim/stats`)).json()) as { requests: Record<string, number> };
  let all = 0;
  for (const [route, n] of Object.entries(st.requests)) if (route.startsWith('GET /api/rest/v1/')) all += n;
  return { all, driverSettings: st.requests['GET /api/rest/v1/hardware/{id}/hardwareDriverSettings'] ?? 0 };
}

/**
 * Management-server calls of a warm sync (the second sync of a stable site): with the driver
 * settings cache, no `hardwareDriverSettings` call per hardware. A count, so it does not depend
 * on how loaded the machine is.
 */
async function warmSyncCalls(nats: TestNatsServer, dir: string): Promise<Record<string, number>> {
  const a = await inventory(nats, dir, 'xpwarm', ['--recording-servers', '2', '--hardware', '1000', '--cameras', '2000']);
  try {
    const cold = await restCalls(a.sim.info.url);
    const r = await fetch(`http://127.0.0.1:${a.col.port}/sync`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ wait: true }) });
    const body = (await r.json()) as { ok?: boolean };
    if (!body.ok) throw new Error(`warm sync failed: ${JSON.stringify(body).slice(0, 300)}`);
    const warm = await restCalls(a.sim.info.url);
    return {
      hardware_warm_site: 1000,
      calls_startup: cold.all,
      driver_settings_calls_startup: cold.driverSettings,
      calls_per_sync_warm: warm.all - cold.all,
      driver_settings_calls_per_sync_warm: warm.driverSettings - cold.driverSettings,
    };
  } finally {
    await stopGroup(a.col.child);
    await stopGroup(a.sim.child);
  }
}

export async function run(): Promise<Record<string, number>> {
  useBundles(['collector-milestone']);
  const nats = await startNatsServer();
  const dir = mkdtempSync(join(tmpdir(), 'edge-bench-ms-'));
  const out: Record<string, number> = {};
  try {
    Object.assign(out, await warmSyncCalls(nats, dir));
    // MILESTONE_BENCH_ONLY=warm_calls runs just that part (investigations, a loaded machine).
    if (process.env.MILESTONE_BENCH_ONLY === 'warm_calls') return out;
    const a = await inventory(nats, dir, 'xp10k', ['--recording-servers', '4', '--hardware', '5000', '--cameras', '10000', '--microphones', '0', '--speakers', '0', '--metadata', '0', '--inputs', '0', '--outputs', '0']);
    try {
      out.inventory_10k_cameras_seconds = round(a.seconds);
      out.inventory_10k_cameras_devices = a.devices;
      out.inventory_10k_cameras_devices_per_s = Math.round(a.devices / a.seconds);
      out.rss_mb_peak = a.rssPeak;
      const lat = await eventLatency(nats, a.sim.info.url, 'xp10k', a.col.port);
      out.events_measured = lat.length;
      if (lat.length) {
        out.event_latency_ms_p50 = round(pct(lat, 50));
        out.event_latency_ms_p99 = round(pct(lat, 99));
        out.event_latency_ms_max = round(Math.max(...lat));
      }
    } finally {
      await stopGroup(a.col.child);
      await stopGroup(a.sim.child);
    }
    if (process.env.MILESTONE_BENCH_SKIP_50K !== '1') {
      const b = await inventory(nats, dir, 'xp50k', ['--recording-servers', '8', '--hardware', '16667', '--cameras', '33333', '--microphones', '0', '--speakers', '0', '--metadata', '0', '--inputs', '0', '--outputs', '0']);
      out.inventory_50k_seconds = round(b.seconds);
      out.inventory_50k_devices = b.devices;
      out.rss_mb_peak_50k = b.rssPeak;
      await stopGroup(b.col.child);
      await stopGroup(b.sim.child);
    }
  } finally {
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
