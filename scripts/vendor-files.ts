/**
 * The files that enumerate vendors, derived from the vendor list (`@edge/vendors`): the process
 * list (scripts/services.json: a collector and a simulator per vendor), docker-compose.yml (a
 * collector service, its secrets and NATS user, a demo simulator per vendor) and the demo config
 * (config/demo.yaml: a system per vendor's simulator) and the collectors' published ports in
 * .env.example. The hand-written rest of each file stays as
 * it is: in YAML the derived parts sit between `# >>> vendors: <part>` and `# <<< vendors: <part>`
 * lines; in services.json they are the entries with a `vendor`.
 *
 * `npx tsx scripts/gen-vendor-files.ts` writes them; test/workspace/vendor-files.spec.ts fails when
 * one is stale.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_PORTS } from '@edge/platform';
import { VENDORS, type VendorDescriptor } from '@edge/vendors';
import { natsUserSpecs } from './nats-users';
import { NATS_MEMORY_LIMIT } from './local-nats';
import { REPO_ROOT } from './services';

export const VENDOR_FILES = ['scripts/services.json', 'docker-compose.yml', 'config/demo.yaml', '.env.example'] as const;
export type VendorFile = (typeof VENDOR_FILES)[number];

const snake = (name: string) => name.replace(/-/g, '_');
const ENV = (name: string) => name.toUpperCase().replace(/[^A-Z0-9]/g, '_');
/** `DEMO_ONGUARD_URL`: where config/demo.yaml finds a vendor's simulator (set by the demo and compose). */
export const demoVar = (v: VendorDescriptor, what: string) => `DEMO_${ENV(v.id)}_${what}`;

/** Replaces the body of each `# >>> vendors: <part>` … `# <<< vendors: <part>` region with `parts[part]`. */
export function fillRegions(text: string, file: string, parts: Record<string, string[]>): string {
  for (const [part, lines] of Object.entries(parts)) {
    const re = new RegExp(`^([ \\t]*)# >>> vendors: ${part}\\n[\\s\\S]*?^[ \\t]*# <<< vendors: ${part}$`, 'm');
    const m = re.exec(text);
    if (!m) throw new Error(`${file}: no region "# >>> vendors: ${part}" … "# <<< vendors: ${part}"`);
    const indent = m[1];
    const body = lines.map((l) => (l === '' ? '' : `${indent}${l}`)).join('\n');
    text = text.replace(re, () => `${indent}# >>> vendors: ${part}\n${body}${body ? '\n' : ''}${indent}# <<< vendors: ${part}`);
  }
  return text;
}

interface Manifest {
  $comment?: string;
  pipeline: Array<{ name: string; entry: string; vendor?: string }>;
  tools: Array<{ name: string; entry: string }>;
  simulators: Array<{ name: string; entry: string; vendor?: string }>;
}

