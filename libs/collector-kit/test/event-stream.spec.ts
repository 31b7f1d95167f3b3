import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, retryable } from '@edge/platform';
import { waitUntil } from '@edge/platform/testing';
import { EventStreamLifecycle, type EventSource, type StreamSession, type StreamSessionContext } from '@edge/collector-kit';

const log = createLogger({ service: 'test', level: 'silent' });

/**
 * A fake vendor stream (a mock: no vendor server runs in a unit test). Each open() either fails
 * (from `failures`) or yields a session the test can drop, silence, or feed with signs of life.
 */
class FakeSource implements EventSource {
  opens: number[] = [];
  failures: unknown[] = [];
  sessions: Array<{ ctx: StreamSessionContext; closed: boolean; stopping: boolean | null }> = [];
  keepAlives = 0;
  keepAliveFails = false;
  resumed = false;
  catchUp: (() => Promise<void>) | undefined;
  blockedMs = 0;
  attempts = 0;

  blockedForMs(): number {
    return this.blockedMs;
  }

  async open(ctx: StreamSessionContext): Promise<StreamSession> {
    this.opens.push(Date.now());
    this.attempts++;
    const f = this.failures.shift();
    if (f) throw f;
    const rec = { ctx, closed: false, stopping: null as boolean | null };
    this.sessions.push(rec);
    return {
      resumed: this.resumed,
      catchUp: this.catchUp,
      keepAlive: async () => {
        this.keepAlives++;
        if (this.keepAliveFails) throw new Error('heartbeat refused');
      },
      close: async (stopping) => {
        rec.closed = true;
        rec.stopping = stopping;
      },
    };
  }

  get current() {
    return this.sessions[this.sessions.length - 1];
  }
}

