import { sleep } from '@edge/platform';

/** Bounded concurrency: at most `max` tasks run at once; the rest wait in order. */
export class Semaphore {
  private active = 0;
  private readonly waiters: Array<() => void> = [];
  constructor(private readonly max: number) {}

  get inFlight(): number {
    return this.active;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((r) => this.waiters.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiters.shift()?.();
    }
  }
}

/** Spaces calls to at most `perSecond` (0 = unlimited). */
export class RateLimiter {
  private next = 0;
  constructor(private readonly perSecond: number) {}

  async take(signal?: AbortSignal): Promise<void> {
    if (this.perSecond <= 0) return;
    const gap = 1000 / this.perSecond;
    const now = Date.now();
    const at = Math.max(now, this.next);
    this.next = at + gap;
    if (at > now) await sleep(at - now, signal);
  }
}

/**
 * Runs `fn` over `items` with at most `concurrency` at once, in bounded memory (items are
 * pulled from the iterable as slots free up). Stops early when `signal` aborts.
 */
export async function forEachBounded<T>(items: Iterable<T>, concurrency: number, fn: (item: T) => Promise<void>, signal?: AbortSignal): Promise<void> {
  const it = items[Symbol.iterator]();
  let failure: unknown = null;
  const worker = async () => {
    for (;;) {
      if (failure || signal?.aborted) return;
      const n = it.next();
      if (n.done) return;
      try {
        await fn(n.value);
      } catch (e) {
        failure ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  if (failure) throw failure;
}
