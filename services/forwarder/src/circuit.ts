/**
 * Circuit states:
 * - closed: requests flow.
 * - open: the cloud failed `threshold` requests in a row (5xx/429/408/network); pulling from
 *   JetStream stops and one request at a time probes until one succeeds.
 * - auth_failed: the cloud refused the credentials (401/403); same, with slow probes and a loud status.
 * - endpoint_error: the cloud answered as if the URL were wrong (404/405/3xx); same as auth_failed.
 */
export type CircuitState = 'closed' | 'open' | 'auth_failed' | 'endpoint_error';
export type FailureKind = 'retry' | 'auth' | 'endpoint';

export interface CircuitHooks {
  onOpen(state: CircuitState, reason: string): void;
  onClose(downForMs: number): void;
}

/** Permission to send one request; `probe` when it is the one request allowed while not closed. */
export interface Ticket {
  readonly probe: boolean;
}

/** One circuit for the cloud, shared by every lane. */
export class Circuit {
  private s: CircuitState = 'closed';
  private probing = false;
  private waiters: Array<() => void> = [];
  private consecutive = 0;
  private since = Date.now();
  private lastFailure: { at: string; kind: FailureKind; reason: string } | null = null;
  private opened = 0;
  private closeWaiters: Array<() => void> = [];

  constructor(
    private readonly threshold: number,
    private readonly hooks: CircuitHooks,
  ) {}

  get state(): CircuitState {
    return this.s;
  }

  /**
   * Waits until a request may go out. Closed: at once. Otherwise the first caller becomes the
   * probe and the others wait for the circuit to close — an outage costs one request per probe
   * interval, not one per lane or per message.
   */
  async permit(signal: AbortSignal): Promise<Ticket> {
    while (this.s !== 'closed' && !signal.aborted) {
      if (!this.probing) {
        this.probing = true;
        return { probe: true };
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          signal.removeEventListener('abort', done);
          resolve();
        };
        this.waiters.push(done);
        signal.addEventListener('abort', done, { once: true });
      });
    }
    return { probe: false };
  }

  /** The cloud answered (2xx/409, or a 4xx about the data): it is up and accepts our token. */
  success(t: Ticket): void {
    this.consecutive = 0;
    if (t.probe) this.probing = false;
    if (this.s === 'closed') return;
    const down = Date.now() - this.since;
    this.s = 'closed';
    this.since = Date.now();
    this.hooks.onClose(down);
    this.waiters.splice(0).forEach((w) => w());
    this.closeWaiters.splice(0).forEach((w) => w());
  }

  /** Waits `ms`, or less if the circuit closes meanwhile: a lane backing off need not sleep past a recovery. */
  sleepUnlessClosed(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        const i = this.closeWaiters.indexOf(done);
        if (i >= 0) this.closeWaiters.splice(i, 1);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.closeWaiters.push(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  failure(t: Ticket, kind: FailureKind, reason: string): void {
    this.consecutive++;
    if (t.probe) this.probing = false;
    this.lastFailure = { at: new Date().toISOString(), kind, reason };
    const target: CircuitState = kind === 'auth' ? 'auth_failed' : kind === 'endpoint' ? 'endpoint_error' : 'open';
    if (this.s === 'closed') {
      if (kind === 'retry' && this.consecutive < this.threshold) return;
      this.s = target;
      this.since = Date.now();
      this.opened++;
      this.hooks.onOpen(target, reason);
    } else if (this.s !== target) {
      this.s = target;
      this.hooks.onOpen(target, reason);
    }
  }

  /** The probe ended without telling anything about the cloud (e.g. shutdown). */
  release(t: Ticket): void {
    if (!t.probe) return;
    this.probing = false;
    this.waiters.shift()?.();
  }

  status() {
    return {
      state: this.s,
      since: new Date(this.since).toISOString(),
      consecutive_failures: this.consecutive,
      opened_count: this.opened,
      last_failure: this.lastFailure,
    };
  }
}
