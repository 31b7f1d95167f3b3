import type { CallStat, CostFinding } from '@edge/collector-kit/survey';
import { perHour } from '@edge/collector-kit/survey';
import type { OnGuardSystemConfig } from '../index';

export interface OnGuardLoad {
  /** REST calls one inventory listing made, by kind (measured by the survey's walk). */
  listingCalls: CallStat[];
  panels: number;
  statusCapable: number;
  /** Session lifetime the server granted (ms), when known. */
  sessionMs: number | null;
}

/**
 * The load the collector will put on OnGuard at the configured intervals: each sync lists what
 * the survey listed (same calls), and reads status (UpdateHardwareStatus per panel,
 * GetHardwareStatus per device of a type that has it) when `inventory.status` is on; each status
 * poll reads status the same way. Audit rows [I]: no public source lists which OpenAccess calls
 * the user transaction report records; integrators report that status updates and queries do,
 * so each UpdateHardwareStatus / GetHardwareStatus counts as one row (logins and listings not).
 */
export function onguardCost(cfg: OnGuardSystemConfig, load: OnGuardLoad): CostFinding {
  const syncs = perHour(cfg.inventory_interval);
  const polls = perHour(cfg.status_interval);
  const statusPasses = polls + (cfg.inventory.status ? syncs : 0);
  const lines: CostFinding['per_hour'] = [];
  for (const c of load.listingCalls) lines.push({ method: c.method, calls: c.calls * syncs, why: `${c.calls} per inventory sync × ${fmt(syncs)} syncs/h` });
  if (cfg.status.update_panels && load.panels > 0)
    lines.push({ method: 'POST /execute_method UpdateHardwareStatus', calls: load.panels * statusPasses, why: `${load.panels} panels × ${fmt(statusPasses)} status passes/h` });
  if (load.statusCapable > 0)
    lines.push({ method: 'POST /execute_method GetHardwareStatus', calls: load.statusCapable * statusPasses, why: `${load.statusCapable} devices × ${fmt(statusPasses)} status passes/h` });
  const lifetime = load.sessionMs ?? 60 * 60_000;
  const renewEvery = Math.max(60_000, lifetime - Math.min(cfg.session.renew_before, lifetime * 0.2));
  lines.push({ method: 'POST /authentication', calls: perHour(renewEvery), why: `one login per session (renewed every ${Math.round(renewEvery / 60_000)} min)` });
  lines.push({ method: 'DELETE /authentication', calls: perHour(renewEvery), why: 'the replaced session is logged out' });
  lines.push({ method: 'GET /keepalive', calls: perHour(cfg.session.keepalive_interval), why: `at most one per ${Math.round(cfg.session.keepalive_interval / 60_000)} min, only when idle` });
  if (cfg.events.enabled) lines.push({ method: 'hub ConnectionHeartbeat', calls: perHour(cfg.events.heartbeat_interval), why: `every ${cfg.events.heartbeat_interval / 1000} s on the event bridge` });
  const rounded = lines.map((l) => ({ ...l, calls: Math.round(l.calls * 10) / 10 })).filter((l) => l.calls > 0);
  const statusPerHour = rounded.filter((l) => l.method.startsWith('POST /execute_method')).reduce((a, l) => a + l.calls, 0);
  return {
    per_hour: rounded,
    total_per_hour: Math.round(rounded.reduce((a, l) => a + l.calls, 0)),
    audit_rows_per_day: Math.round(statusPerHour * 24),
    intervals: { inventory_s: cfg.inventory_interval / 1000, status_s: cfg.status_interval / 1000 },
  };
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}
