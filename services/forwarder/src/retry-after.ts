/** Longest wait a `Retry-After` can impose; a bogus far-future date must not stall delivery for days. */
export const MAX_RETRY_AFTER_MS = 60 * 60_000;

/** `Retry-After` (delay-seconds or HTTP-date, RFC 9110 §10.2.3) → ms from `now`, or undefined. */
export function parseRetryAfter(value: string | string[] | undefined | null, now = Date.now()): number | undefined {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Math.min(MAX_RETRY_AFTER_MS, Number(v) * 1000);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, at - now));
}
