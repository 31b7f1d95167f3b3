import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subjects, type RawEnvelope } from '@edge/contracts';
import { runCli } from '../../cli/src/cli';
import { createMapperRegistry } from '../src/mappers';
import { describeCanonical, publishRaw, readCanonical, startHarness, systemOf, t, waitIdle, type Harness } from './harness';

/** Raw envelopes of one real-vendor system (payloads as the vendor's collector composes them). */
function builder(vendor: 'milestone' | 'onguard', systemId: string, payloadOf: (i: number) => unknown) {
  const env = (kind: RawEnvelope['kind'], payload: unknown, at: string, extra: Partial<RawEnvelope>): RawEnvelope => ({
    schema: 'raw/v1',
    vendor,
    system_id: systemId,
    site_id: 'site-test',
    customer_id: 'cust-test',
    kind,
    observed_at: at,
    payload,
    ...extra,
  });
  /** A complete sync listing devices `ids`. */
  return (syncId: string, ids: number[], at: string): RawEnvelope[] => [
    env('sync.begin', { trigger: 'schedule' }, at, { sync_id: syncId, seq: 0 }),
    ...ids.map((i, n) => env('device', payloadOf(i), at, { sync_id: syncId, seq: n + 1 })),
    env('sync.end', { count: ids.length, complete: true }, at, { sync_id: syncId, seq: ids.length + 1 }),
  ];
}

const guid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
const HW = '08cf6a24-c7ab-4b50-80e0-5a56cf624c5f';
const RS = '19f94d50-b5ad-4e90-8b3f-9928bb60f9f2';
/** An XProtect camera as the collector composes it (shapes of milestone-xprotect.md §3.4). */
const milestoneCamera = (i: number) => ({
  resourceType: 'cameras',
  item: { id: guid(i), name: `cam-${i}`, displayName: `cam-${i}`, enabled: true, relations: { parent: { type: 'hardware', id: HW }, self: { type: 'cameras', id: guid(i) } } },
  hardware: { id: HW, name: 'iPadCam01', displayName: 'iPadCam01', enabled: true, address: 'http://192.168.1.154:8554/', model: 'Universal1ChAdv', relations: { parent: { type: 'recordingServers', id: RS }, self: { type: 'hardware', id: HW } } },
  recordingServer: { id: RS, name: 'WIN10VM', displayName: 'WIN10VM', enabled: true, hostName: 'win10vm', webServerUri: 'http://win10vm:7563/', relations: { self: { type: 'recordingServers', id: RS } } },
});
/** An OnGuard panel (`Lnl_Panel` property map). */
const onguardPanel = (i: number) => ({
  native_type: 'Lnl_Panel',
  object: { ID: 1000 + i, Name: `panel-${i}`, PanelType: 'LNL-3300', IsOnline: true, Workstation: 'OGSERVER', PrimaryIPAddress: 0, SegmentID: 0 },
});

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);

describe('normalizer removal guard (real mappers of both vendors)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ mappers: createMapperRegistry });
  });
  afterAll(async () => h?.dispose());

  const canonicalOf = async (systemId: string) => (await readCanonical(h.nc)).filter((m) => systemOf(m.message) === systemId).map((m) => describeCanonical(m.message));
  const systemStatus = async (systemId: string) => {
    const st = (await (await fetch(`http://127.0.0.1:${h.normalizer.httpPort}/status`)).json()) as { normalizer: { systems: Array<{ system_id: string; held_removals: { count: number } | null; notices: string[] }> } };
    return st.normalizer.systems.find((s) => s.system_id === systemId)!;
  };

  it('XProtect: a listing shrunk by half is held; the next complete sync that lists the same confirms the removals', async () => {
    const sync = builder('milestone', 'xp-guard', milestoneCamera);
    await publishRaw(h.js, [...sync('s1', range(0, 44), t(0)), ...sync('s2', range(0, 22), t(100))]);
    await waitIdle(h.nc);
    let msgs = await canonicalOf('xp-guard');
    expect(msgs.filter((m) => m.startsWith('removed'))).toEqual([]);
    expect(msgs).toContain('sync.end s2 count=22 removed=0 complete=true');
    const st = await systemStatus('xp-guard');
    expect(st.held_removals?.count).toBe(22);
    expect(st.notices[0]).toMatch(/22 of 44 devices .* held.*edge sync --confirm-removals xp-guard/);
    // The next complete sync lists the same 22: the 22 missing from both are removed now.
    await publishRaw(h.js, sync('s3', range(0, 22), t(200)));
    await waitIdle(h.nc);
    msgs = await canonicalOf('xp-guard');
    expect(msgs.filter((m) => m.startsWith('removed'))).toHaveLength(22);
    expect(msgs).toContain('sync.end s3 count=22 removed=22 complete=true');
    expect((await systemStatus('xp-guard')).held_removals).toBeNull();
  });

  it('OnGuard: a hold is applied at once by `edge sync --confirm-removals`; a hold whose devices come back removes nothing', async () => {
    const sync = builder('onguard', 'og-guard', onguardPanel);
    await publishRaw(h.js, [...sync('s1', range(0, 50), t(0)), ...sync('s2', range(0, 25), t(100))]);
    await waitIdle(h.nc);
    expect((await canonicalOf('og-guard')).filter((m) => m.startsWith('removed'))).toEqual([]);
    expect((await systemStatus('og-guard')).held_removals?.count).toBe(25);
    const out: string[] = [];
    const code = await runCli(['sync', '--confirm-removals', 'og-guard', '--nats', h.nats.url, '--site', 'site-test'], { out: (l) => out.push(l), err: (l) => out.push(l) }, {});
    expect(out.join('\n')).toContain('held removals of og-guard applied: 25 devices removed');
    expect(code).toBe(0);
    await waitIdle(h.nc);
    const removed = (await canonicalOf('og-guard')).filter((m) => m.startsWith('removed'));
    expect(removed).toHaveLength(25);
    expect((await systemStatus('og-guard')).held_removals).toBeNull();
    // Nothing held any more: the command says so.
    const again = (await h.nc.request(subjects.cmdConfirmRemovals('site-test'), JSON.stringify({ system: 'og-guard' }), { timeout: 10_000 })).json<{ ok: boolean; error: string }>();
    expect(again.ok).toBe(false);
    // A listing that shrinks and then comes back: held, then released without a removal.
    await publishRaw(h.js, [...sync('s3', range(0, 25), t(200)), ...sync('s4', range(0, 3), t(300)), ...sync('s5', range(0, 25), t(400))]);
    await waitIdle(h.nc);
    const after = await canonicalOf('og-guard');
    expect(after.filter((m) => m.startsWith('removed'))).toHaveLength(25);
    expect(after).toContain('sync.end s4 count=3 removed=0 complete=true');
    expect(after).toContain('sync.end s5 count=25 removed=0 complete=true');
    expect((await systemStatus('og-guard')).held_removals).toBeNull();
  });

  it('a small removal (within the guard) happens in the same sync, for either vendor', async () => {
    const xp = builder('milestone', 'xp-small', milestoneCamera);
    const og = builder('onguard', 'og-small', onguardPanel);
    await publishRaw(h.js, [...xp('s1', range(0, 30), t(0)), ...xp('s2', range(0, 27), t(100)), ...og('s1', range(0, 30), t(0)), ...og('s2', range(0, 27), t(100))]);
    await waitIdle(h.nc);
    for (const id of ['xp-small', 'og-small']) {
      expect(await canonicalOf(id)).toContain('sync.end s2 count=27 removed=3 complete=true');
      expect((await systemStatus(id)).held_removals).toBeNull();
    }
  });
});
