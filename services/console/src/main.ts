import { resolve } from 'node:path';
import { configPath, connectNats, createLogger, describeError, EDGE_VERSION, httpPortFor, isNatsConnected, loadConfig, natsOptionsFromConfig, serveCommand, watchParent } from '@edge/platform';
import { subjects } from '@edge/contracts';
import { startConsoleServer } from './console-server';
import { SiteReader } from './site-reader';
import { loadUiBundle } from './ui-bundle';

/** The technician's status page: its own process, reading the site through the control plane. */
async function main(): Promise<void> {
  const cfg = loadConfig(configPath());
  const log = createLogger({ service: 'console', level: cfg.log.level, base: { site: cfg.site.id } });
  const nc = await connectNats(natsOptionsFromConfig(cfg, `console@${cfg.site.id}`), log);
  const started = Date.now();
  const surveyDir = resolve(cfg.data_dir, 'survey');
  const status = () => ({
    service: { name: 'console', version: EDGE_VERSION, site_id: cfg.site.id, uptime_s: Math.round((Date.now() - started) / 1000), rss_mb: Math.round(process.memoryUsage().rss / 1024 / 1024) },
  });
  const ready = () => {
    const nats = isNatsConnected(nc) ? true : 'disconnected';
    return { ok: nats === true, checks: { nats } };
  };
  // Answers cmd.status like every service, so `edge status` and the page itself list it.
  serveCommand(nc, subjects.cmdStatus(cfg.site.id), async () => ({ service: 'console', status: status(), ready: ready() }), log);
  const server = await startConsoleServer({
    host: cfg.http.host,
    port: httpPortFor(cfg, 'console'),
    token: cfg.http.token,
    reader: new SiteReader(nc, cfg.site.id, surveyDir),
    uiScript: () => loadUiBundle(resolve(__dirname, '..', '..', '..')),
    surveyDir,
    refreshMs: 1_000,
    log,
    status,
    ready,
  });
  log.info({ url: `http://${cfg.http.host.includes(':') ? `[${cfg.http.host}]` : cfg.http.host}:${server.port}/` }, 'console listening');
  const stop = () =>
    void server
      .close()
      .then(() => nc.drain())
      .finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // Orphaned (its supervisor died without stopping it): the same stop as on SIGTERM.
  watchParent(stop);
}

main().catch((e: unknown) => {
  console.error(JSON.stringify({ level: 'fatal', service: 'console', msg: `failed to start: ${describeError(e)}` }));
  process.exit(1);
});
