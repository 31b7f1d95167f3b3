/**
 * The one list of the pipeline's processes and how each is launched. `npm start`, the demo,
 * the end-to-end tests and the docker-compose drift test all read it, so what runs on a dev box
 * and what runs in containers cannot drift apart.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { EdgeConfig } from '@edge/platform';
import manifest from './services.json';

export const REPO_ROOT = resolve(__dirname, '..');

export interface ServiceSpec {
  /** Process name: `collector-<vendor>`, `normalizer`, `forwarder`. Also its OTEL_SERVICE_NAME and compose service name. */
  name: string;
  /** TypeScript entry point (dev). */
  entry: string;
  /** Bundle written by `npm run build`. */
  dist: string;
  /** Set for collectors: runs only when the config has an enabled system of this vendor. */
  vendor?: string;
}

function spec(s: { name: string; entry: string; vendor?: string }): ServiceSpec {
  return { name: s.name, entry: s.entry, dist: `dist/${s.name}.js`, ...(s.vendor ? { vendor: s.vendor } : {}) };
}

/** Every pipeline service this build knows, in start order (collectors first is irrelevant: NATS buffers). */
export const PIPELINE_SERVICES: readonly ServiceSpec[] = manifest.pipeline.map(spec);
/** Other bundles of the image: the operator CLI, the supervisor, the container healthcheck. */
export const TOOL_BUNDLES: readonly ServiceSpec[] = manifest.tools.map(spec);

/** Vendors that have an enabled system in the config. */
export function vendorsIn(cfg: EdgeConfig): string[] {
  return [...new Set(cfg.systems.filter((s) => s.enabled).map((s) => s.vendor))].sort();
}

/**
 * The services a config needs: a collector per vendor present (with an enabled system), the
 * normalizer and the forwarder. Throws when a configured vendor has no collector in this build.
 */
export function servicesFor(cfg: EdgeConfig): ServiceSpec[] {
  const vendors = vendorsIn(cfg);
  const missing = vendors.filter((v) => !PIPELINE_SERVICES.some((s) => s.vendor === v));
  if (missing.length > 0) throw new Error(`no collector service for vendor(s) ${missing.join(', ')} in this build (the vendor list: libs/vendors/registry)`);
  return PIPELINE_SERVICES.filter((s) => !s.vendor || vendors.includes(s.vendor));
}

/**
 * The environment a service process gets on top of the supervisor's own. The same names are
 * set in docker-compose.yml (test/deploy checks it).
 *  - EDGE_CONFIG: the config file every service loads.
 *  - NATS_URL: only when the config has no nats.url (the supervisor's local nats-server).
 *  - OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES: trace identity (service, site, systems).
 */
export function serviceEnv(s: ServiceSpec, cfg: EdgeConfig, o: { configFile: string; natsUrl?: string }): Record<string, string> {
  const systems = cfg.systems.filter((x) => x.enabled && (!s.vendor || x.vendor === s.vendor)).map((x) => x.id);
  const attrs = [`edge.site.id=${cfg.site.id}`, `edge.customer.id=${cfg.site.customer_id}`];
  if (s.vendor) attrs.push(`edge.vendor=${s.vendor}`, `edge.system.ids=${systems.join('|')}`);
  if (cfg.edge.id) attrs.push(`edge.id=${cfg.edge.id}`);
  const env: Record<string, string> = {
    EDGE_CONFIG: o.configFile,
    EDGE_SERVICE: s.name,
    OTEL_SERVICE_NAME: s.name,
    OTEL_RESOURCE_ATTRIBUTES: [process.env.OTEL_RESOURCE_ATTRIBUTES, ...attrs].filter(Boolean).join(','),
  };
  if (!cfg.nats.url && o.natsUrl) env.NATS_URL = o.natsUrl;
  return env;
}

