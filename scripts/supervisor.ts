/**
 * Runs a set of processes as one unit: prefixed log lines, restart with backoff on crash,
 * ordered stop (SIGTERM, then SIGKILL after a grace period). Used by `npm start` and the demo.
 *
 * Processes start in ascending `stage` order (NATS before the services) and stop in descending
 * order, so services drain against a live NATS. Children get their own process group: a Ctrl-C
 * at the terminal reaches only the supervisor, which then stops them in order.
 *
 * Children end with the supervisor even when it dies without its stop: each gets a stdin pipe
 * that ends only with the supervisor's process (EDGE_PARENT_WATCH=stdin; the services drain
 * and exit, nats-server runs under scripts/tether.mjs). With `runFile`, the supervisor records
 * its children, and the next one waits for or kills what a dead one left (scripts/leftovers.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { backoffDelay, PARENT_WATCH_ENV, RETRY_POLICIES, sleep, type BackoffPolicy } from '@edge/platform';
import { entryFor, reapLeftovers, removeRunFile, writeRunFile } from './leftovers';

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Lower stages start first and stop last. */
  stage?: number;
  /** Resolves when the process is usable (e.g. its port accepts connections); later stages wait for it. */
  ready?: () => Promise<void>;
}

export type ProcessState = 'starting' | 'running' | 'backoff' | 'stopping' | 'stopped';

export interface ProcessStatus {
  name: string;
  pid: number | null;
  state: ProcessState;
  restarts: number;
  started_at: string | null;
  last_exit: { code: number | null; signal: string | null; at: string } | null;
}

export interface SupervisorOptions {
  /** Where a child's output lines go (default: prefixed on the supervisor's stdout). */
  output?: (name: string, line: string, stream: 'stdout' | 'stderr') => void;
  /** The supervisor's own messages. */
  log?: (msg: string) => void;
  /** SIGTERM → SIGKILL grace per stage (ms). Services drain in-flight work in this time. */
  graceMs?: number;
  /** Restart delay policy (the platform's one backoff). */
  backoff?: BackoffPolicy;
  /** A process that ran this long before crashing restarts without accumulated backoff. */
  stableAfterMs?: number;
  /** Where to record the running children (data_dir/supervisor.run.json for `npm start`). */
  runFile?: string;
}

interface Managed {
  spec: ProcessSpec;
  child: ChildProcess | null;
  state: ProcessState;
  restarts: number;
  attempt: number;
  startedAt: number | null;
  lastExit: ProcessStatus['last_exit'];
  timer: NodeJS.Timeout | null;
  exited: Promise<void> | null;
}

const COLORS = [36, 33, 35, 32, 34, 91, 96, 93];

export class Supervisor {
  private readonly procs: Managed[] = [];
  private stopping: Promise<void> | null = null;
  private stopped = false;
  private readonly width: number;
  private readonly o: Required<Omit<SupervisorOptions, 'output' | 'runFile'>> & Pick<SupervisorOptions, 'output' | 'runFile'>;

  constructor(specs: ProcessSpec[], o: SupervisorOptions = {}) {
    this.o = {
      output: o.output,
      log: o.log ?? ((m) => process.stdout.write(`${'supervisor'.padEnd(this.width)} | ${m}\n`)),
      graceMs: o.graceMs ?? 20_000,
      backoff: o.backoff ?? RETRY_POLICIES.processRestart,
      stableAfterMs: o.stableAfterMs ?? 60_000,
      runFile: o.runFile,
    };
    for (const spec of specs) {
      if (this.procs.some((p) => p.spec.name === spec.name)) throw new Error(`duplicate process name ${spec.name}`);
      this.procs.push({ spec, child: null, state: 'stopped', restarts: 0, attempt: 0, startedAt: null, lastExit: null, timer: null, exited: null });
    }
    this.width = Math.max(10, ...specs.map((s) => s.name.length));
    // Last resort: never leave children behind when the supervisor itself dies.
    process.once('exit', () => {
      for (const p of this.procs) if (p.child && p.child.exitCode === null && p.child.pid) killGroup(p.child.pid, 'SIGKILL');
    });
  }

  /** Starts every process, stage by stage, waiting for each stage's readiness. */
  async start(): Promise<void> {
    if (this.o.runFile) await reapLeftovers(this.o.runFile, this.o.graceMs, this.o.log);
    this.recordChildren();
    const stages = [...new Set(this.procs.map((p) => p.spec.stage ?? 1))].sort((a, b) => a - b);
    for (const stage of stages) {
      const group = this.procs.filter((p) => (p.spec.stage ?? 1) === stage);
      for (const p of group) this.launch(p);
      await Promise.all(group.map((p) => p.spec.ready?.()));
      if (this.stopping) return;
    }
  }

  status(): ProcessStatus[] {
    return this.procs.map((p) => ({
      name: p.spec.name,
      pid: p.child?.pid ?? null,
      state: p.state,
      restarts: p.restarts,
      started_at: p.startedAt ? new Date(p.startedAt).toISOString() : null,
      last_exit: p.lastExit,
    }));
  }

