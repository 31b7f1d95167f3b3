/**
 * docker-compose.yml against the Compose specification schema (vendored copy, see
 * compose-spec.NOTICE), and its services, commands, environment, NATS users and secrets against
 * what `npm start` runs (scripts/services.ts, scripts/nats-users.ts), so the two cannot drift.
 * (`npm run test:deploy` builds and runs it: test/deploy-run.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import draft07 from 'ajv/dist/refs/json-schema-draft-07.json';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { testConfig } from '@edge/platform/testing';
import { VENDORS } from '@edge/vendors';
import { DEFAULT_HEAP_MB, DEFAULT_MALLOC_ARENAS, PIPELINE_SERVICES, REPO_ROOT, SIMULATOR_BUNDLES, TOOL_BUNDLES, serviceEnv } from '../../scripts/services';
import { NATS_MEMORY_LIMIT } from '../../scripts/local-nats';
import { natsUserSpecs, passwordVar } from '../../scripts/nats-users';

type Env = Record<string, string>;
interface ComposeService {
  image?: string;
  command?: string[];
  environment?: Env;
  env_file?: string[];
  secrets?: string[];
  entrypoint?: string[];
  profiles?: string[];
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { file: string }>;
}

const read = (rel: string) => readFileSync(join(REPO_ROOT, rel), 'utf8');
const composeText = read('docker-compose.yml');
const compose = parse(composeText, { merge: true }) as ComposeFile;

function validator() {
  const ajv = new Ajv({ allErrors: true, strict: false });
  // The schema names draft-07 by its https URL; Ajv ships the same meta-schema under http.
  ajv.addMetaSchema({ ...draft07, $id: 'https://json-schema.org/draft-07/schema' });
  return ajv.compile(JSON.parse(read('test/deploy/compose-spec.schema.json')) as object);
}

describe('docker-compose.yml', () => {
  it('is valid against the Compose specification schema', () => {
    const validate = validator();
    const ok = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the schema check is live: a misspelt key or a bad condition is rejected', () => {
    const validate = validator();
    const broken = structuredClone(compose);
    (broken.services.normalizer as Record<string, unknown>).restrat = 'always';
    expect(validate(broken)).toBe(false);
    const broken2 = structuredClone(compose);
    broken2.services.forwarder.depends_on = { nats: { condition: 'when_ready' } };
    expect(validate(broken2)).toBe(false);
  });

  it('runs exactly the pipeline services of `npm start`, each as the image command of its name', () => {
    const pipeline = Object.entries(compose.services).filter(([, s]) => !s.profiles && s.command?.[0] !== 'nats');
    expect(pipeline.map(([n]) => n).sort()).toEqual(PIPELINE_SERVICES.map((s) => s.name).sort());
    for (const spec of PIPELINE_SERVICES) {
      const svc = compose.services[spec.name];
      expect(svc.command).toEqual([spec.name]);
      expect(svc.image).toBe('${EDGE_IMAGE:-edge-integration:latest}');
      // The image's entrypoint runs /app/dist/<name>.js, the bundle `npm run build` writes.
      expect(spec.dist).toBe(`dist/${spec.name}.js`);
    }
    expect(read('deploy/entrypoint.sh')).toContain('/app/dist/${name}.js');
  });

  it('gives every service the environment `npm start` gives it', () => {
    const cfg = testConfig('nats://127.0.0.1:4222', {
      site: { id: 'site-a', customer_id: 'cust-a' },
      nats: {},
      systems: VENDORS.map((v, i) => ({ id: `${v.id}-1`, vendor: v.id, base_url: `http://${v.id}`, username: 'u', password: `password-${i}` })),
    });
    for (const spec of PIPELINE_SERVICES) {
      const want = serviceEnv(spec, cfg, { configFile: '/app/config/edge.yaml', natsUrl: 'nats://127.0.0.1:4222' });
      const have = compose.services[spec.name].environment ?? {};
      expect(Object.keys(have)).toEqual(expect.arrayContaining(Object.keys(want)));
      expect(have.EDGE_SERVICE).toBe(spec.name);
      expect(have.OTEL_SERVICE_NAME).toBe(spec.name);
      expect(have.EDGE_CONFIG).toMatch(/^\$\{EDGE_CONFIG_FILE:-\/app\/config\/edge\.yaml\}$/);
      expect(have.NATS_URL).toBe('nats://nats:4222');
      // Same resource attribute keys (system ids and edge id are optional labels).
      const keys = (s: string) => s.split(',').map((kv) => kv.split('=')[0]);
      const required = keys(want.OTEL_RESOURCE_ATTRIBUTES).filter((k) => k !== 'edge.system.ids' && k !== 'edge.id');
      expect(keys(have.OTEL_RESOURCE_ATTRIBUTES)).toEqual(required);
      if (spec.vendor) expect(have.OTEL_RESOURCE_ATTRIBUTES).toContain(`edge.vendor=${spec.vendor}`);
      // No env_file: secrets are files, each container gets its own (below).
      expect(compose.services[spec.name].env_file).toBeUndefined();
    }
  });

  it('passes the memory limits of .env through, with the defaults of `npm start` (deploy/README.md, Sizing)', () => {
    for (const spec of PIPELINE_SERVICES) {
      expect(compose.services[spec.name].environment?.EDGE_HEAP_MB, spec.name).toBe(`\${EDGE_HEAP_MB:-${DEFAULT_HEAP_MB}}`);
      expect(compose.services[spec.name].environment?.MALLOC_ARENA_MAX, spec.name).toBe(`\${MALLOC_ARENA_MAX:-${DEFAULT_MALLOC_ARENAS}}`);
    }
    expect(compose.services.nats.environment?.GOMEMLIMIT).toBe(`\${GOMEMLIMIT:-${NATS_MEMORY_LIMIT}}`);
    // deploy/entrypoint.sh falls back to the same values when the variables are absent.
    const entrypoint = read('deploy/entrypoint.sh');
    expect(entrypoint).toContain(`GOMEMLIMIT:-${NATS_MEMORY_LIMIT}`);
    expect(entrypoint).toContain(`EDGE_HEAP_MB:-${DEFAULT_HEAP_MB}`);
    expect(entrypoint).toContain(`MALLOC_ARENA_MAX:-${DEFAULT_MALLOC_ARENAS}`);
  });

  it('starts services only after NATS is healthy, and every service has a healthcheck', () => {
    for (const spec of PIPELINE_SERVICES) {
      const svc = compose.services[spec.name];
      expect(svc.depends_on?.nats?.condition).toBe('service_healthy');
      expect(svc.healthcheck?.test).toEqual(['CMD', 'node', '/app/dist/healthcheck.js']);
    }
    expect(TOOL_BUNDLES.map((t) => t.name)).toContain('healthcheck');
    expect(compose.services.nats.healthcheck?.test.join(' ')).toContain('/healthz?js-enabled-only=true');
    for (const sim of SIMULATOR_BUNDLES) expect(compose.services[sim.name].healthcheck).toBeDefined();
  });

  it('NATS: JetStream on the one named volume, a user per process of scripts/services.json from secret files, not exposed beyond the box', () => {
    const nats = compose.services.nats;
    expect(nats.volumes).toContain('nats-data:/data');
    expect(compose.volumes).toHaveProperty('nats-data');
    expect(nats.command).toEqual(['nats']);
    const secretOf = (user: string) => `nats_${user.replace(/-/g, '_')}`;
    for (const u of natsUserSpecs()) {
      expect(nats.environment?.[`${passwordVar(u.user)}_FILE`], u.user).toBe(`/run/secrets/${secretOf(u.user)}`);
      expect(nats.secrets).toContain(secretOf(u.user));
      expect(compose.secrets?.[secretOf(u.user)]?.file).toBe(`./secrets/${secretOf(u.user)}`);
    }
    // Every secret a service names is declared, and every declared secret is a file under ./secrets.
    for (const [name, svc] of Object.entries(compose.services))
      for (const s of svc.secrets ?? []) expect(compose.secrets?.[s], `${name}: ${s}`).toBeDefined();
    const conf = read('deploy/nats/nats-edge.conf');
    expect(conf).toMatch(/store_dir: \/data/);
    // Only the NATS service has a volume besides the read-only config and certs mounts: no
    // anonymous volumes (the image declares no VOLUME).
    expect(read('Dockerfile')).not.toMatch(/^VOLUME/m);
    for (const spec of PIPELINE_SERVICES)
      expect(compose.services[spec.name].volumes).toEqual(['./config:/app/config:ro', './certs:/app/certs:ro']);
    for (const [name, svc] of Object.entries(compose.services))
      for (const p of svc.ports ?? []) expect(p, `${name} publishes ${p}`).toMatch(/^127\.0\.0\.1:/);
  });

  it('simulators run under profile demo, the collector and Jaeger under observability', () => {
    for (const sim of SIMULATOR_BUNDLES) {
      expect(compose.services[sim.name].profiles).toEqual(['demo']);
      expect(compose.services[sim.name].command?.[0]).toBe(sim.name);
    }
    expect(compose.services['otel-collector'].profiles).toEqual(['observability']);
    expect(compose.services.jaeger.profiles).toEqual(['observability']);
    expect(compose.services['otel-collector'].volumes).toContain('./deploy/otel-collector.yaml:/etc/otelcol/config.yaml:ro');
    // The OTLP endpoint the README names: the collector listens on its container interface (not
    // its loopback, the collector's default since v0.104) and is published on the box's loopback.
    const otel = parse(read('deploy/otel-collector.yaml')) as { receivers: { otlp: { protocols: { http: { endpoint: string } } } } };
    expect(otel.receivers.otlp.protocols.http.endpoint).toBe('0.0.0.0:4318');
    expect(compose.services['otel-collector'].ports).toEqual(['127.0.0.1:${EDGE_OTLP_PORT:-4318}:4318']);
    expect(read('README.md')).toContain('http://otel-collector:4318');
    // The demo URLs the services get are the simulators' compose addresses and ports.
    const env = compose.services.normalizer.environment ?? {};
    for (const sim of SIMULATOR_BUNDLES) {
      const port = compose.services[sim.name].command?.[compose.services[sim.name].command!.indexOf('--port') + 1];
      expect(Object.values(env)).toContain(`http://${sim.name}:${port}`);
    }
  });

  it('every ${VAR} of config/edge.example.yaml without a default comes from a secret file, never from .env', () => {
    const example = read('.env.example');
    const defined = new Set([...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
    const required = [...composeText.matchAll(/\$\{([A-Z][A-Z0-9_]*):\?/g)].map((m) => m[1]);
    for (const v of required) expect(defined.has(v), v).toBe(true);
    const cfgText = read('config/edge.example.yaml')
      .split('\n')
      .map((l) => l.replace(/#.*$/, ''))
      .join('\n');
    const cfgVars = [...cfgText.matchAll(/\$\{([A-Z][A-Z0-9_]*)\}/g)].map((m) => m[1]);
    expect(cfgVars).toContain('CLOUD_TOKEN');
    for (const v of cfgVars) {
      const readers = PIPELINE_SERVICES.filter((p) => compose.services[p.name].environment?.[`${v}_FILE`]?.startsWith('/run/secrets/'));
      expect(readers.length, `${v}_FILE`).toBeGreaterThan(0);
      for (const p of PIPELINE_SERVICES) expect(compose.services[p.name].environment?.[v], `${p.name}: ${v}`).toBeUndefined();
      expect(defined.has(v), `${v} in .env.example`).toBe(false);
    }
  });
});

describe('Dockerfile', () => {
  const text = read('Dockerfile');
  it('is multi-stage, on a Node LTS, runs as a non-root user, with a healthcheck', () => {
    const stages = [...text.matchAll(/^FROM\s+\S+\s+AS\s+(\S+)/gm)].map((m) => m[1]);
    expect(stages).toEqual(expect.arrayContaining(['deps', 'build', 'runtime']));
    const node = /ARG NODE_IMAGE=node:(\d+)-/.exec(text);
    expect(Number(node?.[1]) % 2).toBe(0); // even majors are the LTS lines
    expect(text).toMatch(/^USER edge:edge$/m);
    expect(text).toMatch(/^HEALTHCHECK .*dist\/healthcheck\.js/m);
    expect(text).toMatch(/RUN node scripts\/build\.mjs/);
    expect(text).toMatch(/ENTRYPOINT \["edge-entrypoint"\]/);
  });
});
