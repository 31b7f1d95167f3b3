/**
 * No secret leaves in logs, traces, status endpoints, errors or data at rest. The whole product
 * runs (every service a process, as under `npm start`) with known secrets — cloud token, NATS
 * password, both vendor passwords, the OnGuard Application-Id, the status token — and the session
 * tokens the simulated vendors hand out; the run goes through the paths where secrets like to
 * escape (logins, re-logins after expired sessions, refused credentials, cloud 401s, NATS
 * restart, errors in /status). Then every output line, every /status, /readyz and cmd.status
 * body, every exported span, the CLI's output, what the cloud received, the processes' command
 * lines and the files under data_dir (config, NATS store) are searched for every secret.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '@edge/platform';
import { runCli } from '../../services/cli/src/cli';
import { missingDevices } from '../chaos/lib/ledger';
import { waitPipelineReady } from '../chaos/lib/scenario';
import type { OnGuardSimulator } from '@edge/sim-onguard';
import type { MilestoneSimulator } from '@edge/sim-milestone';
import { PIPELINE, startChaosStack, systemIdOf, waitFor, type ChaosStack } from '../chaos/lib/stack';

const HTTP_TOKEN = 'status-bearer-token-e5d90b';
let stack: ChaosStack;
/** Session and access tokens the simulated vendors issued during the run. */
const issued = new Set<string>();
let sampler: NodeJS.Timeout | null = null;
// This test goes through each vendor's own escape paths: it drives the simulators themselves.
const og = () => stack.sim('onguard').native as OnGuardSimulator;
const xp = () => stack.sim('milestone').native as MilestoneSimulator;

function sampleIssuedTokens(): void {
  for (const t of og().state.sessions.keys()) issued.add(t);
  // Test-only look into the simulated IDP: the access tokens it issued.
  const idp = (xp().control as unknown as { d: { idp: { tokens: Map<string, unknown> } } }).d.idp;
  for (const t of idp.tokens.keys()) issued.add(t);
}

function secrets(): Array<[string, string]> {
  const s = stack.secrets;
  const fixed: Array<[string, string]> = [
    ['cloud token', s.cloudToken],
    ['NATS password', s.natsPassword],
    ['status token', HTTP_TOKEN],
    // Each vendor's: OnGuard's password and Application-Id, XProtect's password.
    ...Object.entries(s.vendors).map(([name, value]): [string, string] => [name, value]),
  ];
  return [...fixed, ...[...issued].filter((t) => t.length >= 8).map((t, i): [string, string] => [`vendor session token #${i}`, t])];
}

/** Where each secret was found in `text` (empty = clean). */
function leaks(where: string, text: string): string[] {
  const out: string[] = [];
  for (const [name, value] of secrets()) {
    const forms = new Set([value, encodeURIComponent(value), Buffer.from(value).toString('base64')]);
    for (const f of forms) if (f.length >= 6 && text.includes(f)) out.push(`${name} in ${where}`);
  }
  return out;
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...filesUnder(p));
    else if (st.size < 64 * 1024 * 1024) out.push(p);
  }
  return out;
}

async function get(url: string, auth = true): Promise<string> {
  const r = await fetch(url, { headers: auth ? { authorization: `Bearer ${HTTP_TOKEN}` } : {}, signal: AbortSignal.timeout(5_000) }).catch((e: Error) => ({ text: async () => `fetch failed: ${e.message}` }));
  return r.text();
}

beforeAll(async () => {
  stack = await startChaosStack({ otlp: true, httpToken: HTTP_TOKEN, logLevel: 'debug' });
  sampler = setInterval(sampleIssuedTokens, 200);
  await waitPipelineReady(stack);
}, 600_000);

afterAll(async () => {
  if (sampler) clearInterval(sampler);
  await stack?.stop();
}, 600_000);

