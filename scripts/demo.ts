/**
 * `npm run demo` (after scripts/demo.sh installed what was missing): the whole product on one
 * machine. Starts a simulator per vendor of the vendor list and the cloud simulator, runs the pipeline exactly as
 * `npm start` does with config/demo.yaml (its own nats-server, one process per service),
 * collects the services' traces with a small OTLP receiver, shows progress, takes a few
 * devices offline and back so health events flow, and ends with a summary.
 *
 * DEMO_SECONDS (default 60; 0 = until Ctrl-C). DEMO_UNTIL=done ends the demo as soon as its
 * scenario is complete (inventory at the cloud, every state change arrived, the on-demand sync
 * finished) however long the machine takes, with DEMO_SECONDS (default 600 then) as the bound
 * that only a hang reaches: CI and tests use it. Works without a terminal (plain lines then).
 */
import { mkdirSync, rmSync, createWriteStream, writeFileSync, readFileSync, type WriteStream } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { createServer } from 'node:net';
import { DEFAULT_PORTS, httpPortFor, sleep } from '@edge/platform';
import { VENDORS } from '@edge/vendors';
import { startCloudSimulator, type CloudSimulator } from '@edge/sim-cloud';
import { buildPipeline, type Pipeline } from './pipeline';
import { Supervisor } from './supervisor';
import { REPO_ROOT } from './services';
import { envPrefix, startVendorSimulators, type VendorSimulator } from './simulators';
import { renderTrace, serviceOf, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './otlp-receiver';

const UNTIL_DONE = process.env.DEMO_UNTIL === 'done';
const SECONDS = Number(process.env.DEMO_SECONDS ?? (UNTIL_DONE ? 600 : 60));
const TTY = Boolean(process.stdout.isTTY);
const DATA = resolve(process.env.DEMO_DATA_DIR || join(REPO_ROOT, 'data', 'demo'));
const CONFIG = join(REPO_ROOT, 'config', 'demo.yaml');
const CLOUD_TOKEN = 'demo-cloud-token';

/** A path as the user would type it from where they are (relative inside, absolute outside). */
function shownPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r === '' ? '.' : r.startsWith('..') ? p : r;
}

const c = (code: number, s: string) => (TTY ? `\x1b[${code}m${s}\x1b[0m` : s);
const bold = (s: string) => c(1, s);
const dim = (s: string) => c(90, s);
const green = (s: string) => c(32, s);
const yellow = (s: string) => c(33, s);

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function pickPort(preferred: number): Promise<number> {
  if (preferred > 0 && (await portFree(preferred))) return preferred;
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

async function getJson<T>(url: string, token?: string): Promise<T | null> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(2_000), headers: token ? { authorization: `Bearer ${token}` } : {} });
    return r.ok ? ((await r.json()) as T) : null;
  } catch {
    return null;
  }
}

interface SystemView {
  system_id: string;
  vendor: string;
  state?: { connection?: string; events?: string };
  syncing?: boolean;
  last_sync?: { devices?: number; complete?: boolean | null; finished_at?: string | null } | null;
}
interface ServiceStatus {
  systems?: SystemView[];
  normalizer?: { processed?: number };
  forwarder?: { backlog?: { messages?: number } | null; delivered?: Record<string, number>; circuit?: { state?: string } };
}
interface CloudStats {
  devices: number;
  events: number;
  syncs_completed: number;
  heartbeats: number;
}

interface Change {
  label: string;
  deviceId: string;
  status: 'offline' | 'online';
  at: number;
  arrivedMs: null | number;
}

/** What runs: the simulators, the pipeline under its supervisor, the trace receiver. */
interface Demo {
  sims: VendorSimulator[];
  cloud: CloudSimulator;
  otlp: OtlpReceiver | null;
  pipeline: Pipeline;
  sup: Supervisor;
  logs: Map<string, WriteStream>;
  recentProblems: string[];
  configFile: string;
  httpToken: string | undefined;
  /** Pipeline services with a /status (not nats, not the console). */
  svcNames: string[];
  total: number;
  started: number;
}

