/**
 * Renders docs/CONFIG.md from the config's zod schema (libs/platform/src/config/schema.ts):
 * every field with its type, default and description, so the reference cannot disagree with
 * what the loader accepts. test/deploy/config-reference.spec.ts fails when the file is stale.
 */
import { ByteSize, DEFAULT_PORTS, Duration, EdgeConfig, formatDuration } from '@edge/platform';
import { VENDORS } from '@edge/vendors';
import { DEFAULT_HEAP_MB, DEFAULT_MALLOC_ARENAS, PIPELINE_SERVICES } from './services';
import { NATS_MEMORY_LIMIT } from './local-nats';

/** The vendors of this build (the config accepts these, with the vendor list). */
const vendorNames = () => VENDORS.map((v) => v.id).sort();

/** The parts of zod 4's internal definition this walker reads. */
interface Def {
  type: string;
  shape?: Record<string, Schema>;
  catchall?: Schema;
  innerType?: Schema;
  element?: Schema;
  options?: Schema[];
  in?: Schema;
  out?: Schema;
  keyType?: Schema;
  valueType?: Schema;
  entries?: Record<string, string>;
  values?: unknown[];
  defaultValue?: unknown;
  checks?: Array<{ _zod: { def: { check?: string; error?: () => unknown; minimum?: number; maximum?: number; value?: unknown } } }>;
}
interface Schema {
  _zod: { def: Def };
  description?: string;
}

const def = (s: Schema): Def => s._zod.def;

/**
 * What a field means where the schema itself carries no `.describe()` text. Schema descriptions
 * win; these fill gaps so every field of the reference says something.
 */
const NOTES: Record<string, string> = {
  site: 'the site this edge box serves',
  'site.name': 'human-readable site name (heartbeat, status)',
  nats: 'NATS server the services use',
  'nats.user': 'user name (with `nats.password`); `npm start` applies it to its local server too',
  'nats.password': 'use ${VAR}',
  'nats.token': 'token authentication instead of user/password; use ${VAR}',
  'nats.creds_file': 'NATS credentials file (JWT + nkey) for decentralized auth',
  'nats.ca_file': 'PEM CA for `tls://` URLs',
  'streams.raw.max_bytes': 'size bound of stream RAW (collectors → normalizer); when full, publishes are refused and retried (backpressure), never silently dropped',
  'streams.raw.max_age': 'messages older than this leave RAW',
  'streams.canonical.max_bytes': 'size bound of stream CANONICAL (normalizer → forwarder): the outage buffer towards the cloud',
  'streams.canonical.max_age': 'how long a cloud outage can last before the oldest undelivered data expires',
  'streams.dlq.max_bytes': 'size bound of the dead-letter stream',
  'streams.dlq.max_age': 'how long dead letters are kept for inspection and replay',
  cloud: "the integrator's ingest API",
  'cloud.base_url': 'ingest API root; `/v1/inventory`, `/v1/health-events`, `/v1/heartbeat` are appended',
  'cloud.batch.max_items': 'devices or events per POST',
  'cloud.batch.max_bytes': 'body size bound per POST (a 413 splits the batch)',
  'cloud.batch.linger': 'how long to wait for more items before sending a partial batch',
  'cloud.heartbeat_interval': 'period of `POST /v1/heartbeat`',
  'cloud.retry.base': 'first retry delay (exponential backoff with full jitter)',
  'cloud.retry.cap': 'longest retry delay',
  systems: 'the on-prem systems to collect from; one collector process per vendor serves all systems of that vendor',
  'systems[].vendor': 'which collector serves this system',
  'systems[].username': 'service account of the edge box on that system',
  'systems[].enabled': '`false` keeps the system in the file without collecting from it',
  'http.ports': 'HTTP port per service name (`collector-onguard`, `normalizer`, …); 0 picks a free port',
  'log.level': 'log level of every service',
  data_dir: '`npm start`: store of the local nats-server (`<data_dir>/nats`) when `nats.url` is absent',
};

export interface FieldRow {
  path: string;
  type: string;
  required: boolean;
  default: string | null;
  description: string;
}

function formatSize(bytes: number): string {
  for (const [u, f] of [['GB', 1024 ** 3], ['MB', 1024 ** 2], ['KB', 1024]] as const) if (bytes >= f && bytes % f === 0) return `${bytes / f}${u}`;
  return `${bytes}B`;
}

function isUrl(s: Schema): boolean {
  return (def(s).checks ?? []).some((c) => {
    const e = c._zod.def.error?.();
    return typeof e === 'string' && /URL/.test(e);
  });
}

/** Strips optional/default/prefault/nullable wrappers, remembering what they said. */
function unwrap(s: Schema): { core: Schema; optional: boolean; nullable: boolean; dflt: { value: unknown; raw: boolean } | null; description: string } {
  let cur = s;
  let optional = false;
  let nullable = false;
  let dflt: { value: unknown; raw: boolean } | null = null;
  let description = s.description ?? '';
  for (;;) {
    const d = def(cur);
    if (d.type === 'optional') optional = true;
    else if (d.type === 'nullable') nullable = true;
    else if (d.type === 'default') dflt ??= { value: d.defaultValue, raw: false };
    else if (d.type === 'prefault') dflt ??= { value: d.defaultValue, raw: true };
    else break;
    cur = d.innerType!;
    description ||= cur.description ?? '';
  }
  return { core: cur, optional, nullable, dflt, description };
}

