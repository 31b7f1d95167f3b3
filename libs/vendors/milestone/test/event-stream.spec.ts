import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMilestoneSimulator, type MilestoneSimulator } from '@edge/sim-milestone';
import { EdgeError } from '@edge/platform';
import { subscriptionGroups, EssConnection, EventStream, EVENT_TYPES, ZERO_GUID, type EssEvent } from '../src';
import { clientsFor, quietLog, stat, waitFor, type Clients } from './helpers';

function streamFor(sim: MilestoneSimulator, c: Clients, over: Partial<ConstructorParameters<typeof EventStream>[0]> = {}) {
  const events: EssEvent[] = [];
  const baselines: Array<{ rows: EssEvent[]; reason: string }> = [];
  const gaps: string[] = [];
  const stream = new EventStream({
    wsUrl: sim.wsUrl,
    tls: c.tls,
    auth: c.auth,
    log: quietLog,
    subscriptions: () => subscriptionGroups({ recordingServerTypes: null, includeRecordingServers: true }),
    resumeWindowMs: 30_000,
    commandTimeoutMs: 5_000,
    getStateTimeoutMs: 20_000,
    maxPayloadBytes: 256 * 1024 * 1024,
    pingIntervalMs: 5_000,
    handshakeTimeoutMs: 5_000,
    reconnect: { baseMs: 100, capMs: 1_000, floorMs: 50 },
    onEvents: (e) => events.push(...e),
    onBaseline: async (rows, reason) => {
      baselines.push({ rows, reason });
    },
    onGap: (r) => gaps.push(r),
    ...over,
  });
  return { stream, events, baselines, gaps };
}

describe('EventStream against the simulator', () => {
  let sim: MilestoneSimulator;
  let c: Clients;
  beforeAll(async () => {
    sim = await startMilestoneSimulator({ hardware: 12, disabledRatio: 0.1 });
    c = clientsFor(sim);
  });
  afterAll(async () => {
    c.close();
    await sim.close();
  });

  it('session, subscription, getState baseline (zero-GUID rows), pushed events with the last id kept', async () => {
    const s = streamFor(sim, c);
    s.stream.start();
    await waitFor(() => s.baselines.length === 1);
    const rows = s.baselines[0].rows;
    expect(s.baselines[0].reason).toBe('initial baseline');
    expect(rows.length).toBe(sim.model.deviceCount);
    expect(rows.every((r) => r.id === ZERO_GUID)).toBe(true);
    expect(rows.some((r) => r.source.startsWith('recordingServers/'))).toBe(true);
    const cam = sim.model.children.cameras.find((x) => x.enabled)!;
    const [change] = sim.control.commError('cameras', cam.id);
    await waitFor(() => s.events.find((e) => e.id === change.event_id));
    const ev = s.events.find((e) => e.id === change.event_id)!;
    expect(ev).toMatchObject({ type: EVENT_TYPES.deviceCommunicationError, source: `cameras/${cam.id}`, specversion: '1.0' });
    expect(ev.time).toMatch(/\.\d{7}Z$/);
    expect(s.stream.state().last_event_id).toBe(change.event_id);
    sim.control.commRestored('cameras', cam.id);
    await s.stream.stop();
  });

  it('events pushed while a slow getState is outstanding are routed separately; the reply is matched by commandId', async () => {
    const s = streamFor(sim, c);
    s.stream.start();
    await waitFor(() => s.baselines.length === 1);
    sim.control.slowGetState(600);
    const pending = s.stream.getState();
    await new Promise((r) => setTimeout(r, 100));
    const hw = sim.model.hardware.find((h) => h.enabled)!;
    const changes = sim.control.commError('hardware', hw.id);
    await waitFor(() => changes.every((ch) => s.events.some((e) => e.id === ch.event_id)));
    const rows = await pending;
    sim.control.slowGetState(0);
    expect(rows.find((r) => r.source === `hardware/${hw.id}`)?.type).toBe(EVENT_TYPES.hardwareCommunicationError);
    expect(changes.length).toBeGreaterThan(1);
    sim.control.commRestored('hardware', hw.id);
    await s.stream.stop();
  });

  it('socket drop → resume within the window (200) → missed events replayed, no new baseline', async () => {
    const s = streamFor(sim, c, { reconnect: { baseMs: 400, capMs: 1_000, floorMs: 400 } });
    s.stream.start();
    await waitFor(() => s.baselines.length === 1);
    const session = s.stream.state().session_id;
    const cams = sim.model.children.cameras.filter((x) => x.enabled).slice(0, 3);
    sim.control.dropSockets();
    await waitFor(() => s.stream.state().events !== 'subscribed');
    // Happen while the collector is disconnected.
    const missed = cams.flatMap((cam) => sim.control.commError('cameras', cam.id));
    await waitFor(() => missed.every((m) => s.events.some((e) => e.id === m.event_id)));
    expect(s.stream.state().session_id).toBe(session);
    expect(s.stream.counters.get('sessions_resumed')).toBe(1);
    expect(s.baselines).toHaveLength(1);
    cams.forEach((cam) => sim.control.commRestored('cameras', cam.id));
    await s.stream.stop();
  });

  it('refused resume (201) → new session, re-subscribe and re-baseline that shows the change', async () => {
    const s = streamFor(sim, c, { reconnect: { baseMs: 300, capMs: 1_000, floorMs: 300 } });
    s.stream.start();
    await waitFor(() => s.baselines.length === 1);
    const session = s.stream.state().session_id;
    sim.control.refuseResume(1);
    sim.control.dropSockets();
    await waitFor(() => s.stream.state().events !== 'subscribed');
    const cam = sim.model.children.cameras.filter((x) => x.enabled)[5];
    sim.control.commError('cameras', cam.id);
    await waitFor(() => s.baselines.length === 2);
    expect(s.baselines[1].reason).toBe('resume refused: new session');
    expect(s.stream.state().session_id).not.toBe(session);
    expect(s.baselines[1].rows.find((r) => r.source === `cameras/${cam.id}`)?.type).toBe(EVENT_TYPES.deviceCommunicationError);
    // The new session is subscribed: later events arrive.
    const [later] = sim.control.commRestored('cameras', cam.id);
    await waitFor(() => s.events.some((e) => e.id === later.event_id));
    await s.stream.stop();
  });

  it('reconnects with a fresh token after the old one expired', async () => {
    const s = streamFor(sim, c, { resumeWindowMs: 0 });
    s.stream.start();
    await waitFor(() => s.baselines.length === 1);
    const tokens = stat(sim, 'tokenRequests');
    sim.control.expireTokens();
    sim.control.dropSockets();
    await waitFor(() => s.baselines.length === 2);
    expect(stat(sim, 'tokenRequests')).toBeGreaterThan(tokens);
    expect(stat(sim, 'wsUpgradesRejected')).toBeGreaterThanOrEqual(1);
    await s.stream.stop();
  });
});

