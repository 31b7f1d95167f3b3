import type { PublishResult } from '@edge/platform';

interface Entry<T> {
  items: T;
  persisted: boolean;
  resolve: (acks: PublishResult[]) => void;
  reject: (e: unknown) => void;
}

/**
 * Publishes the messages of successive decisions in decision order, each decision's only after
 * its own journal record is stored (write-ahead), and never before the previous decision's.
 *
 * Decisions whose journal record landed together are published in one synchronous pass: nats.js
 * writes what was queued once per microtask checkpoint, so their publishes share one socket
 * write, and their PubAcks — and with them the acks of their inputs — come back together. (A
 * promise chain per decision issued each decision's publishes a few microtasks after the
 * previous one's, and each went out in a write of its own: bench/README.md.)
 */
export class OrderedPublishQueue<T> {
  private queue: Array<Entry<T>> = [];

  constructor(private readonly publish: (items: T) => Promise<PublishResult[]>) {}

  get waiting(): number {
    return this.queue.length;
  }

  /** Resolves with the PubAcks once `persisted` resolved and the messages are stored in their stream. */
  enqueue(persisted: Promise<void>, items: T): Promise<PublishResult[]> {
    return new Promise<PublishResult[]>((resolve, reject) => {
      const e: Entry<T> = { items, persisted: false, resolve, reject };
      this.queue.push(e);
      persisted.then(
        () => {
          e.persisted = true;
          this.drain();
        },
        (err: unknown) => this.fail(e, err),
      );
    });
  }

  /** A reload of the registry: what still waits is refused (its input is redelivered and decided again). */
  reset(err: unknown): void {
    for (const e of this.queue.splice(0)) e.reject(err);
  }

  private drain(): void {
    let n = 0;
    while (n < this.queue.length && this.queue[n].persisted) n++;
    for (const e of this.queue.splice(0, n)) {
      let p: Promise<PublishResult[]>;
      try {
        p = this.publish(e.items);
      } catch (err) {
        p = Promise.reject(err);
      }
      p.then(e.resolve, e.reject);
    }
  }

  /** Its journal write failed: this decision and every later one cannot go out in order. */
  private fail(e: Entry<T>, err: unknown): void {
    const i = this.queue.indexOf(e);
    if (i >= 0) for (const later of this.queue.splice(i)) later.reject(err);
  }
}
