import type http from 'node:http';
import type { Logger } from 'pino';
import { Counters } from '@edge/platform';
import type { EventSource, StreamSession, StreamSessionContext } from '@edge/collector-kit';
import type { WebSdkClient } from '../client/web-sdk-client';
import type { GenetecEvent } from '../raw-schema';
import { byOwnTime, decodeLine } from './decode';

export interface GenetecEventSourceOptions {
  client: WebSdkClient;
  /** `q` of `/events/subscribe`. */
  query: string;
  log: Logger;
  /**
   * A reopened stream whose previous one carried its last byte longer ago than this asks for a
   * reconcile: a stream that went silent lost events from its last byte, not from when the
   * silence was noticed (the lifecycle counts a gap from the close).
   */
  gapMs: number;
  /** Events of one read, ordered by their own timestamps. */
  onEvents(events: GenetecEvent[]): void;
}

/**
 * The vendor part of the Web SDK event stream (the kit's `EventStreamLifecycle` owns reconnect,
 * silence detection and the reconcile after a gap): subscribe (`/events/subscribe?q=event(…)`),
 * then hold `GET /events` open and read events as lines (DAP wiki, "web sdk events and alarms",
 * https://github.com/Genetec/DAP/wiki/web-sdk-events-and-alarms). Subscriptions are re-sent on
 * every open because they belong to a session the server may have dropped (idle timeout); they
 * are removed on a clean stop. Every byte is a sign of life: empty lines are keep-alives.
 */
export class GenetecEventSource implements EventSource {
  readonly counters = new Counters();
  /** When the last byte of the previous stream arrived (ms; 0 before the first). */
  private lastByteAt = 0;

  constructor(private readonly o: GenetecEventSourceOptions) {}

  blockedForMs(): number {
    return this.o.client.refused ? 5_000 : 0;
  }

  async open(ctx: StreamSessionContext): Promise<StreamSession> {
    const ac = new AbortController();
    const onStop = () => ac.abort(new Error('stopped'));
    ctx.signal.addEventListener('abort', onStop, { once: true });
    try {
      await this.o.client.get(`events/subscribe?q=${encodeURIComponent(this.o.query)}`, ac.signal);
      const res = await this.o.client.stream('events', ac.signal);
      const quietMs = this.lastByteAt ? Date.now() - this.lastByteAt : 0;
      if (quietMs > this.o.gapMs) ctx.gap(`Web SDK event stream: nothing received for ${Math.round(quietMs / 1000)} s before it was reopened`);
      this.lastByteAt = Date.now();
      this.read(res, ctx);
      return {
        close: async (stopping) => {
          ctx.signal.removeEventListener('abort', onStop);
          res.destroy();
          if (stopping) await this.unsubscribe();
        },
      };
    } catch (e) {
      ctx.signal.removeEventListener('abort', onStop);
      throw e;
    }
  }

  private async unsubscribe(): Promise<void> {
    await this.o.client.get(`events/unsubscribe?q=${encodeURIComponent(this.o.query)}`, AbortSignal.timeout(5_000)).catch(() => undefined);
  }

  private read(res: http.IncomingMessage, ctx: StreamSessionContext): void {
    let buf = '';
    const gone = (why: string) => () => ctx.lost(new Error(`Web SDK event stream ${why}`));
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      ctx.alive();
      this.lastByteAt = Date.now();
      buf += chunk;
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      const events: GenetecEvent[] = [];
      for (const line of lines) {
        const d = decodeLine(line);
        events.push(...d.events);
        if (d.rejected) this.counters.inc('rejected', d.rejected);
      }
      if (events.length === 0) return;
      this.counters.inc('events', events.length);
      this.o.onEvents(byOwnTime(events));
    });
    res.on('end', gone('ended'));
    res.on('error', gone('failed'));
    res.on('close', gone('closed'));
  }
}
