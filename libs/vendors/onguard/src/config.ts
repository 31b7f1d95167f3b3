import { z } from 'zod';
import { ByteSize, Duration, EdgeError, formatDuration, formatZodIssues, RETRY_POLICIES, type SystemConfig } from '@edge/platform';

/** The OpenAccess REST root under a server's base URL. */
export const OPENACCESS_PATH = '/api/access/onguard/openaccess';

/** Hardware types the inventory asks for when `/types` lists them (others are skipped, not failed). */
export const DEFAULT_INVENTORY_TYPES = [
  'Lnl_Panel',
  'Lnl_Reader',
  'Lnl_AlarmPanel',
  'Lnl_Camera',
  'Lnl_IntrusionPanel',
  'Lnl_IntrusionArea',
  'Lnl_IntrusionZone',
  'Lnl_IntrusionDoor',
  'Lnl_IntrusionOutput',
];

const RegexText = z.string().refine((s) => {
  try {
    new RegExp(s, 'i');
    return true;
  } catch {
    return false;
  }
}, 'must be a valid regular expression');

/**
 * Event field names and texts. The real hardware-event payload keys are not public (reference
 * §5.4 [I]), so every name the collector reads is a list tried in order, case-insensitively.
 */
export const EventFieldsConfig = z
  .object({
    event_class: z.array(z.string().min(1)).default(['business_event_class']).describe('event keys tried in order, case-insensitively'),
    panel: z.array(z.string().min(1)).default(['panel_id', 'controller_id', 'ControllerID', 'PanelID']).describe('event keys tried in order, case-insensitively'),
    device: z.array(z.string().min(1)).default(['device_id', 'reader_id', 'DeviceID', 'ReaderID']).describe('event keys tried in order, case-insensitively'),
    subdevice: z.array(z.string().min(1)).default(['subdevice_id', 'SubDeviceID', 'SecondaryDeviceID']).describe('event keys tried in order, case-insensitively'),
    time: z.array(z.string().min(1)).default(['time_stamp', 'timestamp', 'Time', 'EventTime']).describe('event keys tried in order, case-insensitively'),
    description: z.array(z.string().min(1)).default(['description', 'Description', 'event_text', 'EventText']).describe('event keys tried in order, case-insensitively'),
    event_id: z.array(z.string().min(1)).default(['serial_number', 'SerialNumber', 'id']).describe('event keys tried in order, case-insensitively'),
    /** Keys that are known but unused; anything else is logged once as unknown. */
    known: z
      .array(z.string())
      .default([
        'event_type',
        'event_subtype',
        'controller_name',
        'device_name',
        'subdevice_name',
        'segment_id',
        'event_source_name',
        'alarm_priority',
        'must_acknowledge',
        'Type',
        'SubType',
        'CommServerHostName',
        'SegmentID',
      ])
      .describe('keys read by nobody but expected (not logged as unknown)'),
  })
  .strict();

export const EventsConfig = z
  .object({
    enabled: z.boolean().default(true).describe('subscribe to the Web Event Bridge'),
    bridge_path: z.string().default('eventbridge').describe('path of the SignalR endpoint under the OpenAccess root'),
    hub: z.string().default('Outbound').describe('SignalR hub name'),
    transport: z.enum(['auto', 'webSockets', 'longPolling']).default('auto').describe('auto = WebSockets, long polling as fallback'),
    filter: z.string().default("business_event_class eq 'hardware_event'").describe('event subscription filter (OData-like)'),
    description: z.string().default('edge-collector hardware events').describe('event subscription description'),
    heartbeat_interval: Duration.default(10_000).describe('ConnectionHeartbeat period (the Lenel sample uses 10 s)'),
    invoke_timeout: Duration.default(15_000).describe('hub call without an answer → connection treated as lost'),
    reconnect_base: Duration.default(RETRY_POLICIES.eventStreamReconnect.baseMs).describe('first wait before reconnecting the bridge'),
    reconnect_cap: Duration.default(RETRY_POLICIES.eventStreamReconnect.capMs).describe('longest wait before reconnecting the bridge'),
    bus_lost_grace: Duration.default(30_000).describe('restart the bridge when the message bus stays lost this long'),
    fields: EventFieldsConfig.prefault({}),
    class_fields: z
      .record(z.string().min(1), EventFieldsConfig.partial())
      .default({})
      .describe('per business_event_class: key lists that replace those of `fields` for events of that class'),
    keep_raw_events: z.number().int().min(0).max(200).default(20).describe('last event bodies kept (secrets scrubbed) for /status and edge status --raw-events'),
    unresolved_warn_interval: Duration.default(60 * 60_000).describe('warn at most this often when events arrive but none names a known device'),
    lost_pattern: RegexText.default('communications? (lost|failure)').describe('description → device offline now'),
    restored_pattern: RegexText.default('communications? restored').describe('description → device online now'),
    suspect_pattern: RegexText.default('offline|online|tamper|power|fault|battery|communications?').describe(
      'description → confirm with GetHardwareStatus',
    ),
    confirm: z.boolean().default(true).describe('confirm lost/restored/suspect events with a targeted GetHardwareStatus'),
    confirm_delay: Duration.default(500).describe('wait before the confirming read (the comm server updates first)'),
    confirm_children: z.boolean().default(true).describe("on a panel's event, also read its readers and modules when the panel's status changed"),
    gap_recovery: z
      .enum(['logged_events', 'panels'])
      .default('logged_events')
      .describe('after a bridge gap: the events of the gap from /logged_events since the last serial seen (panels when unsupported), or the panels only'),
    naive_times: z.enum(['utc', 'local']).default('utc').describe('zone of event times that carry no offset'),
    max_message: ByteSize.default(16 * 1024 * 1024).describe('largest Event Bridge message or answer accepted (WebSocket frame, poll answer)'),
  })
  .strict();

