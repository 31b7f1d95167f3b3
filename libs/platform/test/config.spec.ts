import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, httpPortFor, loadConfig, parseConfig, parseDuration, scrubSecrets } from '@edge/platform';

const good = `
site: { id: site-chi-01, customer_id: convergint-001 }
nats: { url: nats://127.0.0.1:4222 }
cloud: { base_url: https://ingest.example.com, token: \${CLOUD_TOKEN} }
systems:
  - { id: og-main, vendor: onguard, base_url: https://og.local:8080, username: svc, password: \${OG_PASS},
      directory_id: id-1, application_id: \${OG_APP_ID}, inventory_interval: 15m, tls: { ca_file: /etc/ca.pem, insecure: false } }
  - { id: xp-main, vendor: milestone, base_url: https://xp.local, username: svc, password: \${XP_PASS}, inventory_interval: 1h30m }
`;
const env = { CLOUD_TOKEN: 'cloud-secret-token-1', OG_PASS: 'og-secret-pass', OG_APP_ID: 'og-app-id-secret', XP_PASS: 'xp-secret-pass' };

function problems(text: string, e: NodeJS.ProcessEnv = env): string[] {
  try {
    parseConfig(text, 'edge.yaml', e);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('config unexpectedly valid');
}

describe('config', () => {
  it('loads the architecture example with env substitution, defaults and durations', () => {
    const c = parseConfig(good, 'edge.yaml', env);
    expect(c.site).toEqual({ id: 'site-chi-01', customer_id: 'convergint-001' });
    expect(c.cloud.token).toBe('cloud-secret-token-1');
    expect(c.systems[0].password).toBe('og-secret-pass');
    expect(c.systems[0].inventory_interval).toBe(15 * 60_000);
    expect(c.systems[1].inventory_interval).toBe(90 * 60_000);
    expect(c.systems[1].status_interval).toBe(15 * 60_000);
    expect(c.systems[0].directory_id).toBe('id-1'); // vendor extras pass through
    expect(c.systems[0].tls).toEqual({ ca_file: '/etc/ca.pem', insecure: false });
    expect(c.systems[1].tls).toEqual({ insecure: false });
    expect(c.streams.canonical.max_bytes).toBe(4 * 1024 ** 3);
    expect(c.cloud.batch.max_items).toBe(500);
    expect(c.http.host).toBe('127.0.0.1');
  });

  it('registers config secrets so logs scrub them', () => {
    parseConfig(good, 'edge.yaml', env);
    expect(scrubSecrets('pw=og-secret-pass token=cloud-secret-token-1 app=og-app-id-secret')).toBe('pw=[REDACTED] token=[REDACTED] app=[REDACTED]');
  });

  it('names the field and the problem', () => {
    const bad = good.replace('base_url: https://xp.local', 'base_url: xp.local').replace('inventory_interval: 15m', 'inventory_interval: soon');
    expect(problems(bad)).toEqual([
      'systems[0].inventory_interval: "soon" is not a duration (write e.g. 30s, 15m, 1h)',
      'systems[1].base_url: must be an http(s) URL',
    ]);
  });

  it('with the vendor list, lists the known vendors for an unknown one and gives each collector its port', () => {
    // The platform never imports the vendor list: whoever loads the config injects it (here a stand-in).
    const vendors = [
      { id: 'onguard', service: { name: 'collector-onguard', port: 7301 } },
      { id: 'milestone', service: { name: 'collector-milestone', port: 7302 } },
    ];
    const bad = good.replace('vendor: milestone', 'vendor: acme');
    expect(() => parseConfig(bad, 'edge.yaml', env, { vendors })).toThrow(/systems\[1\]\.vendor: unknown vendor "acme"; known vendors: milestone, onguard/);
    expect(parseConfig(bad, 'edge.yaml', env).systems[1].vendor).toBe('acme');
    const c = parseConfig(good, 'edge.yaml', env, { vendors });
    expect(httpPortFor(c, 'collector-milestone')).toBe(7302);
    expect(httpPortFor(c, 'normalizer')).toBe(7303);
    expect(httpPortFor(parseConfig(good, 'edge.yaml', env), 'collector-milestone', 7399)).toBe(7399);
  });

  it('reports missing env vars, missing fields, unknown fields, duplicates and bad YAML', () => {
    expect(problems(good, { ...env, XP_PASS: undefined })).toEqual(['systems[1].password: environment variable XP_PASS is not set']);
    expect(problems(good.replace('customer_id: convergint-001', 'customr_id: x'))).toEqual(
      expect.arrayContaining(['site.customer_id: is required', 'site: unknown field(s) "customr_id"']),
    );
    expect(problems(good.replace('id: xp-main', 'id: og-main'))).toEqual(['systems[1].id: duplicate system id "og-main" (also systems[0])']);
    expect(problems(good.replace('id: site-chi-01', 'id: "site chi"'))[0]).toMatch(/^site\.id: must use only letters/);
    expect(problems('site: [unclosed')[0]).toMatch(/^YAML: /);
    expect(problems('- a list')).toEqual(['(root): must be a mapping']);
    expect(problems(good.replace('nats://127.0.0.1:4222', 'http://x'))).toEqual(['nats.url: must be a nats:// or tls:// URL']);
  });

  it('supports ${VAR:-default}', () => {
    const c = parseConfig(good.replace('${CLOUD_TOKEN}', '${NOPE:-fallback-token}'), 'x', env);
    expect(c.cloud.token).toBe('fallback-token');
  });

  it('reads EDGE_CONFIG files and reports unreadable ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const f = join(dir, 'edge.yaml');
    writeFileSync(f, good);
    expect(loadConfig(f, env).systems).toHaveLength(2);
    expect(() => loadConfig(join(dir, 'missing.yaml'), env)).toThrow(/missing\.yaml[\s\S]*cannot read file: ENOENT/);
  });

  it('parses durations', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('15')).toBeNull();
    expect(parseDuration('m15')).toBeNull();
  });
});