describe('a run with known secrets', () => {
  it('goes through logins, re-logins, refusals and restarts', async () => {
    await waitFor('initial inventories at the cloud', () => missingDevices(stack).length === 0 && stack.cloud.store.syncList().filter((x) => x.final && x.complete).length >= 2, {
      timeoutMs: 120_000,
      lines: stack.lines,
    });
    // Status changes through both event streams.
    const reader = og().control.devices('reader').find((d) => d.expected_status === 'online')!;
    og().control.setOnline(reader.canonical_key, false);
    const cam = xp().control.devices().find((d) => d.resource_type === 'cameras' && d.expected_status === 'online')!;
    xp().control.commError(cam.resource_type, cam.id);
    // Sessions and tokens expire: the collectors log in again.
    og().control.invalidateSessions();
    xp().control.expireTokens();
    await fetch(stack.statusUrl('collector-onguard').replace('/status', '/sync'), { method: 'POST', headers: { authorization: `Bearer ${HTTP_TOKEN}`, 'content-type': 'application/json' }, body: '{}' });
    // The cloud refuses the token for a while: the forwarder reports it.
    stack.cloud.faults.set({ reject_token: 401 });
    og().control.setOnline(reader.canonical_key, true);
    await waitFor('the forwarder reports refused credentials', async () => /credentials/.test(await get(stack.statusUrl('forwarder'))), { timeoutMs: 120_000, lines: stack.lines });
    stack.cloud.faults.clear();
    // NATS restarts under everyone (they reconnect with the password).
    stack.supervisor.signal('nats', 'SIGKILL');
    await sleep(1_500);
    await waitPipelineReady(stack);
    // Vendor credentials refused: XProtect IDP says invalid_grant, OnGuard refuses the login.
    xp().control.setUserState(xp().username, 'lockedOut');
    xp().control.expireTokens();
    og().control.setPassword(og().credentials.user_name, 'changed-by-the-test');
    og().control.invalidateSessions();
    await fetch(stack.statusUrl('collector-milestone').replace('/status', '/sync'), { method: 'POST', headers: { authorization: `Bearer ${HTTP_TOKEN}`, 'content-type': 'application/json' }, body: '{}' });
    await fetch(stack.statusUrl('collector-onguard').replace('/status', '/sync'), { method: 'POST', headers: { authorization: `Bearer ${HTTP_TOKEN}`, 'content-type': 'application/json' }, body: '{}' });
    await waitFor(
      'both collectors report the refused credentials',
      async () => /locked|refused|credentials|invalid/i.test(await get(stack.statusUrl('collector-milestone'))) && /refused|credentials|invalid|password/i.test(await get(stack.statusUrl('collector-onguard'))),
      { timeoutMs: 120_000, lines: stack.lines },
    );
    // Let the batch span processors export.
    await waitFor('spans exported', () => stack.otlp!.spans.length > 50, { timeoutMs: 120_000, lines: stack.lines });
    sampleIssuedTokens();
    expect(issued.size).toBeGreaterThan(1);
    expect(stack.otlp!.spans.length).toBeGreaterThan(50);
  }, 600_000);

  it('the scan finds a secret where there is one (control)', () => {
    for (const [name, value] of secrets().slice(0, 3 + Object.keys(stack.secrets.vendors).length)) expect(leaks('control', `before ${value} after`), name).toHaveLength(1);
    expect(leaks('control', `Bearer ${encodeURIComponent(stack.secrets.vendors.CHAOS_ONGUARD_PASSWORD)}`).length).toBeGreaterThan(0);
  });

  it('no secret in any output line of any process', () => {
    expect(stack.lines.length).toBeGreaterThan(100);
    const found = stack.lines.flatMap((l, i) => leaks(`line ${i}: ${l.slice(0, 160)}`, l));
    expect(found).toEqual([]);
  });

  it('no secret in /status, /readyz, /healthz of any service, nor in the operator CLI', async () => {
    const found: string[] = [];
    for (const svc of PIPELINE) {
      for (const path of ['/status', '/readyz', '/healthz']) {
        const body = await get(stack.statusUrl(svc).replace('/status', path));
        expect(body.length).toBeGreaterThan(2);
        found.push(...leaks(`${svc} ${path}`, body));
      }
    }
    const out: string[] = [];
    const env = { ...process.env, NATS_URL: stack.pipeline.natsUrl, EDGE_CONFIG: stack.configFile };
    await runCli(['status', '--json'], { out: (l) => out.push(l), err: (l) => out.push(l) }, env);
    await runCli(['dlq', 'list'], { out: (l) => out.push(l), err: (l) => out.push(l) }, env);
    expect(out.join('\n')).toMatch(new RegExp(systemIdOf('onguard')));
    found.push(...leaks('CLI output', out.join('\n')));
    expect(found).toEqual([]);
  });

  it('no secret in any exported span (names, attributes, resources)', () => {
    const found = stack.otlp!.spans.flatMap((s) => leaks(`span ${s.name} of ${String(s.resource['service.name'])}`, JSON.stringify(s)));
    expect(found).toEqual([]);
  });

  it('no secret in what reached the cloud (inventory, events, heartbeats)', () => {
    const st = stack.cloud.store;
    const text = JSON.stringify({ devices: st.deviceList(), events: st.events, heartbeats: st.heartbeats, syncs: st.syncList() });
    expect(st.heartbeats.length).toBeGreaterThan(0);
    expect(leaks('cloud store', text)).toEqual([]);
  });

  it('no secret on a process command line nor in any file under data_dir (config, NATS config, JetStream store, KV registry)', () => {
    const found: string[] = [];
    for (const p of stack.supervisor.status()) {
      if (!p.pid) continue;
      const cmd = readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      found.push(...leaks(`command line of ${p.name}`, cmd));
    }
    const dir = stack.pipeline.config.data_dir;
    const files = filesUnder(dir);
    expect(files.some((f) => /nats-server\.conf$/.test(f))).toBe(true);
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) found.push(...leaks(f.slice(dir.length), readFileSync(f).toString('latin1')));
    found.push(...leaks('config file', readFileSync(stack.configFile, 'utf8')));
    expect(found).toEqual([]);
  });
});
