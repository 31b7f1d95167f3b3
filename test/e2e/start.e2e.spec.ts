/**
 * `npm start` itself (scripts/start.ts as a process): a config without nats.url gets a local
 * nats-server with its store under data_dir; every service the config needs comes up; SIGTERM
 * drains and stops all of them, NATS last; a bad config stops it before anything starts.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, TEST_DEADLINE_MS } from '@edge/platform/testing';
import { REPO_ROOT } from '../../scripts/services';
import { waitFor } from './stack';

const dir = mkdtempSync(join(tmpdir(), 'edge-start-'));
const procs: ChildProcess[] = [];
let proc: ChildProcess | null = null;
afterAll(() => {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Is anything left of the process group `pgid` (the supervisor starts each child as a group)? */
const groupAlive = (pgid: number) => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};


/** A minimal config without systems: local NATS, normalizer and forwarder. */
async function writeConfig(name: string) {
  const ports = { normalizer: await freePort(), forwarder: await freePort(), console: await freePort() };
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `site: { id: ${name}-site, customer_id: start-customer }`,
      'cloud: { base_url: "http://127.0.0.1:9", token: "${START_CLOUD_TOKEN}" }',
      `http: { host: 127.0.0.1, ports: { normalizer: ${ports.normalizer}, forwarder: ${ports.forwarder}, console: ${ports.console} } }`,
      `data_dir: ${JSON.stringify(join(dir, `${name}-data`))}`,
    ].join('\n'),
  );
  return { file, ports, natsPort: await freePort() };
}

