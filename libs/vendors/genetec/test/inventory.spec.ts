import { describe, expect, it } from 'vitest';
import { startGenetecSimulator, type GenetecSimulator } from '@edge/sim-genetec';
import { listGuids, walkInventory, type GenetecEntity, type ParentRef, type WebSdkClient } from '../src';
import { clientFor, lifecycle, projectorFor, quietLog } from './helpers';

const keep = lifecycle();
let sim: GenetecSimulator;
let client: WebSdkClient;

const TYPES = ['Server', 'Role', 'VideoUnit', 'Unit', 'Camera', 'Door'];
const EXTRAS = { VideoUnit: ['IPAddress', 'MacAddress', 'Model'], Unit: ['IPAddress', 'MacAddress'] };

async function walk(pageSize: number, refused = new Set<string>()) {
  const got: Array<{ e: GenetecEntity; parent: ParentRef | null }> = [];
  const stats = await walkInventory(client, projectorFor(client, 7), { entityTypes: TYPES, extraFields: EXTRAS, pageSize, signal: new AbortController().signal, log: quietLog, sink: null }, refused, async (e, parent) => {
    got.push({ e, parent });
  });
  return { got, stats };
}

describe('inventory walk against the simulator', () => {
  it('pages the EntityConfiguration report: the extra row opens the next page and is never listed twice', async () => {
    sim = keep(await startGenetecSimulator({ cameras: 23, doors: 9 }));
    client = keep(clientFor(sim));
    const pages: string[][] = [];
    for await (const p of listGuids(client, 'Camera', 5, new AbortController().signal)) pages.push(p);
    expect(pages.map((p) => p.length)).toEqual([5, 5, 5, 5, 3]);
    const all = pages.flat();
    expect(new Set(all).size).toBe(23);
    expect(all).toEqual(sim.model.list('Camera').map((c) => c.Guid));
    // A page of exactly PageSize rows with nothing after it ends the listing (no extra row).
    const exact: string[][] = [];
    for await (const p of listGuids(client, 'Camera', 23, new AbortController().signal)) exact.push(p);
    expect(exact.map((p) => p.length)).toEqual([23]);
  });

  it('lists every entity once with its parent (camera → video unit, door → access control unit) and the unit\'s network data', async () => {
    sim = keep(await startGenetecSimulator({ cameras: 23, doors: 9 }));
    client = keep(clientFor(sim));
    const { got, stats } = await walk(4);
    expect(got.length).toBe(sim.model.size);
    expect(new Set(got.map((g) => g.e.Guid)).size).toBe(sim.model.size);
    expect(stats.failed).toEqual([]);
    expect(stats.types).toMatchObject({ Camera: 23, Door: 9, VideoUnit: 23, Unit: 3 });
    const cam = got.find((g) => g.e.EntityType === 'Camera' && g.e.Name === 'Camera 7')!;
    const unit = sim.model.list('VideoUnit')[6];
    expect(cam.parent).toMatchObject({ Guid: unit.Guid, EntityType: 'VideoUnit', IPAddress: unit.extra.IPAddress, MacAddress: unit.extra.MacAddress });
    const door = got.find((g) => g.e.EntityType === 'Door' && g.e.Name === 'Door 5')!;
    expect(door.parent).toMatchObject({ Guid: sim.model.list('Unit')[1].Guid, EntityType: 'Unit' });
    const vu = got.find((g) => g.e.EntityType === 'VideoUnit')!;
    expect(vu.parent?.EntityType).toBe('Role');
    expect(got.find((g) => g.e.EntityType === 'Server')!.parent).toBeNull();
  });

  it('a server that refuses the extra field names is read with the base fields, and says which types', async () => {
    sim = keep(await startGenetecSimulator({ cameras: 3, doors: 2 }));
    sim.control.setRefuseUnknownFields(true);
    // The simulator's cameras have no Model field: asking for it on cameras is refused.
    client = keep(clientFor(sim));
    const refused = new Set<string>();
    const got: GenetecEntity[] = [];
    await walkInventory(client, projectorFor(client), { entityTypes: ['VideoUnit', 'Camera'], extraFields: { ...EXTRAS, Camera: ['Model'] }, pageSize: 100, signal: new AbortController().signal, log: quietLog, sink: null }, refused, async (e) => {
      got.push(e);
    });
    expect([...refused]).toEqual(['Camera']);
    expect(got.filter((e) => e.EntityType === 'Camera').length).toBe(3);
    expect(got.find((e) => e.EntityType === 'VideoUnit')).toHaveProperty('IPAddress');
  });

  it('a type whose listing fails makes the walk partial for that type only; a licence refusal fails the whole walk', async () => {
    sim = keep(await startGenetecSimulator({ cameras: 3, doors: 2 }));
    client = keep(clientFor(sim, { retryForMs: 0 }));
    sim.control.failReport('Door', true);
    const { got, stats } = await walk(1000);
    expect(stats.failed.map((f) => f.type)).toEqual(['Door']);
    expect(stats.failed[0].reason).toMatch(/HTTP 503/);
    expect(got.filter((g) => g.e.EntityType === 'Door')).toEqual([]);
    expect(got.filter((g) => g.e.EntityType === 'Camera').length).toBe(3);
    sim.control.failReport('Door', false);
    sim.control.setLicenceRefused(true);
    await expect(walk(1000)).rejects.toMatchObject({ code: 'genetec_licence_refused', kind: 'auth' });
  });
});
