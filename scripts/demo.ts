/**
 * `npm run demo` (after scripts/demo.sh installed what was missing): the whole product on one
 * machine. Starts the OnGuard, XProtect and cloud simulators, runs the pipeline exactly as
 * `npm start` does with config/demo.yaml (its own nats-server, one process per service),
 * collects the services' traces with a small OTLP receiver, shows progress, takes a few
 * devices offline and back so health events flow, and ends with a summary.
 *
 * DEMO_SECONDS (default 60; 0 = until Ctrl-C). DEMO_UNTIL=done ends the demo as soon as its
 * scenario is complete (inventory at the cloud, every state change arrived, the on-demand sync
 * finished) however long the machine takes, with DEMO_SECONDS (default 600 then) as the bound
 * that only a hang reaches: CI and tests use it. Works without a terminal (plain lines then).
 */
import { mkdirSync, rmSync, createWriteStream, writeFileSync, type WriteStream } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { createServer } from 'node:net';
import { httpPortFor, sleep } from '@edge/platform';
import { startOnGuardSimulator, type OnGuardSimulator } from '@edge/sim-onguard';
import { startMilestoneSimulator, type MilestoneSimulator } from '@edge/sim-milestone';
import { startCloudSimulator, type CloudSimulator } from '@edge/sim-cloud';
import { buildPipeline } from './pipeline';
import { Supervisor } from './supervisor';
import { REPO_ROOT } from './services';
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
  arrivedMs: number | null;
}

