import type { Logger } from 'pino';
import { Counters, describeError } from '@edge/platform';

export interface OrderedStatusQueueOptions {
  /** Pending tasks beyond this are dropped and reported to `dropped` (a repair poll follows). */
  max: number;
  /** `CollectorHooks.statusDropped`, or null before the collector started. */
  dropped: ((reason: string, count?: number) => void) | null;
  counters: Counters;
  log: Logger;
  /** A task failed (the kit already repairs failed status publishes; this is for bookkeeping). */
  failed?(e: unknown): void;
}

/**
 * Status publishes of one system, one after another (events keep their order in RAW), bounded.
 * A publish that fails is repaired by the kit (`StatusRepair` sees every failed `raw.status()`);
 * a task dropped because the queue is full is reported as dropped so a repair poll follows.
 */
export class OrderedStatusQueue {
  private chain: Promise<unknown> = Promise.resolve();
  private queued = 0;

  constructor(private readonly o: OrderedStatusQueueOptions) {}

  get size(): number {
    return this.queued;
  }

  /** Runs `task` after every task queued before it; rejects when the queue is full or the task fails. */
  push<T>(task: () => Promise<T>): Promise<T> {
    if (this.queued >= this.o.max) {
      this.o.counters.inc('status_dropped_queue_full');
      this.o.dropped?.('status publish queue full');
      return Promise.reject(new Error('status publish queue full'));
    }
    this.queued++;
    const run = this.chain.then(task, task);
    this.chain = run.then(
      () => undefined,
      (e: unknown) => {
        this.o.counters.inc('status_task_failed');
        this.o.failed?.(e);
        this.o.log.warn({ err: describeError(e) }, 'status publish failed; the kit repairs it with a status poll');
      },
    );
    void this.chain.finally(() => this.queued--);
    return run;
  }

  /** Waits for what is queued, at most `timeoutMs`. */
  async drained(timeoutMs: number): Promise<void> {
    let t: NodeJS.Timeout | undefined;
    await Promise.race([this.chain.catch(() => undefined), new Promise((r) => (t = setTimeout(r, timeoutMs)))]);
    clearTimeout(t);
  }
}
