import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { resolve } from 'node:path';
import { HttpProxyAgent, HttpsProxyAgent } from 'hpagent';
import {
  checkConfigFiles,
  ConfigError,
  connectNats,
  createLogger,
  describeError,
  loadConfig,
  natsOptionsFromConfig,
  type EdgeConfig,
  type NatsConnection,
  type SystemConfig,
  type TlsConfig,
} from '@edge/platform';
import { VENDORS, vendorById } from '@edge/vendors';
import { EXIT, UsageError, type CliCommand } from '../command';

const USAGE = `edge config check [file] — validate an edge config and test what it connects to

  edge config check [file] [--offline] [--no-nats] [--json]

file defaults to --config, $EDGE_CONFIG, else config/edge.yaml. Checks: the file against the
schema (every problem named by field, every missing \${VAR}), each system's vendor settings,
then (unless --offline) that NATS, each system's server and the cloud answer, within --timeout
ms each (default 10000); --no-nats leaves NATS out (e.g. before the compose stack runs). The cloud
is reached through cloud.proxy when set. Exit code 0 when everything passed, 1 otherwise.`;

export interface CheckResult {
  target: string;
  what: string;
  ok: boolean;
  detail: string;
  ms?: number;
}

interface Answer {
  status: number;
  ms: number;
}

