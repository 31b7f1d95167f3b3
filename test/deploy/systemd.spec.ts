/**
 * The bare-box unit (deploy/systemd/edge-integration.service) passes `systemd-analyze verify`
 * without a warning, runs the supervisor bundle as the dedicated user, and carries the
 * hardening set. A broken copy is reported, so the check is live.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, TOOL_BUNDLES } from '../../scripts/services';

const UNIT = 'deploy/systemd/edge-integration.service';
const text = readFileSync(join(REPO_ROOT, UNIT), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'edge-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function verify(body: string): { code: number | null; out: string } {
  const file = join(dir, 'edge-integration.service');
  writeFileSync(file, body);
  const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
  if (r.error) throw new Error(`systemd-analyze is not installed (scripts/setup.sh installs it): ${r.error.message}`);
  return { code: r.status, out: `${r.stdout}${r.stderr}`.trim() };
}

const keys = (body: string) => new Map(body.split('\n').filter((l) => /^[A-Za-z]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

describe('systemd unit', () => {
  it('passes systemd-analyze verify with no warning; a misspelt key is reported', () => {
    expect(verify(text)).toEqual({ code: 0, out: '' });
    expect(verify(text.replace('NoNewPrivileges=yes', 'NoNewPrivilege=yes')).out).toMatch(/Unknown key .*NoNewPrivilege/);
  });

  it('runs the supervisor bundle as the dedicated user, with the hardening set', () => {
    const k = keys(text);
    expect(k.get('User')).toBe('edge');
    expect(TOOL_BUNDLES.map((t) => t.name)).toContain('start');
    expect(k.get('ExecStart')).toMatch(/\/dist\/start\.js$/);
    expect(k.get('KillMode')).toBe('mixed');
    for (const [key, value] of Object.entries({
      NoNewPrivileges: 'yes',
      ProtectSystem: 'strict',
      ProtectHome: 'yes',
      PrivateTmp: 'yes',
      PrivateDevices: 'yes',
      ProtectKernelTunables: 'yes',
      ProtectKernelModules: 'yes',
      ProtectControlGroups: 'yes',
      RestrictSUIDSGID: 'yes',
      RestrictNamespaces: 'yes',
      LockPersonality: 'yes',
      CapabilityBoundingSet: '',
      SystemCallArchitectures: 'native',
    }))
      expect(k.get(key), key).toBe(value);
    expect(k.get('RestrictAddressFamilies')).toBe('AF_INET AF_INET6 AF_UNIX');
  });
});
