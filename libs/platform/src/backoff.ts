import { RETRY_POLICIES } from './retry-policies';

/**
 * The one backoff policy: exponential with full jitter, capped.
 * delay(n) = random(0, min(cap, base * 2^n)), never below `floor`.
 */
export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
  floorMs?: number;
}

/** `RETRY_POLICIES.default` (retry-policies.ts names every policy with its defaults). */
export const DEFAULT_BACKOFF: BackoffPolicy = RETRY_POLICIES.default;

export function backoffDelay(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const exp = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, Math.min(attempt, 30)));
  return Math.max(policy.floorMs ?? 0, Math.floor(random() * exp));
}

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * Retries `fn` while it throws something `shouldRetry` accepts, with the backoff policy,
 * until `signal` aborts or `maxElapsedMs` passes (then the last error is thrown).
 */
export async function retry<T>(
  fn: (attempt: number) => Promise<T>,
  opts: {
    policy?: BackoffPolicy;
    shouldRetry?: (e: unknown) => boolean;
    maxElapsedMs?: number;
    signal?: AbortSignal;
    onRetry?: (e: unknown, attempt: number, delayMs: number) => void;
    delayFor?: (e: unknown, attempt: number) => number | undefined;
  } = {},
): Promise<T> {
  const start = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (opts.shouldRetry && !opts.shouldRetry(e)) throw e;
      if (opts.signal?.aborted) throw e;
      const delay = opts.delayFor?.(e, attempt) ?? backoffDelay(attempt, opts.policy);
      if (opts.maxElapsedMs !== undefined && Date.now() - start + delay > opts.maxElapsedMs) throw e;
      opts.onRetry?.(e, attempt, delay);
      await sleep(delay, opts.signal);
    }
  }
}
