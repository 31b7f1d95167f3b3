import { describe, expect, it } from 'vitest';
import { CallMeter, type SurveyContext } from '@edge/collector-kit/survey';
import { waitUntil } from '@edge/platform/testing';
import { startGenetecSimulator } from '@edge/sim-genetec';
import { genetecVendor } from '../src';
import { lifecycle, quietLog, systemFor } from './helpers';

const keep = lifecycle();

function context(system: SurveyContext['system']): SurveyContext {
  return { system: { ...system, inventory_interval: 3_600_000, status_interval: 300_000 }, siteId: 'site-t', customerId: 'cust-t', eventsWaitMs: 5_000, timeoutMs: 10_000, log: quietLog, meter: new CallMeter(), progress: () => undefined };
}

describe('edge survey of a Security Center system (through the descriptor)', () => {
  it('signs in, counts every entity per type as the simulator has them, sees the event stream, and unsubscribes', async () => {
    const sim = keep(await startGenetecSimulator({ cameras: 9, doors: 6, heartbeatMs: 200 }));
    const survey = await genetecVendor.survey();
    const f = await survey(context(systemFor(sim)));
    const level = (id: string) => f.checks.find((c) => c.id === id)?.level;
    expect([level('login'), level('reach'), level('inventory'), level('events')]).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(f.inventory?.total).toBe(sim.model.size);
    for (const t of ['Server', 'Role', 'VideoUnit', 'Unit', 'Camera', 'Door']) expect(f.inventory?.by_native_type[t], t).toBe(sim.model.list(t).length);
    expect(f.inventory?.with_ip).toBeGreaterThanOrEqual(9);
    expect(f.events.first_sign_ms).not.toBeNull();
    expect(f.cost?.total_per_hour).toBeGreaterThan(0);
    expect(sim.control.stats().requests['/events/unsubscribe']).toBe(1);
    await waitUntil('the survey closed its stream', () => sim.control.openStreams() === 0);
  });

  it('a licence refusal fails the login with the reason and the fix, and the survey stops there', async () => {
    const sim = keep(await startGenetecSimulator({ cameras: 2, doors: 1 }));
    sim.control.setLicenceRefused(true);
    const f = await (await genetecVendor.survey())(context(systemFor(sim)));
    const login = f.checks.find((c) => c.id === 'login');
    expect(login).toMatchObject({ level: 'fail', detail: expect.stringMatching(/genetec_licence_refused|Web SDK option/) });
    expect(login?.fix).toMatch(/licence/);
    expect(f.inventory).toBeNull();
    expect(sim.control.stats().requests['/report/EntityConfiguration']).toBeUndefined();
  });
});
