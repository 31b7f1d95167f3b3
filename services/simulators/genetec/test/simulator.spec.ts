import { afterEach, describe, expect, it } from 'vitest';
import { entityCount, shapeForSize, startGenetecSimulator, type GenetecSimulator } from '../src';

let sim: GenetecSimulator | null = null;
afterEach(async () => {
  await sim?.close();
  sim = null;
});

function auth(s: GenetecSimulator, appId = s.credentials.applicationId): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${s.credentials.username};${appId}:${s.credentials.password}`).toString('base64')}`, accept: 'text/json' };
}

describe('Genetec Web SDK simulator', () => {
  it('sizes a site to the entity count asked for', () => {
    for (const n of [50, 1_000, 20_000]) expect(Math.abs(entityCount(shapeForSize(n)) - n)).toBeLessThanOrEqual(1);
  });

  it('answers the report with one extra row while another page exists, and refuses a wrong ApplicationId', async () => {
    sim = await startGenetecSimulator({ cameras: 10, doors: 2 });
    const page = async (n: number) => (await (await fetch(`${sim!.url}/WebSdk/report/EntityConfiguration?q=EntityTypes@Camera,Page=${n},PageSize=4`, { headers: auth(sim!) })).json()) as { Rsp: { Result: unknown[] } };
    expect([(await page(1)).Rsp.Result.length, (await page(2)).Rsp.Result.length, (await page(3)).Rsp.Result.length]).toEqual([5, 5, 2]);
    const refused = await fetch(`${sim.url}/WebSdk/`, { headers: auth(sim, 'another-app') });
    expect(refused.status).toBe(401);
  });

  it('answers legacy XML to a client that does not ask for text/json', async () => {
    sim = await startGenetecSimulator();
    const res = await fetch(`${sim.url}/WebSdk/`, { headers: { authorization: auth(sim).authorization } });
    expect(await res.text()).toMatch(/^<rsp/);
  });

  it('is driven over HTTP under /_sim/ as well (state, maintenance, licence, stats)', async () => {
    sim = await startGenetecSimulator({ cameras: 2, doors: 1 });
    const post = (path: string, b: unknown) => fetch(`${sim!.url}/_sim${path}`, { method: 'POST', body: JSON.stringify(b) });
    const cams = (await (await fetch(`${sim.url}/_sim/entities?type=Camera`)).json()) as Array<{ guid: string }>;
    expect(cams.length).toBe(2);
    expect((await post(`/entities/${cams[0].guid}/state`, { state: 'warning' })).status).toBe(200);
    expect((await post(`/entities/${cams[1].guid}/maintenance`, { reason: 'cleaning' })).status).toBe(200);
    expect(sim.model.list('Camera').map((c) => [c.state, c.maintenance?.reason ?? null])).toEqual([
      ['warning', null],
      ['online', 'cleaning'],
    ]);
    expect((await post('/entities/not-a-guid/state', { state: 'offline' })).status).toBe(400);
    expect((await post('/licence', { refused: true })).status).toBe(200);
    expect((await fetch(`${sim.url}/WebSdk/`, { headers: auth(sim) })).status).toBe(403);
    const stats = (await (await fetch(`${sim.url}/_sim/stats`)).json()) as { entities: number };
    expect(stats.entities).toBe(sim.model.size);
  });
});
