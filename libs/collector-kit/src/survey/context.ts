import type { Logger } from 'pino';
import type { SystemConfig } from '@edge/platform';
import type { Check, CostFinding, InventoryFinding, SystemSurvey } from './report';
import type { CallMeter } from './meter';

/** What a vendor survey gets: the system as configured, limits, and where to report progress. */
export interface SurveyContext {
  system: SystemConfig;
  siteId: string;
  customerId: string;
  /** How long the event stream gets to show a sign of life. */
  eventsWaitMs: number;
  timeoutMs: number;
  log: Logger;
  meter: CallMeter;
  progress(step: string): void;
}

/** What a vendor survey finds (the common part — reachability, TLS, verdict — is added around it). */
export interface VendorFindings {
  checks: Check[];
  product: SystemSurvey['product'];
  inventory: InventoryFinding | null;
  refused: SystemSurvey['refused'];
  events: SystemSurvey['events'];
  cost: CostFinding | null;
  timings: SystemSurvey['timings'];
}

export type VendorSurvey = (ctx: SurveyContext) => Promise<VendorFindings>;

export const perHour = (intervalMs: number): number => (intervalMs > 0 ? 3_600_000 / intervalMs : 0);

/** A version string's numeric parts: `8.3.298.1` → [8, 3, 298, 1]. */
export function versionParts(v: string | null | undefined): number[] {
  return (v ?? '').split(/[.\s]/).map((x) => Number.parseInt(x, 10)).filter((n) => Number.isFinite(n));
}

/** a < b by numeric parts. */
export function versionBelow(v: number[], floor: number[]): boolean {
  for (let i = 0; i < floor.length; i++) {
    const a = v[i] ?? 0;
    if (a !== floor[i]) return a < floor[i];
  }
  return false;
}

/** Findings before any check ran: every vendor survey starts from these. */
export function emptyFindings(): VendorFindings {
  return {
    checks: [],
    product: null,
    inventory: null,
    refused: [],
    events: { state: 'skipped', detail: 'not reached', first_sign_ms: null },
    cost: null,
    timings: { calls: [], page_ms_avg: null, inventory_walk_ms: null, estimated_full_sync_s: null },
  };
}
