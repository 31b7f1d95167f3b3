import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMilestoneSimulator, type MilestoneSimulator } from '../src';

/**
 * Milestone's own published Python protocol samples (mipsdk-samples-protocol, MIT, kept unchanged
 * outside this repository in `../shared/vendor-samples/milestone`) judge the simulator: token for
 * a basic user and for a Windows user (NTLM), REST lists / single items / child items, and an
 * Events and State session with subscription, state, a pushed event and a resume.
 */

/** The Debian interpreter: its packages (requests, websockets, aiohttp, requests-ntlm) live there, not in a pyenv shim. */
const PYTHON = '/usr/bin/python3';

/** `shared/vendor-samples` beside the repository root (or beside one of its parents, for worktrees); EDGE_SHARED_DIR overrides. */
function findVendorSamples(): string {
  if (process.env.EDGE_SHARED_DIR) return join(process.env.EDGE_SHARED_DIR, 'vendor-samples');
  let dir = resolve(__dirname, '../../../..');
  for (;;) {
    const candidate = join(dirname(dir), 'shared', 'vendor-samples');
    if (existsSync(join(candidate, 'milestone'))) return candidate;
    if (dirname(dir) === dir) break;
    dir = dirname(dir);
  }
  throw new Error(
    `Milestone's protocol samples were not found: expected ../shared/vendor-samples/milestone next to the repository root (${resolve(__dirname, '../../../..')}) or one of its parents; set EDGE_SHARED_DIR to the shared folder`,
  );
}

/**
 * Debian's OpenSSL 3 keeps MD4 in its legacy provider, which ntlm-auth needs for the NT hash; the
 * check runs with a config that loads it (the same thing a Debian user has to do for requests_ntlm).
 */
function legacyOpensslConfig(dir: string): string {
  const file = join(dir, 'openssl-legacy.cnf');
  writeFileSync(
    file,
    ['openssl_conf = openssl_init', '[openssl_init]', 'providers = provider_sect', '[provider_sect]', 'default = default_sect', 'legacy = legacy_sect', '[default_sect]', 'activate = 1', '[legacy_sect]', 'activate = 1', ''].join('\n'),
  );
  return file;
}

describe("Milestone's Python protocol samples against the XProtect simulator", () => {
  let sim: MilestoneSimulator;
  let tmp: string;
  beforeAll(async () => {
    sim = await startMilestoneSimulator({ hardware: 8 });
    tmp = mkdtempSync(join(tmpdir(), 'xp-samples-'));
  });
  afterAll(async () => {
    await sim?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('every check of the vendor client passes, for a basic and a Windows (NTLM) user', async () => {
    const samples = findVendorSamples();
    expect(existsSync(PYTHON), `${PYTHON} is missing: run scripts/setup.sh`).toBe(true);
    const driver = join(__dirname, 'vendor-samples', 'xprotect_samples_check.py');
    const args = [driver, join(samples, 'milestone'), sim.url, sim.username, sim.password, `${sim.url}/_sim/devices/cameras/{id}/comm-error`, sim.windowsUsername, sim.windowsPassword];
    const out = await new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
      execFile(PYTHON, args, { timeout: 120_000, env: { ...process.env, OPENSSL_CONF: legacyOpensslConfig(tmp) } }, (err, stdout, stderr) =>
        done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
    const failed = out.stdout.split('\n').filter((l) => l.startsWith('FAIL'));
    expect(failed, `${out.stdout}\n${out.stderr}`).toEqual([]);
    const summary = /xprotect-samples: (\d+)\/(\d+) checks passed/.exec(out.stdout);
    expect(summary, out.stdout + out.stderr).not.toBeNull();
    // 9 basic-user checks + 4 Windows-user checks.
    expect(Number(summary![2])).toBe(13);
    expect(summary![1]).toBe(summary![2]);
    expect(out.code).toBe(0);
    expect(sim.control.stats()).toMatchObject({ windowsTokens: 1 });
  }, 600_000);
});
