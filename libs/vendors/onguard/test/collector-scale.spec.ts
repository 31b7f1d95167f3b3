import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { jetstreamManager } from '@nats-io/jetstream';
import { RawEnvelope, STREAMS, subjects } from '@edge/contracts';
import { SystemConfig } from '@edge/platform';
import { CollectorRunner } from '@edge/collector-kit';
import { parseOnGuardSystem } from '../src/config';
import { OnGuardCollector } from '../src/collector';
import { log } from './helpers';
import { RawTap, startRawPipeline, SYSTEM_ID } from './pipeline';
import { startSimProcess, type SimProcess } from './sim-process';

/**
 * 20 000+ devices from the simulator (its own process) into RAW: complete, each once, and in
 * bounded memory. Memory is sampled during the sync; the bound is generous on purpose (the
 * benchmark reports the real figure) but well below what holding the inventory would take.
 */
describe('OnGuard inventory at scale', () => {
  let p: Awaited<ReturnType<typeof startRawPipeline>>;
  let simp: SimProcess;

  beforeAll(async () => {
    [p, simp] = await Promise.all([
      startRawPipeline(),
      startSimProcess(['--panels', '2000', '--readers-per-panel', '10', '--alarm-panels-per-panel', '0', '--intrusion-panels', '1', '--recorders', '4', '--cameras-per-recorder', '25', '--offline-ratio', '0.02']),
    ]);
  });
  afterAll(async () => {
    await simp?.stop();
    await p?.dispose();
  });

  it('streams 20 000+ devices into RAW complete, once each, with bounded live-heap and RSS growth', async () => {
    expect(simp.devices).toBeGreaterThan(20_000);
    const cfg = parseOnGuardSystem(
      SystemConfig.parse({
        id: SYSTEM_ID,
        vendor: 'onguard',
        base_url: simp.url,
        username: 'sa',
        password: 'sim-sa-password',
        application_id: 'SYS_ADMIN_APP',
        events: { enabled: false },
        // 22 000 status reads belong to the benchmark; this file keeps to the test time budget.
        inventory: { status: false },
        max_concurrency: 16,
      }),
    );
    const collector = new OnGuardCollector(cfg, log);
    const runner = new CollectorRunner(collector, p.raw, log, { inventoryIntervalMs: 0, statusIntervalMs: 0, syncOnStart: false });
    await runner.start();
    // Live heap (after a collection) is what the collector retains; without a GC the figure is
    // mostly garbage waiting to be collected.
    setFlagsFromString('--expose_gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const base = process.memoryUsage();
    let peakHeap = base.heapUsed;
    let peakRss = base.rss;
    const sampler = setInterval(() => {
      gc();
      const m = process.memoryUsage();
      peakHeap = Math.max(peakHeap, m.heapUsed);
      peakRss = Math.max(peakRss, m.rss);
    }, 1_000);
    const report = await runner.sync('command');
    clearInterval(sampler);
    await runner.stop();
    const heapGrowthMb = (peakHeap - base.heapUsed) / 2 ** 20;
    const rssGrowthMb = (peakRss - base.rss) / 2 ** 20;
    log.info({ heapGrowthMb, rssGrowthMb, devices: report.devices, ms: report.duration_ms }, 'scale sync');
    expect(report).toMatchObject({ complete: true, devices: simp.devices });
    // The 22 000 payloads are ~30 MB as JSON text and several times that as objects: holding the
    // inventory would show here. What is retained is panels (parents) and the key index.
    expect(heapGrowthMb).toBeLessThan(64);
    expect(rssGrowthMb).toBeLessThan(256);

    // Completeness: the stream holds begin + every device once + end for this sync.
    const jsm = await jetstreamManager(p.nc);
    const info = await jsm.streams.info(STREAMS.raw, { subjects_filter: subjects.raw('onguard', SYSTEM_ID, 'inventory') });
    expect(info.state.messages).toBe(report.devices + 2);
    const seen = new Set<string>();
    const seqs = new Set<number>();
    let end: RawEnvelope | null = null;
    const tap = await RawTap.open(p.nc, 'inventory', (e) => {
      if (e.kind === 'device') {
        const pl = e.payload as { native_type: string; object: Record<string, unknown> };
        seen.add(`${pl.native_type}:${JSON.stringify(pl.object.ID ?? pl.object.id ?? [pl.object.PanelID, pl.object.ReaderID])}`);
        seqs.add(e.seq!);
      } else if (e.kind === 'sync.end') end = e;
      return false;
    });
    const deadline = Date.now() + 30_000;
    while (!end && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await tap.close();
    expect(end).not.toBeNull();
    expect((end as unknown as RawEnvelope).payload).toMatchObject({ count: report.devices, complete: true });
    expect(seen.size).toBe(report.devices);
    expect(seqs.size).toBe(report.devices);
  });
});
