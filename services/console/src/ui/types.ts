export interface SyncReport {
  sync_id: string;
  started_at: string;
  finished_at: string | null;
  devices: number;
  complete: boolean | null;
  error?: string | null;
  partial?: unknown;
}
export interface SystemStatus {
  system_id: string;
  vendor: string;
  state: { connection: string; events?: string; last_error?: string | null; details?: Record<string, unknown> };
  syncing?: boolean;
  last_sync?: SyncReport | null;
  last_complete_sync?: SyncReport | null;
  counters?: Record<string, number>;
}
export interface ServiceView {
  name: string;
  ready: { ok: boolean; checks: Record<string, boolean | string> } | null;
  status: {
    service?: { name: string; version?: string; uptime_s?: number; rss_mb?: number };
    systems?: SystemStatus[];
    forwarder?: {
      alert?: string | null;
      circuit?: { state: string };
      backlog?: { messages?: number; bytes?: number; oldest_age_s?: number | null } | null;
      dlq?: { messages: number; bytes?: number } | null;
      last_delivered_at?: string | null;
      delivered?: Record<string, number>;
      heartbeat?: { last_ok_at?: string | null; sent?: number; failed?: number } | null;
    };
  };
}
export interface TimelinePoint {
  t: string;
  offline: number;
  degraded: number;
  total: number;
}
export interface HealthEventView {
  device_id: string;
  system_id: string;
  name: string | null;
  status: string;
  previous_status: string | null;
  reason: string | null;
  timestamp: string;
}
export interface SiteView {
  site_id: string;
  at: string;
  services: ServiceView[];
  counts: Record<string, Record<string, number>>;
  health: { bucket_s?: number; timeline?: Record<string, TimelinePoint[]>; events?: HealthEventView[] } | null;
  surveys: Array<{ system_id: string; verdict: string; generated_at: string; calls_per_hour: number | null; version: string | null }>;
}
export interface DeviceRow {
  id: string;
  system_id: string;
  status: string;
  status_changed_at: string | null;
  reason: string | null;
  device: { name: string; type: string; parent_id: string | null; ip: string | null } | null;
}