function typeName(core: Schema): string {
  if (core === (Duration as unknown as Schema)) return 'duration';
  if (core === (ByteSize as unknown as Schema)) return 'size';
  const d = def(core);
  switch (d.type) {
    case 'string':
      return isUrl(core) ? 'URL' : 'string';
    case 'number': {
      const checks = d.checks ?? [];
      const int = checks.some((c) => c._zod.def.check === 'number_format');
      const min = checks.find((c) => c._zod.def.check === 'greater_than')?._zod.def.value;
      const max = checks.find((c) => c._zod.def.check === 'less_than')?._zod.def.value;
      const range = min !== undefined && max !== undefined ? ` ${String(min)}–${String(max)}` : '';
      return `${int ? 'integer' : 'number'}${range}`;
    }
    case 'boolean':
      return 'boolean';
    case 'enum':
      return Object.values(d.entries ?? {})
        .map((v) => `\`${v}\``)
        .join(' \\| ');
    case 'literal':
      return (d.values ?? []).map((v) => `\`${JSON.stringify(v)}\``).join(' \\| ');
    case 'array':
      return `list of ${typeName(unwrap(d.element!).core)}`;
    case 'record':
      return `map of ${typeName(unwrap(d.valueType!).core)}`;
    case 'object':
      return 'mapping';
    case 'union':
      return (d.options ?? []).map((o) => typeName(unwrap(o).core)).join(' or ');
    case 'pipe':
      return typeName(d.in!);
    default:
      return d.type;
  }
}

function formatDefault(core: Schema, dflt: { value: unknown; raw: boolean }): string | null {
  const v = dflt.value;
  if (v && typeof v === 'object' && Object.keys(v).length === 0) return null;
  if (Array.isArray(v) && v.length === 0) return '`[]`';
  if (!dflt.raw && typeof v === 'number' && core === (Duration as unknown as Schema)) return `\`${formatDuration(v)}\``;
  if (!dflt.raw && typeof v === 'number' && core === (ByteSize as unknown as Schema)) return `\`${formatSize(v)}\``;
  return `\`${typeof v === 'string' ? v : JSON.stringify(v)}\``;
}

/** Flattens a schema into one row per leaf field (and one per list/map of mappings). */
export function fieldRows(schema: Schema = EdgeConfig as unknown as Schema, prefix = ''): FieldRow[] {
  const rows: FieldRow[] = [];
  const d = def(schema);
  for (const [key, field] of Object.entries(d.shape ?? {})) {
    const u = unwrap(field);
    const path = prefix ? `${prefix}.${key}` : key;
    const cd = def(u.core);
    const required = !u.optional && !u.dflt;
    if (cd.type === 'object') {
      if (u.description || required) rows.push({ path, type: 'mapping', required, default: null, description: u.description });
      rows.push(...fieldRows(u.core, path));
      continue;
    }
    if (cd.type === 'array' && def(unwrap(cd.element!).core).type === 'object') {
      const el = unwrap(cd.element!).core;
      rows.push({ path, type: 'list of mappings', required, default: u.dflt ? formatDefault(u.core, u.dflt) : null, description: u.description });
      rows.push(...fieldRows(el, `${path}[]`));
      if (def(el).catchall && def(def(el).catchall!).type !== 'never')
        rows.push({ path: `${path}[].<vendor field>`, type: 'any', required: false, default: null, description: "the vendor's settings (sections below)" });
      continue;
    }
    const vendorField = path === 'systems[].vendor';
    rows.push({
      path,
      type: vendorField ? vendorNames().map((v) => `\`${v}\``).join(' \\| ') : typeName(u.core) + (u.nullable ? ' or null' : ''),
      required,
      default: u.dflt ? formatDefault(u.core, u.dflt) : null,
      description: u.description,
    });
  }
  return rows;
}

