import { describe, it, expect } from 'vitest';
import type { PublishResult } from '@edge/platform';
import { OrderedPublishQueue } from '../src/publish-queue';

function deferred() {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const ack = (seq: number): PublishResult => ({ seq, duplicate: false, stream: 'CANONICAL' });

describe('OrderedPublishQueue', () => {
  it('publishes in decision order, each only after its own record is stored, however the records land', async () => {
    const published: string[] = [];
    const q = new OrderedPublishQueue<string>(async (m) => (published.push(m), [ack(published.length)]));
    const [a, b, c] = [deferred(), deferred(), deferred()];
    const done = [q.enqueue(a.promise, 'a'), q.enqueue(b.promise, 'b'), q.enqueue(c.promise, 'c')];
    c.resolve();
    b.resolve();
    await Promise.resolve();
    await Promise.resolve();
    expect(published).toEqual([]); // 'a' is not stored yet: nothing may overtake it
    a.resolve();
    const acks = await Promise.all(done);
    expect(published).toEqual(['a', 'b', 'c']);
    expect(acks.map((x) => x[0].seq)).toEqual([1, 2, 3]);
    expect(q.waiting).toBe(0);
  });

  it('issues the publishes of decisions stored together in one synchronous pass', async () => {
    const batches: string[][] = [];
    let current: string[] | null = null;
    const q = new OrderedPublishQueue<string>((m) => {
      if (!current) {
        current = [];
        batches.push(current);
        queueMicrotask(() => (current = null)); // what nats.js does: one write per microtask checkpoint
      }
      current.push(m);
      return Promise.resolve([ack(1)]);
    });
    const record = deferred();
    const done = ['a', 'b', 'c', 'd'].map((m) => q.enqueue(record.promise, m));
    record.resolve();
    await Promise.all(done);
    expect(batches).toEqual([['a', 'b', 'c', 'd']]);
  });

  it('refuses a decision whose record failed and every later one, and publishes none of them', async () => {
    const published: string[] = [];
    const q = new OrderedPublishQueue<string>(async (m) => (published.push(m), [ack(1)]));
    const [a, b, c] = [deferred(), deferred(), deferred()];
    const done = [q.enqueue(a.promise, 'a'), q.enqueue(b.promise, 'b'), q.enqueue(c.promise, 'c')].map((p) => p.then(() => 'ok', (e: Error) => e.message));
    a.resolve();
    c.resolve();
    b.reject(new Error('journal write failed'));
    expect(await Promise.all(done)).toEqual(['ok', 'journal write failed', 'journal write failed']);
    expect(published).toEqual(['a']);
  });

  it('passes a failed publish to its decision only, and reset refuses what waits', async () => {
    const q = new OrderedPublishQueue<string>(async (m) => {
      if (m === 'bad') throw new Error('stream refused');
      return [ack(1)];
    });
    const stored = Promise.resolve();
    const r = await Promise.all([q.enqueue(stored, 'bad'), q.enqueue(stored, 'good')].map((p) => p.then(() => 'ok', (e: Error) => e.message)));
    expect(r).toEqual(['stream refused', 'ok']);
    const never = deferred();
    const waiting = q.enqueue(never.promise, 'later').catch((e: Error) => e.message);
    q.reset(new Error('registry was reloaded'));
    expect(await waiting).toBe('registry was reloaded');
    expect(q.waiting).toBe(0);
  });
});
