import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { waitUntil } from '@edge/platform/testing';
import { parseFilter, startOnGuardSimulator, type OnGuardSimulator } from '../src/index';

const SITE = { panels: 3, readersPerPanel: 2, alarmPanelsPerPanel: 1, intrusionPanels: 1, recorders: 1, camerasPerRecorder: 2, offlineRatio: 0, degradedRatio: 0, disabledRatio: 0 };

describe('OpenAccess filter grammar (§2.3)', () => {
  const row = { PanelID: 3, ReaderID: 8, Name: 'Dept Lobby', LastName: 'Lake', FirstName: 'Lisa', Gone: null, EventTime: '2023-05-09T15:40:00' };
  const table: Array<[string, boolean]> = [
    ['panelid = 3', true],
    ['ReaderID=8 AND PanelID=9', false],
    ['ReaderID=8 AND PanelID=3', true],
    ['Name like "Dept%"', true],
    ["Name like 'dept%'", true],
    ['LastName != "Lake"', false],
    ['LastName = "Lake" OR FirstName = "Lisa"', true],
    ['(PanelID = 1 OR PanelID = 3) AND ReaderID >= 8', true],
    ['EventTime>"2023-05-09T15:35:00"', true],
    ['Gone = null', true],
    ['Gone != null', false],
    ["business_event_class eq 'hardware_event'", false],
  ];
  for (const [f, want] of table) it(f, () => expect(parseFilter(f)(row)).toBe(want));
  it('rejects malformed filters', () => {
    expect(() => parseFilter('PanelID =')).toThrow();
    expect(() => parseFilter('(PanelID = 1')).toThrow();
    expect(() => parseFilter('Name = "x')).toThrow();
  });
});

