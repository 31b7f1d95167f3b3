/**
 * The Docker image runs the esbuild bundles of `npm run build` with no node_modules at all.
 * Here the bundles are built into a temp dir outside the repo (so nothing can be resolved from
 * node_modules) and run for real: the CLI, a service against a real nats-server with its
 * container healthcheck, and a collector whose HTTP client spans reach an OTLP receiver (the
 * OpenTelemetry instrumentation must survive bundling).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startNatsServer, type TestNatsServer } from '@edge/platform/testing';
import { startMilestoneSimulator, type MilestoneSimulator } from '@edge/sim-milestone';
import { REPO_ROOT } from '../../scripts/services';
import { SPAN_KIND, serviceOf, startOtlpReceiver, type OtlpReceiver } from '../../scripts/otlp-receiver';
import { waitFor } from '../e2e/stack';

const out = mkdtempSync(join(tmpdir(), 'edge-bundles-'));
let nats: TestNatsServer;
const procs: ChildProcess[] = [];

beforeAll(async () => {
  execFileSync(process.execPath, [join(REPO_ROOT, 'scripts/build.mjs'), '--outdir', out, 'edge', 'healthcheck', 'normalizer', 'collector-milestone'], { stdio: 'pipe' });
  nats = await startNatsServer();
}, 600_000);

afterAll(async () => {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
  await nats?.dispose();
  rmSync(out, { recursive: true, force: true });
});

function config(name: string, body: string): string {
  const file = join(out, name);
  writeFileSync(file, body);
  return file;
}

function run(bundle: string, env: Record<string, string>): ChildProcess {
  const p = spawn(process.execPath, [join(out, `${bundle}.js`)], { cwd: out, env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'ignore' });
  procs.push(p);
  return p;
}

describe('dist bundles (what the image runs)', () => {
  it('the CLI bundle runs on its own', () => {
    const r = spawnSync(process.execPath, [join(out, 'edge.js'), '--help'], { cwd: out, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('usage: npm run edge -- <command>');
  });

  it('a service bundle runs against NATS and the healthcheck bundle reports it healthy, then not', async () => {
    const port = await freePort();
    const file = config('normalizer.yaml', `site: { id: b-site, customer_id: b-cust }\nnats: { url: "${nats.url}" }\ncloud: { base_url: "http://127.0.0.1:9", token: t0k3n-b }\nhttp: { ports: { normalizer: ${port} } }\n`);
    const env = { EDGE_CONFIG: file, EDGE_SERVICE: 'normalizer' };
    const p = run('normalizer', env);
    const check = () => spawnSync(process.execPath, [join(out, 'healthcheck.js')], { cwd: out, env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' });
    await waitFor('the bundled normalizer to be healthy', () => check().status === 0, { timeoutMs: 120_000 });
    const exited = new Promise<number | null>((r) => p.once('exit', (c) => r(c)));
    p.kill('SIGTERM');
    expect(await exited).toBe(0);
    const after = check();
    expect(after.status).toBe(1);
    expect(after.stdout).toContain(`normalizer: /healthz on 127.0.0.1:${port} answered nothing`);
  }, 600_000);

  describe('traces from a bundle', () => {
    let sim: MilestoneSimulator;
    let otlp: OtlpReceiver;
    beforeAll(async () => {
      sim = await startMilestoneSimulator({ hardware: 2 });
      otlp = await startOtlpReceiver();
    });
    afterAll(async () => {
      await sim?.close();
      await otlp?.close();
    });

    it('the bundled collector exports its sync and vendor HTTP client spans over OTLP', async () => {
      const port = await freePort();
      const file = config(
        'collector.yaml',
        [
          'site: { id: b-site, customer_id: b-cust }',
          `nats: { url: "${nats.url}" }`,
          'cloud: { base_url: "http://127.0.0.1:9", token: t0k3n-b }',
          `systems: [ { id: xp-b, vendor: milestone, base_url: "${sim.url}", username: "${sim.username}", password: "\${B_XP_PASSWORD}" } ]`,
          `http: { ports: { collector-milestone: ${port} } }`,
        ].join('\n'),
      );
      run('collector-milestone', {
        EDGE_CONFIG: file,
        B_XP_PASSWORD: sim.password,
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint,
        OTEL_SERVICE_NAME: 'collector-milestone',
        OTEL_BSP_SCHEDULE_DELAY: '200',
      });
      const sync = await waitFor('the sync span', () => otlp.spans.find((s) => s.name === 'inventory sync milestone'), { timeoutMs: 120_000 });
      expect(serviceOf(sync)).toBe('collector-milestone');
      const vendorCalls = otlp.spans.filter((s) => s.traceId === sync.traceId && s.kind === SPAN_KIND.client && String(s.attributes['url.full'] ?? '').startsWith(sim.url));
      expect(vendorCalls.length).toBeGreaterThan(0);
    }, 600_000);
  });
});
