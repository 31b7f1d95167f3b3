import { z } from 'zod';
import { IdToken } from '@edge/contracts';
import { ByteSize, Duration } from './duration';

/**
 * What the platform knows of a vendor: its id and its collector service with that service's
 * default status port. The platform never imports a vendor: the list comes from the vendor
 * registry (`@edge/vendors`), injected by whoever loads the config with it (the supervisor, the
 * CLI, the scripts); every vendor descriptor satisfies this shape.
 */
export interface VendorRegistration {
  readonly id: string;
  readonly service: { readonly name: string; readonly port: number };
}

const HttpUrl = z
  .string({ error: 'must be an http(s) URL' })
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
    } catch {
      return false;
    }
  }, 'must be an http(s) URL');

export const TlsConfig = z
  .object({
    ca_file: z.string().min(1).optional().describe('PEM file of the CA that signed the server certificate'),
    insecure: z.boolean().default(false).describe('skip certificate verification (explicit opt-in; logged loudly)'),
    servername: z
      .string()
      .min(1)
      .optional()
      .describe("name the server certificate is checked against (and sent as SNI) when base_url uses an IP; OnGuard's certificate names the server's machine name"),
    fingerprint_sha256: z
      .string()
      .regex(/^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$/, 'must be a SHA-256 fingerprint: 64 hex digits, colons allowed')
      .optional()
      .describe('pin the server certificate by its SHA-256 fingerprint (accepted even when self-signed; nothing else is)'),
  })
  .strict();
export type TlsConfig = z.infer<typeof TlsConfig>;

/**
 * Fields every system has. Vendor extras (event type ids, field names) pass through here and
 * are validated by the vendor's own schema in its collector.
 */
export const SystemConfig = z
  .looseObject({
    id: IdToken.describe('system id: used in device ids and subjects; never change it once devices are synced'),
    // With the vendor list (edgeConfigSchema): one of its ids.
    vendor: z.string().min(1),
    base_url: HttpUrl.describe("server root (scheme, host, port); the vendor's API path is appended"),
    username: z.string().min(1),
    password: z.string().min(1).describe('use ${VAR}: read from the environment, never stored in the file'),
    customer_id: z.string().min(1).optional().describe("overrides the site's customer_id for this system"),
    enabled: z.boolean().default(true),
    inventory_interval: Duration.default(15 * 60_000).describe('full inventory sync period'),
    status_interval: Duration.default(15 * 60_000).describe('safety-net status poll period'),
    tls: TlsConfig.default({ insecure: false }),
  });
export type SystemConfig = z.infer<typeof SystemConfig>;

const StreamLimits = (maxBytes: string, maxAge: string) =>
  z
    .object({
      max_bytes: ByteSize.prefault(maxBytes),
      max_age: Duration.prefault(maxAge),
    })
    .strict()
    .prefault({});

const EdgeConfigObject = z
  .object({
    site: z
      .object({
        id: IdToken.describe('site id: used in subjects and payloads'),
        customer_id: z.string().min(1).describe('integrator customer account that every payload maps to'),
        name: z.string().optional(),
      })
      .strict(),
    edge: z
      .object({ id: z.string().min(1).optional().describe('edge box identity in heartbeats (default: hostname)') })
      .strict()
      .prefault({}),
    nats: z
      .object({
        url: z
          .string()
          .regex(/^(nats|tls):\/\/\S+$/, 'must be a nats:// or tls:// URL')
          .optional()
          .describe('omitted → `npm start` runs a local nats-server with its store under data_dir'),
        user: z.string().min(1).optional(),
        password: z.string().min(1).optional(),
        token: z.string().min(1).optional(),
        creds_file: z.string().min(1).optional(),
        ca_file: z.string().min(1).optional(),
      })
      .strict()
      .prefault({}),
    streams: z
      .object({
        raw: StreamLimits('2GB', '7d'),
        canonical: StreamLimits('4GB', '30d'),
        dlq: StreamLimits('1GB', '30d'),
        duplicate_window: Duration.default(5 * 60_000).describe('dedupe window for Nats-Msg-Id; covers publish retries'),
        replicas: z
          .number()
          .int()
          .min(1)
          .max(5)
          .default(1)
          .describe('copies of every stream and of KV devices: 1 on a single box, 3 on a 3-node JetStream cluster'),
      })
      .strict()
      .prefault({}),
    cloud: z
      .object({
        base_url: HttpUrl,
        token: z.string().min(1).describe('bearer token; use ${VAR}'),
        timeout: Duration.default(10_000).describe('per-request timeout'),
        tls: TlsConfig.default({ insecure: false }),
        proxy: HttpUrl.optional().describe('HTTP(S) proxy URL'),
        batch: z
          .object({
            max_items: z.number().int().min(1).max(10_000).default(500),
            max_bytes: ByteSize.default(1024 * 1024),
            linger: Duration.default(100),
          })
          .strict()
          .prefault({}),
        heartbeat_interval: Duration.default(60_000),
        retry: z
          .object({ base: Duration.default(500), cap: Duration.default(60_000) })
          .strict()
          .prefault({}),
      })
      .strict(),
    systems: z.array(SystemConfig).default([]),
    http: z
      .object({
        host: z.string().default('127.0.0.1').describe('status endpoints bind here; keep on localhost unless token is set'),
        token: z.string().min(1).optional().describe('when set, /status and control routes need `Authorization: Bearer`'),
        ports: z.record(z.string(), z.number().int().min(0).max(65535)).prefault({}),
      })
      .strict()
      .prefault({}),
    log: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info') })
      .strict()
      .prefault({}),
    data_dir: z.string().default('./data'),
    removal_guard: z
      .object({
        max_fraction: z.number().min(0).max(1).default(0.1).describe('a complete sync that would remove more than this share of a system\'s devices…'),
        min_devices: z.number().int().min(0).default(20).describe('…and more than this many holds the removals until the next complete sync confirms them (or `edge sync --confirm-removals <system>`)'),
      })
      .strict()
      .prefault({})
      .describe('never turn a short listing (lost rights, ignored paging) into "devices removed"'),
  })
  .strict();

