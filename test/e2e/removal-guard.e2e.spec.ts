/**
 * A listing that shrinks without devices being gone (the service account lost rights for one
 * sync): the whole pipeline holds the removals instead of telling the cloud half the site was
 * removed; the next complete sync, which lists everything again, releases the hold.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, startStack, SYSTEMS, waitFor, type Stack } from './stack';

interface NormalizerStatus {
  normalizer: { systems: Array<{ system_id: string; held_removals: { count: number; of: number } | null; notices: string[] }> };
}

describe('removal guard end to end (XProtect listing shrunk by half for one sync)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ milestone: { hardware: 20, recordingServers: 2 } });
  }, 600_000);
  afterAll(async () => stack?.stop());

  const finalSyncs = () => [...stack.cloud.store.syncs.values()].filter((s) => s.system_id === SYSTEMS.milestone && s.final);
  const held = async () => (await getJson<NormalizerStatus>(stack.statusUrl('normalizer'))).normalizer.systems.find((s) => s.system_id === SYSTEMS.milestone);
  const sync = async () => {
    const before = finalSyncs().length;
    const r = await fetch(stack.statusUrl('collector-milestone').replace('/status', '/sync'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ wait: true }) });
    expect(r.status).toBe(200);
    await waitFor('the sync reached the cloud', () => finalSyncs().length > before, { timeoutMs: 120_000, logs: stack.logs });
    return finalSyncs().at(-1)!;
  };

  it('holds the removals of the shrunk sync (status and heartbeat say so), and the next full sync removes nothing', async () => {
    await waitFor('the startup sync reached the cloud', () => finalSyncs().length >= 1, { timeoutMs: 120_000, logs: stack.logs });
    const all = stack.milestone.model.deviceCount;
    stack.milestone.listing.shrinkNextSyncs = 1;
    const shrunk = await sync();
    expect(shrunk.devices).toBeLessThan(all);
    expect(shrunk.removed).toBe(0);
    const h = await waitFor('the hold in the normalizer status', async () => (await held())?.held_removals ?? null);
    expect(h.count).toBe(all - shrunk.devices);
    const notice = (await held())!.notices[0];
    expect(notice).toMatch(/held, not removed.*edge sync --confirm-removals xp-e2e/);
    await waitFor('the heartbeat carries the notice', () => stack.cloud.store.heartbeats.some((b) => b.systems.some((s) => s.system_id === SYSTEMS.milestone && (s.notices ?? []).includes(notice))), {
      timeoutMs: 120_000,
    });
    expect([...stack.cloud.store.removed.values()]).toEqual([]);

    const full = await sync();
    expect(full.devices).toBe(all);
    expect(full.removed).toBe(0);
    await waitFor('the hold released', async () => (await held())?.held_removals === null);
    expect([...stack.cloud.store.removed.values()]).toEqual([]);
  }, 600_000);
});
