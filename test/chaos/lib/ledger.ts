/**
 * The ledger check: what the simulators produced (their own records of every device and every
 * status change, GET /_sim/devices and /_sim/ledger) against what the cloud simulator received.
 *
 * For every device a scenario changed, the statuses the cloud received for it — unique event ids,
 * in arrival order — must be exactly the statuses the simulator's ledger lists for it, in order:
 *  - a ledger entry without its event is a LOST item;
 *  - the same statuses in another order is an ORDER violation;
 *  - an event the ledger does not explain (another id for a change already delivered, or a change
 *    that never happened) is a DUPLICATE with a new id — the cloud could not dedupe it.
 * Re-sent events with the same id are fine (the cloud dedupes them; counted, not failed).
 */
import type { ChaosStack } from './stack';
import { systemIdOf } from './stack';

export interface Mark {
  /** The last ledger seq of each vendor's simulator. */
  seqs: Record<string, number>;
  /** Index into the cloud's event list (arrival order). */
  cloudEvents: number;
  /** Repeats the cloud absorbed so far: items already held, and whole batches resent with their Idempotency-Key. */
  cloudRepeats: number;
  at: number;
}

function repeats(s: ChaosStack): number {
  return (s.cloud.store.counters.get('events_duplicates') ?? 0) + (s.cloud.store.counters.get('idempotent_repeats') ?? 0);
}

/** Canonical id of a simulator's device in the chaos config. */
const canonicalId = (vendor: string, key: string) => `${vendor}:${systemIdOf(vendor)}:${key}`;

export function mark(s: ChaosStack): Mark {
  const seqs: Record<string, number> = {};
  for (const { vendor, sim } of s.sims) seqs[vendor.id] = sim.ledger().at(-1)?.seq ?? 0;
  return {
    seqs,
    cloudEvents: s.cloud.store.events.length,
    cloudRepeats: repeats(s),
    at: Date.now(),
  };
}

/** Canonical id → statuses in the order the simulators produced them, after `m` (and up to `upTo`). */
export function expectedChanges(s: ChaosStack, m: Mark, upTo?: Mark): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (id: string, status: string) => {
    const l = out.get(id) ?? [];
    l.push(status);
    out.set(id, l);
  };
  for (const { vendor, sim } of s.sims)
    for (const e of sim.ledger(m.seqs[vendor.id] ?? 0)) if (!upTo || e.seq <= (upTo.seqs[vendor.id] ?? 0)) add(canonicalId(vendor.id, e.key), e.status);
  return out;
}

/**
 * True when the cloud holds every change made between `m` and `upTo` (later ones may still be on
 * their way): for each device, those statuses are a prefix of what it received.
 */
export function caughtUp(s: ChaosStack, m: Mark, upTo: Mark): boolean {
  const received = receivedChanges(s, m);
  for (const [device, exp] of expectedChanges(s, m, upTo)) {
    const got = received.get(device) ?? [];
    if (JSON.stringify(got.slice(0, exp.length)) !== JSON.stringify(exp)) return false;
  }
  return true;
}

/** Canonical id → statuses the cloud received since `m` (unique event ids, arrival order). */
export function receivedChanges(s: ChaosStack, m: Mark): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of s.cloud.store.events.slice(m.cloudEvents)) {
    const l = out.get(e.device_id) ?? [];
    l.push(e.status);
    out.set(e.device_id, l);
  }
  return out;
}

export interface LedgerReport {
  devices: number;
  changes: number;
  received: number;
  lost: Array<{ device: string; expected: string[]; received: string[] }>;
  misordered: Array<{ device: string; expected: string[]; received: string[] }>;
  duplicates: Array<{ device: string; expected: string[]; received: string[] }>;
  /** Same-id repeats the cloud deduplicated. */
  same_id_repeats: number;
  ok: boolean;
}

function isSubsequence(small: string[], big: string[]): boolean {
  let i = 0;
  for (const x of big) if (i < small.length && x === small[i]) i++;
  return i === small.length;
}

export function compareLedger(s: ChaosStack, m: Mark): LedgerReport {
  const expected = expectedChanges(s, m);
  const received = receivedChanges(s, m);
  const r: LedgerReport = {
    devices: expected.size,
    changes: [...expected.values()].reduce((n, l) => n + l.length, 0),
    received: [...received.values()].reduce((n, l) => n + l.length, 0),
    lost: [],
    misordered: [],
    duplicates: [],
    same_id_repeats: repeats(s) - m.cloudRepeats,
    ok: true,
  };
  for (const [device, exp] of expected) {
    const got = received.get(device) ?? [];
    if (JSON.stringify(got) === JSON.stringify(exp)) continue;
    const entry = { device, expected: exp, received: got };
    if (got.length < exp.length || !isSubsequence(exp, got)) {
      const sorted = (l: string[]) => [...l].sort().join(',');
      if (got.length === exp.length && sorted(got) === sorted(exp)) r.misordered.push(entry);
      else if (got.length < exp.length) r.lost.push(entry);
      else r.duplicates.push(entry);
    } else r.duplicates.push(entry);
  }
  for (const [device, got] of received) if (!expected.has(device)) r.duplicates.push({ device, expected: [], received: got });
  r.ok = r.lost.length === 0 && r.misordered.length === 0 && r.duplicates.length === 0;
  return r;
}

/** Every device of every simulator's truth is at the cloud (inventory not lost). */
export function missingDevices(s: ChaosStack): string[] {
  const want = s.sims.flatMap(({ vendor, sim }) => sim.devices().map((d) => canonicalId(vendor.id, d.key)));
  return want.filter((id) => !s.cloud.store.devices.has(id));
}

/** The cloud's current status of each device equals the simulators' truth. */
export function wrongStatuses(s: ChaosStack): Array<{ id: string; truth: string; cloud: string | null }> {
  const latest = new Map<string, string>();
  for (const e of s.cloud.store.events) latest.set(e.device_id, e.status);
  const out: Array<{ id: string; truth: string; cloud: string | null }> = [];
  const check = (id: string, truth: string) => {
    const cloud = latest.get(id) ?? s.cloud.store.devices.get(id)?.device?.status ?? null;
    if (cloud !== truth) out.push({ id, truth, cloud });
  };
  for (const { vendor, sim } of s.sims) for (const d of sim.devices()) check(canonicalId(vendor.id, d.key), d.expected_status);
  return out;
}
