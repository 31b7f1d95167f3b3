import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF, parseRetryAfter, RETRY_AFTER_CAP_MS, RETRY_POLICIES, retryPolicy } from '@edge/platform';

describe('Retry-After (one parser for the cloud and every vendor)', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');

  it('reads delay-seconds and HTTP dates', () => {
    expect(parseRetryAfter('7', now)).toBe(7_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:01:30 GMT', now)).toBe(90_000);
    expect(parseRetryAfter(['12', '99'], now)).toBe(12_000);
  });

  it('a date in the past means now; unreadable or absent means no advice', () => {
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('is capped: by the platform default, or by the cap a caller configured', () => {
    expect(parseRetryAfter('999999', now)).toBe(RETRY_AFTER_CAP_MS);
    expect(parseRetryAfter('Fri, 01 Jan 2027 00:00:00 GMT', now)).toBe(RETRY_AFTER_CAP_MS);
    expect(parseRetryAfter('120', now, 30_000)).toBe(30_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:10:00 GMT', now, 60_000)).toBe(60_000);
    expect(parseRetryAfter('20', now, 30_000)).toBe(20_000);
  });
});

describe('named retry policies', () => {
  it('every policy has a description and sane numbers', () => {
    for (const [name, p] of Object.entries(RETRY_POLICIES)) {
      expect(p.description, name).not.toBe('');
      expect(p.baseMs, name).toBeGreaterThan(0);
      expect(p.capMs, name).toBeGreaterThanOrEqual(p.baseMs);
      expect(p.floorMs ?? 0, name).toBeLessThanOrEqual(p.baseMs);
    }
    expect(DEFAULT_BACKOFF).toBe(RETRY_POLICIES.default);
  });

  it('a config overrides base and cap; the floor never exceeds the base', () => {
    expect(retryPolicy('eventStreamReconnect')).toEqual({ baseMs: 1_000, capMs: 60_000, floorMs: 250 });
    expect(retryPolicy('eventStreamReconnect', { baseMs: 100, capMs: 3_000 })).toEqual({ baseMs: 100, capMs: 3_000, floorMs: 100 });
    const p = retryPolicy('eventStreamReconnect', { baseMs: 400, capMs: 3_000 });
    expect(backoffDelay(10, p, () => 0.999)).toBeLessThanOrEqual(3_000);
    expect(backoffDelay(0, p, () => 0)).toBe(250);
  });
});