function get(url: string, o: { headers?: Record<string, string>; tls?: TlsConfig; proxy?: string; timeoutMs: number }): Promise<Answer> {
  const started = Date.now();
  const u = new URL(url);
  const tls = u.protocol === 'https:' ? { rejectUnauthorized: !o.tls?.insecure, ...(o.tls?.ca_file ? { ca: readFileSync(o.tls.ca_file) } : {}) } : {};
  // The same route as the forwarder: through cloud.proxy when set (CONNECT tunnel for https).
  const agent = o.proxy ? (u.protocol === 'https:' ? new HttpsProxyAgent({ proxy: o.proxy, ...tls }) : new HttpProxyAgent({ proxy: o.proxy })) : undefined;
  const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, {
    method: 'GET',
    headers: { 'user-agent': 'edge-config-check', ...o.headers },
    timeout: o.timeoutMs,
    ...tls,
    ...(agent ? { agent } : {}),
  });
  return new Promise((resolveAnswer, reject) => {
    req.on('response', (res: IncomingMessage) => {
      res.resume();
      resolveAnswer({ status: res.statusCode ?? 0, ms: Date.now() - started });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

function reason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  const msg = describeError(e);
  return code && !msg.includes(code) ? `${code}: ${msg}` : msg;
}

/** Each of the vendor's probes (from its descriptor: URLs that answer without a session, enough to prove host, port, TLS and path). */
function checkSystem(s: SystemConfig, timeoutMs: number): Array<Promise<CheckResult>> {
  return (vendorById(s.vendor)?.probes(s) ?? [{ url: s.base_url, headers: {} }]).map((probe) => checkProbe(s, probe, timeoutMs));
}

async function checkProbe(s: SystemConfig, probe: { url: string; headers: Record<string, string> }, timeoutMs: number): Promise<CheckResult> {
  const what = `${s.vendor} ${s.base_url}`;
  try {
    const a = await get(probe.url, { headers: probe.headers, tls: s.tls, timeoutMs });
    // Any HTTP answer proves address, port and TLS; a 5xx means the server itself is unwell.
    return { target: s.id, what, ok: a.status < 500, detail: `answered HTTP ${a.status}`, ms: a.ms };
  } catch (e) {
    return { target: s.id, what, ok: false, detail: reason(e) };
  }
}

async function checkCloud(cfg: EdgeConfig, timeoutMs: number): Promise<CheckResult> {
  const what = cfg.cloud.base_url + (cfg.cloud.proxy ? ` (via proxy ${new URL(cfg.cloud.proxy).host})` : '');
  try {
    const a = await get(`${cfg.cloud.base_url.replace(/\/+$/, '')}/v1/heartbeat`, {
      headers: { authorization: `Bearer ${cfg.cloud.token}` },
      tls: cfg.cloud.tls,
      proxy: cfg.cloud.proxy,
      timeoutMs,
    });
    if (a.status === 401 || a.status === 403) return { target: 'cloud', what, ok: false, detail: `answered HTTP ${a.status}: the token is refused`, ms: a.ms };
    return { target: 'cloud', what, ok: a.status < 500, detail: `answered HTTP ${a.status}`, ms: a.ms };
  } catch (e) {
    return { target: 'cloud', what, ok: false, detail: reason(e) };
  }
}

async function checkNats(cfg: EdgeConfig, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<CheckResult> {
  // No nats.url: `npm start` runs a local server on EDGE_NATS_PORT (default 4222).
  const url = cfg.nats.url ?? env.NATS_URL ?? `nats://127.0.0.1:${env.EDGE_NATS_PORT || 4222}`;
  const what = `${url}${cfg.nats.url ? '' : ' (local server of npm start)'}`;
  const started = Date.now();
  const log = createLogger({ service: 'edge-cli', level: 'fatal', destination: { write: () => undefined } });
  const connecting = connectNats(natsOptionsFromConfig(cfg, 'edge-config-check', url), log);
  let timer: NodeJS.Timeout | undefined;
  let nc: NatsConnection | null = null;
  try {
    nc = await Promise.race([
      connecting,
      new Promise<never>((_r, reject) => {
        timer = setTimeout(() => reject(new Error(`not reachable within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    const rtt = await nc.rtt();
    return { target: 'nats', what, ok: true, detail: `connected (rtt ${rtt} ms)`, ms: Date.now() - started };
  } catch (e) {
    return { target: 'nats', what, ok: false, detail: reason(e) };
  } finally {
    clearTimeout(timer);
    await nc?.close().catch(() => undefined);
    connecting.then((late) => (late === nc ? undefined : late.close())).catch(() => undefined);
  }
}

/** Validation and connectivity results of one config file. */
export async function checkConfig(file: string, env: NodeJS.ProcessEnv, o: { offline: boolean; timeoutMs: number; noNats?: boolean }): Promise<{ valid: boolean; results: CheckResult[]; config: EdgeConfig | null }> {
  const results: CheckResult[] = [];
  let cfg: EdgeConfig;
  try {
    cfg = loadConfig(file, env, { vendors: VENDORS });
  } catch (e) {
    const problems = e instanceof ConfigError ? e.problems : [describeError(e)];
    for (const p of problems) results.push({ target: 'config', what: file, ok: false, detail: p });
    return { valid: false, results, config: null };
  }
  results.push({ target: 'config', what: file, ok: true, detail: `valid: site ${cfg.site.id}, ${cfg.systems.length} system(s)` });
  for (const p of checkConfigFiles(cfg)) results.push({ target: 'config', what: 'files', ok: false, detail: p });
  for (const s of cfg.systems) {
    const validate = vendorById(s.vendor)?.config.parse;
    if (!validate) continue;
    try {
      validate(s);
      results.push({ target: s.id, what: `${s.vendor} settings`, ok: true, detail: s.enabled ? 'valid' : 'valid (disabled: not collected)' });
    } catch (e) {
      results.push({ target: s.id, what: `${s.vendor} settings`, ok: false, detail: describeError(e).replace(/\s*\n\s*/g, ' ') });
    }
  }
  const valid = results.every((r) => r.ok);
  if (!o.offline) {
    const checks = await Promise.all([
      ...(o.noNats ? [] : [checkNats(cfg, env, o.timeoutMs)]),
      ...cfg.systems.filter((s) => s.enabled).flatMap((s) => checkSystem(s, o.timeoutMs)),
      checkCloud(cfg, o.timeoutMs),
    ]);
    results.push(...checks);
  }
  return { valid, results, config: cfg };
}

export const configCommand: CliCommand = {
  name: 'config',
  summary: 'check a config file: schema, vendor settings, connectivity to NATS, systems, cloud',
  usage: USAGE,
  options: { offline: { type: 'boolean' }, 'no-nats': { type: 'boolean' } },
  async run(ctx, args, values) {
    const [sub, fileArg, ...rest] = args;
    if (sub !== 'check') throw new UsageError(sub ? `unknown config command "${sub}"` : 'config needs a command: check');
    if (rest.length) throw new UsageError('config check takes one file');
    const file = resolve(fileArg ?? (values.config as string | undefined) ?? ctx.env.EDGE_CONFIG ?? 'config/edge.yaml');
    const { results } = await checkConfig(file, ctx.env, { offline: values.offline === true, noNats: values['no-nats'] === true, timeoutMs: ctx.timeoutMs });
    const ok = results.every((r) => r.ok);
    if (ctx.json) {
      ctx.out(JSON.stringify({ file, ok, results }, null, 2));
      return ok ? EXIT.ok : EXIT.failed;
    }
    const w = Math.max(...results.map((r) => r.target.length));
    const ww = Math.min(60, Math.max(...results.map((r) => r.what.length)));
    for (const r of results)
      ctx.out(`${r.ok ? 'ok  ' : 'FAIL'}  ${r.target.padEnd(w)}  ${r.what.padEnd(ww)}  ${r.detail}${r.ms !== undefined ? ` (${r.ms} ms)` : ''}`);
    ctx.out('');
    ctx.out(ok ? 'all checks passed' : `${results.filter((r) => !r.ok).length} check(s) failed`);
    return ok ? EXIT.ok : EXIT.failed;
  },
};
