/**
 * `npm run soak`: the whole product (as `npm start` runs it, from the build bundles) under a
 * steady load for a long time, to show that no process grows: steady status changes (half
 * OnGuard readers, half XProtect cameras) and periodic full syncs of both systems. The RSS of
 * every process (services and nats-server) is sampled every 10 s; after the warm-up (the first
 * full inventory of both systems, then `warm-up` more), the least-squares slope of each
 * process's RSS (MB per hour) is the leak signal.
 *
 * Options (or environment): `--minutes N` (SOAK_MINUTES, default 30), `--sync-every <duration>`
 * (SOAK_SYNC_EVERY, default 10m: the product's inventory interval is 1h, which a 30-minute soak
 * would never see), `--warm-up-minutes N` (SOAK_WARM_UP_MINUTES, default 5), `--rate N`
 * changes/s (SOAK_RATE, default 20), `--site 50k|100k|small`
 * (SOAK_SITE, default 50k), `--no-write`. Writes `soak.*` into bench/results.json (the other keys
 * are kept) and prints the JSON.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { sleep } from '@edge/platform';
import { startStack } from '../test/e2e/stack';
import { PIPELINE_SERVICES } from '../scripts/services';
import { ChangeDriver, SITES, UNCAPPED_ONGUARD } from './e2e';
import { natsServerPid, rssMb } from './proc';
import { useBundles } from './probe';

function option(name: string, env: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return (i >= 0 ? process.argv[i + 1] : undefined) ?? process.env[env] ?? dflt;
}

/** Least-squares slope of y over x. */
export function slope(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

async function main(): Promise<void> {
  const minutes = Number(option('minutes', 'SOAK_MINUTES', '30'));
  const syncEvery = option('sync-every', 'SOAK_SYNC_EVERY', '10m');
  const warmUpMs = Number(option('warm-up-minutes', 'SOAK_WARM_UP_MINUTES', '5')) * 60_000;
  const rate = Number(option('rate', 'SOAK_RATE', '20'));
  const site = option('site', 'SOAK_SITE', '50k');
  const sizes = site === 'small' ? { onguard: { panels: 20, readersPerPanel: 20 }, milestone: { hardware: 200, recordingServers: 2 } } : SITES[site as keyof typeof SITES];
  if (!sizes) throw new Error(`unknown site ${site} (50k, 100k, small)`);
  useBundles();
  const stack = await startStack({
    onguard: { site: sizes.onguard },
    milestone: sizes.milestone,
    cloudRetain: 'ids',
    config: { log: { level: 'warn' } },
    systemExtras: { inventory_interval: syncEvery },
    vendorExtras: UNCAPPED_ONGUARD,
  });
  const series = new Map<string, Array<[number, number]>>();
  const started = Date.now();
  const end = started + minutes * 60_000;
  /** When the first full inventory of both systems was at the cloud (ms after start). */
  let loadedAtMs = Infinity;
  const sample = () => {
    const t = (Date.now() - started) / 3_600_000;
    for (const name of [...PIPELINE_SERVICES.map((s) => s.name), 'nats']) {
      const mb = rssMb(name === 'nats' ? natsServerPid(stack.supervisor.pid(name)) : stack.supervisor.pid(name));
      if (mb === null) continue;
      const key = name === 'nats' ? 'nats-server' : name;
      if (!series.has(key)) series.set(key, []);
      series.get(key)!.push([t, mb]);
    }
  };
  const sampler = setInterval(sample, 10_000);
  let syncs = 0;
  let driver: ChangeDriver | null = null;
  try {
    const finals = () => stack.cloud.store.syncList().filter((s) => s.final).length;
    while (finals() < 2 && Date.now() < end) await sleep(1_000);
    loadedAtMs = Date.now() - started;
    driver = new ChangeDriver(stack);
    const t0 = Date.now();
    while (Date.now() < end) {
      const due = Math.floor(((Date.now() - t0) / 1000) * rate);
      while (driver.made < due) driver.change();
      driver.collect();
      // Keep the driver's memory flat: matched latencies are not needed here.
      driver.latencies.length = 0;
      await sleep(100);
    }
    syncs = Math.max(0, finals() - 2);
  } finally {
    clearInterval(sampler);
    sample();
    await stack.stop();
  }
  const out: Record<string, number> = {
    minutes: Math.round(((Date.now() - started) / 60_000) * 10) / 10,
    first_inventory_minutes: Math.round((loadedAtMs / 60_000) * 10) / 10,
    slope_minutes: Math.max(0, Math.round(((Date.now() - started - loadedAtMs - warmUpMs) / 60_000) * 10) / 10),
    syncs_after_start: syncs,
    changes: driver?.made ?? 0,
    load_avg_1m_at_end: Math.round(loadavg()[0] * 100) / 100,
  };
  const slopes: Record<string, number> = {};
  const lastMb: Record<string, number> = {};
  for (const [name, pts] of series) {
    const after = pts.filter(([t]) => t * 3_600_000 >= loadedAtMs + warmUpMs);
    slopes[name] = Math.round(slope(after) * 10) / 10;
    lastMb[name] = Math.round(pts[pts.length - 1][1]);
  }
  const result = { ...out, rss_mb_slope_per_hour: slopes, rss_mb_at_end: lastMb };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (!process.argv.includes('--no-write')) {
    const file = join(__dirname, 'results.json');
    const results = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
    results.soak = result;
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
