import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMilestoneSimulator, type MilestoneSimulator } from '@edge/sim-milestone';
import { EdgeError, SystemConfig } from '@edge/platform';
import { parseMilestoneConfig } from '../src';
import { clientsFor, stat } from './helpers';

describe('Windows (Active Directory) service accounts', () => {
  let sim: MilestoneSimulator;
  beforeAll(async () => {
    sim = await startMilestoneSimulator({ hardware: 2, windowsUsername: 'CORP\\svc-xp', windowsPassword: 'Wind0ws-pw!' });
  });
  afterAll(async () => sim.close());

  it('auth: windows gets a token by NTLM from the direct /IDP/connect/token and reads the REST API with it', async () => {
    const c = clientsFor(sim, { username: 'CORP\\svc-xp', password: 'Wind0ws-pw!', mode: 'windows' });
    const cams = await c.api.getArray('cameras');
    expect(cams.length).toBeGreaterThan(0);
    expect(c.auth.state().token_url).toBe(`${sim.url}/IDP/connect/token`);
    expect(stat(sim, 'windowsTokens')).toBeGreaterThanOrEqual(1);
    c.close();
  });

  it('a user@domain name works the same way', async () => {
    const c = clientsFor(sim, { username: 'svc-xp@corp.example', password: 'Wind0ws-pw!', mode: 'windows' });
    expect((await c.auth.getToken()).split('.')).toHaveLength(3);
    c.close();
  });

  it('the password grant is refused for the Windows account (the simulator answers as the IDP does)', async () => {
    const c = clientsFor(sim, { username: 'CORP\\svc-xp', password: 'Wind0ws-pw!', mode: 'basic' });
    const e = await c.auth.getToken().then(
      () => null,
      (x: unknown) => x as EdgeError,
    );
    expect(e?.kind).toBe('auth');
    c.close();
  });

  it('a wrong Windows password is an auth error that names NTLM, remembered (no second handshake)', async () => {
    const c = clientsFor(sim, { username: 'CORP\\svc-xp', password: 'nope', mode: 'windows' });
    const before = stat(sim, 'tokenRequests');
    const e = await c.auth.getToken().then(
      () => null,
      (x: unknown) => x as EdgeError,
    );
    expect(e).toBeInstanceOf(EdgeError);
    expect(e!.kind).toBe('auth');
    expect(e!.message).toMatch(/NTLM/);
    await expect(c.auth.getToken()).rejects.toBe(e);
    // Negotiate + authenticate legs of one attempt, nothing more.
    expect(stat(sim, 'tokenRequests') - before).toBe(2);
    c.close();
  });

  it('config check refuses a DOMAIN\\user or user@domain with auth: basic, saying what to set', () => {
    for (const username of ['CORP\\svc-xp', 'svc-xp@corp.example']) {
      const sys = SystemConfig.parse({ id: 'xp', vendor: 'milestone', base_url: 'https://xp.local', username, password: 'x' });
      expect(() => parseMilestoneConfig(sys)).toThrow(/set auth: windows/);
      expect(parseMilestoneConfig(SystemConfig.parse({ ...sys, auth: 'windows' })).auth).toBe('windows');
    }
  });
});
