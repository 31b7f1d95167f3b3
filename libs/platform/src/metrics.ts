/**
 * Plain counters every service reports in /status (received, sent, dropped by reason, retries,
 * DLQ...). Kept in-process; the names are the anchors' minimum set.
 */
export class Counters {
  private readonly values = new Map<string, number>();
  inc(name: string, by = 1): void {
    this.values.set(name, (this.values.get(name) ?? 0) + by);
  }
  get(name: string): number {
    return this.values.get(name) ?? 0;
  }
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.values.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }
}

/** Running latency sample with percentiles (bounded reservoir). */
export class LatencySample {
  private readonly xs: number[] = [];
  constructor(private readonly cap = 10_000) {}
  add(ms: number): void {
    if (this.xs.length >= this.cap) this.xs[Math.floor(Math.random() * this.cap)] = ms;
    else this.xs.push(ms);
  }
  percentile(p: number): number | null {
    if (this.xs.length === 0) return null;
    const s = [...this.xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
  }
  get count(): number {
    return this.xs.length;
  }
}
