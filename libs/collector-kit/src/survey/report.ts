/**
 * What `edge survey` finds about one system, and the report of a whole run. Plain data: the
 * terminal summary, `--json` and the HTML report are three renderings of the same object, and
 * the console serves it as written.
 */
export type Verdict = 'ready' | 'ready_with_warnings' | 'not_ready';
export type Level = 'ok' | 'warn' | 'fail' | 'skip';

/** One line of the survey: what was checked, how it went, and what to do about it. */
export interface Check {
  id: 'reachability' | 'tls' | 'login' | 'version' | 'reach' | 'inventory' | 'events' | 'cost';
  title: string;
  level: Level;
  detail: string;
  /** The fix in plain words, when the level is warn or fail. */
  fix?: string;
}

/** Calls of one kind (`GET /instances`, `POST /execute_method GetHardwareStatus`, …) and their timings. */
export interface CallStat {
  method: string;
  calls: number;
  total_ms: number;
  max_ms: number;
}

export interface TlsFinding {
  protocol: string | null;
  subject: string | null;
  issuer: string | null;
  valid_to: string | null;
  /** Subject names (SAN) the certificate is valid for. */
  names: string[];
  /** The chain as presented, leaf first. */
  chain: Array<{ subject: string; issuer: string; fingerprint256: string }>;
  verifies_with_system_cas: boolean;
  verifies_with_config: boolean;
  hostname_matches: boolean;
  error: string | null;
  /** The `tls.*` setting that makes it verify (null when it already does). */
  setting: string | null;
}

export interface InventoryFinding {
  total: number;
  by_native_type: Record<string, number>;
  by_canonical_type: Record<string, number>;
  with_ip: number;
  with_mac: number;
  with_hostname: number;
  /** Parent → child structure by native type: `Lnl_Panel → Lnl_Reader: 6 → 36`. */
  structure: Array<{ parent: string; child: string; parents: number; children: number }>;
}

export interface CostFinding {
  /** What the collector will call per hour at the configured intervals. */
  per_hour: Array<{ method: string; calls: number; why: string }>;
  total_per_hour: number;
  /** OnGuard: rows written to the user transaction (audit) report per day by those calls. */
  audit_rows_per_day: number | null;
  intervals: { inventory_s: number; status_s: number };
}

export interface SystemSurvey {
  system_id: string;
  vendor: string;
  base_url: string;
  started_at: string;
  duration_ms: number;
  product: { name: string | null; version: string | null; allows: string[]; lacks: string[] } | null;
  tls: TlsFinding | null;
  inventory: InventoryFinding | null;
  /** Types or collections the account could not list, with the server's reason. */
  refused: Array<{ what: string; reason: string }>;
  events: { state: 'ok' | 'silent' | 'failed' | 'unavailable' | 'skipped'; detail: string; first_sign_ms: number | null };
  cost: CostFinding | null;
  timings: { calls: CallStat[]; page_ms_avg: number | null; inventory_walk_ms: number | null; estimated_full_sync_s: number | null };
  /** Every call the survey itself made on the system (it changes nothing there). */
  survey_calls: CallStat[];
  checks: Check[];
  verdict: Verdict;
  fixes: string[];
}

export interface SurveyReport {
  schema: 'survey/v1';
  generated_at: string;
  site_id: string;
  edge_version: string;
  systems: SystemSurvey[];
}

export const VERDICT_TEXT: Record<Verdict, string> = {
  ready: 'ready',
  ready_with_warnings: 'ready with warnings',
  not_ready: 'not ready',
};
