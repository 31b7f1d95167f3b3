import { z } from 'zod';
import { Duration, formatDuration, formatZodIssues, permanent, SystemConfig, type TlsConfig } from '@edge/platform';
import { DEFAULT_ENTITY_TYPES, DEFAULT_EVENT_TYPES, DEFAULT_WEB_SDK_PATH } from './constants';

const Meaning = z.enum(['online', 'offline', 'degraded']);

/**
 * Vendor extras of a `vendor: genetec` system (flat fields next to id/base_url/…), with defaults.
 * Everything the public material leaves uncertain is a setting here (field names of network
 * data, event type names, projection batch size); see the lib's README for the sources.
 */
export const GenetecExtras = z
  .object({
    application_id: z
      .string()
      .min(1)
      .describe("ApplicationId of the SDK certificate; sent as the user name's `;ApplicationId` suffix. Use ${VAR}: it is a licence part"),
    web_sdk_path: z
      .string()
      .regex(/^\/[^?#]*$/, 'must be a path starting with /')
      .default(DEFAULT_WEB_SDK_PATH)
      .describe('path of the Web-based SDK role (its Base URI property) under base_url'),
    entity_types: z
      .array(z.string().regex(/^[A-Za-z]+$/, 'must be a Security Center entity type name'))
      .min(1)
      .default([...DEFAULT_ENTITY_TYPES])
      .describe('entity types listed by the inventory (EntityConfiguration report), parents first'),
    extra_fields: z
      .record(z.string(), z.array(z.string().regex(/^[A-Za-z]+$/)))
      .default({
        VideoUnit: ['IPAddress', 'MacAddress', 'Hostname', 'Manufacturer', 'Model', 'FirmwareVersion'],
        Unit: ['IPAddress', 'MacAddress', 'Hostname', 'Manufacturer', 'Model', 'FirmwareVersion'],
        Server: ['Hostname', 'IPAddress'],
      })
      .describe('per entity type, fields projected besides identity and status (network data is not a basic property; names are inference). A type whose extras the server refuses is read with the base fields'),
    page_size: z.number().int().min(1).max(10_000).default(1000).describe('PageSize of the EntityConfiguration report; the server returns one extra row when another page exists'),
    projection_batch: z.number().int().min(1).max(200).default(20).describe('entities per `/entity?q=entity=…` projection call (bounded by the server\'s URL length)'),
    concurrency: z.number().int().min(1).max(16).default(4).describe('parallel projection calls'),
    events: z.boolean().default(true).describe('subscribe to connection events and hold the /events stream (uses one persistent SDK connection of the licence)'),
    event_types: z
      .record(z.string(), z.record(z.string(), Meaning))
      .default(DEFAULT_EVENT_TYPES)
      .describe('per entity type, event type → online/offline/degraded; each pair becomes an `event(<type>,<event>)` subscription'),
    session_keepalive: Duration.default(60_000).describe('a cheap request this often keeps the Web SDK session from idling out (sessions idle out after 5 min)'),
    stream_silence: Duration.default(90_000).describe('no byte on the /events stream for this long → the stream is treated as dead and reopened'),
    reconcile_after_gap: Duration.default(5_000).describe('an event stream down for longer than this is followed by a status poll'),
    reconnect_base: Duration.default(1_000).describe('event stream reconnect backoff base'),
    reconnect_cap: Duration.default(60_000).describe('event stream reconnect backoff cap'),
    request_timeout: Duration.default(60_000).describe('per Web SDK request'),
    retry_for: Duration.default(60_000).describe('retry a failing request (5xx, 429, network) for this long'),
    refused_retry_after: Duration.default(300_000).describe('after a licence, privilege or password refusal, wait this long before asking again'),
    state_chunk_rows: z.number().int().min(1).max(5_000).default(500).describe('entity states per RAW status message of a poll'),
  })
  .strict();
export type GenetecExtras = z.infer<typeof GenetecExtras>;

/** A genetec system's full config: the common fields plus the extras. */
export type GenetecConfig = GenetecExtras & {
  id: string;
  base_url: string;
  username: string;
  password: string;
  tls: TlsConfig;
};

const BASE_KEYS = new Set(Object.keys(SystemConfig.shape));

/** Validates the extras of one system; throws a permanent EdgeError naming each bad field. */
export function parseGenetecConfig(system: SystemConfig): GenetecConfig {
  const extras: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(system)) if (!BASE_KEYS.has(k)) extras[k] = v;
  const parsed = GenetecExtras.safeParse(extras);
  const problems = parsed.success ? [] : formatZodIssues(parsed.error).map((p) => `systems[${system.id}].${p}`);
  if (system.tls?.fingerprint_sha256) problems.push(`systems[${system.id}].tls.fingerprint_sha256: certificate pinning is not implemented for genetec yet; use tls.ca_file (the role's self-signed certificate)`);
  if (/\\/.test(system.username))
    problems.push(`systems[${system.id}].username "${system.username}": Active Directory users cannot sign in to the Web SDK; use a Security Center user`);
  if (problems.length > 0 || !parsed.success) throw permanent('config_invalid', `invalid genetec system config:\n  - ${problems.join('\n  - ')}`);
  return { ...parsed.data, id: system.id, base_url: system.base_url, username: system.username, password: system.password, tls: system.tls };
}

/** Markdown table of the extras (the README's config reference is generated from this). */
export function configReference(): string {
  const rows = ['| field | default | meaning |', '|---|---|---|'];
  const defaults = GenetecExtras.partial({ application_id: true }).parse({}) as Record<string, unknown>;
  for (const [key, schema] of Object.entries(GenetecExtras.shape)) {
    const d = defaults[key];
    const isDuration = typeof d === 'number' && /_(keepalive|silence|gap|base|cap|timeout|for|after)$/.test(key);
    const shown = d === undefined ? '—' : isDuration ? `\`${formatDuration(d)}\`` : `\`${JSON.stringify(d)}\``;
    rows.push(`| \`${key}\` | ${shown} | ${(schema as z.ZodType).description ?? ''} |`);
  }
  return rows.join('\n');
}
