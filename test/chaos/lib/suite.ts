/**
 * Registers a chaos suite: one product stack, its initial inventory checked against every
 * simulator, then scenario after scenario (each must pass the ledger check within its bound),
 * then the final state of every device. Results (changes, losses, recovery times) are printed as a
 * table and written to $CHAOS_RESULTS (JSON) when set.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingDevices, wrongStatuses } from './ledger';
import { recoveryDeadlineMs, runScenario, waitPipelineReady, type ScenarioResult } from './scenario';
import { scenarios } from './scenarios';
import { VENDORS } from '@edge/vendors';
import { startChaosStack, waitFor, type ChaosStack } from './stack';

export interface SuiteOptions {
  title: string;
  /** 1 = full fault durations; smaller shortens them (see scenarios()). */
  scale: number;
  /** Scenario names (prefixes) to run; all when absent. */
  pick?: string[];
  /**
   * Assert each scenario's recovery bound (default). Off, the ledger check still must pass
   * (zero lost, no misorder, no new-id duplicate) with a deadline only a hang reaches, and the
   * recovery is reported against its bound.
   */
  enforceBounds?: boolean;
}

export function defineChaosSuite(o: SuiteOptions): void {
  const all = scenarios(o.scale, VENDORS);
  const chosen = o.pick ? all.filter((s) => o.pick!.some((p) => s.name.startsWith(p))) : all;
  if (o.pick && chosen.length !== o.pick.length) throw new Error(`unknown scenario in ${JSON.stringify(o.pick)}`);
  const results: ScenarioResult[] = [];
  const enforce = o.enforceBounds ?? true;
  let stack: ChaosStack;

  describe.sequential(o.title, () => {
    beforeAll(async () => {
      // Each simulator runs its chaos profile (its harness: a site small enough to sync quickly, slow enough to interrupt).
      stack = await startChaosStack();
      await waitPipelineReady(stack);
    }, 600_000);

    afterAll(async () => {
      if (results.length) {
        const rows = results.map((r) => ({
          scenario: r.name,
          changes: r.changes,
          devices: r.devices,
          lost: r.lost,
          misordered: r.misordered,
          dup_new_id: r.duplicates,
          same_id_repeats: r.same_id_repeats,
          fault_s: r.fault_s,
          recovery_s: r.recovery_s,
          settle_s: r.settle_s,
          bound_s: r.bound_s,
          within_bound: r.recovery_s <= r.bound_s && r.settle_s <= r.bound_s,
          restarts: JSON.stringify(r.restarts),
        }));
        console.table(rows);
        if (process.env.CHAOS_RESULTS) writeFileSync(process.env.CHAOS_RESULTS, JSON.stringify(results, null, 2));
      }
      await stack?.stop();
    }, 120_000);

    it('the initial inventory of every system reaches the cloud, every device, each status right', async () => {
      await waitFor(
        'every inventory complete at the cloud',
        () => {
          const done = new Set(stack.cloud.store.syncList().filter((x) => x.final && x.complete).map((x) => x.system_id));
          return done.size === stack.sims.length && missingDevices(stack).length === 0;
        },
        { timeoutMs: 300_000, lines: stack.lines },
      );
      expect(missingDevices(stack)).toEqual([]);
      await waitFor('cloud statuses equal the simulators’ truth', () => wrongStatuses(stack).length === 0, { timeoutMs: 120_000, lines: stack.lines }).catch(() => undefined);
      expect(wrongStatuses(stack)).toEqual([]);
    }, 600_000);

    for (const spec of chosen) {
      it(spec.name, async () => {
        const r = await runScenario(stack, spec, enforce);
        results.push(r);
        expect(r.lost).toBe(0);
        expect(r.misordered).toBe(0);
        expect(r.duplicates).toBe(0);
        expect(r.changes).toBeGreaterThan(0);
        if (enforce) {
          expect(r.recovery_s).toBeLessThanOrEqual(r.bound_s);
          expect(r.settle_s).toBeLessThanOrEqual(r.bound_s);
        }
      }, spec.fault.seconds * 1000 + spec.leadSeconds * 2000 + recoveryDeadlineMs(spec, enforce) + 300_000);
    }

    it('afterwards every device at the cloud has its true status and nothing is left in the DLQ', async () => {
      await waitFor('final statuses equal the truth', () => wrongStatuses(stack).length === 0, { timeoutMs: 180_000, lines: stack.lines });
      expect(missingDevices(stack)).toEqual([]);
      const fwd = await stack.status<{ forwarder: { dlq: { messages: number } | null; dead_lettered: number } }>('forwarder');
      expect(fwd.forwarder.dlq?.messages ?? 0).toBe(0);
      expect(fwd.forwarder.dead_lettered).toBe(0);
    }, 300_000);
  });
}
