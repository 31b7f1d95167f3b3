/**
 * `npm run bench`: every benchmark in one go. First the raw JetStream ceilings (bench/ceiling.ts),
 * then each area's `run()` (bench/<area>.ts), each in its own child process so one area's crash,
 * leak or leftover cannot skew the next. While an area runs, the RSS of every process it started
 * is sampled from /proc and kept per process class (collector-*, normalizer, forwarder, …).
 * Writes bench/results.json (nested, numbers only) and bench/results.md. An area whose file is
 * absent or whose run fails is reported as missing; no number is ever made up for it.
 *
 * Options: `--only ceiling,e2e` (subset), `--no-write` (print only). Environment:
 * BENCH_AREA_TIMEOUT_MS (default 20 min per area).
 */
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem, type as osType } from 'node:os';
import { join } from 'node:path';
import { descendants, readProc, rssMb } from './proc';
import { AREAS, buildResults, outcomesFrom, renderMarkdown, type AreaOutcome, type Flat, type Nested, type RunMeta } from './report';

const BENCH_DIR = __dirname;
const ROOT = join(BENCH_DIR, '..');
const AREA_TIMEOUT_MS = Number(process.env.BENCH_AREA_TIMEOUT_MS || 20 * 60_000);

// ------------------------------------------------------------------ child: run one area

async function runArea(area: string, out: string): Promise<void> {
  const mod = (await import(join(BENCH_DIR, `${area}.ts`))) as { run?: () => Promise<unknown> };
  if (typeof mod.run !== 'function') throw new Error(`bench/${area}.ts exports no run()`);
  const r = await mod.run();
  if (r === null || typeof r !== 'object') throw new Error(`run() of bench/${area}.ts returned ${typeof r}, not an object of numbers`);
  const values: Flat = {};
  const skipped: string[] = [];
  for (const [k, v] of Object.entries(r as Record<string, unknown>)) {
    if (typeof v === 'number' && Number.isFinite(v)) values[k] = v;
    else skipped.push(k);
  }
  writeFileSync(out, JSON.stringify({ values, skipped }));
}

// ------------------------------------------------------------------ parent: RSS sampling

/** `services/normalizer/src/main.ts` or `dist/normalizer.js` → `normalizer`; else a coarse class. */
export function processClass(cmdline: string, areaPid: number, pid: number): string {
  const svc = /(?:services\/|dist\/)(collector-[a-z]+|normalizer|forwarder|console)(?:\/src\/main\.ts|\.js)/.exec(cmdline);
  if (svc) return svc[1];
  const sim = /simulators\/([a-z]+)\/src\/main\.ts|dist\/sim-([a-z]+)\.js/.exec(cmdline);
  if (sim) return `sim-${sim[1] ?? sim[2]}`;
  if (/nats-server/.test(cmdline)) return 'nats-server';
  if (pid === areaPid) return 'bench-harness';
  return 'other';
}

/** Samples peak RSS per process class of a process tree until stopped. */
function sampleRss(root: number): { stop(): Record<string, number> } {
  const peak: Record<string, number> = {};
  const tick = () => {
    for (const pid of descendants(root)) {
      const mb = rssMb(pid);
      if (mb === null) continue;
      const cmd = (readProc(pid, 'cmdline') ?? '').replace(/\0/g, ' ');
      const cls = processClass(cmd, root, pid);
      if (cls === 'other') continue;
      peak[cls] = Math.max(peak[cls] ?? 0, mb);
    }
  };
  const timer = setInterval(tick, 500);
  return {
    stop: () => {
      clearInterval(timer);
      tick();
      return peak;
    },
  };
}

// ------------------------------------------------------------------ parent: orchestration

function tail(text: string, lines = 15): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

