import { afterEach, describe, expect, it } from 'vitest';
import { SyncEndPayload, type RawEnvelope } from '@edge/contracts';
import { RawTap, startRig, waitFor, type Rig } from './harness';

describe('collector-milestone: a listing is complete only when read to its end', () => {
  let rig: Rig | null = null;
  let tap: RawTap | null = null;
  afterEach(async () => {
    await tap?.stop();
    await rig?.dispose();
    rig = null;
    tap = null;
  });

  it('a server that ignores `page` (every page is the first): one unpaged read brings the rest; the sync lists every device', async () => {
    rig = await startRig({ sim: { hardware: 30, recordingServers: 1, ignorePage: true }, system: { page_size: 10 } });
    const inventory: RawEnvelope[] = [];
    tap = new RawTap(rig.nc, 'raw.milestone.xp1.inventory', (env) => inventory.push(env));
    await tap.start();
    const r = await rig.post('/sync', { wait: true });
    const result = (r.body.results as Array<{ sync_id: string; complete: boolean; devices: number }>)[0];
    expect(result).toMatchObject({ complete: true, devices: rig.sim.model.deviceCount });
    const end = await waitFor(() => inventory.find((e) => e.kind === 'sync.end' && e.sync_id === result.sync_id));
    expect(SyncEndPayload.parse(end.payload)).toMatchObject({ count: rig.sim.model.deviceCount, complete: true });
    expect(new Set(inventory.filter((e) => e.kind === 'device' && e.sync_id === result.sync_id).map((e) => JSON.stringify((e.payload as { item: { id: string } }).item.id))).size).toBe(rig.sim.model.deviceCount);
  });
});