export const InventoryConfig = z
  .object({
    page_size: z.number().int().min(1).max(100).default(100).describe('OpenAccess caps page_size at 100'),
    types: z.array(z.string().regex(/^Lnl_\w+$/)).default(DEFAULT_INVENTORY_TYPES).describe('hardware types listed when the server has them (GET /types)'),
    video_recorders: z.boolean().default(true).describe('GET /video_recorders (OnGuard 7.5+)'),
    skip_panel_types: z.array(z.string()).default(['Logical Source']).describe('Lnl_Panel rows that are not hardware'),
    intrusion_panel_pattern: RegexText.default('intrusion|galaxy|dmp|detection systems|bosch|nexwatch|napco|caddx|vista').describe(
      'PanelType → intrusion_panel',
    ),
    skip_blank_camera_names: z.boolean().default(true).describe('blank Lnl_Camera rows are placeholders (PSDataConduIT filters NAME!="")'),
    status: z.boolean().default(true).describe('compose devices with their hardware status (read as status.full_sweep_interval allows; otherwise the last read)'),
  })
  .strict();

export const StatusConfig = z
  .object({
    concurrency: z.number().int().min(1).max(32).default(4).describe('parallel GetHardwareStatus calls'),
    update_panels: z.boolean().default(true).describe('UpdateHardwareStatus on each panel before a full sweep'),
    update_settle: Duration.default(500).describe('wait after UpdateHardwareStatus before reading'),
    max_per_second: z.number().min(0).default(0).describe('cap on status calls per second (0 = concurrency only)'),
    full_sweep_interval: Duration.default(24 * 60 * 60_000).describe(
      'UpdateHardwareStatus + GetHardwareStatus of every device at most this often (0 = every poll and sync); in between, panels only, and the devices of a panel whose status or an event says something changed',
    ),
  })
  .strict();

export const SessionConfig = z
  .object({
    renew_before: Duration.default(5 * 60_000).describe('log in again this long before token_expiration_time'),
    keepalive_interval: Duration.default(5 * 60_000).describe('GET /keepalive when idle this long'),
    auth_backoff_base: Duration.default(RETRY_POLICIES.vendorAuthRefused.baseMs).describe('first wait after a licence or credential refusal'),
    auth_backoff_cap: Duration.default(RETRY_POLICIES.vendorAuthRefused.capMs).describe('longest wait between attempts after refusals'),
    logout_on_stop: z.boolean().default(true).describe('DELETE /authentication on shutdown'),
  })
  .strict();

/**
 * The trade-off an integrator can show the customer (rendered into docs/CONFIG.md). Every
 * hardware-status call is written to OnGuard's user transaction report: Milestone documents this
 * for its own integration (mjt-milestone/XPALenelS2DocSite, Troubleshooting/FloodingOnGuardReports.md).
 */
export const AUDIT_LOAD_NOTE = [
  '**OnGuard audit log and server load.** OnGuard writes a row to its User Transaction report for every hardware-status',
  "call an integration makes (`UpdateHardwareStatus`, `GetHardwareStatus`), under the integration's account, and that report",
  'cannot filter the account out. Reading every reader of a 20 000-reader site every 15 minutes would write millions of rows',
  'a day and keep the Communication Server busy. By default the collector therefore reads the status of the panels only',
  '(`status.full_sweep_interval` sets how often every device is read, default once a day, with `UpdateHardwareStatus` on',
  "the panels first when `status.update_panels` is on); the readers and modules of a panel are read only when that panel's",
  'status changed or an event names them. Real-time changes arrive as events; after an interruption of the event stream the',
  'collector reads the events of the gap from `/logged_events` and then only the devices they name (`events.gap_recovery`).',
  'Where a server cannot filter its logged events that way, a change to a single reader during such a gap (its panel',
  'unchanged) shows at the next full sweep. All OpenAccess calls are capped at `max_calls_per_second` (default 50 a second, a ceiling against bursts such as the first full sweep; the steady load is far below it); the',
  "collector's `/status` counts its calls per method over the last hour. Lowering `status.full_sweep_interval` (or setting",
  'it to `0`, every poll) gives fresher reader states at the price of that many more audit rows and server work.',
].join(' ');