describe('Events and State protocol edges', () => {
  let sim: MilestoneSimulator;
  let c: Clients;
  beforeAll(async () => {
    sim = await startMilestoneSimulator({ hardware: 6 });
    c = clientsFor(sim);
  });
  afterAll(async () => {
    c.close();
    await sim.close();
  });

  const open = async (url = sim.wsUrl, token?: string) =>
    EssConnection.open({ url, token: token ?? (await c.auth.getToken()), tls: c.tls, maxPayloadBytes: 1 << 20, handshakeTimeoutMs: 5_000, pingIntervalMs: 10_000, log: quietLog });

  it('a subscription without filters is accepted and yields nothing', async () => {
    const conn = await open();
    const events: unknown[] = [];
    conn.onEvents = (e) => events.push(...e);
    expect((await conn.command('startSession', { sessionId: '', eventId: '' }, 5_000)).status).toBe(201);
    expect((await conn.command('addSubscription', { filters: [] }, 5_000)).status).toBe(200);
    sim.control.commError('cameras', sim.model.children.cameras[0].id);
    const state = await conn.command('getState', {}, 5_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(events).toEqual([]);
    expect(state.states).toEqual([]);
    sim.control.commRestored('cameras', sim.model.children.cameras[0].id);
    conn.close();
  });

  it('a malformed command closes the connection', async () => {
    const token = await c.auth.getToken();
    const ws = new WebSocket(sim.wsUrl, { headers: { Authorization: `Bearer ${token}` } });
    await new Promise((r) => ws.once('open', r));
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.send('{"command": "startSession", "commandId": ');
    expect(await closed).toBe(1008);
  });

  it('without /v1 the upgrade 404s; a bad token 401s', async () => {
    const e1 = await open(sim.wsUrl.replace(/\/v1$/, '')).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(EdgeError);
    expect((e1 as EdgeError).code).toBe('ws_not_found');
    const e2 = await open(sim.wsUrl, 'not-a-token').catch((e: unknown) => e);
    expect((e2 as EdgeError).kind).toBe('auth');
  });

  it('an unknown command gets an error reply, not a close', async () => {
    const conn = await open();
    const r = await conn.command('fly', {}, 5_000);
    expect(r.status).toBe(400);
    expect(r.error?.errorText).toContain('Unknown command');
    expect(conn.isOpen).toBe(true);
    conn.close();
  });
});

describe('large getState answers', () => {
  it('need the raised frame limit: > 1 MiB arrives with the default, a 1 MiB client limit fails', async () => {
    const sim = await startMilestoneSimulator({ hardware: 1_500, cameras: 3_000, microphones: 0, speakers: 0, metadata: 0, inputs: 0, outputs: 0 });
    const c = clientsFor(sim);
    const s = streamFor(sim, c);
    s.stream.start();
    await waitFor(() => s.baselines.length === 1, 120_000);
    expect(s.baselines[0].rows.length).toBe(sim.model.deviceCount);
    expect(JSON.stringify(s.baselines[0].rows).length).toBeGreaterThan(1024 * 1024);
    await s.stream.stop();
    const small = streamFor(sim, c, { maxPayloadBytes: 1024 * 1024 });
    small.stream.start();
    await waitFor(() => small.gaps.length > 0 || small.stream.counters.get('disconnects') > 0, 120_000);
    expect(small.baselines).toHaveLength(0);
    await small.stream.stop();
    c.close();
    await sim.close();
  });
});
