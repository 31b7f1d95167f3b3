/**
 * The supervisor's run file: who it is and which process groups it started. A supervisor that
 * died without its stop (SIGKILL, OOM killer) leaves the file behind; the next one finds the
 * processes still alive from it (they are draining: see libs/platform parent-watch and
 * scripts/tether.mjs), waits for them up to the stop grace, then kills what is left, so it
 * never fights them for ports and NATS consumers. Processes are matched by pid *and* start
 * time, so a recycled pid is never signalled.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { sleep } from '@edge/platform';

export interface RunEntry {
  name: string;
  pid: number;
  /** Start time from /proc (clock ticks since boot); null where /proc is absent. */
  start: string | null;
}

export interface RunFile {
  supervisor: RunEntry;
  children: RunEntry[];
}

/** A process's start time from /proc/<pid>/stat (field 22), or null when unknown. */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19] ?? null;
  } catch {
    return null;
  }
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/** True while the process of the entry (same pid, same start time) is alive and not a zombie. */
export function isSameProcess(e: RunEntry): boolean {
  try {
    process.kill(e.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (isZombie(e.pid)) return false;
  return e.start === null || processStart(e.pid) === e.start;
}

export function entryFor(name: string, pid: number): RunEntry {
  return { name, pid, start: processStart(pid) };
}

export function readRunFile(file: string): RunFile | null {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as RunFile;
    return v && v.supervisor && Array.isArray(v.children) ? v : null;
  } catch {
    return null;
  }
}

export function writeRunFile(file: string, run: RunFile): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(run));
  renameSync(tmp, file);
}

export function removeRunFile(file: string): void {
  rmSync(file, { force: true });
}

function killGroup(pid: number, sig: NodeJS.Signals): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, sig);
      return;
    } catch {
      /* try the pid alone, or already gone */
    }
  }
}

/**
 * Deals with what a dead supervisor left: throws when that supervisor is in fact alive (two
 * supervisors on one data dir); otherwise waits up to `graceMs` for its children to finish
 * draining and kills the rest. Returns the names of the processes that were found.
 */
export async function reapLeftovers(file: string, graceMs: number, log: (m: string) => void): Promise<string[]> {
  const run = readRunFile(file);
  if (!run) return [];
  if (run.supervisor.pid !== process.pid && isSameProcess(run.supervisor))
    throw new Error(`another supervisor (pid ${run.supervisor.pid}) runs with this data directory (${file}); stop it first`);
  const left = run.children.filter(isSameProcess);
  if (left.length > 0) {
    log(`left over from a supervisor that died (pid ${run.supervisor.pid}): ${left.map((e) => `${e.name} (pid ${e.pid})`).join(', ')}; waiting up to ${graceMs / 1000}s for their drain`);
    const deadline = Date.now() + graceMs;
    while (left.some(isSameProcess) && Date.now() < deadline) await sleep(200);
    const still = left.filter(isSameProcess);
    for (const e of still) killGroup(e.pid, 'SIGKILL');
    if (still.length > 0) log(`killed ${still.map((e) => e.name).join(', ')} (still running after the grace period)`);
    const end = Date.now() + 5_000;
    while (still.some(isSameProcess) && Date.now() < end) await sleep(100);
  } else if (run.supervisor.pid !== process.pid) {
    log(`the supervisor before (pid ${run.supervisor.pid}) did not stop cleanly; its processes have all ended`);
  }
  removeRunFile(file);
  return left.map((e) => e.name);
}
