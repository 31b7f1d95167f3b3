/**
 * The vendors' simulators, from the vendor list: each descriptor names its simulator's harness
 * module (the vendor lib cannot import its simulator, which imports the lib). The demo, the chaos
 * suite and the tests start them through here.
 */
import { join } from 'node:path';
import type { RunningSimulator, SimulatorHarness } from '@edge/collector-kit/vendor';
import { VENDORS, type VendorDescriptor } from '@edge/vendors';
import { REPO_ROOT } from './services';

export interface VendorSimulator {
  vendor: VendorDescriptor;
  sim: RunningSimulator;
}

/** The harness a vendor's descriptor names (`simulator.harness`, a module exporting `simulator`). */
export async function harnessOf(v: VendorDescriptor): Promise<SimulatorHarness> {
  const m = (await import(join(REPO_ROOT, v.simulator.harness))) as { simulator?: SimulatorHarness };
  if (typeof m.simulator?.start !== 'function') throw new Error(`${v.simulator.harness} exports no simulator harness (\`export const simulator: SimulatorHarness\`)`);
  return m.simulator;
}

/** Starts every vendor's simulator (in this process), each on `port(v)` when given, else a free port. */
export async function startVendorSimulators(profile: 'demo' | 'chaos' | 'test', port?: (v: VendorDescriptor) => number | undefined): Promise<VendorSimulator[]> {
  return Promise.all(VENDORS.map(async (vendor) => ({ vendor, sim: await (await harnessOf(vendor)).start({ profile, port: port?.(vendor) }) })));
}

/** `DEMO_ONGUARD`: the prefix of the `${VAR}`s a simulator's system reads its secrets from. */
export function envPrefix(scope: string, v: VendorDescriptor): string {
  return `${scope}_${v.id.toUpperCase()}`;
}
