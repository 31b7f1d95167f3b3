import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMilestoneSimulator, type MilestoneSimulator } from '@edge/sim-milestone';
import { EdgeError } from '@edge/platform';
import { extractDriverSettings, gatewayUrls, idOf, queryString } from '../src';
import * as fx from '../src/fixtures';
import { clientsFor, stat } from './helpers';

async function failure(p: Promise<unknown>): Promise<EdgeError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(EdgeError);
  return e as EdgeError;
}

describe('ConfigApiClient against the simulator', () => {
  let sim: MilestoneSimulator;
  beforeAll(async () => {
    sim = await startMilestoneSimulator({ hardware: 24, disabledRatio: 0.1 });
  });
  afterAll(async () => sim.close());

  it('unwraps array and data envelopes', async () => {
    const c = clientsFor(sim);
    const sites = await c.api.getArray('sites');
    expect(sites).toHaveLength(1);
    const hw = (await c.api.getArray('hardware', { disabled: true }))[0];
    const one = (await c.api.getData(`hardware/${idOf(hw)}`)) as Record<string, unknown>;
    expect(one.id).toBe(idOf(hw));
    expect(one.address).toMatch(/^http:\/\//);
    c.close();
  });

  it('pages with page/size until a short page, deduplicating by id', async () => {
    const c = clientsFor(sim);
    const before = stat(sim, 'GET /api/rest/v1/hardware');
    const pages: number[] = [];
    const ids = new Set<string>();
    for await (const p of c.api.pages('hardware', { includeDisabled: true, pageSize: 5 })) {
      pages.push(p.length);
      p.forEach((x) => ids.add(idOf(x)!));
    }
    expect(pages).toEqual([5, 5, 5, 5, 4]);
    expect(ids.size).toBe(24);
    expect(stat(sim, 'GET /api/rest/v1/hardware') - before).toBe(5);
    c.close();
  });

  it('?disabled includes disabled items; without it only enabled ones', async () => {
    const c = clientsFor(sim);
    const all = await c.api.all('hardware', { includeDisabled: true, pageSize: 100 });
    const enabled = await c.api.all('hardware', { includeDisabled: false, pageSize: 100 });
    expect(all.length).toBe(24);
    expect(enabled.length).toBeLessThan(24);
    expect(enabled.every((h) => (h as { enabled: boolean }).enabled)).toBe(true);
    c.close();
  });

  it('error envelope → permanent errors carrying errorText', async () => {
    const c = clientsFor(sim);
    const nf = await failure(c.api.getData('cameras/f0f31f69-36a2-46a3-80b6-48e4bf617db9'));
    expect([nf.kind, nf.code]).toEqual(['permanent', 'rest_404']);
    expect(nf.message).toContain('Device not found. cameras/f0f31f69-36a2-46a3-80b6-48e4bf617db9');
    const st = await failure(c.api.getArray('storages'));
    expect([st.kind, st.code]).toEqual(['permanent', 'rest_400']);
    const un = await failure(c.api.getArray('recordings'));
    expect(un.message).toContain('Unknown resource: recordings');
    c.close();
  });

  it('retries 500 (plain text) and 503 (Retry-After) and then succeeds', async () => {
    const c = clientsFor(sim);
    sim.control.failRequests({ status: 500, count: 2, pathPrefix: '/sites' });
    sim.control.failRequests({ status: 503, count: 1, pathPrefix: '/sites' });
    expect(await c.api.getArray('sites')).toHaveLength(1);
    c.close();
  });

  it('gives up after retry_for with a retryable error', async () => {
    const c = clientsFor(sim, { retryForMs: 600 });
    sim.control.failRequests({ status: 500, count: 50, pathPrefix: '/eventTypeGroups' });
    const e = await failure(c.api.getArray('eventTypeGroups'));
    expect([e.kind, e.code]).toEqual(['retryable', 'rest_500']);
    c.close();
  });

  it('expired token on REST → 401 envelope → renews once and retries', async () => {
    const c = clientsFor(sim);
    await c.api.getArray('sites');
    const tokens = stat(sim, 'tokenRequests');
    const unauthorized = stat(sim, 'restUnauthorized');
    sim.control.expireTokens();
    expect(await c.api.getArray('sites')).toHaveLength(1);
    expect(stat(sim, 'tokenRequests') - tokens).toBe(1);
    expect(stat(sim, 'restUnauthorized') - unauthorized).toBe(1);
    c.close();
  });

  it('reads hardwareDriverSettings (inner object with the MAC)', async () => {
    const c = clientsFor(sim);
    const hw = (await c.api.getArray('hardware', { disabled: true, page: 0, size: 1 }))[0];
    const s = await c.api.hardwareDriverSettings(idOf(hw)!);
    expect(s).not.toBeNull();
    expect(Object.keys(s!).some((k) => /macaddress/i.test(k))).toBe(true);
    c.close();
  });
});

describe('servers that ignore paging', () => {
  it('stop after the first oversized page; a repeated page is checked (unpaged read, then a larger page) before the listing ends', async () => {
    const sim = await startMilestoneSimulator({ hardware: 10, ignorePaging: true });
    const c = clientsFor(sim);
    const pages: number[] = [];
    for await (const p of c.api.pages('hardware', { includeDisabled: true, pageSize: 4 })) pages.push(p.length);
    expect(pages).toEqual([10]);
    const exact: number[] = [];
    for await (const p of c.api.pages('hardware', { includeDisabled: true, pageSize: 10 })) exact.push(p.length);
    expect(exact).toEqual([10]);
    // 1 (oversized) + 2 pages + 1 unpaged read + 1 page of twice the size (shorter than asked: the end).
    expect(stat(sim, 'GET /api/rest/v1/hardware')).toBe(5);
    c.close();
    await sim.close();
  });
});

describe('pure helpers', () => {
  it.each([
    ['array entry', fx.driverSettingsAnswer, '00075FD83950'],
    ['data envelope', { data: fx.driverSettingsAnswer.array[0] }, '00075FD83950'],
    ['entry itself', fx.driverSettingsAnswer.array[0], '00075FD83950'],
    ['flat settings in array', { array: [{ MacAddress: 'AA' }] }, undefined],
  ])('extractDriverSettings: %s', (_n, body, mac) => {
    const s = extractDriverSettings(body);
    expect(s).not.toBeNull();
    expect(s!.macAddress).toBe(mac);
  });

  it('extractDriverSettings: nothing usable → null', () => {
    expect(extractDriverSettings({ array: [] })).toBeNull();
    expect(extractDriverSettings('x')).toBeNull();
  });

  it.each([
    ['https://xp.local', 'https://xp.local/api/rest/v1', 'wss://xp.local/api/ws/events/v1'],
    ['https://xp.local/', 'https://xp.local/api/rest/v1', 'wss://xp.local/api/ws/events/v1'],
    ['https://xp.local:8443/api/rest/v1', 'https://xp.local:8443/api/rest/v1', 'wss://xp.local:8443/api/ws/events/v1'],
    ['http://10.0.0.5/API/', 'http://10.0.0.5/api/rest/v1', 'ws://10.0.0.5/api/ws/events/v1'],
  ])('gatewayUrls(%s)', (base, rest, ws) => {
    expect(gatewayUrls(base)).toMatchObject({ rest, ws });
  });

  it('query strings render flags bare', () => {
    expect(queryString({ disabled: true, page: 0, size: 500, skip: undefined })).toBe('?disabled&page=0&size=500');
  });

  it('idOf falls back to relations.self.id', () => {
    expect(idOf(fx.stateGroupCpu)).toBe('8c958201-aa02-40cf-a643-fa7f91d0bed2');
  });
});
