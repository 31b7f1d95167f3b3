/**
 * Container HEALTHCHECK: GET /healthz of the process this container runs (EDGE_SERVICE, else the
 * bundle PID 1 runs), on the port its config gives it. `start` checks every service of the
 * config. Exit 0 = healthy. Other processes (simulators, CLI) are checked by compose itself.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { httpPortFor, loadConfig } from '@edge/platform';
import { VENDORS } from '@edge/vendors';
import { PIPELINE_SERVICES, servicesFor } from './services';

function processName(): string {
  if (process.argv[2]) return process.argv[2];
  if (process.env.EDGE_SERVICE) return process.env.EDGE_SERVICE;
  try {
    const argv = readFileSync('/proc/1/cmdline', 'utf8').split('\0');
    const bundle = argv.find((a) => /\/dist\/[\w-]+\.js$/.test(a));
    if (bundle) return bundle.replace(/^.*\/dist\/([\w-]+)\.js$/, '$1');
  } catch {
    /* not Linux or no access: fall through */
  }
  return 'start';
}

function get(host: string, port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host, port, path, method: 'GET', timeout: 3_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

async function main(): Promise<number> {
  const name = processName();
  const known = PIPELINE_SERVICES.some((s) => s.name === name);
  if (!known && name !== 'start') return 0;
  const cfg = loadConfig(undefined, undefined, { vendors: VENDORS });
  const host = ['0.0.0.0', '::', ''].includes(cfg.http.host) ? '127.0.0.1' : cfg.http.host;
  const names = known ? [name] : servicesFor(cfg).map((s) => s.name);
  let ok = true;
  for (const n of names) {
    const port = httpPortFor(cfg, n);
    const status = await get(host, port, '/healthz');
    if (status !== 200) {
      ok = false;
      process.stdout.write(`${n}: /healthz on ${host}:${port} answered ${status || 'nothing'}\n`);
    }
  }
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stdout.write(`healthcheck failed: ${String((e as Error)?.message ?? e)}\n`);
    process.exit(1);
  },
);
