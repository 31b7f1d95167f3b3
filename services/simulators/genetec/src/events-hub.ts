import type { SimEntity } from './model';
import type { Sessions } from './sessions';

/** .NET-style UTC time with 7 fraction digits, as Security Center writes times. */
export function dotnetTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}

export interface SimEvent {
  EventType: string;
  SourceEntity: string;
  Timestamp: string;
  IsOffline?: boolean;
}

/**
 * Writes subscribed events to the open `/events` streams as one JSON object per line, with an
 * empty keep-alive line every `heartbeatMs`. `silent` models a stream that stays open but
 * carries nothing more: events of that time are lost, as on a real half-dead connection.
 */
export class EventsHub {
  silent = false;
  sent = 0;
  lost = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly sessions: Sessions,
    heartbeatMs: number,
  ) {
    this.timer = setInterval(() => this.heartbeat(), heartbeatMs);
    this.timer.unref();
  }

  private heartbeat(): void {
    if (this.silent) return;
    for (const s of this.sessions.all()) for (const r of s.streams) r.write('\n');
  }

  emit(ev: SimEvent, source: SimEntity): void {
    const keys = [`${source.EntityType}|${ev.EventType}`, `${source.Guid.replace(/-/g, '')}|${ev.EventType}`].map((k) => k.toLowerCase());
    const line = `${JSON.stringify(ev)}\n`;
    for (const s of this.sessions.all()) {
      if (!keys.some((k) => s.subscriptions.has(k))) continue;
      for (const r of s.streams) {
        if (this.silent) this.lost++;
        else {
          r.write(line);
          this.sent++;
        }
      }
    }
  }

  /** Ends every open stream abruptly (a dropped connection). */
  dropStreams(): number {
    let n = 0;
    for (const s of this.sessions.all())
      for (const r of s.streams) {
        r.destroy();
        n++;
      }
    return n;
  }

  close(): void {
    clearInterval(this.timer);
  }
}
