/**
 * Every operator CLI command accepts every config `npm start` accepts: here the README's own
 * example config (flow-style YAML with `${VAR}`s inside flow maps), read from README.md, with
 * only its NATS URL pointed at this test's server. The services' secrets (`${CLOUD_TOKEN}`,
 * `${OG_PASS}`…) are not in the CLI's environment: the CLI resolves only `site` and `nats`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../services/cli/src/cli';
import { REPO_ROOT } from '../../scripts/services';
import { startStack, waitFor, type Stack } from './stack';

/** The YAML block of the README's Configuration section, as written there. */
function readmeExampleConfig(): string {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Configuration'));
  const block = /```yaml\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('README.md has no yaml block in its Configuration section');
  return block[1];
}

const example = readmeExampleConfig();
const site = (parse(example.replace(/\$\{[^}]+\}/g, 'x')) as { site: { id: string; customer_id: string } }).site;
let stack: Stack;
let configFile: string;

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  // An operator's shell: the config file and nothing else of the services' environment.
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, EDGE_CONFIG: configFile };
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, env);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

beforeAll(async () => {
  // The pipeline runs for the README's site, on a NATS without credentials like the example's.
  stack = await startStack({ config: { site, nats: {} } });
  const natsUrl = /nats:\/\/127\.0\.0\.1:4222/;
  expect(example).toMatch(natsUrl);
  configFile = join(stack.pipeline.config.data_dir, 'readme-example.yaml');
  writeFileSync(configFile, example.replace(natsUrl, stack.natsUrl));
  await waitFor('inventory at the cloud', () => stack.cloud.store.deviceList().length > 0, { timeoutMs: 300_000, logs: stack.logs });
}, 600_000);
afterAll(async () => stack?.stop(), 120_000);

describe("the operator CLI with the README's example config", () => {
  it('edge status', async () => {
    // Exit 0 needs every system connected and nothing else wrong; on a loaded machine a collector
    // can still be connecting when the inventory is already at the cloud, so ask until it is.
    let last: Awaited<ReturnType<typeof cli>> | null = null;
    const r = await waitFor('edge status to find nothing that needs attention', async () => {
      last = await cli('status', '--json');
      return last.code === 0 ? last : null;
    }, { timeoutMs: 300_000, logs: stack.logs }).catch((e: unknown) => {
      throw new Error(`${String(e)}; last answer: ${JSON.stringify(last)}`);
    });
    expect(r.err).toBe('');
    const parsed = JSON.parse(r.out) as { site: string; services: Array<{ name: string }> };
    expect(parsed.services.map((s) => s.name)).toEqual(expect.arrayContaining(['normalizer', 'forwarder']));
    expect(r.code).toBe(0);
  }, 600_000);

  it('edge sync', async () => {
    const r = await cli('sync', '--timeout', '30000');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  }, 600_000);

  it('edge devices', async () => {
    const r = await cli('devices', '--json');
    expect(r.err).toBe('');
    expect((JSON.parse(r.out) as unknown[]).length).toBeGreaterThan(0);
    expect(r.code).toBe(0);
  }, 600_000);

  it('edge dlq list', async () => {
    const r = await cli('dlq', 'list');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  }, 600_000);

  it('edge config check --offline (every ${VAR} the services need is named when missing)', async () => {
    const r = await cli('config', 'check', configFile, '--offline');
    expect(r.out + r.err).toMatch(/CLOUD_TOKEN/);
  }, 600_000);
});