/** The scenario's progress, step by step. */
interface Progress {
  phase: 0 | 1 | 2;
  changes: Change[];
  inventoryAt: number | null;
  syncRequested: boolean;
  syncsBeforeRequest: number;
  done: boolean;
}

/** One look at the site: the services' /status and the cloud's counters. */
interface Snapshot {
  elapsed: number;
  systems: SystemView[];
  fwd: ServiceStatus['forwarder'];
  processed: number;
  cloud: CloudStats | null;
  atCloud: number;
}

/** Ports: the simulators' defaults when free (config/demo.yaml's defaults), else any free one. */
async function choosePorts(): Promise<{ sims: Map<string, number>; cloud: number; nats: number }> {
  const sims = new Map<string, number>();
  for (const v of VENDORS) sims.set(v.id, await pickPort(v.simulator.port));
  return { sims, cloud: await pickPort(18090), nats: await pickPort(14222) };
}

/**
 * The demo's config: config/demo.yaml with a system per running simulator (its account's secrets
 * as `${VAR}`s set in this environment) and its status ports, each moved to a free one when taken.
 */
async function writeDemoConfig(sims: VendorSimulator[]): Promise<string> {
  const doc = parse(readFileSync(CONFIG, 'utf8')) as { systems: unknown[]; http: { ports: Record<string, number> } };
  doc.systems = sims.map(({ vendor, sim }) => {
    const { fields, env } = sim.system(envPrefix('DEMO', vendor));
    Object.assign(process.env, env);
    return { id: vendor.simulator.demo.system_id, vendor: vendor.id, base_url: sim.url, ...fields, inventory_interval: '2m', status_interval: '30s' };
  });
  const taken = new Set<number>();
  for (const [svc, p] of Object.entries({ ...DEFAULT_PORTS, ...doc.http.ports })) {
    let port = p;
    while (taken.has(port) || !(await portFree(port))) port = await pickPort(0);
    taken.add(port);
    doc.http.ports[svc] = port;
  }
  const file = join(DATA, 'demo.yaml');
  writeFileSync(file, stringify(doc));
  return file;
}

/** Each process's output to logs/<name>.log; warnings and errors also to the progress view. */
function superviseWithLogs(pipeline: Pipeline, logs: Map<string, WriteStream>, recentProblems: string[]): Supervisor {
  const logFile = (name: string) => {
    let w = logs.get(name);
    if (!w) logs.set(name, (w = createWriteStream(join(DATA, 'logs', `${name}.log`), { flags: 'a' })));
    return w;
  };
  return new Supervisor(pipeline.processes, {
    graceMs: 15_000,
    output: (name, line) => {
      logFile(name).write(`${line}\n`);
      if (/"level":"(warn|error|fatal)"/.test(line)) {
        const msg = /"msg":"([^"]*)"/.exec(line)?.[1] ?? line.slice(0, 120);
        recentProblems.push(`${name}: ${msg}`);
        if (recentProblems.length > 3) recentProblems.shift();
      }
    },
    log: (m) => logFile('supervisor').write(`${new Date().toISOString()} ${m}\n`),
  });
}

/** Starts everything: trace receiver, simulators, the demo config, the pipeline. */
async function startDemo(): Promise<Demo> {
  const ports = await choosePorts();
  const otlp: OtlpReceiver | null = process.env.OTEL_EXPORTER_OTLP_ENDPOINT ? null : await startOtlpReceiver();
  const sims = await startVendorSimulators('demo', (v) => ports.sims.get(v.id));
  const cloud = await startCloudSimulator({ port: ports.cloud, token: CLOUD_TOKEN });
  const configFile = await writeDemoConfig(sims);
  Object.assign(process.env, { DEMO_CLOUD_URL: cloud.url, DEMO_CLOUD_TOKEN: CLOUD_TOKEN, DEMO_DATA_DIR: DATA, EDGE_NATS_PORT: String(ports.nats) });
  const pipeline = buildPipeline(configFile, {
    // Export spans every second so the summary sees recent traces.
    serviceEnv: otlp ? { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint, OTEL_BSP_SCHEDULE_DELAY: '1000' } : {},
  });
  const logs = new Map<string, WriteStream>();
  const recentProblems: string[] = [];
  const sup = superviseWithLogs(pipeline, logs, recentProblems);
  const svcNames = pipeline.processes.filter((p) => p.name !== 'nats' && p.name !== 'console').map((p) => p.name);
  const total = sims.reduce((n, { sim }) => n + sim.devices().length, 0);
  const demo: Demo = { sims, cloud, otlp, pipeline, sup, logs, recentProblems, configFile, httpToken: pipeline.config.http.token, svcNames, total, started: 0 };
  printStart(demo);
  await sup.start();
  demo.started = Date.now();
  return demo;
}

