import type { Logger } from 'pino';
import { scrubSecrets } from '@edge/platform';

const SECRET_KEY = /token|password|passwd|secret|credential|session|api[_-]?key|authorization/i;
const MAX_KEYS = 60;
const MAX_TEXT = 500;

/** An event body safe to show: secret-looking keys redacted, known secrets scrubbed, sizes bounded. */
export function scrubEvent(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') return scrubSecrets(v.length > MAX_TEXT ? `${v.slice(0, MAX_TEXT)}…` : v);
  if (v === null || typeof v !== 'object') return v;
  if (depth >= 4) return '[nested]';
  if (Array.isArray(v)) return v.slice(0, MAX_KEYS).map((x) => scrubEvent(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v).slice(0, MAX_KEYS)) out[k] = SECRET_KEY.test(k) ? '[REDACTED]' : scrubEvent(x, depth + 1);
  return out;
}

export type EventOutcome = 'device' | 'unknown_device' | 'unknown_panel' | 'unread' | 'other_class';

export interface RawEventRecord {
  at: string;
  outcome: EventOutcome;
  event: unknown;
}

/**
 * Makes the bridge's events visible (no public source shows a real hardware-event payload, so
 * the field names the collector reads are a guess, reference §5.4): the last N bodies, scrubbed,
 * for `/status` and `edge status --raw-events`, counts per outcome, and a warning at most once per
 * interval when events arrive but none of them names a device the inventory knows.
 */
export class EventWatch {
  private readonly ring: RawEventRecord[] = [];
  private readonly outcomes: Record<EventOutcome, number> = { device: 0, unknown_device: 0, unknown_panel: 0, unread: 0, other_class: 0 };
  private windowStart: number;
  private windowEvents = 0;
  private windowResolved = 0;
  private lastWarnAt = Number.NEGATIVE_INFINITY;
  private warning: string | null = null;

  constructor(
    private readonly keep: number,
    private readonly warnEveryMs: number,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.windowStart = now();
  }

  record(event: Record<string, unknown>, outcome: EventOutcome): void {
    this.outcomes[outcome]++;
    if (this.keep > 0) {
      this.ring.push({ at: new Date(this.now()).toISOString(), outcome, event: scrubEvent(event) });
      if (this.ring.length > this.keep) this.ring.shift();
    }
    if (outcome === 'other_class') return;
    const t = this.now();
    if (t - this.windowStart >= this.warnEveryMs) {
      this.windowStart = t;
      this.windowEvents = 0;
      this.windowResolved = 0;
    }
    this.windowEvents++;
    if (outcome === 'device' || outcome === 'unknown_device') {
      this.windowResolved++;
      this.warning = null;
    } else if (this.windowResolved === 0 && t - this.lastWarnAt >= this.warnEveryMs) {
      this.lastWarnAt = t;
      this.warning = `${this.windowEvents} hardware event(s) arrived and none named a device the inventory knows; device state comes from status polls only. See edge status --raw-events and set events.fields.`;
      this.log.warn({ events: this.windowEvents, last_outcome: outcome }, this.warning);
    }
  }

  snapshot(): { counts: Record<EventOutcome, number>; warning: string | null; raw_events: RawEventRecord[] } {
    return { counts: { ...this.outcomes }, warning: this.warning, raw_events: [...this.ring] };
  }
}
