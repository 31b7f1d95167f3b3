import type { CallStat } from './report';

/** Counts and times the calls the survey makes, by kind. */
export class CallMeter {
  private readonly stats = new Map<string, CallStat>();

  add(method: string, ms: number): void {
    const s = this.stats.get(method) ?? { method, calls: 0, total_ms: 0, max_ms: 0 };
    s.calls++;
    s.total_ms += ms;
    s.max_ms = Math.max(s.max_ms, ms);
    this.stats.set(method, s);
  }

  async time<T>(method: string, fn: () => Promise<T>): Promise<T> {
    const t0 = Date.now();
    try {
      return await fn();
    } finally {
      this.add(method, Date.now() - t0);
    }
  }

  /** Calls so far, most frequent first. */
  snapshot(): CallStat[] {
    return [...this.stats.values()].map((s) => ({ ...s })).sort((a, b) => b.calls - a.calls || a.method.localeCompare(b.method));
  }

  count(prefix = ''): number {
    let n = 0;
    for (const s of this.stats.values()) if (s.method.startsWith(prefix)) n += s.calls;
    return n;
  }
}

/** A URL path as a call kind: ids and GUIDs folded so calls of one kind are counted together. */
export function callKind(method: string, path: string): string {
  const p = path
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '{id}')
    .replace(/\/\d+(?=\/|$)/g, '/{id}');
  return `${method} ${p}`;
}

/** The calls made between two snapshots. */
export function callsSince(after: CallStat[], before: CallStat[]): CallStat[] {
  return after
    .map((a) => {
      const b = before.find((x) => x.method === a.method);
      return { method: a.method, calls: a.calls - (b?.calls ?? 0), total_ms: a.total_ms - (b?.total_ms ?? 0), max_ms: a.max_ms };
    })
    .filter((c) => c.calls > 0);
}