  pid(name: string): number | null {
    return this.procs.find((p) => p.spec.name === name)?.child?.pid ?? null;
  }

  private launch(p: Managed): void {
    p.timer = null;
    if (this.stopping) return;
    p.state = 'starting';
    const child = spawn(p.spec.command, p.spec.args, {
      cwd: p.spec.cwd,
      env: { ...process.env, ...p.spec.env, [PARENT_WATCH_ENV]: 'stdin' },
      // stdin: a pipe this process never writes or closes; it ends when the supervisor is gone.
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    child.stdin?.on('error', () => undefined);
    p.child = child;
    p.startedAt = Date.now();
    p.exited = new Promise<void>((resolveExit) => {
      child.once('error', (e) => {
        this.o.log(`${p.spec.name}: cannot start ${p.spec.command}: ${e.message}`);
        // 'exit' may not follow a spawn error.
        this.onExit(p, child, null, null);
        resolveExit();
      });
      child.once('exit', (code, signal) => {
        this.onExit(p, child, code, signal);
        resolveExit();
      });
    });
    for (const [stream, src] of [['stdout', child.stdout], ['stderr', child.stderr]] as const) {
      if (!src) continue;
      createInterface({ input: src, crlfDelay: Infinity }).on('line', (line) => this.emit(p, line, stream));
    }
    if (child.pid) {
      p.state = 'running';
      this.o.log(`${p.spec.name} started (pid ${child.pid})`);
      this.recordChildren();
    }
  }

  private recordChildren(): void {
    if (!this.o.runFile || this.stopped) return;
    const children = this.procs.flatMap((p) => (p.child?.pid ? [entryFor(p.spec.name, p.child.pid)] : []));
    writeRunFile(this.o.runFile, { supervisor: entryFor('supervisor', process.pid), children });
  }

  private emit(p: Managed, line: string, stream: 'stdout' | 'stderr'): void {
    if (this.o.output) return this.o.output(p.spec.name, line, stream);
    const idx = this.procs.indexOf(p);
    const name = p.spec.name.padEnd(this.width);
    const prefix = process.stdout.isTTY ? `\x1b[${COLORS[idx % COLORS.length]}m${name}\x1b[0m` : name;
    process.stdout.write(`${prefix} | ${line}\n`);
  }

  private onExit(p: Managed, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (p.child !== child) return;
    p.child = null;
    p.lastExit = { code, signal, at: new Date().toISOString() };
    if (this.stopping || p.state === 'stopping') {
      p.state = 'stopped';
      return;
    }
    const ranFor = Date.now() - (p.startedAt ?? Date.now());
    if (ranFor >= this.o.stableAfterMs) p.attempt = 0;
    const delay = backoffDelay(p.attempt++, this.o.backoff);
    p.restarts++;
    p.state = 'backoff';
    this.o.log(`${p.spec.name} exited (${signal ? `signal ${signal}` : `code ${code}`}) after ${(ranFor / 1000).toFixed(1)}s; restart #${p.restarts} in ${(delay / 1000).toFixed(1)}s`);
    p.timer = setTimeout(() => this.launch(p), delay);
  }

  /** Stops everything: later stages first; SIGTERM, then SIGKILL after the grace period. Idempotent. */
  stop(): Promise<void> {
    return (this.stopping ??= (async () => {
      const stages = [...new Set(this.procs.map((p) => p.spec.stage ?? 1))].sort((a, b) => b - a);
      for (const stage of stages) {
        const group = this.procs.filter((p) => (p.spec.stage ?? 1) === stage);
        await Promise.all(group.map((p) => this.stopOne(p)));
      }
      this.stopped = true;
      if (this.o.runFile) removeRunFile(this.o.runFile);
    })());
  }

  private async stopOne(p: Managed): Promise<void> {
    if (p.timer) clearTimeout(p.timer);
    p.timer = null;
    const child = p.child;
    if (!child || child.exitCode !== null || !child.pid) {
      p.state = 'stopped';
      return;
    }
    p.state = 'stopping';
    const exited = p.exited ?? Promise.resolve();
    killGroup(child.pid, 'SIGTERM');
    const inTime = await Promise.race([exited.then(() => true), sleep(this.o.graceMs).then(() => false)]);
    if (!inTime) {
      this.o.log(`${p.spec.name} did not stop within ${this.o.graceMs / 1000}s; killing`);
      killGroup(child.pid, 'SIGKILL');
      await Promise.race([exited, sleep(5_000)]);
    }
    this.o.log(`${p.spec.name} stopped`);
  }

  /** Immediate SIGKILL of everything (second Ctrl-C). */
  kill(): void {
    for (const p of this.procs) {
      if (p.timer) clearTimeout(p.timer);
      if (p.child?.pid && p.child.exitCode === null) killGroup(p.child.pid, 'SIGKILL');
    }
  }

  /** Sends a signal to one process (tests and the demo use it to show a restart). */
  signal(name: string, sig: NodeJS.Signals): boolean {
    const pid = this.pid(name);
    if (!pid) return false;
    killGroup(pid, sig);
    return true;
  }
}

/** Signals the child's whole process group (it was spawned detached, so its pid is the group id). */
function killGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  }
}
