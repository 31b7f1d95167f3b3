/**
 * OpenAccess calls per method over the last hour (one-minute buckets), for `/status`: the load
 * the collector puts on the server, which its operators see in the user transaction report.
 */
export class CallMeter {
  private readonly buckets = new Map<number, Map<string, number>>();

  constructor(private readonly now: () => number = Date.now) {}

  record(method: string): void {
    const minute = Math.floor(this.now() / 60_000);
    let b = this.buckets.get(minute);
    if (!b) {
      this.buckets.set(minute, (b = new Map()));
      for (const m of this.buckets.keys()) if (m <= minute - 60) this.buckets.delete(m);
    }
    b.set(method, (b.get(method) ?? 0) + 1);
  }

  /** Calls per method in the last 60 minutes, and their total. */
  lastHour(): { total: number; by_method: Record<string, number> } {
    const from = Math.floor(this.now() / 60_000) - 59;
    const out: Record<string, number> = {};
    let total = 0;
    for (const [m, b] of this.buckets) {
      if (m < from) continue;
      for (const [k, n] of b) {
        out[k] = (out[k] ?? 0) + n;
        total += n;
      }
    }
    return { total, by_method: Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b))) };
  }
}
