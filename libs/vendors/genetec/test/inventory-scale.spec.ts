import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGenetecSimulator, type GenetecSimulator } from '@edge/sim-genetec';
import { startCollector, startRig } from './rig';

let rig: Awaited<ReturnType<typeof startRig>>;
let sim: GenetecSimulator;
beforeAll(async () => {
  rig = await startRig();
  sim = await startGenetecSimulator({ size: 20_000 });
});
afterAll(async () => {
  await sim?.close();
  await rig?.close();
});

describe('Genetec inventory of a 20 000-entity site', () => {
  it('lists every entity in one complete sync (paged report, batched projections, streamed publishes)', async () => {
    const { runner } = await startCollector(rig.pub, sim, 'sc-20k', { events: false });
    try {
      const r = await runner.sync('command');
      // Duration is reported, not asserted: timing belongs to `npm run bench`.
      process.stdout.write(`genetec inventory of ${sim.model.size} entities: ${r.duration_ms} ms\n`);
      expect(sim.model.size).toBeGreaterThanOrEqual(19_999);
      expect(r).toMatchObject({ complete: true, devices: sim.model.size, failed_types: [] });
      const pages = sim.control.stats().requests['/report/EntityConfiguration'];
      expect(pages).toBeGreaterThanOrEqual(6 + 8);
    } finally {
      await runner.stop();
    }
  });
});
