/**
 * What `npm start` runs for a config: the services it needs (scripts/services.ts) plus, when
 * `nats.url` is absent, a local nats-server. The demo and the end-to-end tests build their
 * process list here too, so they run exactly what `npm start` runs.
 */
import { resolve } from 'node:path';
import { loadConfig, type EdgeConfig } from '@edge/platform';
import { VENDORS } from '@edge/vendors';
import { checkNatsServer, localNats, type LocalNats } from './local-nats';
import { REPO_ROOT, launchCommand, serviceEnv, servicesFor } from './services';
import type { ProcessSpec } from './supervisor';

export interface Pipeline {
  config: EdgeConfig;
  configFile: string;
  /** URL the services connect to (config's or the local server's). */
  natsUrl: string;
  /** True when the pipeline runs its own nats-server. */
  localNats: boolean;
  /** That server (store, identities), when it runs one. */
  local?: LocalNats;
  processes: ProcessSpec[];
}

export interface PipelineOptions {
  env?: NodeJS.ProcessEnv;
  /** Extra environment for every service (tests: OTEL_*, LOG_LEVEL). */
  serviceEnv?: Record<string, string>;
}

/** The process's own NATS user on the local server (none with an external server). */
function natsIdentityEnv(id: { user: string; password: string } | undefined): Record<string, string> {
  return id ? { EDGE_NATS_USER: id.user, EDGE_NATS_PASSWORD: id.password } : {};
}

export function buildPipeline(configFile: string, o: PipelineOptions = {}): Pipeline {
  const env = o.env ?? process.env;
  const file = resolve(configFile);
  const config = loadConfig(file, env, { vendors: VENDORS });
  let natsUrl = config.nats.url ?? '';
  const processes: ProcessSpec[] = [];
  let identities: Record<string, { user: string; password: string }> = {};
  let local: LocalNats | undefined;
  if (!config.nats.url) {
    const problem = checkNatsServer();
    if (problem) throw new Error(problem);
    const n = localNats(config, env);
    natsUrl = n.url;
    identities = n.identities;
    local = n;
    processes.push(n.spec);
  }
  for (const s of servicesFor(config)) {
    const cmd = launchCommand(s, env);
    processes.push({
      name: s.name,
      command: cmd.command,
      args: cmd.args,
      cwd: REPO_ROOT,
      stage: 1,
      env: { ...cmd.env, ...serviceEnv(s, config, { configFile: file, natsUrl }), ...natsIdentityEnv(identities[s.name]), ...o.serviceEnv },
    });
  }
  return { config, configFile: file, natsUrl, localNats: !config.nats.url, local, processes };
}
