import type http from 'node:http';
import type { Logger } from 'pino';
import { backoffDelay, describeError, errorKind, sleep, type BackoffPolicy } from '@edge/platform';
import type { WebSdkClient } from '../client/web-sdk-client';
import type { GenetecEvent } from '../raw-schema';
import { byOwnTime, decodeLine } from './decode';

export type StreamState = 'idle' | 'subscribing' | 'subscribed' | 'reconnecting' | 'refused' | 'stopped';

export interface EventStreamOptions {
  client: WebSdkClient;
  /** `q` of `/events/subscribe`. */
  query: string;
  /**
   * No byte for this long → the stream is dead: reopen it, and reconcile from the last byte.
   * Third-party Web SDK clients treat 5–10 s without a line as a dead stream (public C# event
   * readers found by code search), which suggests the server writes regularly; unconfirmed.
   */
  silenceMs: number;
  /** A stream down for longer than this asks for a reconcile poll when it is back. */
  gapMs: number;
  reconnect: BackoffPolicy;
  log: Logger;
  /** Events of one read, ordered by their own timestamps. */
  onEvents(events: GenetecEvent[]): void;
  /** The stream was down long enough that events may be missing. */
  onGap(reason: string): void;
  /** The first subscription of this stream is in place (events before it were not seen). */
  onFirstSubscribed?(): void;
}

/**
 * The Web SDK event stream: subscribe (`/events/subscribe?q=event(…)`), then hold `GET /events`
 * open and read events as lines (DAP wiki, "web sdk events and alarms"). A stream that ends, is
 * dropped, or stays silent longer than `silenceMs` is reopened with the platform's backoff; the
 * subscriptions are re-sent each time because they belong to a session the server may have
 * dropped (idle timeout). After a gap longer than `gapMs`, `onGap` asks for a reconcile.
 * Written to move onto the kit's event-stream lifecycle: connect + decode are the vendor parts.
 */
export class EventStream {
  state: StreamState = 'idle';
  lastError: string | null = null;
  readonly counters = { connects: 0, silences: 0, events: 0, rejected: 0, gaps: 0 };
  private stopped = false;
  private readonly stopping = new AbortController();
  private current: AbortController | null = null;
  private loop: Promise<void> | null = null;
  /** When the stream was last known healthy and then lost (ms), null while up / before the first connect. */
  private downSince: number | null = null;
  private connectedOnce = false;

  constructor(private readonly o: EventStreamOptions) {}

  start(): void {
    this.loop ??= this.run();
  }

  /**
   * Drops the stream being held (e.g. its session was renewed): the loop resubscribes. A
   * subscription under way already runs on the new session and is left alone.
   */
  restart(reason: string): void {
    if (this.state !== 'subscribed') return;
    this.o.log.info({ reason }, 'event stream restarting');
    this.current?.abort(new Error(reason));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.state = 'stopped';
    this.stopping.abort();
    this.current?.abort(new Error('stopped'));
    await this.loop?.catch(() => undefined);
    // Subscriptions are resources of the session: removed on a clean stop.
    await this.o.client.get(`events/unsubscribe?q=${encodeURIComponent(this.o.query)}`, AbortSignal.timeout(5_000)).catch(() => undefined);
  }

  private async run(): Promise<void> {
    for (let attempt = 0; !this.stopped; ) {
      const healthy = await this.once().then(
        () => true,
        (e: unknown) => {
          this.lastError = describeError(e);
          this.state = errorKind(e) === 'auth' ? 'refused' : 'reconnecting';
          this.o.log.warn({ err: this.lastError }, 'event stream failed');
          return false;
        },
      );
      if (this.stopped) return;
      this.downSince ??= Date.now();
      attempt = healthy ? 0 : attempt + 1;
      if (healthy) this.state = 'reconnecting';
      // Even after a healthy stream: a server that accepts and closes at once is not hammered.
      await sleep(backoffDelay(Math.max(0, attempt - 1), this.o.reconnect), this.stopping.signal);
    }
  }

  /** One subscription + stream, until it ends, is dropped or goes silent. Resolves if it was up. */
  private async once(): Promise<void> {
    const ac = new AbortController();
    this.current = ac;
    this.state = 'subscribing';
    await this.o.client.get(`events/subscribe?q=${encodeURIComponent(this.o.query)}`, ac.signal);
    const res = await this.o.client.stream('events', ac.signal);
    this.counters.connects++;
    this.state = 'subscribed';
    this.lastError = null;
    if (this.connectedOnce && this.downSince !== null && Date.now() - this.downSince > this.o.gapMs) {
      this.counters.gaps++;
      this.o.onGap(`event stream was down ${Math.round((Date.now() - this.downSince) / 1000)} s`);
    }
    if (!this.connectedOnce) this.o.onFirstSubscribed?.();
    this.connectedOnce = true;
    this.downSince = null;
    await this.read(res, ac);
  }

  private read(res: http.IncomingMessage, ac: AbortController): Promise<void> {
    return new Promise((resolve) => {
      let buf = '';
      let timer: NodeJS.Timeout;
      let lastByteAt = Date.now();
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          this.counters.silences++;
          // Events may have been lost since the last byte, not since the silence was noticed.
          this.downSince = lastByteAt;
          this.o.log.warn({ silence_ms: this.o.silenceMs }, 'event stream silent; reopening it');
          ac.abort(new Error('silent'));
        }, this.o.silenceMs);
      };
      const done = () => {
        clearTimeout(timer);
        res.destroy();
        resolve();
      };
      arm();
      ac.signal.addEventListener('abort', done, { once: true });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        lastByteAt = Date.now();
        arm();
        buf += chunk;
        const lines = buf.split('\n');
        buf = lines.pop() ?? '';
        const events: GenetecEvent[] = [];
        for (const line of lines) {
          const d = decodeLine(line);
          events.push(...d.events);
          this.counters.rejected += d.rejected;
        }
        if (events.length === 0) return;
        this.counters.events += events.length;
        this.o.onEvents(byOwnTime(events));
      });
      res.on('end', done);
      res.on('error', done);
      res.on('close', done);
    });
  }
}
