/**
 * End to end: the OnGuard, XProtect and cloud simulators, a real nats-server and every service
 * as its own process, started the way `npm start` starts them. What the cloud receives is
 * checked against the simulators' own truth (their /_sim/devices).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Device, HealthEvent } from '@edge/contracts';
import type { StoredDevice } from '@edge/sim-cloud';
import { runCli } from '../../services/cli/src/cli';
import { SITE, SYSTEMS, getJson, startStack, waitFor, type Stack } from './stack';

interface OgTruth {
  canonical_key: string;
  native_type: string;
  native_key: string;
  type: string;
  name: string;
  ip: string | null;
  mac: string | null;
  hostname: string | null;
  segment: string | null;
  parent_key: string | null;
  expected_status: string;
}
interface XpTruth {
  key: string;
  resource_type: string;
  id: string;
  type: string;
  name: string;
  ip: string | null;
  mac: string | null;
  hostname: string | null;
  location: string | null;
  parent: { key: string } | null;
  model: string | null;
  firmware: string | null;
  serial: string | null;
  expected_status: string;
}

let stack: Stack;
let ogTruth: OgTruth[];
let xpTruth: XpTruth[];

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, stack.cliEnv);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const cloudDevice = (id: string): StoredDevice | undefined => stack.cloud.store.deviceList().find((d) => d.id === id);

/** Every n-th element: a sample spread over the whole list. */
const sample = <T>(xs: T[], n: number) => xs.filter((_x, i) => i % Math.max(1, Math.floor(xs.length / n)) === 0);

beforeAll(async () => {
  stack = await startStack({
    onguard: { site: { panels: 4, readersPerPanel: 4, alarmPanelsPerPanel: 1, recorders: 1, camerasPerRecorder: 4 } },
    milestone: { hardware: 10 },
  });
  ogTruth = (await getJson<{ devices: OgTruth[] }>(`${stack.onguard.url}/_sim/devices`)).devices;
  xpTruth = (await getJson<{ devices: XpTruth[] }>(`${stack.milestone.url}/_sim/devices`)).devices;
}, 600_000);

afterAll(async () => {
  await stack?.stop();
}, 600_000);

