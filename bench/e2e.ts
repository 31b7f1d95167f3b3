/**
 * End-to-end benchmark of the whole product, as `npm start` runs it (a local nats-server and
 * one process per service, from the `npm run build` bundles), with the OnGuard, XProtect and
 * cloud simulators in this process:
 *  - latency: device state changes made in the simulators (half OnGuard readers, half XProtect
 *    cameras) at 10, 100 and 1 000 changes/s; latency = the change → its health event received
 *    by the cloud simulator (same clock). p50/p99 overall and per vendor.
 *  - throughput: a burst of changes as fast as the simulators take them; changes/s from the
 *    first change to the last event at the cloud.
 *  - inventory: a 50 000-device site (≈25 000 per system); wall time of a commanded full sync
 *    of both systems (trigger → both final batches at the cloud), and of the first sync from
 *    process start; peak RSS (VmHWM) of every service process and their total with nats-server.
 *  - the same for a 100 000-device site (≈50 000 per system).
 * `npx tsx bench/e2e.ts` prints the JSON. BENCH_E2E_QUICK=1 runs small sizes.
 * BENCH_PROFILE_DIR=<dir>: CPU profiles of every service, per-stage queue depths over time,
 * every change's latency, and heap snapshots at 50 000 devices (see bench/README.md).
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from '@edge/platform';
import { startStack, waitFor, SYSTEMS, type Stack } from '../test/e2e/stack';
import { DEFAULT_HEAP_MB, PIPELINE_SERVICES } from '../scripts/services';
import { NATS_MEMORY_LIMIT } from '../scripts/local-nats';
import { natsServerPid } from './proc';
import { percentile, probeDir, profileEnv, StageSampler, useBundles } from './probe';
const QUICK = process.env.BENCH_E2E_QUICK === '1';

interface Change {
  vendor: 'onguard' | 'milestone';
  deviceId: string;
  status: 'offline' | 'online';
  at: number;
}

/** Peak resident set (VmHWM) of a process, MB. */
export function peakRssMb(pid: number | null): number {
  if (!pid) return NaN;
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : NaN;
  } catch {
    return NaN;
  }
}

/**
 * Makes changes in the simulators and matches each to its health event at the cloud. Every
 * device toggles (offline, then online, …); devices are used round-robin so one device changes
 * again only after the whole list went round.
 */
export class ChangeDriver {
  private readonly targets: Array<{ vendor: 'onguard' | 'milestone'; deviceId: string; flip: (online: boolean) => void; online: boolean }> = [];
  private next = 0;
  private readonly pending = new Map<string, Change[]>();
  private cursor = 0;
  readonly latencies: Array<{ vendor: string; ms: number; at: number }> = [];
  made = 0;
  lastArrival = 0;

  constructor(private readonly stack: Stack) {
    const og = stack.onguard.control.devices('reader').filter((d) => d.expected_status === 'online');
    const xp = stack.milestone.control.devices().filter((d) => d.resource_type === 'cameras' && d.expected_status === 'online');
    const n = Math.max(og.length, xp.length);
    for (let i = 0; i < n; i++) {
      const a = og[i];
      const b = xp[i];
      if (a)
        this.targets.push({
          vendor: 'onguard',
          deviceId: `onguard:${SYSTEMS.onguard}:${a.canonical_key}`,
          online: true,
          flip: (online) => void stack.onguard.control.setOnline(a.canonical_key, online),
        });
      if (b)
        this.targets.push({
          vendor: 'milestone',
          deviceId: `milestone:${SYSTEMS.milestone}:${b.key}`,
          online: true,
          flip: (online) => void (online ? stack.milestone.control.commRestored(b.resource_type, b.id) : stack.milestone.control.commError(b.resource_type, b.id)),
        });
    }
  }

  get devices(): number {
    return this.targets.length;
  }

  change(): void {
    const t = this.targets[this.next++ % this.targets.length];
    t.online = !t.online;
    const c: Change = { vendor: t.vendor, deviceId: t.deviceId, status: t.online ? 'online' : 'offline', at: Date.now() };
    t.flip(t.online);
    const q = this.pending.get(c.deviceId) ?? [];
    q.push(c);
    this.pending.set(c.deviceId, q);
    this.made++;
  }

