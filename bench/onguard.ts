/**
 * OnGuard collector benchmark (self-contained): a real nats-server, the OpenAccess simulator in its
 * own process, the collector in this one.
 *
 * - inventory: 20 000 readers (+ panels, recorders, cameras) from the simulator into RAW with the
 *   default settings (hardware status read per device) but no call cap, wall time and this
 *   process's peak RSS;
 * - event latency: a device change in the simulator (control call issued) → its status message
 *   stored in RAW (read back through a JetStream consumer), p50/p99 over paced changes;
 * - OpenAccess calls per hour, before and after the audit-log work (bench/onguard-calls.ts, which
 *   also runs alone).
 *
 * `npx tsx bench/onguard.ts` prints the JSON.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { RawEnvelope, STREAMS, subjects } from '@edge/contracts';
import { connectNats, createLogger, provision, provisionOptionsFromConfig, Publisher, SystemConfig } from '@edge/platform';
import { startNatsServer, testConfig } from '@edge/platform/testing';
import { CollectorRunner, RawPublisher } from '@edge/collector-kit';
import { OnGuardCollector, parseOnGuardSystem } from '@edge/vendor-onguard';
import { callsPerHour } from './onguard-calls';

const log = createLogger({ service: 'bench-onguard', level: process.env.BENCH_LOG_LEVEL ?? 'warn' });
const SIM_MAIN = resolve(__dirname, '../services/simulators/onguard/src/main.ts');

interface Sim {
  url: string;
  devices: number;
  stop(): Promise<void>;
}

export async function startSim(args: string[]): Promise<Sim> {
  const child = spawn(process.execPath, ['--import', 'tsx', SIM_MAIN, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((res, rej) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (l) => {
      rl.close();
      res(l);
    });
    child.once('exit', (c) => rej(new Error(`simulator exited (${c})`)));
  });
  const info = JSON.parse(line) as { url: string; devices: number };
  return {
    ...info,
    stop: () =>
      new Promise<void>((r) => {
        if (child.exitCode !== null) return r();
        child.once('exit', () => r());
        child.kill('SIGTERM');
      }),
  };
}

export function systemFor(sim: Sim, id: string, extras: Record<string, unknown>) {
  return parseOnGuardSystem(
    SystemConfig.parse({ id, vendor: 'onguard', base_url: sim.url, username: 'sa', password: 'sim-sa-password', application_id: 'SYS_ADMIN_APP', ...extras }),
  );
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function run(): Promise<Record<string, number>> {
  const nats = await startNatsServer();
  const nc = await connectNats({ url: nats.url, name: 'bench-onguard' }, log);
  const sims: Sim[] = [];
  try {
    await provision(nc, provisionOptionsFromConfig(testConfig(nats.url, { streams: { raw: { max_bytes: '4GB', max_age: '1h' }, duplicate_window: '2m' } })));
    const publisher = new Publisher(nc, log, { retryForMs: 60_000, timeoutMs: 10_000 });
    const out: Record<string, number> = {};

    // ---------------------------------------------------------------- inventory 20k
    const big = await startSim(['--panels', '2000', '--readers-per-panel', '10', '--alarm-panels-per-panel', '0', '--intrusion-panels', '2', '--recorders', '4', '--cameras-per-recorder', '25']);
    sims.push(big);
    const raw = new RawPublisher(publisher, { vendor: 'onguard', system_id: 'og-bench', site_id: 'site-test', customer_id: 'cust-test' });
    // The collector's own speed: without the default cap of 50 OpenAccess calls/s, which spares
    // a real server's audit log and alone makes a first sweep of 20 000 readers take ≥ 400 s.
    const collector = new OnGuardCollector(systemFor(big, 'og-bench', { events: { enabled: false }, max_calls_per_second: 0 }), log);
    const runner = new CollectorRunner(collector, raw, log, { inventoryIntervalMs: 0, statusIntervalMs: 0, syncOnStart: false });
    await runner.start();
    const rss0 = process.memoryUsage().rss;
    let rssPeak = rss0;
    let heapPeak = 0;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      rssPeak = Math.max(rssPeak, m.rss);
      heapPeak = Math.max(heapPeak, m.heapUsed);
    }, 100);
    const t0 = performance.now();
    const report = await runner.sync('command');
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    await runner.stop();
    if (!report.complete || report.devices !== big.devices) throw new Error(`inventory incomplete: ${report.devices}/${big.devices}`);
    out.inventory_devices = report.devices;
    out.inventory_20k_seconds = round(seconds);
    out.inventory_devices_per_s = Math.round(report.devices / seconds);
    out.harness_rss_mb_peak = round(rssPeak / 2 ** 20, 1);
    out.harness_rss_mb_growth = round((rssPeak - rss0) / 2 ** 20, 1);
    out.heap_mb_peak = round(heapPeak / 2 ** 20, 1);
    await big.stop();

    // ---------------------------------------------------------------- event latency
    const site = await startSim(['--panels', '200', '--readers-per-panel', '10', '--alarm-panels-per-panel', '0', '--intrusion-panels', '0', '--recorders', '0', '--offline-ratio', '0']);
    sims.push(site);
    const raw2 = new RawPublisher(publisher, { vendor: 'onguard', system_id: 'og-events', site_id: 'site-test', customer_id: 'cust-test' });
    const c2 = new OnGuardCollector(systemFor(site, 'og-events', { status: { update_settle: 0 }, events: { confirm: false } }), log);
    const r2 = new CollectorRunner(c2, raw2, log, { inventoryIntervalMs: 0, statusIntervalMs: 0, syncOnStart: false, reconcileDebounceMs: 50 });
    await r2.start();
    await r2.sync('command');
    for (let i = 0; i < 400 && (c2.state().events !== 'subscribed' || r2.status().last_poll === null); i++) await sleep(50);
    if (c2.state().events !== 'subscribed') throw new Error('event bridge did not subscribe');

    const waiting = new Map<string, (t: number) => void>();
    const consumer = await jetstream(nc).consumers.get(STREAMS.raw, { filter_subjects: subjects.raw('onguard', 'og-events', 'status'), deliver_policy: DeliverPolicy.New });
    const msgs = await consumer.consume();
    const reading = (async () => {
      for await (const m of msgs) {
        const e = RawEnvelope.parse(m.json());
        const p = e.payload as { source?: string; resolved?: { object: Record<string, unknown>; status: string } };
        if (p.source !== 'event' || !p.resolved) continue;
        const k = `${p.resolved.object.PanelID}-${p.resolved.object.ReaderID}:${p.resolved.status}`;
        waiting.get(k)?.(performance.now());
      }
    })();
    const samples: number[] = [];
    let lost = 0;
    const N = Number(process.env.BENCH_ONGUARD_EVENTS ?? 300);
    for (let i = 0; i < N; i++) {
      const panel = 1 + (i % 200);
      const reader = 1 + ((i * 7) % 10);
      const online = Math.floor(i / 200) % 2 === 1;
      const key = `${panel}-${reader}:${online ? 'online' : 'offline'}`;
      const arrived = new Promise<number>((res) => waiting.set(key, res));
      const start = performance.now();
      await fetch(`${site.url}/_sim/readers/${panel}/${reader}/${online ? 'online' : 'offline'}`, { method: 'POST' });
      const end = await Promise.race([arrived, sleep(5_000).then(() => -1)]);
      waiting.delete(key);
      if (end < 0) lost++;
      else samples.push(end - start);
      await sleep(20);
    }
    msgs.stop();
    await reading.catch(() => undefined);
    await r2.stop();
    out.event_samples = samples.length;
    out.event_lost = lost;
    out.event_latency_ms_p50 = round(pct(samples, 50));
    out.event_latency_ms_p99 = round(pct(samples, 99));
    out.event_latency_ms_max = round(Math.max(...samples));
    Object.assign(out, await callsPerHour());
    return out;
  } finally {
    for (const s of sims) await s.stop().catch(() => undefined);
    await nc.drain().catch(() => undefined);
    await nats.dispose();
  }
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