describe('OnGuard simulator (REST, bridge, control)', () => {
  let sim: OnGuardSimulator;
  let token: string;
  const H = () => ({ 'Application-Id': sim.credentials.application_id, 'Session-Token': token, 'Content-Type': 'application/json' });
  const api = async (path: string, init: RequestInit = {}) => {
    const r = await fetch(`${sim.apiUrl}${path}`, { ...init, headers: { ...H(), ...(init.headers as Record<string, string>) } });
    const text = await r.text();
    return { status: r.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
  };

  beforeAll(async () => {
    sim = await startOnGuardSimulator({ site: SITE });
    const r = await fetch(`${sim.apiUrl}/authentication?version=1.0`, {
      method: 'POST',
      headers: { 'application-id': sim.credentials.application_id, 'content-type': 'application/json' },
      body: JSON.stringify({ user_name: 'sa', password: sim.credentials.password, directory_id: 'id-1' }),
    });
    const b = (await r.json()) as { session_token: string; token_expiration_time: string };
    expect(b.token_expiration_time).toMatch(/\+00:00$/);
    token = b.session_token;
  });
  afterAll(async () => {
    await sim?.close();
  });

  it('answers the reference envelopes and errors', async () => {
    expect((await api('/version?version=1.0')).body).toMatchObject({ product_name: 'OnGuard', version: '1.0' });
    expect((await api('/keepalive')).body).toMatchObject({ error: { code: 'openaccess.general.invalidversion' } });
    const dirs = await api('/directories?version=1.0');
    expect(dirs.body).toMatchObject({ item_list: [{ property_value_map: { ID: 'id-1', Name: 'Internal' } }, { property_value_map: { ID: 'id-2' } }] });
    const page = await api('/instances?version=1.0&type_name=Lnl_Reader&page_size=4&page_number=2&order_by=PanelID,ReaderID');
    expect(page.body).toMatchObject({ count: 2, page_number: 2, page_size: 4, total_items: 6, total_pages: 2, type_name: 'Lnl_Reader', version: '1.0' });
    expect((await api('/instances?version=1.0&type_name=Lnl_Reader&page_size=101')).status).toBe(400);
    expect((await api('/instances?version=1.0&type_name=Lnl_Nothing')).body).toMatchObject({ error: { code: 'openaccess.general.invalidtypename' } });
    expect((await api('/count?version=1.0&type_name=Lnl_Reader&filter=PanelID%3D2')).body).toEqual({ total_items: 2, version: '1.0' });
    const bad = await fetch(`${sim.apiUrl}/keepalive?version=1.0`, { headers: { 'Application-Id': 'NOT_LICENSED', 'Session-Token': token } });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ error: { code: 'openaccess.general.invalidapplicationid' } });
    // The C# sample puts version, application_id and session_token in the JSON body (§1.2/§1.3).
    const viaBody = await fetch(`${sim.apiUrl}/execute_method`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ version: '1.0', application_id: sim.credentials.application_id, session_token: token, type_name: 'Lnl_Panel', method_name: 'GetHardwareStatus', property_value_map: { ID: '3' } }),
    });
    expect(await viaBody.json()).toEqual({ out_parameter_value_map: { Status: 1 }, version: '1.0' });
  });

  it('executes status methods with string keys, models IsOnline apart from the live bit, and rejects unknown methods', async () => {
    const exec = (b: Record<string, unknown>) => api('/execute_method?version=1.0', { method: 'POST', body: JSON.stringify(b) });
    expect((await exec({ type_name: 'Lnl_Panel', method_name: 'UpdateHardwareStatus', property_value_map: { ID: 1 }, in_parameter_value_map: {} })).body).toEqual({ out_parameter_value_map: {}, version: '1.0' });
    expect((await exec({ type_name: 'Lnl_Reader', method_name: 'GetHardwareStatus', property_value_map: { PanelID: '1', ReaderID: '2' } })).body).toEqual({ out_parameter_value_map: { Status: 1 }, version: '1.0' });
    expect((await exec({ type_name: 'Lnl_Camera', method_name: 'GetHardwareStatus', property_value_map: { ID: 1 } })).body).toMatchObject({ error: { code: 'openaccess.general.invalidmethod' } });
    sim.control.setEnabled('panel:1', false);
    const p = (await api('/instances?version=1.0&type_name=Lnl_Panel&filter=ID%3D1')).body as { item_list: Array<{ property_value_map: Record<string, unknown> }> };
    expect(p.item_list[0].property_value_map.IsOnline).toBe(false);
    expect((await exec({ type_name: 'Lnl_Reader', method_name: 'GetHardwareStatus', property_value_map: { PanelID: 1, ReaderID: 1 } })).body).toMatchObject({ out_parameter_value_map: { Status: 0 } });
    sim.control.setEnabled('panel:1', true);
  });

  it('queues a slow query (202 → /queue/{id} complete) and keeps event subscriptions (DELETE disables)', async () => {
    const q = await api('/instances?version=1.0&type_name=Lnl_Panel&queue=true');
    expect(q.status).toBe(202);
    expect(q.body).toMatchObject({ status: 'pending', version: '1.0' });
    const done = await waitUntil('the queued query complete', async () => {
      const r = (await api(`/queue/${q.body!.id}?version=1.0`)).body as { status?: string } | null;
      return r?.status === 'complete' ? r : null;
    });
    expect(done).toMatchObject({ status: 'complete', response: { type_name: 'Lnl_Panel' } });
    const sub = await api('/event_subscriptions?version=1.0', { method: 'POST', body: JSON.stringify({ description: 'x', filter: "business_event_class eq 'hardware_event'", is_durable: false }) });
    expect(sub.body).toMatchObject({ description: 'x', is_durable: false, message_broker_hostname: 'OGSERVER' });
    const id = sub.body!.id;
    expect((await api(`/event_subscriptions/${id}?version=1.0`, { method: 'PUT', body: JSON.stringify({ description: 'y' }) })).body).toMatchObject({ description: 'y' });
    expect((await api(`/event_subscriptions/${id}?version=1.0`, { method: 'DELETE' })).status).toBe(200);
    expect((await api('/event_subscriptions?version=1.0')).body).toMatchObject({ total_items: 1 });
  });

  it('records truth and ledger: a panel going offline takes its children with it and emits the event', async () => {
    const before = sim.control.ledger().length;
    const changes = sim.control.setOnline('panel:2', false);
    expect(changes.map((c) => c.canonical_key).sort()).toEqual(['alarmpanel:2-65', 'panel:2', 'reader:2-1', 'reader:2-2']);
    expect(sim.control.ledger().length).toBe(before + 4);
    const truth = sim.control.devices('reader').find((d) => d.canonical_key === 'reader:2-1')!;
    expect(truth).toMatchObject({ expected_status: 'offline', reason: 'panel 2 offline', parent_key: 'panel:2', segment: 'Milwaukee DC' });
    const logged = (await api(`/logged_events?version=1.0&filter=${encodeURIComponent('controller_id = 2')}`)).body as { item_list: Array<Record<string, unknown>> };
    // /logged_events answers with the 7.5 swagger's LoggedEvents keys (no business_event_class there).
    expect(logged.item_list.at(-1)).toMatchObject({ description: 'Communications Lost', device_id: 0, controller_id: 2 });
    expect(String(logged.item_list.at(-1)!.timestamp)).toMatch(/-05:00$/);
    sim.control.setOnline('panel:2', true);
    const r = await fetch(`${sim.url}/_sim/random-changes`, { method: 'POST', body: JSON.stringify({ count: 5, types: ['reader'] }) });
    expect(((await r.json()) as { changes: unknown[] }).changes.length).toBeGreaterThanOrEqual(5);
    const devices = (await (await fetch(`${sim.url}/_sim/devices`)).json()) as { devices: unknown[] };
    expect(devices.devices).toHaveLength(sim.control.devices().length);
  });

  it('serves the SignalR 2 hub: negotiate, WebSocket connect, start, CreateSubscription, events', async () => {
    const base = `${sim.apiUrl}/eventbridge`;
    const cd = encodeURIComponent(JSON.stringify([{ name: 'outbound' }]));
    const n = (await (await fetch(`${base}/negotiate?clientProtocol=1.5&connectionData=${cd}`)).json()) as { ConnectionToken: string; ProtocolVersion: string; TryWebSockets: boolean };
    expect(n).toMatchObject({ ProtocolVersion: '1.5', TryWebSockets: true });
    const ct = encodeURIComponent(n.ConnectionToken);
    const ws = new WebSocket(`${base.replace('http', 'ws')}/connect?transport=webSockets&clientProtocol=1.5&connectionToken=${ct}&connectionData=${cd}`);
    const frames: Array<Record<string, unknown>> = [];
    ws.on('message', (d) => frames.push(JSON.parse(d.toString()) as Record<string, unknown>));
    await new Promise((r) => ws.once('open', r));
    const started = await (await fetch(`${base}/start?transport=webSockets&clientProtocol=1.5&connectionToken=${ct}&connectionData=${cd}`)).json();
    expect(started).toEqual({ Response: 'started' });
    ws.send(JSON.stringify({ H: 'outbound', M: 'CreateSubscription', A: [{ SessionToken: token, ApplicationId: sim.credentials.application_id }, { description: 'd', filter: "business_event_class eq 'hardware_event'", is_durable: false }], I: 0 }));
    ws.send(JSON.stringify({ H: 'outbound', M: 'ConnectionHeartbeat', A: [{ SessionToken: 'bad', ApplicationId: sim.credentials.application_id }, {}], I: 1 }));
    await waitUntil('replies to both calls', () => frames.some((f) => f.I === '0') && frames.some((f) => f.I === '1'));
    sim.control.setOnline('reader:3-1', false);
    const pushed = (f: Record<string, unknown>) => Array.isArray(f.M) && (f.M as Array<{ M: string }>).some((m) => m.M === 'OnBusinessEventReceived');
    await waitUntil('the hardware event pushed', () => frames.some(pushed));
    ws.close();
    expect(frames[0]).toMatchObject({ S: 1, M: [] });
    expect(frames.find((f) => f.I === '0')).toMatchObject({ R: { filter: "business_event_class eq 'hardware_event'" } });
    expect(frames.find((f) => f.I === '1')).toMatchObject({ H: true, D: 'openaccess.general.invalidsessiontoken' });
    const pushes = frames.flatMap((f) => (Array.isArray(f.M) ? (f.M as Array<{ M: string; A: unknown[] }>) : []));
    expect(pushes.map((m) => m.M)).toContain('OnConnectionToMessageBusEstablished');
    expect(pushes.find((m) => m.M === 'OnBusinessEventReceived')?.A[0]).toMatchObject({ controller_id: 3, device_id: 1, description: 'Communications Lost' });
  });
});
