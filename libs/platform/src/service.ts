import 'reflect-metadata';
import { Module, type DynamicModule, type LoggerService, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Logger } from 'pino';
import { checkConfigFiles, ConfigError, loadConfig, configPath } from './config/load';
import { httpPortFor, type EdgeConfig } from './config/schema';
import { createLogger } from './logger';
import { connectNats, isNatsConnected, natsOptionsFromConfig } from './nats/connection';
import { provision, provisionOptionsFromConfig } from './nats/provision';
import { provisionScopeFor } from './nats/permissions';
import { Publisher } from './nats/publisher';
import { DlqAdmin } from './nats/dlq';
import { startHealthServer } from './health/http-server';
import { JetStreamServer, type ConsumerBinding } from './transport/jetstream-server';
import { PlatformModule } from './transport/platform.module';
import { StatusRegistry, type EdgeRuntime } from './runtime';
import { shutdownTelemetry } from './telemetry';
import { describeError } from './errors';
import { registerSecret } from './secrets';
import { watchParent } from './parent-watch';

export const EDGE_VERSION: string = process.env.EDGE_VERSION ?? '0.1.0';

/**
 * A service, declared the one way every service is: its name, its Nest module and the durable
 * consumers it binds — each built from the loaded config — and its default status port when the
 * platform does not know it (a collector's comes with its vendor). `main.ts` is `runService(def)`.
 */
export interface ServiceDefinition {
  service: string;
  module(config: EdgeConfig): Type<unknown> | DynamicModule | Promise<Type<unknown> | DynamicModule>;
  consumers?(config: EdgeConfig): ConsumerBinding[];
  /** Default status port (when neither `http.ports` nor the platform's defaults name the service). */
  port?: number;
}

export function defineService(d: ServiceDefinition): ServiceDefinition {
  return d;
}

/** What `startService` runs: a definition resolved against a config (tests pass their own). */
export interface ServiceOptions {
  service: string;
  /** The service's own Nest module (handlers, providers). */
  module: Type<unknown> | DynamicModule;
  consumers?: ConsumerBinding[];
  /** Config already loaded (tests); default: EDGE_CONFIG. */
  config?: EdgeConfig;
  /** Override of the HTTP port (tests use 0). */
  httpPort?: number;
  /** Default status port (see ServiceDefinition.port). */
  port?: number;
}

/** Resolves a definition against `config` (default: EDGE_CONFIG) into what `startService` runs. */
export async function serviceOptions(d: ServiceDefinition, config: EdgeConfig = loadConfig(configPath()), over: Partial<ServiceOptions> = {}): Promise<ServiceOptions> {
  return { service: d.service, module: await d.module(config), consumers: d.consumers?.(config) ?? [], config, port: d.port, ...over };
}

export interface RunningService {
  runtime: EdgeRuntime;
  server: JetStreamServer;
  httpPort: number;
  stop(): Promise<void>;
}