function renderServicesJson(current: string): string {
  const m = JSON.parse(current) as Manifest;
  const out: Manifest = {
    ...m,
    pipeline: [...VENDORS.map((v) => ({ name: v.service.name, entry: `services/${v.service.name}/src/main.ts`, vendor: v.id })), ...m.pipeline.filter((p) => !p.vendor)],
    simulators: [...VENDORS.map((v) => ({ name: v.simulator.name, entry: v.simulator.entry, vendor: v.id })), ...m.simulators.filter((s) => !s.vendor)],
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}

const secretFiles = (v: VendorDescriptor) => Object.entries(v.deploy.secrets).map(([env, file]) => `${env}_FILE: /run/secrets/${file}`);

function collectorService(v: VendorDescriptor): string[] {
  const name = v.service.name;
  return [
    `${name}:`,
    '  <<: *edge-service',
    `  command: ["${name}"]`,
    '  environment:',
    '    <<: *edge-env',
    `    EDGE_SERVICE: ${name}`,
    `    NATS_USER: ${name}`,
    `    NATS_PASSWORD_FILE: /run/secrets/nats_${snake(name)}`,
    ...secretFiles(v).map((l) => `    ${l}`),
    `    OTEL_SERVICE_NAME: ${name}`,
    `    OTEL_RESOURCE_ATTRIBUTES: edge.site.id=\${EDGE_SITE_ID:-unset},edge.customer.id=\${EDGE_CUSTOMER_ID:-unset},edge.vendor=${v.id}`,
    `  secrets: [${[`nats_${snake(name)}`, ...Object.values(v.deploy.secrets), 'edge_http_token'].join(', ')}]`,
    '  ports:',
    `    - "127.0.0.1:\${EDGE_PORT_${ENV(name)}:-${v.service.port}}:${v.service.port}"`,
    '',
  ];
}

function simulatorService(v: VendorDescriptor): string[] {
  const s = v.simulator;
  const args = ['--host', '0.0.0.0', '--port', String(s.port), ...(s.args ?? []).map((a) => a.replace('{name}', s.name))];
  return [
    `${s.name}:`,
    '  image: ${EDGE_IMAGE:-edge-integration:latest}',
    '  profiles: ["demo"]',
    `  command: [${[s.name, ...args].map((a) => `"${a}"`).join(', ')}]`,
    '  restart: unless-stopped',
    '  read_only: true',
    '  healthcheck:',
    `    test: ["CMD", "node", "-e", "fetch('http://127.0.0.1:${s.port}${s.readyPath}').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]`,
    '    interval: 10s',
    '    timeout: 5s',
    '    retries: 5',
    '',
  ];
}

function renderCompose(current: string): string {
  const users = natsUserSpecs([...VENDORS.map((v) => ({ name: v.service.name, vendor: v.id })), ...PLATFORM_PIPELINE]);
  const natsSecret = (user: string) => `nats_${snake(user)}`;
  const vendorSecrets = VENDORS.flatMap((v) => Object.values(v.deploy.secrets));
  return fillRegions(current, 'docker-compose.yml', {
    'demo urls': VENDORS.map((v) => `${demoVar(v, 'URL')}: http://${v.simulator.name}:${v.simulator.port}`),
    'nats users': [
      'environment:',
      '  # Soft memory limit of nats-server (deploy/README.md, Sizing).',
      `  GOMEMLIMIT: \${GOMEMLIMIT:-${NATS_MEMORY_LIMIT}}`,
      ...users.map((u) => `  NATS_PASSWORD_${ENV(u.user)}_FILE: /run/secrets/${natsSecret(u.user)}`),
      `secrets: [${users.map((u) => natsSecret(u.user)).join(', ')}]`,
    ],
    collectors: VENDORS.flatMap(collectorService),
    'operator secret files': VENDORS.flatMap(secretFiles),
    'operator secrets': [`secrets: [${['nats_operator', ...vendorSecrets, 'cloud_token', 'edge_http_token'].join(', ')}]`],
    simulators: VENDORS.flatMap(simulatorService),
    'secret files': [
      ...users.map((u) => `${natsSecret(u.user)}: { file: ./secrets/${natsSecret(u.user)} }`),
      'edge_http_token: { file: ./secrets/edge_http_token }',
      'cloud_token: { file: ./secrets/cloud_token }',
      ...vendorSecrets.map((s) => `${s}: { file: ./secrets/${s} }`),
    ],
  });
}

/** The platform's own pipeline processes (NATS users), from services.json's hand-written part. */
const PLATFORM_PIPELINE: Array<{ name: string }> = (JSON.parse(readFileSync(join(REPO_ROOT, 'scripts/services.json'), 'utf8')) as Manifest).pipeline.filter((p) => !p.vendor);

function renderDemoConfig(current: string): string {
  const ports = { ...Object.fromEntries(VENDORS.map((v) => [v.service.name, v.service.port])), ...DEFAULT_PORTS };
  return fillRegions(current, 'config/demo.yaml', {
    systems: VENDORS.flatMap((v) => {
      const sim = v.simulator;
      const fields = Object.entries(sim.demo.fields).map(([k, val]) => `  ${k}: ${val}`);
      return [`- id: ${sim.demo.system_id}`, `  vendor: ${v.id}`, `  base_url: \${${demoVar(v, 'URL')}:-http://127.0.0.1:${sim.port}}`, ...fields, '  inventory_interval: 2m', '  status_interval: 30s', ''];
    }),
    ports: [`ports: { ${Object.entries(ports).map(([k, p]) => `${k}: ${p}`).join(', ')} }`],
  });
}

/** Each derived file as the vendor list makes it (from its current text). */
export function renderVendorFile(file: VendorFile, current: string): string {
  if (file === 'scripts/services.json') return renderServicesJson(current);
  if (file === 'docker-compose.yml') return renderCompose(current);
  if (file === '.env.example') return fillRegions(current, file, { 'collector ports': VENDORS.map((v) => `# EDGE_PORT_${ENV(v.service.name)}=${v.service.port}`) });
  return renderDemoConfig(current);
}
