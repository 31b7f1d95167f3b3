import type { HealthCommandReply, HealthCommandRequest, HealthEvent, TimelinePoint } from '@edge/contracts';

type EventView = NonNullable<HealthCommandReply['events']>[number];
export type SystemCounts = Map<string, { offline: number; degraded: number; total: number }>;

/**
 * In-memory history for the status page: the latest health events, and per system the highest
 * offline/degraded counts seen in each bucket of the last 24 h. Lost on restart (the cloud has
 * the durable history); fills again from the next sample.
 */
export class HealthTimeline {
  private readonly events: EventView[] = [];
  private readonly points = new Map<string, TimelinePoint[]>();

  constructor(
    readonly bucketMs = 5 * 60_000,
    private readonly keepMs = 24 * 3_600_000,
    private readonly maxEvents = 500,
  ) {}

  record(e: HealthEvent, name: string | null): void {
    this.events.push({ device_id: e.device_id, system_id: e.source.system_id, name, status: e.status, previous_status: e.previous_status ?? null, reason: e.reason ?? null, timestamp: e.timestamp, observed_via: e.observed_via });
    if (this.events.length > this.maxEvents) this.events.splice(0, this.events.length - this.maxEvents);
  }

  /** Folds the current counts into the current bucket (the bucket keeps the worst it saw). */
  sample(counts: SystemCounts, now = Date.now()): void {
    const t = new Date(Math.floor(now / this.bucketMs) * this.bucketMs).toISOString();
    const oldest = new Date(now - this.keepMs).toISOString();
    for (const [system, c] of counts) {
      const list = this.points.get(system) ?? [];
      const last = list[list.length - 1];
      if (last && last.t === t) {
        last.offline = Math.max(last.offline, c.offline);
        last.degraded = Math.max(last.degraded, c.degraded);
        last.total = c.total;
      } else list.push({ t, offline: c.offline, degraded: c.degraded, total: c.total });
      while (list.length && list[0].t < oldest) list.shift();
      this.points.set(system, list);
    }
  }

  query(q: HealthCommandRequest): Pick<HealthCommandReply, 'bucket_s' | 'timeline' | 'events'> {
    const want = (s: string) => !q.system || s === q.system;
    const timeline = Object.fromEntries([...this.points.entries()].filter(([s]) => want(s)).map(([s, l]) => [s, l.map((p) => ({ ...p }))]));
    const events = this.events.filter((e) => want(e.system_id)).slice(-(q.events ?? 50)).reverse();
    return { bucket_s: this.bucketMs / 1000, timeline, events };
  }
}