class PinoNestLogger implements LoggerService {
  constructor(private readonly pino: Logger) {}
  log(message: unknown, context?: string) {
    this.pino.debug({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string) {
    this.pino.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.pino.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string) {
    this.pino.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    this.pino.trace({ context }, String(message));
  }
}

/**
 * Starts a service: config → logger → NATS (reconnect forever) → stream provisioning → Nest
 * microservice over JetStream → health/status HTTP. SIGTERM/SIGINT drain and stop.
 */
export async function startService(o: ServiceOptions): Promise<RunningService> {
  const config = o.config ?? loadConfig(configPath());
  const fileProblems = checkConfigFiles(config);
  if (fileProblems.length > 0) throw new ConfigError(configPath(), fileProblems);
  for (const s of [process.env.NATS_PASSWORD, process.env.NATS_TOKEN, process.env.EDGE_NATS_PASSWORD]) registerSecret(s);
  const log = createLogger({ service: o.service, level: config.log.level, base: { site: config.site.id } });
  const nc = await connectNats(natsOptionsFromConfig(config, `${o.service}@${config.site.id}`), log);
  const prov = await provision(nc, { ...provisionOptionsFromConfig(config), scope: provisionScopeFor(o.service) });
  log.info(prov, 'jetstream provisioned');
  const publisher = new Publisher(nc, log, { retryForMs: Math.floor(config.streams.duplicate_window / 2), timeoutMs: 5_000 });
  let jsServer: JetStreamServer | null = null;
  const runtime: EdgeRuntime = {
    service: o.service,
    version: EDGE_VERSION,
    config,
    log,
    nc,
    publisher,
    dlq: new DlqAdmin(nc, publisher),
    status: new StatusRegistry(),
    startedAt: new Date(),
    consumer: (pattern) => jsServer?.consumers.get(pattern),
  };
  runtime.status.readyCheck('nats', () => (nc.isClosed() ? 'closed' : isNatsConnected(nc) ? true : 'disconnected'));
  runtime.status.contribute('service', () => ({
    name: o.service,
    version: EDGE_VERSION,
    site_id: config.site.id,
    started_at: runtime.startedAt.toISOString(),
    uptime_s: Math.round((Date.now() - runtime.startedAt.getTime()) / 1000),
    rss_mb: Math.round(process.memoryUsage().rss / 1024 / 1024),
  }));
  runtime.status.contribute('publisher', () => publisher.counters.snapshot());

  const server = new JetStreamServer(runtime, o.consumers ?? []);
  jsServer = server;
  runtime.status.contribute('consumers', async () => {
    const out: Record<string, unknown> = {};
    for (const [k, c] of server.consumers) out[k] = { ...c.status(), lag: await c.lag() };
    return out;
  });

  @Module({ imports: [PlatformModule.forRuntime(runtime), o.module] })
  class RootModule {}

  const app = await NestFactory.createMicroservice(RootModule, { strategy: server, logger: new PinoNestLogger(log) as never, abortOnError: false });
  await app.listen();

  const http = await startHealthServer({
    host: config.http.host,
    port: o.httpPort ?? httpPortFor(config, o.service, o.port),
    service: o.service,
    ready: () => runtime.status.readiness(),
    status: async () => runtime.status.snapshot(),
    routes: runtime.status.routes,
    token: config.http.token,
    log,
  });
  log.info({ http_port: http.port }, `${o.service} started`);

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      log.info('stopping: draining in-flight work');
      await app.close().catch((e) => log.error({ err: describeError(e) }, 'nest close failed'));
      await http.close().catch(() => undefined);
      await nc.drain().catch(() => undefined);
      log.info('stopped');
      log.flush?.();
    })());
  return { runtime, server, httpPort: http.port, stop };
}

/**
 * Entry point of a service process — the whole of every service's `main.ts`: loads the config,
 * builds the service from its definition, starts it, and wires signals and fatal errors.
 */
export function runService(d: ServiceDefinition): void {
  let running: RunningService | null = null;
  const exit = async (code: number) => {
    if (running) await running.stop();
    await shutdownTelemetry();
    // The timer is unref'd: when the loop empties first, the process still ends with this code.
    process.exitCode = code;
    setTimeout(() => process.exit(code), 50).unref();
  };
  process.once('SIGTERM', () => void exit(0));
  process.once('SIGINT', () => void exit(0));
  // Orphaned (the supervisor died without stopping us): the same drain as on SIGTERM.
  watchParent((why) => {
    (running?.runtime.log ?? console).warn({ reason: why }, 'supervisor gone: draining and stopping');
    void exit(0);
  });
  process.on('unhandledRejection', (e) => {
    // Logged, not fatal: one bad promise must not take down the pipeline.
    (running?.runtime.log ?? console).error({ err: describeError(e) }, 'unhandled rejection');
  });
  serviceOptions(d)
    .then(startService)
    .then((r) => {
      running = r;
    })
    .catch((e) => {
      console.error(JSON.stringify({ level: 'fatal', service: d.service, msg: `failed to start: ${describeError(e)}` }));
      void exit(1);
    });
}