async function main(): Promise<number> {
  rmSync(DATA, { recursive: true, force: true });
  mkdirSync(join(DATA, 'logs'), { recursive: true });

  // Ports: the simulators' defaults when free (config/demo.yaml's defaults), else any free one.
  const ports = { onguard: await pickPort(18081), milestone: await pickPort(18082), cloud: await pickPort(18090), nats: await pickPort(14222) };
  // Status ports: config/demo.yaml's when free; otherwise the demo runs on a copy of it with free ones.
  let configFile = CONFIG;
  const doc = parse(readFileSync(CONFIG, 'utf8')) as { http: { ports: Record<string, number> } };
  let moved = false;
  for (const [svc, p] of Object.entries(doc.http.ports)) {
    if (await portFree(p)) continue;
    doc.http.ports[svc] = await pickPort(0);
    if (Object.values(doc.http.ports).filter((x) => x === doc.http.ports[svc]).length > 1) doc.http.ports[svc] = await pickPort(0);
    moved = true;
  }
  if (moved) {
    configFile = join(DATA, 'demo.yaml');
    writeFileSync(configFile, stringify(doc));
  }
  const header = (s: string) => process.stdout.write(`${bold(s)}\n`);
  header('Edge integration demo: OnGuard + XProtect → NATS JetStream → normalizer → forwarder → cloud');
  const shown = shownPath(DATA);
  const runs = UNTIL_DONE ? `until its scenario is done (at most ${SECONDS}s)` : SECONDS > 0 ? `${SECONDS}s` : 'until Ctrl-C';
  process.stdout.write(dim(`logs: ${join(shown, 'logs')}/   runs ${runs} (DEMO_SECONDS${UNTIL_DONE ? ', DEMO_UNTIL' : ''})\n\n`));

  const otlp: OtlpReceiver | null = process.env.OTEL_EXPORTER_OTLP_ENDPOINT ? null : await startOtlpReceiver();
  const onguard: OnGuardSimulator = await startOnGuardSimulator({ port: ports.onguard, site: { panels: 6, readersPerPanel: 6, recorders: 2, camerasPerRecorder: 6 } });
  const milestone: MilestoneSimulator = await startMilestoneSimulator({ port: ports.milestone, hardware: 16 });
  const cloud: CloudSimulator = await startCloudSimulator({ port: ports.cloud, token: CLOUD_TOKEN });
  const truth = { onguard: onguard.control.devices().length, milestone: milestone.control.devices().length };

  Object.assign(process.env, {
    DEMO_ONGUARD_URL: onguard.url,
    DEMO_ONGUARD_USER: onguard.credentials.user_name,
    DEMO_ONGUARD_PASSWORD: onguard.credentials.password,
    DEMO_ONGUARD_APP_ID: onguard.credentials.application_id,
    DEMO_MILESTONE_URL: milestone.url,
    DEMO_MILESTONE_USER: milestone.username,
    DEMO_MILESTONE_PASSWORD: milestone.password,
    DEMO_CLOUD_URL: cloud.url,
    DEMO_CLOUD_TOKEN: CLOUD_TOKEN,
    DEMO_DATA_DIR: DATA,
    EDGE_NATS_PORT: String(ports.nats),
  });
  const pipeline = buildPipeline(configFile, {
    // Export spans every second so the summary sees recent traces.
    serviceEnv: otlp ? { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint, OTEL_BSP_SCHEDULE_DELAY: '1000' } : {},
  });
  const logs = new Map<string, WriteStream>();
  const recentProblems: string[] = [];
  const sup = new Supervisor(pipeline.processes, {
    graceMs: 15_000,
    output: (name, line) => {
      let w = logs.get(name);
      if (!w) logs.set(name, (w = createWriteStream(join(DATA, 'logs', `${name}.log`), { flags: 'a' })));
      w.write(`${line}\n`);
      if (/"level":"(warn|error|fatal)"/.test(line)) {
        const msg = /"msg":"([^"]*)"/.exec(line)?.[1] ?? line.slice(0, 120);
        recentProblems.push(`${name}: ${msg}`);
        if (recentProblems.length > 3) recentProblems.shift();
      }
    },
    log: (m) => {
      const w = logs.get('supervisor') ?? createWriteStream(join(DATA, 'logs', 'supervisor.log'), { flags: 'a' });
      logs.set('supervisor', w);
      w.write(`${new Date().toISOString()} ${m}\n`);
    },
  });
  const httpToken = pipeline.config.http.token;
  const status = (svc: string) => getJson<ServiceStatus>(`http://127.0.0.1:${httpPortFor(pipeline.config, svc)}/status`, httpToken);
  const svcNames = pipeline.processes.filter((p) => p.name !== 'nats' && p.name !== 'console').map((p) => p.name);

  process.stdout.write(`simulators: OnGuard ${onguard.url} (${truth.onguard} devices), XProtect ${milestone.url} (${truth.milestone} devices), cloud ${cloud.url}\n`);
  process.stdout.write(`starting: ${pipeline.processes.map((p) => p.name).join(', ')} (nats ${pipeline.natsUrl})\n`);
  const consoleUrl = `http://127.0.0.1:${httpPortFor(pipeline.config, 'console')}/`;
  process.stdout.write(`status page: ${bold(consoleUrl)} (open it in a browser while the demo runs; token for its actions: http.token of ${shownPath(configFile)})\n\n`);

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

  const started = Date.now();
  await sup.start();

  const changes: Change[] = [];
  let phase = 0;
  let lastPlain = 0;
  let drawn = 0;
  let inventoryAt: number | null = null;
  let syncRequested = false;
  let syncsBeforeRequest = 0;
  let scenarioDone = false;
  const total = truth.onguard + truth.milestone;

  const onguardTargets = onguard.control
    .devices('reader')
    .filter((d) => d.expected_status === 'online')
    .slice(0, 3);
  const milestoneTargets = milestone.control
    .devices()
    .filter((d) => d.resource_type === 'cameras' && d.expected_status === 'online')
    .slice(0, 2);
  const sysId = (vendor: string) => pipeline.config.systems.find((s) => s.vendor === vendor)!.id;

  for (;;) {
    const elapsed = (Date.now() - started) / 1000;
    // At the deadline, a state change still on its way gets up to 10 s more to arrive.
    const inFlight = changes.some((x) => x.arrivedMs === null && Date.now() - x.at < 10_000);
    if (stopRequested || scenarioDone) break;
    if (UNTIL_DONE && SECONDS > 0 && elapsed >= SECONDS) break; // a hang: the summary says what is missing
    if (!UNTIL_DONE && SECONDS > 0 && elapsed >= SECONDS && (!inFlight || elapsed >= SECONDS + 10)) break;
    const [st, cs] = await Promise.all([Promise.all(svcNames.map(async (n) => [n, await status(n)] as const)), getJson<CloudStats>(`${cloud.url}/_sim/stats`)]);
    const byName = new Map(st);
    const systems = [...byName.values()].flatMap((s) => s?.systems ?? []);
    const fwd = byName.get('forwarder')?.forwarder;
    const processed = byName.get('normalizer')?.normalizer?.processed ?? 0;
    const atCloud = cs?.devices ?? 0;
    if (inventoryAt === null && atCloud >= total) inventoryAt = Date.now();

    // The scenario, step by step: each step waits for the previous one to be seen at the cloud;
    // a timed demo (not DEMO_UNTIL=done) moves on after a while so a person sees every step.
    // A change made while a system's first sync still runs may not show up as a health event of
    // its own (its status arrives with the inventory), so states change once the inventory is in.
    const allArrived = changes.every((x) => x.arrivedMs !== null);
    const sinceLast = changes.length > 0 ? Date.now() - changes[changes.length - 1].at : 0;
    const ready = inventoryAt !== null || (!UNTIL_DONE && SECONDS > 0 && elapsed > SECONDS / 2);
    if (phase === 0 && ready) {
      phase = 1;
      for (const d of onguardTargets) {
        onguard.control.setOnline(d.canonical_key, false);
        changes.push({ label: `OnGuard ${d.name}`, deviceId: `onguard:${sysId('onguard')}:${d.canonical_key}`, status: 'offline', at: Date.now(), arrivedMs: null });
      }
      for (const d of milestoneTargets) {
        milestone.control.commError(d.resource_type, d.id);
        changes.push({ label: `XProtect ${d.name}`, deviceId: `milestone:${sysId('milestone')}:${d.key}`, status: 'offline', at: Date.now(), arrivedMs: null });
      }
    } else if (phase === 1 && (allArrived || (!UNTIL_DONE && sinceLast > 8_000))) {
      phase = 2;
      const og = onguardTargets[0];
      const xp = milestoneTargets[0];
      if (og) {
        onguard.control.setOnline(og.canonical_key, true);
        changes.push({ label: `OnGuard ${og.name}`, deviceId: `onguard:${sysId('onguard')}:${og.canonical_key}`, status: 'online', at: Date.now(), arrivedMs: null });
      }
      if (xp) {
        milestone.control.commRestored(xp.resource_type, xp.id);
        changes.push({ label: `XProtect ${xp.name}`, deviceId: `milestone:${sysId('milestone')}:${xp.key}`, status: 'online', at: Date.now(), arrivedMs: null });
      }
    } else if (phase === 2 && !syncRequested && (allArrived || (!UNTIL_DONE && sinceLast > 3_000))) {
      // The control plane: an on-demand sync through a collector's POST /sync.
      syncRequested = true;
      syncsBeforeRequest = cs?.syncs_completed ?? 0;
      await fetch(`http://127.0.0.1:${httpPortFor(pipeline.config, 'collector-onguard')}/sync`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', ...(httpToken ? { authorization: `Bearer ${httpToken}` } : {}) } }).catch(() => undefined);
    }
    // When did each change arrive at the cloud as a health event?
    for (const ch of changes.filter((x) => x.arrivedMs === null)) {
      const ev = cloud.store.events.find((e) => e.device_id === ch.deviceId && e.status === ch.status && Date.parse(e.received_at) >= ch.at - 50);
      if (ev) ch.arrivedMs = Date.parse(ev.received_at) - ch.at;
    }

    scenarioDone = phase === 2 && syncRequested && changes.every((x) => x.arrivedMs !== null) && (cs?.syncs_completed ?? 0) > syncsBeforeRequest;
    const connected = systems.filter((s) => s.state?.connection === 'connected').length;
    const lines = [
      `${bold('elapsed')}   ${elapsed.toFixed(0)}s${SECONDS > 0 ? ` / ${SECONDS}s` : ''}   ${dim('Ctrl-C to stop')}`,
      `${bold('systems')}   ${connected}/${pipeline.config.systems.length} connected   ${systems.map((s) => `${s.system_id}: ${s.state?.connection ?? '?'}${s.syncing ? ' (syncing)' : ''}`).join('  ')}`,
      `${bold('inventory')} ${atCloud}/${total} devices at the cloud${inventoryAt ? green(` ✓ in ${((inventoryAt - started) / 1000).toFixed(1)}s`) : ''}   syncs completed ${cs?.syncs_completed ?? 0}`,
      `${bold('events')}    ${cs?.events ?? 0} health events at the cloud   raw messages normalized ${processed}   heartbeats ${cs?.heartbeats ?? 0}`,
      `${bold('backlog')}   ${fwd?.backlog?.messages ?? '-'} waiting for the cloud   cloud circuit ${fwd?.circuit?.state ?? '-'}`,
      ...changes.map((ch) => `  ${ch.status === 'offline' ? yellow('▼') : green('▲')} ${ch.label} → ${ch.status}: ${ch.arrivedMs === null ? dim('waiting…') : green(`at the cloud after ${ch.arrivedMs} ms`)}`),
      ...(syncRequested ? [`  ${dim('↻')} sync requested with POST /sync on collector-onguard`] : []),
      ...recentProblems.map((p) => dim(`  log: ${p.slice(0, 110)}`)),
    ];
    if (TTY) {
      if (drawn) process.stdout.write(`\x1b[${drawn}A\x1b[J`);
      process.stdout.write(`${lines.join('\n')}\n`);
      drawn = lines.length;
    } else if (Date.now() - lastPlain >= 5_000) {
      lastPlain = Date.now();
      process.stdout.write(
        `[${elapsed.toFixed(0)}s] systems ${connected}/${pipeline.config.systems.length} connected; devices at cloud ${atCloud}/${total}; health events ${cs?.events ?? 0}; backlog ${fwd?.backlog?.messages ?? '-'}; state changes arrived ${changes.filter((x) => x.arrivedMs !== null).length}/${changes.length}\n`,
      );
    }
    await sleep(1_000);
  }

  // --- wind down and summarize ---------------------------------------------------------------
  process.stdout.write(`\nstopping the services (they drain first)…\n`);
  const finalStats = cloud.store.stats();
  const cloudDevices = cloud.store.deviceList();
  await sup.stop();
  for (const w of logs.values()) w.end();
  await sleep(300);
  const spans: ReceivedSpan[] = otlp ? [...otlp.spans] : [];
  writeFileSync(join(DATA, 'cloud-devices.json'), JSON.stringify(cloudDevices.slice(0, 2000), null, 2));
  writeFileSync(join(DATA, 'cloud-events.json'), JSON.stringify(cloud.store.events, null, 2));
  if (otlp) writeFileSync(join(DATA, 'traces.json'), JSON.stringify(spans));
  await Promise.all([onguard.close(), milestone.close(), cloud.close(), otlp?.close()]);

  const perSystem = new Map<string, number>();
  for (const d of cloudDevices) {
    const s = d.id.split(':').slice(0, 2).join(':');
    perSystem.set(s, (perSystem.get(s) ?? 0) + 1);
  }
  const arrived = changes.filter((x) => x.arrivedMs !== null);
  // A timed demo is fine when something of each kind arrived; DEMO_UNTIL=done needs all of it.
  const ok = UNTIL_DONE ? scenarioDone && finalStats.devices >= total : finalStats.devices >= total && (changes.length === 0 || arrived.length > 0);
  const out: string[] = [];
  out.push('');
  out.push(bold('Summary'));
  out.push(`  inventory: ${finalStats.devices}/${total} devices at the cloud (${[...perSystem.entries()].map(([k, v]) => `${k} ${v}`).join(', ')}), ${finalStats.syncs_completed} syncs completed`);
  out.push(`  health events: ${finalStats.events} at the cloud; ${arrived.length}/${changes.length} demo state changes arrived${arrived.length ? `, median ${median(arrived.map((x) => x.arrivedMs!))} ms after the change` : ''}`);
  out.push(`  heartbeats: ${finalStats.heartbeats}`);
  if (otlp) {
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
  }
  out.push('');
  out.push(bold('Where to look'));
  const at = (f: string) => join(shownPath(DATA), f).padEnd(48);
  out.push(`  ${at('cloud-devices.json, cloud-events.json')} what the cloud simulator received`);
  if (otlp) out.push(`  ${at('traces.json')} every span the services exported (OTLP)`);
  out.push(`  ${at('logs/<service>.log')} the services' JSON logs`);
  out.push(`  While it runs (DEMO_SECONDS=0 runs until Ctrl-C):`);
  out.push(`    cloud simulator  ${cloud.url}/_sim/stats  /_sim/devices  /_sim/events  /_sim/syncs  /_sim/heartbeats`);
  out.push(`    status           ${svcNames.map((n) => `http://127.0.0.1:${httpPortFor(pipeline.config, n)}/status`).join('  ')}${httpToken ? '   (Authorization: Bearer <http.token>)' : ''}`);
  out.push(`    status page      ${consoleUrl}   (sync now and DLQ replay take http.token from ${shownPath(configFile)})`);
  out.push(`    operator CLI     npm run edge -- status --config ${shownPath(configFile)} --nats ${pipeline.natsUrl}   (also: sync, devices --offline, dlq list)`);
  out.push(`  Traces in Jaeger: docker compose --profile observability up -d, then OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 npm run demo`);
  out.push(`  Your own site: cp config/edge.example.yaml config/edge.yaml, edit, npm run edge -- config check, npm start`);
  out.push('');
  out.push(ok ? green('demo complete') : yellow(`demo ended before everything arrived (try a longer DEMO_SECONDS, and see ${join(shownPath(DATA), 'logs')})`));
  process.stdout.write(`${out.join('\n')}\n`);
  return ok ? 0 : 1;
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
