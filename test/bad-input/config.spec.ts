/**
 * Malformed configuration: whatever the file holds, loading it ends in a ConfigError that names
 * the field (never a TypeError, never a half-loaded config); vendor extras likewise; and a bad
 * file stops `npm start` and a service process at once with one clear message — no crash loop,
 * no secret in the message.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TEST_DEADLINE_MS } from '@edge/platform/testing';
import { stringify } from 'yaml';
import { ConfigError, EdgeError, parseConfig, SystemConfig } from '@edge/platform';
import { parseMilestoneConfig } from '@edge/vendor-milestone';

const ROOT = resolve(__dirname, '../..');
const ENV = { CLOUD_TOKEN: 'cfg-cloud-token-9f3a', OG_PASS: 'cfg-og-pass-71bc' };
const VALID = `
site: { id: site-chi-01, customer_id: convergint-001 }
nats: { url: nats://127.0.0.1:4222 }
cloud: { base_url: https://ingest.example.com, token: \${CLOUD_TOKEN}, timeout: 10s }
streams:
  canonical: { max_bytes: 1GB, max_age: 30d }
systems:
  - { id: og-main, vendor: onguard, base_url: https://og.local:8080, username: svc, password: \${OG_PASS}, directory_id: id-1, inventory_interval: 15m }
  - id: xp-main
    vendor: milestone
    base_url: https://xp.local
    username: svc
    password: xp-inline-pass
    page_size: 200
http: { host: 127.0.0.1 }
`;

/** Loading either yields a config or a ConfigError with problems: nothing else may escape. */
function loadOutcome(text: string): 'ok' | ConfigError {
  try {
    parseConfig(text, 'edge.yaml', ENV);
    return 'ok';
  } catch (e) {
    if (!(e instanceof ConfigError)) throw new Error(`not a ConfigError: ${String((e as Error)?.stack ?? e)}\n--- input ---\n${text}`);
    expect(e.problems.length).toBeGreaterThan(0);
    for (const s of Object.values(ENV)) expect(e.message).not.toContain(s);
    return e;
  }
}

describe('malformed config files', () => {
  it('the valid example loads', () => {
    expect(loadOutcome(VALID)).toBe('ok');
  });

  it('any edit of the file (characters deleted, inserted, replaced) loads or fails with a ConfigError', () => {
    const edit = fc.array(
      fc.record({ at: fc.nat(VALID.length), del: fc.nat(6), ins: fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom(':', '{', '}', '[', '-', '\t', '\n', '"', "'", '${X}', '&a', '*a', '!!binary', '\u0000')) }),
      { minLength: 1, maxLength: 4 },
    );
    fc.assert(
      fc.property(edit, (edits) => {
        let t = VALID;
        for (const e of edits) t = t.slice(0, e.at) + e.ins + t.slice(e.at + e.del);
        loadOutcome(t);
      }),
      { numRuns: 300 },
    );
  });

  it('arbitrary text and arbitrary YAML documents fail with a ConfigError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.jsonValue().map((v) => stringify(v))), (t) => {
        loadOutcome(t);
      }),
      { numRuns: 300 },
    );
  });

  it('a field of the wrong type or value is named in the error', () => {
    const fields: Array<[string[], string]> = [
      [['site', 'id'], 'site.id'],
      [['cloud', 'base_url'], 'cloud.base_url'],
      [['cloud', 'timeout'], 'cloud.timeout'],
      [['streams', 'canonical', 'max_bytes'], 'streams.canonical.max_bytes'],
      [['http', 'host'], 'http.host'],
      [['nats', 'url'], 'nats.url'],
    ];
    const base = () =>
      ({
        site: { id: 'site-1', customer_id: 'c' },
        nats: { url: 'nats://127.0.0.1:4222' },
        cloud: { base_url: 'https://cloud.example', token: 'abcd', timeout: '10s' },
        streams: { canonical: { max_bytes: '1GB', max_age: '1d' } },
        http: { host: '127.0.0.1' },
      }) as Record<string, unknown>;
    fc.assert(
      fc.property(fc.constantFrom(...fields), fc.constantFrom<unknown>(12, -1, true, [], { a: 1 }, 'not a url or id!', null), ([path, name], wrong) => {
        const cfg = base();
        let cur = cfg as Record<string, unknown>;
        for (const p of path.slice(0, -1)) cur = cur[p] as Record<string, unknown>;
        cur[path[path.length - 1]] = wrong;
        const out = loadOutcome(stringify(cfg));
        // Some replacements are valid (a host may be any text): only failures must name the field.
        if (out !== 'ok') expect(out.problems.join('\n')).toContain(name);
      }),
      { numRuns: 200 },
    );
  });

  it('vendor extras of the wrong type are a permanent config error naming the system and field', () => {
    const system = SystemConfig.parse({ id: 'xp-main', vendor: 'milestone', base_url: 'https://xp.local', username: 'u', password: 'secret-pw-0', page_size: 'lots', driver_settings: 'yes' });
    let err: unknown;
    try {
      parseMilestoneConfig(system);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EdgeError);
    expect((err as EdgeError).kind).toBe('permanent');
    expect((err as EdgeError).message).toMatch(/systems\[xp-main\]\.page_size/);
    expect((err as EdgeError).message).toMatch(/systems\[xp-main\]\.driver_settings/);
    expect((err as EdgeError).message).not.toContain('secret-pw-0');
  });
});

describe('a bad config stops processes at once with one clear message', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edge-badcfg-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'edge.yaml');
  writeFileSync(file, VALID.replace('timeout: 10s', 'timeout: soon').replace('id: site-chi-01', 'id: "site chi"'));

  it('npm start exits 2 before starting anything, naming the fields', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: ROOT, env: { ...process.env, ...ENV, EDGE_CONFIG: file }, encoding: 'utf8', timeout: TEST_DEADLINE_MS });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/site\.id/);
    expect(r.stderr).toMatch(/cloud\.timeout/);
    expect(r.stdout).not.toMatch(/started \(pid/);
    for (const s of Object.values(ENV)) expect(r.stderr + r.stdout).not.toContain(s);
  });

  it('a service process exits non-zero with one fatal line and no secret', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'services/normalizer/src/main.ts'], { cwd: ROOT, env: { ...process.env, ...ENV, EDGE_CONFIG: file, OTEL_SDK_DISABLED: 'true' }, encoding: 'utf8', timeout: TEST_DEADLINE_MS });
    expect(r.status).not.toBe(0);
    const out = `${r.stdout}\n${r.stderr}`;
    expect(out).toMatch(/cloud\.timeout/);
    for (const s of Object.values(ENV)) expect(out).not.toContain(s);
  });
});
