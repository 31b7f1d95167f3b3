/**
 * Investigation aids of the end-to-end benchmark (bench/README.md says how to use them):
 *  - `profileEnv(dir)`: NODE_OPTIONS that make every service process write a CPU profile
 *    (bench/cpu-profile.cjs: what `--cpu-prof` does, which NODE_OPTIONS refuses on Node 20) on a
 *    clean exit, and a heap snapshot on SIGUSR2 (`--heapsnapshot-signal`), into `dir`.
 *  - `StageSampler`: per-stage queue depths over time (the RAW consumer of the normalizer, the
 *    CANONICAL consumer of the forwarder: undelivered + unacked), and the normalizer's registry
 *    store counters (journal writes, compactions), every `everyMs`, written as JSON lines.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { CONSUMERS, STREAMS } from '@edge/contracts';
import { launchCommand, PIPELINE_SERVICES, type LaunchCommand } from '../scripts/services';

const ROOT = join(__dirname, '..');

/**
 * Services the bench starts run as deployed: the esbuild bundles of `npm run build` (what the
 * Docker image and `EDGE_USE_DIST=1 npm start` run), not the TypeScript sources under tsx. tsx
 * compiles every module at load and keeps a loader thread and source maps: the same collector
 * peaked at 254 MB under tsx and 201 MB as a bundle in one 50 000-device inventory
 * (bench/README.md). Builds the named services (`BENCH_NO_BUILD=1`: use the bundles already in
 * dist/, e.g. to compare the builds of two commits) and sets `EDGE_USE_DIST=1` for this process
 * and the services it starts.
 */
export function useBundles(services: readonly string[] = PIPELINE_SERVICES.map((s) => s.name)): void {
  if (process.env.BENCH_NO_BUILD !== '1') execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs'), ...services], { stdio: 'ignore' });
  process.env.EDGE_USE_DIST = '1';
}

/** Command, arguments and environment of a service the bench starts itself, as `npm start` starts it (heap limit and allocator included). */
export function launch(service: string): LaunchCommand {
  const spec = PIPELINE_SERVICES.find((s) => s.name === service);
  if (!spec) throw new Error(`no service ${service} in scripts/services.json`);
  return launchCommand(spec, process.env);
}

export function profileEnv(dir: string): Record<string, string> {
  // BENCH_PROFILE_CPU=0: stage depths and latencies only, without the profiler's overhead (rare stalls).
  if (process.env.BENCH_PROFILE_CPU === '0') return {};
  mkdirSync(dir, { recursive: true });
  return {
    NODE_OPTIONS: `--require ${join(__dirname, 'cpu-profile.cjs')} --diagnostic-dir=${dir} --heapsnapshot-signal=SIGUSR2`,
    CPU_PROFILE_DIR: dir,
  };
}

export interface StageSample {
  t: number;
  raw_pending: number;
  raw_ack_pending: number;
  /**
   * Pull requests the server holds for the normalizer's consumer; null when the info call failed.
   * 0 through a stretch with RAW messages waiting and none in the normalizer's hands: the server
   * held no pull although the consume loop keeps one open (lost on the way, or dropped).
   */
  raw_waiting: number | null;
  canonical_pending: number;
  canonical_ack_pending: number;
  normalizer?: Record<string, number>;
  /** Consume-loop counters of the normalizer's and the forwarder's consumers (fetch errors, received, acked). */
  consumers?: Record<string, number>;
}

export class StageSampler {
  readonly samples: StageSample[] = [];
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly file: string | null,
    private readonly normalizerStatus: string | null,
    private readonly forwarderStatus: string | null,
  ) {}

  static async start(o: { natsUrl: string; user: string; pass: string; file: string | null; normalizerStatus?: string; forwarderStatus?: string; everyMs?: number }): Promise<StageSampler> {
    // The operator user may only receive replies on its own inbox prefix.
    const nc = await connect({ servers: o.natsUrl, user: o.user, pass: o.pass, name: 'bench-stage-sampler', inboxPrefix: `_INBOX_${o.user}` });
    const s = new StageSampler(nc, await jetstreamManager(nc), o.file, o.normalizerStatus ?? null, o.forwarderStatus ?? null);
    s.timer = setInterval(() => void s.tick(), o.everyMs ?? 250);
    return s;
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const [raw, can] = await Promise.all([jsmInfo(this.jsm, STREAMS.raw, CONSUMERS.normalizer), jsmInfo(this.jsm, STREAMS.canonical, CONSUMERS.forwarder)]);
      const s: StageSample = { t: Date.now(), raw_pending: raw.pending, raw_ack_pending: raw.ack, raw_waiting: raw.waiting, canonical_pending: can.pending, canonical_ack_pending: can.ack };
      type Status = { normalizer?: { registry?: { store?: Record<string, number> } }; consumers?: Record<string, { counters?: Record<string, number> }> };
      const get = (url: string | null) => (url ? (fetch(url).then((r) => r.json()).catch(() => null) as Promise<Status | null>) : Promise.resolve(null));
      const [ns, fs] = await Promise.all([get(this.normalizerStatus), get(this.forwarderStatus)]);
      const store = ns?.normalizer?.registry?.store;
      if (store) s.normalizer = Object.fromEntries(Object.entries(store).filter(([, v]) => typeof v === 'number'));
      const consumers: Record<string, number> = {};
      for (const [who, st] of [['normalizer', ns], ['forwarder', fs]] as const)
        for (const c of Object.values(st?.consumers ?? {})) for (const [k, v] of Object.entries(c.counters ?? {})) consumers[`${who}.${k}`] = v;
      s.consumers = consumers;
      this.samples.push(s);
      if (this.file) appendFileSync(this.file, `${JSON.stringify(s)}\n`);
    } catch {
      // A sample missed while the stack starts or stops.
    } finally {
      this.busy = false;
    }
  }

  mark(what: string, extra: Record<string, unknown> = {}): void {
    // mono_s: CLOCK_MONOTONIC, the clock of the CPU profiles' timestamps (lines marks up with stalls).
    if (this.file) appendFileSync(this.file, `${JSON.stringify({ t: Date.now(), mono_s: Number(process.hrtime.bigint()) / 1e9, mark: what, ...extra })}\n`);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.nc.close().catch(() => undefined);
  }
}

async function jsmInfo(jsm: JetStreamManager, stream: string, durable: string): Promise<{ pending: number; ack: number; waiting: number | null }> {
  const ci = await jsm.consumers.info(stream, durable).catch(() => null);
  return { pending: ci?.num_pending ?? 0, ack: ci?.num_ack_pending ?? 0, waiting: ci ? ci.num_waiting : null };
}

/** The p-th percentile (0–100) of `xs` (nearest rank); NaN for none. */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** Where investigation output goes: BENCH_PROFILE_DIR, or nowhere. */
export function probeDir(sub: string): string | null {
  const base = process.env.BENCH_PROFILE_DIR;
  if (!base) return null;
  const dir = join(base, sub);
  mkdirSync(dir, { recursive: true });
  return dir;
}