describe('event-stream lifecycle (kit) with a fake stream', () => {
  let life: EventStreamLifecycle | null = null;
  afterEach(async () => {
    await life?.stop();
    life = null;
  });

  function start(src: FakeSource, over: Partial<ConstructorParameters<typeof EventStreamLifecycle>[0]> = {}) {
    const reconciles: string[] = [];
    life = new EventStreamLifecycle({
      name: 'fake stream',
      source: src,
      reconnect: { baseMs: 40, capMs: 400, floorMs: 20 },
      requestReconcile: (r) => reconciles.push(r),
      log,
      ...over,
    });
    life.start();
    return { life, reconciles };
  }

  it('connects, reconciles the first connect, and reconnects with growing backoff after failures', async () => {
    const src = new FakeSource();
    src.failures = [retryable('net', 'refused'), retryable('net', 'refused'), retryable('net', 'refused'), retryable('net', 'refused')];
    // Backoff is random below min(cap, base·2^n) but never below the floor: bound it by the policy.
    const { life, reconciles } = start(src, { reconnect: { baseMs: 40, capMs: 400, floorMs: 40 } });
    await waitUntil('subscribed', () => life.subscribed);
    expect(src.opens).toHaveLength(5);
    const waits = src.opens.slice(1).map((t, i) => t - src.opens[i]);
    for (const w of waits) expect(w).toBeGreaterThanOrEqual(40 - 5);
    expect(reconciles).toEqual(['fake stream connected']);
    expect(life.counters.get('failures')).toBe(4);
    expect(life.counters.get('connects')).toBe(1);
  });

  it('a lost session is closed and reconnected; the gap is reconciled', async () => {
    const src = new FakeSource();
    const { life, reconciles } = start(src);
    await waitUntil('subscribed', () => life.subscribed);
    src.current.ctx.lost(new Error('socket closed'));
    await waitUntil('reconnected', () => src.sessions.length === 2 && life.subscribed);
    expect(src.sessions[0]).toMatchObject({ closed: true, stopping: false });
    expect(reconciles).toEqual(['fake stream connected', 'fake stream reconnected']);
    expect(life.counters.get('reconnects')).toBe(1);
    // A late close of the old connection does not end the new session.
    src.sessions[0].ctx.lost(new Error('late close of the old socket'));
    await new Promise((r) => setTimeout(r, 100));
    expect(src.sessions).toHaveLength(2);
    expect(life.subscribed).toBe(true);
  });

  it('detects silence: no sign of life within silenceMs means lost; signs of life keep it', async () => {
    const src = new FakeSource();
    const { life } = start(src, { silenceMs: 3_000 });
    await waitUntil('subscribed', () => life.subscribed);
    const alive = setInterval(() => src.current.ctx.alive(), 50);
    await new Promise((r) => setTimeout(r, 3_500));
    clearInterval(alive);
    expect(src.sessions).toHaveLength(1);
    await waitUntil('reconnect after silence', () => src.sessions.length === 2);
    expect(life.counters.get('silences')).toBe(1);
    expect(src.sessions[0].closed).toBe(true);
  });

  it('sends keep-alives; a failed keep-alive means lost', async () => {
    const src = new FakeSource();
    const { life } = start(src, { keepAliveMs: 50 });
    await waitUntil('keep-alives', () => src.keepAlives >= 3);
    expect(src.sessions).toHaveLength(1);
    src.keepAliveFails = true;
    await waitUntil('reconnect after a failed keep-alive', () => src.sessions.length === 2);
    expect(life.counters.get('failures')).toBe(1);
    expect(src.sessions[0].closed).toBe(true);
  });

  it('a gap shorter than the threshold needs no reconcile; a longer one does', async () => {
    const src = new FakeSource();
    let clock = 1_000_000;
    const { life, reconciles } = start(src, { reconcileAfterGapMs: 60_000, retryAfterDropMs: 10, now: () => clock });
    await waitUntil('subscribed', () => life.subscribed);
    src.current.ctx.lost(new Error('blip'));
    await waitUntil('quick reconnect', () => src.sessions.length === 2 && life.subscribed);
    expect(reconciles).toEqual(['fake stream connected']);
    expect(life.counters.get('gaps_below_threshold')).toBe(1);
    src.blockedMs = 60_000;
    src.current.ctx.lost(new Error('long outage'));
    await waitUntil('blocked', () => life.state === 'blocked');
    clock += 61_000;
    src.blockedMs = 0;
    life.restart('outage over');
    await waitUntil('reconnect after a long gap', () => src.sessions.length === 3 && life.subscribed);
    expect(reconciles).toEqual(['fake stream connected', 'fake stream reconnected']);
  });

  it('a resumed session needs no reconcile; a vendor catch-up replaces it, and a failed one falls back to it', async () => {
    const src = new FakeSource();
    let caughtUp = 0;
    src.catchUp = async () => {
      caughtUp++;
      if (caughtUp === 2) throw new Error('baseline failed: timeout');
    };
    const { life, reconciles } = start(src);
    await waitUntil('catch-up', () => caughtUp === 1);
    expect(reconciles).toEqual([]);
    src.current.ctx.lost(new Error('drop'));
    await waitUntil('failed catch-up reconciles', () => reconciles.length === 1);
    expect(reconciles).toEqual(['baseline failed: timeout']);
    src.resumed = true;
    src.current.ctx.lost(new Error('drop'));
    await waitUntil('resumed', () => src.sessions.length === 3 && life.subscribed);
    expect(caughtUp).toBe(2);
    expect(reconciles).toHaveLength(1);
  });

  it('a gap reported while connected is reconciled; stop closes the session as stopping', async () => {
    const src = new FakeSource();
    const { life, reconciles } = start(src);
    await waitUntil('subscribed', () => life.subscribed);
    src.current.ctx.gap('message bus restored');
    expect(reconciles).toEqual(['fake stream connected', 'message bus restored']);
    await life.stop();
    expect(src.current).toMatchObject({ closed: true, stopping: true });
    expect(life.state).toBe('stopped');
    expect(src.sessions).toHaveLength(1);
  });
});