/** Runs `npm start`'s supervisor as a process; its output lines collect in `lines`. */
function startSupervisor(cfg: { file: string; natsPort: number }, env: Record<string, string> = {}) {
  const lines: string[] = [];
  const p = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts/start.ts')], {
    cwd: REPO_ROOT,
    env: { ...process.env, EDGE_CONFIG: cfg.file, EDGE_NATS_PORT: String(cfg.natsPort), START_CLOUD_TOKEN: 'start-token-1', EDGE_LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  procs.push(p);
  p.stdout!.on('data', (b: Buffer) => lines.push(...b.toString().split('\n')));
  p.stderr!.on('data', (b: Buffer) => lines.push(...b.toString().split('\n')));
  const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
  return { proc: p, lines, exited };
}

const startedPids = (lines: string[]) =>
  new Map(
    lines.flatMap((l) => {
      const m = /(\S+) started \(pid (\d+)\)/.exec(l);
      return m ? [[m[1], Number(m[2])] as const] : [];
    }),
  );

async function waitHealthy(ports: Record<string, number>, lines: string[]) {
  for (const [svc, port] of Object.entries(ports))
    await waitFor(`${svc} /healthz`, async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, { timeoutMs: 180_000, logs: lines });
}
describe('npm start (scripts/start.ts)', () => {
  it('runs a local nats-server and the services the config needs, and stops them all on SIGTERM', async () => {
    const ports = { normalizer: await freePort(), forwarder: await freePort(), console: await freePort() };
    const natsPort = await freePort();
    const file = join(dir, 'edge.yaml');
    // No systems: no collector is needed, so none runs.
    writeFileSync(
      file,
      [
        'site: { id: start-site, customer_id: start-customer }',
        'cloud: { base_url: "http://127.0.0.1:9", token: "${START_CLOUD_TOKEN}" }',
        `http: { host: 127.0.0.1, ports: { normalizer: ${ports.normalizer}, forwarder: ${ports.forwarder}, console: ${ports.console} } }`,
        `data_dir: ${JSON.stringify(join(dir, 'data'))}`,
      ].join('\n'),
    );
    const lines: string[] = [];
    proc = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts/start.ts')], {
      cwd: REPO_ROOT,
      env: { ...process.env, EDGE_CONFIG: file, EDGE_NATS_PORT: String(natsPort), START_CLOUD_TOKEN: 'start-token-1', EDGE_LOG_FORMAT: 'json' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout!.on('data', (b: Buffer) => lines.push(...b.toString().split('\n')));
    proc.stderr!.on('data', (b: Buffer) => lines.push(...b.toString().split('\n')));
    const exited = new Promise<number | null>((r) => proc!.once('exit', (code) => r(code)));

    for (const [svc, port] of Object.entries(ports))
      await waitFor(`${svc} /healthz`, async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, { timeoutMs: 180_000, logs: lines });
    // Output lines carry the process name; services log JSON with their name too.
    expect(lines.some((l) => /^normalizer +\| \{/.test(l))).toBe(true);
    expect(lines.some((l) => /^nats +\| /.test(l))).toBe(true);
    expect(lines.some((l) => /collector-/.test(l) && /started/.test(l))).toBe(false);
    expect(existsSync(join(dir, 'data', 'nats', 'jetstream'))).toBe(true);
    const started = new Map(lines.flatMap((l) => {
      const m = /(\S+) started \(pid (\d+)\)/.exec(l);
      return m ? [[m[1], Number(m[2])] as const] : [];
    }));
    expect([...started.keys()].sort()).toEqual(['console', 'forwarder', 'nats', 'normalizer']);
    const pids = [...started.values()];

    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    const stopped = lines.filter((l) => / stopped$/.test(l)).map((l) => l.replace(/^\S+ +\| /, ''));
    // Services drained and stopped before NATS.
    expect(stopped[stopped.length - 1]).toBe('nats stopped');
    expect(stopped).toEqual(expect.arrayContaining(['normalizer stopped', 'forwarder stopped']));
    expect(pids.filter(alive)).toEqual([]);
  }, 600_000);

  it('services end by themselves when the supervisor is SIGKILLed, and the next npm start comes up cleanly', async () => {
    const cfg = await writeConfig('orphan');
    const graceMs = 8_000;
    const first = startSupervisor(cfg, { EDGE_STOP_GRACE_MS: String(graceMs) });
    await waitHealthy(cfg.ports, first.lines);
    const groups = startedPids(first.lines);
    expect([...groups.keys()].sort()).toEqual(['console', 'forwarder', 'nats', 'normalizer']);

    first.proc.kill('SIGKILL'); // no stop runs: the children are orphans now
    await first.exited;
    // Started right away on the same ports and data dir: it finds what the dead one left and
    // waits for it (up to its grace) before starting anything.
    const second = startSupervisor(cfg, { EDGE_STOP_GRACE_MS: String(graceMs) });
    const gone = await waitFor('every process of the SIGKILLed supervisor to end', () => [...groups.values()].every((g) => !groupAlive(g)), { timeoutMs: 180_000, logs: first.lines });
    expect(gone).toBe(true);
    await waitHealthy(cfg.ports, second.lines);
    // The second finds the dead supervisor's run file either way: with its processes still
    // draining (it waits for them) or, when this machine is slow to start the second, already gone.
    expect(second.lines.some((l) => /left over from a supervisor that died|did not stop cleanly; its processes have all ended/.test(l))).toBe(true);
    // They drained and exited on their own within the grace: nothing had to be killed.
    expect(second.lines.filter((l) => /killed .*still running after the grace period/.test(l))).toEqual([]);
    const again = startedPids(second.lines);
    expect([...again.keys()].sort()).toEqual(['console', 'forwarder', 'nats', 'normalizer']);
    // No crash-restart: nothing fought it. On failure, what the crashed process said.
    const crashed = second.lines.filter((l) => /exited \(/.test(l));
    const said = (name: string) => second.lines.filter((l) => l.startsWith(`${name} `)).slice(-30);
    expect(crashed, crashed.flatMap((l) => said(/\| (\S+) exited/.exec(l)?.[1] ?? '')).join('\n')).toEqual([]);

    second.proc.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect([...again.values()].filter(groupAlive)).toEqual([]);
  }, 600_000);

  it('refuses a config with a missing ${VAR}, naming it, before starting anything', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'site: { id: s, customer_id: c }\ncloud: { base_url: "http://127.0.0.1:9", token: "${NOT_SET_ANYWHERE_X}" }\n');
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts/start.ts')], {
      cwd: REPO_ROOT,
      env: { ...process.env, EDGE_CONFIG: file },
      encoding: 'utf8',
      timeout: TEST_DEADLINE_MS,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('cloud.token: environment variable NOT_SET_ANYWHERE_X is not set');
  });
});