  /** Matches cloud events received since the last call. */
  collect(): void {
    const events = this.stack.cloud.store.events;
    for (; this.cursor < events.length; this.cursor++) {
      const e = events[this.cursor];
      const q = this.pending.get(e.device_id);
      if (!q || q.length === 0) continue;
      const i = q.findIndex((c) => c.status === e.status);
      if (i < 0) continue;
      const [c] = q.splice(0, i + 1);
      const at = Date.parse(e.received_at);
      this.latencies.push({ vendor: c.vendor, ms: at - c.at, at: c.at });
      this.lastArrival = Math.max(this.lastArrival, at);
    }
  }

  get outstanding(): number {
    let n = 0;
    for (const q of this.pending.values()) n += q.length;
    return n;
  }

  reset(): void {
    this.latencies.length = 0;
    this.made = 0;
    this.lastArrival = 0;
    for (const q of this.pending.values()) q.length = 0;
    this.cursor = this.stack.cloud.store.events.length;
  }
}

async function drain(driver: ChangeDriver, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    driver.collect();
    if (driver.outstanding === 0) return;
    await sleep(50);
  }
}

/** Changes at `rate`/s for `seconds`, paced every 10 ms. */
async function atRate(driver: ChangeDriver, rate: number, seconds: number): Promise<void> {
  const total = rate * seconds;
  const started = Date.now();
  while (driver.made < total) {
    const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * rate) + 1);
    while (driver.made < due) driver.change();
    driver.collect();
    await sleep(10);
  }
}

const NATS_USER = { user: 'edge', pass: 'e2e-nats-password' };

async function latencyAndThroughput(out: Record<string, number>): Promise<void> {
  const dir = probeDir('latency');
  const stack = await startStack({
    serviceEnv: dir ? profileEnv(join(dir, 'cpu')) : {},
    onguard: { site: QUICK ? { panels: 20, readersPerPanel: 20 } : { panels: 100, readersPerPanel: 25, alarmPanelsPerPanel: 1, recorders: 4, camerasPerRecorder: 8 } },
    milestone: { hardware: QUICK ? 200 : 1200, recordingServers: 4 },
    config: { log: { level: 'warn' } },
  });
  try {
    await waitFor('both inventories', () => stack.cloud.store.syncList().filter((s) => s.final).length >= 2, { timeoutMs: 180_000, logs: stack.logs });
    const driver = new ChangeDriver(stack);
    out.e2e_change_devices = driver.devices;
    const sampler = dir ? await StageSampler.start({ natsUrl: stack.natsUrl, ...NATS_USER, file: join(dir, 'stages.jsonl'), normalizerStatus: stack.statusUrl('normalizer'), forwarderStatus: stack.statusUrl('forwarder'), everyMs: 250 }) : null;
    const keep = (phase: string) => {
      if (!dir) return;
      appendFileSync(join(dir, 'latencies.jsonl'), driver.latencies.map((l) => JSON.stringify({ phase, ...l })).join('\n') + '\n');
    };
    await sleep(2_000);
    for (const rate of [10, 100, 1000]) {
      driver.reset();
      sampler?.mark(`rate ${rate} start`);
      const seconds = QUICK ? 3 : rate === 1000 ? 5 : 10;
      await atRate(driver, rate, seconds);
      await drain(driver, 30_000);
      const all = driver.latencies.map((l) => l.ms);
      out[`e2e_latency_ms_p50_at_${rate}`] = percentile(all, 50);
      out[`e2e_latency_ms_p99_at_${rate}`] = percentile(all, 99);
      for (const v of ['onguard', 'milestone']) {
        const xs = driver.latencies.filter((l) => l.vendor === v).map((l) => l.ms);
        out[`e2e_latency_ms_p50_at_${rate}_${v}`] = percentile(xs, 50);
        out[`e2e_latency_ms_p99_at_${rate}_${v}`] = percentile(xs, 99);
      }
      keep(`at_${rate}`);
      out[`e2e_changes_at_${rate}`] = driver.made;
      out[`e2e_unmatched_at_${rate}`] = driver.outstanding;
      await sleep(1_500);
    }
    // Sustained throughput: a burst as fast as the simulators take the changes.
    driver.reset();
    sampler?.mark('burst start');
    const burst = QUICK ? 2_000 : Math.min(20_000, driver.devices * 4);
    const t0 = Date.now();
    while (driver.made < burst) {
      for (let i = 0; i < 200 && driver.made < burst; i++) driver.change();
      driver.collect();
      await sleep(0);
    }
    await drain(driver, 120_000);
    sampler?.mark('burst drained');
    keep('burst');
    await sampler?.stop();
    const matched = driver.latencies.length;
    out.e2e_per_s = Math.round(matched / Math.max(0.001, (driver.lastArrival - t0) / 1000));
    out.e2e_burst_changes = burst;
    out.e2e_burst_unmatched = driver.outstanding;
    for (const v of ['onguard', 'milestone']) {
      const n = driver.latencies.filter((l) => l.vendor === v).length;
      out[`e2e_burst_matched_${v}`] = n;
    }
    // Peak RSS of every service of this site (bench/report.ts reads the e2e area's RSS from these keys).
    for (const s of PIPELINE_SERVICES) {
      const mb = peakRssMb(stack.supervisor.pid(s.name));
      if (Number.isFinite(mb)) out[`rss_mb_${s.name}_latency`] = mb;
    }
  } finally {
    await stack.stop();
  }
}