export interface LaunchCommand {
  command: string;
  args: string[];
  /** Environment of the process that goes with the flags (the allocator's arenas). */
  env: Record<string, string>;
  mode: 'dist' | 'tsx';
}

/**
 * Dist bundle when EDGE_USE_DIST=1 and it was built; otherwise the TypeScript entry under tsx.
 * Source-mapped stack traces only with EDGE_SOURCE_MAPS=1: Node parses a bundle's whole map
 * (9 MB) at the first formatted stack and keeps it, ≈ 40 MB of heap per process (bench/README.md).
 */
export function launchCommand(s: ServiceSpec, env: NodeJS.ProcessEnv = process.env, root = REPO_ROOT): LaunchCommand {
  const dist = join(root, s.dist);
  const maps = env.EDGE_SOURCE_MAPS === '1' ? ['--enable-source-maps'] : [];
  const allocator = mallocEnv(env);
  if (env.EDGE_USE_DIST === '1' && existsSync(dist)) return { command: process.execPath, args: [...maps, ...heapFlags(env), dist], env: allocator, mode: 'dist' };
  return { command: process.execPath, args: [...heapFlags(env), '--import', 'tsx', join(root, s.entry)], env: allocator, mode: 'tsx' };
}

/** glibc malloc arenas of every service process (`MALLOC_ARENA_MAX`; deploy/entrypoint.sh has the same default). */
export const DEFAULT_MALLOC_ARENAS = 2;

/**
 * `MALLOC_ARENA_MAX` of a service process (default 2). glibc gives each thread that allocates
 * its own arena, up to 8 per core, and memory freed in one arena is not reused by another; a
 * Node process allocates from V8's GC threads and libuv's pool besides the main thread. With 2
 * arenas, the memory outside the V8 heap of the services during a 50 000-device sync was
 * 68–74 MB per process instead of 77–83 MB (bench/README.md). glibc's tunables
 * (https://www.gnu.org/software/libc/manual/html_node/Memory-Allocation-Tunables.html); musl
 * and other allocators ignore the variable.
 */
export function mallocEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const raw = env.MALLOC_ARENA_MAX || String(DEFAULT_MALLOC_ARENAS);
  if (!/^[1-9][0-9]*$/.test(raw)) throw new Error(`MALLOC_ARENA_MAX=${raw}: expected a whole number of arenas, at least 1`);
  return { MALLOC_ARENA_MAX: raw };
}

/** Old-space limit of every service process, MB (`EDGE_HEAP_MB`; deploy/entrypoint.sh has the same default). */
export const DEFAULT_HEAP_MB = 192;

/**
 * V8 heap limit of a service process: `EDGE_HEAP_MB` MB of old space (default 192; `0` = Node's
 * own limit). Node's default on a large machine is about 4 GB, and V8 lets garbage pile up far
 * beyond the live data before it collects: at 50 000 devices the normalizer's live heap was 78 MB
 * and its peak RSS 584–623 MB; with the limit, 254 MB (bench/README.md). The same variable sizes
 * the containers (deploy/entrypoint.sh); deploy/README.md says when to raise it.
 */
export function heapFlags(env: NodeJS.ProcessEnv): string[] {
  const raw = env.EDGE_HEAP_MB || String(DEFAULT_HEAP_MB);
  const mb = Number(raw);
  if (mb === 0) return [];
  if (!Number.isInteger(mb) || mb < 64) throw new Error(`EDGE_HEAP_MB=${raw}: expected a whole number of MB, at least 64 (0 = Node's default)`);
  // The young generation is three semi-spaces (16 MB each by default): scaled with the limit.
  const semi = Math.max(2, Math.min(16, Math.round(mb / 48)));
  return [`--max-old-space-size=${mb}`, `--max-semi-space-size=${semi}`];
}

/** Simulator bundles (demo profile of docker compose, `npm run demo`). */
export const SIMULATOR_BUNDLES: readonly ServiceSpec[] = manifest.simulators.map(spec);