/** Vendor extras of an OnGuard system (validated here; platform passes them through). */
export const OnGuardExtras = z.object({
  directory_id: z.string().min(1).default('id-1').describe('authentication directory; id-1 is the internal one'),
  application_id: z.string().min(1).describe('licensed Application-Id (use ${VAR})'),
  api_version: z.string().default('1.0').describe('the `version` parameter sent on every call'),
  request_timeout: Duration.default(30_000).describe('OpenAccess stops requests after 30 s'),
  connect_timeout: Duration.default(10_000).describe('TCP + TLS connect'),
  max_concurrency: z.number().int().min(1).max(64).default(8).describe('HTTP requests in flight'),
  request_retries: z.number().int().min(0).max(10).default(3).describe('retries of idempotent calls on 5xx/timeouts'),
  max_calls_per_second: z.number().min(0).default(50).describe('cap on OpenAccess calls per second, all methods (0 = none); see docs/CONFIG.md on audit-log load'),
  recorder_is_online: z.enum(['enabled', 'live']).default('enabled').describe('meaning of /video_recorders is_online [I]'),
  session: SessionConfig.prefault({}),
  inventory: InventoryConfig.prefault({}),
  status: StatusConfig.prefault({}),
  events: EventsConfig.prefault({}),
});

export type OnGuardExtras = z.infer<typeof OnGuardExtras>;
export type OnGuardSystemConfig = SystemConfig & OnGuardExtras;
export type EventsConfig = z.infer<typeof EventsConfig>;

/** A config problem: permanent (a restart with the same file cannot fix it); names the fields. */
export class OnGuardConfigError extends EdgeError {
  constructor(readonly problems: string[]) {
    super('permanent', 'config_invalid', `invalid OnGuard system config:\n  - ${problems.join('\n  - ')}`);
    this.name = 'OnGuardConfigError';
  }
}

/** Validates the vendor extras of one configured system; errors name `systems[<id>].<field>`. */
export function parseOnGuardSystem(system: SystemConfig): OnGuardSystemConfig {
  const r = OnGuardExtras.safeParse(system);
  if (!r.success) throw new OnGuardConfigError(formatZodIssues(r.error).map((p) => `systems[${system.id}].${p}`));
  return { ...system, ...r.data };
}

const DURATION_KEY = /(timeout|interval|before|backoff_base|backoff_cap|settle|delay|grace|reconnect_base|reconnect_cap)$/;

/** Markdown table of the extras with defaults (the README's config reference is generated from this). */
export function configReference(): string {
  const rows = ['| field | default | meaning |', '|---|---|---|'];
  const walk = (shape: Record<string, z.ZodType>, defaults: Record<string, unknown>, prefix: string) => {
    for (const [key, schema] of Object.entries(shape)) {
      const d = defaults[key];
      const inner = (schema as unknown as { def?: { innerType?: { shape?: Record<string, z.ZodType> } } }).def?.innerType?.shape;
      if (inner && d && typeof d === 'object' && !Array.isArray(d)) {
        walk(inner, d as Record<string, unknown>, `${prefix}${key}.`);
        continue;
      }
      let shown: string;
      if (d === undefined) shown = '(required)';
      else if (typeof d === 'number' && DURATION_KEY.test(key)) shown = `\`${formatDuration(d)}\``;
      else shown = `\`${JSON.stringify(d).replace(/\|/g, '\\|')}\``;
      rows.push(`| \`${prefix}${key}\` | ${shown} | ${(schema.description ?? '').replace(/\|/g, '\\|')} |`);
    }
  };
  const defaults = OnGuardExtras.parse({ application_id: 'x' }) as Record<string, unknown>;
  defaults.application_id = undefined;
  walk(OnGuardExtras.shape as unknown as Record<string, z.ZodType>, defaults, '');
  return rows.join('\n');
}

/** `https://og:8080` → `https://og:8080/api/access/onguard/openaccess`; a URL already ending in the path is kept. */
export function openAccessBase(baseUrl: string): string {
  const trimmed = baseUrl.replace(/\/+$/, '');
  return trimmed.toLowerCase().endsWith(OPENACCESS_PATH) ? trimmed : `${trimmed}${OPENACCESS_PATH}`;
}
