import { describe, expect, it } from 'vitest';
import type { MapContext } from '@edge/contracts';
import { startGenetecSimulator, type GenetecSimulator } from '@edge/sim-genetec';
import { LastKnownEntities, mapStatus, pollStates, type WebSdkClient } from '../src';
import { clientFor, lifecycle, projectorFor, RecordingRaw } from './helpers';

const keep = lifecycle();
let sim: GenetecSimulator;
let client: WebSdkClient;

const ctx: MapContext = { vendor: 'genetec', system_id: 'sc-main', site_id: 's', customer_id: 'c', observed_at: new Date().toISOString() };

async function poll(known: Map<string, string> | null, chunkRows = 4) {
  const raw = new RecordingRaw();
  const cache = new LastKnownEntities();
  const n = await pollStates(client, projectorFor(client, 3), raw.asRaw(), known, { entityTypes: ['VideoUnit', 'Camera', 'Door'], pageSize: 5, chunkRows, signal: new AbortController().signal }, 'test', (row, at) => {
    cache.noteRead(row, at);
    return true;
  });
  const obs = raw.published.flatMap((p) => mapStatus(p.payload, ctx));
  return { n, raw, cache, obs, byGuid: new Map(obs.map((o) => [o.native_id, o])) };
}

describe('status poll against the simulator', () => {
  it('reads every entity\'s state in chunks: Warning → degraded, Offline → offline, maintenance → disabled with its reason', async () => {
    sim = keep(await startGenetecSimulator({ cameras: 5, doors: 3 }));
    client = keep(clientFor(sim));
    const [c1, c2, c3] = sim.model.list('Camera');
    const door = sim.model.list('Door')[0];
    sim.control.setState(c1.Guid, 'warning');
    sim.control.setState(c2.Guid, 'offline');
    sim.control.setState(c3.Guid, 'offline');
    sim.control.setMaintenance(c3.Guid, 'Lens cleaning', '2026-12-03T18:00:00.0000000Z');
    sim.control.setMaintenance(door.Guid, 'Lock swap');
    const { n, raw, byGuid, cache } = await poll(null);
    expect(n).toBe(5 + 5 + 3);
    expect(raw.published.length).toBeGreaterThan(3);
    expect(byGuid.get(c1.Guid)).toMatchObject({ status: 'degraded', observed_via: 'poll', alive_evidence: true });
    expect(byGuid.get(c2.Guid)).toMatchObject({ status: 'offline' });
    expect(byGuid.get(c3.Guid)).toMatchObject({ status: 'disabled', reason: 'maintenance mode: Lens cleaning (until 2026-12-03T18:00:00.000Z)' });
    expect(byGuid.get(door.Guid)).toMatchObject({ status: 'disabled', reason: 'maintenance mode: Lock swap' });
    expect(byGuid.get(sim.model.list('Camera')[4].Guid)?.status).toBe('online');
    expect(cache.statusOf(c3.Guid)).toBe('disabled');
  });

  it('polls only the entities of the last inventory when it has them', async () => {
    sim = keep(await startGenetecSimulator({ cameras: 5, doors: 3 }));
    client = keep(clientFor(sim));
    const cams = sim.model.list('Camera').slice(0, 2);
    const { n, byGuid } = await poll(new Map(cams.map((c) => [c.Guid, 'Camera'])));
    expect(n).toBe(2);
    expect([...byGuid.keys()].sort()).toEqual(cams.map((c) => c.Guid).sort());
    expect(sim.control.stats().requests['/report/EntityConfiguration']).toBeUndefined();
  });
});
