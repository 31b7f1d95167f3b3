import { describe, expect, it } from 'vitest';
import { Counters, createLogger, retryable } from '@edge/platform';
import { waitUntil } from '@edge/platform/testing';
import { LastKnownState, StatusRepair, TypeIsolation } from '@edge/collector-kit';

const log = createLogger({ service: 'test', level: 'silent' });

describe('StatusRepair: a status that could not be published is repaired by a poll', () => {
  it('one failed publish schedules one poll; failures while it is pending are coalesced', async () => {
    const polls: string[] = [];
    const counters = new Counters();
    const repair = new StatusRepair(async (r) => (polls.push(r), true), counters, log, { baseMs: 20, capMs: 50, floorMs: 10 });
    repair.publishFailed(new Error('nats down'));
    repair.publishFailed(new Error('nats down'));
    repair.publishFailed(new Error('nats down'));
    await waitUntil('repair poll', () => polls.length === 1);
    expect(polls).toEqual(['repair after failed status publish']);
    expect(counters.get('status_publish_failed')).toBe(3);
    expect(repair.pending).toBe(false);
  });

  it('keeps retrying with backoff until a poll succeeds; dropped statuses are repaired too', async () => {
    const results = [false, false, true];
    const polls: string[] = [];
    const counters = new Counters();
    let repair: StatusRepair | null = null;
    repair = new StatusRepair(
      async (r) => {
        polls.push(r);
        const ok = results.shift() ?? true;
        // A failing poll fails its publishes too: that is what schedules the next attempt.
        if (!ok) repair!.publishFailed(new Error('still down'));
        return ok;
      },
      counters,
      log,
      { baseMs: 20, capMs: 50, floorMs: 10 },
    );
    repair.dropped('status queue full', 7);
    await waitUntil('three polls', () => polls.length === 3);
    expect(polls[0]).toBe('repair after dropped status: status queue full');
    expect(polls.slice(1)).toEqual(['repair after failed status publish', 'repair after failed status publish']);
    expect(counters.get('status_dropped')).toBe(7);
    repair.stop();
    repair.publishFailed(new Error('after stop'));
    expect(repair.pending).toBe(false);
  });
});

describe('TypeIsolation: a failed type makes the sync partial for that type only', () => {
  const endsTheSync = (e: unknown, signal?: AbortSignal) => Boolean(signal?.aborted) || (e as { code?: string }).code === 'licence';

  it('a failed type is reported once and the walk goes on', async () => {
    const failed: Array<[string, string]> = [];
    const iso = new TypeIsolation({ log, sink: { failType: (t, r) => failed.push([t, r]) }, endsTheSync });
    const listed: string[] = [];
    expect(await iso.run('panels', undefined, async () => void listed.push('panels'))).toBe(true);
    expect(await iso.run('readers', undefined, async () => Promise.reject(retryable('http_503', 'readers: HTTP 503')))).toBe(false);
    iso.add('readers', new Error('again'));
    expect(await iso.run('cameras', undefined, async () => void listed.push('cameras'))).toBe(true);
    expect(listed).toEqual(['panels', 'cameras']);
    expect(failed).toEqual([['readers', 'readers: HTTP 503']]);
    expect(() => iso.throwIfNothingListed()).not.toThrow();
  });

  it('errors that end the sync are rethrown; every type failing fails the sync', async () => {
    const iso = new TypeIsolation({ log, sink: null, endsTheSync, reason: (e) => `why: ${(e as Error).message}` });
    const licence = Object.assign(new Error('licence refused'), { code: 'licence' });
    await expect(iso.run('panels', undefined, async () => Promise.reject(licence))).rejects.toBe(licence);
    const first = new Error('a down');
    await iso.run('a', undefined, async () => Promise.reject(first));
    await iso.run('b', undefined, async () => Promise.reject(new Error('b down')));
    expect([...iso.failed]).toEqual([['a', 'why: a down'], ['b', 'why: b down']]);
    expect(() => iso.throwIfNothingListed()).toThrow(first);
    const ac = new AbortController();
    ac.abort();
    await expect(iso.run('c', ac.signal, async () => Promise.reject(new Error('aborted')))).rejects.toThrow('aborted');
  });
});

describe('LastKnownState', () => {
  it('reports changes, keeps the newest observation, and drops what a complete inventory no longer has', () => {
    const s = new LastKnownState<{ state: string; at: number }>({ timeOf: (v) => v.at, same: (a, b) => a.state === b.state });
    const k = LastKnownState.key('Lnl_Reader', { PanelID: 1, ReaderID: 2 });
    expect(k).toBe(LastKnownState.key('Lnl_Reader', { readerid: 2, panelid: 1 }));
    expect(s.put(k, { state: 'online', at: 10 })).toBe(true);
    expect(s.put(k, { state: 'online', at: 20 })).toBe(false);
    expect(s.put(k, { state: 'offline', at: 15 })).toBe(false);
    expect(s.get(k)).toEqual({ state: 'online', at: 20 });
    expect(s.put(k, { state: 'offline', at: 30 })).toBe(true);
    s.put('other', { state: 'online', at: 1 });
    s.retain(new Set([k]));
    expect(s.size).toBe(1);
    expect(s.has('other')).toBe(false);
  });
});
