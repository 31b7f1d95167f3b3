import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleEvent } from '@edge/sim-cloud';
import { HEALTH_LANES } from '../src/forwarder';
import { Rig, SITE, TOKEN, until } from './harness';

const MAX_ITEMS = 20;

/** The forwarder as its own process, exactly as deployed: `npx tsx services/forwarder/src/main.ts` with EDGE_CONFIG. */
function spawnForwarder(configFile: string, logs: string[]): ChildProcess {
  const child = spawn('npx', ['tsx', 'services/forwarder/src/main.ts'], {
    cwd: join(__dirname, '../../..'),
    env: { ...process.env, EDGE_CONFIG: configFile, CLOUD_TOKEN: TOKEN, OTEL_SDK_DISABLED: 'true' },
    // Own process group: SIGKILL must reach the node process under npx/tsx, not only npx.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (b: Buffer) => logs.push(b.toString()));
  child.stderr?.on('data', (b: Buffer) => logs.push(b.toString()));
  return child;
}

function killGroup(child: ChildProcess | null, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    try {
      process.kill(-child.pid!, signal);
    } catch {
      resolve();
    }
  });
}

describe('forwarder killed with SIGKILL mid-batch', () => {
  let rig: Rig;
  let dir: string;
  let first: ChildProcess | null = null;
  let second: ChildProcess | null = null;
  const logs: string[] = [];

  beforeAll(async () => {
    rig = await new Rig().start();
    dir = mkdtempSync(join(tmpdir(), 'edge-fwd-'));
  });
  afterAll(async () => {
    await killGroup(first, 'SIGKILL');
    await killGroup(second, 'SIGKILL');
    await rig?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses nothing and resends only what the cloud had not acknowledged', async () => {
    const configFile = join(dir, 'edge.yaml');
    writeFileSync(
      configFile,
      [
        `site: { id: ${SITE}, customer_id: cust-test }`,
        `nats: { url: "${rig.nats.url}" }`,
        'cloud:',
        `  base_url: ${rig.sim.url}`,
        '  token: ${CLOUD_TOKEN}',
        '  timeout: 10s',
        `  batch: { max_items: ${MAX_ITEMS}, linger: 20ms }`,
        '  retry: { base: 100ms, cap: 1s }',
        '  heartbeat_interval: 1h',
        'streams: { duplicate_window: 30s }',
        'http: { ports: { forwarder: 0 } }',
        'log: { level: warn }',
        '',
      ].join('\n'),
    );
    // Slow answers keep batches in flight long enough to kill the process in the middle of one.
    rig.sim.faults.set({ latency_ms: 1200 });
    const published: string[] = [];
    for (let k = 0; k < 40; k++)
      for (let dev = 0; dev < 10; dev++) {
        const e = sampleEvent(dev, k);
        await rig.event(e);
        published.push(e.event_id);
      }

    first = spawnForwarder(configFile, logs);
    await until('some batches stored and more in flight', () => rig.sim.store.events.length >= 120 && rig.sim.store.inFlight > 0, 120_000);
    await killGroup(first, 'SIGKILL');
    const storedAtKill = rig.sim.store.events.length;
    expect(storedAtKill).toBeLessThan(published.length);

    rig.sim.faults.clear();
    second = spawnForwarder(configFile, logs);
    // Unacked messages of the dead process come back after the consumer's ack wait.
    await until('every event delivered', () => rig.sim.store.events.length === published.length, 120_000);

    const ids = rig.sim.store.events.map((e) => e.event_id);
    expect(new Set(ids).size).toBe(published.length);
    expect([...ids].sort()).toEqual([...published].sort());
    // Resent at most the batches that were in flight at the kill (one per lane): everything acked stayed acked.
    const duplicates = rig.sim.store.counters.get('events_duplicates') ?? 0;
    expect(duplicates).toBeLessThanOrEqual(HEALTH_LANES * MAX_ITEMS);
    expect(storedAtKill).toBeGreaterThan(HEALTH_LANES * MAX_ITEMS);
    await until('all acked', async () => (await rig.forwarderLag()).ackPending === 0);
    expect(await rig.dlqSize()).toBe(0);
    await killGroup(second, 'SIGTERM');
    expect(logs.join('')).not.toContain(TOKEN);
  }, 600_000);
});
