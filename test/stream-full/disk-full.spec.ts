/**
 * The JetStream store's disk fills on the box (here: a 48 MB tmpfs as data_dir, then a ballast
 * file taking every free byte). The product keeps running (every process alive and answering
 * /healthz), refuses new data upstream with a clear error (the collector's publish fails with
 * "no space left on device" and keeps the data; if nats-server turns JetStream off instead,
 * `npm start`'s watchdog says so), loses nothing already stored (the device registry), and resumes
 * by itself once the ballast is removed: the changes made during the outage reach the cloud (the
 * watchdog restarts nats-server if JetStream was turned off). Needs root (mount); CI runs as root.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { inboxPrefixFor } from '@edge/platform';
import { startStack, SYSTEMS, waitFor, type Stack } from '../e2e/stack';

const mnt = mkdtempSync(join(tmpdir(), 'edge-diskfull-'));
let stack: Stack;
const ballast = join(mnt, 'ballast');

async function registryKeys(): Promise<number> {
  const op = stack.pipeline.local!.operator;
  const nc = await connect({ servers: stack.natsUrl, user: op.user, pass: op.password, inboxPrefix: inboxPrefixFor(op.user), reconnect: false });
  try {
    return (await (await jetstreamManager(nc)).streams.info('KV_devices')).state.messages;
  } finally {
    await nc.close();
  }
}

beforeAll(async () => {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', mnt]);
  stack = await startStack({
    config: {
      data_dir: mnt,
      streams: { raw: { max_bytes: '8MB' }, canonical: { max_bytes: '8MB' }, dlq: { max_bytes: '2MB' } },
    },
    watchJetStream: { minFreeBytes: 8 * 1024 * 1024, intervalMs: 1_000 },
  });
}, 600_000);

afterAll(async () => {
  await stack?.stop().catch(() => undefined);
  try {
    execFileSync('umount', [mnt]);
  } catch {
    /* not mounted */
  }
  rmSync(mnt, { recursive: true, force: true });
}, 600_000);

/**
 * Takes every free byte of the mount with ballast files. nats-server keeps writing meanwhile, so
 * the free space read just before an allocation may be gone when it runs (ENOSPC): then it reads
 * the free space again and allocates that, until nothing is left.
 */
function fillDisk(): string[] {
  const files: string[] = [];
  for (let i = 0; i < 100; i++) {
    const free = statfsSync(mnt).bavail * statfsSync(mnt).bsize;
    if (free === 0) return files;
    const file = `${ballast}.${i}`;
    try {
      execFileSync('fallocate', ['-l', String(free), file], { stdio: 'pipe' });
      files.push(file);
    } catch (e) {
      rmSync(file, { force: true });
      if (!/No space left/i.test(String((e as { stderr?: unknown }).stderr ?? e))) throw e;
    }
  }
  throw new Error(`could not fill ${mnt}: free space kept changing`);
}

describe('the JetStream store disk fills up', () => {
  it('keeps running, refuses new data with a clear error, loses nothing stored, and resumes when space is freed', async () => {
    const total = stack.onguard.control.devices().length + stack.milestone.control.devices().length;
    await waitFor('complete inventory at the cloud', () => stack.cloud.store.devices.size >= total, { timeoutMs: 120_000, logs: stack.logs });
    const stored = await registryKeys();
    expect(stored).toBeGreaterThan(0);

    // Take every free byte, then change devices: the collector's publishes hit the full disk.
    const ballasts = fillDisk();
    const readers = stack.onguard.control.devices('reader').filter((d) => d.expected_status === 'online').slice(0, 3);
    for (const d of readers) stack.onguard.control.setOnline(d.canonical_key, false);
    // Refused upstream with a clear error: the collector's publish names the full disk (or, when
    // nats-server turned JetStream off for it, the watchdog says so).
    await waitFor(
      'a clear refusal',
      () => stack.logs.some((l) => (l.startsWith('collector-onguard') && l.includes('no space left on device') && l.includes('publish failed')) || /JetStream is off: the disk of .* is full/.test(l)),
      { timeoutMs: 120_000, logs: stack.logs },
    );
    // Nothing reaches the cloud while the disk is full.
    expect(stack.cloud.store.events.filter((e) => readers.some((d) => e.device_id.endsWith(`:${d.canonical_key}`)))).toEqual([]);
    // Every process is alive and answers.
    for (const svc of ['collector-onguard', 'collector-milestone', 'normalizer', 'forwarder']) {
      expect((await fetch(stack.statusUrl(svc).replace('/status', '/healthz'))).status, svc).toBe(200);
      expect(stack.supervisor.status().find((p) => p.name === svc)?.state, svc).toBe('running');
    }

    for (const b of ballasts) rmSync(b);
    for (const d of readers)
      await waitFor(
        `${d.canonical_key} offline at the cloud`,
        () => stack.cloud.store.events.some((e) => e.device_id === `onguard:${SYSTEMS.onguard}:${d.canonical_key}` && e.status === 'offline'),
        { timeoutMs: 180_000, logs: stack.logs },
      );
    // Nothing stored before the disk filled was lost.
    expect(await registryKeys()).toBeGreaterThanOrEqual(stored);
    expect(stack.cloud.store.devices.size).toBeGreaterThanOrEqual(total);
  }, 600_000);
});