describe.sequential('the pipeline end to end', () => {
  it('delivers the full inventory of both systems with every canonical field right', async () => {
    const want = new Set([...ogTruth.map((d) => `onguard:${SYSTEMS.onguard}:${d.canonical_key}`), ...xpTruth.map((d) => `milestone:${SYSTEMS.milestone}:${d.key}`)]);
    expect(ogTruth.length).toBeGreaterThan(20);
    expect(xpTruth.length).toBeGreaterThan(20);
    await waitFor(
      'both inventories at the cloud',
      () => {
        const syncs = stack.cloud.store.syncList().filter((s) => s.final && s.complete);
        return [...want].every((id) => cloudDevice(id)) && new Set(syncs.map((s) => s.system_id)).size === 2;
      },
      { timeoutMs: 120_000, logs: stack.logs },
    );
    const ids = new Set(stack.cloud.store.deviceList().map((d) => d.id));
    expect([...ids].sort()).toEqual([...want].sort());

    for (const t of sample(ogTruth, 12)) {
      const id = `onguard:${SYSTEMS.onguard}:${t.canonical_key}`;
      const d = Device.parse(cloudDevice(id)?.device);
      expect(d).toMatchObject({
        id,
        name: t.name,
        type: t.type,
        customer_id: SITE.customer_id,
        site_id: SITE.id,
        status: t.expected_status,
        mac_address: t.mac,
        ip: t.ip,
        hostname: t.hostname,
        location: t.segment,
        parent_id: t.parent_key ? `onguard:${SYSTEMS.onguard}:${t.parent_key}` : null,
        source: { vendor: 'onguard', system_id: SYSTEMS.onguard, native_type: t.native_type, native_id: t.native_key },
        schema_version: 1,
      });
      if (d.status === 'online') expect(d.last_seen).not.toBeNull();
    }
    for (const t of sample(xpTruth, 12)) {
      const id = `milestone:${SYSTEMS.milestone}:${t.key}`;
      const d = Device.parse(cloudDevice(id)?.device);
      expect(d).toMatchObject({
        id,
        name: t.name,
        type: t.type,
        customer_id: SITE.customer_id,
        site_id: SITE.id,
        status: t.expected_status,
        mac_address: t.mac,
        ip: t.ip,
        hostname: t.hostname,
        location: t.location,
        parent_id: t.parent ? `milestone:${SYSTEMS.milestone}:${t.parent.key}` : null,
        model: t.model,
        firmware: t.firmware,
        serial: t.serial,
        source: { vendor: 'milestone', system_id: SYSTEMS.milestone },
        schema_version: 1,
      });
      expect(d.source.native_id).toContain(t.id);
    }
  }, 600_000);

  it('delivers a device going offline in either simulator as a HealthEvent', async () => {
    const reader = ogTruth.find((d) => d.canonical_key.startsWith('reader:') && d.expected_status === 'online')!;
    const camera = xpTruth.find((d) => d.resource_type === 'cameras' && d.expected_status === 'online')!;
    const readerId = `onguard:${SYSTEMS.onguard}:${reader.canonical_key}`;
    const cameraId = `milestone:${SYSTEMS.milestone}:${camera.key}`;
    // Vendor times may be rounded down to the second.
    const changedAt = Math.floor(Date.now() / 1000) * 1000;
    stack.onguard.control.setOnline(reader.canonical_key, false);
    stack.milestone.control.commError(camera.resource_type, camera.id);
    for (const id of [readerId, cameraId]) {
      const ev = await waitFor(`offline event of ${id}`, () => stack.cloud.store.events.find((e) => e.device_id === id && e.status === 'offline'), {
        timeoutMs: 120_000,
        logs: stack.logs,
      });
      const e = HealthEvent.parse(ev.event);
      expect(e).toMatchObject({ device_id: id, status: 'offline', previous_status: 'online', customer_id: SITE.customer_id, site_id: SITE.id, schema_version: 1 });
      expect(e.observed_via).toBe('event');
      // The time of the change (the vendor's), not when it arrived.
      expect(Date.parse(e.timestamp)).toBeGreaterThanOrEqual(changedAt - 1_000);
    }
  }, 600_000);

  it('runs a sync on command: `edge sync <system> --wait` (cmd.sync) and POST /sync on the collector', async () => {
    const before = stack.cloud.store.syncList().filter((s) => s.system_id === SYSTEMS.milestone && s.final).length;
    const r = await cli('sync', SYSTEMS.milestone, '--wait', '--timeout', '30000');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`${SYSTEMS.milestone}\\s+\\S+\\s+${xpTruth.length}\\s+\\S+\\s+complete`));
    await waitFor('the commanded milestone sync at the cloud', () => stack.cloud.store.syncList().filter((s) => s.system_id === SYSTEMS.milestone && s.final).length > before, {
      logs: stack.logs,
    });

    const ogBefore = stack.cloud.store.syncList().filter((s) => s.system_id === SYSTEMS.onguard && s.final).length;
    const res = await fetch(stack.statusUrl('collector-onguard').replace('/status', '/sync'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ system: SYSTEMS.onguard }),
    });
    expect(res.status).toBe(202);
    const synced = await waitFor(
      'the POST /sync onguard sync at the cloud',
      () => {
        const s = stack.cloud.store.syncList().filter((x) => x.system_id === SYSTEMS.onguard && x.final);
        return s.length > ogBefore ? s[s.length - 1] : null;
      },
      { logs: stack.logs },
    );
    expect(synced).toMatchObject({ complete: true, total: ogTruth.length });
  }, 600_000);

  it('answers the operator CLI: status, devices --offline, dlq list, config check', async () => {
    const st = await cli('status', '--json');
    const parsed = JSON.parse(st.out) as { services: Array<{ name: string; systems?: Array<{ system_id: string; state: { connection: string } }> }>; problems: string[] };
    expect(parsed.services.map((s) => s.name).sort()).toEqual(['collector-milestone', 'collector-onguard', 'console', 'forwarder', 'normalizer']);
    const systems = parsed.services.flatMap((s) => s.systems ?? []);
    expect(systems.map((s) => [s.system_id, s.state.connection]).sort()).toEqual([
      [SYSTEMS.onguard, 'connected'],
      [SYSTEMS.milestone, 'connected'],
    ]);
    expect(st.code).toBe(0);
    const human = await cli('status');
    expect(human.out).toContain('collector-onguard');
    expect(human.out).toMatch(/forwarder: delivered \d+ devices/);

    // The reader taken offline in the health-event test is in the registry as offline.
    const offline = await cli('devices', '--offline', '--json');
    expect(offline.code).toBe(0);
    const offIds = (JSON.parse(offline.out) as Array<{ id: string; status: string }>).map((d) => d.id);
    const reader = ogTruth.find((d) => d.canonical_key.startsWith('reader:') && d.expected_status === 'online')!;
    expect(offIds).toContain(`onguard:${SYSTEMS.onguard}:${reader.canonical_key}`);
    const all = await cli('devices', '--system', SYSTEMS.milestone);
    expect(all.out).toMatch(new RegExp(`^${xpTruth.length} shown of ${xpTruth.length} matching`, 'm'));
    const capped = await cli('devices', '--limit', '3', '--json');
    expect(JSON.parse(capped.out)).toHaveLength(3);
    expect((await cli('devices', '--status', 'sideways')).code).toBe(2);

    const dlq = await cli('dlq', 'list');
    expect(dlq.code).toBe(0);

    const check = await cli('config', 'check', stack.configFile, '--timeout', '5000');
    expect(check.out).toMatch(/^ok\s+nats\s/m);
    expect(check.out).toMatch(new RegExp(`^ok\\s+${SYSTEMS.onguard}\\s+onguard http`, 'm'));
    expect(check.out).toMatch(new RegExp(`^ok\\s+${SYSTEMS.milestone}\\s+milestone http`, 'm'));
    expect(check.out).toMatch(/^ok\s+cloud\s/m);
    expect(check.code).toBe(0);
  }, 600_000);
});
