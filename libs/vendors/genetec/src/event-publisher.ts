import type { Logger } from 'pino';
import { Counters, describeError } from '@edge/platform';
import type { RawPublisher } from '@edge/collector-kit';
import { normalizeGuid } from './client/urls';
import { meaningOf, type EventMeaning } from './events/subscriptions';
import type { LastKnownEntities } from './last-known';
import { eventKey } from './mapper/map-status';
import type { GenetecEvent, GenetecStatusPayloadInput } from './raw-schema';

/** Pending event publishes beyond this are dropped and a reconcile poll is asked for instead. */
const MAX_QUEUED = 50_000;

/**
 * Decides what each pushed event means and whether it is news (the last-known-state rule), then
 * publishes it to RAW in arrival order. Decide first, then do IO: the decision is synchronous,
 * so a late event is judged against every state known when it arrived.
 */
export class EventPublisher {
  readonly counters = new Counters();
  private chain: Promise<unknown> = Promise.resolve();
  private queued = 0;

  constructor(
    private readonly o: {
      eventTypes: Record<string, Record<string, EventMeaning>>;
      lastKnown: LastKnownEntities;
      entityTypeOf: (guid: string) => string | null;
      raw: () => RawPublisher | null;
      requestReconcile: (reason: string) => void;
      log: Logger;
    },
  ) {}

  get pending(): number {
    return this.queued;
  }

  accept(events: GenetecEvent[]): void {
    const raw = this.o.raw();
    if (!raw) return;
    for (const ev of events) {
      const guid = normalizeGuid(ev.SourceEntity) ?? ev.SourceEntity;
      const entityType = this.o.entityTypeOf(guid);
      const meaning = meaningOf(this.o.eventTypes, ev.EventType, entityType);
      if (!meaning) {
        this.counters.inc('events_ignored_type');
        continue;
      }
      const verdict = this.o.lastKnown.judgeEvent(guid, meaning, ev.Timestamp);
      if (verdict !== 'publish') {
        this.counters.inc(verdict === 'superseded' ? 'events_superseded_late' : 'events_in_maintenance');
        continue;
      }
      const payload: GenetecStatusPayloadInput = { kind: 'event', event: ev, entityType, meaning };
      this.enqueue(() => raw.status(payload, `ev:${eventKey(ev)}`));
    }
  }

  private enqueue(task: () => Promise<unknown>): void {
    if (this.queued >= MAX_QUEUED) {
      this.counters.inc('events_dropped_queue_full');
      this.o.requestReconcile('event publish queue full');
      return;
    }
    this.queued++;
    this.chain = this.chain
      .then(task)
      .then(
        () => this.counters.inc('events_published'),
        (e: unknown) => {
          // The runner's repair poll restores the truth (RawPublisher.onStatusPublishFailed).
          this.counters.inc('events_publish_failed');
          this.o.log.warn({ err: describeError(e) }, 'event publish failed');
        },
      )
      .finally(() => this.queued--);
  }

  /** Waits (bounded) for queued publishes. */
  async drain(maxMs: number): Promise<void> {
    await Promise.race([this.chain, new Promise((r) => setTimeout(r, maxMs).unref())]);
  }
}