const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Environment variables read by the supervisor, the services and the demo (not by the config file). */
export const ENV_VARS: Array<[string, string]> = [
  ['EDGE_CONFIG', 'config file (default `config/edge.yaml`)'],
  ['NATS_URL', 'NATS server when the config has no `nats.url` (set by `npm start` for its local server, and by docker compose)'],
  ['EDGE_NATS_PORT', '`npm start` only: port of the local nats-server (default 4222, loopback)'],
  ['NATS_SERVER_BIN', 'path of the nats-server binary (default: `nats-server` on PATH)'],
  ['EDGE_USE_DIST', '`1`: run the `dist/` bundles of `npm run build` instead of the TypeScript sources'],
  ['EDGE_STOP_GRACE_MS', 'how long services get to drain on stop before SIGKILL (default 20000)'],
  ['EDGE_LOG_FORMAT', '`json` or `pretty` output of `npm start` (default: pretty on a terminal)'],
  ['OTEL_EXPORTER_OTLP_ENDPOINT', 'turns trace export on (OTLP/HTTP protobuf), e.g. `http://127.0.0.1:4318`'],
  ['OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES', 'set per service by `npm start` and docker compose (service name; site, customer, vendor, systems)'],
  ['EDGE_TRACE_STATUS_SHARE', 'share of status-observation (health) traces recorded, 0–1 (default 0.1); every inventory sync and command is always traced'],
  ['EDGE_SOURCE_MAPS', '`1`: source-mapped stack traces for the `dist/` bundles (costs ≈ 40 MB per process)'],
  ['EDGE_HEAP_MB', `V8 old-space limit of every service process in MB (default ${DEFAULT_HEAP_MB}; \`0\` = Node's own); \`384\` from 100 000 devices (deploy/README.md, Sizing)`],
  ['MALLOC_ARENA_MAX', `glibc malloc arenas of every service process (default ${DEFAULT_MALLOC_ARENAS} under \`npm start\`, docker compose and the image's entrypoint); more arenas, more memory outside the V8 heap`],
  ['GOMEMLIMIT', `soft memory limit of nats-server (default ${NATS_MEMORY_LIMIT} under \`npm start\` and docker compose); \`384MiB\` from 100 000 devices (deploy/README.md, Sizing)`],
  ['DEMO_SECONDS', '`npm run demo` only: how long the demo runs (default 60)'],
];

export function renderConfigReference(): string {
  const rows = fieldRows();
  const sections = new Map<string, FieldRow[]>();
  for (const r of rows) {
    const top = r.path.split(/[.[]/)[0];
    if (!sections.has(top)) sections.set(top, []);
    sections.get(top)!.push(r);
  }
  const out: string[] = [];
  out.push('# Configuration reference');
  out.push('');
  out.push('<!-- Generated from libs/platform/src/config/schema.ts by `npx tsx scripts/gen-config-docs.ts`. Do not edit by hand: test/deploy/config-reference.spec.ts fails when this file is stale. -->');
  out.push('');
  out.push('One YAML file per edge box: `EDGE_CONFIG`, default `config/edge.yaml`. Start from');
  out.push('[`config/edge.example.yaml`](../config/edge.example.yaml) (a site with one OnGuard and one XProtect) and check it with');
  out.push('`npm run edge -- config check`.');
  out.push('');
  out.push('- `${VAR}` anywhere in a value is read from the environment; `${VAR:-default}` falls back to `default`.');
  out.push('  Secrets (passwords, tokens, application ids) are only ever written this way, never in the file.');
  out.push('- Durations are written `250ms`, `30s`, `15m`, `1h`, `7d` (or a number of milliseconds); sizes `512MB`, `4GB` (or bytes).');
  out.push('- Unknown fields are errors (except vendor extras on a system); every error names the field.');
  out.push(`- Vendors of this build: ${vendorNames().map((v) => `\`${v}\``).join(', ')}.`);
  out.push('');
  for (const [top, list] of sections) {
    out.push(`## \`${top}\``);
    out.push('');
    out.push('| Field | Type | Required | Default | Description |');
    out.push('|---|---|---|---|---|');
    for (const r of list) out.push(`| \`${r.path}\` | ${r.type} | ${r.required ? 'yes' : ''} | ${esc(r.default ?? '')} | ${esc(r.description || NOTES[r.path] || '')} |`);
    out.push('');
  }
  out.push('### Status ports');
  out.push('');
  out.push('Default `http.ports` (each service serves `GET /healthz`, `/readyz`, `/status`; collectors also `POST /sync`):');
  out.push('');
  out.push('| Service | Port |');
  out.push('|---|---|');
  const ports: Record<string, number> = { ...DEFAULT_PORTS, ...Object.fromEntries(VENDORS.map((v) => [v.service.name, v.service.port])) };
  for (const s of PIPELINE_SERVICES) out.push(`| \`${s.name}\` | ${ports[s.name] ?? 'ephemeral'} |`);
  out.push('');
  for (const v of VENDORS) {
    out.push(`## \`systems[]\` with \`vendor: ${v.id}\` — ${v.title}`);
    out.push('');
    out.push(`Settings of the vendor, written beside the common fields of the system; validated by the ${v.id} collector at start.`);
    out.push('');
    if (v.config.note) out.push(v.config.note, '');
    out.push('| Field | Type | Required | Default | Description |');
    out.push('|---|---|---|---|---|');
    for (const r of fieldRows(v.config.extras as unknown as Schema, 'systems[]'))
      out.push(`| \`${r.path}\` | ${r.type} | ${r.required ? 'yes' : ''} | ${esc(r.default ?? '')} | ${esc(r.description)} |`);
    out.push('');
  }
  out.push('## Environment variables');
  out.push('');
  out.push('| Variable | Meaning |');
  out.push('|---|---|');
  for (const [k, v] of ENV_VARS) out.push(`| \`${k}\` | ${esc(v)} |`);
  out.push('');
  return out.join('\n');
}