async function runChild(area: string): Promise<AreaOutcome> {
  const started = Date.now();
  const load = loadavg()[0];
  const file = join(BENCH_DIR, `${area}.ts`);
  if (!existsSync(file)) return { area, ok: false, values: {}, rss_mb: {}, seconds: 0, reason: `bench/${area}.ts does not exist`, load_avg_1m: load };
  const dir = mkdtempSync(join(tmpdir(), `edge-bench-${area}-`));
  const out = join(dir, 'result.json');
  let log = '';
  process.stdout.write(`bench: ${area} …\n`);
  const child = spawn(process.execPath, ['--import', 'tsx', __filename, '--area', area, '--out', out], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'error' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const keep = (c: Buffer) => {
    log += c.toString('utf8');
    if (log.length > 200_000) log = log.slice(-100_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const sampler = sampleRss(child.pid!);
  const code = await new Promise<number | string>((resolve) => {
    const timer = setTimeout(() => {
      // The whole group: the area's services and servers too.
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {}
      resolve(`timed out after ${AREA_TIMEOUT_MS / 1000} s`);
    }, AREA_TIMEOUT_MS);
    child.once('exit', (c, sig) => {
      clearTimeout(timer);
      resolve(c ?? `signal ${sig}`);
    });
  });
  const rss = sampler.stop();
  // Leftovers of a failed area (nats-server, services) must not load the next one.
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {}
  const seconds = (Date.now() - started) / 1000;
  try {
    if (code !== 0 || !existsSync(out)) return { area, ok: false, values: {}, rss_mb: rss, seconds, reason: `exit ${code}: ${tail(log, 6)}`, load_avg_1m: load };
    const { values, skipped } = JSON.parse(readFileSync(out, 'utf8')) as { values: Flat; skipped: string[] };
    if (skipped.length) process.stdout.write(`bench: ${area}: ignored non-numeric keys ${skipped.join(', ')}\n`);
    process.stdout.write(`bench: ${area} done in ${seconds.toFixed(1)} s\n`);
    return { area, ok: true, values, rss_mb: rss, seconds, load_avg_1m: load };
  } finally {
    if (code !== 0) process.stdout.write(`bench: ${area} FAILED (${code})\n${tail(log)}\n`);
    rmSync(dir, { recursive: true, force: true });
  }
}

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

function machine(): { meta: RunMeta; numbers: Flat } {
  const c = cpus();
  const meta: RunMeta = {
    date: new Date().toISOString(),
    commit: sh('git', ['rev-parse', '--short', 'HEAD']),
    cpu_model: c[0]?.model.trim() ?? 'unknown',
    cpus: c.length,
    mem_gb: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    nats_server: sh(process.env.NATS_SERVER_BIN ?? 'nats-server', ['--version']).replace(/^nats-server:\s*/, ''),
    os: `${osType()} ${release()}`,
    load_avg_1m: Math.round(loadavg()[0] * 100) / 100,
  };
  const [maj, min, patch] = process.versions.node.split('.').map(Number);
  const numbers: Flat = {
    cpus: meta.cpus,
    cpu_mhz: c[0]?.speed ?? 0,
    mem_gb: meta.mem_gb,
    node_version: maj + min / 100 + patch / 10_000,
    load_avg_1m_at_start: meta.load_avg_1m,
    generated_at_unix_s: Math.floor(Date.now() / 1000),
  };
  return { meta, numbers };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const area = arg('--area');
  if (area) {
    await runArea(area, arg('--out')!);
    // An area that left a timer or socket open must not hold the run.
    process.exit(0);
  }

  const only = arg('--only')?.split(',');
  const { meta, numbers } = machine();
  process.stdout.write(`bench: ${meta.cpus} × ${meta.cpu_model}, load ${meta.load_avg_1m}, nats-server ${meta.nats_server}\n`);
  const outcomes: AreaOutcome[] = [];
  for (const a of AREAS) if (!only || only.includes(a)) outcomes.push(await runChild(a));
  // --only: the areas run now replace theirs in bench/results.json; the others are kept as they were.
  const resultsFile = join(BENCH_DIR, 'results.json');
  const kept = only && existsSync(resultsFile) ? outcomesFrom(JSON.parse(readFileSync(resultsFile, 'utf8')) as Nested).filter((o) => !only.includes(o.area)) : [];
  const merged = [...kept, ...outcomes].sort((a, b) => AREAS.indexOf(a.area as (typeof AREAS)[number]) - AREAS.indexOf(b.area as (typeof AREAS)[number]));
  const built = buildResults(merged, numbers);
  const md = renderMarkdown(built, merged, meta) + (kept.length ? `\nAreas ${outcomes.map((o) => o.area).join(', ')} re-run alone (\`--only\`) on ${meta.date}; the others are from the previous full run.\n` : '');
  if (!argv.includes('--no-write')) {
    // `soak` is written by `npm run soak`, never by an area: it stays until the next soak.
    const previous = existsSync(resultsFile) ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as Nested) : {};
    if (previous.soak !== undefined && built.results.soak === undefined) built.results.soak = previous.soak;
    writeFileSync(resultsFile, `${JSON.stringify(built.results, null, 2)}\n`);
    writeFileSync(join(BENCH_DIR, 'results.md'), md);
    process.stdout.write('bench: wrote bench/results.json and bench/results.md\n');
  }
  process.stdout.write(`\n${md}\n`);
  const missing = outcomes.filter((o) => !o.ok).map((o) => o.area);
  if (missing.length) process.stdout.write(`bench: missing or failed: ${missing.join(', ')}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${String((e as Error)?.stack ?? e)}\n`);
  process.exit(1);
});
