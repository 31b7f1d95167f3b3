import type { Logger } from 'pino';
import { backoffDelay, Counters, describeError, RETRY_POLICIES, type BackoffPolicy } from '@edge/platform';

/**
 * The one owner of "a status observation could not be published → repair poll". A status the
 * vendor reported once (an event) is gone from its feed when the publish fails (NATS down, RAW
 * full), so a status poll restores the truth once publishing works again; it is retried with
 * `RETRY_POLICIES.statusRepair` until one poll succeeds. Every failed status publish of the
 * system's `RawPublisher` lands here, and so does a status a collector had to drop (its own
 * publish queue full): collectors never schedule repairs themselves.
 */
export class StatusRepair {
  private timer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private stopped = false;

  constructor(
    /** Runs one status poll; resolves true when it succeeded. */
    private readonly poll: (reason: string) => Promise<boolean>,
    private readonly counters: Counters,
    private readonly log: Logger,
    private readonly policy: BackoffPolicy = RETRY_POLICIES.statusRepair,
  ) {}

  /** A status publish failed (`RawPublisher.onStatusPublishFailed`). */
  publishFailed(e: unknown): void {
    this.counters.inc('status_publish_failed');
    this.log.debug({ err: describeError(e) }, 'status publish failed; a repair poll follows');
    this.schedule('repair after failed status publish');
  }

  /** A collector dropped status observations without publishing them (e.g. its queue was full). */
  dropped(reason: string, count = 1): void {
    this.counters.inc('status_dropped', count);
    this.schedule(`repair after dropped status: ${reason}`);
  }

  get pending(): boolean {
    return this.timer !== null;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(reason: string): void {
    if (this.timer || this.stopped) return;
    const delay = backoffDelay(this.attempt++, this.policy);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.poll(reason).then((ok) => {
        if (ok) this.attempt = 0;
      });
    }, delay);
    this.timer.unref();
  }
}
