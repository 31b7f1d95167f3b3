import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '@edge/platform';
import { VENDORS } from '@edge/vendors';
import { fieldRows, renderConfigReference } from '../../scripts/config-reference';
import { REPO_ROOT, servicesFor } from '../../scripts/services';

describe('configuration reference', () => {
  it('docs/CONFIG.md is what the schema generates (run `npx tsx scripts/gen-config-docs.ts` after changing the schema)', () => {
    const committed = readFileSync(join(REPO_ROOT, 'docs/CONFIG.md'), 'utf8');
    expect(committed).toBe(renderConfigReference());
  });

  it('lists every field with a type and says what it means', () => {
    const rows = fieldRows();
    const paths = rows.map((r) => r.path);
    for (const p of ['site.id', 'nats.url', 'cloud.base_url', 'cloud.token', 'systems[].base_url', 'systems[].inventory_interval', 'streams.raw.max_bytes', 'data_dir'])
      expect(paths).toContain(p);
    expect(rows.find((r) => r.path === 'systems[].inventory_interval')).toMatchObject({ type: 'duration', default: '`15m`', required: false });
    expect(rows.find((r) => r.path === 'cloud.token')).toMatchObject({ required: true });
    const doc = renderConfigReference();
    for (const r of rows) expect(doc).toMatch(new RegExp(`\\| \`${r.path.replace(/[.[\]<>]/g, '\\$&')}\` \\|[^\\n]*\\| [^|\\n ][^|\\n]* \\|\\n`));
  });
});

describe('example configs', () => {
  const env = { CLOUD_TOKEN: 'example-token', NATS_PASSWORD: 'example-nats-pw', OG_PASSWORD: 'example-og-pw', OG_APPLICATION_ID: 'example-app-id', XP_PASSWORD: 'example-xp-pw' };

  it('config/edge.example.yaml is valid: one OnGuard and one XProtect, local NATS (no nats.url)', () => {
    const cfg = loadConfig(join(REPO_ROOT, 'config/edge.example.yaml'), env);
    expect(cfg.systems.map((s) => s.vendor).sort()).toEqual(['milestone', 'onguard']);
    expect(cfg.nats.url).toBeUndefined();
    expect(servicesFor(cfg).map((s) => s.name)).toEqual(['collector-onguard', 'collector-milestone', 'normalizer', 'forwarder', 'console']);
  });

  it('config/edge.example.yaml names its secrets as ${VAR}, never inline', () => {
    expect(() => loadConfig(join(REPO_ROOT, 'config/edge.example.yaml'), {})).toThrow(/CLOUD_TOKEN is not set/);
  });

  it('config/demo.yaml is valid with no environment at all', () => {
    const cfg = loadConfig(join(REPO_ROOT, 'config/demo.yaml'), {});
    expect(cfg.systems.map((s) => s.id).sort()).toEqual(VENDORS.map((v) => v.simulator.demo.system_id).sort());
    expect(cfg.nats.url).toBeUndefined();
  });
});
