import { connect } from 'node:net';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '@edge/platform/testing';
import { startMilestoneSimulator, type DeviceTruth, type LedgerEntry, type MilestoneSimulator } from '../src';

async function token(sim: MilestoneSimulator, password = sim.password): Promise<{ status: number; body: Record<string, string> }> {
  const r = await fetch(`${sim.url}/API/IDP/connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username: sim.username, password, client_id: 'GrantValidatorClient' }).toString(),
  });
  return { status: r.status, body: (await r.json()) as Record<string, string> };
}

async function rest(sim: MilestoneSimulator, path: string, tok: string): Promise<{ status: number; text: string }> {
  const r = await fetch(`${sim.url}/api/rest/v1/${path}`, { headers: { authorization: `Bearer ${tok}` } });
  return { status: r.status, text: await r.text() };
}

async function control(sim: MilestoneSimulator, path: string, body: unknown = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(`${sim.url}/_sim/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

async function get<T>(sim: MilestoneSimulator, path: string): Promise<T> {
  return (await (await fetch(`${sim.url}/_sim/${path}`)).json()) as T;
}

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('milestone simulator at scale', () => {
  it('generates 5 000 hardware / 10 000 cameras across several recording servers, with truth for each', async () => {
    const sim = await startMilestoneSimulator({ hardware: 5_000, cameras: 10_000, recordingServers: 5 });
    try {
      const { devices } = await get<{ devices: DeviceTruth[] }>(sim, 'devices');
      const count = (t: string) => devices.filter((d) => d.resource_type === t).length;
      expect([count('recordingServers'), count('hardware'), count('cameras')]).toEqual([5, 5_000, 10_000]);
      expect(new Set(sim.model.hardware.map((h) => (h.obj.relations as { parent: { id: string } }).parent.id)).size).toBe(5);
      const cams = devices.filter((d) => d.resource_type === 'cameras');
      expect(cams.filter((c) => c.mac !== null).length).toBeGreaterThan(8_000);
      expect(cams.every((c) => c.parent?.resource_type === 'hardware')).toBe(true);
      expect(new Set(cams.map((c) => c.location)).size).toBeGreaterThan(10);
      expect(devices.some((d) => d.expected_status === 'disabled')).toBe(true);
    } finally {
      await sim.close();
    }
  });
});

describe('milestone simulator control API', () => {
  let sim: MilestoneSimulator;
  let tok: string;
  beforeAll(async () => {
    sim = await startMilestoneSimulator({ hardware: 20, recordingServers: 2, lockoutAfterFailures: 2, extraUsers: [{ username: 'victim', password: 'pw-victim' }] });
    tok = (await token(sim)).body.access_token;
  });
  afterAll(async () => sim.close());

  it('camera communication error / restored: events, ledger, expected status', async () => {
    const cam = sim.model.children.cameras.find((c) => c.enabled)!;
    const r1 = await control(sim, `cameras/${cam.id}/comm-error`);
    expect(r1.status).toBe(200);
    const [change] = r1.body.changes as LedgerEntry[];
    expect(change).toMatchObject({ key: `cameras:${cam.id}`, previous_status: 'online', status: 'offline', source: `cameras/${cam.id}` });
    expect(change.event_time).toMatch(/\.\d{7}Z$/);
    expect((await get<DeviceTruth>(sim, `devices/cameras/${cam.id}`)).expected_status).toBe('offline');
    await control(sim, `devices/cameras/${cam.id}/comm-restored`);
    expect((await get<DeviceTruth>(sim, `devices/cameras/${cam.id}`)).expected_status).toBe('online');
    const { entries } = await get<{ entries: LedgerEntry[] }>(sim, `ledger?since=${change.seq - 1}`);
    expect(entries.map((e) => e.status)).toEqual(['offline', 'online']);
  });

  it('hardware communication error takes its enabled channels down with it', async () => {
    const hw = sim.model.hardware.find((h) => h.enabled && (sim.model.childrenOf.get(h.id) ?? []).length > 2)!;
    const { body } = await control(sim, `hardware/${hw.id}/comm-error`);
    const changes = body.changes as LedgerEntry[];
    expect(changes[0].key).toBe(`hardware:${hw.id}`);
    expect(changes.length).toBe(1 + (sim.model.childrenOf.get(hw.id) ?? []).filter((k) => sim.model.byKey.get(k)!.enabled).length);
    expect(changes.every((c) => c.status === 'offline')).toBe(true);
    const back = (await control(sim, `hardware/${hw.id}/comm-restored`)).body.changes as LedgerEntry[];
    expect(back.every((c) => c.status === 'online')).toBe(true);
  });

  it('recording server down closes its web port (probe target) and is offline; up reopens it', async () => {
    const rs = sim.model.recordingServers[0];
    const port = Number(new URL(rs.obj.webServerUri as string).port);
    expect(await reachable(port)).toBe(true);
    await control(sim, `recording-servers/${rs.id}/down`);
    await waitUntil('the web port closed', async () => !(await reachable(port)));
    expect((await get<DeviceTruth>(sim, `devices/recordingServers/${rs.id}`)).expected_status).toBe('offline');
    await control(sim, `recording-servers/${rs.id}/up`);
    await waitUntil('the web port open again', () => reachable(port));
  });

  it('flap and random changes are recorded in order', async () => {
    const cam = sim.model.children.cameras.find((c) => c.enabled)!;
    const flap = (await control(sim, 'flap', { type: 'cameras', id: cam.id, times: 2, interval_ms: 10 })).body.changes as LedgerEntry[];
    expect(flap.map((c) => c.status)).toEqual(['offline', 'online', 'offline', 'online']);
    const random = (await control(sim, 'random-changes', { count: 6, types: ['cameras'] })).body.changes as LedgerEntry[];
    expect(random).toHaveLength(6);
    const { entries } = await get<{ entries: LedgerEntry[] }>(sim, 'ledger');
    expect(entries.map((e) => e.seq)).toEqual([...entries.map((e) => e.seq)].sort((a, b) => a - b));
  });

  it('a disabled device cannot fail; unknown routes and types are clear errors', async () => {
    const off = sim.model.children.cameras.find((c) => !sim.control.device('cameras', c.id).enabled);
    expect(off).toBeDefined();
    expect((await control(sim, `cameras/${off!.id}/comm-error`)).status).toBe(409);
    expect((await control(sim, 'storages/x/comm-error')).status).toBe(400);
    expect((await control(sim, 'nope')).status).toBe(404);
    expect((await control(sim, 'cameras/00000000-0000-4000-8000-000000000000/comm-error')).status).toBe(404);
  });

  it('fail-requests: 500 plain text, 503 with Retry-After, then normal again', async () => {
    await control(sim, 'fail-requests', { status: 500, count: 1, path_prefix: '/sites' });
    const r1 = await rest(sim, 'sites', tok);
    expect([r1.status, r1.text]).toEqual([500, 'Internal Server Error']);
    await control(sim, 'fail-requests', { status: 503, count: 1 });
    const r2 = await fetch(`${sim.url}/api/rest/v1/sites`, { headers: { authorization: `Bearer ${tok}` } });
    expect([r2.status, r2.headers.get('retry-after')]).toEqual([503, '1']);
    expect((await rest(sim, 'sites', tok)).status).toBe(200);
  });

  it('expire-tokens: REST answers the 401 error envelope; a new token works', async () => {
    await control(sim, 'expire-tokens');
    const r = await rest(sim, 'sites', tok);
    expect(r.status).toBe(401);
    expect(JSON.parse(r.text)).toEqual({ error: { httpCode: 401, details: [{ errorText: 'Token validation failed: the token is expired.' }] } });
    tok = (await token(sim)).body.access_token;
    expect((await rest(sim, 'sites', tok)).status).toBe(200);
  });

  it('repeated wrong passwords lock the account (LockedOut), as a real IDP would', async () => {
    const bad = async () =>
      (await fetch(`${sim.url}/IDP/connect/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=password&username=victim&password=nope&client_id=GrantValidatorClient',
      }).then((r) => r.json())) as Record<string, string>;
    expect((await bad()).error_code).toBe('InvalidCredentials');
    expect((await bad()).error_code).toBe('LockedOut');
  });

  it('WebSocket without a header: the authenticate command, then a session', async () => {
    const ws = new WebSocket(sim.wsUrl);
    await new Promise((r) => ws.once('open', r));
    const replies: Array<Record<string, unknown>> = [];
    ws.on('message', (d) => replies.push(JSON.parse(d.toString()) as Record<string, unknown>));
    ws.send(JSON.stringify({ command: 'authenticate', commandId: 1, token: `Bearer ${tok}` }));
    ws.send(JSON.stringify({ command: 'startSession', commandId: 2, sessionId: '', eventId: '' }));
    await waitUntil('both replies', () => replies.length >= 2);
    expect(replies.map((r) => [r.commandId, r.status])).toEqual([
      [1, 200],
      [2, 201],
    ]);
    ws.close();
  });

  it('stats count requests by route', async () => {
    const s = await get<{ requests: Record<string, number>; tokenRequests: number }>(sim, 'stats');
    expect(s.requests['GET /api/rest/v1/sites']).toBeGreaterThan(0);
    expect(s.tokenRequests).toBeGreaterThan(0);
  });
});
