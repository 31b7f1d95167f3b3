/**
 * The status page's process at 50 000 devices: the real normalizer (in process, real OnGuard
 * mapper) holds a site of 2 000 panels × 24 readers + the panels (50 000 devices, 2% offline);
 * the console runs as its own process (as `npm start` runs it) and serves a technician: one live
 * page (SSE) and, every second, the page's requests (view, device tree, offline list, a name
 * filter) while readers go offline and back. The console runs as it does in the image: its
 * esbuild bundle (`scripts/build.mjs console`, page prebuilt), under plain node. Reports its peak
 * and idle RSS and the answer times.
 * Run: `npx tsx bench/console.ts` (prints JSON); in `npm run bench` as area `console`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { CONSUMERS, STREAMS, subjects, type RawEnvelope } from '@edge/contracts';
import { provision, provisionOptionsFromConfig, sleep, startService } from '@edge/platform';
import { freePort, startNatsServer, testConfig } from '@edge/platform/testing';
import { createNormalizerModule, normalizerConsumers } from '../services/normalizer/src/normalizer.module';

const PANELS = Number(process.env.BENCH_CONSOLE_PANELS ?? 2_000);
const READERS = 24;
const SECONDS = Number(process.env.BENCH_CONSOLE_SECONDS ?? 30);
const SYSTEM = 'og-bench';
const ROOT = join(__dirname, '..');

const at = () => new Date().toISOString();
function envelope(kind: RawEnvelope['kind'], payload: unknown, extra: Partial<RawEnvelope> = {}): RawEnvelope {
  return { schema: 'raw/v1', vendor: 'onguard', system_id: SYSTEM, site_id: 'site-test', customer_id: 'cust-test', kind, observed_at: at(), payload, ...extra };
}

async function publishAll(js: JetStreamClient, items: Array<{ subject: string; body: string; id: string }>, window = 512): Promise<void> {
  const inflight: Array<Promise<unknown>> = [];
  for (const it of items) {
    inflight.push(js.publish(it.subject, it.body, { msgID: it.id }));
    if (inflight.length >= window) await inflight.shift();
  }
  await Promise.all(inflight);
}

function inventory(): Array<{ subject: string; body: string; id: string }> {
  const subject = subjects.raw('onguard', SYSTEM, 'inventory');
  const out = [{ subject, body: JSON.stringify(envelope('sync.begin', { trigger: 'command' }, { sync_id: 's1', seq: 0 })), id: 'b' }];
  let seq = 0;
  const hw = (online: boolean) => ({ status: online ? 1 : 0, read_at: at(), error: null });
  for (let p = 1; p <= PANELS; p++) {
    const panel = { ID: p, Name: `Bldg ${Math.ceil(p / 40)} LNL-3300 #${p}`, PanelType: 'LNL-3300', IsOnline: true, SegmentID: 0 };
    out.push({ subject, body: JSON.stringify(envelope('device', { native_type: 'Lnl_Panel', object: panel, hardware_status: hw(true), hints: {} }, { sync_id: 's1', seq: ++seq })), id: `p${p}` });
    for (let r = 1; r <= READERS; r++) {
      const reader = { PanelID: p, ReaderID: r, Name: `Bldg ${Math.ceil(p / 40)} Door ${r} (P${p})` };
      const online = (p * READERS + r) % 50 !== 0;
      out.push({ subject, body: JSON.stringify(envelope('device', { native_type: 'Lnl_Reader', object: reader, panel, hardware_status: hw(online), panel_status: hw(true), hints: {} }, { sync_id: 's1', seq: ++seq })), id: `r${p}-${r}` });
    }
  }
  out.push({ subject, body: JSON.stringify(envelope('sync.end', { count: seq, complete: true }, { sync_id: 's1', seq: seq + 1 })), id: 'e' });
  return out;
}

function statusChange(p: number, r: number, online: boolean, n: number) {
  const row = { native_type: 'Lnl_Reader', object: { PanelID: p, ReaderID: r }, hardware_status: { status: online ? 1 : 0, read_at: at(), error: null }, hints: {} };
  return { subject: subjects.raw('onguard', SYSTEM, 'status'), body: JSON.stringify(envelope('status', { source: 'hardware_status', via: 'event', reason: 'bench', rows: [row] })), id: `st${n}` };
}

function rssMb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

async function timed(url: string): Promise<number> {
  const t0 = performance.now();
  const r = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  await r.arrayBuffer();
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return performance.now() - t0;
}

export async function run(): Promise<Record<string, number>> {
  const nats = await startNatsServer();
  const dir = mkdtempSync(join(tmpdir(), 'edge-bench-console-'));
  const config = testConfig(nats.url, { log: { level: 'error' }, streams: { duplicate_window: '2m' } });
  const nc = await connect({ servers: nats.url, name: 'bench-console' });
  const svc = await startService({ service: 'normalizer', module: createNormalizerModule(), consumers: normalizerConsumers, config, httpPort: 0 });
  let child: ReturnType<typeof spawn> | null = null;
  try {
    await provision(nc, provisionOptionsFromConfig(config));
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    const inv = inventory();
    const devices = inv.length - 2;
    await publishAll(js, inv);
    inv.length = 0;
    for (;;) {
      const i = await jsm.consumers.info(STREAMS.raw, CONSUMERS.normalizer);
      if (i.num_pending === 0 && i.num_ack_pending === 0) break;
      await sleep(200);
    }
    const port = await freePort();
    const file = join(dir, 'edge.yaml');
    writeFileSync(file, stringify({ site: { id: 'site-test', customer_id: 'cust-test' }, nats: { url: nats.url }, cloud: { base_url: 'http://127.0.0.1:9', token: 't' }, http: { host: '127.0.0.1', ports: { console: port } }, log: { level: 'error' }, data_dir: dir }));
    execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs'), '--outdir', join(dir, 'dist'), 'console'], { cwd: ROOT, stdio: 'ignore' });
    child = spawn(process.execPath, [join(dir, 'dist', 'console.js')], { cwd: ROOT, env: { ...process.env, EDGE_CONFIG: file }, stdio: 'ignore' });
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      if ((await fetch(`${base}/healthz`).catch(() => null))?.ok) break;
      if (i > 300) throw new Error('console did not start');
      await sleep(100);
    }
    const listed = (await (await fetch(`${base}/api/devices?limit=1`)).json()) as { total?: number };
    if (listed.total !== devices) throw new Error(`the registry lists ${listed.total} devices, not ${devices}`);
    await sleep(1_000);
    const idle = rssMb(child.pid!) ?? 0;
    let peak = idle;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(child!.pid!) ?? 0)), 200);
    const live = new AbortController();
    let frames = 0;
    void fetch(`${base}/api/live`, { signal: live.signal })
      .then(async (r) => {
        for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) frames += (Buffer.from(chunk).toString().match(/event: view/g) ?? []).length;
      })
      .catch(() => undefined);
    const times = { view: [] as number[], tree: [] as number[], offline: [] as number[], name: [] as number[] };
    const end = Date.now() + SECONDS * 1000;
    let n = 0;
    while (Date.now() < end) {
      const p = 1 + (n % PANELS);
      await publishAll(js, [statusChange(p, 1, n % 2 === 1, n)]);
      await timed(`${base}/`);
      await timed(`${base}/app.js`);
      times.view.push(await timed(`${base}/api/view`));
      times.tree.push(await timed(`${base}/api/devices?limit=500`));
      times.offline.push(await timed(`${base}/api/devices?status=offline&limit=200`));
      times.name.push(await timed(`${base}/api/devices?name=Door%2012&limit=500`));
      n++;
      await sleep(1_000);
    }
    live.abort();
    clearInterval(sampler);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
    return {
      devices,
      seconds: SECONDS,
      page_rounds: n,
      sse_view_frames: frames,
      rss_mb: Math.round(peak),
      rss_mb_idle: Math.round(idle),
      view_ms_median: Math.round(median(times.view)),
      device_tree_ms_median: Math.round(median(times.tree)),
      offline_list_ms_median: Math.round(median(times.offline)),
      name_filter_ms_median: Math.round(median(times.name)),
    };
  } finally {
    child?.kill('SIGTERM');
    await svc.stop().catch(() => undefined);
    await nc.drain().catch(() => undefined);
    await nats.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  run()
    .then((r) => {
      console.log(JSON.stringify(r, null, 2));
      process.exit(0);
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
