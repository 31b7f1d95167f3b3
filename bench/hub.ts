/**
 * Cost of a site on the regional hub (deploy/nats/leaf): memory and CPU of the hub's
 * nats-server per connected leaf site, from the committed configs (test/deploy/hub-rig.ts: one
 * account per site, TLS leaf links, a hub-side stream per site sourcing its CANONICAL and
 * republishing to the OPS account's FLEET stream).
 *
 * For N sites (HUB_BENCH_SITES, default "10,30"): hub RSS with the accounts configured and no
 * site connected; RSS with every site connected and attached; CPU (user+system, /proc) while
 * idle and while every site publishes HUB_BENCH_RATE canonical messages/s (default 5, ~0.6 KB
 * each — a site's health events) for HUB_BENCH_SECONDS (default 20). Per-site numbers are the
 * differences divided by N; deploy/README.md projects them to 1 000 sites.
 * `npx tsx bench/hub.ts` prints the JSON.
 */
import { readFileSync } from 'node:fs';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { startHubRig } from '../test/deploy/hub-rig';

const SIZES = (process.env.HUB_BENCH_SITES || '10,30').split(',').map(Number);
const RATE = Number(process.env.HUB_BENCH_RATE || 5);
const SECONDS = Number(process.env.HUB_BENCH_SECONDS || 20);
const TICKS = 100; // USER_HZ on Linux

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / TICKS;
}

async function cpuShare(pid: number, ms: number, during?: (stopAt: number) => Promise<void>): Promise<number> {
  const c0 = cpuSeconds(pid);
  const t0 = Date.now();
  if (during) await during(t0 + ms);
  else await new Promise((r) => setTimeout(r, ms));
  return (cpuSeconds(pid) - c0) / ((Date.now() - t0) / 1000);
}

async function measure(n: number): Promise<Record<string, number>> {
  let rssAlone = NaN;
  // The hub with its accounts configured, before any site connects.
  const rig = await startHubRig(n, {
    onHubStarted: async (pid) => {
      await new Promise((r) => setTimeout(r, 3_000));
      rssAlone = rssMb(pid);
    },
  });
  try {
    const pid = rig.hubPid();
    const ops = await jetstreamManager(await rig.ops());
    await ops.streams.add({ name: 'FLEET', subjects: ['fleet.>'] });
    for (const e of rig.edges) await rig.attachSite(e);
    await new Promise((r) => setTimeout(r, 3_000));
    const rssConnected = rssMb(pid);
    const idle = await cpuShare(pid, 10_000);
    const publishers = await Promise.all(rig.edges.map(async (e) => ({ e, js: jetstream(await e.as('normalizer')) })));
    const body = JSON.stringify({ pad: 'x'.repeat(560) });
    let sent = 0;
    const load = await cpuShare(pid, SECONDS * 1000, async (stopAt) => {
      const interval = 1000 / RATE;
      let next = Date.now();
      while (Date.now() < stopAt) {
        await Promise.all(publishers.map(({ e, js }) => js.publish(`canonical.health.${e.site}`, body)));
        sent += publishers.length;
        next += interval;
        await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
      }
    });
    const rssLoaded = rssMb(pid);
    const fleet = await ops.streams.info('FLEET');
    return {
      sites: n,
      hub_rss_mb_no_site_connected: round(rssAlone),
      hub_rss_mb_connected: round(rssConnected),
      hub_rss_mb_after_load: round(rssLoaded),
      rss_mb_per_site: round((rssLoaded - rssAlone) / n),
      cpu_cores_idle: round(idle, 3),
      cpu_cores_load: round(load, 3),
      cpu_cores_per_site_idle: round(idle / n, 4),
      cpu_cores_per_site_load: round(load / n, 4),
      msgs_per_s_per_site: RATE,
      msgs_sent: sent,
      fleet_messages: fleet.state.messages,
    };
  } finally {
    await rig.dispose();
  }
}

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

export async function run(): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {};
  for (const n of SIZES) out[`sites_${n}`] = await measure(n);
  return out;
}

if (require.main === module)
  void run().then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      process.exit(0);
    },
    (e) => {
      process.stderr.write(`${String((e as Error)?.stack ?? e)}\n`);
      process.exit(1);
    },
  );
