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
});
