/**
 * `npm start`: runs every service the config (EDGE_CONFIG, default config/edge.yaml) needs as
 * its own process under one supervisor, plus a local nats-server when `nats.url` is absent.
 * SIGINT/SIGTERM stop the services first (they drain), then NATS; a second signal kills.
 *
 * Environment: EDGE_CONFIG, EDGE_USE_DIST=1 (run dist/ bundles), EDGE_NATS_PORT (local NATS,
 * default 4222), EDGE_STOP_GRACE_MS (default 20000), EDGE_LOG_FORMAT=json|pretty.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, configPath } from '@edge/platform';
import { buildPipeline } from './pipeline';
import { prettyLine, wantPretty } from './log-format';
import { Supervisor } from './supervisor';
import { watchJetStream } from './local-nats';

async function main(): Promise<void> {
  const file = configPath();
  let pipeline;
  try {
    pipeline = buildPipeline(file);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      if (e.problems.some((p) => p.includes('cannot read file')))
        process.stderr.write(`\ncopy config/edge.example.yaml to ${file} and edit it, or set EDGE_CONFIG (try: npm run demo)\n`);
      process.exit(2);
    }
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(2);
  }
  const pretty = wantPretty();
  const width = Math.max(10, ...pipeline.processes.map((p) => p.name.length));
  const sup = new Supervisor(pipeline.processes, {
    graceMs: Number(process.env.EDGE_STOP_GRACE_MS || 20_000),
    output: (name, line) => process.stdout.write(`${name.padEnd(width)} | ${pretty ? prettyLine(line) : line}\n`),
    log: (m) => process.stdout.write(`${'supervisor'.padEnd(width)} | ${m}\n`),
    runFile: join(pipeline.config.data_dir, 'supervisor.run.json'),
  });
  const names = pipeline.processes.map((p) => p.name).join(', ');
  process.stdout.write(
    `${'supervisor'.padEnd(width)} | site ${pipeline.config.site.id}: starting ${names} (config ${pipeline.configFile}, nats ${pipeline.natsUrl}${pipeline.localNats ? ' local' : ''})\n`,
  );

  let firstSignalAt = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    // `npm start` relays the terminal's Ctrl-C that already reached us: the same press twice.
    if (firstSignalAt && Date.now() - firstSignalAt < 1_500) return;
    if (firstSignalAt) {
      process.stdout.write(`${'supervisor'.padEnd(width)} | ${sig} again: killing everything\n`);
      sup.kill();
      process.exit(130);
    }
    firstSignalAt = Date.now();
    process.stdout.write(`${'supervisor'.padEnd(width)} | ${sig}: stopping (services drain first; press again to kill)\n`);
    void sup.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  mkdirSync(pipeline.config.data_dir, { recursive: true });
  try {
    await sup.start();
  } catch (e) {
    process.stderr.write(`${(e as Error).message}
`);
    sup.kill();
    process.exit(1);
  }
  if (pipeline.local) {
    const local = pipeline.local;
    watchJetStream({ local, restart: () => sup.signal('nats', 'SIGTERM'), log: (m) => process.stdout.write(`${'supervisor'.padEnd(width)} | ${m}
`) });
  }
}

void main();