function printStart(d: Demo): void {
  process.stdout.write(`simulators: ${d.sims.map(({ vendor, sim }) => `${vendor.label} ${sim.url} (${sim.devices().length} devices)`).join(', ')}, cloud ${d.cloud.url}\n`);
  process.stdout.write(`starting: ${d.pipeline.processes.map((p) => p.name).join(', ')} (nats ${d.pipeline.natsUrl})\n`);
  process.stdout.write(`status page: ${bold(consoleUrl(d))} (open it in a browser while the demo runs; token for its actions: http.token of ${shownPath(d.configFile)})\n\n`);
}

const consoleUrl = (d: Demo) => `http://127.0.0.1:${httpPortFor(d.pipeline.config, 'console')}/`;
const statusOf = (d: Demo, svc: string) => getJson<ServiceStatus>(`http://127.0.0.1:${httpPortFor(d.pipeline.config, svc)}/status`, d.httpToken);

/** Ctrl-C once: wind down and summarize; twice: stop at once. */
function onStopRequest(sup: Supervisor): () => boolean {
  let stopRequested = false;
  let firstSignalAt = 0;
  const onSignal = () => {
    // npm relays the terminal's Ctrl-C that already reached us: the same press twice.
    if (firstSignalAt && Date.now() - firstSignalAt < 1_500) return;
    if (stopRequested) {
      sup.kill();
      process.exit(130);
    }
    stopRequested = true;
    firstSignalAt = Date.now();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => stopRequested;
}

async function look(d: Demo, p: Progress): Promise<Snapshot> {
  const [st, cloud] = await Promise.all([Promise.all(d.svcNames.map(async (n) => [n, await statusOf(d, n)] as const)), getJson<CloudStats>(`${d.cloud.url}/_sim/stats`)]);
  const byName = new Map(st);
  const atCloud = cloud?.devices ?? 0;
  if (p.inventoryAt === null && atCloud >= d.total) p.inventoryAt = Date.now();
  return {
    elapsed: (Date.now() - d.started) / 1000,
    systems: [...byName.values()].flatMap((s) => s?.systems ?? []),
    fwd: byName.get('forwarder')?.forwarder,
    processed: byName.get('normalizer')?.normalizer?.processed ?? 0,
    cloud,
    atCloud,
  };
}

/** Whether the loop ends now: stopped, done, or (timed demo) past the deadline with nothing left in flight. */
function timeIsUp(p: Progress, elapsed: number): boolean {
  if (p.done) return true;
  if (SECONDS <= 0 || elapsed < SECONDS) return false;
  if (UNTIL_DONE) return true; // a hang: the summary says what is missing
  // At the deadline, a state change still on its way gets up to 10 s more to arrive.
  const inFlight = p.changes.some((x) => x.arrivedMs === null && Date.now() - x.at < 10_000);
  return !inFlight || elapsed >= SECONDS + 10;
}

/** Sets devices of every vendor to `status` and records each change to watch for at the cloud. */
function change(d: Demo, p: Progress, targets: Array<{ vs: VendorSimulator; key: string; name: string }>, status: Change['status']): void {
  for (const { vs, key, name } of targets) {
    vs.sim.setOnline(key, status === 'online');
    const system = d.pipeline.config.systems.find((s) => s.vendor === vs.vendor.id)!.id;
    p.changes.push({ label: `${vs.vendor.label} ${name}`, deviceId: `${vs.vendor.id}:${system}:${key}`, status, at: Date.now(), arrivedMs: null });
  }
}

/**
 * The scenario, step by step: each step waits for the previous one to be seen at the cloud; a
 * timed demo (not DEMO_UNTIL=done) moves on after a while so a person sees every step. A change
 * made while a system's first sync still runs may not show up as a health event of its own (its
 * status arrives with the inventory), so states change once the inventory is in.
 */
async function advance(d: Demo, p: Progress, snap: Snapshot, targets: Array<{ vs: VendorSimulator; key: string; name: string }>): Promise<void> {
  const allArrived = p.changes.every((x) => x.arrivedMs !== null);
  const sinceLast = p.changes.length > 0 ? Date.now() - p.changes[p.changes.length - 1].at : 0;
  const ready = p.inventoryAt !== null || (!UNTIL_DONE && SECONDS > 0 && snap.elapsed > SECONDS / 2);
  if (p.phase === 0 && ready) {
    p.phase = 1;
    change(d, p, targets, 'offline');
  } else if (p.phase === 1 && (allArrived || (!UNTIL_DONE && sinceLast > 8_000))) {
    p.phase = 2;
    // The first device of each vendor comes back.
    change(d, p, d.sims.map((vs) => targets.find((t) => t.vs === vs)).filter((t) => t !== undefined), 'online');
  } else if (p.phase === 2 && !p.syncRequested && (allArrived || (!UNTIL_DONE && sinceLast > 3_000))) {
    // The control plane: an on-demand sync through a collector's POST /sync.
    p.syncRequested = true;
    p.syncsBeforeRequest = snap.cloud?.syncs_completed ?? 0;
    const headers = { 'content-type': 'application/json', ...(d.httpToken ? { authorization: `Bearer ${d.httpToken}` } : {}) };
    await fetch(`http://127.0.0.1:${httpPortFor(d.pipeline.config, syncedCollector(d))}/sync`, { method: 'POST', body: '{}', headers }).catch(() => undefined);
  }
  // When did each change arrive at the cloud as a health event?
  for (const ch of p.changes.filter((x) => x.arrivedMs === null)) {
    const ev = d.cloud.store.events.find((e) => e.device_id === ch.deviceId && e.status === ch.status && Date.parse(e.received_at) >= ch.at - 50);
    if (ev) ch.arrivedMs = Date.parse(ev.received_at) - ch.at;
  }
  p.done = p.phase === 2 && p.syncRequested && p.changes.every((x) => x.arrivedMs !== null) && (snap.cloud?.syncs_completed ?? 0) > p.syncsBeforeRequest;
}

/** The collector the on-demand sync is asked of: the first vendor's. */
const syncedCollector = (d: Demo) => d.sims[0].vendor.service.name;

/** The progress view: redrawn in place on a terminal, a plain line every 5 s otherwise. */
function render(d: Demo, p: Progress, snap: Snapshot, drawn: { lines: number; plainAt: number }): void {
  const connected = snap.systems.filter((s) => s.state?.connection === 'connected').length;
  const nSystems = d.pipeline.config.systems.length;
  const cs = snap.cloud;
  if (!TTY) {
    if (Date.now() - drawn.plainAt < 5_000) return;
    drawn.plainAt = Date.now();
    process.stdout.write(
      `[${snap.elapsed.toFixed(0)}s] systems ${connected}/${nSystems} connected; devices at cloud ${snap.atCloud}/${d.total}; health events ${cs?.events ?? 0}; backlog ${snap.fwd?.backlog?.messages ?? '-'}; state changes arrived ${p.changes.filter((x) => x.arrivedMs !== null).length}/${p.changes.length}\n`,
    );
    return;
  }
  const lines = [
    `${bold('elapsed')}   ${snap.elapsed.toFixed(0)}s${SECONDS > 0 ? ` / ${SECONDS}s` : ''}   ${dim('Ctrl-C to stop')}`,
    `${bold('systems')}   ${connected}/${nSystems} connected   ${snap.systems.map((s) => `${s.system_id}: ${s.state?.connection ?? '?'}${s.syncing ? ' (syncing)' : ''}`).join('  ')}`,
    `${bold('inventory')} ${snap.atCloud}/${d.total} devices at the cloud${p.inventoryAt ? green(` ✓ in ${((p.inventoryAt - d.started) / 1000).toFixed(1)}s`) : ''}   syncs completed ${cs?.syncs_completed ?? 0}`,
    `${bold('events')}    ${cs?.events ?? 0} health events at the cloud   raw messages normalized ${snap.processed}   heartbeats ${cs?.heartbeats ?? 0}`,
    `${bold('backlog')}   ${snap.fwd?.backlog?.messages ?? '-'} waiting for the cloud   cloud circuit ${snap.fwd?.circuit?.state ?? '-'}`,
    ...p.changes.map((ch) => `  ${ch.status === 'offline' ? yellow('▼') : green('▲')} ${ch.label} → ${ch.status}: ${ch.arrivedMs === null ? dim('waiting…') : green(`at the cloud after ${ch.arrivedMs} ms`)}`),
    ...(p.syncRequested ? [`  ${dim('↻')} sync requested with POST /sync on ${syncedCollector(d)}`] : []),
    ...d.recentProblems.map((x) => dim(`  log: ${x.slice(0, 110)}`)),
  ];
  if (drawn.lines) process.stdout.write(`\x1b[${drawn.lines}A\x1b[J`);
  process.stdout.write(`${lines.join('\n')}\n`);
  drawn.lines = lines.length;
}

/** Runs the scenario until it is done, the time is up or the user stops it. */
async function runScenario(d: Demo): Promise<Progress> {
  const stopRequested = onStopRequest(d.sup);
  const p: Progress = { phase: 0, changes: [], inventoryAt: null, syncRequested: false, syncsBeforeRequest: 0, done: false };
  // Two online leaf devices of each vendor go offline; the first of each comes back.
  const targets = d.sims.flatMap((vs) =>
    vs.sim
      .switchable()
      .filter((x) => x.expected_status === 'online')
      .slice(0, 2)
      .map((x) => ({ vs, key: x.key, name: x.name })),
  );
  const drawn = { lines: 0, plainAt: 0 };
  for (;;) {
    if (stopRequested() || timeIsUp(p, (Date.now() - d.started) / 1000)) break;
    const snap = await look(d, p);
    await advance(d, p, snap, targets);
    render(d, p, snap, drawn);
    await sleep(1_000);
  }
  return p;
}

/** Stops the services (they drain first), saves what the cloud got and the traces, closes the simulators. */
async function windDown(d: Demo): Promise<{ stats: ReturnType<CloudSimulator['store']['stats']>; devices: Array<{ id: string }>; spans: ReceivedSpan[] }> {
  process.stdout.write(`\nstopping the services (they drain first)…\n`);
  const stats = d.cloud.store.stats();
  const devices = d.cloud.store.deviceList();
  await d.sup.stop();
  for (const w of d.logs.values()) w.end();
  await sleep(300);
  const spans: ReceivedSpan[] = d.otlp ? [...d.otlp.spans] : [];
  writeFileSync(join(DATA, 'cloud-devices.json'), JSON.stringify(devices.slice(0, 2000), null, 2));
  writeFileSync(join(DATA, 'cloud-events.json'), JSON.stringify(d.cloud.store.events, null, 2));
  if (d.otlp) writeFileSync(join(DATA, 'traces.json'), JSON.stringify(spans));
  await Promise.all([...d.sims.map(({ sim }) => sim.close()), d.cloud.close(), d.otlp?.close()]);
  return { stats, devices, spans };
}

function traceLines(spans: ReceivedSpan[]): string[] {
  const out: string[] = [];
  const traces = new Map<string, ReceivedSpan[]>();
  for (const s of spans) traces.set(s.traceId, [...(traces.get(s.traceId) ?? []), s]);
  const multi = [...traces.values()].filter((t) => new Set(t.map(serviceOf)).size >= 3);
  const services = [...new Set(spans.map(serviceOf))].sort();
  out.push(`  traces: ${traces.size} (${spans.length} spans from ${services.join(', ')}); ${multi.length} cross collector → normalizer → forwarder`);
  const healthTrace = multi.find((t) => t.some((s) => /health-events/.test(String(s.attributes['url.full'] ?? s.attributes['http.url'] ?? s.name))));
  const example = healthTrace ?? multi[0];
  if (example) {
    out.push(`  one ${healthTrace ? 'health event' : ''} trace (${example[0].traceId}):`);
    for (const l of renderTrace(example, 14)) out.push(`      ${l}`);
  }
  return out;
}

function whereToLook(d: Demo): string[] {
  const at = (f: string) => join(shownPath(DATA), f).padEnd(48);
  return [
    bold('Where to look'),
    `  ${at('cloud-devices.json, cloud-events.json')} what the cloud simulator received`,
    ...(d.otlp ? [`  ${at('traces.json')} every span the services exported (OTLP)`] : []),
    `  ${at('logs/<service>.log')} the services' JSON logs`,
    `  While it runs (DEMO_SECONDS=0 runs until Ctrl-C):`,
    `    cloud simulator  ${d.cloud.url}/_sim/stats  /_sim/devices  /_sim/events  /_sim/syncs  /_sim/heartbeats`,
    `    status           ${d.svcNames.map((n) => `http://127.0.0.1:${httpPortFor(d.pipeline.config, n)}/status`).join('  ')}${d.httpToken ? '   (Authorization: Bearer <http.token>)' : ''}`,
    `    status page      ${consoleUrl(d)}   (sync now and DLQ replay take http.token from ${shownPath(d.configFile)})`,
    `    operator CLI     npm run edge -- status --config ${shownPath(d.configFile)} --nats ${d.pipeline.natsUrl}   (also: sync, devices --offline, dlq list)`,
    `  Traces in Jaeger: docker compose --profile observability up -d, then OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 npm run demo`,
    `  Your own site: cp config/edge.example.yaml config/edge.yaml, edit, npm run edge -- config check, npm start`,
  ];
}

/** The summary; true when the demo did what it set out to. */
function summarize(d: Demo, p: Progress, end: Awaited<ReturnType<typeof windDown>>): boolean {
  const perSystem = new Map<string, number>();
  for (const dev of end.devices) {
    const s = dev.id.split(':').slice(0, 2).join(':');
    perSystem.set(s, (perSystem.get(s) ?? 0) + 1);
  }
  const arrived = p.changes.filter((x) => x.arrivedMs !== null);
  // A timed demo is fine when something of each kind arrived; DEMO_UNTIL=done needs all of it.
  const ok = UNTIL_DONE ? p.done && end.stats.devices >= d.total : end.stats.devices >= d.total && (p.changes.length === 0 || arrived.length > 0);
  const out = [
    '',
    bold('Summary'),
    `  inventory: ${end.stats.devices}/${d.total} devices at the cloud (${[...perSystem.entries()].map(([k, v]) => `${k} ${v}`).join(', ')}), ${end.stats.syncs_completed} syncs completed`,
    `  health events: ${end.stats.events} at the cloud; ${arrived.length}/${p.changes.length} demo state changes arrived${arrived.length ? `, median ${median(arrived.map((x) => x.arrivedMs!))} ms after the change` : ''}`,
    `  heartbeats: ${end.stats.heartbeats}`,
    ...(d.otlp ? traceLines(end.spans) : []),
    '',
    ...whereToLook(d),
    '',
    ok ? green('demo complete') : yellow(`demo ended before everything arrived (try a longer DEMO_SECONDS, and see ${join(shownPath(DATA), 'logs')})`),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  return ok;
}

async function main(): Promise<number> {
  rmSync(DATA, { recursive: true, force: true });
  mkdirSync(join(DATA, 'logs'), { recursive: true });
  process.stdout.write(`${bold(`Edge integration demo: ${VENDORS.map((v) => v.label).join(' + ')} → NATS JetStream → normalizer → forwarder → cloud`)}\n`);
  const runs = UNTIL_DONE ? `until its scenario is done (at most ${SECONDS}s)` : SECONDS > 0 ? `${SECONDS}s` : 'until Ctrl-C';
  process.stdout.write(dim(`logs: ${join(shownPath(DATA), 'logs')}/   runs ${runs} (DEMO_SECONDS${UNTIL_DONE ? ', DEMO_UNTIL' : ''})\n\n`));
  const demo = await startDemo();
  const progress = await runScenario(demo);
  const end = await windDown(demo);
  return summarize(demo, progress, end) ? 0 : 1;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`demo failed: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(1);
  },
);