/**
 * The first sync reads every device's hardware status; the product caps OpenAccess calls at 50/s
 * by default to spare a real server (its audit log), which alone makes a 20 000-reader first sync
 * take 400 s. The simulator needs no such care: the inventory runs and the soak measure the pipeline.
 */
export const UNCAPPED_ONGUARD = { onguard: { max_calls_per_second: 0 } };

/** Sites of the inventory runs: ≈ half the devices in each system. */
export const SITES = {
  '50k': {
    onguard: { panels: 500, readersPerPanel: 40, alarmPanelsPerPanel: 4, intrusionPanels: 10, recorders: 50, camerasPerRecorder: 48 },
    milestone: { hardware: 6500, recordingServers: 8 },
  },
  '100k': {
    onguard: { panels: 1000, readersPerPanel: 40, alarmPanelsPerPanel: 4, intrusionPanels: 20, recorders: 100, camerasPerRecorder: 48 },
    milestone: { hardware: 13000, recordingServers: 16 },
  },
} as const;

/**
 * deploy/README.md's sizing of each site. From 100 000 devices the normalizer holds ≈ 110 MB live
 * and nats-server ≈ 235 MB (heap profiles, bench/README.md): under the default limits (192 MB of
 * old space, `GOMEMLIMIT=192MiB`) both collect garbage for a third of their CPU time. An
 * `EDGE_HEAP_MB` or `GOMEMLIMIT` in the bench's own environment wins (comparisons).
 */
export const SIZING: Record<keyof typeof SITES, Record<string, string>> = {
  '50k': {},
  '100k': { EDGE_HEAP_MB: '384', GOMEMLIMIT: '384MiB' },
};

/** A Go memory limit (`384MiB`, `1GiB`, bytes) in MiB; NaN when it is none of these. */
function mebibytes(limit: string): number {
  const m = /^(\d+)(MiB|GiB)?$/.exec(limit);
  if (!m) return Number.NaN;
  return m[2] === 'GiB' ? Number(m[1]) * 1024 : m[2] === 'MiB' ? Number(m[1]) : Math.round(Number(m[1]) / 2 ** 20);
}

/** Every process of the site: the services and nats-server (their peak RSS, VmHWM). */
function rssOfSite(stack: Stack, out: Record<string, number>, size: string): void {
  let max = 0;
  let total = 0;
  for (const s of PIPELINE_SERVICES) {
    const mb = peakRssMb(stack.supervisor.pid(s.name));
    // A collector of a vendor with no system in this site is not started.
    if (!Number.isFinite(mb)) continue;
    out[`rss_mb_${s.name}${size === '50k' ? '' : `_${size}`}`] = mb;
    max = Math.max(max, mb);
    total += mb;
  }
  const nats = peakRssMb(natsServerPid(stack.supervisor.pid('nats')));
  if (Number.isFinite(nats)) total += nats;
  if (size === '50k') {
    out.rss_mb_max = max;
    out.rss_mb_nats_server = nats;
    out.rss_mb_total_at_50k = total;
  } else {
    out[`rss_mb_max_${size}`] = max;
    out[`rss_mb_nats_server_${size}`] = nats;
    out[`rss_mb_total_at_${size}`] = total;
  }
}