function checkEdgeConfig(cfg: z.infer<typeof EdgeConfigObject>, ctx: z.RefinementCtx): void {
    if (!cfg.http.token && !isLoopbackHost(cfg.http.host))
      ctx.addIssue({
        code: 'custom',
        path: ['http', 'host'],
        message: `"${cfg.http.host}" is not loopback: set http.token (or EDGE_HTTP_TOKEN) so /status and control routes need a bearer token, or keep http.host on 127.0.0.1`,
      });
    const seen = new Map<string, number>();
    cfg.systems.forEach((s, i) => {
      if (seen.has(s.id))
        ctx.addIssue({ code: 'custom', path: ['systems', i, 'id'], message: `duplicate system id "${s.id}" (also systems[${seen.get(s.id)}])` });
      seen.set(s.id, i);
    });
}

export const EdgeConfig = EdgeConfigObject.superRefine(checkEdgeConfig);
export type EdgeConfig = z.infer<typeof EdgeConfig>;
export type EdgeConfigInput = z.input<typeof EdgeConfig>;

/** 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The config schema with the vendor list: a system's vendor must be one of its ids, and each
 * collector's default status port joins `http.ports`. (`EdgeConfig` alone lets any vendor id
 * pass: a service that does not know the list; its collector validates its own systems.)
 */
export function edgeConfigSchema(vendors?: readonly VendorRegistration[]) {
  if (!vendors) return EdgeConfig;
  const ids = vendors.map((v) => v.id).sort();
  const collectorPorts = Object.fromEntries(vendors.map((v) => [v.service.name, v.service.port]));
  const system = SystemConfig.extend({
    vendor: SystemConfig.shape.vendor.refine((v) => ids.includes(v), { error: (i) => `unknown vendor "${String(i.input)}"; known vendors: ${ids.join(', ')}` }),
  });
  return EdgeConfigObject.extend({ systems: z.array(system).default([]) })
    .superRefine(checkEdgeConfig)
    .transform((cfg): EdgeConfig => ({ ...cfg, http: { ...cfg.http, ports: { ...collectorPorts, ...cfg.http.ports } } }));
}

/**
 * Default HTTP port of each platform service's health/status server (overridable in
 * `http.ports`). A collector's comes with its vendor (`VendorRegistration.service.port`).
 */
export const DEFAULT_PORTS: Record<string, number> = {
  normalizer: 7303,
  forwarder: 7304,
  console: 7380,
};

/** A service's status port: `http.ports`, else the platform's default, else `fallback` (a collector's own), else ephemeral (0). */
export function httpPortFor(cfg: EdgeConfig, service: string, fallback?: number): number {
  return cfg.http.ports[service] ?? DEFAULT_PORTS[service] ?? fallback ?? 0;
}

/** customer_id of a system: its own, else the site's. */
export function customerIdFor(cfg: EdgeConfig, system: SystemConfig): string {
  return system.customer_id ?? cfg.site.customer_id;
}
