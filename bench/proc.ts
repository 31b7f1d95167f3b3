/**
 * Processes from /proc, for the benchmarks' memory figures: a process tree, one process's
 * current RSS, and nats-server under its tether.
 */
import { readdirSync, readFileSync } from 'node:fs';

export function readProc(pid: number, file: string): string | null {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return null;
  }
}

/** Command name and parent pid from /proc/<pid>/stat (the name is in parentheses and may hold spaces). */
function statOf(pid: number): { comm: string; ppid: number } | null {
  const stat = readProc(pid, 'stat');
  if (!stat) return null;
  // Fields after the parenthesised command name: state ppid …
  return { comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), ppid: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) };
}

/** Pids of `root` and all its descendants (one /proc walk). */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const s = statOf(Number(d));
    if (!s) continue;
    const list = children.get(s.ppid) ?? [];
    list.push(Number(d));
    children.set(s.ppid, list);
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length) {
    const p = stack.pop()!;
    out.push(p);
    stack.push(...(children.get(p) ?? []));
  }
  return out;
}

/** Current resident set (VmRSS) of a process, MB; null when it is gone. */
export function rssMb(pid: number | null): number | null {
  if (!pid) return null;
  const m = /VmRSS:\s+(\d+) kB/.exec(readProc(pid, 'status') ?? '');
  return m ? Number(m[1]) / 1024 : null;
}

/**
 * The nats-server process: `npm start` runs it under a tether (scripts/tether.mjs), whose pid the
 * supervisor knows; the server is the tether's child.
 */
export function natsServerPid(tetherPid: number | null): number | null {
  if (!tetherPid) return null;
  return descendants(tetherPid).find((pid) => pid !== tetherPid && statOf(pid)?.comm === 'nats-server') ?? null;
}
