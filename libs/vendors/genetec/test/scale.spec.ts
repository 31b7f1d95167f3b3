import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGenetecSimulator, type GenetecSimulator } from '@edge/sim-genetec';
import { waitUntil } from '@edge/platform/testing';
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

describe('Genetec collector on a 20 000-entity site', () => {
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

  it('publishes every connection event of a burst to RAW (latency from the server raising it to RAW is printed)', async () => {
    const { runner, collector } = await startCollector(rig.pub, sim, 'sc-lat');
    const arrived = new Map<string, number>();
    const sub = rig.nc.subscribe('raw.genetec.sc-lat.status', {
      callback: (_e, m) => {
        const p = (m.json() as { payload: { kind: string; event?: { SourceEntity: string } } }).payload;
        if (p.kind === 'event' && p.event) arrived.set(p.event.SourceEntity, Date.now());
      },
    });
    try {
      await waitUntil('subscribed', () => collector.state().connection === 'connected' && sim.control.openStreams() === 1);
      const units = sim.model.list('VideoUnit').slice(0, 500);
      const sent = new Map<string, number>();
      for (const u of units) {
        sent.set(u.Guid, Date.now());
        sim.control.setState(u.Guid, 'offline');
      }
      await waitUntil('every event in RAW', () => arrived.size === units.length);
      const lat = units.map((u) => arrived.get(u.Guid)! - sent.get(u.Guid)!).sort((a, b) => a - b);
      const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
      process.stdout.write(`genetec event latency over ${lat.length} events (burst): p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${lat.at(-1)} ms\n`);
      expect(collector.events.counters.snapshot().events_published).toBe(units.length);
      // One at a time: the latency of a single change on a quiet stream.
      const single: number[] = [];
      for (const u of sim.model.list('VideoUnit').slice(500, 600)) {
        const t0 = Date.now();
        sim.control.setState(u.Guid, 'offline');
        await waitUntil('the event in RAW', () => arrived.has(u.Guid), undefined, 1);
        single.push(arrived.get(u.Guid)! - t0);
      }
      single.sort((a, b) => a - b);
      process.stdout.write(`genetec event latency, one at a time over ${single.length} events: p50 ${single[50]} ms, p99 ${single[98]} ms, max ${single.at(-1)} ms\n`);
    } finally {
      sub.unsubscribe();
      await runner.stop();
    }
  });
});
