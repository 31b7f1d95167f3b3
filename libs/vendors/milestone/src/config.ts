import { z } from 'zod';
import { ByteSize, Duration, formatDuration, formatZodIssues, permanent, RETRY_POLICIES, SystemConfig, type TlsConfig } from '@edge/platform';
import { CHILD_RESOURCE_TYPES } from './constants';
import { looksLikeWindowsAccount } from './client/ntlm';

const Guid = z
  .string()
  .regex(/^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/, 'must be a GUID')
  .transform((s) => s.toLowerCase());

/**
 * Vendor extras of a `vendor: milestone` system (flat fields next to id/base_url/…), with
 * defaults. Things the reference marks uncertain ([INF]/[3P]) are settings here: token path,
 * paging size, recording-server event types, probe fallback, WebSocket limits.
 */
export const MilestoneExtras = z
  .object({
    auth: z
      .enum(['basic', 'windows'])
      .default('basic')
      .describe('basic: XProtect basic user (password grant); windows: Active Directory account (`DOMAIN\\user` or `user@domain`), NTLM against the management server /IDP/connect/token'),
    client_id: z.string().min(1).default('GrantValidatorClient').describe('OAuth client id of the password grant'),
    token_path: z
      .string()
      .min(1)
      .optional()
      .describe('token endpoint path or URL; unset → /API/IDP/connect/token, then /IDP/connect/token, then .well-known discovery'),
    page_size: z.number().int().min(1).max(2000).default(500).describe('`size` of paged list calls (`page` is 0-based); servers that ignore paging are tolerated'),
    driver_settings: z.boolean().default(true).describe('read MAC, firmware and serial from /hardware/{id}/hardwareDriverSettings'),
    driver_settings_ttl: Duration.default(86_400_000).describe('reuse a hardware\'s driver settings while its lastModified is unchanged, for at most this long'),
    driver_settings_concurrency: z.number().int().min(1).max(32).default(8).describe('parallel hardwareDriverSettings calls'),
    camera_groups: z.boolean().default(true).describe('camera-group path as device location'),
    child_types: z
      .array(z.enum(CHILD_RESOURCE_TYPES))
      .default([...CHILD_RESOURCE_TYPES])
      .describe('device collections under hardware to inventory'),
    request_timeout: Duration.default(180_000).describe('per REST call (a live /hardware listing took >30 s)'),
    retry_for: Duration.default(120_000).describe('retry a failing REST call (5xx, 429, network) for this long'),
    command_timeout: Duration.default(30_000).describe('WebSocket command reply timeout'),
    get_state_timeout: Duration.default(300_000).describe('getState reply timeout at least (1–2 min to first byte seen at 2 600 cameras)'),
    get_state_timeout_per_camera: Duration.default(100).describe('getState timeout grows with the site: this much per camera of the last inventory, when that is more'),
    ws_max_payload: ByteSize.default(64 * 1024 * 1024).describe('largest WebSocket message accepted (getState answers are MBs)'),
    max_answer: ByteSize.default(64 * 1024 * 1024).describe('largest REST answer accepted (a server ignoring paging answers with everything at once)'),
    ws_ping_interval: Duration.default(30_000).describe('liveness ping of the events socket (paused while a command is outstanding)'),
    resume_window: Duration.default(30_000).describe('reconnect within this window resumes the events session'),
    reconnect_base: Duration.default(RETRY_POLICIES.eventStreamReconnect.baseMs).describe('events socket reconnect backoff base'),
    reconnect_cap: Duration.default(RETRY_POLICIES.eventStreamReconnect.capMs).describe('events socket reconnect backoff cap'),
    auth_retry_after: Duration.default(300_000).describe('after the IDP refused the password, wait this long before trying again'),
    account_problem_retry_after: Duration.default(1_800_000).describe('same after LockedOut / ChangePassword'),
    baseline_inventory_wait: Duration.default(30_000).describe('the first getState baseline waits this long at most for the first inventory (which knows the disabled devices); Communication Stopped rows are left to it after that, the others published'),
    state_chunk_rows: z.number().int().min(1).max(5_000).default(500).describe('getState rows per RAW status message'),
    recording_server_event_types: z
      .object({
        responding: z.array(Guid).default([]),
        not_responding: z.array(Guid).default([]),
      })
      .strict()
      .optional()
      .describe('event type GUIDs of recording server responding / not responding; unset → discovered at runtime'),
    recording_server_probe: z
      .enum(['auto', 'always', 'never'])
      .default('auto')
      .describe('TCP probe of recording servers: auto = only when their event types are unknown'),
    probe_interval: Duration.default(60_000).describe('recording-server probe period'),
    probe_timeout: Duration.default(5_000).describe('recording-server probe connect timeout'),
  })
  .strict();
export type MilestoneExtras = z.infer<typeof MilestoneExtras>;

/** A milestone system's full config: the common fields plus the extras. */
export type MilestoneConfig = MilestoneExtras & {
  id: string;
  base_url: string;
  username: string;
  password: string;
  tls: TlsConfig;
};

const BASE_KEYS = new Set(Object.keys(SystemConfig.shape));

/** Validates the extras of one system; throws a permanent EdgeError naming each bad field. */
export function parseMilestoneConfig(system: SystemConfig): MilestoneConfig {
  const extras: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(system)) if (!BASE_KEYS.has(k)) extras[k] = v;
  const parsed = MilestoneExtras.safeParse(extras);
  if (!parsed.success) {
    const problems = formatZodIssues(parsed.error).map((p) => `systems[${system.id}].${p}`);
    throw permanent('config_invalid', `invalid milestone system config:\n  - ${problems.join('\n  - ')}`);
  }
  if (parsed.data.auth === 'basic' && looksLikeWindowsAccount(system.username))
    throw permanent(
      'config_invalid',
      `invalid milestone system config:\n  - systems[${system.id}].username "${system.username}" is a Windows (Active Directory) account: set auth: windows (the password grant only works for XProtect basic users)`,
    );
  return { ...parsed.data, id: system.id, base_url: system.base_url, username: system.username, password: system.password, tls: system.tls };
}

/** Markdown table of the extras (the README's config reference is generated from this). */
export function configReference(): string {
  const rows = ['| field | default | meaning |', '|---|---|---|'];
  const durations = new Set([
    'request_timeout',
    'retry_for',
    'command_timeout',
    'get_state_timeout',
    'ws_ping_interval',
    'resume_window',
    'reconnect_base',
    'reconnect_cap',
    'auth_retry_after',
    'account_problem_retry_after',
    'probe_interval',
    'probe_timeout',
    'baseline_inventory_wait',
    'driver_settings_ttl',
    'get_state_timeout_per_camera',
  ]);
  const defaults = MilestoneExtras.parse({});
  for (const [key, schema] of Object.entries(MilestoneExtras.shape)) {
    const d = (defaults as Record<string, unknown>)[key];
    let shown: string;
    if (d === undefined) shown = '—';
    else if (durations.has(key) && typeof d === 'number') shown = `\`${formatDuration(d)}\``;
    else if (key === 'ws_max_payload' && typeof d === 'number') shown = `\`${d / 1024 / 1024}MB\``;
    else shown = `\`${JSON.stringify(d)}\``;
    rows.push(`| \`${key}\` | ${shown} | ${(schema as z.ZodType).description ?? ''} |`);
  }
  return rows.join('\n');
}