async function inventory(out: Record<string, number>, size: keyof typeof SITES): Promise<void> {
  const started = Date.now();
  const dir = probeDir(`inventory_${size}`);
  const stack = await startStack({
    onguard: { site: QUICK ? { panels: 50, readersPerPanel: 40 } : SITES[size].onguard },
    milestone: QUICK ? { hardware: 500, recordingServers: 8 } : SITES[size].milestone,
    cloudRetain: 'ids',
    config: { log: { level: 'warn' } },
    serviceEnv: dir ? profileEnv(dir) : {},
    vendorExtras: UNCAPPED_ONGUARD,
    launchEnv: SIZING[size],
  });
  try {
    // The limits this run had.
    const setting = (name: string) => process.env[name] ?? SIZING[size][name];
    out[`inventory_${size}_heap_mb`] = Number(setting('EDGE_HEAP_MB') ?? DEFAULT_HEAP_MB);
    out[`inventory_${size}_nats_memory_limit_mib`] = mebibytes(setting('GOMEMLIMIT') ?? NATS_MEMORY_LIMIT);
    const total = stack.onguard.control.devices().length + stack.milestone.control.devices().length;
    out[`inventory_${size}_devices`] = total;
    const finals = () => stack.cloud.store.syncList().filter((s) => s.final);
    await waitFor('the first full inventory of both systems', () => finals().length >= 2 && stack.cloud.store.devices.size >= total, { timeoutMs: 600_000, logs: stack.logs });
    out[`inventory_${size}_first_seconds`] = Math.round((Date.now() - started) / 100) / 10;
    await sleep(3_000);
    // A commanded full sync of both systems: trigger → both final batches at the cloud.
    const before = new Set(finals().map((s) => s.id));
    const t0 = Date.now();
    for (const svc of ['collector-onguard', 'collector-milestone'])
      await fetch(stack.statusUrl(svc).replace('/status', '/sync'), { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    await waitFor('the commanded syncs at the cloud', () => finals().filter((s) => !before.has(s.id)).length >= 2, { timeoutMs: 600_000, logs: stack.logs });
    out[`inventory_${size}_seconds`] = Math.round((Date.now() - t0) / 100) / 10;
    out[`inventory_${size}_devices_per_s`] = Math.round(total / out[`inventory_${size}_seconds`]);
    rssOfSite(stack, out, size);
    if (dir && size === '50k') {
      // Heap snapshots of every service at 50 000 devices (--heapsnapshot-signal).
      for (const s of PIPELINE_SERVICES) {
        const pid = stack.supervisor.pid(s.name);
        if (pid) process.kill(pid, 'SIGUSR2');
      }
      await sleep(20_000);
    }
  } finally {
    await stack.stop();
  }
}

export async function run(): Promise<Record<string, number>> {
  useBundles();
  const out: Record<string, number> = {};
  // BENCH_E2E_ONLY=latency|inventory|inventory_100k runs one part (investigations); the report runs all.
  const only = process.env.BENCH_E2E_ONLY;
  if (!only || only === 'latency') await latencyAndThroughput(out);
  if (!only || only === 'inventory') await inventory(out, '50k');
  if (!only || only === 'inventory_100k') await inventory(out, '100k');
  // The names bench/report.ts reads for its headline rows.
  out.per_s = out.e2e_per_s;
  out.latency_ms_p50_at_1000 = out.e2e_latency_ms_p50_at_1000;
  out.latency_ms_p99_at_1000 = out.e2e_latency_ms_p99_at_1000;
  return out;
}

if (require.main === module) {
  run().then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      process.exit(0);
    },
    (e: unknown) => {
      process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
